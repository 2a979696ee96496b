package gtp

import (
	"github.com/wmnsk/go-gtp/gtpv2/ie"
)

// EchoRequest probes a GTP-C peer and carries the sender's restart counter
// (TS 29.274 §7.1.1, Table 7.1.1-1; TS 23.007 §18, §20). It has no TEID.
type EchoRequest struct {
	Recovery uint8 // mandatory: the sender's restart counter
	// SendingNodeFeatures (TS 29.274 §8.83); nil: absent.
	SendingNodeFeatures *uint8
}

// MessageType implements Message.
func (*EchoRequest) MessageType() MessageType { return TypeEchoRequest }

func (m *EchoRequest) encode(e *encoder) {
	e.u8(IERecovery, m.Recovery, 0)
	e.u8p(IENodeFeatures, m.SendingNodeFeatures)
}

var echoReqFields = []field[EchoRequest]{
	{t: IERecovery, p: mandatory, set: func(m *EchoRequest, i *ie.IE) (err error) { m.Recovery, err = readUint8(i); return }},
	{t: IENodeFeatures, p: optional, set: func(m *EchoRequest, i *ie.IE) error { return setU8p(&m.SendingNodeFeatures, i) }},
}

func (m *EchoRequest) decode(ies []*ie.IE) *ieProblem {
	return decodeFields(m, ies, echoReqFields, nil)
}

// EchoResponse answers an Echo Request (TS 29.274 §7.1.2, Table 7.1.2-1).
type EchoResponse struct {
	Recovery            uint8 // mandatory: the sender's restart counter
	SendingNodeFeatures *uint8
}

// MessageType implements Message.
func (*EchoResponse) MessageType() MessageType { return TypeEchoResponse }

func (m *EchoResponse) encode(e *encoder) {
	e.u8(IERecovery, m.Recovery, 0)
	e.u8p(IENodeFeatures, m.SendingNodeFeatures)
}

var echoRespFields = []field[EchoResponse]{
	{t: IERecovery, p: mandatory, set: func(m *EchoResponse, i *ie.IE) (err error) { m.Recovery, err = readUint8(i); return }},
	{t: IENodeFeatures, p: optional, set: func(m *EchoResponse, i *ie.IE) error { return setU8p(&m.SendingNodeFeatures, i) }},
}

func (m *EchoResponse) decode(ies []*ie.IE) *ieProblem {
	return decodeFields(m, ies, echoRespFields, nil)
}

// VersionNotSupportedIndication answers a message of a GTP version the
// receiver does not support; header only (TS 29.274 §7.1.3, §7.7.2).
type VersionNotSupportedIndication struct{}

// MessageType implements Message.
func (*VersionNotSupportedIndication) MessageType() MessageType {
	return TypeVersionNotSupportedIndication
}

func (*VersionNotSupportedIndication) encode(*encoder) {}

func (*VersionNotSupportedIndication) decode([]*ie.IE) *ieProblem { return nil }

// RecoveryOf returns the Recovery (restart counter) IE of m and whether m
// carries one (TS 23.007 §18: a restart counter may arrive in Echo messages
// and in other GTP-C messages).
func RecoveryOf(m Message) (uint8, bool) {
	var p *uint8
	switch m := m.(type) {
	case *EchoRequest:
		return m.Recovery, true
	case *EchoResponse:
		return m.Recovery, true
	case *CreateSessionRequest:
		p = m.Recovery
	case *CreateSessionResponse:
		p = m.Recovery
	case *ModifyBearerRequest:
		p = m.Recovery
	case *ModifyBearerResponse:
		p = m.Recovery
	case *DeleteSessionResponse:
		p = m.Recovery
	case *ReleaseAccessBearersResponse:
		p = m.Recovery
	case *DownlinkDataNotificationAcknowledge:
		p = m.Recovery
	case *CreateBearerResponse:
		p = m.Recovery
	case *UpdateBearerResponse:
		p = m.Recovery
	case *DeleteBearerResponse:
		p = m.Recovery
	case *DeleteBearerFailureIndication:
		p = m.Recovery
	}
	if p == nil {
		return 0, false
	}
	return *p, true
}

// SetRecovery sets the Recovery IE of m to v when m's type carries one and
// it is unset, and reports whether m now carries v. TS 29.274 (e.g. Table
// 7.2.1-1): Recovery is included when contacting the peer for the first
// time after a restart.
func SetRecovery(m Message, v uint8) bool {
	var p **uint8
	switch m := m.(type) {
	case *EchoRequest:
		m.Recovery = v
		return true
	case *EchoResponse:
		m.Recovery = v
		return true
	case *CreateSessionRequest:
		p = &m.Recovery
	case *CreateSessionResponse:
		p = &m.Recovery
	case *ModifyBearerRequest:
		p = &m.Recovery
	case *ModifyBearerResponse:
		p = &m.Recovery
	case *DeleteSessionResponse:
		p = &m.Recovery
	case *ReleaseAccessBearersResponse:
		p = &m.Recovery
	case *DownlinkDataNotificationAcknowledge:
		p = &m.Recovery
	case *CreateBearerResponse:
		p = &m.Recovery
	case *UpdateBearerResponse:
		p = &m.Recovery
	case *DeleteBearerResponse:
		p = &m.Recovery
	case *DeleteBearerFailureIndication:
		p = &m.Recovery
	default:
		return false
	}
	if *p == nil {
		*p = &v
	}
	return **p == v
}
