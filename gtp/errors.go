package gtp

import (
	"errors"
	"fmt"
)

// Sentinel errors of Decode, matched with errors.Is. Each *DecodeError wraps
// one of them; Cause gives the GTP cause to answer a request with.
var (
	// ErrTooShort: fewer octets than the GTPv2-C header. TS 29.274 §7.7.3:
	// silently discarded.
	ErrTooShort = errors.New("gtp: message too short for a GTPv2-C header")
	// ErrVersionNotSupported: version other than 2. TS 29.274 §7.7.2 (and
	// §7.1.3): answered with a Version Not Supported Indication.
	ErrVersionNotSupported = errors.New("gtp: version not supported")
	// ErrInvalidLength: the Length field does not match the datagram.
	// TS 29.274 §7.7.3: a request is answered with cause Invalid length (#67).
	ErrInvalidLength = errors.New("gtp: invalid length")
	// ErrInvalidMessageFormat: the IEs do not parse as type-length-instance
	// values within the message. Cause Invalid Message Format (#65),
	// TS 29.274 §7.7.1.
	ErrInvalidMessageFormat = errors.New("gtp: invalid message format")
	// ErrUnknownMessageType: not a GTPv2-C message type this codec knows.
	// TS 29.274 §7.7.4: silently discarded.
	ErrUnknownMessageType = errors.New("gtp: unknown message type")
	// ErrServiceNotSupported: a GTPv2-C message type S11 does not carry or
	// this codec does not implement. A request is answered with cause
	// Service not supported (#68).
	ErrServiceNotSupported = errors.New("gtp: service not supported")
	// ErrMandatoryIEMissing: cause Mandatory IE missing (#70), with the
	// missing IE as offending IE (TS 29.274 §7.7.6).
	ErrMandatoryIEMissing = errors.New("gtp: mandatory IE missing")
	// ErrMandatoryIEIncorrect: cause Mandatory IE incorrect (#69), with the
	// offending IE (TS 29.274 §7.7.7, §7.7.8).
	ErrMandatoryIEIncorrect = errors.New("gtp: mandatory IE incorrect")
	// ErrConditionalIEMissing: a conditional IE whose condition the receiver
	// can evaluate is absent: cause Conditional IE missing (#103),
	// TS 29.274 §7.7.6.
	ErrConditionalIEMissing = errors.New("gtp: conditional IE missing")
)

// DecodeError is the typed error of Decode. It carries what the receiver
// needs to answer: the message type, the GTP cause (0 when the message is
// to be discarded without an answer) and the offending IE.
type DecodeError struct {
	Type  MessageType // message type from the header (0 if unreadable)
	Cause CauseValue  // cause to answer a request with; 0: discard
	// IE is the offending IE (type, instance) when HasIE is set. For an IE
	// inside a grouped IE, Within names the grouped IE.
	IE     IEID
	HasIE  bool
	Within IEID
	Nested bool
	Err    error // one of the sentinel errors above
	Detail string
}

func (e *DecodeError) Error() string {
	s := e.Err.Error()
	if e.Type != 0 {
		s += " in " + e.Type.String()
	}
	if e.HasIE {
		s += ": " + e.IE.String()
		if e.Nested {
			s += " within " + e.Within.String()
		}
	}
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns the sentinel error.
func (e *DecodeError) Unwrap() error { return e.Err }

// CauseIE returns the Cause IE value to put in the answer: the cause, with
// the offending IE for Mandatory IE missing/incorrect and Conditional IE
// missing (TS 29.274 §8.4).
func (e *DecodeError) CauseIE() Cause {
	c := Cause{Value: e.Cause}
	switch e.Cause {
	case CauseMandatoryIEMissing, CauseMandatoryIEIncorrect, CauseConditionalIEMissing:
		if e.HasIE {
			c.Offending, c.HasOffending = e.IE, true
		}
	}
	return c
}

func causeFor(err error) CauseValue {
	switch err {
	case ErrInvalidLength:
		return CauseInvalidLength
	case ErrInvalidMessageFormat:
		return CauseInvalidMessageFormat
	case ErrServiceNotSupported:
		return CauseServiceNotSupported
	case ErrMandatoryIEMissing:
		return CauseMandatoryIEMissing
	case ErrMandatoryIEIncorrect:
		return CauseMandatoryIEIncorrect
	case ErrConditionalIEMissing:
		return CauseConditionalIEMissing
	}
	return 0
}

func newDecodeError(t MessageType, sentinel error, detail string) *DecodeError {
	return &DecodeError{Type: t, Cause: causeFor(sentinel), Err: sentinel, Detail: detail}
}

// ieProblem is an IE-level decoding problem before it knows its message.
type ieProblem struct {
	err    error // ErrMandatoryIEMissing, ErrMandatoryIEIncorrect, ErrConditionalIEMissing
	id     IEID
	within IEID
	nested bool
	detail string
}

func (p *ieProblem) Error() string { return fmt.Sprintf("%v: %v: %s", p.err, p.id, p.detail) }

func (p *ieProblem) toDecodeError(t MessageType) *DecodeError {
	return &DecodeError{
		Type: t, Cause: causeFor(p.err), Err: p.err,
		IE: p.id, HasIE: true, Within: p.within, Nested: p.nested, Detail: p.detail,
	}
}

// EncodeError reports a message that cannot be encoded: a value out of its
// IE's range or a mandatory IE left empty.
type EncodeError struct {
	Type MessageType
	IE   IEType
	Err  error
}

func (e *EncodeError) Error() string {
	return fmt.Sprintf("gtp: encode %v: %v: %v", e.Type, e.IE, e.Err)
}

// Unwrap returns the underlying error.
func (e *EncodeError) Unwrap() error { return e.Err }
