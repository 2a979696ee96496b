package security

import (
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/wmnsk/milenage"
)

// EPS-AKA errors. Each names the TS 24.301 EMM cause the UE answers with.
var (
	// ErrMACFailure: the MAC-A in AUTN does not verify at the USIM (TS 33.102
	// §6.3.3); the UE answers AUTHENTICATION FAILURE with EMM cause #20 "MAC
	// failure" (TS 24.301 §5.4.2.6).
	ErrMACFailure = errors.New("security: AUTN MAC-A does not verify (EMM cause #20 MAC failure)")
	// ErrSynchFailure: the SQN in AUTN is not acceptable (TS 33.102 §6.3.3,
	// Annex C); the UE answers with EMM cause #21 "synch failure" and AUTS.
	// Authenticate returns it wrapped in a *SynchFailureError carrying AUTS.
	ErrSynchFailure = errors.New("security: AUTN SQN not acceptable (EMM cause #21 synch failure)")
	// ErrNonEPSAuthentication: the AMF separation bit of AUTN is 0 (TS 33.401
	// §6.1.1); the UE answers with EMM cause #26 "non-EPS authentication
	// unacceptable".
	ErrNonEPSAuthentication = errors.New("security: AMF separation bit is 0 (EMM cause #26 non-EPS authentication unacceptable)")
	// ErrMACSFailure: the MAC-S in AUTS does not verify at the HSS (TS 33.102
	// §6.3.5); the HSS sends no new SQN and the vectors are not re-synchronised.
	ErrMACSFailure = errors.New("security: AUTS MAC-S does not verify")
	// ErrAMFSeparationBit: an E-UTRAN vector was asked for with the AMF
	// separation bit (bit 0, the most significant bit) cleared; TS 33.401
	// §6.1.1 requires the HSS to set it to 1.
	ErrAMFSeparationBit = errors.New("security: AMF separation bit must be 1 in an E-UTRAN vector")
	// ErrSQNRange: a sequence number does not fit its 48 bits (TS 33.102
	// §6.3.2).
	ErrSQNRange = errors.New("security: SQN exceeds 48 bits")
	// ErrAUTNLength and ErrAUTSLength: the parameter does not have its fixed
	// length (TS 24.008 §10.5.3.1.1: AUTN 16 octets; §10.5.3.2.2: AUTS 14 octets).
	ErrAUTNLength = errors.New("security: AUTN is not 16 octets")
	ErrAUTSLength = errors.New("security: AUTS is not 14 octets")
)

// MaxSQN is the largest 48-bit sequence number (TS 33.102 §6.3.2).
const MaxSQN = 1<<48 - 1

// AMFSeparationBit is bit 0 (the most significant bit) of the AMF, the "AMF
// separation bit" that marks an E-UTRAN authentication vector (TS 33.401
// §6.1.1, TS 33.102 Annex H), as a mask on the first AMF octet.
const AMFSeparationBit = 0x80

// DeriveOPc computes OPc = OP ⊕ E_K(OP) (TS 35.206 §4.1) with the pinned
// Milenage library.
func DeriveOPc(k, op [16]byte) [16]byte {
	opc, err := milenage.ComputeOPc(k[:], op[:])
	if err != nil || len(opc) != 16 {
		// Unreachable: the library fails only on key lengths other than 16.
		panic(fmt.Sprintf("security: milenage.ComputeOPc on 16-octet inputs: %v", err))
	}
	return [16]byte(opc)
}

// MilenageOutput holds every Milenage function output for one (K, OPc, RAND,
// SQN, AMF) (TS 35.206 §4.1; TS 33.102 §6.3.2 names): f1 MAC-A (64 bits),
// f1* MAC-S (64 bits, computed with the given AMF), f2 RES (64 bits), f3 CK,
// f4 IK (128 bits each), f5 AK and f5* AK-S (48 bits each).
type MilenageOutput struct {
	MACA, MACS [8]byte
	RES        [8]byte
	CK, IK     [16]byte
	AK, AKS    [6]byte
}

// ComputeMilenage runs Milenage f1, f1*, f2, f3, f4, f5 and f5* (TS 35.206
// §4.1) with the pinned library github.com/wmnsk/milenage. sqn is 48 bits
// (ErrSQNRange otherwise). It is the primitive under GenerateEUTRANVector,
// ResynchronizeSQN and USIM; tests check it against TS 35.208.
func ComputeMilenage(k, opc, rand [16]byte, sqn uint64, amf [2]byte) (MilenageOutput, error) {
	if sqn > MaxSQN {
		return MilenageOutput{}, fmt.Errorf("%w: %#x", ErrSQNRange, sqn)
	}
	m := milenage.NewWithOPc(k[:], opc[:], rand[:], sqn, binary.BigEndian.Uint16(amf[:]))
	if err := m.ComputeAll(); err != nil {
		return MilenageOutput{}, fmt.Errorf("security: milenage: %w", err)
	}
	var out MilenageOutput
	copy(out.MACA[:], m.MACA)
	copy(out.MACS[:], m.MACS)
	copy(out.RES[:], m.RES)
	copy(out.CK[:], m.CK)
	copy(out.IK[:], m.IK)
	copy(out.AK[:], m.AK)
	copy(out.AKS[:], m.AKS)
	return out, nil
}

// EUTRANVector is one E-UTRAN authentication vector (TS 33.401 §6.1.1, TS
// 29.272 §7.3.18): RAND, XRES (8 octets with Milenage), AUTN and K_ASME.
type EUTRANVector struct {
	RAND  [16]byte
	XRES  []byte
	AUTN  [16]byte
	KASME [32]byte
}

// GenerateEUTRANVector computes a vector with Milenage f1-f5 (TS 35.206),
// AUTN = SQN⊕AK || AMF || MAC-A (TS 33.102 §6.3.2) and KASME (TS 33.401 A.2).
// sqn is 48 bits; snid is the serving network PLMN (TBCD, 3 octets, as in
// the PLMN identity IE of TS 24.008 §10.5.1.13). amf must have the separation
// bit set (TS 33.401 §6.1.1). Errors: ErrSQNRange, ErrAMFSeparationBit.
func GenerateEUTRANVector(k, opc [16]byte, amf [2]byte, sqn uint64, rand [16]byte, snid [3]byte) (EUTRANVector, error) {
	if sqn > MaxSQN {
		return EUTRANVector{}, fmt.Errorf("%w: %#x", ErrSQNRange, sqn)
	}
	// TS 33.401 §6.1.1: the HSS sets the AMF separation bit in E-UTRAN vectors.
	if amf[0]&AMFSeparationBit == 0 {
		return EUTRANVector{}, fmt.Errorf("%w: AMF %x", ErrAMFSeparationBit, amf)
	}
	m := milenage.NewWithOPc(k[:], opc[:], rand[:], sqn, binary.BigEndian.Uint16(amf[:]))
	res, ck, ik, ak, err := m.F2345()
	if err != nil {
		return EUTRANVector{}, fmt.Errorf("security: milenage f2-f5: %w", err)
	}
	maca, err := m.F1()
	if err != nil {
		return EUTRANVector{}, fmt.Errorf("security: milenage f1: %w", err)
	}
	v := EUTRANVector{RAND: rand, XRES: res}
	// TS 33.102 §6.3.2: AUTN = SQN ⊕ AK || AMF || MAC.
	var sqnXorAK [6]byte
	putSQN(&sqnXorAK, sqn)
	subtle.XORBytes(sqnXorAK[:], sqnXorAK[:], ak)
	copy(v.AUTN[0:6], sqnXorAK[:])
	copy(v.AUTN[6:8], amf[:])
	copy(v.AUTN[8:16], maca)
	// TS 33.401 §6.2, A.2: K_ASME from CK, IK, SN id and SQN ⊕ AK.
	v.KASME = DeriveKASME([16]byte(ck), [16]byte(ik), snid, sqnXorAK)
	return v, nil
}

// ResynchronizeSQN checks AUTS (TS 33.102 §6.3.5, MAC-S with AMF = 0) and
// returns SQN_MS, the highest sequence number the USIM accepted (48 bits).
// rand is the RAND of the vector that failed. ErrMACSFailure when MAC-S is
// wrong; the HSS then keeps its SQN (TS 33.102 §6.3.5).
func ResynchronizeSQN(k, opc [16]byte, rand [16]byte, auts [14]byte) (sqnMS uint64, err error) {
	m := milenage.NewWithOPc(k[:], opc[:], rand[:], 0, 0)
	aks, err := m.F5Star()
	if err != nil {
		return 0, fmt.Errorf("security: milenage f5*: %w", err)
	}
	// TS 33.102 §6.3.3: AUTS = Conc(SQN_MS) || MAC-S, Conc(SQN_MS) = SQN_MS ⊕ AK-S.
	var sqn [6]byte
	subtle.XORBytes(sqn[:], auts[0:6], aks)
	// TS 33.102 §6.3.3: MAC-S = f1*_K(SQN_MS || RAND || AMF) with the dummy AMF 0.
	macs, err := m.F1Star(sqn[:], []byte{0, 0})
	if err != nil {
		return 0, fmt.Errorf("security: milenage f1*: %w", err)
	}
	if subtle.ConstantTimeCompare(macs, auts[6:14]) != 1 {
		return 0, ErrMACSFailure
	}
	return getSQN(sqn[:]), nil
}

// AUTN is the authentication token of TS 33.102 §6.3.2, the value part of
// the Authentication parameter AUTN IE (TS 24.301 §9.9.3.2, TS 24.008
// §10.5.3.1.1).
type AUTN struct {
	SQNXorAK [6]byte // SQN ⊕ AK (or SQN when AK is not used)
	AMF      [2]byte // authentication management field
	MAC      [8]byte // MAC-A, f1
}

// ParseAUTN reads the 16-octet AUTN value (without the IE's length octet).
// ErrAUTNLength if b is not 16 octets (TS 24.008 §10.5.3.1.1).
func ParseAUTN(b []byte) (AUTN, error) {
	if len(b) != 16 {
		return AUTN{}, fmt.Errorf("%w: %d octets", ErrAUTNLength, len(b))
	}
	var a AUTN
	copy(a.SQNXorAK[:], b[0:6])
	copy(a.AMF[:], b[6:8])
	copy(a.MAC[:], b[8:16])
	return a, nil
}

// Bytes returns the 16 octets SQN⊕AK || AMF || MAC.
func (a AUTN) Bytes() [16]byte {
	var b [16]byte
	copy(b[0:6], a.SQNXorAK[:])
	copy(b[6:8], a.AMF[:])
	copy(b[8:16], a.MAC[:])
	return b
}

// AUTS is the re-synchronisation token of TS 33.102 §6.3.3, the value part
// of the Authentication failure parameter IE (TS 24.301 §9.9.3.1, TS 24.008
// §10.5.3.2.2).
type AUTS struct {
	SQNMSXorAKS [6]byte // SQN_MS ⊕ AK-S (Conc(SQN_MS))
	MACS        [8]byte // MAC-S, f1* with AMF 0
}

// ParseAUTS reads the 14-octet AUTS value (without the IE's length octet).
// ErrAUTSLength if b is not 14 octets (TS 24.008 §10.5.3.2.2).
func ParseAUTS(b []byte) (AUTS, error) {
	if len(b) != 14 {
		return AUTS{}, fmt.Errorf("%w: %d octets", ErrAUTSLength, len(b))
	}
	var a AUTS
	copy(a.SQNMSXorAKS[:], b[0:6])
	copy(a.MACS[:], b[6:14])
	return a, nil
}

// Bytes returns the 14 octets Conc(SQN_MS) || MAC-S.
func (a AUTS) Bytes() [14]byte {
	var b [14]byte
	copy(b[0:6], a.SQNMSXorAKS[:])
	copy(b[6:14], a.MACS[:])
	return b
}

func putSQN(b *[6]byte, sqn uint64) {
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(sqn>>40), byte(sqn>>32), byte(sqn>>24), byte(sqn>>16), byte(sqn>>8), byte(sqn)
}

func getSQN(b []byte) uint64 {
	_ = b[5]
	return uint64(b[0])<<40 | uint64(b[1])<<32 | uint64(b[2])<<24 | uint64(b[3])<<16 | uint64(b[4])<<8 | uint64(b[5])
}
