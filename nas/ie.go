package nas

import (
	"fmt"
	"strconv"
)

// Octets is the value part of an IE the codec carries unchanged (the
// length octets and IEI are not included). It marshals to JSON as hex.
type Octets []byte

// MarshalText returns lower-case hex.
func (o Octets) MarshalText() ([]byte, error) { return hexText(o) }

func (o *Octets) decode(v []byte) error { *o = v; return nil }

func (o Octets) appendTo(dst []byte) ([]byte, error) { return append(dst, o...), nil }

// nibbleValue is the text form of half-octet IEs without named values.
func nibbleText(name string, v uint8) string { return name + "(" + strconv.Itoa(int(v)) + ")" }

func oneOctet(v []byte) (byte, error) {
	if len(v) != 1 {
		return 0, lengthError(len(v), 1, 1)
	}
	return v[0], nil
}

// decode reads a one-octet EMM cause (TS 24.301 §9.9.3.9).
func (c *EMMCause) decode(v []byte) error {
	b, err := oneOctet(v)
	*c = EMMCause(b)
	return err
}

func (c EMMCause) appendTo(dst []byte) ([]byte, error) { return append(dst, byte(c)), nil }

// MarshalText returns String().
func (c EMMCause) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// decode reads a one-octet ESM cause (TS 24.301 §9.9.4.4).
func (c *ESMCause) decode(v []byte) error {
	b, err := oneOctet(v)
	*c = ESMCause(b)
	return err
}

func (c ESMCause) appendTo(dst []byte) ([]byte, error) { return append(dst, byte(c)), nil }

// MarshalText returns String().
func (c ESMCause) MarshalText() ([]byte, error) { return []byte(c.String()), nil }

// SecurityContextType is the type of security context flag (TSC) of the
// NAS key set identifier (TS 24.301 §9.9.3.21).
type SecurityContextType uint8

// TSC values, TS 24.301 §9.9.3.21.
const (
	NativeSecurityContext SecurityContextType = 0
	MappedSecurityContext SecurityContextType = 1
)

// String returns "Native" or "Mapped".
func (t SecurityContextType) String() string {
	if t == MappedSecurityContext {
		return "Mapped"
	}
	return "Native"
}

// MarshalText returns String().
func (t SecurityContextType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// NoKeyAvailable is the KSI value meaning "no key is available" (UE to
// network) or "reserved" (network to UE), TS 24.301 §9.9.3.21.
const NoKeyAvailable = 7

// NASKeySetIdentifier is the NAS key set identifier IE, a half octet (TS
// 24.301 §9.9.3.21): bit 4 the type of security context, bits 3-1 the KSI.
type NASKeySetIdentifier struct {
	TSC SecurityContextType
	KSI uint8 // 0-6, or NoKeyAvailable (7)
}

func (k *NASKeySetIdentifier) setNibble(n uint8) error {
	k.TSC = SecurityContextType(n >> 3 & 1)
	k.KSI = n & 7
	return nil
}

func (k NASKeySetIdentifier) nibble() (uint8, error) {
	if k.TSC > 1 || k.KSI > 7 {
		return 0, fmt.Errorf("%w: NAS key set identifier TSC %d KSI %d", ErrInvalidValue, k.TSC, k.KSI)
	}
	return uint8(k.TSC)<<3 | k.KSI, nil
}

// EPSAttachType is the EPS attach type IE (TS 24.301 §9.9.3.11), bits 3-1
// of a half octet (bit 4 is spare).
type EPSAttachType uint8

// EPS attach type values, TS 24.301 table 9.9.3.11.1.
const (
	EPSAttach             EPSAttachType = 1
	CombinedEPSIMSIAttach EPSAttachType = 2
	EPSRLOSAttach         EPSAttachType = 3
	EPSEmergencyAttach    EPSAttachType = 6
)

// String names the value.
func (t EPSAttachType) String() string {
	switch t {
	case EPSAttach:
		return "EPSAttach"
	case CombinedEPSIMSIAttach:
		return "CombinedEPSIMSIAttach"
	case EPSRLOSAttach:
		return "EPSRLOSAttach"
	case EPSEmergencyAttach:
		return "EPSEmergencyAttach"
	}
	return nibbleText("EPSAttachType", uint8(t))
}

// MarshalText returns String().
func (t EPSAttachType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// Effective returns the attach type the network acts on: TS 24.301
// §9.9.3.11 says values other than 1, 2, 3 and 6 are interpreted as "EPS
// attach" by the network. The received value is kept as is for re-encoding.
func (t EPSAttachType) Effective() EPSAttachType {
	switch t {
	case EPSAttach, CombinedEPSIMSIAttach, EPSRLOSAttach, EPSEmergencyAttach:
		return t
	}
	return EPSAttach
}

func (t *EPSAttachType) setNibble(n uint8) error { *t = EPSAttachType(n & 7); return nil }

func (t EPSAttachType) nibble() (uint8, error) {
	return uint8(t) & 7, checkNibble("EPS attach type", uint8(t), 7)
}

func checkNibble(ie string, v, max uint8) error {
	if v > max {
		return fmt.Errorf("%w: %s value %d does not fit %d bits", ErrInvalidValue, ie, v, bitsFor(max))
	}
	return nil
}

func bitsFor(max uint8) int {
	n := 0
	for ; max > 0; max >>= 1 {
		n++
	}
	return n
}

// EPSAttachResult is the EPS attach result IE (TS 24.301 §9.9.3.10).
type EPSAttachResult uint8

// EPS attach result values, TS 24.301 table 9.9.3.10.1.
const (
	EPSOnly         EPSAttachResult = 1
	CombinedEPSIMSI EPSAttachResult = 2
)

// String names the value.
func (r EPSAttachResult) String() string {
	switch r {
	case EPSOnly:
		return "EPSOnly"
	case CombinedEPSIMSI:
		return "CombinedEPSIMSI"
	}
	return nibbleText("EPSAttachResult", uint8(r))
}

// MarshalText returns String().
func (r EPSAttachResult) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

func (r *EPSAttachResult) setNibble(n uint8) error { *r = EPSAttachResult(n & 7); return nil }

func (r EPSAttachResult) nibble() (uint8, error) {
	return uint8(r) & 7, checkNibble("EPS attach result", uint8(r), 7)
}

// EPSUpdateTypeValue is bits 3-1 of the EPS update type IE (TS 24.301
// §9.9.3.14).
type EPSUpdateTypeValue uint8

// EPS update type values, TS 24.301 table 9.9.3.14.1.
const (
	TAUpdating                     EPSUpdateTypeValue = 0
	CombinedTALAUpdating           EPSUpdateTypeValue = 1
	CombinedTALAUpdatingIMSIAttach EPSUpdateTypeValue = 2
	PeriodicUpdating               EPSUpdateTypeValue = 3
)

// String names the value.
func (v EPSUpdateTypeValue) String() string {
	switch v {
	case TAUpdating:
		return "TAUpdating"
	case CombinedTALAUpdating:
		return "CombinedTALAUpdating"
	case CombinedTALAUpdatingIMSIAttach:
		return "CombinedTALAUpdatingIMSIAttach"
	case PeriodicUpdating:
		return "PeriodicUpdating"
	}
	return nibbleText("EPSUpdateTypeValue", uint8(v))
}

// MarshalText returns String().
func (v EPSUpdateTypeValue) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// EPSUpdateType is the EPS update type IE (TS 24.301 §9.9.3.14): the
// "active" flag (bit 4: bearer establishment requested) and the update type.
type EPSUpdateType struct {
	Active bool
	Value  EPSUpdateTypeValue
}

func (t *EPSUpdateType) setNibble(n uint8) error {
	t.Active = n&8 != 0
	t.Value = EPSUpdateTypeValue(n & 7)
	return nil
}

func (t EPSUpdateType) nibble() (uint8, error) {
	n := uint8(t.Value)
	if t.Active {
		n |= 8
	}
	return n, checkNibble("EPS update type", uint8(t.Value), 7)
}

// EPSUpdateResult is the EPS update result IE (TS 24.301 §9.9.3.13).
type EPSUpdateResult uint8

// EPS update result values, TS 24.301 table 9.9.3.13.1.
const (
	TAUpdated                       EPSUpdateResult = 0
	CombinedTALAUpdated             EPSUpdateResult = 1
	TAUpdatedISRActivated           EPSUpdateResult = 4
	CombinedTALAUpdatedISRActivated EPSUpdateResult = 5
)

// String names the value.
func (r EPSUpdateResult) String() string {
	switch r {
	case TAUpdated:
		return "TAUpdated"
	case CombinedTALAUpdated:
		return "CombinedTALAUpdated"
	case TAUpdatedISRActivated:
		return "TAUpdatedISRActivated"
	case CombinedTALAUpdatedISRActivated:
		return "CombinedTALAUpdatedISRActivated"
	}
	return nibbleText("EPSUpdateResult", uint8(r))
}

// MarshalText returns String().
func (r EPSUpdateResult) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

func (r *EPSUpdateResult) setNibble(n uint8) error { *r = EPSUpdateResult(n & 7); return nil }

func (r EPSUpdateResult) nibble() (uint8, error) {
	return uint8(r) & 7, checkNibble("EPS update result", uint8(r), 7)
}

// TypeOfDetach is bits 3-1 of the detach type IE (TS 24.301 §9.9.3.7).
// Values 1 to 3 mean different things in each direction.
type TypeOfDetach uint8

// Types of detach, TS 24.301 table 9.9.3.7.1.
const (
	// UE to network.
	EPSDetach             TypeOfDetach = 1
	IMSIDetach            TypeOfDetach = 2
	CombinedEPSIMSIDetach TypeOfDetach = 3
	// Network to UE.
	ReattachRequired    TypeOfDetach = 1
	ReattachNotRequired TypeOfDetach = 2
	IMSIDetachNetwork   TypeOfDetach = 3
)

// DetachType is the detach type IE (TS 24.301 §9.9.3.7): the switch off flag
// (bit 4, UE to network only) and the type of detach.
type DetachType struct {
	SwitchOff bool
	Type      TypeOfDetach
}

func (t *DetachType) setNibble(n uint8) error {
	t.SwitchOff = n&8 != 0
	t.Type = TypeOfDetach(n & 7)
	return nil
}

func (t DetachType) nibble() (uint8, error) {
	n := uint8(t.Type)
	if t.SwitchOff {
		n |= 8
	}
	return n, checkNibble("detach type", uint8(t.Type), 7)
}

// ServiceType is the service type IE of EXTENDED SERVICE REQUEST (TS 24.301
// §9.9.3.27).
type ServiceType uint8

// Service types, TS 24.301 table 9.9.3.27.1.
const (
	MobileOriginatingCSFallback          ServiceType = 0
	MobileTerminatingCSFallback          ServiceType = 1
	MobileOriginatingCSFallbackEmergency ServiceType = 2
	PacketServicesViaS1                  ServiceType = 8
)

// String names the value.
func (t ServiceType) String() string {
	switch t {
	case MobileOriginatingCSFallback:
		return "MobileOriginatingCSFallback"
	case MobileTerminatingCSFallback:
		return "MobileTerminatingCSFallback"
	case MobileOriginatingCSFallbackEmergency:
		return "MobileOriginatingCSFallbackEmergency"
	case PacketServicesViaS1:
		return "PacketServicesViaS1"
	}
	return nibbleText("ServiceType", uint8(t))
}

// MarshalText returns String().
func (t ServiceType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

func (t *ServiceType) setNibble(n uint8) error { *t = ServiceType(n); return nil }

func (t ServiceType) nibble() (uint8, error) {
	return uint8(t), checkNibble("service type", uint8(t), 15)
}

// IdentityType2 is the identity type 2 IE of IDENTITY REQUEST (TS 24.301
// §9.9.3.17, TS 24.008 §10.5.5.9), bits 3-1.
type IdentityType2 uint8

// Identity types requested, TS 24.008 table 10.5.140.
const (
	IdentityIMSI   IdentityType2 = 1
	IdentityIMEI   IdentityType2 = 2
	IdentityIMEISV IdentityType2 = 3
	IdentityTMSI   IdentityType2 = 4
)

// String names the value.
func (t IdentityType2) String() string {
	switch t {
	case IdentityIMSI:
		return "IMSI"
	case IdentityIMEI:
		return "IMEI"
	case IdentityIMEISV:
		return "IMEISV"
	case IdentityTMSI:
		return "TMSI"
	}
	return nibbleText("IdentityType2", uint8(t))
}

// MarshalText returns String().
func (t IdentityType2) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

func (t *IdentityType2) setNibble(n uint8) error { *t = IdentityType2(n & 7); return nil }

func (t IdentityType2) nibble() (uint8, error) {
	return uint8(t) & 7, checkNibble("identity type 2", uint8(t), 7)
}

// TimerUnit is the unit of a GPRS timer or GPRS timer 2 value (TS 24.008
// §10.5.7.3, bits 8-6).
type TimerUnit uint8

// GPRS timer units, TS 24.008 table 10.5.172. Other values are read as
// minutes by TS 24.008.
const (
	TimerUnit2Seconds TimerUnit = 0
	TimerUnitMinute   TimerUnit = 1
	TimerUnitDecihour TimerUnit = 2
	TimerDeactivated  TimerUnit = 7
)

// GPRSTimer is the GPRS timer IE (TS 24.301 §9.9.3.16, TS 24.008
// §10.5.7.3): a 5-bit value and its unit, one octet.
type GPRSTimer struct {
	Unit  TimerUnit
	Value uint8 // 0-31
}

// Seconds returns the timer length in seconds, and false when the timer is
// deactivated. Units 3 to 6 count minutes (TS 24.008 §10.5.7.3).
func (t GPRSTimer) Seconds() (uint32, bool) {
	v := uint32(t.Value)
	switch t.Unit {
	case TimerUnit2Seconds:
		return 2 * v, true
	case TimerUnitDecihour:
		return 360 * v, true
	case TimerDeactivated:
		return 0, false
	}
	return 60 * v, true
}

func (t *GPRSTimer) decode(v []byte) error {
	b, err := oneOctet(v)
	t.Unit, t.Value = TimerUnit(b>>5), b&0x1f
	return err
}

func (t GPRSTimer) appendTo(dst []byte) ([]byte, error) {
	if t.Unit > 7 || t.Value > 31 {
		return dst, fmt.Errorf("%w: GPRS timer unit %d value %d", ErrInvalidValue, t.Unit, t.Value)
	}
	return append(dst, byte(t.Unit)<<5|t.Value), nil
}

// GPRSTimer2 is the GPRS timer 2 IE (TS 24.301 §9.9.3.16A, TS 24.008
// §10.5.7.4): coded as GPRSTimer, but in a TLV.
type GPRSTimer2 GPRSTimer

// Seconds is GPRSTimer.Seconds.
func (t GPRSTimer2) Seconds() (uint32, bool) { return GPRSTimer(t).Seconds() }

func (t *GPRSTimer2) decode(v []byte) error {
	// TS 24.008 §10.5.7.4: octets beyond the first are ignored.
	if len(v) == 0 {
		return lengthError(0, 1, 1)
	}
	return (*GPRSTimer)(t).decode(v[:1])
}

func (t GPRSTimer2) appendTo(dst []byte) ([]byte, error) { return GPRSTimer(t).appendTo(dst) }

// Timer3Unit is the unit of a GPRS timer 3 value (TS 24.008 §10.5.7.4a).
type Timer3Unit uint8

// GPRS timer 3 units, TS 24.008 table 10.5.163a.
const (
	Timer3Unit10Minutes Timer3Unit = 0
	Timer3Unit1Hour     Timer3Unit = 1
	Timer3Unit10Hours   Timer3Unit = 2
	Timer3Unit2Seconds  Timer3Unit = 3
	Timer3Unit30Seconds Timer3Unit = 4
	Timer3Unit1Minute   Timer3Unit = 5
	Timer3Unit320Hours  Timer3Unit = 6
	Timer3Deactivated   Timer3Unit = 7
)

// GPRSTimer3 is the GPRS timer 3 IE (TS 24.301 §9.9.3.16B, TS 24.008
// §10.5.7.4a): used for T3412 extended value, T3447, the back-off timer and
// T3396.
type GPRSTimer3 struct {
	Unit  Timer3Unit
	Value uint8 // 0-31
}

// Seconds returns the timer length in seconds, and false when deactivated.
func (t GPRSTimer3) Seconds() (uint32, bool) {
	mult := [...]uint32{600, 3600, 36000, 2, 30, 60, 1152000, 0}[t.Unit&7]
	return mult * uint32(t.Value), t.Unit != Timer3Deactivated
}

func (t *GPRSTimer3) decode(v []byte) error {
	if len(v) == 0 {
		return lengthError(0, 1, 1)
	}
	t.Unit, t.Value = Timer3Unit(v[0]>>5), v[0]&0x1f
	return nil
}

func (t GPRSTimer3) appendTo(dst []byte) ([]byte, error) {
	if t.Unit > 7 || t.Value > 31 {
		return dst, fmt.Errorf("%w: GPRS timer 3 unit %d value %d", ErrInvalidValue, t.Unit, t.Value)
	}
	return append(dst, byte(t.Unit)<<5|t.Value), nil
}

// DRXParameter is the DRX parameter IE (TS 24.301 §9.9.3.8, TS 24.008
// §10.5.5.6), two octets.
type DRXParameter struct {
	// SplitPGCycleCode is octet 1 (TS 24.008 table 10.5.139).
	SplitPGCycleCode uint8
	// CNSpecificDRXCycle is the "CN specific DRX cycle length coefficient
	// and DRX value for S1 mode", bits 8-5 of octet 2 (0: not specified by
	// the UE; 6-9: T = 32, 64, 128, 256 radio frames).
	CNSpecificDRXCycle uint8
	// SplitOnCCCH is bit 4 of octet 2.
	SplitOnCCCH bool
	// NonDRXTimer is bits 3-1 of octet 2.
	NonDRXTimer uint8
}

func (d *DRXParameter) decode(v []byte) error {
	if len(v) != 2 {
		return lengthError(len(v), 2, 2)
	}
	d.SplitPGCycleCode = v[0]
	d.CNSpecificDRXCycle = v[1] >> 4
	d.SplitOnCCCH = v[1]&8 != 0
	d.NonDRXTimer = v[1] & 7
	return nil
}

func (d DRXParameter) appendTo(dst []byte) ([]byte, error) {
	if d.CNSpecificDRXCycle > 15 || d.NonDRXTimer > 7 {
		return dst, fmt.Errorf("%w: DRX parameter %+v", ErrInvalidValue, d)
	}
	o := d.CNSpecificDRXCycle<<4 | d.NonDRXTimer
	if d.SplitOnCCCH {
		o |= 8
	}
	return append(dst, d.SplitPGCycleCode, o), nil
}

// UENetworkCapability is the value part of the UE network capability IE
// (TS 24.301 §9.9.3.34), 2 to 13 octets, kept as received: the MME must
// replay the security capabilities exactly (TS 33.401 §7.2.4.4). Octet 1 is
// EEA0-EEA7 (bit 8 is EEA0), octet 2 EIA0-EIA7, octet 3 UEA0-UEA7, octet 4
// UCS2 and UIA1-UIA7, further octets are feature flags.
type UENetworkCapability []byte

// MarshalText returns lower-case hex.
func (c UENetworkCapability) MarshalText() ([]byte, error) { return hexText(c) }

func (c *UENetworkCapability) decode(v []byte) error {
	if len(v) < 2 {
		return lengthError(len(v), 2, 13)
	}
	*c = v
	return nil
}

func (c UENetworkCapability) appendTo(dst []byte) ([]byte, error) { return append(dst, c...), nil }

func (c UENetworkCapability) octet(i int) uint8 {
	if i < len(c) {
		return c[i]
	}
	return 0
}

// EEA returns the EPS encryption algorithms bitmap (bit 8 = EEA0).
func (c UENetworkCapability) EEA() uint8 { return c.octet(0) }

// EIA returns the EPS integrity algorithms bitmap (bit 8 = EIA0).
func (c UENetworkCapability) EIA() uint8 { return c.octet(1) }

// SecurityCapability returns the UE security capability the MME replays in
// SECURITY MODE COMMAND (TS 24.301 §5.4.3.2, §9.9.3.36): EEA and EIA, and UEA
// and UIA when the UE network capability has its UEA and UIA octets. gea is
// the GEA bitmap taken from the MS network capability (bits 7-1: GEA1 to
// GEA7, as in the last octet of the UE security capability), used when
// hasGEA.
func (c UENetworkCapability) SecurityCapability(gea uint8, hasGEA bool) UESecurityCapability {
	s := UESecurityCapability{EEA: c.octet(0), EIA: c.octet(1)}
	if len(c) >= 4 {
		s.UTRAN = true
		s.UEA, s.UIA = c[2], c[3]&0x7f // UIA octet bit 8 is UCS2 in the UE network capability, spare here
	}
	if hasGEA {
		s.GERAN = true
		s.GEA = gea & 0x7f
	}
	return s
}

// UESecurityCapability is the UE security capability IE (TS 24.301
// §9.9.3.36): bitmaps of supported algorithms, bit 8 being algorithm 0
// (EEA0, EIA0, UEA0) and, for UIA and GEA, bit 7 algorithm 1 (bit 8 spare,
// kept as received).
type UESecurityCapability struct {
	EEA, EIA uint8
	// UTRAN tells whether octets 5 and 6 (UEA, UIA) are present.
	UTRAN    bool
	UEA, UIA uint8
	// GERAN tells whether octet 7 (GEA) is present.
	GERAN bool
	GEA   uint8
}

func (s *UESecurityCapability) decode(v []byte) error {
	// Octets beyond the fifth (later releases) are ignored.
	switch {
	case len(v) < 2:
		return lengthError(len(v), 2, 5)
	case len(v) == 3:
		return fmt.Errorf("octet 5 (UEA) without octet 6 (UIA)")
	}
	*s = UESecurityCapability{EEA: v[0], EIA: v[1]}
	if len(v) >= 4 {
		s.UTRAN = true
		s.UEA, s.UIA = v[2], v[3]
	}
	if len(v) >= 5 {
		s.GERAN = true
		s.GEA = v[4]
	}
	return nil
}

func (s UESecurityCapability) appendTo(dst []byte) ([]byte, error) {
	dst = append(dst, s.EEA, s.EIA)
	if s.UTRAN || s.GERAN {
		// TS 24.301 §9.9.3.36: octet 7 (GEA) needs octets 5 and 6.
		dst = append(dst, s.UEA, s.UIA)
	}
	if s.GERAN {
		dst = append(dst, s.GEA)
	}
	return dst, nil
}

// EEA is an EPS encryption algorithm identifier (TS 33.401 §5.1.3.2; 0-7).
type EEA uint8

// EIA is an EPS integrity algorithm identifier (TS 33.401 §5.1.4.2; 0-7).
type EIA uint8

// NASSecurityAlgorithms is the selected NAS security algorithms IE (TS
// 24.301 §9.9.3.23): type of ciphering algorithm (bits 7-5) and type of
// integrity protection algorithm (bits 3-1).
type NASSecurityAlgorithms struct {
	Ciphering EEA
	Integrity EIA
}

func (a *NASSecurityAlgorithms) decode(v []byte) error {
	b, err := oneOctet(v)
	a.Ciphering, a.Integrity = EEA(b>>4&7), EIA(b&7)
	return err
}

func (a NASSecurityAlgorithms) appendTo(dst []byte) ([]byte, error) {
	if a.Ciphering > 7 || a.Integrity > 7 {
		return dst, fmt.Errorf("%w: NAS security algorithms EEA%d EIA%d", ErrInvalidValue, a.Ciphering, a.Integrity)
	}
	return append(dst, byte(a.Ciphering)<<4|byte(a.Integrity)), nil
}

// EPSBearerContextStatus is the EPS bearer context status IE (TS 24.301
// §9.9.2.1): bit n set means the bearer with EBI n is active (n = 0..15;
// EBIs 0-4 are spare).
type EPSBearerContextStatus uint16

// Active reports whether the bearer ebi is marked active.
func (s EPSBearerContextStatus) Active(ebi uint8) bool { return ebi < 16 && s&(1<<ebi) != 0 }

func (s *EPSBearerContextStatus) decode(v []byte) error {
	if len(v) < 2 {
		return lengthError(len(v), 2, 2)
	}
	// Octet 3: EBI(7)..EBI(0) in bits 8..1; octet 4: EBI(15)..EBI(8).
	*s = EPSBearerContextStatus(uint16(v[1])<<8 | uint16(v[0]))
	return nil
}

func (s EPSBearerContextStatus) appendTo(dst []byte) ([]byte, error) {
	return append(dst, byte(s), byte(s>>8)), nil
}

// EPSNetworkFeatureSupport is the value part of the EPS network feature
// support IE (TS 24.301 §9.9.3.12A), 1 or 2 octets, kept as sent.
type EPSNetworkFeatureSupport []byte

// MarshalText returns lower-case hex.
func (f EPSNetworkFeatureSupport) MarshalText() ([]byte, error) { return hexText(f) }

// IMSVoPS reports the IMS voice over PS session indicator (octet 1 bit 1).
func (f EPSNetworkFeatureSupport) IMSVoPS() bool { return len(f) > 0 && f[0]&1 != 0 }

// EMCBS reports emergency bearer services support (octet 1 bit 2).
func (f EPSNetworkFeatureSupport) EMCBS() bool { return len(f) > 0 && f[0]&2 != 0 }

func (f *EPSNetworkFeatureSupport) decode(v []byte) error {
	if len(v) < 1 {
		return lengthError(0, 1, 2)
	}
	*f = v
	return nil
}

func (f EPSNetworkFeatureSupport) appendTo(dst []byte) ([]byte, error) { return append(dst, f...), nil }

// PagingIdentity is the paging identity IE of CS SERVICE NOTIFICATION (TS
// 24.301 §9.9.3.25A): bit 1, 0 = IMSI, 1 = TMSI.
type PagingIdentity uint8

func (p *PagingIdentity) decode(v []byte) error {
	b, err := oneOctet(v)
	*p = PagingIdentity(b & 1)
	return err
}

func (p PagingIdentity) appendTo(dst []byte) ([]byte, error) { return append(dst, byte(p)&1), nil }

// ESMMessageContainer is the value part of the ESM message container IE
// (TS 24.301 §9.9.3.15): one plain ESM message. Decode decodes it.
type ESMMessageContainer []byte

// MarshalText returns lower-case hex.
func (c ESMMessageContainer) MarshalText() ([]byte, error) { return hexText(c) }

func (c *ESMMessageContainer) decode(v []byte) error { *c = v; return nil }

func (c ESMMessageContainer) appendTo(dst []byte) ([]byte, error) { return append(dst, c...), nil }

// Decode decodes the contained ESM message (TS 24.301 §9.9.3.15: a plain
// ESM message). The result aliases c. Errors are as for Decode; a message
// with the EMM discriminator is ErrInvalidMandatoryInformation (#96).
func (c ESMMessageContainer) Decode() (Message, error) {
	return decodeESMContainer(c)
}

// NASMessage is the value part of an IE that carries a complete NAS message:
// the replayed NAS message container of SECURITY MODE COMPLETE (TS 24.301
// §9.9.3.51) and the NAS message container of CONTROL PLANE SERVICE REQUEST.
type NASMessage []byte

// MarshalText returns lower-case hex.
func (c NASMessage) MarshalText() ([]byte, error) { return hexText(c) }

func (c *NASMessage) decode(v []byte) error { *c = v; return nil }

func (c NASMessage) appendTo(dst []byte) ([]byte, error) { return append(dst, c...), nil }

// Decode decodes the contained NAS message with Decoder{NoCopy: true}.
func (c NASMessage) Decode() (Message, error) { return Decoder{NoCopy: true}.Decode(c) }
