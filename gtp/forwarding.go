package gtp

import (
	"github.com/wmnsk/go-gtp/gtpv2/ie"
)

// CreateIndirectDataForwardingTunnelRequest is sent by the MME to the SGW
// during an S1 handover without a direct forwarding path: the SGW
// allocates forwarding tunnels towards the target eNodeB's forwarding
// F-TEIDs (TS 29.274 §7.2.18, Table 7.2.18-1; TS 23.401 §5.5.1.2.2 step 8a).
type CreateIndirectDataForwardingTunnelRequest struct {
	IMSI        string // conditional (inter-node); empty: absent
	MEI         string
	Indication  []byte
	SenderFTEID FTEID // Sender F-TEID for Control Plane (instance 0)
	// BearerContexts is mandatory: per E-RAB its EBI and the target
	// eNodeB's DL (and UL) forwarding F-TEIDs.
	BearerContexts []BearerContext
	Recovery       *uint8
}

// MessageType implements Message.
func (*CreateIndirectDataForwardingTunnelRequest) MessageType() MessageType {
	return TypeCreateIndirectDataForwardingTunnelRequest
}

func (m *CreateIndirectDataForwardingTunnelRequest) encode(e *encoder) {
	e.digits(IEIMSI, m.IMSI, 15)
	e.digits(IEMEI, m.MEI, 16)
	e.octets(IEIndication, m.Indication)
	e.fteid(m.SenderFTEID, 0)
	encodeBearerContexts(e, 0, mandatory, bcCIDFTReq, m.BearerContexts)
	e.recovery(m.Recovery)
}

var cidftReqFields = []field[CreateIndirectDataForwardingTunnelRequest]{
	{t: IEIMSI, p: conditional, set: func(m *CreateIndirectDataForwardingTunnelRequest, i *ie.IE) (err error) {
		m.IMSI, err = readDigits(i, 15)
		return
	}},
	{t: IEMEI, p: optional, set: func(m *CreateIndirectDataForwardingTunnelRequest, i *ie.IE) (err error) {
		m.MEI, err = readDigits(i, 16)
		return
	}},
	{t: IEIndication, p: optional, set: func(m *CreateIndirectDataForwardingTunnelRequest, i *ie.IE) (err error) {
		m.Indication, err = readOctets(i)
		return
	}},
	{t: IEFTEID, p: optional, set: func(m *CreateIndirectDataForwardingTunnelRequest, i *ie.IE) (err error) {
		m.SenderFTEID, err = readFTEID(i)
		return
	}},
	bearerContexts(0, mandatory, bcCIDFTReq, func(m *CreateIndirectDataForwardingTunnelRequest) *[]BearerContext {
		return &m.BearerContexts
	}),
	{t: IERecovery, p: optional, set: func(m *CreateIndirectDataForwardingTunnelRequest, i *ie.IE) error {
		return setU8p(&m.Recovery, i)
	}},
}

func (m *CreateIndirectDataForwardingTunnelRequest) decode(ies []*ie.IE) *ieProblem {
	return decodeFields(m, ies, cidftReqFields, nil)
}

// CreateIndirectDataForwardingTunnelResponse answers it (TS 29.274
// §7.2.19, Table 7.2.19-1): per bearer a cause and the SGW's DL (and UL)
// forwarding F-TEIDs, which go into HANDOVER COMMAND.
type CreateIndirectDataForwardingTunnelResponse struct {
	Cause       Cause // mandatory
	SenderFTEID FTEID
	// BearerContexts: EBI, Cause, S1-U SGW F-TEIDs for DL (and UL) data
	// forwarding; conditional on the request's acceptance.
	BearerContexts []BearerContext
	Recovery       *uint8
}

// MessageType implements Message.
func (*CreateIndirectDataForwardingTunnelResponse) MessageType() MessageType {
	return TypeCreateIndirectDataForwardingTunnelResponse
}

func (m *CreateIndirectDataForwardingTunnelResponse) encode(e *encoder) {
	e.mandatoryCause(m.Cause)
	e.fteid(m.SenderFTEID, 0)
	encodeBearerContexts(e, 0, unlessRejected(m.Cause), bcCIDFTResp, m.BearerContexts)
	e.recovery(m.Recovery)
}

var cidftRespFields = []field[CreateIndirectDataForwardingTunnelResponse]{
	{t: IECause, p: mandatory, set: func(m *CreateIndirectDataForwardingTunnelResponse, i *ie.IE) (err error) {
		m.Cause, err = readCause(i)
		return
	}},
	{t: IEFTEID, p: conditional, set: func(m *CreateIndirectDataForwardingTunnelResponse, i *ie.IE) (err error) {
		m.SenderFTEID, err = readFTEID(i)
		return
	}},
	bearerContexts(0, mandatory, bcCIDFTResp, func(m *CreateIndirectDataForwardingTunnelResponse) *[]BearerContext {
		return &m.BearerContexts
	}),
	{t: IERecovery, p: optional, set: func(m *CreateIndirectDataForwardingTunnelResponse, i *ie.IE) error {
		return setU8p(&m.Recovery, i)
	}},
}

func (m *CreateIndirectDataForwardingTunnelResponse) decode(ies []*ie.IE) *ieProblem {
	return rejected(decodeFields(m, ies, cidftRespFields, nil), m.Cause)
}

// DeleteIndirectDataForwardingTunnelRequest asks the SGW to release the
// UE's indirect forwarding tunnels after the handover (TS 29.274 §7.2.22,
// Table 7.2.22-1: no IE but a Private Extension; TS 23.401 §5.5.1.2.2
// step 19b).
type DeleteIndirectDataForwardingTunnelRequest struct{}

// MessageType implements Message.
func (*DeleteIndirectDataForwardingTunnelRequest) MessageType() MessageType {
	return TypeDeleteIndirectDataForwardingTunnelRequest
}

func (*DeleteIndirectDataForwardingTunnelRequest) encode(*encoder) {}

func (*DeleteIndirectDataForwardingTunnelRequest) decode([]*ie.IE) *ieProblem { return nil }

// DeleteIndirectDataForwardingTunnelResponse answers it (TS 29.274
// §7.2.23, Table 7.2.23-1).
type DeleteIndirectDataForwardingTunnelResponse struct {
	Cause    Cause // mandatory
	Recovery *uint8
}

// MessageType implements Message.
func (*DeleteIndirectDataForwardingTunnelResponse) MessageType() MessageType {
	return TypeDeleteIndirectDataForwardingTunnelResponse
}

func (m *DeleteIndirectDataForwardingTunnelResponse) encode(e *encoder) {
	e.mandatoryCause(m.Cause)
	e.recovery(m.Recovery)
}

var didftRespFields = []field[DeleteIndirectDataForwardingTunnelResponse]{
	{t: IECause, p: mandatory, set: func(m *DeleteIndirectDataForwardingTunnelResponse, i *ie.IE) (err error) {
		m.Cause, err = readCause(i)
		return
	}},
	{t: IERecovery, p: optional, set: func(m *DeleteIndirectDataForwardingTunnelResponse, i *ie.IE) error {
		return setU8p(&m.Recovery, i)
	}},
}

func (m *DeleteIndirectDataForwardingTunnelResponse) decode(ies []*ie.IE) *ieProblem {
	return decodeFields(m, ies, didftRespFields, nil)
}
