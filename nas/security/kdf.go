package security

import (
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
)

// Function codes FC of the TS 33.401 Annex A key derivations (TS 33.220
// Annex B.2 generic KDF).
const (
	fcKASME    = 0x10 // A.2 K_ASME
	fcKENB     = 0x11 // A.3 K_eNB
	fcNH       = 0x12 // A.4 NH
	fcKENBStar = 0x13 // A.5 K_eNB*
	fcAlgKey   = 0x15 // A.7 algorithm key derivation
)

// AlgorithmTypeDistinguisher is P0 of the algorithm key derivation of TS
// 33.401 A.7 (table A.7-1).
type AlgorithmTypeDistinguisher uint8

// Algorithm type distinguishers, TS 33.401 A.7 table A.7-1.
const (
	NASEncAlg AlgorithmTypeDistinguisher = 0x01 // K_NASenc
	NASIntAlg AlgorithmTypeDistinguisher = 0x02 // K_NASint
	RRCEncAlg AlgorithmTypeDistinguisher = 0x03 // K_RRCenc
	RRCIntAlg AlgorithmTypeDistinguisher = 0x04 // K_RRCint
	UPEncAlg  AlgorithmTypeDistinguisher = 0x05 // K_UPenc
	UPIntAlg  AlgorithmTypeDistinguisher = 0x06 // K_UPint (relay nodes)
)

// MaxEARFCN is the largest E-UTRA absolute radio frequency channel number
// (TS 36.101 §5.7.3: 0-262143).
const MaxEARFCN = 262143

// ErrEARFCNRange: an EARFCN-DL above MaxEARFCN was given to DeriveKENBStar.
var ErrEARFCNRange = errors.New("security: EARFCN-DL exceeds 262143")

// kdf is the generic key derivation function of TS 33.220 Annex B.2 used by
// TS 33.401 A.1: HMAC-SHA-256(key, S) with S = FC || P0 || L0 || P1 || L1,
// each Li the 2-octet length of Pi. p1 may be nil (one parameter).
func kdf(key []byte, fc byte, p0, p1 []byte) [32]byte {
	var s [1 + 2*(2+32)]byte // FC and two parameters of at most 32 octets
	n := 0
	s[n] = fc
	n++
	for _, p := range [2][]byte{p0, p1} {
		if p == nil {
			continue
		}
		n += copy(s[n:], p)
		s[n], s[n+1] = byte(len(p)>>8), byte(len(p))
		n += 2
	}
	return hmacSHA256(hmac.New(sha256.New, key), s[:n])
}

func hmacSHA256(h hash.Hash, s []byte) [32]byte {
	h.Write(s)
	var out [32]byte
	h.Sum(out[:0])
	return out
}

// DeriveKASME derives K_ASME = KDF(CK || IK, FC=0x10, P0 = SN id, P1 = SQN ⊕ AK)
// (TS 33.401 A.2). snid is the serving network's PLMN identity (3 octets,
// TBCD as in TS 24.008 §10.5.1.13); sqnXorAK is the first 6 octets of AUTN.
func DeriveKASME(ck, ik [16]byte, snid [3]byte, sqnXorAK [6]byte) [32]byte {
	var key [32]byte
	copy(key[:16], ck[:])
	copy(key[16:], ik[:])
	return kdf(key[:], fcKASME, snid[:], sqnXorAK[:])
}

// DeriveKENB derives K_eNB = KDF(K_ASME, FC=0x11, P0 = uplink NAS COUNT)
// (TS 33.401 A.3), the COUNT as 4 octets (0x00 || overflow || SQN).
func DeriveKENB(kasme [32]byte, ulNASCount uint32) [32]byte {
	c := [4]byte{byte(ulNASCount >> 24), byte(ulNASCount >> 16), byte(ulNASCount >> 8), byte(ulNASCount)}
	return kdf(kasme[:], fcKENB, c[:], nil)
}

// DeriveNH derives the next hop parameter NH = KDF(K_ASME, FC=0x12, P0 =
// SYNC-input) (TS 33.401 A.4); SYNC-input is the K_eNB derived at the
// initial context setup for the first NH, then the previous NH (§7.2.8.4).
func DeriveNH(kasme, syncInput [32]byte) [32]byte {
	return kdf(kasme[:], fcNH, syncInput[:], nil)
}

// DeriveKENBStar derives K_eNB* = KDF(K_eNB or NH, FC=0x13, P0 = PCI, P1 =
// EARFCN-DL) for handover (TS 33.401 A.5). pci is the target physical cell
// identity (0-503, 2 octets); EARFCN-DL is encoded in 2 octets up to 65535
// and in 3 octets above (A.5). ErrEARFCNRange above MaxEARFCN.
func DeriveKENBStar(key [32]byte, pci uint16, earfcnDL uint32) ([32]byte, error) {
	if earfcnDL > MaxEARFCN {
		return [32]byte{}, fmt.Errorf("%w: %d", ErrEARFCNRange, earfcnDL)
	}
	p0 := [2]byte{byte(pci >> 8), byte(pci)}
	var p1 []byte
	if earfcnDL <= 0xffff {
		p1 = []byte{byte(earfcnDL >> 8), byte(earfcnDL)}
	} else {
		p1 = []byte{byte(earfcnDL >> 16), byte(earfcnDL >> 8), byte(earfcnDL)}
	}
	return kdf(key[:], fcKENBStar, p0[:], p1), nil
}

// DeriveAlgorithmKey derives the 256-bit output KDF(key, FC=0x15, P0 =
// algorithm type distinguisher, P1 = algorithm identity) of TS 33.401 A.7.
// The 128-bit key an algorithm uses is its last 16 octets (the 128 least
// significant bits, A.7); DeriveNASKeys and DeriveASKeys truncate.
func DeriveAlgorithmKey(key [32]byte, d AlgorithmTypeDistinguisher, algID uint8) [32]byte {
	return kdf(key[:], fcAlgKey, []byte{byte(d)}, []byte{algID})
}

// DeriveNASKeys derives the 128-bit K_NASenc and K_NASint from K_ASME for the
// selected algorithms (TS 33.401 A.7, §7.2.4.3 truncation).
func DeriveNASKeys(kasme [32]byte, eea EEA, eia EIA) (knasEnc, knasInt [16]byte) {
	h := hmac.New(sha256.New, kasme[:])
	enc := hmacSHA256(h, []byte{fcAlgKey, byte(NASEncAlg), 0, 1, byte(eea), 0, 1})
	h.Reset()
	integ := hmacSHA256(h, []byte{fcAlgKey, byte(NASIntAlg), 0, 1, byte(eia), 0, 1})
	return [16]byte(enc[16:]), [16]byte(integ[16:])
}

// DeriveASKeys derives the 128-bit access stratum keys K_RRCenc, K_RRCint and
// K_UPenc from K_eNB for the algorithms the MME signals to the eNodeB (TS
// 33.401 A.7; the eNodeB derives them itself, the MME needs them only in
// tests and the load tester's UEs).
func DeriveASKeys(kenb [32]byte, eea EEA, eia EIA) (krrcEnc, krrcInt, kupEnc [16]byte) {
	a := DeriveAlgorithmKey(kenb, RRCEncAlg, uint8(eea))
	b := DeriveAlgorithmKey(kenb, RRCIntAlg, uint8(eia))
	c := DeriveAlgorithmKey(kenb, UPEncAlg, uint8(eea))
	return [16]byte(a[16:]), [16]byte(b[16:]), [16]byte(c[16:])
}
