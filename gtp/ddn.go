package gtp

import (
	"github.com/wmnsk/go-gtp/gtpv2/ie"
)

// DownlinkDataNotification is sent by the SGW when downlink data arrives
// for an ECM-IDLE UE: the MME pages it (TS 29.274 §7.2.11.1, Table
// 7.2.11.1-1; TS 23.401 §5.3.4.3 step 2a).
type DownlinkDataNotification struct {
	Cause       Cause
	EBI         uint8 // bearer that received the data; 0: absent
	ARP         *ARP  // ARP of that bearer (paging priority)
	IMSI        string
	SenderFTEID FTEID
	Indication  []byte
}

// MessageType implements Message.
func (*DownlinkDataNotification) MessageType() MessageType { return TypeDownlinkDataNotification }

func (m *DownlinkDataNotification) encode(e *encoder) {
	e.cause(m.Cause)
	if m.EBI != 0 {
		e.ebi(m.EBI, 0)
	}
	if m.ARP != nil {
		if m.ARP.PL > 15 {
			e.fail(IEARP, ieErrorf("priority level %d", m.ARP.PL))
		}
		e.u8(IEARP, m.ARP.octet(), 0)
	}
	e.digits(IEIMSI, m.IMSI, 15)
	e.fteid(m.SenderFTEID, 0)
	e.octets(IEIndication, m.Indication)
}

var ddnFields = []field[DownlinkDataNotification]{
	{t: IECause, p: conditional, set: func(m *DownlinkDataNotification, i *ie.IE) (err error) { m.Cause, err = readCause(i); return }},
	{t: IEEBI, p: conditional, set: func(m *DownlinkDataNotification, i *ie.IE) (err error) { m.EBI, err = readEBI(i); return }},
	{t: IEARP, p: conditional, set: func(m *DownlinkDataNotification, i *ie.IE) error {
		v, err := readARP(i)
		if err == nil {
			m.ARP = &v
		}
		return err
	}},
	{t: IEIMSI, p: conditional, set: func(m *DownlinkDataNotification, i *ie.IE) (err error) { m.IMSI, err = readDigits(i, 15); return }},
	{t: IEFTEID, p: conditional, set: func(m *DownlinkDataNotification, i *ie.IE) (err error) { m.SenderFTEID, err = readFTEID(i); return }},
	{t: IEIndication, p: conditional, set: func(m *DownlinkDataNotification, i *ie.IE) (err error) {
		m.Indication, err = readOctets(i)
		return
	}},
}

func (m *DownlinkDataNotification) decode(ies []*ie.IE) *ieProblem {
	return decodeFields(m, ies, ddnFields, nil)
}

// DownlinkDataNotificationAcknowledge answers a Downlink Data Notification
// (TS 29.274 §7.2.11.2, Table 7.2.11.2-1). Cause Unable to page UE, UE
// already re-attached, Context Not Found etc. reject it; Request accepted
// means the MME pages.
type DownlinkDataNotificationAcknowledge struct {
	Cause Cause // mandatory
	// DelayValue is the Data Notification Delay in units of 50 ms
	// (TS 29.274 §8.27); nil: absent.
	DelayValue *uint8
	Recovery   *uint8
	IMSI       string
}

// MessageType implements Message.
func (*DownlinkDataNotificationAcknowledge) MessageType() MessageType {
	return TypeDownlinkDataNotificationAcknowledge
}

func (m *DownlinkDataNotificationAcknowledge) encode(e *encoder) {
	e.mandatoryCause(m.Cause)
	e.u8p(IEDelayValue, m.DelayValue)
	e.recovery(m.Recovery)
	e.digits(IEIMSI, m.IMSI, 15)
}

var ddnAckFields = []field[DownlinkDataNotificationAcknowledge]{
	{t: IECause, p: mandatory, set: func(m *DownlinkDataNotificationAcknowledge, i *ie.IE) (err error) {
		m.Cause, err = readCause(i)
		return
	}},
	{t: IEDelayValue, p: conditional, set: func(m *DownlinkDataNotificationAcknowledge, i *ie.IE) error {
		return setU8p(&m.DelayValue, i)
	}},
	{t: IERecovery, p: conditional, set: func(m *DownlinkDataNotificationAcknowledge, i *ie.IE) error {
		return setU8p(&m.Recovery, i)
	}},
	{t: IEIMSI, p: optional, set: func(m *DownlinkDataNotificationAcknowledge, i *ie.IE) (err error) {
		m.IMSI, err = readDigits(i, 15)
		return
	}},
}

func (m *DownlinkDataNotificationAcknowledge) decode(ies []*ie.IE) *ieProblem {
	return decodeFields(m, ies, ddnAckFields, nil)
}

// DownlinkDataNotificationFailureIndication is sent by the MME when paging
// after an accepted Downlink Data Notification fails (TS 29.274 §7.2.11.3,
// Table 7.2.11.3-1; TS 23.401 §5.3.4.3). No message answers it.
type DownlinkDataNotificationFailureIndication struct {
	Cause           Cause // mandatory, e.g. UE not responding
	OriginatingNode *NodeType
	IMSI            string
}

// MessageType implements Message.
func (*DownlinkDataNotificationFailureIndication) MessageType() MessageType {
	return TypeDownlinkDataNotificationFailureIndication
}

func (m *DownlinkDataNotificationFailureIndication) encode(e *encoder) {
	e.mandatoryCause(m.Cause)
	if m.OriginatingNode != nil {
		e.u8(IENodeType, uint8(*m.OriginatingNode), 0)
	}
	e.digits(IEIMSI, m.IMSI, 15)
}

var ddnFIFields = []field[DownlinkDataNotificationFailureIndication]{
	{t: IECause, p: mandatory, set: func(m *DownlinkDataNotificationFailureIndication, i *ie.IE) (err error) {
		m.Cause, err = readCause(i)
		return
	}},
	{t: IENodeType, p: conditional, set: func(m *DownlinkDataNotificationFailureIndication, i *ie.IE) error {
		v, err := readUint8(i)
		if err == nil {
			n := NodeType(v)
			m.OriginatingNode = &n
		}
		return err
	}},
	{t: IEIMSI, p: conditional, set: func(m *DownlinkDataNotificationFailureIndication, i *ie.IE) (err error) {
		m.IMSI, err = readDigits(i, 15)
		return
	}},
}

func (m *DownlinkDataNotificationFailureIndication) decode(ies []*ie.IE) *ieProblem {
	return decodeFields(m, ies, ddnFIFields, nil)
}
