package s1ap

import "fmt"

// Semantic checks of the codec, run by the strict decoder. A failure makes
// the enclosing IE "not comprehended" (TS 36.413 §10.3.1 case 2: a value
// outside its logical range), handled by the IE's criticality.

// validatePLMNidentity checks a PLMN identity (TS 36.413 §9.2.3.8,
// TS 23.003 §2.2 and §12.1): three TBCD octets MCC2|MCC1, MNC3|MCC3,
// MNC2|MNC1, every digit decimal except MNC digit 3, which is 'F' (1111)
// for a two-digit MNC.
func validatePLMNidentity(b []byte) error {
	if len(b) != 3 {
		return notComprehendedErr(fmt.Errorf("s1ap: PLMN identity of %d octets", len(b)))
	}
	digits := [6]struct {
		name string
		v    byte
	}{{"MCC digit 1", b[0] & 0x0f}, {"MCC digit 2", b[0] >> 4}, {"MCC digit 3", b[1] & 0x0f},
		{"MNC digit 3", b[1] >> 4}, {"MNC digit 1", b[2] & 0x0f}, {"MNC digit 2", b[2] >> 4}}
	for _, d := range digits {
		if d.v <= 9 || (d.name == "MNC digit 3" && d.v == 0xf) {
			continue
		}
		return notComprehendedErr(fmt.Errorf("s1ap: PLMN identity %x: %s is %X, not a decimal digit (TS 23.003 §2.2)", b, d.name, d.v))
	}
	return nil
}

// validateIMSI checks an IMSI in TBCD (TS 36.413 §9.2.3.11,
// TS 29.002 TBCD-STRING): decimal digits, with the filler 'F' allowed only
// as the last half-octet (odd number of digits).
func validateIMSI(b []byte) error {
	for i, x := range b {
		lo, hi := x&0x0f, x>>4
		if lo > 9 {
			return notComprehendedErr(fmt.Errorf("s1ap: IMSI %x: digit %d is %X, not a decimal digit", b, 2*i+1, lo))
		}
		if hi > 9 && !(hi == 0xf && i == len(b)-1) {
			return notComprehendedErr(fmt.Errorf("s1ap: IMSI %x: digit %d is %X (only the last half-octet may be the filler F)", b, 2*i+2, hi))
		}
	}
	return nil
}
