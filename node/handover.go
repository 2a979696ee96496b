package node

import (
	"time"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/s1ap/transport"
	"github.com/lte-mme/mme/session"
)

// Handover on the S1 front end (docs/design/node.md "Handover"): the node
// opens the connection a handover moves the UE to and hands it to the
// subscriber, which adopts it at the switch or frees it.
//
//   - PATH SWITCH REQUEST (TS 36.413 §8.4.4) names the source connection by
//     its MME-UE-S1AP-ID; the node opens a connection at the target (its
//     eNB-UE-S1AP-ID, a new MME-UE-S1AP-ID) for the same subscriber.
//   - HANDOVER REQUIRED (§8.4.1) names a target eNodeB by Global eNB ID;
//     the node opens a connection there, without an eNB-UE-S1AP-ID until
//     HANDOVER REQUEST ACKNOWLEDGE (§8.4.2) gives it (hoPending).

// pathSwitchRequest routes PATH SWITCH REQUEST to the subscriber of the
// source connection, with a new connection at the target. An unknown
// source is answered here (TS 36.413 §8.4.4.3, unknown MME-UE-S1AP-ID).
func (n *Node) pathSwitchRequest(e *enb, m *s1ap.PathSwitchRequest, now time.Time) {
	src := n.conns.get(uint32(m.SourceMMEUES1APID))
	if src == nil || src.owner() == 0 || src.hoPending {
		n.m.dropped.WithLabelValues("s1_path_switch_unknown_ue").Inc()
		n.sendUEIDs(e, m.ENBUES1APID, &s1ap.PathSwitchRequestFailure{MMEUES1APID: m.SourceMMEUES1APID, ENBUES1APID: m.ENBUES1APID,
			Cause: s1ap.Cause{Choice: s1ap.CauseChoiceRadioNetwork, RadioNetwork: s1ap.CauseRadioNetworkUnknownMmeUeS1apId}})
		return
	}
	c := n.openConn(e, m.ENBUES1APID, false)
	c.setOwner(src.owner())
	ev := &session.PathSwitchRequest{Now: now, Conn: session.ConnID(src.mmeID), NewConn: session.ConnID(c.mmeID),
		TargetENB: enbIDOf(e), Location: location(m.TAI, m.EUTRANCGI),
		SecurityCapabilities: s1ap.UESecurityCapabilities{
			EncryptionAlgorithms: s1ap.EncryptionAlgorithms{Bytes: clone(m.UESecurityCapabilities.EncryptionAlgorithms.Bytes),
				Len: m.UESecurityCapabilities.EncryptionAlgorithms.Len},
			IntegrityProtectionAlgorithms: s1ap.IntegrityProtectionAlgorithms{Bytes: clone(m.UESecurityCapabilities.IntegrityProtectionAlgorithms.Bytes),
				Len: m.UESecurityCapabilities.IntegrityProtectionAlgorithms.Len}}}
	for _, it := range m.ERABToBeSwitchedDLList {
		ev.Switched = append(ev.Switched, session.ERABSetup{EBI: uint8(it.ERABID), Addr: addrOf(it.TransportLayerAddress),
			TEID: teidOf(it.GTPTEID)})
	}
	if !n.postWithin(c.owner(), ev, "PathSwitchRequest", uplinkPatience) {
		n.dropConn(c)
		n.sendUEIDs(e, m.ENBUES1APID, &s1ap.PathSwitchRequestFailure{MMEUES1APID: m.SourceMMEUES1APID, ENBUES1APID: m.ENBUES1APID,
			Cause: s1ap.Cause{Choice: s1ap.CauseChoiceMisc, Misc: s1ap.CauseMiscControlProcessingOverload}})
	}
}

// handoverRequired routes HANDOVER REQUIRED with a connection opened at the
// target eNodeB (none when the target is not connected to this MME: the
// subscriber answers HANDOVER PREPARATION FAILURE, unknown target ID).
func (n *Node) handoverRequired(e *enb, m *s1ap.HandoverRequired, pdu *s1ap.PDU, now time.Time) {
	src := n.ueConn(e, m.MMEUES1APID, m.ENBUES1APID, pdu)
	if src == nil {
		return
	}
	ev := &session.HandoverRequired{Now: now, Conn: session.ConnID(src.mmeID), Type: m.HandoverType, Cause: m.Cause,
		Container: clone(m.SourceToTargetTransparentContainer)}
	if d, ok := m.DirectForwardingPathAvailability.Get(); ok {
		ev.DirectForwarding = d == s1ap.DirectForwardingPathAvailabilityDirectPathAvailable
	}
	if m.TargetID.Choice == s1ap.TargetIDChoiceTargeteNBID {
		t := m.TargetID.TargeteNBID
		ev.TargetENB = globalENBID(t.GlobalENBID)
		ev.SelectedTAI = location(t.SelectedTAI, s1ap.EUTRANCGI{}).TAI
		if te := n.enbByGlobalID(t.GlobalENBID); te != nil {
			tc := n.openConn(te, 0, true)
			tc.setOwner(src.owner())
			ev.TargetConn = session.ConnID(tc.mmeID)
		}
	}
	if !n.postWithin(src.owner(), ev, "HandoverRequired", uplinkPatience) && ev.TargetConn != 0 {
		if tc := n.conns.get(uint32(ev.TargetConn)); tc != nil {
			n.dropConn(tc)
		}
	}
}

// handoverRequestAcknowledge binds the target connection to the target's
// eNB-UE-S1AP-ID and routes the answer.
func (n *Node) handoverRequestAcknowledge(e *enb, m *s1ap.HandoverRequestAcknowledge, pdu *s1ap.PDU, now time.Time) {
	c := n.hoTargetConn(e, m.MMEUES1APID, pdu)
	if c == nil {
		return
	}
	c = n.bindConn(c, m.ENBUES1APID)
	ev := &session.HandoverRequestAcknowledge{Now: now, Conn: session.ConnID(c.mmeID),
		Container: clone(m.TargetToSourceTransparentContainer)}
	for _, it := range m.ERABAdmittedList {
		ev.Admitted = append(ev.Admitted, session.ERABSetup{EBI: uint8(it.ERABID), Addr: addrOf(it.TransportLayerAddress),
			TEID: teidOf(it.GTPTEID)})
		// TS 36.413 §9.1.5.5: the target's data forwarding tunnels.
		f := session.ERABForwarding{EBI: uint8(it.ERABID)}
		if a, ok := it.DLTransportLayerAddress.Get(); ok {
			if t, ok := it.DLGTPTEID.Get(); ok {
				f.DL = session.FTEID{Addr: addrOf(a), TEID: teidOf(t)}
			}
		}
		if a, ok := it.ULTransportLayerAddress.Get(); ok {
			if t, ok := it.ULGTPTEID.Get(); ok {
				f.UL = session.FTEID{Addr: addrOf(a), TEID: teidOf(t)}
			}
		}
		if f.DL.Addr.IsValid() || f.UL.Addr.IsValid() {
			ev.Forwarding = append(ev.Forwarding, f)
		}
	}
	if f, ok := m.ERABFailedToSetupListHOReqAck.Get(); ok {
		for _, it := range f {
			ev.NotAdmitted = append(ev.NotAdmitted, uint8(it.ERABID))
		}
	}
	n.toKey(c, ev)
}

// handoverFailure routes HANDOVER FAILURE (it names only the MME-UE-S1AP-ID
// of the target connection).
func (n *Node) handoverFailure(e *enb, m *s1ap.HandoverFailure, pdu *s1ap.PDU, now time.Time) {
	if c := n.hoTargetConn(e, m.MMEUES1APID, pdu); c != nil {
		n.toKey(c, &session.HandoverFailure{Now: now, Conn: session.ConnID(c.mmeID), Cause: m.Cause})
	}
}

// hoTargetConn finds the target connection of a HANDOVER REQUEST: opened at
// e and still without the target's eNB-UE-S1AP-ID (TS 36.413 §10.6
// otherwise).
func (n *Node) hoTargetConn(e *enb, id s1ap.MMEUES1APID, pdu *s1ap.PDU) *ueConn {
	c := n.conns.get(uint32(id))
	if c != nil && c.enb == e && c.hoPending {
		return c
	}
	n.m.dropped.WithLabelValues("s1_handover_target_unknown").Inc()
	n.errorIndication(e, s1ap.Cause{Choice: s1ap.CauseChoiceRadioNetwork, RadioNetwork: s1ap.CauseRadioNetworkUnknownMmeUeS1apId},
		nil, ueIDsOf(pdu.Message))
	return nil
}

// openConn opens a connection at e for a handover (hoPending: the eNB-UE-
// S1AP-ID comes later).
func (n *Node) openConn(e *enb, enbID s1ap.ENBUES1APID, hoPending bool) *ueConn {
	c := &ueConn{enbID: enbID, enb: e, hoPending: hoPending}
	n.conns.add(c)
	_, out := e.assoc.Streams()
	c.stream = transport.StreamForUE(uint64(c.mmeID), out)
	e.mu.Lock()
	e.conns[c.mmeID] = c
	e.mu.Unlock()
	return c
}

// bindConn replaces a pending target connection by one with the target's
// eNB-UE-S1AP-ID (a new value, so that readers of the tables never see a
// connection change under them).
func (n *Node) bindConn(c *ueConn, enbID s1ap.ENBUES1APID) *ueConn {
	nc := &ueConn{mmeID: c.mmeID, enbID: enbID, enb: c.enb, stream: c.stream}
	nc.setOwner(c.owner())
	s := &n.conns.shards[c.mmeID%connShards]
	s.mu.Lock()
	if s.m[c.mmeID] == c {
		s.m[c.mmeID] = nc
	}
	s.mu.Unlock()
	c.enb.mu.Lock()
	if c.enb.conns[c.mmeID] == c {
		c.enb.conns[c.mmeID] = nc
	}
	c.enb.mu.Unlock()
	return nc
}

// enbByGlobalID returns the set-up eNodeB with that Global eNB ID.
func (n *Node) enbByGlobalID(g s1ap.GlobalENBID) *enb {
	want := globalENBID(g)
	for _, e := range n.enbs.all() {
		e.mu.Lock()
		ok := e.setup && globalENBID(e.globalID) == want
		e.mu.Unlock()
		if ok {
			return e
		}
	}
	return nil
}

func enbIDOf(e *enb) session.ENBID {
	e.mu.Lock()
	defer e.mu.Unlock()
	return globalENBID(e.globalID)
}

// globalENBID is the session's form of a Global eNB ID (TS 36.413 §9.2.1.37).
func globalENBID(g s1ap.GlobalENBID) session.ENBID {
	id := session.ENBID{PLMN: nas.PLMNID(g.PLMNidentity), Kind: g.ENBID.Choice}
	switch g.ENBID.Choice {
	case s1ap.ENBIDChoiceMacroENBID:
		id.ID = uint32(g.ENBID.MacroENBID)
	case s1ap.ENBIDChoiceHomeENBID:
		id.ID = uint32(g.ENBID.HomeENBID)
	case s1ap.ENBIDChoiceShortMacroENBID:
		id.ID = uint32(g.ENBID.ShortMacroENBID)
	case s1ap.ENBIDChoiceLongMacroENBID:
		id.ID = uint32(g.ENBID.LongMacroENBID)
	}
	return id
}

func teidOf(t s1ap.GTPTEID) uint32 {
	if len(t) < 4 {
		return 0
	}
	return uint32(t[0])<<24 | uint32(t[1])<<16 | uint32(t[2])<<8 | uint32(t[3])
}

// sendUEIDs sends a UE-associated answer for a UE that has no connection
// here (the eNodeB's ID only), on the stream its eNB-UE-S1AP-ID selects.
func (n *Node) sendUEIDs(e *enb, enbID s1ap.ENBUES1APID, m s1ap.Message) {
	data, err := s1ap.AppendEncode(nil, m)
	if err != nil {
		n.log.Error("s1: encode", "message", m.MessageName(), "err", err)
		return
	}
	_, out := e.assoc.Streams()
	if err := e.assoc.Send(transport.StreamForUE(uint64(enbID), out), transport.S1APPPID, data); err != nil {
		n.m.dropped.WithLabelValues(sendErrReason(err)).Inc()
		return
	}
	n.m.s1ap.WithLabelValues("out", m.MessageName()).Inc()
}

// ownStatus returns a copy of the eNB STATUS TRANSFER container that does
// not share the receive buffer (transport.Message.Data is the handler's
// only during the call): re-encoded and decoded, the container's bit
// strings are the copy's own.
func ownStatus(m *s1ap.ENBStatusTransfer) s1ap.ENBStatusTransferTransparentContainer {
	b, err := s1ap.AppendEncode(nil, m)
	if err == nil {
		if p, err := s1ap.Decode(b); err == nil {
			if c, ok := p.Message.(*s1ap.ENBStatusTransfer); ok {
				return c.ENBStatusTransferTransparentContainer
			}
		}
	}
	return s1ap.ENBStatusTransferTransparentContainer{}
}
