package s6a

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/avp"
	"github.com/fiorix/go-diameter/v4/diam/datatype"
)

// Message size limits. RFC 6733 §3 allows 2^24-1 octets; S6a messages are
// a few hundred octets, so a peer announcing more is broken or hostile.
const (
	HeaderLength     = diam.HeaderLength // octets of the Diameter header
	MaxMessageLength = 64 << 10          // largest message Parse accepts
	maxGroupDepth    = 8                 // nesting of grouped AVPs accepted
)

// ErrMalformed is wrapped by every *ProtocolError.
var ErrMalformed = errors.New("s6a: malformed diameter message")

// ProtocolError is a message-level error (RFC 6733 §7.1): the message
// cannot be processed. ResultCode is what the answer carries (with the E
// bit for 3xxx protocol errors, §7.2). Header is the decoded header when
// it could be read, so a request can still be answered; FailedAVPCode
// names the offending AVP (0 when the fault is not in an AVP).
type ProtocolError struct {
	ResultCode    uint32
	Header        *diam.Header
	FailedAVPCode uint32
	Reason        string
}

func (e *ProtocolError) Error() string {
	return fmt.Sprintf("s6a: %s (answer with result %d)", e.Reason, e.ResultCode)
}

func (e *ProtocolError) Unwrap() error { return ErrMalformed }

// MessageLength validates a Diameter header prefix (at least HeaderLength
// octets) and returns the message length it announces, so a stream reader
// knows how many octets to read (RFC 6733 §3: Version 1; the length counts
// the header and is a multiple of 4).
func MessageLength(hdr []byte) (int, error) {
	if len(hdr) < HeaderLength {
		return 0, &ProtocolError{ResultCode: ResultInvalidMessageLength, Reason: "short header"}
	}
	if hdr[0] != 1 {
		return 0, &ProtocolError{ResultCode: ResultUnsupportedVersion, Reason: fmt.Sprintf("version %d", hdr[0])}
	}
	n := int(hdr[1])<<16 | int(hdr[2])<<8 | int(hdr[3])
	if n < HeaderLength || n%4 != 0 || n > MaxMessageLength {
		return 0, &ProtocolError{ResultCode: ResultInvalidMessageLength, Reason: fmt.Sprintf("message length %d", n)}
	}
	return n, nil
}

// Parse decodes one complete Diameter message of the base protocol or the
// S6a application with go-diameter, after checking its framing: header
// flags, AVP lengths, nested grouped AVPs and the length of fixed-size
// values (which go-diameter would otherwise turn into zero). It never
// panics; errors are *ProtocolError.
func Parse(b []byte) (*diam.Message, error) {
	n, err := MessageLength(b)
	if err != nil {
		return nil, err
	}
	if n != len(b) {
		return nil, &ProtocolError{ResultCode: ResultInvalidMessageLength, Reason: fmt.Sprintf("message length %d, have %d octets", n, len(b))}
	}
	h, _ := diam.DecodeHeader(b)
	perr := func(code uint32, avpCode uint32, format string, args ...any) error {
		return &ProtocolError{ResultCode: code, Header: h, FailedAVPCode: avpCode, Reason: fmt.Sprintf(format, args...)}
	}
	// RFC 6733 §3: reserved flag bits are zero; a request never has E set.
	if h.CommandFlags&0x0f != 0 || h.CommandFlags&diam.RequestFlag != 0 && h.CommandFlags&diam.ErrorFlag != 0 {
		return nil, perr(ResultInvalidHdrBits, 0, "invalid header flags %#02x", h.CommandFlags)
	}
	if h.ApplicationID != 0 && h.ApplicationID != ApplicationID {
		return nil, perr(ResultApplicationUnsupported, 0, "application %d", h.ApplicationID)
	}
	if _, err := Dictionary().FindCommand(h.ApplicationID, h.CommandCode); err != nil {
		return nil, perr(ResultCommandUnsupported, 0, "command %d", h.CommandCode)
	}
	if c, reason := checkAVPs(b[HeaderLength:], h.ApplicationID, 0); reason != "" {
		return nil, perr(ResultInvalidAVPLength, c, "AVP %d: %s", c, reason)
	}
	m, err := diam.ReadMessage(bytes.NewReader(b), Dictionary())
	if err != nil {
		return nil, perr(ResultInvalidAVPValue, 0, "decode: %v", err)
	}
	return m, nil
}

// checkAVPs walks a sequence of AVPs (RFC 6733 §4.1) and returns the code
// of the first malformed one and why, or "" when all are well formed.
func checkAVPs(b []byte, app uint32, depth int) (uint32, string) {
	if depth > maxGroupDepth {
		return 0, "grouped AVPs nested too deep"
	}
	for len(b) > 0 {
		if len(b) < 8 {
			return 0, "truncated AVP header"
		}
		code := binary.BigEndian.Uint32(b[0:4])
		flags := b[4]
		l := int(b[5])<<16 | int(b[6])<<8 | int(b[7])
		hl := 8
		var vendor uint32
		if flags&avp.Vbit != 0 {
			hl = 12
			if len(b) < 12 {
				return code, "truncated vendor id"
			}
			vendor = binary.BigEndian.Uint32(b[8:12])
		}
		if l < hl || l > len(b) {
			return code, fmt.Sprintf("length %d out of range", l)
		}
		padded := (l + 3) &^ 3
		if padded > len(b) {
			return code, "missing padding"
		}
		payload := b[hl:l]
		if d, err := Dictionary().FindAVPByCode(app, code, vendor); err == nil {
			if reason := checkValue(d.Data.Type, payload); reason != "" {
				return code, reason
			}
			if d.Data.Type == datatype.GroupedType {
				if c, reason := checkAVPs(payload, app, depth+1); reason != "" {
					if c == 0 {
						c = code
					}
					return c, reason
				}
			}
		}
		b = b[padded:]
	}
	return 0, ""
}

// checkValue checks the length of a value of a fixed-size or structured
// basic type (RFC 6733 §4.2, §4.3.1).
func checkValue(t datatype.TypeID, v []byte) string {
	want := 0
	switch t {
	case datatype.Unsigned32Type, datatype.Integer32Type, datatype.EnumeratedType,
		datatype.Float32Type, datatype.TimeType:
		want = 4
	case datatype.Unsigned64Type, datatype.Integer64Type, datatype.Float64Type:
		want = 8
	case datatype.AddressType:
		if len(v) < 3 {
			return "short address"
		}
		switch fam := binary.BigEndian.Uint16(v); fam {
		case 1:
			want = 6
		case 2:
			want = 18
		case 0, 0xffff:
			return "reserved address family"
		default:
			return ""
		}
	default:
		return ""
	}
	if len(v) != want {
		return fmt.Sprintf("value of %d octets, want %d", len(v), want)
	}
	return ""
}

// WalkFraming checks that b is one Diameter message of any application:
// a version 1 header whose length matches b, then a sequence of AVPs whose
// lengths and padding fit (RFC 6733 §3, §4.1). It needs no dictionary and
// does not look inside AVPs.
func WalkFraming(b []byte) error {
	n, err := MessageLength(b)
	if err != nil {
		return err
	}
	if n != len(b) {
		return &ProtocolError{ResultCode: ResultInvalidMessageLength, Reason: fmt.Sprintf("message length %d, have %d octets", n, len(b))}
	}
	if c, reason := checkAVPs(b[HeaderLength:], ^uint32(0), maxGroupDepth); reason != "" {
		return &ProtocolError{ResultCode: ResultInvalidAVPLength, FailedAVPCode: c, Reason: reason}
	}
	return nil
}
