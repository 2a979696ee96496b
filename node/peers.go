package node

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/gtp/s11"
	"github.com/lte-mme/mme/s6a"
	"github.com/lte-mme/mme/s6a/peer"
	"github.com/lte-mme/mme/session"
	"github.com/lte-mme/mme/store"
	"github.com/lte-mme/mme/supervision"
)

// ---- S11 (TS 29.274) ----

// metaRestartCounter keeps the node's GTP restart counter in the store's
// metadata (TS 23.007 §18: non-volatile, incremented at every restart).
type metaRestartCounter struct{ st *store.Store }

const metaRestartCounterName = "node.gtp_restart_counter"

func (m metaRestartCounter) Load() (uint8, bool, error) {
	v, err := m.st.GetMeta(metaRestartCounterName)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return 0, false, nil
	case err != nil:
		return 0, false, err
	case len(v) != 1:
		return 0, false, fmt.Errorf("node: corrupt %s", metaRestartCounterName)
	}
	return v[0], true, nil
}

func (m metaRestartCounter) Store(v uint8) error {
	return m.st.PutMeta(metaRestartCounterName, []byte{v})
}

// openS11 binds the S11 endpoint with the next restart counter, and
// watches the SGW's path (Echo, TS 29.274 §7.1.1) from the start so that
// /readyz reflects it.
func (n *Node) openS11() error {
	var rcs s11.RestartCounterStore = metaRestartCounter{n.store}
	if n.cfg.S11.RestartCounterFile != "" {
		rcs = s11.FileStore(n.cfg.S11.RestartCounterFile)
	}
	rc, err := s11.NextRestartCounter(rcs)
	if err != nil {
		return fmt.Errorf("node: s11: restart counter: %w", err)
	}
	ep, err := s11.Listen(n.res.s11Local.String(), s11.Config{
		RestartCounter: rc, T3: n.cfg.S11.T3, N3: n.cfg.S11.N3, EchoInterval: n.cfg.S11.EchoInterval,
		Handler: n.s11Incoming, OnPeerEvent: n.s11PeerEvent, Logger: n.log.With("subsystem", "s11"), Tap: n.opt.S11Tap,
	})
	if err != nil {
		return fmt.Errorf("node: s11.local: %w", err)
	}
	n.s11 = ep
	if err := ep.Watch(n.res.sgw); err != nil {
		return fmt.Errorf("node: s11.sgw: %w", err)
	}
	return nil
}

// runS11 owns the S11 endpoint's life: it is closed when the node stops
// (after the sessions, which may still send Delete Session).
func (n *Node) runS11(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// s11Incoming receives the SGW's requests. Create/Update/Delete Bearer
// Request go to the subscriber (node/bearer.go); a Downlink Data
// Notification goes to its subscriber (paging.go, TS 23.401 §5.3.4.3); the
// others are answered "Service not supported" (TS 29.274 §7.7.1) and counted.
func (n *Node) s11Incoming(in *s11.Incoming) {
	if n.bearerRequest(in) { // node/bearer.go
		return
	}
	name := in.Msg.MessageType().String()
	n.m.s11.WithLabelValues("in", name).Inc()
	if m, ok := in.Msg.(*gtp.DownlinkDataNotification); ok {
		n.downlinkDataNotification(in, m)
		return
	}
	n.m.dropped.WithLabelValues("s11_request_not_offered").Inc()
	n.log.Info("s11: request not offered yet", "message", name, "peer", in.Peer)
	resp, ok := gtp.ErrorResponse(in.Header.Type, gtp.Cause{Value: gtp.CauseServiceNotSupported})
	if !ok {
		return // a notification or command without a response message
	}
	var teid uint32
	if d, ok := in.Msg.(*gtp.DownlinkDataNotification); ok {
		teid = d.SenderFTEID.TEID
	}
	if err := in.Respond(teid, resp); err != nil {
		n.log.Debug("s11: no answer", "err", err)
	}
}

// s11PeerEvent handles an SGW restart or S11 path failure (TS 23.007
// §16.1.1, §20): every subscriber with a session through that SGW is told
// (SGWLost) and cleans up; readiness drops on a path failure.
func (n *Node) s11PeerEvent(ev s11.PeerEvent) {
	n.m.sgwLost.Inc()
	restarted := ev.Kind == s11.PeerRestarted
	if !restarted && ev.Peer == n.scfg.Load().SGW {
		n.sgwFailed.Store(true)
	}
	n.log.Warn("s11: SGW lost", "peer", ev.Peer, "event", ev.Kind.String())
	seen := make(map[s11.SessionKey]bool)
	now := time.Now()
	n.s11.Sessions(ev.Peer, func(_ uint32, key s11.SessionKey) {
		if seen[key] {
			return
		}
		seen[key] = true
		n.postNow(supervision.Key(key), &session.SGWLost{Now: now, SGW: ev.Peer, Restarted: restarted}, "SGW lost")
	})
}

// S11TEID implements session.Allocator: a local S11 TEID bound to the
// subscriber key (TS 29.274 §5.5.2).
func (n *Node) S11TEID(key uint64, sgw netip.AddrPort) (uint32, error) {
	return n.s11.AllocTEID(s11.SessionKey(key), sgw)
}

// ---- S6a (TS 29.272) ----

// openS6a creates the Diameter client; it starts connecting to the HSS
// peers at once (capabilities exchange, watchdog, failover: s6a/peer).
func (n *Node) openS6a() error {
	c, err := peer.NewClient(peer.ClientConfig{
		Identity:         peer.Identity{OriginHost: n.cfg.S6a.OriginHost, OriginRealm: n.cfg.S6a.OriginRealm, OriginStateID: uint32(time.Now().Unix())},
		DestinationRealm: n.cfg.S6a.DestinationRealm,
		Peers:            n.cfg.S6a.Peers,
		Timers:           peer.Timers{Watchdog: n.cfg.S6a.Watchdog, RequestTimeout: n.cfg.S6a.RequestTimeout},
		Handler:          n.s6aIncoming,
		Logger:           n.log.With("subsystem", "s6a"),
	})
	if err != nil {
		return fmt.Errorf("node: s6a: %w", err)
	}
	n.s6a = c
	return nil
}

// runS6a owns the S6a client: closed (DPR, RFC 6733 §5.4) when the node stops.
func (n *Node) runS6a(ctx context.Context) error {
	<-ctx.Done()
	return nil
}

// s6aIncoming serves the HSS-initiated requests. Cancel-Location (TS 29.272
// §5.2.1.2.2) is answered DIAMETER_SUCCESS at once — also for an unknown
// IMSI, as the clause asks — and becomes a CancelLocation event of the
// subscriber (network-initiated detach, TS 23.401 §5.3.8.4).
// Insert-Subscriber-Data goes to the subscriber (node/uectxmod.go);
// Delete-Subscriber-Data is not offered yet: DIAMETER_UNABLE_TO_COMPLY.
func (n *Node) s6aIncoming(req *peer.Request, answer func(*diam.Message)) {
	m := req.Message
	switch m.Header.CommandCode {
	case s6a.CmdCancelLocation:
		n.m.s6a.WithLabelValues("in", "CLR").Inc()
		n.m.cancelLocation.Inc()
		clr, err := s6a.DecodeCLR(m)
		if err != nil {
			n.log.Warn("s6a: malformed CLR", "err", err)
			answer((&s6a.ErrorAnswer{OriginHost: n.cfg.S6a.OriginHost, OriginRealm: n.cfg.S6a.OriginRealm,
				Result: s6a.BaseResult(s6a.ResultMissingAVP), ErrorMessage: err.Error()}).Encode(m.Header))
			return
		}
		answer((&s6a.CLA{AnswerHeader: s6a.AnswerHeader{SessionID: clr.SessionID, OriginHost: n.cfg.S6a.OriginHost,
			OriginRealm: n.cfg.S6a.OriginRealm, Result: s6a.Success}}).Encode())
		n.m.s6a.WithLabelValues("out", "CLA").Inc()
		key, err := n.records.Lookup(idxIMSI, []byte(clr.IMSI))
		if err != nil {
			if k, ok := n.pending.get(clr.IMSI); ok {
				key, err = uint64(k), nil
			}
		}
		if err != nil {
			n.log.Info("s6a: CLR for an IMSI without context", "imsi", n.redactIMSI(clr.IMSI))
			return
		}
		n.post(supervision.Key(key), &session.CancelLocation{Now: time.Now(), Type: clr.CancellationType,
			ReattachRequired: clr.CLRFlags&s6a.CLRReattachRequired != 0}, "cancel location")
	case s6a.CmdInsertSubscriberData:
		n.insertSubscriberData(req, answer) // node/uectxmod.go
	default:
		n.m.s6a.WithLabelValues("in", fmt.Sprintf("cmd%d", m.Header.CommandCode)).Inc()
		n.m.dropped.WithLabelValues("s6a_request_not_offered").Inc()
		answer((&s6a.ErrorAnswer{OriginHost: n.cfg.S6a.OriginHost, OriginRealm: n.cfg.S6a.OriginRealm,
			Result: s6a.BaseResult(s6a.ResultUnableToComply)}).Encode(m.Header))
	}
}
