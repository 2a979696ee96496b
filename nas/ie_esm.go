package nas

import (
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"
)

// APN is an access point name in dotted form, "internet.mnc001.mcc001.gprs"
// (TS 24.301 §9.9.4.1, TS 24.008 §10.5.6.1, TS 23.003 §9.1: on the wire each
// label is preceded by its length octet).
type APN string

func (a *APN) decode(v []byte) error {
	if len(v) == 0 || len(v) > maxAPNLen {
		return lengthError(len(v), 1, maxAPNLen)
	}
	var sb strings.Builder
	sb.Grow(len(v))
	for i := 0; i < len(v); {
		n := int(v[i])
		i++
		if n == 0 || n > maxLabelLen || i+n > len(v) {
			return fmt.Errorf("label length %d at octet %d: labels have 1 to %d octets within the %d-octet APN", n, i, maxLabelLen, len(v))
		}
		if sb.Len() > 0 {
			sb.WriteByte('.')
		}
		for _, c := range v[i : i+n] {
			if c == '.' {
				return fmt.Errorf("label contains '.'")
			}
		}
		sb.Write(v[i : i+n])
		i += n
	}
	*a = APN(sb.String())
	return nil
}

// APN limits, TS 23.003 §9.1: at most 100 octets encoded, labels of at
// most 63 octets.
const (
	maxAPNLen   = 100
	maxLabelLen = 63
)

func (a APN) appendTo(dst []byte) ([]byte, error) {
	if len(a) == 0 || len(a)+1 > maxAPNLen {
		return dst, fmt.Errorf("%w: APN of %d characters (encoded in 1 to %d octets, TS 23.003 §9.1)", ErrInvalidValue, len(a), maxAPNLen)
	}
	s := string(a)
	for len(s) > 0 {
		label := s
		if i := strings.IndexByte(s, '.'); i >= 0 {
			label, s = s[:i], s[i+1:]
			if len(s) == 0 {
				return dst, fmt.Errorf("%w: APN %q ends with '.'", ErrInvalidValue, string(a))
			}
		} else {
			s = ""
		}
		if len(label) == 0 || len(label) > maxLabelLen {
			return dst, fmt.Errorf("%w: APN %q has a label of %d octets", ErrInvalidValue, string(a), len(label))
		}
		dst = append(dst, byte(len(label)))
		dst = append(dst, label...)
	}
	return dst, nil
}

// PDNType is the PDN type IE (TS 24.301 §9.9.4.10) and the PDN type value of
// the PDN address IE (§9.9.4.9), 3 bits.
type PDNType uint8

// PDN types, TS 24.301 table 9.9.4.10.1.
const (
	PDNTypeIPv4     PDNType = 1
	PDNTypeIPv6     PDNType = 2
	PDNTypeIPv4v6   PDNType = 3
	PDNTypeNonIP    PDNType = 5
	PDNTypeEthernet PDNType = 6
)

// String names the value.
func (t PDNType) String() string {
	switch t {
	case PDNTypeIPv4:
		return "IPv4"
	case PDNTypeIPv6:
		return "IPv6"
	case PDNTypeIPv4v6:
		return "IPv4v6"
	case PDNTypeNonIP:
		return "NonIP"
	case PDNTypeEthernet:
		return "Ethernet"
	}
	return nibbleText("PDNType", uint8(t))
}

// MarshalText returns String().
func (t PDNType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

func (t *PDNType) setNibble(n uint8) error { *t = PDNType(n & 7); return nil }

func (t PDNType) nibble() (uint8, error) { return uint8(t) & 7, checkNibble("PDN type", uint8(t), 7) }

// RequestType is the request type IE of PDN CONNECTIVITY REQUEST (TS 24.301
// §9.9.4.14, TS 24.008 §10.5.6.17), 3 bits.
type RequestType uint8

// Request types, TS 24.008 table 10.5.173.
const (
	InitialRequest                   RequestType = 1
	Handover                         RequestType = 2
	Emergency                        RequestType = 4
	HandoverOfEmergencyBearerService RequestType = 6
)

// String names the value.
func (t RequestType) String() string {
	switch t {
	case InitialRequest:
		return "InitialRequest"
	case Handover:
		return "Handover"
	case Emergency:
		return "Emergency"
	case HandoverOfEmergencyBearerService:
		return "HandoverOfEmergencyBearerServices"
	}
	return nibbleText("RequestType", uint8(t))
}

// MarshalText returns String().
func (t RequestType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

func (t *RequestType) setNibble(n uint8) error { *t = RequestType(n & 7); return nil }

func (t RequestType) nibble() (uint8, error) {
	return uint8(t) & 7, checkNibble("request type", uint8(t), 7)
}

// PDNAddress is the PDN address IE (TS 24.301 §9.9.4.9): the PDN type and
// the IPv4 address and/or IPv6 interface identifier assigned to the UE.
type PDNAddress struct {
	Type PDNType
	// IPv4 is set for PDN types IPv4 and IPv4v6.
	IPv4 netip.Addr `json:",omitzero"`
	// IPv6InterfaceIdentifier is set for PDN types IPv6 and IPv4v6.
	IPv6InterfaceIdentifier [8]byte `json:",omitzero"`
	// Raw holds the address information of other PDN types as received.
	Raw Octets `json:",omitempty"`
}

func (a *PDNAddress) decode(v []byte) error {
	if len(v) < 1 {
		return lengthError(0, 5, 13)
	}
	*a = PDNAddress{Type: PDNType(v[0] & 7)}
	info := v[1:]
	switch a.Type {
	case PDNTypeIPv4:
		if len(info) != 4 {
			return fmt.Errorf("IPv4: address information of %d octets, want 4", len(info))
		}
		a.IPv4 = netip.AddrFrom4([4]byte(info))
	case PDNTypeIPv6:
		if len(info) != 8 {
			return fmt.Errorf("IPv6: address information of %d octets, want 8", len(info))
		}
		a.IPv6InterfaceIdentifier = [8]byte(info)
	case PDNTypeIPv4v6:
		if len(info) != 12 {
			return fmt.Errorf("IPv4v6: address information of %d octets, want 12", len(info))
		}
		a.IPv6InterfaceIdentifier = [8]byte(info[:8])
		a.IPv4 = netip.AddrFrom4([4]byte(info[8:]))
	default:
		a.Raw = info
	}
	// Bits 8-4 of octet 3 are spare; a non-zero spare is kept out of Type.
	if v[0]&0xf8 != 0 {
		return fmt.Errorf("spare bits 8-4 set in octet 3 (0x%02x)", v[0])
	}
	return nil
}

func (a PDNAddress) appendTo(dst []byte) ([]byte, error) {
	dst = append(dst, byte(a.Type)&7)
	switch a.Type {
	case PDNTypeIPv4, PDNTypeIPv4v6:
		if !a.IPv4.Is4() {
			return dst, fmt.Errorf("%w: PDN address of type %v without an IPv4 address", ErrInvalidValue, a.Type)
		}
		if a.Type == PDNTypeIPv4v6 {
			dst = append(dst, a.IPv6InterfaceIdentifier[:]...)
		}
		v4 := a.IPv4.As4()
		return append(dst, v4[:]...), nil
	case PDNTypeIPv6:
		return append(dst, a.IPv6InterfaceIdentifier[:]...), nil
	}
	return append(dst, a.Raw...), nil
}

// decodeBitRate reads a bit rate octet as coded in TS 24.301 §9.9.4.2 and
// §9.9.4.3 (TS 24.008 §10.5.6.5): 1-63 kbps in steps of 1, 64-568 in steps
// of 8, 576-8640 in steps of 64; 0xff is 0 kbps. 0x00 (reserved, or
// "subscribed" from the UE) reads as 0.
func decodeBitRate(o uint8) uint64 {
	switch {
	case o == 0 || o == 0xff:
		return 0
	case o < 0x40:
		return uint64(o)
	case o < 0x80:
		return 64 + uint64(o-0x40)*8
	}
	return 576 + uint64(o-0x80)*64
}

// decodeBitRateExt reads an "extended" octet: 8700-16000 kbps in steps of
// 100, 17-128 Mbps in steps of 1, 130-256 Mbps in steps of 2.
func decodeBitRateExt(o uint8) uint64 {
	switch {
	case o <= 0x4a:
		return 8600 + uint64(o)*100
	case o <= 0xba:
		return 16000 + uint64(o-0x4a)*1000
	case o <= 0xfa:
		return 128000 + uint64(o-0xba)*2000
	}
	return 256000
}

// encodeBitRate returns the base and extended octets for kbps (≤ 256 Mbps).
func encodeBitRate(kbps uint64) (base, ext uint8) {
	switch {
	case kbps == 0:
		return 0xff, 0
	case kbps <= 63:
		return uint8(kbps), 0
	case kbps <= 568:
		return 0x40 + uint8((kbps-64)/8), 0
	case kbps <= 8640:
		return 0x80 + uint8((kbps-576)/64), 0
	case kbps <= 16000:
		return 0xfe, uint8((kbps - 8600) / 100)
	case kbps <= 128000:
		return 0xfe, 0x4a + uint8((kbps-16000)/1000)
	case kbps <= 256000:
		return 0xfe, 0xba + uint8((kbps-128000)/2000)
	}
	return 0xfe, 0xfa
}

// decodeQoSBitRateExt2 reads the EPS QoS "extended-2" octet (TS 24.301
// §9.9.4.3): 260-500 Mbps in steps of 4, 510-1500 in steps of 10,
// 1600-10000 in steps of 100.
func decodeQoSBitRateExt2(o uint8) uint64 {
	switch {
	case o <= 0x3d:
		return 256000 + uint64(o)*4000
	case o <= 0xa1:
		return 500000 + uint64(o-0x3d)*10000
	case o <= 0xf6:
		return 1500000 + uint64(o-0xa1)*100000
	}
	return 10000000
}

func encodeQoSBitRateExt2(kbps uint64) uint8 {
	switch {
	case kbps <= 256000:
		return 0
	case kbps <= 500000:
		return uint8((kbps - 256000 + 3999) / 4000)
	case kbps <= 1500000:
		return 0x3d + uint8((kbps-500000+9999)/10000)
	case kbps <= 10000000:
		return 0xa1 + uint8((kbps-1500000+99999)/100000)
	}
	return 0xf6
}

// EPSQoS is the EPS quality of service IE (TS 24.301 §9.9.4.3): the QCI and,
// for GBR bearers, the maximum and guaranteed bit rates. BitRates holds
// octets 4 onwards as on the wire (0, 4, 8 or 12 octets: base, extended,
// extended-2 groups of MBR UL, MBR DL, GBR UL, GBR DL); use NewEPSQoS to build
// it from kbps and the methods to read kbps.
type EPSQoS struct {
	QCI      uint8
	BitRates Octets `json:",omitempty"`
}

// NewEPSQoS returns an EPS QoS with the given QCI and bit rates in kbps,
// using the shortest encoding that represents them (rates are rounded down
// to the coding's granularity; at most 10 Gbps). With all rates zero only
// the QCI is encoded (non-GBR bearer).
func NewEPSQoS(qci uint8, mbrUL, mbrDL, gbrUL, gbrDL uint64) EPSQoS {
	q := EPSQoS{QCI: qci}
	rates := [4]uint64{mbrUL, mbrDL, gbrUL, gbrDL}
	if rates == [4]uint64{} {
		return q
	}
	var base, ext, ext2 [4]byte
	var needExt, needExt2 bool
	for i, r := range rates {
		if r > 256000 {
			ext2[i] = encodeQoSBitRateExt2(r)
			needExt2 = true
			r = 256000
		}
		base[i], ext[i] = encodeBitRate(r)
		needExt = needExt || ext[i] != 0
	}
	b := append(make([]byte, 0, 12), base[:]...)
	if needExt || needExt2 {
		b = append(b, ext[:]...)
	}
	if needExt2 {
		b = append(b, ext2[:]...)
	}
	q.BitRates = b
	return q
}

// rate returns bit rate i (0 MBR UL, 1 MBR DL, 2 GBR UL, 3 GBR DL) in kbps.
func (q EPSQoS) rate(i int) uint64 {
	b := q.BitRates
	if len(b) < 4 {
		return 0
	}
	if len(b) >= 12 && b[8+i] != 0 {
		return decodeQoSBitRateExt2(b[8+i])
	}
	if len(b) >= 8 && b[4+i] != 0 {
		return decodeBitRateExt(b[4+i])
	}
	return decodeBitRate(b[i])
}

// MaximumBitRateUplink returns the MBR for uplink in kbps (0 if absent).
func (q EPSQoS) MaximumBitRateUplink() uint64 { return q.rate(0) }

// MaximumBitRateDownlink returns the MBR for downlink in kbps.
func (q EPSQoS) MaximumBitRateDownlink() uint64 { return q.rate(1) }

// GuaranteedBitRateUplink returns the GBR for uplink in kbps.
func (q EPSQoS) GuaranteedBitRateUplink() uint64 { return q.rate(2) }

// GuaranteedBitRateDownlink returns the GBR for downlink in kbps.
func (q EPSQoS) GuaranteedBitRateDownlink() uint64 { return q.rate(3) }

// MarshalJSON shows the QCI and, when present, the bit rates in kbps.
func (q EPSQoS) MarshalJSON() ([]byte, error) {
	type rates struct {
		QCI                       uint8
		MaximumBitRateUplink      uint64 `json:",omitempty"`
		MaximumBitRateDownlink    uint64 `json:",omitempty"`
		GuaranteedBitRateUplink   uint64 `json:",omitempty"`
		GuaranteedBitRateDownlink uint64 `json:",omitempty"`
		BitRates                  Octets `json:",omitempty"`
	}
	return json.Marshal(rates{q.QCI, q.rate(0), q.rate(1), q.rate(2), q.rate(3), q.BitRates})
}

func (q *EPSQoS) decode(v []byte) error {
	switch len(v) {
	case 1, 5, 9, 13:
	default:
		return fmt.Errorf("length %d, want 1, 5, 9 or 13", len(v))
	}
	q.QCI = v[0]
	q.BitRates = nil
	if len(v) > 1 {
		q.BitRates = v[1:]
	}
	return nil
}

func (q EPSQoS) appendTo(dst []byte) ([]byte, error) {
	switch len(q.BitRates) {
	case 0, 4, 8, 12:
	default:
		return dst, fmt.Errorf("%w: EPS QoS bit rates of %d octets (0, 4, 8 or 12)", ErrInvalidValue, len(q.BitRates))
	}
	dst = append(dst, q.QCI)
	return append(dst, q.BitRates...), nil
}

// APNAggregateMaximumBitRate is the value part of the APN aggregate maximum
// bit rate IE (TS 24.301 §9.9.4.2) as on the wire: APN-AMBR for downlink and
// uplink (octets 3-4), optionally their extended (5-6) and extended-2 (7-8)
// octets. Use NewAPNAggregateMaximumBitRate and the methods for kbps.
type APNAggregateMaximumBitRate []byte

// NewAPNAggregateMaximumBitRate encodes downlink and uplink rates in kbps
// with the shortest encoding (TS 24.301 §9.9.4.2; extended-2 counts 256
// Mbps steps, up to 65.28 Gbps over 256 Mbps).
func NewAPNAggregateMaximumBitRate(downlink, uplink uint64) APNAggregateMaximumBitRate {
	var ext2 [2]byte
	rates := [2]uint64{downlink, uplink}
	for i, r := range rates {
		if r > 256000 {
			n := (r - 256000 + 255999) / 256000 // smallest n leaving at most 256 Mbps
			if n > 0xfe {
				n = 0xfe
			}
			ext2[i] = byte(n)
			rates[i] = r - n*256000
			if rates[i] > 256000 {
				rates[i] = 256000
			}
		}
	}
	dlBase, dlExt := encodeBitRate(rates[0])
	ulBase, ulExt := encodeBitRate(rates[1])
	b := APNAggregateMaximumBitRate{dlBase, ulBase}
	if dlExt != 0 || ulExt != 0 || ext2 != [2]byte{} {
		b = append(b, dlExt, ulExt)
	}
	if ext2 != [2]byte{} {
		b = append(b, ext2[0], ext2[1])
	}
	return b
}

func (a APNAggregateMaximumBitRate) rate(i int) uint64 {
	if len(a) < 2 {
		return 0
	}
	r := decodeBitRate(a[i])
	if len(a) >= 4 && a[2+i] != 0 {
		r = decodeBitRateExt(a[2+i])
	}
	if len(a) >= 6 && a[4+i] != 0 {
		r += uint64(a[4+i]) * 256000
	}
	return r
}

// Downlink returns the APN-AMBR for downlink in kbps.
func (a APNAggregateMaximumBitRate) Downlink() uint64 { return a.rate(0) }

// Uplink returns the APN-AMBR for uplink in kbps.
func (a APNAggregateMaximumBitRate) Uplink() uint64 { return a.rate(1) }

// MarshalJSON shows the rates in kbps and the octets.
func (a APNAggregateMaximumBitRate) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		Downlink, Uplink uint64
		Octets           Octets
	}{a.Downlink(), a.Uplink(), Octets(a)})
}

func (a *APNAggregateMaximumBitRate) decode(v []byte) error {
	if len(v) < 2 {
		return lengthError(len(v), 2, 6)
	}
	*a = v
	return nil
}

func (a APNAggregateMaximumBitRate) appendTo(dst []byte) ([]byte, error) {
	return append(dst, a...), nil
}
