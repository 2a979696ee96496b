package nas

import "fmt"

// EPSIdentityType is the "type of identity" of the EPS mobile identity IE
// (TS 24.301 §9.9.3.12, table 9.9.3.12.1).
type EPSIdentityType uint8

// EPS mobile identity types, TS 24.301 table 9.9.3.12.1.
const (
	EPSIdentityIMSI EPSIdentityType = 1
	EPSIdentityIMEI EPSIdentityType = 3
	EPSIdentityGUTI EPSIdentityType = 6
)

// String names the type.
func (t EPSIdentityType) String() string {
	switch t {
	case EPSIdentityIMSI:
		return "IMSI"
	case EPSIdentityIMEI:
		return "IMEI"
	case EPSIdentityGUTI:
		return "GUTI"
	}
	return fmt.Sprintf("EPSIdentityType(%d)", uint8(t))
}

// MarshalText returns String().
func (t EPSIdentityType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// EPSMobileIdentity is the EPS mobile identity IE (TS 24.301 §9.9.3.12): an
// IMSI or IMEI as BCD digits, or a GUTI.
type EPSMobileIdentity struct {
	Type EPSIdentityType
	// Digits holds the IMSI (6 to 15 digits) or IMEI (15 digits) when Type
	// is EPSIdentityIMSI or EPSIdentityIMEI.
	Digits string `json:",omitempty"`
	// GUTI is set when Type is EPSIdentityGUTI.
	GUTI GUTI `json:",omitzero"`
}

// IMSI returns the digits and true when the identity is an IMSI.
func (id EPSMobileIdentity) IMSI() (string, bool) {
	return id.Digits, id.Type == EPSIdentityIMSI
}

// String returns "IMSI-<digits>", "IMEI-<digits>" or "GUTI-<guti>".
func (id EPSMobileIdentity) String() string {
	if id.Type == EPSIdentityGUTI {
		return "GUTI-" + id.GUTI.String()
	}
	return id.Type.String() + "-" + id.Digits
}

// decode reads the value part (TS 24.301 §9.9.3.12 figures 9.9.3.12.1 and
// 9.9.3.12.2). For IMSI and IMEI, octet 3 bits 8-5 hold the first digit and
// bit 4 the odd/even indicator; an even count ends with filler 0xf.
func (id *EPSMobileIdentity) decode(v []byte) error {
	if len(v) == 0 {
		return lengthError(0, 1, 11)
	}
	id.Type = EPSIdentityType(v[0] & 7)
	switch id.Type {
	case EPSIdentityGUTI:
		if len(v) != gutiLen {
			return fmt.Errorf("GUTI: %w", lengthError(len(v), gutiLen, gutiLen))
		}
		id.GUTI.decodeBody(v)
		id.Digits = ""
		return nil
	case EPSIdentityIMSI, EPSIdentityIMEI:
		d, err := decodeBCDIdentity(v)
		if err != nil {
			return fmt.Errorf("%v: %w", id.Type, err)
		}
		if id.Type == EPSIdentityIMSI && (len(d) < 6 || len(d) > 15) {
			return fmt.Errorf("IMSI of %d digits, want 6 to 15 (TS 23.003 §2.2)", len(d))
		}
		id.Digits = d
		id.GUTI = GUTI{}
		return nil
	}
	return fmt.Errorf("reserved type of identity %d", id.Type)
}

func (id EPSMobileIdentity) appendTo(dst []byte) ([]byte, error) {
	switch id.Type {
	case EPSIdentityGUTI:
		return id.GUTI.appendTo(dst)
	case EPSIdentityIMSI, EPSIdentityIMEI:
		return appendBCDIdentity(dst, uint8(id.Type), id.Digits)
	}
	return dst, fmt.Errorf("%w: EPS mobile identity type %d", ErrInvalidValue, id.Type)
}

// MobileIdentityType is the "type of identity" of the mobile identity IE
// (TS 24.008 §10.5.1.4 table 10.5.4, referenced by TS 24.301 §9.9.2.3).
type MobileIdentityType uint8

// Mobile identity types, TS 24.008 table 10.5.4.
const (
	NoIdentity           MobileIdentityType = 0
	MobileIdentityIMSI   MobileIdentityType = 1
	MobileIdentityIMEI   MobileIdentityType = 2
	MobileIdentityIMEISV MobileIdentityType = 3
	MobileIdentityTMSI   MobileIdentityType = 4 // TMSI, P-TMSI or M-TMSI
	MobileIdentityTMGI   MobileIdentityType = 5
)

// String names the type.
func (t MobileIdentityType) String() string {
	switch t {
	case NoIdentity:
		return "NoIdentity"
	case MobileIdentityIMSI:
		return "IMSI"
	case MobileIdentityIMEI:
		return "IMEI"
	case MobileIdentityIMEISV:
		return "IMEISV"
	case MobileIdentityTMSI:
		return "TMSI"
	case MobileIdentityTMGI:
		return "TMGI"
	}
	return fmt.Sprintf("MobileIdentityType(%d)", uint8(t))
}

// MarshalText returns String().
func (t MobileIdentityType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// MobileIdentity is the mobile identity IE of TS 24.008 §10.5.1.4 (TS 24.301
// §9.9.2.3): used by IDENTITY RESPONSE, the IMEISV of SECURITY MODE
// COMPLETE, the M-TMSI of EXTENDED SERVICE REQUEST and the MS identity of
// ATTACH ACCEPT.
type MobileIdentity struct {
	Type MobileIdentityType
	// Digits holds the IMSI, IMEI or IMEISV digits.
	Digits string `json:",omitempty"`
	// TMSI is the TMSI, P-TMSI or M-TMSI when Type is MobileIdentityTMSI.
	TMSI uint32 `json:",omitempty"`
	// Raw is the value part of a TMGI or no-identity form, kept opaque
	// (octet 3 onwards, including the type octet).
	Raw Octets `json:",omitempty"`
	// tmsiFill is bits 8-4 of octet 3 of a received TMSI form XOR 11110:
	// TS 24.008 figure 10.5.4 wants 1111 and "even", some networks send
	// 0000; keeping it lets the message re-encode as received.
	tmsiFill uint8
}

// String returns "<type>-<value>".
func (id MobileIdentity) String() string {
	switch id.Type {
	case MobileIdentityTMSI:
		return fmt.Sprintf("TMSI-%08x", id.TMSI)
	case MobileIdentityIMSI, MobileIdentityIMEI, MobileIdentityIMEISV:
		return id.Type.String() + "-" + id.Digits
	}
	return fmt.Sprintf("%v-%x", id.Type, []byte(id.Raw))
}

func (id *MobileIdentity) decode(v []byte) error {
	if len(v) == 0 {
		return lengthError(0, 1, 10)
	}
	*id = MobileIdentity{Type: MobileIdentityType(v[0] & 7)}
	switch id.Type {
	case MobileIdentityIMSI, MobileIdentityIMEI, MobileIdentityIMEISV:
		d, err := decodeBCDIdentity(v)
		if err != nil {
			return fmt.Errorf("%v: %w", id.Type, err)
		}
		switch {
		case id.Type == MobileIdentityIMSI && (len(d) < 6 || len(d) > 15):
			return fmt.Errorf("IMSI of %d digits, want 6 to 15 (TS 23.003 §2.2)", len(d))
		case id.Type == MobileIdentityIMEI && len(d) != 15:
			return fmt.Errorf("IMEI of %d digits, want 15 (TS 23.003 §6.2.1)", len(d))
		case id.Type == MobileIdentityIMEISV && len(d) != 16:
			return fmt.Errorf("IMEISV of %d digits, want 16 (TS 23.003 §6.2.2)", len(d))
		}
		id.Digits = d
	case MobileIdentityTMSI:
		// TS 24.008 figure 10.5.4: octet 3 is 1111 0 100, octets 4-7 the TMSI.
		if len(v) != 5 {
			return fmt.Errorf("TMSI: %w", lengthError(len(v), 5, 5))
		}
		id.TMSI = uint32(v[1])<<24 | uint32(v[2])<<16 | uint32(v[3])<<8 | uint32(v[4])
		id.tmsiFill = (v[0] ^ 0xf0) >> 3
	case NoIdentity, MobileIdentityTMGI:
		id.Raw = Octets(v)
	default:
		return fmt.Errorf("reserved type of identity %d", id.Type)
	}
	return nil
}

func (id MobileIdentity) appendTo(dst []byte) ([]byte, error) {
	switch id.Type {
	case MobileIdentityIMSI, MobileIdentityIMEI, MobileIdentityIMEISV:
		return appendBCDIdentity(dst, uint8(id.Type), id.Digits)
	case MobileIdentityTMSI:
		return append(dst, (0xf0^id.tmsiFill<<3)|byte(MobileIdentityTMSI), byte(id.TMSI>>24), byte(id.TMSI>>16), byte(id.TMSI>>8), byte(id.TMSI)), nil
	case NoIdentity, MobileIdentityTMGI:
		if len(id.Raw) == 0 || MobileIdentityType(id.Raw[0]&7) != id.Type {
			return dst, fmt.Errorf("%w: %v identity needs Raw starting with its type octet", ErrInvalidValue, id.Type)
		}
		return append(dst, id.Raw...), nil
	}
	return dst, fmt.Errorf("%w: mobile identity type %d", ErrInvalidValue, id.Type)
}

// decodeBCDIdentity reads the digits of an IMSI/IMEI/IMEISV identity value
// (TS 24.008 figure 10.5.4): digit 1 in bits 8-5 of octet 3, bit 4 odd/even
// (1 = odd number of digits), then two digits per octet, low nibble first;
// an even count ends with the filler 0xf.
func decodeBCDIdentity(v []byte) (string, error) {
	odd := v[0]&0x08 != 0
	n := 2*len(v) - 1
	if !odd {
		n--
		if v[len(v)-1]>>4 != 0xf {
			return "", fmt.Errorf("even number of digits without filler 0xf in the last octet")
		}
	}
	if n <= 0 {
		return "", fmt.Errorf("no digits")
	}
	var buf [16]byte // IMEISV, the longest identity, has 16 digits (TS 23.003 §6.2.2)
	if n > len(buf) {
		return "", fmt.Errorf("%d digits, at most %d", n, len(buf))
	}
	d := buf[:n]
	for i := 0; i < n; i++ {
		j := i + 1 // nibble index; nibble 1 is the high half of octet 3
		c := v[j/2] & 0xf
		if j%2 == 1 {
			c = v[j/2] >> 4
		}
		if c > 9 {
			return "", fmt.Errorf("digit %d is 0x%x, not BCD", i+1, c)
		}
		d[i] = '0' + c
	}
	return string(d), nil
}

// appendBCDIdentity writes the identity value for typ and digits.
func appendBCDIdentity(dst []byte, typ uint8, digits string) ([]byte, error) {
	if len(digits) == 0 || len(digits) > 16 || !allDigits(digits) {
		return dst, fmt.Errorf("%w: identity digits %q", ErrInvalidValue, digits)
	}
	odd := len(digits)%2 == 1
	first := typ & 7
	if odd {
		first |= 0x08
	}
	dst = append(dst, (digits[0]-'0')<<4|first)
	for i := 1; i < len(digits); i += 2 {
		lo := digits[i] - '0'
		hi := byte(0xf)
		if i+1 < len(digits) {
			hi = digits[i+1] - '0'
		}
		dst = append(dst, hi<<4|lo)
	}
	return dst, nil
}
