package node

import (
	"errors"
	"net/netip"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/s1ap/transport"
	"github.com/lte-mme/mme/s6a"
	"github.com/lte-mme/mme/session"
	"github.com/lte-mme/mme/supervision"
)

// encodeS1 resolves the connection of a SendS1 effect, fills the UE
// S1AP IDs of the message (TS 36.413 §9.2.3.3-4) and encodes it. It runs
// on the worker, so the PDU is ready when the record is durable.
func (n *Node) encodeS1(e session.SendS1) (s1Out, bool) {
	c := n.conns.get(uint32(e.Conn))
	if c == nil {
		n.m.dropped.WithLabelValues("s1_no_connection").Inc()
		return s1Out{}, false
	}
	mme, enb := s1ap.MMEUES1APID(c.mmeID), c.enbID
	switch m := e.Msg.(type) {
	case *s1ap.DownlinkNASTransport:
		m.MMEUES1APID, m.ENBUES1APID = mme, enb
	case *s1ap.InitialContextSetupRequest:
		m.MMEUES1APID, m.ENBUES1APID = mme, enb
	// E-RAB management and UE context modification (node/bearer.go,
	// node/uectxmod.go).
	case *s1ap.ERABSetupRequest:
		m.MMEUES1APID, m.ENBUES1APID = mme, enb
	case *s1ap.ERABModifyRequest:
		m.MMEUES1APID, m.ENBUES1APID = mme, enb
	case *s1ap.ERABReleaseCommand:
		m.MMEUES1APID, m.ENBUES1APID = mme, enb
	case *s1ap.UEContextModificationRequest:
		m.MMEUES1APID, m.ENBUES1APID = mme, enb
	case *s1ap.UEContextReleaseCommand:
		m.UES1APIDs = s1ap.UES1APIDs{Choice: s1ap.UES1APIDsChoiceUES1APIDPair,
			UES1APIDPair: s1ap.UES1APIDPair{MMEUES1APID: mme, ENBUES1APID: enb}}
		if c.hoPending {
			// A handover target without its eNB-UE-S1AP-ID (TS 36.413 §9.1.4.6).
			m.UES1APIDs = s1ap.UES1APIDs{Choice: s1ap.UES1APIDsChoiceMMEUES1APID, MMEUES1APID: mme}
		}
	// Handover (node/handover.go).
	case *s1ap.HandoverRequest:
		m.MMEUES1APID = mme
	case *s1ap.HandoverCommand:
		m.MMEUES1APID, m.ENBUES1APID = mme, enb
	case *s1ap.HandoverPreparationFailure:
		m.MMEUES1APID, m.ENBUES1APID = mme, enb
	case *s1ap.HandoverCancelAcknowledge:
		m.MMEUES1APID, m.ENBUES1APID = mme, enb
	case *s1ap.MMEStatusTransfer:
		m.MMEUES1APID, m.ENBUES1APID = mme, enb
	case *s1ap.PathSwitchRequestAcknowledge:
		m.MMEUES1APID, m.ENBUES1APID = mme, enb
	case *s1ap.PathSwitchRequestFailure:
		// The MME-UE-S1AP-ID is the source's, as the request named it.
		if m.MMEUES1APID == 0 {
			m.MMEUES1APID = mme
		}
		m.ENBUES1APID = enb
	default:
		n.log.Error("node: S1AP message the session may not send", "message", e.Msg.MessageName())
		return s1Out{}, false
	}
	data, err := s1ap.AppendEncode(nil, e.Msg)
	if err != nil {
		n.m.dropped.WithLabelValues("s1_encode").Inc()
		n.log.Error("node: encode S1AP", "message", e.Msg.MessageName(), "err", err)
		return s1Out{}, false
	}
	return s1Out{conn: c, data: data, name: e.Msg.MessageName()}, true
}

// execute runs a batch's effects, in order, after its record is durable.
func (n *Node) execute(b *batch) {
	if b.stored {
		n.pending.stored(b.key)
	}
	if b.failed {
		return
	}
	for i, e := range b.effects {
		switch e := e.(type) {
		case session.SendS1:
			if out, ok := b.s1[i]; ok {
				n.sendUE(out)
			}
		case session.FreeConn:
			n.freeConn(uint32(e.Conn), b.key)
		case session.SendS11:
			n.sendS11(b.key, e)
		case session.SendS6a:
			n.sendS6a(b.key, e)
		case session.StartTimer:
			n.timers.Start(b.key, uint8(e.ID), e.After)
		case session.StopTimer:
			n.timers.Stop(b.key, uint8(e.ID))
		case session.ReleaseTEID:
			n.s11.ReleaseTEID(e.TEID)
		case session.ResolveIMSI:
			n.resolveIMSI(b.key, e.IMSI)
		case session.Transfer:
			n.transfer(b.key, e)
		case session.AnswerDDN:
			n.answerDDN(e)
		case session.NotifyS11:
			n.notifyS11(e)
		case session.Page:
			n.page(e)
		case session.RespondS11:
			n.respondS11(b.key, e) // node/bearer.go
		}
	}
	if b.evict {
		_ = n.actors.Send(b.key, evictCheck{gen: b.evictGen})
	}
}

// sendUE sends a UE-associated S1AP PDU on its connection's stream.
func (n *Node) sendUE(out s1Out) {
	c := out.conn
	if err := c.enb.assoc.Send(c.stream, transport.S1APPPID, out.data); err != nil {
		n.m.dropped.WithLabelValues(sendErrReason(err)).Inc()
		n.log.Warn("node: S1AP not sent", "message", out.name, "mme_ue_s1ap_id", c.mmeID, "err", err)
		return
	}
	n.m.s1ap.WithLabelValues("out", out.name).Inc()
}

func sendErrReason(err error) string {
	switch {
	case errors.Is(err, transport.ErrSendQueueFull):
		return "s1_send_queue_full"
	case errors.Is(err, transport.ErrAssociationDown):
		return "s1_association_down"
	}
	return "s1_send_error"
}

// freeConn forgets a released connection (its subscriber said so).
func (n *Node) freeConn(id uint32, key supervision.Key) {
	c := n.conns.get(id)
	if c == nil || (c.owner() != key && c.owner() != 0) {
		return
	}
	n.dropConn(c)
}

// dropConn removes c from the tables.
func (n *Node) dropConn(c *ueConn) {
	if n.conns.remove(c.mmeID, c) == nil {
		return
	}
	c.enb.mu.Lock()
	delete(c.enb.conns, c.mmeID)
	c.enb.mu.Unlock()
}

// postPatience bounds how long post waits for room in a full mailbox.
const postPatience = 2 * time.Second

// post delivers an event to key's actor from a peer's goroutine (S1
// stream, S11 or S6a reader). A full mailbox makes it wait, up to
// postPatience: back-pressure to that peer (SCTP flow control, socket
// buffers) rather than losing an answer the subscriber awaits; new work is
// shed earlier, at admission (initialUEMessage). A refusal after that, or
// from stopped actors, is counted and logged, never silent.
func (n *Node) post(key supervision.Key, ev any, what string) bool {
	return n.postWithin(key, ev, what, postPatience)
}

// uplinkPatience is how long an S1 stream's reader waits for mailbox room
// for a UE's uplink message: short, because the wait stalls every UE of
// that association (SCTP delivers a stream in order); past it the message
// is dropped and counted, and the UE's or the MME's NAS timers recover.
const uplinkPatience = 20 * time.Millisecond

// postWithin is post with its own patience.
func (n *Node) postWithin(key supervision.Key, ev any, what string, patience time.Duration) bool {
	var deadline time.Time
	for {
		err := n.actors.Send(key, ev)
		if err == nil {
			return true
		}
		if !errors.Is(err, supervision.ErrOverload) {
			return n.dropped(key, what, "actors_stopped", err)
		}
		n.overload.hit()
		now := time.Now()
		if deadline.IsZero() {
			deadline = now.Add(patience)
			n.m.dropped.WithLabelValues("mailbox_full_waited").Inc()
		}
		if now.After(deadline) {
			return n.dropped(key, what, "mailbox_full", err)
		}
		time.Sleep(time.Millisecond)
	}
}

// postNow delivers an event without waiting (from a worker or the store's
// writer, which must not block on a mailbox).
func (n *Node) postNow(key supervision.Key, ev any, what string) bool {
	err := n.actors.Send(key, ev)
	if err == nil {
		return true
	}
	reason := "actors_stopped"
	if errors.Is(err, supervision.ErrOverload) {
		reason = "mailbox_full"
		n.overload.hit()
	}
	return n.dropped(key, what, reason, err)
}

func (n *Node) dropped(key supervision.Key, what, reason string, err error) bool {
	n.m.dropped.WithLabelValues(reason).Inc()
	n.log.Warn("node: event not delivered", "event", what, "key", uint64(key), "err", err)
	return false
}

// sendS11 sends an S11 request; the answer (or the failure) comes back to
// the subscriber's actor as S11Response.
func (n *Node) sendS11(key supervision.Key, e session.SendS11) {
	name := e.Msg.MessageType().String()
	done := func(resp gtp.Message, err error) {
		if err == nil && resp != nil {
			n.m.s11.WithLabelValues("in", resp.MessageType().String()).Inc()
			if cerr := gtp.CheckS11(resp); cerr != nil {
				// TS 29.274 §7.7: a conditional S11 IE is missing.
				resp, err = nil, cerr
			}
		}
		n.post(key, &session.S11Response{Now: time.Now(), Txn: e.Txn, Msg: resp, Err: err}, "S11 answer")
	}
	if err := n.s11.Request(e.Peer, e.TEID, e.Msg, done); err != nil {
		n.m.dropped.WithLabelValues("s11_not_sent").Inc()
		n.postNow(key, &session.S11Response{Now: time.Now(), Txn: e.Txn, Err: err}, "S11 error")
		return
	}
	n.m.s11.WithLabelValues("out", name).Inc()
}

// sendS6a sends an S6a request with the client's header; the answer comes
// back to the actor typed (AuthInfoAnswer, UpdateLocationAnswer, PurgeUEAnswer).
func (n *Node) sendS6a(key supervision.Key, e session.SendS6a) {
	var msg *diam.Message
	var decode func(*diam.Message, error) session.Event
	var name string
	switch r := e.Msg.(type) {
	case *s6a.AIR:
		r.RequestHeader = n.s6a.Header()
		msg, name = r.Encode(), "AIR"
		decode = func(ans *diam.Message, err error) session.Event {
			ev := &session.AuthInfoAnswer{Now: time.Now(), Txn: e.Txn, Err: err}
			if err == nil {
				ev.AIA, ev.Err = s6a.DecodeAIA(ans)
			}
			return ev
		}
	case *s6a.ULR:
		r.RequestHeader = n.s6a.Header()
		msg, name = r.Encode(), "ULR"
		decode = func(ans *diam.Message, err error) session.Event {
			ev := &session.UpdateLocationAnswer{Now: time.Now(), Txn: e.Txn, Err: err}
			if err == nil {
				ev.ULA, ev.Err = s6a.DecodeULA(ans)
			}
			return ev
		}
	case *s6a.PUR:
		r.RequestHeader = n.s6a.Header()
		msg, name = r.Encode(), "PUR"
		decode = func(ans *diam.Message, err error) session.Event {
			ev := &session.PurgeUEAnswer{Now: time.Now(), Txn: e.Txn, Err: err}
			if err == nil {
				ev.PUA, ev.Err = s6a.DecodePUA(ans)
			}
			return ev
		}
	default:
		n.log.Error("node: S6a request the session may not send")
		return
	}
	n.m.s6a.WithLabelValues("out", name).Inc()
	n.s6a.Send(msg, func(ans *diam.Message, err error) {
		if err == nil {
			n.m.s6a.WithLabelValues("in", name[:2]+"A").Inc()
		}
		n.post(key, decode(ans, err), "S6a answer")
	})
}

// resolveIMSI answers a ResolveIMSI effect (docs/design/node.md "Unknown
// GUTI").
func (n *Node) resolveIMSI(key supervision.Key, imsi string) {
	ev := &session.IMSIResolved{Now: time.Now(), IMSI: imsi}
	if k, ok := n.pending.get(imsi); ok && k != key {
		ev.Key, ev.Found = uint64(k), true
	} else if k, err := n.records.Lookup(idxIMSI, []byte(imsi)); err == nil && supervision.Key(k) != key {
		ev.Key, ev.Found = k, true
	} else if !ok {
		// This key takes the IMSI: later INITIAL UE MESSAGEs with it come here.
		n.pending.put(imsi, key)
	}
	n.postNow(key, ev, "IMSI resolution")
}

// transfer re-routes the connection to the key that owns the IMSI and hands
// it the attach.
func (n *Node) transfer(from supervision.Key, e session.Transfer) {
	to := supervision.Key(e.To)
	n.conns.setKey(uint32(e.Event.Conn), to)
	n.m.transfers.Inc()
	n.postNow(to, e.Event, "attach transfer")
}

// deleteSessionUnowned deletes a PDN connection at the SGW for a
// subscriber whose machine cannot run (quarantine); the answer is only
// counted.
func (n *Node) deleteSessionUnowned(sgw netip.AddrPort, teid uint32, lbi uint8) {
	if !sgw.IsValid() {
		return
	}
	_ = n.s11.Request(sgw, teid, &gtp.DeleteSessionRequest{LinkedEBI: lbi}, func(gtp.Message, error) {})
}
