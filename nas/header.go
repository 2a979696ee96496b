package nas

import "fmt"

// ProtocolDiscriminator is the protocol discriminator of a standard L3
// message (TS 24.007 §11.2.3.1.1), the low half of the first octet. EPS NAS
// uses two values.
type ProtocolDiscriminator uint8

// Protocol discriminators of EPS NAS, TS 24.007 §11.2.3.1.1 table 11.2.
const (
	EPSSessionManagement  ProtocolDiscriminator = 0x2 // ESM, TS 24.301 §8.3
	EPSMobilityManagement ProtocolDiscriminator = 0x7 // EMM, TS 24.301 §8.2
)

// String returns "EMM", "ESM" or "PD(0xN)".
func (pd ProtocolDiscriminator) String() string {
	switch pd {
	case EPSSessionManagement:
		return "ESM"
	case EPSMobilityManagement:
		return "EMM"
	}
	return fmt.Sprintf("PD(0x%x)", uint8(pd))
}

// SecurityHeaderType is the high half of the first octet of an EMM message
// (TS 24.301 §9.3.1, table 9.3.1).
type SecurityHeaderType uint8

// Security header types, TS 24.301 §9.3.1 table 9.3.1.
//
// The value 12 is named ServiceRequestHeader (not ServiceRequest) because
// ServiceRequest is the message type of TS 24.301 §8.2.25 in this package.
const (
	Plain                                SecurityHeaderType = 0  // plain NAS message, not security protected
	IntegrityProtected                   SecurityHeaderType = 1  // integrity protected
	IntegrityProtectedCiphered           SecurityHeaderType = 2  // integrity protected and ciphered
	IntegrityProtectedNewContext         SecurityHeaderType = 3  // integrity protected with new EPS security context (SECURITY MODE COMMAND)
	IntegrityProtectedCipheredNewContext SecurityHeaderType = 4  // integrity protected and ciphered with new EPS security context (SECURITY MODE COMPLETE)
	IntegrityProtectedPartiallyCiphered  SecurityHeaderType = 5  // integrity protected and partially ciphered (CONTROL PLANE SERVICE REQUEST only, NOTE 4)
	ServiceRequestHeader                 SecurityHeaderType = 12 // security header for the SERVICE REQUEST message (§8.2.25); 13-15 are read as 12
)

var securityHeaderTypeNames = [...]string{
	Plain:                                "Plain",
	IntegrityProtected:                   "IntegrityProtected",
	IntegrityProtectedCiphered:           "IntegrityProtectedCiphered",
	IntegrityProtectedNewContext:         "IntegrityProtectedNewContext",
	IntegrityProtectedCipheredNewContext: "IntegrityProtectedCipheredNewContext",
	IntegrityProtectedPartiallyCiphered:  "IntegrityProtectedPartiallyCiphered",
	ServiceRequestHeader:                 "ServiceRequest",
}

// String returns the name of the header type, or "SecurityHeaderType(N)" for
// reserved values.
func (t SecurityHeaderType) String() string {
	if int(t) < len(securityHeaderTypeNames) && securityHeaderTypeNames[t] != "" {
		return securityHeaderTypeNames[t]
	}
	return fmt.Sprintf("SecurityHeaderType(%d)", uint8(t))
}

// IsProtected reports whether t is one of the security protected forms of
// TS 24.301 §9.1 (header types 1 to 5), which ParseSecurityProtected reads.
func (t SecurityHeaderType) IsProtected() bool {
	return t >= IntegrityProtected && t <= IntegrityProtectedPartiallyCiphered
}

// IsCiphered reports whether the message part of a protected message with
// header type t is (at least partially) ciphered (TS 24.301 §9.3.1).
func (t SecurityHeaderType) IsCiphered() bool {
	return t == IntegrityProtectedCiphered || t == IntegrityProtectedCipheredNewContext ||
		t == IntegrityProtectedPartiallyCiphered
}

// IsNewContext reports whether t announces a new EPS security context
// (header types 3 and 4, TS 24.301 §9.3.1 NOTE 1 and NOTE 2).
func (t SecurityHeaderType) IsNewContext() bool {
	return t == IntegrityProtectedNewContext || t == IntegrityProtectedCipheredNewContext
}

// SecurityProtectedHeaderLen is the length in octets of the header of a
// security protected NAS message (TS 24.301 §9.1, figure 9.1.2): security
// header type and protocol discriminator (1), message authentication code
// (4), sequence number (1).
const SecurityProtectedHeaderLen = 6

// SecurityProtected is the outer form of TS 24.301 §9.1 (figure 9.1.2) with
// security header types 1 to 5: the header in front of a NAS message that is
// integrity protected and possibly ciphered.
type SecurityProtected struct {
	Header SecurityHeaderType
	// MAC is the message authentication code, octets 2-5 (TS 24.301 §9.5).
	MAC [4]byte
	// SequenceNumber is the 8 least significant bits of the NAS COUNT,
	// octet 6 (TS 24.301 §9.6).
	SequenceNumber uint8
	// Message is the NAS message, ciphered when Header.IsCiphered() and the
	// algorithm is not EEA0. After ParseSecurityProtected it aliases the input.
	Message []byte
}

// MessageType returns TypeSecurityProtected.
func (*SecurityProtected) MessageType() MessageType { return TypeSecurityProtected }

// ProtocolDiscriminator returns EPSMobilityManagement: a security protected
// message always carries the EMM discriminator (TS 24.301 §9.2).
func (*SecurityProtected) ProtocolDiscriminator() ProtocolDiscriminator {
	return EPSMobilityManagement
}

// ParseSecurityProtected parses the security protected form of TS 24.301
// §9.1 (header types 1 to 5). Message aliases b. It does not check the MAC or
// decipher: that is nas/security's job.
//
// Errors (all *Error): ErrTooShort if b cannot hold the 6-octet header and a
// 2-octet message (TS 24.301 §7.2); ErrUnknownProtocolDiscriminator if the
// discriminator is not EMM; ErrNotSecurityProtected for header types 0 and 12;
// ErrReservedSecurityHeaderType for reserved header types.
func ParseSecurityProtected(b []byte) (SecurityProtected, error) {
	pd, sht, err := PeekHeader(b)
	if err != nil {
		return SecurityProtected{}, err
	}
	if pd != EPSMobilityManagement || !sht.IsProtected() {
		return SecurityProtected{}, headerError(ErrNotSecurityProtected, fmt.Sprintf("%v %v", pd, sht))
	}
	// TS 24.301 §7.2: too short to hold a complete message type IE.
	if len(b) < SecurityProtectedHeaderLen+2 {
		return SecurityProtected{}, headerError(ErrTooShort, fmt.Sprintf("%d octets, security protected message needs at least %d", len(b), SecurityProtectedHeaderLen+2))
	}
	var p SecurityProtected
	p.Header = sht
	copy(p.MAC[:], b[1:5])
	p.SequenceNumber = b[5]
	p.Message = b[SecurityProtectedHeaderLen:]
	return p, nil
}

// AppendSecurityProtected appends the header of p followed by p.Message to
// dst (TS 24.301 §9.1). It returns ErrNotSecurityProtected (as *Error) if
// p.Header is not one of the protected header types.
func AppendSecurityProtected(dst []byte, p *SecurityProtected) ([]byte, error) {
	if !p.Header.IsProtected() {
		return dst, &Error{Protocol: EPSMobilityManagement, MessageType: TypeSecurityProtected, IE: "security header type", Err: ErrNotSecurityProtected, Detail: p.Header.String()}
	}
	dst = append(dst, byte(p.Header)<<4|byte(EPSMobilityManagement), p.MAC[0], p.MAC[1], p.MAC[2], p.MAC[3], p.SequenceNumber)
	return append(dst, p.Message...), nil
}

// PeekHeader returns the protocol discriminator and, for EMM, the security
// header type of the NAS message in b (TS 24.301 §9.2, §9.3.1). For ESM
// messages the high half of octet 1 is the EPS bearer identity, and sht is
// Plain. Header types 13 to 15 are returned as ServiceRequestHeader (TS
// 24.301 §9.3.1 table 9.3.1).
//
// Errors (all *Error): ErrTooShort for empty input (TS 24.301 §7.2: ignore
// the message), ErrUnknownProtocolDiscriminator for discriminators other
// than EMM and ESM (TS 24.007 §11.2.3.1.1), ErrReservedSecurityHeaderType for
// header types 6 to 11.
func PeekHeader(b []byte) (pd ProtocolDiscriminator, sht SecurityHeaderType, err error) {
	if len(b) == 0 {
		return 0, 0, headerError(ErrTooShort, "empty message")
	}
	pd = ProtocolDiscriminator(b[0] & 0x0f)
	switch pd {
	case EPSSessionManagement:
		return pd, Plain, nil
	case EPSMobilityManagement:
	default:
		return pd, 0, headerError(ErrUnknownProtocolDiscriminator, pd.String())
	}
	sht = SecurityHeaderType(b[0] >> 4)
	switch {
	case sht <= IntegrityProtectedPartiallyCiphered:
		return pd, sht, nil
	case sht >= ServiceRequestHeader:
		// TS 24.301 §9.3.1 table 9.3.1 NOTE 3: 1101-1111 are read as 1100.
		return pd, ServiceRequestHeader, nil
	}
	return pd, sht, headerError(ErrReservedSecurityHeaderType, sht.String())
}

// ServiceRequest is the SERVICE REQUEST message of TS 24.301 §8.2.25, the
// only EMM message with the short non-standard L3 format (security header
// type 12): KSI and sequence number (§9.9.3.19) and the short MAC (§9.9.3.28).
// It is always integrity protected by its short MAC; nas/security checks it.
type ServiceRequest struct {
	// KSI is the NAS key set identifier, 3 bits (TS 24.301 §9.9.3.19;
	// 7 means no key available).
	KSI uint8
	// SequenceNumber is the 5 least significant bits of the uplink NAS
	// COUNT (TS 24.301 §9.9.3.19).
	SequenceNumber uint8
	// ShortMAC is the 2 least significant octets of the NAS-MAC (TS 24.301
	// §9.9.3.28).
	ShortMAC [2]byte
}

// ServiceRequestLen is the length of a SERVICE REQUEST message (TS 24.301
// §8.2.25 table 8.2.25.1).
const ServiceRequestLen = 4

// MessageType returns TypeServiceRequest.
func (*ServiceRequest) MessageType() MessageType { return TypeServiceRequest }

// ProtocolDiscriminator returns EPSMobilityManagement.
func (*ServiceRequest) ProtocolDiscriminator() ProtocolDiscriminator {
	return EPSMobilityManagement
}

// ParseServiceRequest reads a SERVICE REQUEST (TS 24.301 §8.2.25). Octets
// beyond the fourth are ignored (TS 24.301 §7.6.1, the message has no
// non-imperative part). Errors: *Error wrapping ErrTooShort (fewer than 4
// octets, cause #96) or ErrNotSecurityProtected when the header is not
// type 12-15.
func ParseServiceRequest(b []byte) (ServiceRequest, error) {
	pd, sht, err := PeekHeader(b)
	if err != nil {
		return ServiceRequest{}, err
	}
	if pd != EPSMobilityManagement || sht != ServiceRequestHeader {
		return ServiceRequest{}, headerError(ErrNotSecurityProtected, fmt.Sprintf("%v %v is not a SERVICE REQUEST", pd, sht))
	}
	if len(b) < ServiceRequestLen {
		return ServiceRequest{}, &Error{Protocol: EPSMobilityManagement, MessageType: TypeServiceRequest,
			IE: "KSI and sequence number", Cause: uint8(EMMCauseInvalidMandatoryInformation), Err: ErrTooShort,
			Detail: fmt.Sprintf("%d octets, want %d", len(b), ServiceRequestLen)}
	}
	return ServiceRequest{KSI: b[1] >> 5, SequenceNumber: b[1] & 0x1f, ShortMAC: [2]byte{b[2], b[3]}}, nil
}

// AppendServiceRequest appends the 4 octets of m to dst (TS 24.301 §8.2.25).
// KSI must fit 3 bits and SequenceNumber 5 bits (ErrInvalidValue otherwise).
func AppendServiceRequest(dst []byte, m *ServiceRequest) ([]byte, error) {
	if m.KSI > 7 || m.SequenceNumber > 31 {
		return dst, &Error{Protocol: EPSMobilityManagement, MessageType: TypeServiceRequest, IE: "KSI and sequence number", Err: ErrInvalidValue,
			Detail: fmt.Sprintf("KSI %d (3 bits), sequence number %d (5 bits)", m.KSI, m.SequenceNumber)}
	}
	return append(dst, byte(ServiceRequestHeader)<<4|byte(EPSMobilityManagement), m.KSI<<5|m.SequenceNumber, m.ShortMAC[0], m.ShortMAC[1]), nil
}

func headerError(err error, detail string) *Error {
	return &Error{Err: err, Detail: detail}
}

// MarshalText returns String(), so JSON shows the header type's name.
func (t SecurityHeaderType) MarshalText() ([]byte, error) { return []byte(t.String()), nil }

// MarshalJSON shows the header fields with the MAC and the message in hex.
func (p SecurityProtected) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf(`{"Header":%q,"MAC":"%x","SequenceNumber":%d,"Message":"%x"}`, p.Header.String(), p.MAC[:], p.SequenceNumber, p.Message)), nil
}

// MarshalJSON shows the KSI, the sequence number and the short MAC in hex.
func (m ServiceRequest) MarshalJSON() ([]byte, error) {
	return []byte(fmt.Sprintf(`{"KSI":%d,"SequenceNumber":%d,"ShortMAC":"%x"}`, m.KSI, m.SequenceNumber, m.ShortMAC[:])), nil
}
