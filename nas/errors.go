package nas

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error returned by this package is an *Error that
// wraps one of these (errors.Is works), and carries the message, the IE and
// the cause value to answer with.
var (
	// ErrTooShort: the input ends before the message type IE (TS 24.301
	// §7.2, the message is ignored) or inside a mandatory IE (cause #96).
	ErrTooShort = errors.New("nas: message too short")
	// ErrUnknownProtocolDiscriminator: octet 1 carries neither the EMM nor
	// the ESM discriminator (TS 24.007 §11.2.3.1.1; the message is ignored).
	ErrUnknownProtocolDiscriminator = errors.New("nas: protocol discriminator is neither EMM nor ESM")
	// ErrReservedSecurityHeaderType: security header type 6 to 11 (TS 24.301
	// §9.3.1 table 9.3.1; the message is discarded).
	ErrReservedSecurityHeaderType = errors.New("nas: reserved security header type")
	// ErrNotSecurityProtected: ParseSecurityProtected was given a plain
	// message or a SERVICE REQUEST, or an encoder a non-protected header.
	ErrNotSecurityProtected = errors.New("nas: not a security protected message")
	// ErrSecurityProtected: a plain-message decoder was given a security
	// protected message (header type 1 to 5); unprotect it first (nas/security)
	// or use SecurityProtected.Inner when it is known to be unciphered.
	ErrSecurityProtected = errors.New("nas: security protected message: unprotect first")
	// ErrInvalidMandatoryInformation: an imperative message part error, a
	// missing or syntactically incorrect mandatory IE, or an unknown or out of
	// sequence "comprehension required" IE (TS 24.301 §7.5.1): cause #96.
	ErrInvalidMandatoryInformation = errors.New("nas: invalid mandatory information")
	// ErrMessageTypeNonExistent: message type not defined for the protocol
	// discriminator or not implemented by the receiver (TS 24.301 §7.4):
	// cause #97.
	ErrMessageTypeNonExistent = errors.New("nas: message type non-existent or not implemented")
	// ErrMessageTypeNotCompatible: a message the receiver implements but
	// which is not sent in this direction, for example an ATTACH ACCEPT
	// received by the network (TS 24.301 §7.4): cause #98.
	ErrMessageTypeNotCompatible = errors.New("nas: message type not compatible with the protocol state")
	// ErrIENonExistent: an IE the receiver cannot handle and may not ignore
	// (TS 24.301 Annex A cause #99). The decoder reports it for an unknown
	// IEI in the non-imperative part that is encoded "comprehension required"
	// (TS 24.007 §11.2.4, TS 24.301 §7.6.1).
	ErrIENonExistent = errors.New("nas: information element non-existent or not implemented")
	// ErrConditionalIE: a missing or unexpected conditional IE or a
	// syntactically incorrect conditional IE (TS 24.301 §7.7.2): cause #100.
	ErrConditionalIE = errors.New("nas: conditional IE error")
	// ErrInvalidValue: an encoder was given a value that does not fit its
	// IE (too long, out of range). Nothing is written.
	ErrInvalidValue = errors.New("nas: value does not fit its information element")
)

// Error is a decoding or encoding failure. It names the message and the IE
// (spec names) and carries the cause value the receiver answers with, in
// EMM STATUS or ESM STATUS or the procedure's reject message (TS 24.301 §7).
type Error struct {
	// Protocol is the discriminator of the message, 0 when octet 1 could
	// not be read.
	Protocol ProtocolDiscriminator
	// MessageType is the message being decoded, 0 when the message type was
	// not reached.
	MessageType MessageType
	// IE is the spec name of the information element at fault ("EPS mobile
	// identity"), or "" when the fault is in the header or message type.
	IE string
	// Cause is the cause value to answer with: an EMM cause (TS 24.301
	// §9.9.3.9) when Protocol is EMM, an ESM cause (§9.9.4.4) when it is ESM.
	// 0 means the message is to be ignored without an answer (TS 24.301 §7.2,
	// TS 24.007 §11.2.3.1.1) or, for encoding, that there is nothing to answer.
	Cause uint8
	// Err is one of the sentinel errors above.
	Err error
	// Detail says what exactly is wrong, for logs.
	Detail string
}

// Error formats as "nas: <message>: <IE>: <sentinel text> (#cause): detail".
func (e *Error) Error() string {
	s := "nas: "
	if e.MessageType != 0 {
		s += e.MessageType.String() + ": "
	} else if e.Protocol != 0 {
		s += e.Protocol.String() + ": "
	}
	if e.IE != "" {
		s += e.IE + ": "
	}
	if e.Err != nil {
		s += trimPrefix(e.Err.Error())
	}
	if e.Cause != 0 {
		s += fmt.Sprintf(" (#%d)", e.Cause)
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

func trimPrefix(s string) string {
	if len(s) > 5 && s[:5] == "nas: " {
		return s[5:]
	}
	return s
}

// Unwrap returns the sentinel.
func (e *Error) Unwrap() error { return e.Err }

// EMMCause returns Cause as an EMM cause (meaningful when Protocol is EMM).
func (e *Error) EMMCause() EMMCause { return EMMCause(e.Cause) }

// ESMCause returns Cause as an ESM cause (meaningful when Protocol is ESM).
func (e *Error) ESMCause() ESMCause { return ESMCause(e.Cause) }

// Ignore reports whether TS 24.301 §7 says to drop the message without an
// answer (Cause 0): too short for a message type, unknown protocol
// discriminator, reserved security header type.
func (e *Error) Ignore() bool { return e.Cause == 0 }
