package gtp

import (
	"github.com/wmnsk/go-gtp/gtpv2/ie"
)

// CreateBearerRequest is sent by the SGW to create dedicated bearers
// (network-initiated, TS 29.274 §7.2.3, Table 7.2.3-1; TS 23.401 §5.4.1).
type CreateBearerRequest struct {
	PTI       *uint8 // procedure transaction ID when UE-requested
	LinkedEBI uint8  // mandatory: default bearer of the PDN connection
	PCO       []byte
	// BearerContexts is mandatory: EBI 0, TFT, S1-U SGW F-TEID, Bearer QoS.
	BearerContexts []BearerContext
}

// MessageType implements Message.
func (*CreateBearerRequest) MessageType() MessageType { return TypeCreateBearerRequest }

func (m *CreateBearerRequest) encode(e *encoder) {
	e.u8p(IEPTI, m.PTI)
	if m.LinkedEBI == 0 {
		e.fail(IEEBI, errEmptyMandatory)
	}
	e.ebi(m.LinkedEBI, 0)
	e.octets(IEPCO, m.PCO)
	encodeBearerContexts(e, 0, mandatory, bcCBReq, m.BearerContexts)
}

var cbReqFields = []field[CreateBearerRequest]{
	{t: IEPTI, p: conditional, set: func(m *CreateBearerRequest, i *ie.IE) error { return setU8p(&m.PTI, i) }},
	{t: IEEBI, p: mandatory, set: func(m *CreateBearerRequest, i *ie.IE) (err error) { m.LinkedEBI, err = readLBI(i); return }},
	{t: IEPCO, p: optional, set: func(m *CreateBearerRequest, i *ie.IE) (err error) { m.PCO, err = readOctets(i); return }},
	bearerContexts(0, mandatory, bcCBReq, func(m *CreateBearerRequest) *[]BearerContext { return &m.BearerContexts }),
}

func (m *CreateBearerRequest) decode(ies []*ie.IE) *ieProblem {
	return decodeFields(m, ies, cbReqFields, nil)
}

// CreateBearerResponse answers a Create Bearer Request (TS 29.274 §7.2.4,
// Table 7.2.4-1).
type CreateBearerResponse struct {
	Cause Cause // mandatory
	// BearerContexts is mandatory: EBI, Cause, S1-U eNodeB and S1-U SGW
	// F-TEIDs per bearer.
	BearerContexts []BearerContext
	Recovery       *uint8
	UETimeZone     *UETimeZone
	ULI            ULI
}

// MessageType implements Message.
func (*CreateBearerResponse) MessageType() MessageType { return TypeCreateBearerResponse }

func (m *CreateBearerResponse) encode(e *encoder) {
	e.mandatoryCause(m.Cause)
	encodeBearerContexts(e, 0, unlessRejected(m.Cause), bcCBResp, m.BearerContexts)
	e.recovery(m.Recovery)
	if m.UETimeZone != nil {
		e.add(ie.New(ie.UETimeZone, 0, []byte{m.UETimeZone.TimeZone, m.UETimeZone.DaylightSaving & 0x03}), 0)
	}
	e.uli(m.ULI)
}

var cbRespFields = []field[CreateBearerResponse]{
	{t: IECause, p: mandatory, set: func(m *CreateBearerResponse, i *ie.IE) (err error) { m.Cause, err = readCause(i); return }},
	bearerContexts(0, mandatory, bcCBResp, func(m *CreateBearerResponse) *[]BearerContext { return &m.BearerContexts }),
	{t: IERecovery, p: conditional, set: func(m *CreateBearerResponse, i *ie.IE) error { return setU8p(&m.Recovery, i) }},
	{t: IEUETimeZone, p: optional, set: func(m *CreateBearerResponse, i *ie.IE) error { return setTZ(&m.UETimeZone, i) }},
	{t: IEULI, p: optional, set: func(m *CreateBearerResponse, i *ie.IE) (err error) { m.ULI, err = readULI(i); return }},
}

func (m *CreateBearerResponse) decode(ies []*ie.IE) *ieProblem {
	return rejected(decodeFields(m, ies, cbRespFields, nil), m.Cause)
}

// UpdateBearerRequest is sent by the SGW to modify bearer QoS, TFT or the
// APN-AMBR (TS 29.274 §7.2.15, Table 7.2.15-1; TS 23.401 §5.4.2).
type UpdateBearerRequest struct {
	// BearerContexts is mandatory: EBI with the new TFT and/or Bearer QoS.
	BearerContexts []BearerContext
	PTI            *uint8
	PCO            []byte
	AMBR           AMBR // mandatory APN-AMBR
	Indication     []byte
}

// MessageType implements Message.
func (*UpdateBearerRequest) MessageType() MessageType { return TypeUpdateBearerRequest }

func (m *UpdateBearerRequest) encode(e *encoder) {
	encodeBearerContexts(e, 0, mandatory, bcUBReq, m.BearerContexts)
	e.u8p(IEPTI, m.PTI)
	e.octets(IEPCO, m.PCO)
	e.add(newAMBRIE(m.AMBR), 0)
	e.octets(IEIndication, m.Indication)
}

var ubReqFields = []field[UpdateBearerRequest]{
	bearerContexts(0, mandatory, bcUBReq, func(m *UpdateBearerRequest) *[]BearerContext { return &m.BearerContexts }),
	{t: IEPTI, p: conditional, set: func(m *UpdateBearerRequest, i *ie.IE) error { return setU8p(&m.PTI, i) }},
	{t: IEPCO, p: optional, set: func(m *UpdateBearerRequest, i *ie.IE) (err error) { m.PCO, err = readOctets(i); return }},
	{t: IEAMBR, p: mandatory, set: func(m *UpdateBearerRequest, i *ie.IE) (err error) { m.AMBR, err = readAMBR(i); return }},
	{t: IEIndication, p: conditional, set: func(m *UpdateBearerRequest, i *ie.IE) (err error) { m.Indication, err = readOctets(i); return }},
}

func (m *UpdateBearerRequest) decode(ies []*ie.IE) *ieProblem {
	return decodeFields(m, ies, ubReqFields, nil)
}

// UpdateBearerResponse answers an Update Bearer Request (TS 29.274 §7.2.16,
// Table 7.2.16-1).
type UpdateBearerResponse struct {
	Cause          Cause           // mandatory
	BearerContexts []BearerContext // mandatory: EBI, Cause
	Recovery       *uint8
	UETimeZone     *UETimeZone
	ULI            ULI
}

// MessageType implements Message.
func (*UpdateBearerResponse) MessageType() MessageType { return TypeUpdateBearerResponse }

func (m *UpdateBearerResponse) encode(e *encoder) {
	e.mandatoryCause(m.Cause)
	encodeBearerContexts(e, 0, unlessRejected(m.Cause), bcUBResp, m.BearerContexts)
	e.recovery(m.Recovery)
	if m.UETimeZone != nil {
		e.add(ie.New(ie.UETimeZone, 0, []byte{m.UETimeZone.TimeZone, m.UETimeZone.DaylightSaving & 0x03}), 0)
	}
	e.uli(m.ULI)
}

var ubRespFields = []field[UpdateBearerResponse]{
	{t: IECause, p: mandatory, set: func(m *UpdateBearerResponse, i *ie.IE) (err error) { m.Cause, err = readCause(i); return }},
	bearerContexts(0, mandatory, bcUBResp, func(m *UpdateBearerResponse) *[]BearerContext { return &m.BearerContexts }),
	{t: IERecovery, p: conditional, set: func(m *UpdateBearerResponse, i *ie.IE) error { return setU8p(&m.Recovery, i) }},
	{t: IEUETimeZone, p: optional, set: func(m *UpdateBearerResponse, i *ie.IE) error { return setTZ(&m.UETimeZone, i) }},
	{t: IEULI, p: optional, set: func(m *UpdateBearerResponse, i *ie.IE) (err error) { m.ULI, err = readULI(i); return }},
}

func (m *UpdateBearerResponse) decode(ies []*ie.IE) *ieProblem {
	return rejected(decodeFields(m, ies, ubRespFields, nil), m.Cause)
}

// DeleteBearerRequest is sent by the SGW to delete dedicated bearers (EBIs)
// or a whole PDN connection (LinkedEBI), network-initiated or triggered by a
// Delete Bearer Command (TS 29.274 §7.2.9.2, Table 7.2.9.2-1; TS 23.401
// §5.4.4.1).
type DeleteBearerRequest struct {
	LinkedEBI uint8   // instance 0: delete the whole PDN connection
	EBIs      []uint8 // instance 1: delete these bearers
	// FailedBearerContexts (instance 0) lists bearers a Delete Bearer
	// Command asked for that the PGW could not delete, with their causes.
	FailedBearerContexts []BearerContext
	PTI                  *uint8
	PCO                  []byte
	Cause                Cause
}

// MessageType implements Message.
func (*DeleteBearerRequest) MessageType() MessageType { return TypeDeleteBearerRequest }

func (m *DeleteBearerRequest) encode(e *encoder) {
	if m.LinkedEBI == 0 && len(m.EBIs) == 0 {
		e.fail(IEEBI, errEmptyMandatory)
	}
	if m.LinkedEBI != 0 {
		e.ebi(m.LinkedEBI, 0)
	}
	for _, v := range m.EBIs {
		e.ebi(v, 1)
	}
	encodeBearerContexts(e, 0, optional, bcEBICause, m.FailedBearerContexts)
	e.u8p(IEPTI, m.PTI)
	e.octets(IEPCO, m.PCO)
	e.cause(m.Cause)
}

var dbReqFields = []field[DeleteBearerRequest]{
	{t: IEEBI, inst: 0, p: conditional, set: func(m *DeleteBearerRequest, i *ie.IE) (err error) { m.LinkedEBI, err = readLBI(i); return }},
	{t: IEEBI, inst: 1, p: conditional, multi: true, set: func(m *DeleteBearerRequest, i *ie.IE) error { return setEBIs(&m.EBIs, i) }},
	bearerContexts(0, optional, bcEBICause, func(m *DeleteBearerRequest) *[]BearerContext { return &m.FailedBearerContexts }),
	{t: IEPTI, p: conditional, set: func(m *DeleteBearerRequest, i *ie.IE) error { return setU8p(&m.PTI, i) }},
	{t: IEPCO, p: conditional, set: func(m *DeleteBearerRequest, i *ie.IE) (err error) { m.PCO, err = readOctets(i); return }},
	{t: IECause, p: conditional, set: func(m *DeleteBearerRequest, i *ie.IE) (err error) { m.Cause, err = readCause(i); return }},
}

func (m *DeleteBearerRequest) decode(ies []*ie.IE) *ieProblem {
	if p := decodeFields(m, ies, dbReqFields, nil); p != nil {
		return p
	}
	// Table 7.2.9.2-1: the Linked EBI when all bearers of the PDN connection
	// are deleted, the EPS Bearer IDs otherwise: one of them is present.
	if m.LinkedEBI == 0 && len(m.EBIs) == 0 {
		return conditionalMissing(IEEBI, 1, "neither Linked EBI nor EPS Bearer IDs")
	}
	return nil
}

// DeleteBearerResponse answers a Delete Bearer Request (TS 29.274
// §7.2.10.2, Table 7.2.10.2-1).
type DeleteBearerResponse struct {
	Cause          Cause // mandatory
	LinkedEBI      uint8
	BearerContexts []BearerContext // EBI, Cause per deleted bearer
	Recovery       *uint8
	UETimeZone     *UETimeZone
	ULI            ULI
}

// MessageType implements Message.
func (*DeleteBearerResponse) MessageType() MessageType { return TypeDeleteBearerResponse }

func (m *DeleteBearerResponse) encode(e *encoder) {
	e.mandatoryCause(m.Cause)
	if m.LinkedEBI != 0 {
		e.ebi(m.LinkedEBI, 0)
	}
	encodeBearerContexts(e, 0, conditional, bcDBResp, m.BearerContexts)
	e.recovery(m.Recovery)
	if m.UETimeZone != nil {
		e.add(ie.New(ie.UETimeZone, 0, []byte{m.UETimeZone.TimeZone, m.UETimeZone.DaylightSaving & 0x03}), 0)
	}
	e.uli(m.ULI)
}

var dbRespFields = []field[DeleteBearerResponse]{
	{t: IECause, p: mandatory, set: func(m *DeleteBearerResponse, i *ie.IE) (err error) { m.Cause, err = readCause(i); return }},
	{t: IEEBI, p: conditional, set: func(m *DeleteBearerResponse, i *ie.IE) (err error) { m.LinkedEBI, err = readLBI(i); return }},
	bearerContexts(0, conditional, bcDBResp, func(m *DeleteBearerResponse) *[]BearerContext { return &m.BearerContexts }),
	{t: IERecovery, p: conditional, set: func(m *DeleteBearerResponse, i *ie.IE) error { return setU8p(&m.Recovery, i) }},
	{t: IEUETimeZone, p: optional, set: func(m *DeleteBearerResponse, i *ie.IE) error { return setTZ(&m.UETimeZone, i) }},
	{t: IEULI, p: optional, set: func(m *DeleteBearerResponse, i *ie.IE) (err error) { m.ULI, err = readULI(i); return }},
}

func (m *DeleteBearerResponse) decode(ies []*ie.IE) *ieProblem {
	return decodeFields(m, ies, dbRespFields, nil)
}

// DeleteBearerCommand is sent by the MME to ask for the deletion of bearers
// the eNodeB released or the UE asked to release (TS 29.274 §7.2.17.1, Table
// 7.2.17.1-1; TS 23.401 §5.4.4.2). The SGW answers with a Delete Bearer
// Request carrying the command's sequence number, or with a Delete Bearer
// Failure Indication.
type DeleteBearerCommand struct {
	BearerContexts []BearerContext // mandatory: EBI (and Bearer Flags)
	ULI            ULI
	UETimeZone     *UETimeZone
}

// MessageType implements Message.
func (*DeleteBearerCommand) MessageType() MessageType { return TypeDeleteBearerCommand }

func (m *DeleteBearerCommand) encode(e *encoder) {
	encodeBearerContexts(e, 0, mandatory, bcDBCmd, m.BearerContexts)
	e.uli(m.ULI)
	if m.UETimeZone != nil {
		e.add(ie.New(ie.UETimeZone, 0, []byte{m.UETimeZone.TimeZone, m.UETimeZone.DaylightSaving & 0x03}), 0)
	}
}

var dbCmdFields = []field[DeleteBearerCommand]{
	bearerContexts(0, mandatory, bcDBCmd, func(m *DeleteBearerCommand) *[]BearerContext { return &m.BearerContexts }),
	{t: IEULI, p: optional, set: func(m *DeleteBearerCommand, i *ie.IE) (err error) { m.ULI, err = readULI(i); return }},
	{t: IEUETimeZone, p: optional, set: func(m *DeleteBearerCommand, i *ie.IE) error { return setTZ(&m.UETimeZone, i) }},
}

func (m *DeleteBearerCommand) decode(ies []*ie.IE) *ieProblem {
	return decodeFields(m, ies, dbCmdFields, nil)
}

// DeleteBearerFailureIndication answers a Delete Bearer Command the SGW or
// PGW cannot execute (TS 29.274 §7.2.17.2, Table 7.2.17.2-1).
type DeleteBearerFailureIndication struct {
	Cause          Cause           // mandatory
	BearerContexts []BearerContext // mandatory: EBI, Cause
	Recovery       *uint8
}

// MessageType implements Message.
func (*DeleteBearerFailureIndication) MessageType() MessageType {
	return TypeDeleteBearerFailureIndication
}

func (m *DeleteBearerFailureIndication) encode(e *encoder) {
	e.mandatoryCause(m.Cause)
	encodeBearerContexts(e, 0, unlessRejected(m.Cause), bcEBICause, m.BearerContexts)
	e.recovery(m.Recovery)
}

var dbFIFields = []field[DeleteBearerFailureIndication]{
	{t: IECause, p: mandatory, set: func(m *DeleteBearerFailureIndication, i *ie.IE) (err error) { m.Cause, err = readCause(i); return }},
	bearerContexts(0, mandatory, bcEBICause, func(m *DeleteBearerFailureIndication) *[]BearerContext { return &m.BearerContexts }),
	{t: IERecovery, p: optional, set: func(m *DeleteBearerFailureIndication, i *ie.IE) error { return setU8p(&m.Recovery, i) }},
}

func (m *DeleteBearerFailureIndication) decode(ies []*ie.IE) *ieProblem {
	return rejected(decodeFields(m, ies, dbFIFields, nil), m.Cause)
}
