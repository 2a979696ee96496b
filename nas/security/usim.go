package security

import (
	"crypto/subtle"
	"fmt"

	"github.com/wmnsk/milenage"
)

// SynchFailureError is returned by USIM.Authenticate when the SQN in AUTN is
// not fresh (TS 33.102 §6.3.3, Annex C.2). AUTS goes in the Authentication
// failure parameter of AUTHENTICATION FAILURE with EMM cause #21 (TS 24.301
// §5.4.2.6). errors.Is(err, ErrSynchFailure) holds.
type SynchFailureError struct {
	AUTS [14]byte // Conc(SQN_MS) || MAC-S (TS 33.102 §6.3.3)
	// SQN is the rejected sequence number and SQNMS the highest accepted one.
	SQN, SQNMS uint64
}

func (e *SynchFailureError) Error() string {
	return fmt.Sprintf("%v: SQN %#x, SQN_MS %#x", ErrSynchFailure, e.SQN, e.SQNMS)
}

func (e *SynchFailureError) Unwrap() error { return ErrSynchFailure }

// USIMConfig sets the sequence number management of a USIM (TS 33.102 Annex
// C). The zero value selects the profile of Annex C.3.2 (IND of 5 bits, an
// array of 32 SEQ_MS values) without the optional Δ and L checks.
type USIMConfig struct {
	// INDBits is the length of IND, the low part of SQN that selects an
	// array element (TS 33.102 C.1.2), 1-15. 0 (and any value outside
	// 1-15 other than NoIND) selects 5 (C.3.2); NoIND selects a single
	// SEQ_MS (strictly increasing SQN).
	INDBits int
	// Delta is Δ of TS 33.102 C.2.1: the USIM rejects SEQ − SEQ_MS > Δ
	// (protection against wrap around). 0 disables the check.
	Delta uint64
	// L is the age limit of TS 33.102 C.2.2: the USIM rejects SEQ_MS − SEQ
	// ≥ L. 0 disables the check.
	L uint64
}

// NoIND as USIMConfig.INDBits selects a USIM without IND (one SEQ_MS).
const NoIND = -1

// DefaultINDBits is the IND length of TS 33.102 C.3.2.
const DefaultINDBits = 5

// USIM is the UE side of EPS-AKA (TS 33.102 §6.3.3 and Annex C, TS 33.401
// §6.1.1): it verifies AUTN, keeps the highest accepted sequence numbers and
// computes RES, CK, IK and K_ASME, or AUTS for a synch failure. The load
// tester's UEs use it. Not safe for concurrent use.
type USIM struct {
	K, OPc [16]byte
	cfg    USIMConfig
	ind    uint // IND bits
	// seqMS is SEQ_MS(i) for each IND value i (TS 33.102 C.1.2).
	seqMS []uint64
}

// AuthResult is what the ME gets from a successful authentication: RES for
// the AUTHENTICATION RESPONSE (8 octets with Milenage), CK and IK, and
// K_ASME for the serving network (TS 33.401 §6.1.1, A.2).
type AuthResult struct {
	RES    []byte
	CK, IK [16]byte
	KASME  [32]byte
	SQN    uint64 // the accepted sequence number
}

// NewUSIM returns a USIM with subscriber key k, OPc and no accepted SQN.
func NewUSIM(k, opc [16]byte, cfg USIMConfig) *USIM {
	ind := DefaultINDBits
	switch {
	case cfg.INDBits == NoIND:
		ind = 0
	case cfg.INDBits > 0 && cfg.INDBits < 16:
		ind = cfg.INDBits
	}
	return &USIM{K: k, OPc: opc, cfg: cfg, ind: uint(ind), seqMS: make([]uint64, 1<<ind)}
}

// SQNMS returns SQN_MS, the highest previously accepted sequence number
// (SEQ || IND) (TS 33.102 §6.3.3, C.1.2), 0 before any authentication.
func (u *USIM) SQNMS() uint64 {
	var best uint64
	var bestIdx int
	for i, s := range u.seqMS {
		if s > best {
			best, bestIdx = s, i
		}
	}
	if best == 0 {
		return 0
	}
	return best<<u.ind | uint64(bestIdx)
}

// SetSQNMS records sqn as accepted (TS 33.102 C.2.2), e.g. to start a
// simulated UE at the HSS's SQN; a lower SEQ than the one recorded for the
// same IND is kept. ErrSQNRange above 48 bits.
func (u *USIM) SetSQNMS(sqn uint64) error {
	if sqn > MaxSQN {
		return fmt.Errorf("%w: %#x", ErrSQNRange, sqn)
	}
	i := sqn & (1<<u.ind - 1)
	if s := sqn >> u.ind; s > u.seqMS[i] {
		u.seqMS[i] = s
	}
	return nil
}

// Authenticate runs the USIM and ME checks of an AUTHENTICATION REQUEST
// (TS 33.102 §6.3.3, TS 33.401 §6.1.1, TS 24.301 §5.4.2.3) with the RAND and
// AUTN it carries, for the serving network snid (PLMN identity, 3 octets).
//
// Order: the ME checks the AMF separation bit (ErrNonEPSAuthentication,
// cause #26); the USIM computes AK, recovers SQN and checks MAC-A
// (ErrMACFailure, cause #20), then the freshness of SQN per TS 33.102 C.2
// (a *SynchFailureError carrying AUTS, cause #21). On success the SQN is
// recorded and RES, CK, IK and K_ASME are returned.
func (u *USIM) Authenticate(rand, autn [16]byte, snid [3]byte) (AuthResult, error) {
	// TS 33.401 §6.1.1: the ME checks the AMF separation bit is 1.
	if autn[6]&AMFSeparationBit == 0 {
		return AuthResult{}, ErrNonEPSAuthentication
	}
	m := milenage.NewWithOPc(u.K[:], u.OPc[:], rand[:], 0, uint16(autn[6])<<8|uint16(autn[7]))
	res, ck, ik, ak, err := m.F2345()
	if err != nil {
		return AuthResult{}, fmt.Errorf("security: milenage f2-f5: %w", err)
	}
	// TS 33.102 §6.3.3: SQN = (SQN ⊕ AK) ⊕ AK, XMAC = f1_K(SQN || RAND || AMF).
	subtle.XORBytes(m.SQN, autn[0:6], ak)
	xmac, err := m.F1()
	if err != nil {
		return AuthResult{}, fmt.Errorf("security: milenage f1: %w", err)
	}
	if subtle.ConstantTimeCompare(xmac, autn[8:16]) != 1 {
		return AuthResult{}, ErrMACFailure
	}
	sqn := getSQN(m.SQN)
	if !u.fresh(sqn) {
		sqnMS := u.SQNMS()
		e := &SynchFailureError{SQN: sqn, SQNMS: sqnMS}
		// TS 33.102 §6.3.3: AUTS = SQN_MS ⊕ AK-S || MAC-S, MAC-S =
		// f1*_K(SQN_MS || RAND || AMF) with the dummy AMF 0.
		var sqnB [6]byte
		putSQN(&sqnB, sqnMS)
		macs, err := m.F1Star(sqnB[:], []byte{0, 0})
		if err != nil {
			return AuthResult{}, fmt.Errorf("security: milenage f1*: %w", err)
		}
		aks, err := m.F5Star()
		if err != nil {
			return AuthResult{}, fmt.Errorf("security: milenage f5*: %w", err)
		}
		subtle.XORBytes(e.AUTS[0:6], sqnB[:], aks)
		copy(e.AUTS[6:14], macs)
		return AuthResult{}, e
	}
	// TS 33.102 C.2.2: SEQ_MS(i) := SEQ.
	u.seqMS[sqn&(1<<u.ind-1)] = sqn >> u.ind
	r := AuthResult{RES: res, CK: [16]byte(ck), IK: [16]byte(ik), SQN: sqn}
	r.KASME = DeriveKASME(r.CK, r.IK, snid, [6]byte(autn[0:6]))
	return r, nil
}

// fresh is the SQN verification of TS 33.102 C.2.1 and C.2.2.
func (u *USIM) fresh(sqn uint64) bool {
	seq, i := sqn>>u.ind, sqn&(1<<u.ind-1)
	// TS 33.102 C.2.2: SEQ must exceed SEQ_MS(i).
	if seq <= u.seqMS[i] {
		return false
	}
	var seqMax uint64
	for _, s := range u.seqMS {
		seqMax = max(seqMax, s)
	}
	// TS 33.102 C.2.1: SEQ − SEQ_MS ≤ Δ.
	if u.cfg.Delta != 0 && seq > seqMax && seq-seqMax > u.cfg.Delta {
		return false
	}
	// TS 33.102 C.2.2: SEQ_MS − SEQ < L (age limit).
	if u.cfg.L != 0 && seqMax > seq && seqMax-seq >= u.cfg.L {
		return false
	}
	return true
}
