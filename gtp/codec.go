package gtp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"

	"github.com/wmnsk/go-gtp/gtpv2/ie"
	"github.com/wmnsk/go-gtp/gtpv2/message"
)

// MaxSeq is the largest GTPv2-C sequence number (24 bits, TS 29.274 §5.5.1).
const MaxSeq = 1<<24 - 1

// CommandSeqBit is the most significant bit of a 24-bit sequence number: set
// in the sequence numbers of Command messages and of the messages they
// trigger, clear in every other Initial message (TS 29.274 §7.6).
const CommandSeqBit = 1 << 23

// Header is the GTPv2-C message header (TS 29.274 §5.1, §5.5).
type Header struct {
	Type MessageType
	// HasTEID is the T flag; every S11 message but Echo Request, Echo
	// Response and Version Not Supported Indication carries a TEID
	// (TS 29.274 §5.5.1).
	HasTEID bool
	TEID    uint32
	Seq     uint32 // 24-bit sequence number
	// Piggybacked is the P flag (TS 29.274 §5.5.1; not used on S11).
	Piggybacked bool
	// HasPriority is the MP flag; Priority is the message priority (0-15,
	// TS 29.274 §5.5.1) when it is set.
	HasPriority bool
	Priority    uint8
	// Length is the number of octets of this message, header included.
	Length int
}

// Message is one typed S11 message. The set is closed: the message types of
// this package.
type Message interface {
	MessageType() MessageType
	encode(e *encoder)
}

type decodable interface {
	Message
	decode(ies []*ie.IE) *ieProblem
}

// hasTEIDField reports whether messages of type t carry a TEID in their
// header (TS 29.274 §5.5.1).
func hasTEIDField(t MessageType) bool {
	switch t {
	case TypeEchoRequest, TypeEchoResponse, TypeVersionNotSupportedIndication:
		return false
	}
	return true
}

// Encode returns the wire form of m with the given header TEID (ignored for
// the messages without one) and 24-bit sequence number. It fails with an
// *EncodeError when a value is out of its IE's range or a mandatory IE is
// empty.
func Encode(m Message, teid, seq uint32) ([]byte, error) {
	setupGoGTP()
	t := m.MessageType()
	if seq > MaxSeq {
		return nil, fmt.Errorf("gtp: encode %v: sequence number %#x exceeds 24 bits", t, seq)
	}
	// The encoder escapes through the Message interface: pooled, it costs
	// no allocation per message.
	e := encoders.Get().(*encoder)
	defer e.release()
	e.t, e.err, e.ies = t, nil, e.buf[:0]
	m.encode(e)
	if e.err != nil {
		return nil, e.err
	}
	withTEID := hasTEIDField(t)
	hlen := 8
	if withTEID {
		hlen = 12
	}
	n := hlen
	for _, i := range e.ies {
		n += i.MarshalLen()
	}
	if n-4 > 0xffff {
		return nil, fmt.Errorf("gtp: encode %v: %d octets exceed the Length field", t, n)
	}
	b := make([]byte, n)
	off := hlen
	for _, i := range e.ies {
		l := i.MarshalLen()
		if err := i.MarshalTo(b[off : off+l]); err != nil {
			return nil, &EncodeError{Type: t, IE: IEType(i.Type), Err: err}
		}
		off += l
	}
	tflag := 0
	if withTEID {
		tflag = 1
	}
	h := message.Header{
		Flags:          message.NewHeaderFlags(2, 0, tflag),
		Type:           uint8(t),
		TEID:           teid,
		SequenceNumber: seq,
		Payload:        b[hlen:],
	}
	h.SetLength()
	if err := h.MarshalTo(b); err != nil {
		return nil, fmt.Errorf("gtp: encode %v header: %w", t, err)
	}
	return b, nil
}

// DecodeHeader reads and checks the header of the GTPv2-C message at the
// start of b and returns it with the message's IE octets. Errors are
// *DecodeError wrapping ErrTooShort, ErrVersionNotSupported or
// ErrInvalidLength; the header fields read so far are returned with them.
func DecodeHeader(b []byte) (Header, []byte, error) {
	var h Header
	if len(b) < 8 {
		return h, nil, newDecodeError(0, ErrTooShort, fmt.Sprintf("%d octets", len(b)))
	}
	h.Type = MessageType(b[1])
	if v := b[0] >> 5; v != 2 {
		// TS 29.274 §7.7.2: another version is answered with a Version Not
		// Supported Indication; the rest of the header is not GTPv2's.
		return h, nil, newDecodeError(h.Type, ErrVersionNotSupported, fmt.Sprintf("version %d", v))
	}
	h.Piggybacked = b[0]&0x10 != 0
	h.HasTEID = b[0]&0x08 != 0
	h.HasPriority = b[0]&0x04 != 0
	hlen := 8
	if h.HasTEID {
		hlen = 12
		if len(b) < hlen {
			return h, nil, newDecodeError(h.Type, ErrTooShort, fmt.Sprintf("%d octets with a TEID", len(b)))
		}
		h.TEID = binary.BigEndian.Uint32(b[4:8])
	}
	h.Seq = uint32(b[hlen-4])<<16 | uint32(b[hlen-3])<<8 | uint32(b[hlen-2])
	if h.HasPriority {
		h.Priority = b[hlen-1] >> 4
	}
	h.Length = 4 + int(binary.BigEndian.Uint16(b[2:4]))
	switch {
	case h.Length < hlen:
		return h, nil, newDecodeError(h.Type, ErrInvalidLength, fmt.Sprintf("length field %d below the header", h.Length-4))
	case h.Length > len(b):
		// TS 29.274 §7.7.3: length inconsistent with the datagram.
		return h, nil, newDecodeError(h.Type, ErrInvalidLength, fmt.Sprintf("length field %d, %d octets received", h.Length-4, len(b)))
	case h.Length < len(b) && !h.Piggybacked:
		return h, nil, newDecodeError(h.Type, ErrInvalidLength, fmt.Sprintf("length field %d, %d octets received", h.Length-4, len(b)))
	}
	return h, b[hlen:h.Length], nil
}

// Decode parses the GTPv2-C message in b (one UDP payload; a piggybacked
// second message is ignored). It returns the header whenever the header
// could be read, and the typed message whenever the message type is one of
// this package's, even with an error: a partly decoded message lets the
// receiver answer with the right TEID (the sender F-TEID of a Create
// Session Request). Errors are *DecodeError; their Cause says how to answer
// (TS 29.274 §7.7). Decode never panics and never aliases b in the message.
func Decode(b []byte) (Header, Message, error) {
	setupGoGTP()
	h, payload, err := DecodeHeader(b)
	if err != nil {
		return h, nil, err
	}
	m := newMessage(h.Type)
	if m == nil {
		if h.Type.Kind() == KindUnknown {
			return h, nil, newDecodeError(h.Type, ErrUnknownMessageType, "")
		}
		return h, nil, newDecodeError(h.Type, ErrServiceNotSupported, "")
	}
	if hasTEIDField(h.Type) != h.HasTEID {
		// TS 29.274 §5.5.1: the T flag is fixed per message type.
		return h, nil, newDecodeError(h.Type, ErrInvalidMessageFormat, fmt.Sprintf("T flag %v", h.HasTEID))
	}
	ies, err := ie.ParseMultiIEs(payload)
	if err != nil {
		return h, nil, newDecodeError(h.Type, ErrInvalidMessageFormat, err.Error())
	}
	if p := m.decode(ies); p != nil {
		return h, m, p.toDecodeError(h.Type)
	}
	return h, m, nil
}

// newMessage returns an empty message of type t, or nil if this package has
// no type for it.
func newMessage(t MessageType) decodable {
	switch t {
	case TypeEchoRequest:
		return &EchoRequest{}
	case TypeEchoResponse:
		return &EchoResponse{}
	case TypeVersionNotSupportedIndication:
		return &VersionNotSupportedIndication{}
	case TypeCreateSessionRequest:
		return &CreateSessionRequest{}
	case TypeCreateSessionResponse:
		return &CreateSessionResponse{}
	case TypeModifyBearerRequest:
		return &ModifyBearerRequest{}
	case TypeModifyBearerResponse:
		return &ModifyBearerResponse{}
	case TypeDeleteSessionRequest:
		return &DeleteSessionRequest{}
	case TypeDeleteSessionResponse:
		return &DeleteSessionResponse{}
	case TypeReleaseAccessBearersRequest:
		return &ReleaseAccessBearersRequest{}
	case TypeReleaseAccessBearersResponse:
		return &ReleaseAccessBearersResponse{}
	case TypeDownlinkDataNotification:
		return &DownlinkDataNotification{}
	case TypeDownlinkDataNotificationAcknowledge:
		return &DownlinkDataNotificationAcknowledge{}
	case TypeDownlinkDataNotificationFailureIndication:
		return &DownlinkDataNotificationFailureIndication{}
	case TypeCreateBearerRequest:
		return &CreateBearerRequest{}
	case TypeCreateBearerResponse:
		return &CreateBearerResponse{}
	case TypeUpdateBearerRequest:
		return &UpdateBearerRequest{}
	case TypeUpdateBearerResponse:
		return &UpdateBearerResponse{}
	case TypeDeleteBearerRequest:
		return &DeleteBearerRequest{}
	case TypeDeleteBearerResponse:
		return &DeleteBearerResponse{}
	case TypeDeleteBearerCommand:
		return &DeleteBearerCommand{}
	case TypeDeleteBearerFailureIndication:
		return &DeleteBearerFailureIndication{}
	case TypeCreateIndirectDataForwardingTunnelRequest:
		return &CreateIndirectDataForwardingTunnelRequest{}
	case TypeCreateIndirectDataForwardingTunnelResponse:
		return &CreateIndirectDataForwardingTunnelResponse{}
	case TypeDeleteIndirectDataForwardingTunnelRequest:
		return &DeleteIndirectDataForwardingTunnelRequest{}
	case TypeDeleteIndirectDataForwardingTunnelResponse:
		return &DeleteIndirectDataForwardingTunnelResponse{}
	}
	return nil
}

// Supported reports whether this package has a typed message for t.
func Supported(t MessageType) bool { return newMessage(t) != nil }

// CauseOnly is a response of any type that carries only a Cause: what a
// node answers a request it rejects before understanding it (TS 29.274
// §7.7: Context Not Found, Invalid length, Mandatory IE missing, Service
// not supported...).
type CauseOnly struct {
	Type  MessageType
	Cause Cause
}

// MessageType implements Message.
func (m *CauseOnly) MessageType() MessageType { return m.Type }

func (m *CauseOnly) encode(e *encoder) { e.mandatoryCause(m.Cause) }

// ErrorResponse returns the response to a request or command of type req
// that carries only cause c, and false when req is not answered by a
// response carrying a Cause (responses, notifications, unknown types and
// Echo Request, whose response has no Cause).
func ErrorResponse(req MessageType, c Cause) (Message, bool) {
	if req == TypeEchoRequest {
		return nil, false
	}
	r, ok := req.ResponseType()
	if !ok {
		return nil, false
	}
	return &CauseOnly{Type: r, Cause: c}, true
}

// ---- encoding helpers ----

var encoders = sync.Pool{New: func() any { return new(encoder) }}

// release drops the encoder's references to IEs and returns it to the pool.
func (e *encoder) release() {
	clear(e.buf[:])
	if cap(e.ies) > len(e.buf) {
		clear(e.ies[:cap(e.ies)])
	}
	e.ies, e.err = nil, nil
	encoders.Put(e)
}

type encoder struct {
	t   MessageType
	ies []*ie.IE
	err error
	buf [24]*ie.IE // backing array of ies for the usual message
}

func (e *encoder) fail(t IEType, err error) {
	if e.err == nil {
		e.err = &EncodeError{Type: e.t, IE: t, Err: err}
	}
}

func (e *encoder) add(i *ie.IE, inst uint8) {
	i.SetInstance(inst)
	e.ies = append(e.ies, i)
}

var errEmptyMandatory = errors.New("mandatory IE is empty")

func (e *encoder) mandatoryCause(c Cause) {
	if c.Value == 0 {
		e.fail(IECause, errEmptyMandatory)
		return
	}
	e.add(newCauseIE(c), 0)
}

func (e *encoder) cause(c Cause) {
	if c.Value != 0 {
		e.add(newCauseIE(c), 0)
	}
}

func (e *encoder) digits(t IEType, s string, max int) {
	if s == "" {
		return
	}
	i, err := newDigitsIE(t, s, max)
	if err != nil {
		e.fail(t, err)
		return
	}
	e.add(i, 0)
}

func (e *encoder) fteid(f FTEID, inst uint8) {
	if f.IsZero() {
		return
	}
	i, err := newFTEIDIE(f, inst)
	if err != nil {
		e.fail(IEFTEID, err)
		return
	}
	e.ies = append(e.ies, i)
}

func (e *encoder) mandatoryFTEID(f FTEID, inst uint8) {
	if f.IsZero() {
		e.fail(IEFTEID, errEmptyMandatory)
		return
	}
	e.fteid(f, inst)
}

func (e *encoder) u8(t IEType, v uint8, inst uint8) {
	e.add(ie.New(uint8(t), 0, []byte{v}), inst)
}

func (e *encoder) u8p(t IEType, v *uint8) {
	if v != nil {
		e.u8(t, *v, 0)
	}
}

func (e *encoder) u32(t IEType, v uint32) {
	b := make([]byte, 4)
	binary.BigEndian.PutUint32(b, v)
	e.add(ie.New(uint8(t), 0, b), 0)
}

func (e *encoder) ebi(v uint8, inst uint8) {
	if v > 15 {
		e.fail(IEEBI, ieErrorf("EBI %d", v))
		return
	}
	e.u8(IEEBI, v, inst)
}

// octets adds an opaque IE; b is only read, during Encode.
func (e *encoder) octets(t IEType, b []byte) {
	if b != nil {
		e.add(ie.New(uint8(t), 0, b), 0)
	}
}

func (e *encoder) uli(u ULI) {
	if u.IsZero() {
		return
	}
	i, err := newULIIE(u)
	if err != nil {
		e.fail(IEULI, err)
		return
	}
	e.add(i, 0)
}

func (e *encoder) servingNetwork(p PLMN) {
	if p.IsZero() {
		return
	}
	i, err := newServingNetworkIE(p)
	if err != nil {
		e.fail(IEServingNetwork, err)
		return
	}
	e.add(i, 0)
}

func (e *encoder) apn(s string) {
	if s == "" {
		e.fail(IEAPN, errEmptyMandatory)
		return
	}
	i, err := newAPNIE(s)
	if err != nil {
		e.fail(IEAPN, err)
		return
	}
	e.add(i, 0)
}

func (e *encoder) ambr(a *AMBR) {
	if a != nil {
		e.add(newAMBRIE(*a), 0)
	}
}

func (e *encoder) bearerQoS(q BearerQoS) {
	if q.IsZero() {
		return
	}
	i, err := newBearerQoSIE(q)
	if err != nil {
		e.fail(IEBearerQoS, err)
		return
	}
	e.add(i, 0)
}

func (e *encoder) mandatoryBearerQoS(q BearerQoS) {
	if q.IsZero() {
		e.fail(IEBearerQoS, errEmptyMandatory)
		return
	}
	e.bearerQoS(q)
}

func (e *encoder) paa(p PAA) {
	if p.IsZero() {
		return
	}
	i, err := newPAAIE(p)
	if err != nil {
		e.fail(IEPAA, err)
		return
	}
	e.add(i, 0)
}

func (e *encoder) recovery(v *uint8) { e.u8p(IERecovery, v) }

// group encodes a grouped IE (TS 29.274 §6.1.3) from the IEs fill adds:
// they are appended to e's list, then moved into the group.
func (e *encoder) group(t IEType, inst uint8, fill func(*encoder)) {
	start := len(e.ies)
	fill(e)
	if e.err != nil {
		return
	}
	children := append([]*ie.IE(nil), e.ies[start:]...)
	clear(e.ies[start:])
	e.ies = e.ies[:start]
	// A grouped IE marshals its children (ie.IE.MarshalTo); the Length
	// field is theirs summed. (ie.NewGroupedIE would also serialise them
	// into a Payload nobody reads.)
	n := 0
	for _, c := range children {
		n += c.MarshalLen()
	}
	if n > 0xffff {
		e.fail(t, ieErrorf("grouped IE of %d octets", n))
		return
	}
	g := ie.New(uint8(t), inst, nil)
	g.ChildIEs = children
	g.Length = uint16(n)
	e.ies = append(e.ies, g)
}

// ---- decoding helpers ----

type presence uint8

const (
	mandatory presence = iota + 1
	conditional
	optional
)

// field describes one IE of a message or grouped IE, as a row of the
// message's table in TS 29.274 §7: IE type and instance, presence, whether
// several may appear, and how to store it.
type field[M any] struct {
	t     IEType
	inst  uint8
	p     presence
	multi bool
	set   func(m *M, i *ie.IE) error
}

// decodeFields walks ies and fills m by the table. TS 29.274 §7.7.9:
// unknown and unexpected IEs are ignored; §7.7.10: of a repeated IE only the
// first is handled; §7.7.8: an incorrect optional or conditional IE is
// discarded, an incorrect mandatory IE is reported; §7.7.6: a missing
// mandatory IE is reported. A problem inside a present grouped IE is
// reported whatever the grouped IE's own presence.
func decodeFields[M any](m *M, ies []*ie.IE, fields []field[M], within *IEID) *ieProblem {
	var seen uint64
	for _, i := range ies {
		if i == nil {
			continue
		}
		for k := range fields {
			f := &fields[k]
			if uint8(f.t) != i.Type || f.inst != i.Instance() {
				continue
			}
			if seen&(1<<k) != 0 && !f.multi {
				break
			}
			if err := f.set(m, i); err != nil {
				var p *ieProblem
				if errors.As(err, &p) {
					return p
				}
				if f.p == mandatory {
					return problem(ErrMandatoryIEIncorrect, IEID{f.t, f.inst}, within, err.Error())
				}
				break
			}
			seen |= 1 << k
			break
		}
	}
	for k := range fields {
		if f := &fields[k]; f.p == mandatory && seen&(1<<k) == 0 {
			return problem(ErrMandatoryIEMissing, IEID{f.t, f.inst}, within, "")
		}
	}
	return nil
}

func problem(err error, id IEID, within *IEID, detail string) *ieProblem {
	p := &ieProblem{err: err, id: id, detail: detail}
	if within != nil {
		p.within, p.nested = *within, true
	}
	return p
}

func conditionalMissing(t IEType, inst uint8, detail string) *ieProblem {
	return problem(ErrConditionalIEMissing, IEID{t, inst}, nil, detail)
}

// rejected forgives the absence of a response's mandatory IEs other than
// its Cause when the Cause rejects the request: a rejected response carries
// the Cause (and the offending IE), not the values of an accepted one
// (TS 29.274 §7.7.1 and the Cause rows of the response tables of §7.2).
func rejected(p *ieProblem, c Cause) *ieProblem {
	if p != nil && p.err == ErrMandatoryIEMissing && !p.nested && p.id.Type != IECause &&
		c.Value != 0 && !c.Accepted() {
		return nil
	}
	return p
}

// unlessRejected is the presence of a response's mandatory IEs other than
// its Cause: mandatory when accepted, not required when rejected (see
// rejected).
func unlessRejected(c Cause) presence {
	if c.Value != 0 && !c.Accepted() {
		return optional
	}
	return mandatory
}

// SetSeq rewrites the sequence number of the encoded message b in place, so
// that a transaction layer can encode before it allocates the number.
func SetSeq(b []byte, seq uint32) error {
	if seq > MaxSeq {
		return fmt.Errorf("gtp: sequence number %#x exceeds 24 bits", seq)
	}
	off := 4
	if len(b) >= 1 && b[0]&0x08 != 0 {
		off = 8
	}
	if len(b) < off+3 {
		return fmt.Errorf("gtp: %d octets are not a GTPv2-C header", len(b))
	}
	b[off], b[off+1], b[off+2] = uint8(seq>>16), uint8(seq>>8), uint8(seq)
	return nil
}
