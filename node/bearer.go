package node

import (
	"sync"
	"time"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/gtp/s11"
	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/session"
	"github.com/lte-mme/mme/supervision"
)

// Bearer procedures (issue #9, bearers; docs/design/node.md "Bearers and
// PDNs"): the SGW's Create/Update/Delete Bearer Requests go to the
// subscriber's actor as session.S11Request with a handle; the session
// answers with a RespondS11 effect once the eNodeB and the UE answered.
// The node keeps the s11.Incoming of each request until then.

// s11Pending holds the SGW requests a subscriber has not answered yet.
type s11Pending struct {
	mu   sync.Mutex
	next uint64
	reqs map[uint64]pendingS11
}

type pendingS11 struct {
	in  *s11.Incoming
	key supervision.Key
	at  time.Time
}

// s11PendingTTL bounds how long a request waits for its answer: past it
// the SGW has given up retransmitting (TS 29.274 §7.6: T3 × N3, seconds)
// and the entry is dropped.
const s11PendingTTL = 2 * time.Minute

func (p *s11Pending) put(in *s11.Incoming, key supervision.Key, now time.Time) uint64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.reqs == nil {
		p.reqs = make(map[uint64]pendingS11)
	}
	if len(p.reqs) > 0 && len(p.reqs)%1024 == 0 {
		for id, r := range p.reqs {
			if now.Sub(r.at) > s11PendingTTL {
				delete(p.reqs, id)
			}
		}
	}
	p.next++
	p.reqs[p.next] = pendingS11{in: in, key: key, at: now}
	return p.next
}

func (p *s11Pending) take(id uint64, key supervision.Key) (*s11.Incoming, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	r, ok := p.reqs[id]
	if !ok || r.key != key {
		return nil, false
	}
	delete(p.reqs, id)
	return r.in, true
}

// bearerRequest routes a Create/Update/Delete Bearer Request to the
// subscriber of its TEID (TS 29.274 §7.2.3, §7.2.15, §7.2.9.2); it
// reports false for other messages.
func (n *Node) bearerRequest(in *s11.Incoming) bool {
	switch in.Msg.(type) {
	case *gtp.CreateBearerRequest, *gtp.UpdateBearerRequest, *gtp.DeleteBearerRequest:
	default:
		return false
	}
	name := in.Msg.MessageType().String()
	n.m.s11.WithLabelValues("in", name).Inc()
	if err := gtp.CheckS11(in.Msg); err != nil {
		// TS 29.274 §7.7: a conditional IE missing or incorrect.
		if resp, ok := gtp.ErrorResponse(in.Header.Type, causeOf(err)); ok {
			_ = in.Respond(0, resp)
		}
		return true
	}
	key := supervision.Key(in.Session)
	now := time.Now()
	id := n.s11reqs.put(in, key, now)
	if !n.post(key, &session.S11Request{Now: now, ID: id, Msg: in.Msg}, name) {
		if in2, ok := n.s11reqs.take(id, key); ok {
			if resp, ok := gtp.ErrorResponse(in2.Header.Type, gtp.Cause{Value: gtp.CauseNoResourcesAvailable}); ok {
				_ = in2.Respond(0, resp)
			}
		}
	}
	return true
}

// causeOf is the GTP cause a decoding problem is answered with.
func causeOf(err error) gtp.Cause {
	if de, ok := err.(*gtp.DecodeError); ok {
		return de.CauseIE()
	}
	return gtp.Cause{Value: gtp.CauseMandatoryIEIncorrect}
}

// respondS11 executes a RespondS11 effect.
func (n *Node) respondS11(key supervision.Key, e session.RespondS11) {
	in, ok := n.s11reqs.take(e.ID, key)
	if !ok {
		// The request is gone (node restart, TTL): the SGW retransmits it.
		n.m.dropped.WithLabelValues("s11_answer_without_request").Inc()
		return
	}
	if err := in.Respond(e.TEID, e.Msg); err != nil {
		n.log.Warn("s11: answer not sent", "message", e.Msg.MessageType().String(), "err", err)
		return
	}
	n.m.s11.WithLabelValues("out", e.Msg.MessageType().String()).Inc()
}

// erabEvent turns an S1AP E-RAB management message (TS 36.413 §8.2) into
// the subscriber's event; nil for other messages.
func erabEvent(now time.Time, conn session.ConnID, msg s1ap.Message) session.Event {
	failed := func(l s1ap.ERABList) []session.ERABFailed {
		var out []session.ERABFailed
		for _, it := range l {
			out = append(out, session.ERABFailed{EBI: uint8(it.ERABID), Cause: it.Cause})
		}
		return out
	}
	switch m := msg.(type) {
	case *s1ap.ERABSetupResponse:
		ev := &session.ERABSetupResponse{Now: now, Conn: conn}
		if l, ok := m.ERABSetupListBearerSURes.Get(); ok {
			for _, it := range l {
				ev.Setup = append(ev.Setup, session.ERABSetup{EBI: uint8(it.ERABID), Addr: addrOf(it.TransportLayerAddress),
					TEID: teidOf(it.GTPTEID)})
			}
		}
		if l, ok := m.ERABFailedToSetupListBearerSURes.Get(); ok {
			ev.Failed = failed(l)
		}
		return ev
	case *s1ap.ERABModifyResponse:
		ev := &session.ERABModifyResponse{Now: now, Conn: conn}
		if l, ok := m.ERABModifyListBearerModRes.Get(); ok {
			for _, it := range l {
				ev.Modified = append(ev.Modified, uint8(it.ERABID))
			}
		}
		if l, ok := m.ERABFailedToModifyList.Get(); ok {
			ev.Failed = failed(l)
		}
		return ev
	case *s1ap.ERABReleaseResponse:
		ev := &session.ERABReleaseResponse{Now: now, Conn: conn}
		if l, ok := m.ERABReleaseListBearerRelComp.Get(); ok {
			for _, it := range l {
				ev.Released = append(ev.Released, uint8(it.ERABID))
			}
		}
		if l, ok := m.ERABFailedToReleaseList.Get(); ok {
			ev.Failed = failed(l)
		}
		return ev
	case *s1ap.ERABReleaseIndication:
		return &session.ERABReleaseIndication{Now: now, Conn: conn, Released: failed(m.ERABReleasedList)}
	}
	return nil
}

// erabIDs returns the UE S1AP IDs of an E-RAB management or UE context
// modification answer.
func erabIDs(msg s1ap.Message) (s1ap.MMEUES1APID, s1ap.ENBUES1APID, bool) {
	switch m := msg.(type) {
	case *s1ap.ERABSetupResponse:
		return m.MMEUES1APID, m.ENBUES1APID, true
	case *s1ap.ERABModifyResponse:
		return m.MMEUES1APID, m.ENBUES1APID, true
	case *s1ap.ERABReleaseResponse:
		return m.MMEUES1APID, m.ENBUES1APID, true
	case *s1ap.ERABReleaseIndication:
		return m.MMEUES1APID, m.ENBUES1APID, true
	case *s1ap.UEContextModificationResponse:
		return m.MMEUES1APID, m.ENBUES1APID, true
	case *s1ap.UEContextModificationFailure:
		return m.MMEUES1APID, m.ENBUES1APID, true
	}
	return 0, 0, false
}
