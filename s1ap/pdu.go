package s1ap

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/lte-mme/mme/s1ap/aper"
)

// PDUType is the S1AP-PDU alternative (TS 36.413 §9.3.2).
type PDUType uint8

// S1AP-PDU alternatives.
const (
	InitiatingMessage   PDUType = iota + 1 // initiatingMessage
	SuccessfulOutcome                      // successfulOutcome
	UnsuccessfulOutcome                    // unsuccessfulOutcome
)

var pduTypeNames = [...]string{"", "initiatingMessage", "successfulOutcome", "unsuccessfulOutcome"}

func (t PDUType) String() string {
	if t > 0 && int(t) < len(pduTypeNames) {
		return pduTypeNames[t]
	}
	return "PDUType(" + strconv.Itoa(int(t)) + ")"
}

// TriggeringMessage returns the TriggeringMessage value of Criticality
// Diagnostics for this PDU type.
func (t PDUType) TriggeringMessage() TriggeringMessage { return TriggeringMessage(t) }

// Message is one S1AP message: a pointer to a generated message type
// (*InitialUEMessage, *S1SetupResponse, ...) or *UnknownMessage. Use a type
// switch on the concrete type.
type Message interface {
	// ProcedureCode returns the elementary procedure of the message.
	ProcedureCode() ProcedureCode
	// PDUType tells whether the message initiates the procedure or is its
	// successful or unsuccessful outcome.
	PDUType() PDUType
	// ProcedureCriticality returns the criticality TS 36.413 gives the
	// procedure (S1AP-ELEMENTARY-PROCEDURES).
	ProcedureCriticality() Criticality
	// MessageName returns the ASN.1 name of the message.
	MessageName() string
	encodeAPER(e *aper.Encoder) error
	decodeAPER(d *aper.Decoder, c *decodeCtx) error
}

type procedureInfo struct {
	name                                 string
	criticality                          Criticality
	class                                int // 1: with a response, 2: without (TS 36.413 §8.1)
	initiating, successful, unsuccessful func() Message
}

// PDU is an S1AP-PDU (TS 36.413 §9.3.2): the procedure, its criticality and
// the typed message.
type PDU struct {
	Type          PDUType
	ProcedureCode ProcedureCode
	// Criticality is the procedure criticality carried in the PDU.
	Criticality Criticality
	Message     Message
	// Issues lists what the decoder found wrong with IEs whose criticality
	// let it continue (TS 36.413 §10.3.4: "ignore"); nil normally. When an
	// issue asks for more, Decode returns a *ProtocolError as well.
	Issues []IEIssue
}

// NewPDU wraps a message into its PDU with the procedure code, PDU type and
// procedure criticality of the elementary procedure table
// (S1AP-PDU-Descriptions).
func NewPDU(m Message) *PDU {
	return &PDU{Type: m.PDUType(), ProcedureCode: m.ProcedureCode(), Criticality: m.ProcedureCriticality(), Message: m}
}

// Encode returns the APER encoding of the PDU of message m.
func Encode(m Message) ([]byte, error) { return AppendEncode(nil, m) }

// AppendEncode appends the APER encoding of the PDU of message m to dst.
func AppendEncode(dst []byte, m Message) ([]byte, error) {
	p := PDU{Type: m.PDUType(), ProcedureCode: m.ProcedureCode(), Criticality: m.ProcedureCriticality(), Message: m}
	return p.AppendEncode(dst)
}

// Encode returns the APER encoding of p.
func (p *PDU) Encode() ([]byte, error) { return p.AppendEncode(nil) }

// AppendEncode appends the APER encoding of p (X.691 aligned, a complete
// encoding padded to an octet) to dst and returns the extended slice. It
// allocates only to grow dst. Errors wrap ErrValue and name the component
// whose value breaks its constraint.
func (p *PDU) AppendEncode(dst []byte) ([]byte, error) {
	if p.Message == nil {
		return dst, errors.New("s1ap: PDU without a message")
	}
	if p.Type < InitiatingMessage || p.Type > UnsuccessfulOutcome {
		return dst, valueError("S1AP-PDU type", int64(p.Type))
	}
	if !p.Criticality.valid() {
		return dst, valueError("procedure criticality", int64(p.Criticality))
	}
	var e aper.Encoder
	e.Reset(dst)
	e.PutBit(false) // S1AP-PDU extension bit
	e.PutConstrained(int64(p.Type-1), 0, 2)
	e.PutConstrained(int64(p.ProcedureCode), 0, 255)
	e.PutConstrained(int64(p.Criticality-1), 0, 2)
	ot := e.BeginOpenType()
	if err := p.Message.encodeAPER(&e); err != nil {
		return dst, fieldError(p.Message.MessageName(), err)
	}
	e.EndOpenType(ot)
	return e.Bytes(), nil
}

// Decoder decodes S1AP PDUs. The zero value is the strict decoder.
//
// Strict (default): trailing octets inside an open type are a transfer
// syntax error (X.691 §11.2); IEs in the wrong order are a falsely
// constructed message (TS 36.413 §10.3.6); the codec's semantic checks
// (PLMN identity and IMSI TBCD digits, character string alphabets) make the
// IE not comprehended (§10.3.1 case 2); a criticality other than the
// specified one is reported.
//
// Lenient: what real eNodeBs get wrong is accepted: trailing octets in
// open types (old asn1c encoders, e.g. the Open5GS captures in
// ../shared/vectors/s1ap.tsv that only Wireshark decodes) are skipped, and
// order, semantic and criticality checks are off. Repeated IEs are still
// reported (only the first is kept), but do not cause a reject.
//
// Both modes accept constrained whole numbers in more octets than the
// minimum and octets after the complete PDU, as pycrate and Wireshark do.
type Decoder struct {
	Lenient bool
}

// Decode decodes one PDU in strict mode; see Decoder.
func Decode(b []byte) (*PDU, error) { return Decoder{}.Decode(b) }

// DecodeLenient decodes one PDU in lenient mode; see Decoder.
func DecodeLenient(b []byte) (*PDU, error) { return Decoder{Lenient: true}.Decode(b) }

// Decode decodes one S1AP-PDU from b. Octet-string values of the result
// alias b: do not modify b while the PDU is in use.
//
// Errors: a *SyntaxError (nil PDU) when the octets are not a valid
// encoding (TS 36.413 §10.2); a *ProtocolError with a non-nil PDU when the
// encoding is valid but the receiver must reject the procedure or notify
// the sender (§10.3): the PDU then holds every IE that could be decoded, so
// the MME can read MME-UE-S1AP-ID and friends to answer. Issues that only
// ask to ignore are in PDU.Issues with a nil error.
func (dec Decoder) Decode(b []byte) (*PDU, error) {
	// one allocation for the PDU and the decoding state that escapes
	// through the Message interface
	st := new(struct {
		pdu PDU
		c   decodeCtx
		sub aper.Decoder
	})
	p := &st.pdu
	if err := dec.decodeInto(p, b, &st.c, &st.sub); err != nil {
		var pe *ProtocolError
		if errors.As(err, &pe) {
			return p, err
		}
		return nil, err
	}
	return p, nil
}

// DecodeInto is Decode into a caller's PDU (for reuse); p is overwritten.
func (dec Decoder) DecodeInto(p *PDU, b []byte) error {
	var c decodeCtx
	var sub aper.Decoder
	return dec.decodeInto(p, b, &c, &sub)
}

func (dec Decoder) decodeInto(p *PDU, b []byte, c *decodeCtx, sub *aper.Decoder) error {
	*p = PDU{}
	d := aper.NewDecoder(b, !dec.Lenient)
	ext, err := d.Bit()
	if err != nil {
		return &SyntaxError{Err: err}
	}
	if ext {
		return &SyntaxError{Err: errors.New("s1ap: S1AP-PDU extension alternative unknown to TS 36.413 V17.4.0")}
	}
	t, err := d.Constrained(0, 2)
	if err != nil {
		return &SyntaxError{Err: err}
	}
	code, err := d.Constrained(0, 255)
	if err != nil {
		return &SyntaxError{Err: err}
	}
	crit, err := d.Constrained(0, 2)
	if err != nil {
		return &SyntaxError{Err: err}
	}
	p.Type, p.ProcedureCode, p.Criticality = PDUType(t+1), ProcedureCode(code), Criticality(crit+1)
	if *sub, err = d.OpenType(); err != nil {
		return &SyntaxError{Err: err}
	}
	m := newMessage(p.Type, p.ProcedureCode)
	if m == nil {
		// TS 36.413 §10.3.4.1: a procedure code not comprehended is handled
		// by the procedure criticality in the message.
		p.Message = &UnknownMessage{Type: p.Type, Code: p.ProcedureCode, Criticality: p.Criticality, Value: sub.Rest()}
		pe := &ProtocolError{Message: "unknown", ProcedureCode: p.ProcedureCode, TriggeringMessage: p.Type.TriggeringMessage(),
			ProcedureCriticality: p.Criticality, UnknownProcedure: true, Lenient: dec.Lenient}
		if pe.Action() == ActionIgnore {
			return nil
		}
		return pe
	}
	c.strict = !dec.Lenient
	serr := func(err error) error {
		return &SyntaxError{HeaderKnown: true, Message: m.MessageName(), ProcedureCode: p.ProcedureCode,
			TriggeringMessage: p.Type.TriggeringMessage(), ProcedureCriticality: p.Criticality, Err: err}
	}
	if err := m.decodeAPER(sub, c); err != nil {
		return serr(err)
	}
	if err := sub.Finish(); err != nil {
		return serr(err)
	}
	if err := d.PaddingError(); err != nil {
		return serr(err)
	}
	p.Message = m
	if len(c.issues) == 0 {
		return nil
	}
	p.Issues = c.issues
	pe := &ProtocolError{Message: m.MessageName(), ProcedureCode: p.ProcedureCode, TriggeringMessage: p.Type.TriggeringMessage(),
		ProcedureCriticality: p.Criticality, Issues: c.issues, Lenient: dec.Lenient}
	if pe.Action() == ActionIgnore {
		return nil
	}
	return pe
}

// UnknownMessage is a message of a procedure (or outcome) that
// TS 36.413 V17.4.0 does not define, kept raw.
type UnknownMessage struct {
	Type        PDUType
	Code        ProcedureCode
	Criticality Criticality
	Value       []byte // the open type's octets
}

func (m *UnknownMessage) ProcedureCode() ProcedureCode      { return m.Code }
func (m *UnknownMessage) PDUType() PDUType                  { return m.Type }
func (m *UnknownMessage) ProcedureCriticality() Criticality { return m.Criticality }
func (m *UnknownMessage) MessageName() string               { return "unknown" }
func (m *UnknownMessage) encodeAPER(e *aper.Encoder) error {
	if len(m.Value) == 0 {
		return nil
	}
	e.PutOctets(m.Value)
	return nil
}
func (m *UnknownMessage) decodeAPER(d *aper.Decoder, _ *decodeCtx) error {
	m.Value = d.Rest()
	return nil
}

// MarshalJSON writes the PDU in the shape of its ASN.1 value notation:
// {"initiatingMessage":{"procedureCode":12,"criticality":"ignore",
// "value":{"InitialUEMessage":{...IEs by name...}}}}.
func (p *PDU) MarshalJSON() ([]byte, error) {
	type body struct {
		ProcedureCode ProcedureCode  `json:"procedureCode"`
		Criticality   Criticality    `json:"criticality"`
		Value         map[string]any `json:"value"`
	}
	name := "unknown"
	if p.Message != nil {
		name = p.Message.MessageName()
	}
	return json.Marshal(map[string]body{p.Type.String(): {p.ProcedureCode, p.Criticality, map[string]any{name: p.Message}}})
}
