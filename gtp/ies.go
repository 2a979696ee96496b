package gtp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"

	"github.com/wmnsk/go-gtp/gtpv2/ie"
)

// IEType is a GTPv2-C information element type (TS 29.274 §8.1, Table 8.1-1).
type IEType uint8

// IE types this package reads or writes (TS 29.274 Table 8.1-1).
const (
	IEIMSI                    IEType = 1
	IECause                   IEType = 2
	IERecovery                IEType = 3
	IEAPN                     IEType = 71
	IEAMBR                    IEType = 72
	IEEBI                     IEType = 73
	IEIPAddress               IEType = 74
	IEMEI                     IEType = 75
	IEMSISDN                  IEType = 76
	IEIndication              IEType = 77
	IEPCO                     IEType = 78
	IEPAA                     IEType = 79
	IEBearerQoS               IEType = 80
	IERATType                 IEType = 82
	IEServingNetwork          IEType = 83
	IEBearerTFT               IEType = 84
	IEULI                     IEType = 86
	IEFTEID                   IEType = 87
	IEDelayValue              IEType = 92
	IEBearerContext           IEType = 93
	IEChargingID              IEType = 94
	IEChargingCharacteristics IEType = 95
	IEBearerFlags             IEType = 97
	IEPDNType                 IEType = 99
	IEPTI                     IEType = 100
	IEUETimeZone              IEType = 114
	IEAPNRestriction          IEType = 127
	IESelectionMode           IEType = 128
	IENodeType                IEType = 135
	IENodeFeatures            IEType = 152
	IEARP                     IEType = 155
	IEPrivateExtension        IEType = 255
)

var ieTypeNames = map[IEType]string{
	IEIMSI:                    "IMSI",
	IECause:                   "Cause",
	IERecovery:                "Recovery",
	IEAPN:                     "APN",
	IEAMBR:                    "AMBR",
	IEEBI:                     "EBI",
	IEIPAddress:               "IP Address",
	IEMEI:                     "MEI",
	IEMSISDN:                  "MSISDN",
	IEIndication:              "Indication",
	IEPCO:                     "PCO",
	IEPAA:                     "PAA",
	IEBearerQoS:               "Bearer QoS",
	IERATType:                 "RAT Type",
	IEServingNetwork:          "Serving Network",
	IEBearerTFT:               "Bearer TFT",
	IEULI:                     "ULI",
	IEFTEID:                   "F-TEID",
	IEDelayValue:              "Delay Value",
	IEBearerContext:           "Bearer Context",
	IEChargingID:              "Charging ID",
	IEChargingCharacteristics: "Charging Characteristics",
	IEBearerFlags:             "Bearer Flags",
	IEPDNType:                 "PDN Type",
	IEPTI:                     "PTI",
	IEUETimeZone:              "UE Time Zone",
	IEAPNRestriction:          "APN Restriction",
	IESelectionMode:           "Selection Mode",
	IENodeType:                "Node Type",
	IENodeFeatures:            "Node Features",
	IEARP:                     "ARP",
	IEPrivateExtension:        "Private Extension",
}

// String returns the TS 29.274 name of the IE type and its value.
func (t IEType) String() string {
	if n, ok := ieTypeNames[t]; ok {
		return n + " (" + strconv.Itoa(int(t)) + ")"
	}
	return "IE type " + strconv.Itoa(int(t))
}

// IEID names one IE of a message: its type and instance (TS 29.274 §6.1.3).
type IEID struct {
	Type     IEType
	Instance uint8
}

func (id IEID) String() string {
	return fmt.Sprintf("%v instance %d", id.Type, id.Instance)
}

// Cause is the Cause IE (TS 29.274 §8.4). Value 0 means absent.
type Cause struct {
	Value CauseValue
	// PCE (Remote PDN Connection IE Error), BCE (Bearer Context IE Error)
	// and CS (Cause Source: 1 = originated by the remote node), §8.4.
	PCE, BCE, CS bool
	// Offending names the IE that caused a rejection; meaningful when
	// HasOffending is set (TS 29.274 §8.4: Mandatory IE missing and
	// Mandatory/Conditional IE incorrect carry it).
	Offending    IEID
	HasOffending bool
}

// Accepted reports whether the cause is an acceptance (16-63).
func (c Cause) Accepted() bool { return c.Value.Accepted() }

// PLMN is an MCC and MNC as decimal digit strings (MNC of 2 or 3 digits),
// coded per TS 24.008 §10.5.1.13 where it appears on the wire
// (Serving Network TS 29.274 §8.18, ULI §8.21).
type PLMN struct {
	MCC string
	MNC string
}

// IsZero reports whether p is absent.
func (p PLMN) IsZero() bool { return p.MCC == "" && p.MNC == "" }

func (p PLMN) String() string { return p.MCC + "-" + p.MNC }

// TAI is a tracking area identity (TS 29.274 §8.21.4).
type TAI struct {
	PLMN PLMN
	TAC  uint16
}

// ECGI is an E-UTRAN cell global identity (TS 29.274 §8.21.5); ECI has 28
// significant bits.
type ECGI struct {
	PLMN PLMN
	ECI  uint32
}

// ULI is the User Location Information IE (TS 29.274 §8.21) as used on S11:
// its TAI and ECGI parts. A zero TAI or ECGI (empty PLMN) is absent; the
// UTRAN/GERAN parts (CGI, SAI, RAI, LAI) and macro eNodeB IDs are skipped
// on decoding and never encoded.
type ULI struct {
	TAI  TAI
	ECGI ECGI
}

// IsZero reports whether u carries neither a TAI nor an ECGI.
func (u ULI) IsZero() bool { return u.TAI.PLMN.IsZero() && u.ECGI.PLMN.IsZero() }

// FTEID is the Fully Qualified TEID IE (TS 29.274 §8.22). At least one
// address is present in a valid F-TEID; the zero value means absent.
type FTEID struct {
	Interface InterfaceType
	TEID      uint32
	IPv4      netip.Addr
	IPv6      netip.Addr
}

// IsZero reports whether f is absent (no address).
func (f FTEID) IsZero() bool { return !f.IPv4.IsValid() && !f.IPv6.IsValid() }

// AMBR is the Aggregate Maximum Bit Rate IE (TS 29.274 §8.7), in kbit/s.
type AMBR struct {
	Uplink   uint32
	Downlink uint32
}

// ARP is the allocation and retention priority (TS 29.274 §8.86, also the
// first octet of Bearer QoS §8.15). PCI and PVI are the raw bits as defined
// in TS 29.212 §5.3.46-47: PCI true means the bearer may NOT pre-empt, PVI
// true means it may NOT be pre-empted. PL is 1 (highest) to 15.
type ARP struct {
	PCI bool
	PL  uint8
	PVI bool
}

func (a ARP) octet() uint8 {
	b := (a.PL & 0x0f) << 2
	if a.PCI {
		b |= 0x40
	}
	if a.PVI {
		b |= 0x01
	}
	return b
}

func arpFromOctet(b uint8) ARP {
	return ARP{PCI: b&0x40 != 0, PL: (b >> 2) & 0x0f, PVI: b&0x01 != 0}
}

// BearerQoS is the Bearer Level QoS IE (TS 29.274 §8.15). Bit rates are in
// kbit/s (40-bit fields on the wire). QCI 0 means absent.
type BearerQoS struct {
	ARP         ARP
	QCI         uint8
	MBRUplink   uint64
	MBRDownlink uint64
	GBRUplink   uint64
	GBRDownlink uint64
}

// IsZero reports whether q is absent.
func (q BearerQoS) IsZero() bool { return q.QCI == 0 }

// PAA is the PDN Address Allocation IE (TS 29.274 §8.14). IPv6 carries the
// prefix length and the address (prefix plus interface identifier).
// Type 0 means absent.
type PAA struct {
	Type PDNType
	IPv4 netip.Addr
	IPv6 netip.Prefix
}

// IsZero reports whether p is absent.
func (p PAA) IsZero() bool { return p.Type == 0 }

// UETimeZone is the UE Time Zone IE (TS 29.274 §8.44): the time zone octet
// coded as in TS 24.008 §10.5.3.8 and the daylight saving time adjustment
// (0-2 hours).
type UETimeZone struct {
	TimeZone       uint8
	DaylightSaving uint8
}

// errIEValue marks a value that cannot be encoded or decoded.
var errIEValue = errors.New("invalid IE value")

func ieErrorf(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errIEValue}, a...)...)
}

// TBCD digits (TS 29.274 §8.3, §8.10, §8.11; TS 29.002 TBCD-STRING): low
// nibble first, 0xF filler in the last high nibble only.

func encodeTBCD(digits string, max int) ([]byte, error) {
	if len(digits) == 0 || len(digits) > max {
		return nil, ieErrorf("%d digits (want 1 to %d)", len(digits), max)
	}
	b := make([]byte, (len(digits)+1)/2)
	for k := 0; k < len(digits); k++ {
		c := digits[k]
		if c < '0' || c > '9' {
			return nil, ieErrorf("non-digit %q", c)
		}
		if k%2 == 0 {
			b[k/2] = c - '0'
		} else {
			b[k/2] |= (c - '0') << 4
		}
	}
	if len(digits)%2 == 1 {
		b[len(b)-1] |= 0xf0
	}
	return b, nil
}

func decodeTBCD(b []byte) (string, error) {
	if len(b) == 0 {
		return "", ieErrorf("empty digit string")
	}
	d := make([]byte, 0, 2*len(b))
	for k, o := range b {
		lo, hi := o&0x0f, o>>4
		if lo > 9 {
			return "", ieErrorf("non-decimal digit %#x", lo)
		}
		d = append(d, '0'+lo)
		if hi == 0x0f && k == len(b)-1 {
			break
		}
		if hi > 9 {
			return "", ieErrorf("non-decimal digit %#x", hi)
		}
		d = append(d, '0'+hi)
	}
	return string(d), nil
}

func validPLMN(p PLMN) error {
	if len(p.MCC) != 3 || (len(p.MNC) != 2 && len(p.MNC) != 3) {
		return ieErrorf("PLMN %q/%q: want 3-digit MCC and 2- or 3-digit MNC", p.MCC, p.MNC)
	}
	for _, s := range [2]string{p.MCC, p.MNC} {
		for k := 0; k < len(s); k++ {
			if s[k] < '0' || s[k] > '9' {
				return ieErrorf("PLMN %q/%q: non-digit", p.MCC, p.MNC)
			}
		}
	}
	return nil
}

// encodePLMN codes p in 3 octets (TS 24.008 §10.5.1.13, Figure 10.5.13).
func encodePLMN(p PLMN) ([3]byte, error) {
	var b [3]byte
	if err := validPLMN(p); err != nil {
		return b, err
	}
	b[0] = (p.MCC[1]-'0')<<4 | (p.MCC[0] - '0')
	mnc3 := uint8(0x0f)
	if len(p.MNC) == 3 {
		mnc3 = p.MNC[2] - '0'
	}
	b[1] = mnc3<<4 | (p.MCC[2] - '0')
	b[2] = (p.MNC[1]-'0')<<4 | (p.MNC[0] - '0')
	return b, nil
}

func decodePLMN(b []byte) (PLMN, error) {
	if len(b) < 3 {
		return PLMN{}, ieErrorf("PLMN: %d octets", len(b))
	}
	n := [6]uint8{b[0] & 0x0f, b[0] >> 4, b[1] & 0x0f, b[2] & 0x0f, b[2] >> 4, b[1] >> 4}
	for k := 0; k < 5; k++ {
		if n[k] > 9 {
			return PLMN{}, ieErrorf("PLMN: non-decimal digit %#x", n[k])
		}
	}
	p := PLMN{MCC: string([]byte{'0' + n[0], '0' + n[1], '0' + n[2]})}
	switch {
	case n[5] == 0x0f:
		p.MNC = string([]byte{'0' + n[3], '0' + n[4]})
	case n[5] <= 9:
		p.MNC = string([]byte{'0' + n[3], '0' + n[4], '0' + n[5]})
	default:
		return PLMN{}, ieErrorf("PLMN: non-decimal MNC digit %#x", n[5])
	}
	return p, nil
}

// ---- IE builders (values → go-gtp IEs) ----

func newDigitsIE(t IEType, digits string, max int) (*ie.IE, error) {
	b, err := encodeTBCD(digits, max)
	if err != nil {
		return nil, err
	}
	return ie.New(uint8(t), 0, b), nil
}

func newCauseIE(c Cause) *ie.IE {
	var flags uint8
	if c.PCE {
		flags |= 0x04
	}
	if c.BCE {
		flags |= 0x02
	}
	if c.CS {
		flags |= 0x01
	}
	p := []byte{uint8(c.Value), flags}
	if c.HasOffending {
		// TS 29.274 §8.4: type, length (zero) and instance of the offending IE.
		p = append(p, uint8(c.Offending.Type), 0, 0, c.Offending.Instance&0x0f)
	}
	return ie.New(ie.Cause, 0, p)
}

func newFTEIDIE(f FTEID, inst uint8) (*ie.IE, error) {
	if f.IsZero() {
		return nil, ieErrorf("F-TEID without an address")
	}
	var v4, v6 net.IP
	if f.IPv4.IsValid() {
		if !f.IPv4.Is4() {
			return nil, ieErrorf("F-TEID IPv4 %v", f.IPv4)
		}
		a := f.IPv4.As4()
		v4 = a[:]
	}
	if f.IPv6.IsValid() {
		if !f.IPv6.Is6() {
			return nil, ieErrorf("F-TEID IPv6 %v", f.IPv6)
		}
		a := f.IPv6.As16()
		v6 = a[:]
	}
	if f.Interface > 0x3f {
		return nil, ieErrorf("F-TEID interface type %d", f.Interface)
	}
	i := ie.NewFullyQualifiedTEIDNetIP(uint8(f.Interface), f.TEID, v4, v6)
	if i == nil {
		return nil, ieErrorf("F-TEID")
	}
	i.SetInstance(inst)
	return i, nil
}

func newULIIE(u ULI) (*ie.IE, error) {
	var tai *ie.TAI
	var ecgi *ie.ECGI
	if !u.TAI.PLMN.IsZero() {
		if err := validPLMN(u.TAI.PLMN); err != nil {
			return nil, fmt.Errorf("ULI TAI: %w", err)
		}
		tai = ie.NewTAI(u.TAI.PLMN.MCC, u.TAI.PLMN.MNC, u.TAI.TAC)
	}
	if !u.ECGI.PLMN.IsZero() {
		if err := validPLMN(u.ECGI.PLMN); err != nil {
			return nil, fmt.Errorf("ULI ECGI: %w", err)
		}
		if u.ECGI.ECI > 0x0fffffff {
			return nil, ieErrorf("ULI ECI %#x exceeds 28 bits", u.ECGI.ECI)
		}
		ecgi = ie.NewECGI(u.ECGI.PLMN.MCC, u.ECGI.PLMN.MNC, u.ECGI.ECI)
	}
	i := ie.NewUserLocationInformationStruct(nil, nil, nil, tai, ecgi, nil, nil, nil)
	if i == nil {
		return nil, ieErrorf("ULI")
	}
	return i, nil
}

func newServingNetworkIE(p PLMN) (*ie.IE, error) {
	b, err := encodePLMN(p)
	if err != nil {
		return nil, fmt.Errorf("Serving Network: %w", err)
	}
	return ie.New(ie.ServingNetwork, 0, b[:]), nil
}

func newAPNIE(apn string) (*ie.IE, error) {
	// TS 29.274 §8.6, TS 23.003 §9.1: labels of 1 to 63 octets, at most 100 octets.
	if len(apn) == 0 || len(apn) > 99 {
		return nil, ieErrorf("APN of %d octets", len(apn))
	}
	start := 0
	for k := 0; k <= len(apn); k++ {
		if k == len(apn) || apn[k] == '.' {
			if n := k - start; n == 0 || n > 63 {
				return nil, ieErrorf("APN %q: label of %d octets", apn, n)
			}
			start = k + 1
		}
	}
	return ie.NewAccessPointName(apn), nil
}

func newAMBRIE(a AMBR) *ie.IE { return ie.NewAggregateMaximumBitRate(a.Uplink, a.Downlink) }

func newBearerQoSIE(q BearerQoS) (*ie.IE, error) {
	const max40 = 1<<40 - 1
	if q.MBRUplink > max40 || q.MBRDownlink > max40 || q.GBRUplink > max40 || q.GBRDownlink > max40 {
		return nil, ieErrorf("Bearer QoS bit rate exceeds 40 bits")
	}
	if q.ARP.PL > 15 {
		return nil, ieErrorf("Bearer QoS priority level %d", q.ARP.PL)
	}
	b := make([]byte, 22)
	b[0] = q.ARP.octet()
	b[1] = q.QCI
	put40(b[2:], q.MBRUplink)
	put40(b[7:], q.MBRDownlink)
	put40(b[12:], q.GBRUplink)
	put40(b[17:], q.GBRDownlink)
	return ie.New(ie.BearerQoS, 0, b), nil
}

func put40(b []byte, v uint64) {
	b[0], b[1], b[2], b[3], b[4] = uint8(v>>32), uint8(v>>24), uint8(v>>16), uint8(v>>8), uint8(v)
}

func newPAAIE(p PAA) (*ie.IE, error) {
	var v4, v6 net.IP
	var plen uint8
	switch p.Type {
	case PDNTypeIPv4, PDNTypeIPv4v6:
		if !p.IPv4.Is4() {
			return nil, ieErrorf("PAA %v without IPv4 address", p.Type)
		}
		a := p.IPv4.As4()
		v4 = a[:]
	}
	switch p.Type {
	case PDNTypeIPv6, PDNTypeIPv4v6:
		if !p.IPv6.IsValid() || !p.IPv6.Addr().Is6() {
			return nil, ieErrorf("PAA %v without IPv6 prefix", p.Type)
		}
		a := p.IPv6.Addr().As16()
		v6 = a[:]
		plen = uint8(p.IPv6.Bits())
	case PDNTypeIPv4, PDNTypeNonIP:
	default:
		return nil, ieErrorf("PAA PDN type %d", p.Type)
	}
	b, err := ie.NewPDNAddressAllocationFields(uint8(p.Type), v4, v6, plen).Marshal()
	if err != nil {
		return nil, ieErrorf("PAA: %v", err)
	}
	return ie.New(ie.PDNAddressAllocation, 0, b), nil
}

// ---- IE readers (go-gtp IEs → values) ----

func readUint8(i *ie.IE) (uint8, error) {
	if len(i.Payload) < 1 {
		return 0, ieErrorf("%v: empty", IEType(i.Type))
	}
	return i.Payload[0], nil
}

func readCause(i *ie.IE) (Cause, error) {
	// TS 29.274 §8.4: 2 octets, or 6 with the offending IE.
	if len(i.Payload) < 2 {
		return Cause{}, ieErrorf("Cause: %d octets", len(i.Payload))
	}
	c := Cause{
		Value: CauseValue(i.Payload[0]),
		PCE:   i.Payload[1]&0x04 != 0,
		BCE:   i.Payload[1]&0x02 != 0,
		CS:    i.Payload[1]&0x01 != 0,
	}
	if c.Value == 0 {
		return Cause{}, ieErrorf("Cause: reserved value 0")
	}
	if len(i.Payload) >= 6 {
		c.Offending = IEID{Type: IEType(i.Payload[2]), Instance: i.Payload[5] & 0x0f}
		c.HasOffending = true
	}
	return c, nil
}

// readDigits reads a TBCD digit string of at most max digits: IMSI 15
// (TS 23.003 §2.2), MSISDN 15 (E.164), MEI 16 (IMEISV, TS 23.003 §6.2).
func readDigits(i *ie.IE, max int) (string, error) {
	s, err := decodeTBCD(i.Payload)
	if err == nil && len(s) > max {
		return "", ieErrorf("%d digits (at most %d)", len(s), max)
	}
	return s, err
}

func readFTEID(i *ie.IE) (FTEID, error) {
	f, err := ie.ParseFullyQualifiedTEIDFields(i.Payload)
	if err != nil {
		return FTEID{}, ieErrorf("F-TEID: %v", err)
	}
	out := FTEID{Interface: InterfaceType(f.InterfaceType), TEID: f.TEIDGREKey}
	if f.IPv4Address != nil {
		out.IPv4, _ = netip.AddrFromSlice(f.IPv4Address.To4())
	}
	if f.IPv6Address != nil {
		if a, ok := netip.AddrFromSlice(f.IPv6Address.To16()); ok {
			out.IPv6 = a
		}
	}
	if out.IsZero() {
		// TS 29.274 §8.22: at least one of V4 and V6 shall be set.
		return FTEID{}, ieErrorf("F-TEID without an address")
	}
	return out, nil
}

func readULI(i *ie.IE) (ULI, error) {
	f := &ie.UserLocationInformationFields{}
	if err := f.UnmarshalBinary(i.Payload); err != nil {
		return ULI{}, ieErrorf("ULI: %v", err)
	}
	var u ULI
	var err error
	if f.TAI != nil {
		u.TAI.TAC = f.TAI.TAC
		if u.TAI.PLMN, err = plmnFromStrings(f.TAI.PLMN); err != nil {
			return ULI{}, fmt.Errorf("ULI TAI: %w", err)
		}
	}
	if f.ECGI != nil {
		u.ECGI.ECI = f.ECGI.ECI & 0x0fffffff
		if u.ECGI.PLMN, err = plmnFromStrings(f.ECGI.PLMN); err != nil {
			return ULI{}, fmt.Errorf("ULI ECGI: %w", err)
		}
	}
	return u, nil
}

func plmnFromStrings(p *ie.PLMN) (PLMN, error) {
	if p == nil {
		return PLMN{}, ieErrorf("PLMN missing")
	}
	out := PLMN{MCC: p.MCC, MNC: p.MNC}
	if err := validPLMN(out); err != nil {
		return PLMN{}, err
	}
	return out, nil
}

func readServingNetwork(i *ie.IE) (PLMN, error) { return decodePLMN(i.Payload) }

func readAPN(i *ie.IE) (string, error) {
	// TS 23.003 §9.1: length-prefixed labels.
	b := i.Payload
	if len(b) == 0 {
		return "", ieErrorf("APN: empty")
	}
	if len(b) > 100 {
		return "", ieErrorf("APN: %d octets (at most 100)", len(b))
	}
	for k := 0; k < len(b); {
		n := int(b[k])
		if n == 0 || n > 63 || k+1+n > len(b) {
			return "", ieErrorf("APN: bad label length at octet %d", k)
		}
		for _, c := range b[k+1 : k+1+n] {
			if c == '.' {
				return "", ieErrorf("APN: '.' inside a label")
			}
		}
		k += 1 + n
	}
	s, err := i.AccessPointName()
	if err != nil {
		return "", ieErrorf("APN: %v", err)
	}
	return s, nil
}

func readAMBR(i *ie.IE) (AMBR, error) {
	f, err := ie.ParseAggregateMaximumBitRateFields(i.Payload)
	if err != nil {
		return AMBR{}, ieErrorf("AMBR: %v", err)
	}
	return AMBR{Uplink: f.APNAMBRForUplink, Downlink: f.APNAMBRForDownlink}, nil
}

func readBearerQoS(i *ie.IE) (BearerQoS, error) {
	f, err := ie.ParseBearerQoSFields(i.Payload)
	if err != nil {
		return BearerQoS{}, ieErrorf("Bearer QoS: %v", err)
	}
	q := BearerQoS{
		ARP:         arpFromOctet(f.ARP),
		QCI:         f.QCI,
		MBRUplink:   f.MaximumBitRateForUplink,
		MBRDownlink: f.MaximumBitRateForDownlink,
		GBRUplink:   f.GuaranteedBitRateForUplink,
		GBRDownlink: f.GuaranteedBitRateForDownlink,
	}
	if q.QCI == 0 {
		return BearerQoS{}, ieErrorf("Bearer QoS: QCI 0")
	}
	return q, nil
}

func readPAA(i *ie.IE) (PAA, error) {
	f := &ie.PDNAddressAllocationFields{}
	if err := f.UnmarshalBinary(i.Payload); err != nil {
		return PAA{}, ieErrorf("PAA: %v", err)
	}
	p := PAA{Type: PDNType(f.PDNType)}
	switch p.Type {
	case PDNTypeIPv4, PDNTypeIPv6, PDNTypeIPv4v6, PDNTypeNonIP:
	default:
		return PAA{}, ieErrorf("PAA: PDN type %d", f.PDNType)
	}
	if f.IPv4Address != nil {
		p.IPv4, _ = netip.AddrFromSlice(f.IPv4Address.To4())
	}
	if f.IPv6Address != nil {
		a, _ := netip.AddrFromSlice(f.IPv6Address.To16())
		if f.IPv6PrefixLength > 128 {
			return PAA{}, ieErrorf("PAA: IPv6 prefix length %d", f.IPv6PrefixLength)
		}
		p.IPv6 = netip.PrefixFrom(a, int(f.IPv6PrefixLength))
	}
	return p, nil
}

func readUETimeZone(i *ie.IE) (UETimeZone, error) {
	if len(i.Payload) < 2 {
		return UETimeZone{}, ieErrorf("UE Time Zone: %d octets", len(i.Payload))
	}
	return UETimeZone{TimeZone: i.Payload[0], DaylightSaving: i.Payload[1] & 0x03}, nil
}

func readUint32(i *ie.IE) (uint32, error) {
	if len(i.Payload) < 4 {
		return 0, ieErrorf("%v: %d octets", IEType(i.Type), len(i.Payload))
	}
	return binary.BigEndian.Uint32(i.Payload), nil
}

func readUint16(i *ie.IE) (uint16, error) {
	if len(i.Payload) < 2 {
		return 0, ieErrorf("%v: %d octets", IEType(i.Type), len(i.Payload))
	}
	return binary.BigEndian.Uint16(i.Payload), nil
}

// readEBI reads an EPS Bearer ID (TS 29.274 §8.8): 4 bits, 0 to 15.
func readEBI(i *ie.IE) (uint8, error) {
	v, err := readUint8(i)
	return v & 0x0f, err
}

// readOctets copies an opaque value (PCO, TFT, Indication): decoded messages
// never alias the input buffer. A present IE gives a non-nil slice.
func readOctets(i *ie.IE) ([]byte, error) {
	return append(make([]byte, 0, len(i.Payload)), i.Payload...), nil
}

// readTFT reads an EPS bearer level TFT: at least the octet with the TFT
// operation code (TS 24.008 §10.5.6.12).
func readTFT(i *ie.IE) ([]byte, error) {
	if len(i.Payload) == 0 {
		return nil, ieErrorf("Bearer TFT: empty")
	}
	return readOctets(i)
}

// readLBI reads a Linked EPS Bearer ID: a default bearer, 5 to 15
// (TS 24.007 §11.2.3.1.5: 0 is "not assigned", 1 to 4 are reserved).
func readLBI(i *ie.IE) (uint8, error) {
	v, err := readEBI(i)
	if err == nil && v < 5 {
		return 0, ieErrorf("linked EBI %d", v)
	}
	return v, err
}

// readRATType reads a RAT Type; 0 is reserved (TS 29.274 Table 8.17-1).
func readRATType(i *ie.IE) (RATType, error) {
	v, err := readUint8(i)
	if err == nil && v == 0 {
		return 0, ieErrorf("RAT Type 0 is reserved")
	}
	return RATType(v), err
}

func readARP(i *ie.IE) (ARP, error) {
	v, err := readUint8(i)
	if err != nil {
		return ARP{}, err
	}
	return arpFromOctet(v), nil
}
