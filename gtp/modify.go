package gtp

import (
	"github.com/wmnsk/go-gtp/gtpv2/ie"
)

// ModifyBearerRequest is sent by the MME to the SGW to give it the eNodeB's
// S1-U F-TEIDs (attach completion, service request, handover, TAU) and to
// report location changes (TS 29.274 §7.2.7, Table 7.2.7-1; TS 23.401
// §5.3.2.1 step 23, §5.3.4.1 step 8).
type ModifyBearerRequest struct {
	MEI            string
	ULI            ULI
	ServingNetwork PLMN
	RATType        RATType // 0: absent
	Indication     []byte
	SenderFTEID    FTEID // S11 MME GTP-C F-TEID when it changed (instance 0)
	AMBR           *AMBR
	// DelayValue is the Delay Downlink Packet Notification Request in units
	// of 50 ms (TS 29.274 §8.27); nil: absent.
	DelayValue                 *uint8
	BearerContextsToBeModified []BearerContext // instance 0: EBI, S1-U eNodeB F-TEID
	BearerContextsToBeRemoved  []BearerContext // instance 1: EBI
	Recovery                   *uint8
	UETimeZone                 *UETimeZone
}

// MessageType implements Message.
func (*ModifyBearerRequest) MessageType() MessageType { return TypeModifyBearerRequest }

func (m *ModifyBearerRequest) encode(e *encoder) {
	e.digits(IEMEI, m.MEI, 16)
	e.uli(m.ULI)
	e.servingNetwork(m.ServingNetwork)
	if m.RATType != 0 {
		e.u8(IERATType, uint8(m.RATType), 0)
	}
	e.octets(IEIndication, m.Indication)
	e.fteid(m.SenderFTEID, 0)
	e.ambr(m.AMBR)
	e.u8p(IEDelayValue, m.DelayValue)
	encodeBearerContexts(e, 0, conditional, bcMBRToBeModified, m.BearerContextsToBeModified)
	encodeBearerContexts(e, 1, conditional, bcToBeRemoved, m.BearerContextsToBeRemoved)
	e.recovery(m.Recovery)
	if m.UETimeZone != nil {
		e.add(ie.New(ie.UETimeZone, 0, []byte{m.UETimeZone.TimeZone, m.UETimeZone.DaylightSaving & 0x03}), 0)
	}
}

var mbrFields = []field[ModifyBearerRequest]{
	{t: IEMEI, p: conditional, set: func(m *ModifyBearerRequest, i *ie.IE) (err error) { m.MEI, err = readDigits(i, 16); return }},
	{t: IEULI, p: conditional, set: func(m *ModifyBearerRequest, i *ie.IE) (err error) { m.ULI, err = readULI(i); return }},
	{t: IEServingNetwork, p: conditional, set: func(m *ModifyBearerRequest, i *ie.IE) (err error) {
		m.ServingNetwork, err = readServingNetwork(i)
		return
	}},
	{t: IERATType, p: conditional, set: func(m *ModifyBearerRequest, i *ie.IE) error {
		v, err := readRATType(i)
		m.RATType = v
		return err
	}},
	{t: IEIndication, p: conditional, set: func(m *ModifyBearerRequest, i *ie.IE) (err error) { m.Indication, err = readOctets(i); return }},
	{t: IEFTEID, p: conditional, set: func(m *ModifyBearerRequest, i *ie.IE) (err error) { m.SenderFTEID, err = readFTEID(i); return }},
	{t: IEAMBR, p: conditional, set: func(m *ModifyBearerRequest, i *ie.IE) error { return setAMBR(&m.AMBR, i) }},
	{t: IEDelayValue, p: conditional, set: func(m *ModifyBearerRequest, i *ie.IE) error { return setU8p(&m.DelayValue, i) }},
	bearerContexts(0, conditional, bcMBRToBeModified, func(m *ModifyBearerRequest) *[]BearerContext { return &m.BearerContextsToBeModified }),
	bearerContexts(1, conditional, bcToBeRemoved, func(m *ModifyBearerRequest) *[]BearerContext { return &m.BearerContextsToBeRemoved }),
	{t: IERecovery, p: conditional, set: func(m *ModifyBearerRequest, i *ie.IE) error { return setU8p(&m.Recovery, i) }},
	{t: IEUETimeZone, p: conditional, set: func(m *ModifyBearerRequest, i *ie.IE) error { return setTZ(&m.UETimeZone, i) }},
}

func (m *ModifyBearerRequest) decode(ies []*ie.IE) *ieProblem {
	return decodeFields(m, ies, mbrFields, nil)
}

// ModifyBearerResponse answers a Modify Bearer Request (TS 29.274 §7.2.8,
// Table 7.2.8-1).
type ModifyBearerResponse struct {
	Cause                          Cause // mandatory
	MSISDN                         string
	LinkedEBI                      uint8
	APNRestriction                 *uint8
	PCO                            []byte
	BearerContextsModified         []BearerContext // instance 0: EBI, Cause, S1-U SGW F-TEID
	BearerContextsMarkedForRemoval []BearerContext // instance 1: EBI, Cause
	Recovery                       *uint8
}

// MessageType implements Message.
func (*ModifyBearerResponse) MessageType() MessageType { return TypeModifyBearerResponse }

func (m *ModifyBearerResponse) encode(e *encoder) {
	e.mandatoryCause(m.Cause)
	e.digits(IEMSISDN, m.MSISDN, 15)
	if m.LinkedEBI != 0 {
		e.ebi(m.LinkedEBI, 0)
	}
	e.u8p(IEAPNRestriction, m.APNRestriction)
	e.octets(IEPCO, m.PCO)
	encodeBearerContexts(e, 0, conditional, bcMBRespModified, m.BearerContextsModified)
	encodeBearerContexts(e, 1, conditional, bcMarkedForRemoval, m.BearerContextsMarkedForRemoval)
	e.recovery(m.Recovery)
}

var mbRespFields = []field[ModifyBearerResponse]{
	{t: IECause, p: mandatory, set: func(m *ModifyBearerResponse, i *ie.IE) (err error) { m.Cause, err = readCause(i); return }},
	{t: IEMSISDN, p: conditional, set: func(m *ModifyBearerResponse, i *ie.IE) (err error) { m.MSISDN, err = readDigits(i, 15); return }},
	{t: IEEBI, p: conditional, set: func(m *ModifyBearerResponse, i *ie.IE) (err error) { m.LinkedEBI, err = readLBI(i); return }},
	{t: IEAPNRestriction, p: conditional, set: func(m *ModifyBearerResponse, i *ie.IE) error { return setU8p(&m.APNRestriction, i) }},
	{t: IEPCO, p: conditional, set: func(m *ModifyBearerResponse, i *ie.IE) (err error) { m.PCO, err = readOctets(i); return }},
	bearerContexts(0, conditional, bcMBRespModified, func(m *ModifyBearerResponse) *[]BearerContext { return &m.BearerContextsModified }),
	bearerContexts(1, conditional, bcMarkedForRemoval, func(m *ModifyBearerResponse) *[]BearerContext {
		return &m.BearerContextsMarkedForRemoval
	}),
	{t: IERecovery, p: conditional, set: func(m *ModifyBearerResponse, i *ie.IE) error { return setU8p(&m.Recovery, i) }},
}

func (m *ModifyBearerResponse) decode(ies []*ie.IE) *ieProblem {
	return decodeFields(m, ies, mbRespFields, nil)
}

// ReleaseAccessBearersRequest is sent by the MME on S1 release to make the
// SGW drop the eNodeB's S1-U F-TEIDs: the UE becomes ECM-IDLE (TS 29.274
// §7.2.21, Table 7.2.21-1; TS 23.401 §5.3.5 step 2).
type ReleaseAccessBearersRequest struct {
	// EBIs is the List of RABs (S4 only: on S11 all bearers are released).
	EBIs []uint8
	// OriginatingNode is the Node Type of the sender (MME or SGSN, when the
	// UE has ISR active); nil: absent.
	OriginatingNode *NodeType
	Indication      []byte
}

// MessageType implements Message.
func (*ReleaseAccessBearersRequest) MessageType() MessageType {
	return TypeReleaseAccessBearersRequest
}

func (m *ReleaseAccessBearersRequest) encode(e *encoder) {
	for _, v := range m.EBIs {
		e.ebi(v, 0)
	}
	if m.OriginatingNode != nil {
		e.u8(IENodeType, uint8(*m.OriginatingNode), 0)
	}
	e.octets(IEIndication, m.Indication)
}

var rabrFields = []field[ReleaseAccessBearersRequest]{
	{t: IEEBI, p: conditional, multi: true, set: func(m *ReleaseAccessBearersRequest, i *ie.IE) error { return setEBIs(&m.EBIs, i) }},
	{t: IENodeType, p: conditional, set: func(m *ReleaseAccessBearersRequest, i *ie.IE) error {
		v, err := readUint8(i)
		if err == nil {
			n := NodeType(v)
			m.OriginatingNode = &n
		}
		return err
	}},
	{t: IEIndication, p: conditional, set: func(m *ReleaseAccessBearersRequest, i *ie.IE) (err error) {
		m.Indication, err = readOctets(i)
		return
	}},
}

func (m *ReleaseAccessBearersRequest) decode(ies []*ie.IE) *ieProblem {
	return decodeFields(m, ies, rabrFields, nil)
}

// ReleaseAccessBearersResponse answers a Release Access Bearers Request
// (TS 29.274 §7.2.22, Table 7.2.22-1).
type ReleaseAccessBearersResponse struct {
	Cause    Cause // mandatory
	Recovery *uint8
}

// MessageType implements Message.
func (*ReleaseAccessBearersResponse) MessageType() MessageType {
	return TypeReleaseAccessBearersResponse
}

func (m *ReleaseAccessBearersResponse) encode(e *encoder) {
	e.mandatoryCause(m.Cause)
	e.recovery(m.Recovery)
}

var rabRespFields = []field[ReleaseAccessBearersResponse]{
	{t: IECause, p: mandatory, set: func(m *ReleaseAccessBearersResponse, i *ie.IE) (err error) { m.Cause, err = readCause(i); return }},
	{t: IERecovery, p: conditional, set: func(m *ReleaseAccessBearersResponse, i *ie.IE) error { return setU8p(&m.Recovery, i) }},
}

func (m *ReleaseAccessBearersResponse) decode(ies []*ie.IE) *ieProblem {
	return decodeFields(m, ies, rabRespFields, nil)
}
