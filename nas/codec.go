package nas

import (
	"errors"
	"fmt"
)

// Message is a decoded NAS message: one of this package's message types
// (*AttachRequest, *SecurityModeCommand, *ServiceRequest,
// *SecurityProtected, ...). Only this package's types are encodable.
type Message interface {
	// MessageType returns the message type (TS 24.301 §9.8).
	MessageType() MessageType
	// ProtocolDiscriminator returns EMM or ESM (TS 24.007 §11.2.3.1.1).
	ProtocolDiscriminator() ProtocolDiscriminator
}

// plainMessage is implemented by the generated plain EMM and ESM messages.
type plainMessage interface {
	Message
	appendMessage(dst []byte) ([]byte, error)
}

// Direction is the direction a message travels.
type Direction uint8

// Directions. AnyDirection accepts every message type.
const (
	AnyDirection Direction = iota
	// Uplink: UE to network, as the MME receives.
	Uplink
	// Downlink: network to UE, as a UE (the load tester) receives.
	Downlink
)

// String returns "Any", "Uplink" or "Downlink".
func (d Direction) String() string {
	switch d {
	case Uplink:
		return "Uplink"
	case Downlink:
		return "Downlink"
	}
	return "Any"
}

// Sentinels for irregular IEs of the non-imperative part (TS 24.301 §7.6,
// §7.7.1). Decode does not return them; it passes them to Decoder.Irregular.
var (
	// ErrOutOfSequenceIE: a known IE after one that follows it in the
	// message's table (TS 24.301 §7.6.2). It is accepted: see Decoder.
	ErrOutOfSequenceIE = errors.New("nas: out of sequence information element")
	// ErrRepeatedIE: a second instance of a non-repeatable IE (TS 24.301
	// §7.6.3), ignored.
	ErrRepeatedIE = errors.New("nas: repeated information element")
	// ErrInvalidOptionalIE: a syntactically incorrect optional IE (TS 24.301
	// §7.7.1), treated as not present.
	ErrInvalidOptionalIE = errors.New("nas: syntactically incorrect optional information element")
)

// IrregularIE describes an IE of the non-imperative part that deviates
// from the message's table in TS 24.301 §8.
type IrregularIE struct {
	MessageType MessageType
	IEI         uint8
	// IE is the spec name for known IEs, "" for unknown ones.
	IE string
	// Reason is ErrIENonExistent (unknown IEI, skipped per §7.6.1; a
	// receiver may report it with cause #99), ErrOutOfSequenceIE (accepted),
	// ErrRepeatedIE (ignored, §7.6.3) or an error wrapping
	// ErrInvalidOptionalIE (treated as absent, §7.7.1).
	Reason error
	// Ignored tells whether the IE was left out of the decoded message.
	Ignored bool
}

// Decoder decodes NAS messages. The zero value decodes messages of any
// direction and copies the input once so that the result does not alias it.
//
// The non-imperative part follows TS 24.301 §7.6 and §7.7: unknown IEs are
// skipped (their format told by the IEI, TS 24.007 §11.2.4) unless encoded
// "comprehension required" (#96, §7.5.1); repeated IEs after the first are
// ignored (§7.6.3); syntactically incorrect optional IEs are treated as
// absent (§7.7.1) and conditional ones are #100 (§7.7.2). Out of sequence
// IEs are accepted when otherwise valid: §7.6.2 says the network "should"
// ignore them, but real UEs send e.g. the device properties before the old
// GUTI type of a TRACKING AREA UPDATE REQUEST, and dropping those would
// lose what the procedures need. Such a message decodes completely but does
// not re-encode byte-identically (the encoder follows the table order).
type Decoder struct {
	// Direction restricts the message types accepted: a message that never
	// travels in this direction is rejected with ErrMessageTypeNotCompatible
	// (cause #98). It also selects the DETACH REQUEST variant (UE
	// originating uplink, UE terminated downlink); with AnyDirection the
	// variant is chosen by the form of the message.
	Direction Direction
	// NoCopy makes byte-slice fields of the result alias the input, saving
	// one allocation; the input must then stay unchanged while the message is
	// in use.
	NoCopy bool
	// Irregular, if set, is called for each IE of the non-imperative part
	// that deviates from the message's table (see IrregularIE).
	Irregular func(IrregularIE)
}

// Decode decodes one NAS message of any direction: a plain EMM or ESM
// message (TS 24.301 §8), a SERVICE REQUEST (*ServiceRequest) or the
// envelope of a security protected message (*SecurityProtected; unprotect it
// with nas/security, or use SecurityProtected.Inner when it is not
// ciphered). Errors are *Error values, see Decoder.Decode.
func Decode(b []byte) (Message, error) { return Decoder{}.Decode(b) }

// DecodeUplink decodes a message as the network receives it (UE to network).
func DecodeUplink(b []byte) (Message, error) { return Decoder{Direction: Uplink}.Decode(b) }

// DecodeDownlink decodes a message as a UE receives it (network to UE).
func DecodeDownlink(b []byte) (Message, error) { return Decoder{Direction: Downlink}.Decode(b) }

// Decode decodes one NAS message (see the package function Decode). Every
// error is an *Error naming the message and IE and carrying the cause to
// answer with (TS 24.301 §7):
//   - ErrTooShort with Cause 0: too short to hold the message type (§7.2,
//     ignore the message);
//   - ErrUnknownProtocolDiscriminator, ErrReservedSecurityHeaderType: Cause 0,
//     ignore;
//   - ErrMessageTypeNonExistent: #97 (§7.4);
//   - ErrMessageTypeNotCompatible: #98, the type never travels in d.Direction;
//   - ErrInvalidMandatoryInformation (or ErrTooShort with Cause 96): a
//     missing, truncated or syntactically incorrect mandatory IE, or an
//     unknown "comprehension required" IE (§7.5.1): #96;
//   - ErrConditionalIE: #100 (§7.7.2).
func (d Decoder) Decode(b []byte) (Message, error) {
	pd, sht, err := PeekHeader(b)
	if err != nil {
		return nil, err
	}
	if pd == EPSMobilityManagement {
		switch {
		case sht == ServiceRequestHeader:
			if d.Direction == Downlink {
				return nil, &Error{Protocol: pd, MessageType: TypeServiceRequest, Cause: uint8(EMMCauseMessageTypeNotCompatible), Err: ErrMessageTypeNotCompatible, Detail: "SERVICE REQUEST is sent by the UE"}
			}
			sr, err := ParseServiceRequest(b)
			if err != nil {
				return nil, err
			}
			return &sr, nil
		case sht.IsProtected():
			if !d.NoCopy {
				b = clone(b)
			}
			p, err := ParseSecurityProtected(b)
			if err != nil {
				return nil, err
			}
			return &p, nil
		}
	}
	st := decodeState{pd: pd, irregular: d.Irregular}
	switch pd {
	case EPSMobilityManagement:
		if len(b) < 2 {
			// TS 24.301 §7.2: too short to contain a complete message type IE.
			return nil, &Error{Protocol: pd, Err: ErrTooShort, Detail: fmt.Sprintf("%d octet(s), EMM header needs 2", len(b))}
		}
		st.mt = MessageType(b[1])
	default:
		if len(b) < 3 {
			return nil, &Error{Protocol: pd, Err: ErrTooShort, Detail: fmt.Sprintf("%d octet(s), ESM header needs 3", len(b))}
		}
		st.ebi, st.pti, st.mt = b[0]>>4, b[1], MessageType(b[2])
	}
	info, ok := messageInfo(pd, st.mt)
	if !ok {
		// TS 24.301 §7.4: message type not defined for the PD or not implemented.
		return nil, &Error{Protocol: pd, MessageType: st.mt, Cause: uint8(EMMCauseMessageTypeNonExistent), Err: ErrMessageTypeNonExistent}
	}
	if d.Direction != AnyDirection && info.dir != AnyDirection && info.dir != d.Direction {
		// TS 24.301 §7.4: a message the receiver never accepts in any state.
		return nil, &Error{Protocol: pd, MessageType: st.mt, Cause: uint8(EMMCauseMessageTypeNotCompatible), Err: ErrMessageTypeNotCompatible,
			Detail: fmt.Sprintf("%v message received %v", info.dir, d.Direction)}
	}
	if info.aliases && !d.NoCopy {
		b = clone(b)
	}
	if pd == EPSMobilityManagement {
		st.b = b[2:]
	} else {
		st.b = b[3:]
	}
	dec := info.decode
	if st.mt == TypeDetachRequest {
		dec = decodeDetachRequestUEOriginating
		if d.Direction == Downlink || (d.Direction == AnyDirection && looksUETerminated(st.b)) {
			dec = decodeDetachRequestUETerminated
		}
	}
	return dec(&st)
}

// looksUETerminated tells the two DETACH REQUEST forms apart when the
// direction is unknown: the UE terminated form (TS 24.301 §8.2.11.2) is the
// detach type octet, whose bits 8-4 are spare (0), alone or followed by the
// EMM cause TV (0x53, 2 octets); the UE originating form (§8.2.11.1) always
// carries an EPS mobile identity LV after it, which these lengths cannot
// hold.
func looksUETerminated(body []byte) bool {
	return len(body) > 0 && body[0]&0xf8 == 0 && (len(body) == 1 || (len(body) == 3 && body[1] == 0x53))
}

func clone(b []byte) []byte { return append(make([]byte, 0, len(b)), b...) }

// Inner decodes p.Message as a plain NAS message (any direction, aliasing
// p.Message). Use it when p.Header is IntegrityProtected or
// IntegrityProtectedNewContext, or when the ciphering algorithm is known to
// be EEA0; otherwise decipher first (nas/security). It does not check the
// MAC. A nested security protected message is ErrSecurityProtected.
func (p *SecurityProtected) Inner() (Message, error) {
	m, err := Decoder{NoCopy: true}.Decode(p.Message)
	if err != nil {
		return nil, err
	}
	switch m.(type) {
	case *SecurityProtected, *ServiceRequest:
		return nil, &Error{Protocol: EPSMobilityManagement, MessageType: TypeSecurityProtected, IE: "NAS message", Cause: uint8(EMMCauseSemanticallyIncorrectMessage), Err: ErrSecurityProtected, Detail: "nested security header"}
	}
	return m, nil
}

// decodeESMContainer decodes the ESM message carried in an ESM message
// container (TS 24.301 §9.9.3.15), which must be a plain ESM message.
func decodeESMContainer(c []byte) (Message, error) {
	pd, _, err := PeekHeader(c)
	if err == nil && pd != EPSSessionManagement {
		return nil, &Error{Protocol: pd, IE: "ESM message container", Cause: uint8(EMMCauseInvalidMandatoryInformation), Err: ErrInvalidMandatoryInformation,
			Detail: fmt.Sprintf("contains a %v message", pd)}
	}
	return Decoder{NoCopy: true}.Decode(c)
}

// Encode returns the encoding of m (TS 24.301 §8 and §9). Errors are *Error
// wrapping ErrInvalidValue naming the IE that does not fit.
func Encode(m Message) ([]byte, error) { return AppendEncode(make([]byte, 0, 128), m) }

// AppendEncode appends the encoding of m to dst and returns the extended
// buffer. On error dst is returned unchanged in length.
func AppendEncode(dst []byte, m Message) ([]byte, error) {
	start := len(dst)
	var err error
	switch m := m.(type) {
	case *ServiceRequest:
		dst, err = AppendServiceRequest(dst, m)
	case *SecurityProtected:
		dst, err = AppendSecurityProtected(dst, m)
	case plainMessage:
		dst, err = m.appendMessage(dst)
	default:
		return dst, &Error{Err: ErrInvalidValue, Detail: fmt.Sprintf("%T is not a message of package nas", m)}
	}
	if err != nil {
		return dst[:start], err
	}
	return dst, nil
}

// decodeState is the cursor over a message body being decoded.
type decodeState struct {
	b         []byte // the rest of the message
	pd        ProtocolDiscriminator
	mt        MessageType
	ebi, pti  uint8 // ESM header
	irregular func(IrregularIE)
}

// mandatoryError builds the #96 error of TS 24.301 §7.5.1.
func (d *decodeState) mandatoryError(ie string, sentinel error, detail string) *Error {
	return &Error{Protocol: d.pd, MessageType: d.mt, IE: ie, Cause: uint8(EMMCauseInvalidMandatoryInformation), Err: sentinel, Detail: detail}
}

// invalid wraps a content error of a mandatory IE (#96, TS 24.301 §7.5.1).
func (d *decodeState) invalid(ie string, err error) error {
	return d.mandatoryError(ie, ErrInvalidMandatoryInformation, err.Error())
}

// octet reads one octet of the imperative part (a V IE or two half octets).
func (d *decodeState) octet(ie string) (byte, error) {
	if len(d.b) < 1 {
		return 0, d.mandatoryError(ie, ErrTooShort, "missing")
	}
	o := d.b[0]
	d.b = d.b[1:]
	return o, nil
}

// fixed reads a V IE of n octets.
func (d *decodeState) fixed(n int, ie string) ([]byte, error) {
	if len(d.b) < n {
		return nil, d.mandatoryError(ie, ErrTooShort, fmt.Sprintf("needs %d octets, %d left", n, len(d.b)))
	}
	v := d.b[:n:n]
	d.b = d.b[n:]
	return v, nil
}

// lv reads an LV IE whose value has at least min octets.
func (d *decodeState) lv(min int, ie string) ([]byte, error) {
	if len(d.b) < 1 {
		return nil, d.mandatoryError(ie, ErrTooShort, "missing")
	}
	n := int(d.b[0])
	if 1+n > len(d.b) {
		return nil, d.mandatoryError(ie, ErrTooShort, fmt.Sprintf("length %d, %d octets left", n, len(d.b)-1))
	}
	if n < min {
		return nil, d.mandatoryError(ie, ErrInvalidMandatoryInformation, lengthError(n, min, 255).Error())
	}
	v := d.b[1 : 1+n : 1+n]
	d.b = d.b[1+n:]
	return v, nil
}

// lve reads an LV-E IE (two length octets, TS 24.007 §11.2.1.1.4).
func (d *decodeState) lve(min int, ie string) ([]byte, error) {
	if len(d.b) < 2 {
		return nil, d.mandatoryError(ie, ErrTooShort, "missing")
	}
	n := int(d.b[0])<<8 | int(d.b[1])
	if 2+n > len(d.b) {
		return nil, d.mandatoryError(ie, ErrTooShort, fmt.Sprintf("length %d, %d octets left", n, len(d.b)-2))
	}
	if n < min {
		return nil, d.mandatoryError(ie, ErrInvalidMandatoryInformation, lengthError(n, min, 65535).Error())
	}
	v := d.b[2 : 2+n : 2+n]
	d.b = d.b[2+n:]
	return v, nil
}

// ieFormat is the format of an optional IE (TS 24.007 §11.2.1.1).
type ieFormat uint8

const (
	fmtTV1  ieFormat = iota + 1 // type 1: IEI in bits 8-5, value in bits 4-1
	fmtTV                       // type 3: IEI and fixed-length value
	fmtTLV                      // type 4: IEI, one length octet, value
	fmtTLVE                     // type 6: IEI, two length octets, value
)

// optionalIE describes one IE of a message's non-imperative part, in the
// order of the message's table in TS 24.301 §8.
type optionalIE struct {
	iei    uint8 // full IEI; for fmtTV1 the IEI nibble in bits 8-5
	format ieFormat
	min    int // value length: exact for fmtTV, minimum for fmtTLV/fmtTLVE
	cond   bool
	name   string
}

// ieSetter stores the value of the i-th optional IE of a message.
type ieSetter interface {
	setIE(i int, v []byte) error
}

// optional decodes the non-imperative part with the rules of TS 24.301 §7.6
// and §7.7 as described on Decoder.
func (d *decodeState) optional(table []optionalIE, s ieSetter) error {
	b := d.b
	last := -1
	var seen uint64 // table indexes already decoded (tables have < 64 IEs)
	for len(b) > 0 {
		iei := b[0]
		idx := -1
		for i := range table {
			t := &table[i]
			if (t.format == fmtTV1 && iei&0xf0 == t.iei) || (t.format != fmtTV1 && iei == t.iei) {
				idx = i
				break
			}
		}
		if idx < 0 {
			// TS 24.007 §11.2.4: bit 8 set is a one-octet type 1 or 2 IE;
			// 0111xxxx is a TLV-E in EPS NAS; others are TLV. IEIs 0000xxxx
			// of types 3 and 4 are "comprehension required".
			var n int
			switch {
			case iei&0x80 != 0:
				n = 1
			case iei&0xf0 == 0:
				return &Error{Protocol: d.pd, MessageType: d.mt, IE: fmt.Sprintf("IEI 0x%02x", iei), Cause: uint8(EMMCauseInvalidMandatoryInformation),
					Err: ErrInvalidMandatoryInformation, Detail: "unknown IE encoded as comprehension required (TS 24.301 §7.5.1)"}
			case iei&0xf0 == 0x70:
				if len(b) < 3 {
					n = len(b) + 1
				} else {
					n = 3 + (int(b[1])<<8 | int(b[2]))
				}
			default:
				if len(b) < 2 {
					n = len(b) + 1
				} else {
					n = 2 + int(b[1])
				}
			}
			d.report(iei, "", ErrIENonExistent, true)
			if n > len(b) {
				return nil // the unknown IE runs to the end: nothing follows
			}
			b = b[n:]
			continue
		}
		t := &table[idx]
		var v []byte
		n := 1
		switch t.format {
		case fmtTV1:
			v = b[:1:1]
		case fmtTV:
			n = 1 + t.min
			if n <= len(b) {
				v = b[1:n:n]
			}
		case fmtTLV:
			if len(b) >= 2 {
				n = 2 + int(b[1])
				if n <= len(b) {
					v = b[2:n:n]
				}
			} else {
				n = 2
			}
		case fmtTLVE:
			if len(b) >= 3 {
				n = 3 + (int(b[1])<<8 | int(b[2]))
				if n <= len(b) {
					v = b[3:n:n]
				}
			} else {
				n = 3
			}
		}
		if n > len(b) {
			err := fmt.Errorf("%w: truncated, needs %d octets, %d left", ErrInvalidOptionalIE, n, len(b))
			if t.cond {
				return d.conditionalError(t.name, err)
			}
			d.report(iei, t.name, err, true)
			return nil
		}
		b = b[n:]
		if seen&(1<<idx) != 0 {
			d.report(iei, t.name, ErrRepeatedIE, true) // TS 24.301 §7.6.3
			continue
		}
		seen |= 1 << idx
		if idx < last {
			d.report(iei, t.name, ErrOutOfSequenceIE, false) // TS 24.301 §7.6.2, accepted (see Decoder)
		} else {
			last = idx
		}
		var err error
		if (t.format == fmtTLV || t.format == fmtTLVE) && len(v) < t.min {
			err = lengthError(len(v), t.min, 65535)
		} else {
			err = s.setIE(idx, v)
		}
		if err != nil {
			if t.cond {
				return d.conditionalError(t.name, err) // TS 24.301 §7.7.2
			}
			d.report(iei, t.name, fmt.Errorf("%w: %v", ErrInvalidOptionalIE, err), true) // TS 24.301 §7.7.1
		}
	}
	d.b = b[len(b):]
	return nil
}

func (d *decodeState) report(iei uint8, ie string, reason error, ignored bool) {
	if d.irregular != nil {
		d.irregular(IrregularIE{MessageType: d.mt, IEI: iei, IE: ie, Reason: reason, Ignored: ignored})
	}
}

// conditionalError builds the #100 error of TS 24.301 §7.7.2.
func (d *decodeState) conditionalError(ie string, err error) error {
	return &Error{Protocol: d.pd, MessageType: d.mt, IE: ie, Cause: uint8(EMMCauseConditionalIEError), Err: ErrConditionalIE, Detail: err.Error()}
}

// encodeError names the message and IE of an encoding failure.
func encodeError(mt MessageType, ie string, err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	detail := err.Error()
	if errors.Is(err, ErrInvalidValue) {
		detail = trimPrefix(detail)
		if len(detail) > len("value does not fit its information element: ") && detail[:len("value does not fit its information element: ")] == "value does not fit its information element: " {
			detail = detail[len("value does not fit its information element: "):]
		}
	}
	return &Error{Protocol: mt.ProtocolDiscriminator(), MessageType: mt, IE: ie, Err: ErrInvalidValue, Detail: detail}
}

// endLV writes the length octet at dst[at] for the value appended after it
// and checks it against [min, max].
func endLV(dst []byte, at, min, max int, mt MessageType, ie string) ([]byte, error) {
	n := len(dst) - at - 1
	if n < min || n > max {
		return dst, encodeError(mt, ie, fmt.Errorf("%w: %v", ErrInvalidValue, lengthError(n, min, max)))
	}
	dst[at] = byte(n)
	return dst, nil
}

// endLVE writes the two length octets at dst[at:at+2].
func endLVE(dst []byte, at, min, max int, mt MessageType, ie string) ([]byte, error) {
	n := len(dst) - at - 2
	if n < min || n > max {
		return dst, encodeError(mt, ie, fmt.Errorf("%w: %v", ErrInvalidValue, lengthError(n, min, max)))
	}
	dst[at], dst[at+1] = byte(n>>8), byte(n)
	return dst, nil
}

// checkFixed checks that a V or TV value appended from at has n octets.
func checkFixed(dst []byte, at, n int, mt MessageType, ie string) ([]byte, error) {
	if len(dst)-at != n {
		return dst, encodeError(mt, ie, fmt.Errorf("%w: %v", ErrInvalidValue, lengthError(len(dst)-at, n, n)))
	}
	return dst, nil
}

// checkU4 checks a half-octet value.
func checkU4(v uint8, mt MessageType, ie string) (uint8, error) {
	if v > 15 {
		return 0, encodeError(mt, ie, fmt.Errorf("%w: %d does not fit 4 bits", ErrInvalidValue, v))
	}
	return v, nil
}
