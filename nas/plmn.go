package nas

import (
	"encoding/hex"
	"fmt"
)

// PLMNID is a PLMN identity as carried on the wire: MCC and MNC digits in
// three TBCD octets (TS 24.008 §10.5.1.3 figure 10.5.3, TS 24.301 §9.9.3.32).
// Octet 1: MCC digit 2 | MCC digit 1; octet 2: MNC digit 3 | MCC digit 3;
// octet 3: MNC digit 2 | MNC digit 1. MNC digit 3 is 0xf for a 2-digit MNC.
// The raw form is kept so that any received value re-encodes unchanged and
// the type can be a map key.
type PLMNID [3]byte

// NewPLMNID builds a PLMN identity from a 3-digit MCC and a 2- or 3-digit
// MNC. It returns ErrInvalidValue for other inputs.
func NewPLMNID(mcc, mnc string) (PLMNID, error) {
	if len(mcc) != 3 || (len(mnc) != 2 && len(mnc) != 3) || !allDigits(mcc) || !allDigits(mnc) {
		return PLMNID{}, fmt.Errorf("%w: PLMN MCC %q MNC %q", ErrInvalidValue, mcc, mnc)
	}
	d := func(c byte) byte { return c - '0' }
	mnc3 := byte(0xf)
	if len(mnc) == 3 {
		mnc3 = d(mnc[2])
	}
	return PLMNID{d(mcc[1])<<4 | d(mcc[0]), mnc3<<4 | d(mcc[2]), d(mnc[1])<<4 | d(mnc[0])}, nil
}

// ParsePLMNID parses "MCCMNC" (5 or 6 digits, "00101", "310410").
func ParsePLMNID(s string) (PLMNID, error) {
	if len(s) != 5 && len(s) != 6 {
		return PLMNID{}, fmt.Errorf("%w: PLMN %q: want 5 or 6 digits", ErrInvalidValue, s)
	}
	return NewPLMNID(s[:3], s[3:])
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

const hexDigits = "0123456789abcdef"

// MCC returns the 3 digits of the mobile country code. Nibbles that are not
// decimal digits appear as hex letters.
func (p PLMNID) MCC() string {
	return string([]byte{hexDigits[p[0]&0xf], hexDigits[p[0]>>4], hexDigits[p[1]&0xf]})
}

// MNC returns the 2 or 3 digits of the mobile network code.
func (p PLMNID) MNC() string {
	if p[1]>>4 == 0xf {
		return string([]byte{hexDigits[p[2]&0xf], hexDigits[p[2]>>4]})
	}
	return string([]byte{hexDigits[p[2]&0xf], hexDigits[p[2]>>4], hexDigits[p[1]>>4]})
}

// String returns MCC and MNC digits concatenated, "00101".
func (p PLMNID) String() string { return p.MCC() + p.MNC() }

// MarshalText returns String(), so JSON shows "00101".
func (p PLMNID) MarshalText() ([]byte, error) { return []byte(p.String()), nil }

// TAI is a tracking area identity (TS 24.301 §9.9.3.32, TS 23.003 §19.4.2.3):
// PLMN identity and 16-bit tracking area code.
type TAI struct {
	PLMN PLMNID
	TAC  uint16
}

func (t *TAI) decode(v []byte) error {
	if len(v) != 5 {
		return lengthError(len(v), 5, 5)
	}
	copy(t.PLMN[:], v)
	t.TAC = uint16(v[3])<<8 | uint16(v[4])
	return nil
}

func (t TAI) appendTo(dst []byte) ([]byte, error) {
	return append(dst, t.PLMN[0], t.PLMN[1], t.PLMN[2], byte(t.TAC>>8), byte(t.TAC)), nil
}

// String returns "PLMN-TAC" with the TAC in hex, "00101-0001".
func (t TAI) String() string { return fmt.Sprintf("%v-%04x", t.PLMN, t.TAC) }

// LAI is a location area identification (TS 24.008 §10.5.1.3, referenced by
// TS 24.301 §9.9.2.2): PLMN identity and 16-bit location area code.
type LAI struct {
	PLMN PLMNID
	LAC  uint16
}

func (l *LAI) decode(v []byte) error {
	if len(v) != 5 {
		return lengthError(len(v), 5, 5)
	}
	copy(l.PLMN[:], v)
	l.LAC = uint16(v[3])<<8 | uint16(v[4])
	return nil
}

func (l LAI) appendTo(dst []byte) ([]byte, error) {
	return append(dst, l.PLMN[0], l.PLMN[1], l.PLMN[2], byte(l.LAC>>8), byte(l.LAC)), nil
}

// GUTI is the globally unique temporary UE identity (TS 23.003 §2.8): PLMN,
// MME group ID (16 bits), MME code (8 bits) and M-TMSI (32 bits). On the wire
// it is an EPS mobile identity of type GUTI (TS 24.301 §9.9.3.12).
type GUTI struct {
	PLMN       PLMNID
	MMEGroupID uint16
	MMECode    uint8
	MTMSI      uint32
}

// String returns "PLMN-MMEGI-MMEC-MTMSI" in hex.
func (g GUTI) String() string {
	return fmt.Sprintf("%v-%04x-%02x-%08x", g.PLMN, g.MMEGroupID, g.MMECode, g.MTMSI)
}

// gutiLen is the length of the value part of an EPS mobile identity of type
// GUTI (TS 24.301 §9.9.3.12 figure 9.9.3.12.1).
const gutiLen = 11

// decode reads the value of an EPS mobile identity IE that must hold a
// GUTI (TS 24.301 §9.9.3.12).
func (g *GUTI) decode(v []byte) error {
	if len(v) != gutiLen {
		return lengthError(len(v), gutiLen, gutiLen)
	}
	if EPSIdentityType(v[0]&7) != EPSIdentityGUTI {
		return fmt.Errorf("type of identity %d, want GUTI (6)", v[0]&7)
	}
	g.decodeBody(v)
	return nil
}

func (g *GUTI) decodeBody(v []byte) {
	copy(g.PLMN[:], v[1:4])
	g.MMEGroupID = uint16(v[4])<<8 | uint16(v[5])
	g.MMECode = v[6]
	g.MTMSI = uint32(v[7])<<24 | uint32(v[8])<<16 | uint32(v[9])<<8 | uint32(v[10])
}

// appendTo writes the EPS mobile identity value: 0xf6 (filler, even, GUTI)
// then the GUTI fields (TS 24.301 §9.9.3.12).
func (g GUTI) appendTo(dst []byte) ([]byte, error) {
	return append(dst, 0xf0|byte(EPSIdentityGUTI), g.PLMN[0], g.PLMN[1], g.PLMN[2],
		byte(g.MMEGroupID>>8), byte(g.MMEGroupID), g.MMECode,
		byte(g.MTMSI>>24), byte(g.MTMSI>>16), byte(g.MTMSI>>8), byte(g.MTMSI)), nil
}

// PartialTAIListType is the "type of list" of a partial tracking area
// identity list (TS 24.301 §9.9.3.33, bits 7-6 of the first octet).
type PartialTAIListType uint8

// Types of partial TAI list, TS 24.301 §9.9.3.33.1.
const (
	// TAIListNonConsecutive: one PLMN, a list of TACs (type 00).
	TAIListNonConsecutive PartialTAIListType = 0
	// TAIListConsecutive: one PLMN, consecutive TACs from a first TAC (type 01).
	TAIListConsecutive PartialTAIListType = 1
	// TAIListMultiplePLMNs: a list of TAIs of any PLMNs (type 10).
	TAIListMultiplePLMNs PartialTAIListType = 2
)

// String names the list type.
func (t PartialTAIListType) String() string {
	switch t {
	case TAIListNonConsecutive:
		return "NonConsecutive"
	case TAIListConsecutive:
		return "Consecutive"
	case TAIListMultiplePLMNs:
		return "MultiplePLMNs"
	}
	return fmt.Sprintf("PartialTAIListType(%d)", uint8(t))
}

// MarshalText returns String().
func (t PartialTAIListType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// PartialTAIList is one partial tracking area identity list (TS 24.301
// §9.9.3.33): a type and 1 to 16 TAIs. For TAIListNonConsecutive all TAIs
// share one PLMN; for TAIListConsecutive they also have consecutive TACs.
type PartialTAIList struct {
	Type PartialTAIListType
	TAIs []TAI
}

// TAIList is the tracking area identity list IE (TS 24.301 §9.9.3.33): one
// or more partial lists holding at most 16 TAIs in total (value part 6 to 96
// octets).
type TAIList []PartialTAIList

// maxTAIs is the maximum number of TAIs in a TAI list (TS 24.301 §9.9.3.33).
const maxTAIs = 16

// Contains reports whether tai is in the list.
func (l TAIList) Contains(tai TAI) bool {
	for _, p := range l {
		for _, t := range p.TAIs {
			if t == tai {
				return true
			}
		}
	}
	return false
}

// Len returns the number of TAIs in all partial lists.
func (l TAIList) Len() int {
	n := 0
	for _, p := range l {
		n += len(p.TAIs)
	}
	return n
}

func (l *TAIList) decode(v []byte) error {
	// First pass: count TAIs and lists and check the structure, so that one
	// backing array holds every TAI.
	nTAI, nList := 0, 0
	for i := 0; i < len(v); {
		t := PartialTAIListType(v[i] >> 5 & 3)
		n := int(v[i]&0x1f) + 1
		var size int
		switch t {
		case TAIListNonConsecutive:
			size = 1 + 3 + 2*n
		case TAIListConsecutive:
			size = 1 + 3 + 2
		case TAIListMultiplePLMNs:
			size = 1 + 5*n
		default:
			return fmt.Errorf("partial list %d: reserved type of list 3", nList+1)
		}
		if n > maxTAIs {
			return fmt.Errorf("partial list %d: %d elements, at most %d", nList+1, n, maxTAIs)
		}
		if i+size > len(v) {
			return fmt.Errorf("partial list %d: needs %d octets, %d left", nList+1, size, len(v)-i)
		}
		nTAI += n
		nList++
		i += size
	}
	if nList == 0 {
		return fmt.Errorf("empty TAI list")
	}
	if nTAI > maxTAIs {
		return fmt.Errorf("%d TAIs, at most %d", nTAI, maxTAIs)
	}
	tais := make([]TAI, nTAI)
	lists := make(TAIList, nList)
	k := 0
	for i, j := 0, 0; i < len(v); j++ {
		t := PartialTAIListType(v[i] >> 5 & 3)
		n := int(v[i]&0x1f) + 1
		p := &lists[j]
		p.Type = t
		p.TAIs = tais[k : k+n : k+n]
		switch t {
		case TAIListNonConsecutive:
			plmn := PLMNID{v[i+1], v[i+2], v[i+3]}
			for e := 0; e < n; e++ {
				o := i + 4 + 2*e
				p.TAIs[e] = TAI{PLMN: plmn, TAC: uint16(v[o])<<8 | uint16(v[o+1])}
			}
			i += 4 + 2*n
		case TAIListConsecutive:
			plmn := PLMNID{v[i+1], v[i+2], v[i+3]}
			tac := uint16(v[i+4])<<8 | uint16(v[i+5])
			for e := 0; e < n; e++ {
				p.TAIs[e] = TAI{PLMN: plmn, TAC: tac + uint16(e)}
			}
			i += 6
		case TAIListMultiplePLMNs:
			for e := 0; e < n; e++ {
				o := i + 1 + 5*e
				p.TAIs[e] = TAI{PLMN: PLMNID{v[o], v[o+1], v[o+2]}, TAC: uint16(v[o+3])<<8 | uint16(v[o+4])}
			}
			i += 1 + 5*n
		}
		k += n
	}
	*l = lists
	return nil
}

func (l TAIList) appendTo(dst []byte) ([]byte, error) {
	if len(l) == 0 {
		return dst, fmt.Errorf("%w: empty TAI list", ErrInvalidValue)
	}
	if n := l.Len(); n > maxTAIs {
		return dst, fmt.Errorf("%w: %d TAIs, at most %d", ErrInvalidValue, n, maxTAIs)
	}
	for j, p := range l {
		n := len(p.TAIs)
		if n == 0 {
			return dst, fmt.Errorf("%w: partial list %d is empty", ErrInvalidValue, j+1)
		}
		dst = append(dst, byte(p.Type&3)<<5|byte(n-1))
		switch p.Type {
		case TAIListNonConsecutive:
			plmn := p.TAIs[0].PLMN
			dst = append(dst, plmn[:]...)
			for _, t := range p.TAIs {
				if t.PLMN != plmn {
					return dst, fmt.Errorf("%w: partial list %d of type 00 mixes PLMNs", ErrInvalidValue, j+1)
				}
				dst = append(dst, byte(t.TAC>>8), byte(t.TAC))
			}
		case TAIListConsecutive:
			first := p.TAIs[0]
			for e, t := range p.TAIs {
				if t.PLMN != first.PLMN || t.TAC != first.TAC+uint16(e) {
					return dst, fmt.Errorf("%w: partial list %d of type 01 is not consecutive TACs of one PLMN", ErrInvalidValue, j+1)
				}
			}
			dst = append(dst, first.PLMN[0], first.PLMN[1], first.PLMN[2], byte(first.TAC>>8), byte(first.TAC))
		case TAIListMultiplePLMNs:
			for _, t := range p.TAIs {
				dst, _ = t.appendTo(dst)
			}
		default:
			return dst, fmt.Errorf("%w: partial list %d: type of list %d", ErrInvalidValue, j+1, p.Type)
		}
	}
	return dst, nil
}

// PLMNList is the PLMN list IE (TS 24.008 §10.5.1.13, TS 24.301 §9.9.2.8):
// 1 to 15 PLMN identities (the equivalent PLMNs).
type PLMNList []PLMNID

func (l *PLMNList) decode(v []byte) error {
	if len(v) == 0 || len(v)%3 != 0 {
		return fmt.Errorf("length %d is not a multiple of 3", len(v))
	}
	out := make(PLMNList, len(v)/3)
	for i := range out {
		copy(out[i][:], v[3*i:])
	}
	*l = out
	return nil
}

func (l PLMNList) appendTo(dst []byte) ([]byte, error) {
	for _, p := range l {
		dst = append(dst, p[:]...)
	}
	return dst, nil
}

// hexText is the MarshalText of opaque IEs: lower-case hex.
func hexText(b []byte) ([]byte, error) {
	out := make([]byte, hex.EncodedLen(len(b)))
	hex.Encode(out, b)
	return out, nil
}

func lengthError(got, min, max int) error {
	if min == max {
		return fmt.Errorf("length %d, want %d", got, min)
	}
	return fmt.Errorf("length %d, want %d to %d", got, min, max)
}
