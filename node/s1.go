package node

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/s1ap/transport"
	"github.com/lte-mme/mme/session"
	"github.com/lte-mme/mme/supervision"
)

// s1Handler is the node as the S1 transport's handler: the S1 front end.
// It decodes every PDU strictly, answers TS 36.413 §10 errors, runs the
// non-UE-associated procedures itself and routes the UE-associated ones
// to the subscribers' actors by MME-UE-S1AP-ID (or, for INITIAL UE
// MESSAGE, by the identity in the NAS message).
type s1Handler Node

// openS1 creates the S1 endpoint and starts listening (docs/design/
// s1-transport.md): kernel SCTP or SCTP over UDP.
func (n *Node) openS1() error {
	tc := transport.DefaultConfig()
	tc.Mode = n.res.s1Mode
	tc.LocalAddrs = n.res.s1Addrs
	if n.cfg.S1.Port != 0 {
		tc.Port = n.cfg.S1.Port
	}
	if n.cfg.S1.UDPPort != nil {
		tc.UDPPort = uint16(*n.cfg.S1.UDPPort)
	}
	tc.InStreams, tc.OutStreams = n.cfg.S1.Streams, n.cfg.S1.Streams
	tc.Logger = n.log.With("subsystem", "s1")
	ep, err := transport.NewEndpoint(tc)
	if err != nil {
		return fmt.Errorf("node: s1: %w", err)
	}
	n.s1 = ep
	if err := ep.Listen((*s1Handler)(n)); err != nil {
		return fmt.Errorf("node: s1.listen: %w", err)
	}
	return nil
}

// runS1 owns the S1 endpoint: when the node stops, every association is
// shut down gracefully (SCTP SHUTDOWN, RFC 4960 §9.2), then the endpoint
// closed.
func (n *Node) runS1(ctx context.Context) error {
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	return n.s1.Shutdown(sctx)
}

// HandleEvent tracks associations: one supervised child per eNodeB
// association (its end shuts the association down); a restart or the end
// of an association releases its UEs' connections (they go ECM-IDLE,
// TS 23.401 §5.3.5), it does not detach them.
func (h *s1Handler) HandleEvent(ev transport.Event) {
	n := (*Node)(h)
	switch ev.Kind {
	case transport.EventUp:
		e := &enb{assoc: ev.Assoc, conns: make(map[uint32]*ueConn)}
		n.enbs.mu.Lock()
		n.enbs.m[ev.Assoc.ID()] = e
		n.enbs.mu.Unlock()
		a := ev.Assoc
		err := n.s1sup.StartChild(supervision.ChildSpec{
			Name: fmt.Sprintf("enb-%d", a.ID()), Restart: supervision.Temporary, Shutdown: 3 * time.Second,
			Run: func(ctx context.Context) error {
				select {
				case <-a.Done():
				case <-ctx.Done():
					sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
					_ = a.Shutdown(sctx)
					cancel()
				}
				return nil
			}})
		if err != nil {
			n.log.Warn("node: association not supervised", "assoc", a.ID(), "err", err)
		}
		n.log.Info("s1: association up", "assoc", a.ID(), "peer", a.PeerAddrs())
	case transport.EventRestart:
		if e := n.enbs.get(ev.Assoc.ID()); e != nil {
			n.connectionsLost(e, "sctp restart")
			e.mu.Lock()
			wasSetup := e.setup
			e.setup = false
			e.mu.Unlock()
			if wasSetup {
				n.m.enbs.Dec()
			}
		}
	case transport.EventDown:
		e := n.enbs.get(ev.Assoc.ID())
		if e == nil {
			return
		}
		n.connectionsLost(e, "association down")
		n.enbs.mu.Lock()
		delete(n.enbs.m, ev.Assoc.ID())
		n.enbs.mu.Unlock()
		e.mu.Lock()
		wasSetup := e.setup
		e.setup = false
		e.mu.Unlock()
		if wasSetup {
			n.m.enbs.Dec()
		}
		n.log.Info("s1: association down", "assoc", ev.Assoc.ID(), "err", ev.Err)
	}
}

// connectionsLost releases every UE connection of e (S1 Reset of the whole
// interface, association restart or loss).
func (n *Node) connectionsLost(e *enb, reason string) {
	e.mu.Lock()
	conns := make([]*ueConn, 0, len(e.conns))
	for _, c := range e.conns {
		conns = append(conns, c)
	}
	e.conns = make(map[uint32]*ueConn)
	e.mu.Unlock()
	for _, c := range conns {
		n.conns.remove(c.mmeID, c)
		if c.owner() != 0 {
			n.post(c.owner(), &session.S1ConnectionLost{Now: time.Now(), Conn: session.ConnID(c.mmeID), Reason: reason}, "connection lost")
		}
	}
}

// HandleMessage decodes and dispatches one S1AP PDU.
func (h *s1Handler) HandleMessage(a *transport.Association, msg transport.Message) {
	n := (*Node)(h)
	e := n.enbs.get(a.ID())
	if e == nil {
		return // the association went down meanwhile
	}
	if msg.PPID != transport.S1APPPID {
		// TS 36.412 §7: S1AP is PPID 18; anything else is not ours.
		n.m.dropped.WithLabelValues("s1_wrong_ppid").Inc()
		n.log.Warn("s1: message with a PPID other than 18 discarded", "ppid", msg.PPID, "assoc", a.ID())
		return
	}
	pdu, err := s1ap.Decode(msg.Data)
	var se *s1ap.SyntaxError
	var pe *s1ap.ProtocolError
	switch {
	case errors.As(err, &se):
		// TS 36.413 §10.2: transfer syntax error: ERROR INDICATION.
		n.m.s1ap.WithLabelValues("in", "undecodable").Inc()
		n.errorIndication(e, se.Cause(), syntaxDiagnostics(se), nil)
		return
	case errors.As(err, &pe):
		n.m.s1ap.WithLabelValues("in", pe.Message).Inc()
		if pe.Action() == s1ap.ActionReject {
			n.rejectProcedure(e, pdu, pe)
			return
		}
		// Ignore and notify (TS 36.413 §10.3.4): process without the
		// erroneous IEs and report them.
		n.errorIndication(e, pe.Cause(), ptr(pe.CriticalityDiagnostics()), ueIDsOf(pdu.Message))
	case err != nil:
		n.m.s1ap.WithLabelValues("in", "undecodable").Inc()
		return
	default:
		n.m.s1ap.WithLabelValues("in", pdu.Message.MessageName()).Inc()
	}
	e.mu.Lock()
	setup := e.setup
	e.mu.Unlock()
	if _, isSetup := pdu.Message.(*s1ap.S1SetupRequest); !setup && !isSetup {
		// TS 36.413 §8.7.3.1: S1 SETUP is the first procedure on a new TNL
		// association.
		n.errorIndication(e, protocolCause(s1ap.CauseProtocolMessageNotCompatibleWithReceiverState),
			ptr(procedureDiagnostics(pdu)), ueIDsOf(pdu.Message))
		return
	}
	n.dispatch(e, msg.Stream, pdu)
}

func ptr[T any](v T) *T { return &v }

// dispatch runs the procedure of a decoded PDU.
func (n *Node) dispatch(e *enb, stream uint16, pdu *s1ap.PDU) {
	now := time.Now()
	switch m := pdu.Message.(type) {
	case *s1ap.S1SetupRequest:
		n.s1Setup(e, m)
	case *s1ap.ENBConfigurationUpdate:
		n.enbConfigurationUpdate(e, m)
	case *s1ap.Reset:
		n.reset(e, m)
	case *s1ap.ErrorIndication:
		n.errorIndicationReceived(e, m)
	case *s1ap.MMEConfigurationUpdateAcknowledge:
	case *s1ap.MMEConfigurationUpdateFailure:
		n.log.Warn("s1: MME CONFIGURATION UPDATE refused", "enb", enbName(e), "cause", causeName(m.Cause))
	case *s1ap.InitialUEMessage:
		n.initialUEMessage(e, m, now)
	case *s1ap.UplinkNASTransport:
		if c := n.ueConn(e, m.MMEUES1APID, m.ENBUES1APID, pdu); c != nil {
			n.toKey(c, &session.UplinkNASTransport{Now: now, Conn: session.ConnID(c.mmeID), NAS: clone(m.NASPDU),
				Location: location(m.TAI, m.EUTRANCGI)})
		}
	case *s1ap.InitialContextSetupResponse:
		if c := n.ueConn(e, m.MMEUES1APID, m.ENBUES1APID, pdu); c != nil {
			ev := &session.InitialContextSetupResponse{Now: now, Conn: session.ConnID(c.mmeID)}
			for _, it := range m.ERABSetupListCtxtSURes {
				ev.Setup = append(ev.Setup, session.ERABSetup{EBI: uint8(it.ERABID), Addr: addrOf(it.TransportLayerAddress),
					TEID: teidOf(it.GTPTEID)})
			}
			if f, ok := m.ERABFailedToSetupListCtxtSURes.Get(); ok {
				for _, it := range f {
					ev.Failed = append(ev.Failed, uint8(it.ERABID))
				}
			}
			n.toKey(c, ev)
		}
	case *s1ap.InitialContextSetupFailure:
		if c := n.ueConn(e, m.MMEUES1APID, m.ENBUES1APID, pdu); c != nil {
			n.toKey(c, &session.InitialContextSetupFailure{Now: now, Conn: session.ConnID(c.mmeID), Cause: m.Cause})
		}
	case *s1ap.UECapabilityInfoIndication:
		if c := n.ueConn(e, m.MMEUES1APID, m.ENBUES1APID, pdu); c != nil {
			n.toKey(c, &session.UECapabilityInfoIndication{Now: now, Conn: session.ConnID(c.mmeID),
				RadioCapability: clone(m.UERadioCapability)})
		}
	case *s1ap.UEContextReleaseRequest:
		if c := n.ueConn(e, m.MMEUES1APID, m.ENBUES1APID, pdu); c != nil {
			n.toKey(c, &session.UEContextReleaseRequest{Now: now, Conn: session.ConnID(c.mmeID), Cause: m.Cause})
		}
	case *s1ap.UEContextReleaseComplete:
		c := n.conns.get(uint32(m.MMEUES1APID))
		if c == nil || c.enb != e || c.enbID != m.ENBUES1APID {
			// The completion of a connection already freed (replaced by a
			// newer one, or released by the node itself): nothing to do.
			n.m.dropped.WithLabelValues("s1_release_complete_unknown").Inc()
			return
		}
		if c.owner() == 0 {
			n.dropConn(c)
			return
		}
		n.toKey(c, &session.UEContextReleaseComplete{Now: now, Conn: session.ConnID(c.mmeID)})
	case *s1ap.NASNonDeliveryIndication:
		if c := n.ueConn(e, m.MMEUES1APID, m.ENBUES1APID, pdu); c != nil {
			n.toKey(c, &session.NASNonDeliveryIndication{Now: now, Conn: session.ConnID(c.mmeID), Cause: m.Cause})
		}
	// issue #9, handover (node/handover.go)
	case *s1ap.PathSwitchRequest:
		n.pathSwitchRequest(e, m, now)
	case *s1ap.HandoverRequired:
		n.handoverRequired(e, m, pdu, now)
	case *s1ap.HandoverRequestAcknowledge:
		n.handoverRequestAcknowledge(e, m, pdu, now)
	case *s1ap.HandoverFailure:
		n.handoverFailure(e, m, pdu, now)
	case *s1ap.HandoverCancel:
		if c := n.ueConn(e, m.MMEUES1APID, m.ENBUES1APID, pdu); c != nil {
			n.toKey(c, &session.HandoverCancel{Now: now, Conn: session.ConnID(c.mmeID), Cause: m.Cause})
		}
	case *s1ap.ENBStatusTransfer:
		if c := n.ueConn(e, m.MMEUES1APID, m.ENBUES1APID, pdu); c != nil {
			n.toKey(c, &session.ENBStatusTransfer{Now: now, Conn: session.ConnID(c.mmeID), Container: ownStatus(m)})
		}
	case *s1ap.HandoverNotify:
		if c := n.ueConn(e, m.MMEUES1APID, m.ENBUES1APID, pdu); c != nil {
			n.toKey(c, &session.HandoverNotify{Now: now, Conn: session.ConnID(c.mmeID), Location: location(m.TAI, m.EUTRANCGI)})
		}
	case *s1ap.ERABSetupResponse, *s1ap.ERABModifyResponse, *s1ap.ERABReleaseResponse, *s1ap.ERABReleaseIndication:
		// E-RAB management (TS 36.413 §8.2; node/bearer.go).
		mme, enbID, _ := erabIDs(m)
		if c := n.ueConn(e, mme, enbID, pdu); c != nil {
			n.toKey(c, erabEvent(now, session.ConnID(c.mmeID), m))
		}
	case *s1ap.UEContextModificationResponse, *s1ap.UEContextModificationFailure:
		// TS 36.413 §8.3.4 (node/uectxmod.go).
		mme, enbID, _ := erabIDs(m)
		if c := n.ueConn(e, mme, enbID, pdu); c != nil {
			n.toKey(c, ueContextModificationEvent(now, session.ConnID(c.mmeID), m))
		}
	default:
		n.notOffered(e, pdu)
	}
}

// toKey delivers a UE-associated event to the connection's subscriber.
//
// A UE CONTEXT RELEASE REQUEST sheds load, so it waits for mailbox room as
// long as an answer does (postPatience, not uplinkPatience); should the
// mailbox stay full even so, the node answers it itself with UE CONTEXT
// RELEASE COMMAND (TS 36.413 §8.3.2: the eNodeB's request always gets its
// command) and leaves the connection to its subscriber, whose machine
// takes the UE CONTEXT RELEASE COMPLETE as a release it did not command
// (session/s1.go ueContextReleaseComplete).
func (n *Node) toKey(c *ueConn, ev session.Event) {
	if c.owner() == 0 {
		// A connection the node rejected itself (overload): only its
		// release completes it.
		n.m.dropped.WithLabelValues("s1_connection_without_subscriber").Inc()
		return
	}
	req, release := ev.(*session.UEContextReleaseRequest)
	patience := uplinkPatience
	if release {
		patience = postPatience
	}
	if n.postWithin(c.owner(), ev, session.EventName(ev), patience) || !release {
		return
	}
	n.m.dropped.WithLabelValues("s1_release_request_answered_by_node").Inc()
	n.sendConn(c, &s1ap.UEContextReleaseCommand{Cause: req.Cause, UES1APIDs: s1ap.UES1APIDs{Choice: s1ap.UES1APIDsChoiceUES1APIDPair,
		UES1APIDPair: s1ap.UES1APIDPair{MMEUES1APID: s1ap.MMEUES1APID(c.mmeID), ENBUES1APID: c.enbID}}})
}

func clone(b []byte) []byte { return append([]byte(nil), b...) }

func addrOf(t s1ap.TransportLayerAddress) netip.Addr {
	// TS 36.414 §5.3: 32 bits IPv4, 128 bits IPv6, 160 bits both (IPv4
	// first).
	switch {
	case t.Len >= 32 && len(t.Bytes) >= 4 && t.Len != 128:
		return netip.AddrFrom4([4]byte(t.Bytes[:4]))
	case t.Len == 128 && len(t.Bytes) == 16:
		return netip.AddrFrom16([16]byte(t.Bytes))
	}
	return netip.Addr{}
}

func location(tai s1ap.TAI, cgi s1ap.EUTRANCGI) session.Location {
	return session.Location{
		TAI:  nas.TAI{PLMN: nas.PLMNID(tai.PLMNidentity), TAC: uint16(tai.TAC[0])<<8 | uint16(tai.TAC[1])},
		ECGI: session.ECGI{PLMN: nas.PLMNID(cgi.PLMNidentity), CellID: uint32(cgi.CellID)},
	}
}

// ueConn finds the connection a UE-associated message names and checks
// that the eNodeB's side matches (TS 36.413 §10.6: an unknown or
// inconsistent pair is answered with ERROR INDICATION).
func (n *Node) ueConn(e *enb, mme s1ap.MMEUES1APID, enbID s1ap.ENBUES1APID, pdu *s1ap.PDU) *ueConn {
	c := n.conns.get(uint32(mme))
	cause := s1ap.CauseRadioNetwork(0)
	switch {
	case c == nil:
		cause = s1ap.CauseRadioNetworkUnknownMmeUeS1apId
	case c.enb != e || c.enbID != enbID:
		cause = s1ap.CauseRadioNetworkUnknownPairUeS1apId
	default:
		return c
	}
	n.m.dropped.WithLabelValues("s1_" + cause.String()).Inc()
	n.errorIndication(e, s1ap.Cause{Choice: s1ap.CauseChoiceRadioNetwork, RadioNetwork: cause}, nil,
		&ueIDs{mme: mme, enb: enbID, hasMME: true, hasENB: true})
	return nil
}

// initialUEMessage opens a connection and routes it to the subscriber the
// NAS identity names (docs/design/node.md "Routing").
func (n *Node) initialUEMessage(e *enb, m *s1ap.InitialUEMessage, now time.Time) {
	key, kind, err := n.route(m)
	c := &ueConn{enbID: m.ENBUES1APID, enb: e}
	n.conns.add(c)
	_, out := e.assoc.Streams()
	c.stream = transport.StreamForUE(uint64(c.mmeID), out)
	e.mu.Lock()
	e.conns[c.mmeID] = c
	e.mu.Unlock()
	if err != nil {
		n.log.Error("s1: no subscriber key", "err", err)
		n.rejectInitial(c, kind, nas.EMMCauseNetworkFailure)
		return
	}
	c.setOwner(key)
	if n.actors.Pending() >= n.admitLimit {
		// Admission control: the mailboxes are half full; new work is
		// refused so that answers to work in progress still find room
		// (see post).
		c.setOwner(0)
		n.m.overloadRejects.Inc()
		n.overload.hit()
		n.rejectInitial(c, kind, nas.EMMCauseCongestion)
		return
	}
	ev := &session.InitialUEMessage{Now: now, Conn: session.ConnID(c.mmeID), NAS: clone(m.NASPDU),
		Location: location(m.TAI, m.EUTRANCGI), RRCEstablishmentCause: m.RRCEstablishmentCause}
	if s, ok := m.STMSI.Get(); ok && s.MMEC[0] == n.scfg.Load().MMECode {
		ev.MTMSI, ev.HasSTMSI = binary.BigEndian.Uint32(s.MTMSI[:]), true
	}
	if err := n.actors.Send(key, ev); err != nil {
		// A full mailbox: the node answers the UE itself with congestion
		// and a back-off timer (TS 24.301 §5.5.1.2.5, §5.5.3.2.5, §5.6.1.5)
		// and tells the eNodeBs (OVERLOAD START, TS 36.413 §8.7.6).
		c.setOwner(0)
		n.m.overloadRejects.Inc()
		if errors.Is(err, supervision.ErrOverload) {
			n.overload.hit()
		}
		n.rejectInitial(c, kind, nas.EMMCauseCongestion)
	}
}

// route finds the subscriber key of an INITIAL UE MESSAGE: the IMSI, or the
// M-TMSI of a GUTI or S-TMSI of this MME, from the NAS message; a new key
// when the identity is unknown here.
func (n *Node) route(m *s1ap.InitialUEMessage) (supervision.Key, nas.MessageType, error) {
	cfg := n.scfg.Load()
	ours := func(g nas.GUTI) bool {
		return g.PLMN == cfg.PLMN && g.MMEGroupID == cfg.MMEGroupID && g.MMECode == cfg.MMECode
	}
	byGUTI := func(g nas.GUTI) (supervision.Key, bool) {
		if !ours(g) {
			return 0, false
		}
		return n.keyForMTMSI(g.MTMSI)
	}
	var kind nas.MessageType
	msg := peekNAS(m.NASPDU)
	if msg != nil {
		kind = msg.MessageType()
	}
	switch x := msg.(type) {
	case *nas.AttachRequest:
		return n.keyForIdentity(x.EPSMobileIdentity, byGUTI, kind)
	case *nas.DetachRequestUEOriginating:
		return n.keyForIdentity(x.EPSMobileIdentity, byGUTI, kind)
	case *nas.TrackingAreaUpdateRequest:
		if k, ok := byGUTI(x.OldGUTI); ok {
			return k, kind, nil
		}
	}
	if s, ok := m.STMSI.Get(); ok && s.MMEC[0] == cfg.MMECode {
		mt := uint32(s.MTMSI[0])<<24 | uint32(s.MTMSI[1])<<16 | uint32(s.MTMSI[2])<<8 | uint32(s.MTMSI[3])
		if k, ok := n.keyForMTMSI(mt); ok {
			return k, kind, nil
		}
	}
	k, err := n.newKey()
	return k, kind, err
}

func (n *Node) keyForIdentity(id nas.EPSMobileIdentity, byGUTI func(nas.GUTI) (supervision.Key, bool), kind nas.MessageType) (supervision.Key, nas.MessageType, error) {
	switch id.Type {
	case nas.EPSIdentityIMSI:
		k, err := n.keyForIMSI(id.Digits)
		return k, kind, err
	case nas.EPSIdentityGUTI:
		if k, ok := byGUTI(id.GUTI); ok {
			return k, kind, nil
		}
	}
	k, err := n.newKey()
	return k, kind, err
}

// peekNAS decodes the plain part of an initial NAS message for its
// identity and type: plain, or integrity protected only (header type 1,
// and type 2 with EEA0 reads the same), or the short SERVICE REQUEST
// (header type 12, TS 24.301 §9.3.1), which admission control must know
// to answer with SERVICE REJECT. Nil when it cannot be read (ciphered,
// malformed); the session decides what to answer.
func peekNAS(pdu []byte) nas.Message {
	_, sht, err := nas.PeekHeader(pdu)
	if err != nil {
		return nil
	}
	plain := pdu
	switch sht {
	case nas.ServiceRequestHeader:
	case nas.Plain:
	case nas.IntegrityProtected, nas.IntegrityProtectedCiphered:
		p, err := nas.ParseSecurityProtected(pdu)
		if err != nil {
			return nil
		}
		plain = p.Message
	default:
		return nil
	}
	msg, err := nas.Decoder{Direction: nas.Uplink, NoCopy: true}.Decode(plain)
	if err != nil {
		return nil
	}
	return msg
}

// rejectInitial answers an initial NAS message the node cannot hand to a
// subscriber: the procedure's reject with cause (and T3346 for #22), then
// UE CONTEXT RELEASE COMMAND.
func (n *Node) rejectInitial(c *ueConn, kind nas.MessageType, cause nas.EMMCause) {
	t := nas.GPRSTimer2{Unit: nas.TimerUnitMinute, Value: uint8(min(31, n.scfg.Load().T3346/time.Minute))}
	var rej nas.Message
	switch kind {
	case nas.TypeAttachRequest:
		r := &nas.AttachReject{EMMCause: cause}
		if cause == nas.EMMCauseCongestion {
			r.T3346Value = &t
		}
		rej = r
	case nas.TypeTrackingAreaUpdateRequest:
		r := &nas.TrackingAreaUpdateReject{EMMCause: cause}
		if cause == nas.EMMCauseCongestion {
			r.T3346Value = &t
		}
		rej = r
	case nas.TypeServiceRequest, nas.TypeExtendedServiceRequest:
		r := &nas.ServiceReject{EMMCause: cause}
		if cause == nas.EMMCauseCongestion {
			r.T3346Value = &t
		}
		rej = r
	}
	if rej != nil {
		if b, err := nas.Encode(rej); err == nil {
			n.sendConn(c, &s1ap.DownlinkNASTransport{MMEUES1APID: s1ap.MMEUES1APID(c.mmeID), ENBUES1APID: c.enbID, NASPDU: b})
		}
	}
	cs := s1ap.Cause{Choice: s1ap.CauseChoiceMisc, Misc: s1ap.CauseMiscControlProcessingOverload}
	if cause != nas.EMMCauseCongestion {
		cs = s1ap.Cause{Choice: s1ap.CauseChoiceNas, Nas: s1ap.CauseNasUnspecified}
	}
	n.releaseConn(c, cs)
}

// releaseConn sends UE CONTEXT RELEASE COMMAND for a connection the node
// handles itself; the completion frees it.
func (n *Node) releaseConn(c *ueConn, cause s1ap.Cause) {
	n.sendConn(c, &s1ap.UEContextReleaseCommand{Cause: cause, UES1APIDs: s1ap.UES1APIDs{Choice: s1ap.UES1APIDsChoiceUES1APIDPair,
		UES1APIDPair: s1ap.UES1APIDPair{MMEUES1APID: s1ap.MMEUES1APID(c.mmeID), ENBUES1APID: c.enbID}}})
	c.setOwner(0)
}

// sendConn encodes and sends a UE-associated message now (node-originated,
// no subscriber record involved).
func (n *Node) sendConn(c *ueConn, m s1ap.Message) {
	data, err := s1ap.AppendEncode(nil, m)
	if err != nil {
		n.log.Error("s1: encode", "message", m.MessageName(), "err", err)
		return
	}
	n.sendUE(s1Out{conn: c, data: data, name: m.MessageName()})
}

// sendNonUE sends a non-UE-associated message on stream 0 (TS 36.412 §7).
func (n *Node) sendNonUE(e *enb, m s1ap.Message) {
	data, err := s1ap.AppendEncode(nil, m)
	if err != nil {
		n.log.Error("s1: encode", "message", m.MessageName(), "err", err)
		return
	}
	if err := e.assoc.Send(0, transport.S1APPPID, data); err != nil {
		n.m.dropped.WithLabelValues(sendErrReason(err)).Inc()
		n.log.Warn("s1: not sent", "message", m.MessageName(), "err", err)
		return
	}
	n.m.s1ap.WithLabelValues("out", m.MessageName()).Inc()
}

// notOffered answers a valid procedure this MME does not run yet (the
// mobility and bearer procedures of issue #9) with ERROR INDICATION
// (message not compatible with the receiver state), counted by type.
func (n *Node) notOffered(e *enb, pdu *s1ap.PDU) {
	n.m.dropped.WithLabelValues("s1_procedure_not_offered").Inc()
	n.log.Info("s1: procedure not offered", "message", pdu.Message.MessageName(), "enb", enbName(e))
	n.errorIndication(e, protocolCause(s1ap.CauseProtocolMessageNotCompatibleWithReceiverState),
		ptr(procedureDiagnostics(pdu)), ueIDsOf(pdu.Message))
}
