package s6a

import (
	"fmt"
	"net/netip"

	"github.com/fiorix/go-diameter/v4/diam"
)

// SubscriberStatus values (TS 29.272 §7.3.29).
const (
	ServiceGranted            uint32 = 0
	OperatorDeterminedBarring uint32 = 1
)

// NetworkAccessMode values (TS 29.272 §7.3.21).
const (
	PacketAndCircuit uint32 = 0
	OnlyPacket       uint32 = 2
)

// Access-Restriction-Data bits (TS 29.272 §7.3.31).
const (
	UTRANNotAllowed          uint32 = 1 << 0
	GERANNotAllowed          uint32 = 1 << 1
	GANNotAllowed            uint32 = 1 << 2
	IHSPAEvolutionNotAllowed uint32 = 1 << 3
	WBEUTRANNotAllowed       uint32 = 1 << 4
	HOToNon3GPPNotAllowed    uint32 = 1 << 5
	NBIoTNotAllowed          uint32 = 1 << 6
)

// PDN-Type values (TS 29.272 §7.3.62).
const (
	PDNTypeIPv4       uint32 = 0
	PDNTypeIPv6       uint32 = 1
	PDNTypeIPv4v6     uint32 = 2
	PDNTypeIPv4OrIPv6 uint32 = 3
)

// Pre-emption-Capability and -Vulnerability values (TS 29.212 §5.3.46-47).
const (
	PreemptionCapabilityEnabled     uint32 = 0
	PreemptionCapabilityDisabled    uint32 = 1
	PreemptionVulnerabilityEnabled  uint32 = 0
	PreemptionVulnerabilityDisabled uint32 = 1
)

// SubscriptionData is Subscription-Data (TS 29.272 §7.3.2), the EPS part
// an MME uses. Optional numbers are pointers: nil means the AVP is absent,
// which for IDR means "unchanged" (§5.2.2.1).
type SubscriptionData struct {
	SubscriberStatus          *uint32 // §7.3.29
	MSISDN                    string  // §7.3.2 via TS 29.329: digits, TBCD on the wire; "" when absent
	NetworkAccessMode         *uint32 // §7.3.21
	OperatorDeterminedBarring *uint32 // §7.3.30, bit mask
	AccessRestrictionData     *uint32 // §7.3.31, bit mask
	ChargingCharacteristics   string  // 3GPP-Charging-Characteristics, TS 29.061 §16.4.7
	AMBR                      *AMBR   // UE-AMBR (§7.3.41)
	APNConfigurationProfile   *APNConfigurationProfile
	// SubscribedPeriodicTAUTimer is in seconds (§7.3.134), 0 when absent.
	SubscribedPeriodicTAUTimer uint32
}

// AMBR is an aggregate maximum bit rate (TS 29.272 §7.3.41), in bit/s.
type AMBR struct {
	MaxRequestedBandwidthUL uint32
	MaxRequestedBandwidthDL uint32
}

// APNConfigurationProfile is APN-Configuration-Profile (TS 29.272 §7.3.34).
type APNConfigurationProfile struct {
	// ContextIdentifier names the default APN's configuration (§7.3.27).
	ContextIdentifier uint32
	// AllAPNConfigurationsIncluded is false for "modified/added APN
	// configurations included" (§7.3.33).
	AllAPNConfigurationsIncluded bool
	APNConfigurations            []APNConfiguration
}

// APNConfiguration is APN-Configuration (TS 29.272 §7.3.35).
type APNConfiguration struct {
	ContextIdentifier          uint32
	ServedPartyIPAddress       []netip.Addr // static UE addresses (0 to 2)
	PDNType                    uint32
	ServiceSelection           string // the APN (RFC 5778 Service-Selection)
	EPSSubscribedQoS           *EPSSubscribedQoSProfile
	VPLMNDynamicAddressAllowed *bool
	PDNGWAllocationType        *uint32
	ChargingCharacteristics    string
	AMBR                       *AMBR // APN-AMBR
}

// EPSSubscribedQoSProfile is EPS-Subscribed-QoS-Profile (TS 29.272
// §7.3.37): the default bearer's QCI and ARP (TS 29.212 §5.3.17, §5.3.32).
type EPSSubscribedQoSProfile struct {
	QCI                     uint32
	PriorityLevel           uint32 // 1..15
	PreemptionCapability    uint32
	PreemptionVulnerability uint32
}

// DefaultAPN returns the APN configuration the profile's Context-Identifier
// names (TS 29.272 §7.3.34), or nil.
func (p *APNConfigurationProfile) DefaultAPN() *APNConfiguration {
	if p == nil {
		return nil
	}
	for i := range p.APNConfigurations {
		if p.APNConfigurations[i].ContextIdentifier == p.ContextIdentifier {
			return &p.APNConfigurations[i]
		}
	}
	return nil
}

func (s *SubscriptionData) avp() *diam.AVP {
	var in []*diam.AVP
	if s.SubscriberStatus != nil {
		in = append(in, tgppEnum(codeSubscriberStatus, flagMV, *s.SubscriberStatus))
	}
	if s.MSISDN != "" {
		in = append(in, tgppOctets(codeMSISDN, EncodeTBCD(s.MSISDN)))
	}
	if s.NetworkAccessMode != nil {
		in = append(in, tgppEnum(codeNetworkAccessMode, flagMV, *s.NetworkAccessMode))
	}
	if s.OperatorDeterminedBarring != nil {
		in = append(in, tgppU32(codeOperatorDeterminedBarring, flagMV, *s.OperatorDeterminedBarring))
	}
	if s.AccessRestrictionData != nil {
		in = append(in, tgppU32(codeAccessRestrictionData, flagMV, *s.AccessRestrictionData))
	}
	if s.ChargingCharacteristics != "" {
		in = append(in, tgpp(codeChargingCharacteristics, flagV, utf8Value(s.ChargingCharacteristics)))
	}
	if s.AMBR != nil {
		in = append(in, s.AMBR.avp())
	}
	if p := s.APNConfigurationProfile; p != nil {
		pin := make([]*diam.AVP, 0, 2+len(p.APNConfigurations))
		all := uint32(1)
		if p.AllAPNConfigurationsIncluded {
			all = 0
		}
		pin = append(pin,
			tgppU32(codeContextIdentifier, flagMV, p.ContextIdentifier),
			tgppEnum(codeAllAPNConfigsIncluded, flagMV, all))
		for i := range p.APNConfigurations {
			pin = append(pin, p.APNConfigurations[i].avp())
		}
		in = append(in, group(codeAPNConfigurationProfile, flagMV, Vendor3GPP, pin...))
	}
	if s.SubscribedPeriodicTAUTimer != 0 {
		in = append(in, tgppU32(codeSubscribedPeriodicTAUTimer, flagV, s.SubscribedPeriodicTAUTimer))
	}
	return group(codeSubscriptionData, flagMV, Vendor3GPP, in...)
}

func (a *AMBR) avp() *diam.AVP {
	return group(codeAMBR, flagMV, Vendor3GPP,
		tgppU32(codeMaxRequestedBandwidthUL, flagMV, a.MaxRequestedBandwidthUL),
		tgppU32(codeMaxRequestedBandwidthDL, flagMV, a.MaxRequestedBandwidthDL))
}

func (c *APNConfiguration) avp() *diam.AVP {
	in := make([]*diam.AVP, 0, 8)
	in = append(in, tgppU32(codeContextIdentifier, flagMV, c.ContextIdentifier))
	for _, ip := range c.ServedPartyIPAddress {
		in = append(in, address(codeServedPartyIPAddress, flagMV, Vendor3GPP, ip))
	}
	in = append(in,
		tgppEnum(codePDNType, flagMV, c.PDNType),
		utf8(codeServiceSelection, c.ServiceSelection))
	if q := c.EPSSubscribedQoS; q != nil {
		in = append(in, group(codeEPSSubscribedQoSProfile, flagMV, Vendor3GPP,
			tgppEnum(codeQoSClassIdentifier, flagMV, q.QCI),
			group(codeAllocationRetentionPriority, flagV, Vendor3GPP,
				tgppU32(codePriorityLevel, flagV, q.PriorityLevel),
				tgppEnum(codePreemptionCapability, flagV, q.PreemptionCapability),
				tgppEnum(codePreemptionVulnerability, flagV, q.PreemptionVulnerability))))
	}
	if c.VPLMNDynamicAddressAllowed != nil {
		v := uint32(0)
		if *c.VPLMNDynamicAddressAllowed {
			v = 1
		}
		in = append(in, tgppEnum(codeVPLMNDynamicAddressAllowed, flagMV, v))
	}
	if c.PDNGWAllocationType != nil {
		in = append(in, tgppEnum(codePDNGWAllocationType, flagMV, *c.PDNGWAllocationType))
	}
	if c.ChargingCharacteristics != "" {
		in = append(in, tgpp(codeChargingCharacteristics, flagV, utf8Value(c.ChargingCharacteristics)))
	}
	if c.AMBR != nil {
		in = append(in, c.AMBR.avp())
	}
	return group(codeAPNConfiguration, flagMV, Vendor3GPP, in...)
}

func optU32(a *diam.AVP) (*uint32, error) {
	v, err := asU32(a)
	return &v, err
}

func decodeSubscriptionData(a *diam.AVP) (*SubscriptionData, error) {
	g, err := asGroup(a)
	if err != nil {
		return nil, err
	}
	s := &SubscriptionData{}
	err = forEach(g, func(x *diam.AVP) (err error) {
		if x.VendorID != Vendor3GPP {
			return nil
		}
		switch x.Code {
		case codeSubscriberStatus:
			s.SubscriberStatus, err = optU32(x)
		case codeMSISDN:
			var b []byte
			if b, err = asBytes(x); err == nil {
				s.MSISDN, err = DecodeTBCD(b)
				if err != nil {
					err = avpError(x.Code, ResultInvalidAVPValue, err.Error())
				}
			}
		case codeNetworkAccessMode:
			s.NetworkAccessMode, err = optU32(x)
		case codeOperatorDeterminedBarring:
			s.OperatorDeterminedBarring, err = optU32(x)
		case codeAccessRestrictionData:
			s.AccessRestrictionData, err = optU32(x)
		case codeChargingCharacteristics:
			s.ChargingCharacteristics, err = asString(x)
		case codeAMBR:
			s.AMBR, err = decodeAMBR(x)
		case codeAPNConfigurationProfile:
			s.APNConfigurationProfile, err = decodeAPNConfigurationProfile(x)
		case codeSubscribedPeriodicTAUTimer:
			s.SubscribedPeriodicTAUTimer, err = asU32(x)
		}
		return err
	})
	return s, err
}

func decodeAMBR(a *diam.AVP) (*AMBR, error) {
	g, err := asGroup(a)
	if err != nil {
		return nil, err
	}
	r := &AMBR{}
	var ul, dl bool
	err = forEach(g, func(x *diam.AVP) (err error) {
		switch {
		case isAVP(x, codeMaxRequestedBandwidthUL, Vendor3GPP):
			r.MaxRequestedBandwidthUL, err = asU32(x)
			ul = true
		case isAVP(x, codeMaxRequestedBandwidthDL, Vendor3GPP):
			r.MaxRequestedBandwidthDL, err = asU32(x)
			dl = true
		}
		return err
	})
	if err == nil && !ul {
		err = missing(codeMaxRequestedBandwidthUL)
	}
	if err == nil && !dl {
		err = missing(codeMaxRequestedBandwidthDL)
	}
	return r, err
}

func decodeAPNConfigurationProfile(a *diam.AVP) (*APNConfigurationProfile, error) {
	g, err := asGroup(a)
	if err != nil {
		return nil, err
	}
	p := &APNConfigurationProfile{}
	var haveCtx, haveAll bool
	err = forEach(g, func(x *diam.AVP) (err error) {
		switch {
		case isAVP(x, codeContextIdentifier, Vendor3GPP):
			p.ContextIdentifier, err = asU32(x)
			haveCtx = true
		case isAVP(x, codeAllAPNConfigsIncluded, Vendor3GPP):
			var v uint32
			v, err = asU32(x)
			p.AllAPNConfigurationsIncluded = v == 0
			haveAll = true
		case isAVP(x, codeAPNConfiguration, Vendor3GPP):
			var c APNConfiguration
			c, err = decodeAPNConfiguration(x)
			p.APNConfigurations = append(p.APNConfigurations, c)
		}
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case !haveCtx:
		return nil, missing(codeContextIdentifier)
	case !haveAll:
		return nil, missing(codeAllAPNConfigsIncluded)
	}
	return p, nil
}

func decodeAPNConfiguration(a *diam.AVP) (APNConfiguration, error) {
	var c APNConfiguration
	g, err := asGroup(a)
	if err != nil {
		return c, err
	}
	var haveCtx, haveType, haveAPN bool
	err = forEach(g, func(x *diam.AVP) (err error) {
		switch {
		case isAVP(x, codeContextIdentifier, Vendor3GPP):
			c.ContextIdentifier, err = asU32(x)
			haveCtx = true
		case isAVP(x, codeServedPartyIPAddress, Vendor3GPP):
			var ip netip.Addr
			ip, err = asAddress(x)
			c.ServedPartyIPAddress = append(c.ServedPartyIPAddress, ip)
		case isAVP(x, codePDNType, Vendor3GPP):
			c.PDNType, err = asU32(x)
			haveType = true
		case isAVP(x, codeServiceSelection, 0):
			c.ServiceSelection, err = asString(x)
			haveAPN = true
		case isAVP(x, codeEPSSubscribedQoSProfile, Vendor3GPP):
			c.EPSSubscribedQoS, err = decodeQoS(x)
		case isAVP(x, codeVPLMNDynamicAddressAllowed, Vendor3GPP):
			var v uint32
			v, err = asU32(x)
			b := v == 1
			c.VPLMNDynamicAddressAllowed = &b
		case isAVP(x, codePDNGWAllocationType, Vendor3GPP):
			c.PDNGWAllocationType, err = optU32(x)
		case isAVP(x, codeChargingCharacteristics, Vendor3GPP):
			c.ChargingCharacteristics, err = asString(x)
		case isAVP(x, codeAMBR, Vendor3GPP):
			c.AMBR, err = decodeAMBR(x)
		}
		return err
	})
	switch {
	case err != nil:
		return c, err
	case !haveCtx:
		return c, missing(codeContextIdentifier)
	case !haveType:
		return c, missing(codePDNType)
	case !haveAPN:
		return c, missing(codeServiceSelection)
	}
	return c, nil
}

func decodeQoS(a *diam.AVP) (*EPSSubscribedQoSProfile, error) {
	g, err := asGroup(a)
	if err != nil {
		return nil, err
	}
	q := &EPSSubscribedQoSProfile{}
	var haveQCI, haveARP bool
	err = forEach(g, func(x *diam.AVP) (err error) {
		switch {
		case isAVP(x, codeQoSClassIdentifier, Vendor3GPP):
			q.QCI, err = asU32(x)
			haveQCI = true
		case isAVP(x, codeAllocationRetentionPriority, Vendor3GPP):
			haveARP = true
			var arp []*diam.AVP
			if arp, err = asGroup(x); err != nil {
				return err
			}
			return forEach(arp, func(y *diam.AVP) (err error) {
				switch {
				case isAVP(y, codePriorityLevel, Vendor3GPP):
					q.PriorityLevel, err = asU32(y)
				case isAVP(y, codePreemptionCapability, Vendor3GPP):
					q.PreemptionCapability, err = asU32(y)
				case isAVP(y, codePreemptionVulnerability, Vendor3GPP):
					q.PreemptionVulnerability, err = asU32(y)
				}
				return err
			})
		}
		return err
	})
	switch {
	case err != nil:
		return nil, err
	case !haveQCI:
		return nil, missing(codeQoSClassIdentifier)
	case !haveARP:
		return nil, missing(codeAllocationRetentionPriority)
	}
	return q, nil
}

// EncodeTBCD encodes a digit string as TBCD (TS 29.002 §17.7.8, used by
// MSISDN): two digits per octet, low nibble first, 0xF filler.
// Non-digits are encoded as their low nibble; callers validate digits.
func EncodeTBCD(digits string) []byte {
	b := make([]byte, (len(digits)+1)/2)
	for i := 0; i < len(digits); i++ {
		d := digits[i] - '0'
		if i%2 == 0 {
			b[i/2] = 0xf0 | d&0x0f
		} else {
			b[i/2] = b[i/2]&0x0f | (d&0x0f)<<4
		}
	}
	return b
}

// DecodeTBCD decodes TBCD octets to a digit string; a 0xF high nibble
// ends the string only in the last octet.
func DecodeTBCD(b []byte) (string, error) {
	out := make([]byte, 0, 2*len(b))
	for i, o := range b {
		lo, hi := o&0x0f, o>>4
		if lo > 9 {
			return "", fmt.Errorf("s6a: TBCD digit %#x", lo)
		}
		out = append(out, '0'+lo)
		if hi == 0x0f && i == len(b)-1 {
			break
		}
		if hi > 9 {
			return "", fmt.Errorf("s6a: TBCD digit %#x", hi)
		}
		out = append(out, '0'+hi)
	}
	return string(out), nil
}
