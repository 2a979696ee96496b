package node

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/session"
)

// metrics are the node's Prometheus series, on the node's own registry.
// Procedure counters follow TS 32.426 §4.1 (MM.EpsAttachAtt,
// MM.EpsAttachSucc, MM.EpsAttachFail.Cause; MM.EpsDetach...): one
// vector per measurement, labelled by procedure, the failures also by
// cause.
type metrics struct {
	attempts  *prometheus.CounterVec   // procedure
	successes *prometheus.CounterVec   // procedure
	failures  *prometheus.CounterVec   // procedure, cause
	latency   *prometheus.HistogramVec // procedure, result
	anomalies *prometheus.CounterVec   // state, event

	s1ap *prometheus.CounterVec // direction, message
	s11  *prometheus.CounterVec // direction, message
	s6a  *prometheus.CounterVec // direction, message

	attached  prometheus.Gauge
	connected prometheus.Gauge
	enbs      prometheus.Gauge
	cached    prometheus.Gauge

	dropped         *prometheus.CounterVec // reason
	persists        prometheus.Counter
	persistFailures prometheus.Counter
	corrupt         prometheus.Counter
	overloadRejects prometheus.Counter
	quarantined     prometheus.Counter
	transfers       prometheus.Counter
	sgwLost         prometheus.Counter
	cancelLocation  prometheus.Counter
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mme_procedure_attempts_total",
			Help: "EMM procedures started (TS 32.426 §4.1 MM.EpsAttachAtt, MM.EpsDetach...Att): attach, detach_ue, detach_network, detach_implicit, s1_release."},
			[]string{"procedure"}),
		successes: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mme_procedure_successes_total",
			Help: "EMM procedures that succeeded (TS 32.426 §4.1 MM.EpsAttachSucc, ...)."}, []string{"procedure"}),
		failures: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mme_procedure_failures_total",
			Help: "EMM procedures that failed, by cause (TS 32.426 §4.1 MM.EpsAttachFail.Cause): emm:#N, s6a:N, s11:..., t3450_expiry, ..."},
			[]string{"procedure", "cause"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "mme_procedure_duration_seconds",
			Help:    "Duration of EMM procedures from the first message to the outcome.",
			Buckets: []float64{.001, .002, .005, .01, .02, .05, .1, .2, .5, 1, 2, 5, 10, 30}},
			[]string{"procedure", "result"}),
		anomalies: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mme_session_unexpected_events_total",
			Help: "Events a subscriber's state did not expect, each answered per TS 24.301 (EMM STATUS, discard, ...)."},
			[]string{"state", "event"}),
		s1ap: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mme_s1ap_messages_total",
			Help: "S1AP messages by direction (in, out) and type (TS 36.413)."}, []string{"direction", "message"}),
		s11: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mme_s11_messages_total",
			Help: "GTPv2-C S11 messages by direction and type (TS 29.274), retransmissions not counted."}, []string{"direction", "message"}),
		s6a: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mme_s6a_messages_total",
			Help: "Diameter S6a messages by direction and command (TS 29.272)."}, []string{"direction", "message"}),
		attached:  prometheus.NewGauge(prometheus.GaugeOpts{Name: "mme_ues_attached", Help: "Subscribers in EMM-REGISTERED (TS 32.426 MM.NbrActAttachedUE...)."}),
		connected: prometheus.NewGauge(prometheus.GaugeOpts{Name: "mme_ues_connected", Help: "Subscribers in ECM-CONNECTED."}),
		enbs:      prometheus.NewGauge(prometheus.GaugeOpts{Name: "mme_enbs", Help: "eNodeB associations that completed S1 Setup."}),
		cached:    prometheus.NewGauge(prometheus.GaugeOpts{Name: "mme_session_machines_cached", Help: "Subscriber machines held in memory (the others are records in the store)."}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "mme_dropped_total",
			Help: "Messages or events not delivered, by reason (every drop is counted and logged)."}, []string{"reason"}),
		persists:        prometheus.NewCounter(prometheus.CounterOpts{Name: "mme_record_writes_total", Help: "Subscriber records written before their step's effects."}),
		persistFailures: prometheus.NewCounter(prometheus.CounterOpts{Name: "mme_record_write_failures_total", Help: "Record writes (or deletes) that failed; the step's effects were dropped."}),
		corrupt:         prometheus.NewCounter(prometheus.CounterOpts{Name: "mme_record_unreadable_total", Help: "Stored records this node could not decode."}),
		overloadRejects: prometheus.NewCounter(prometheus.CounterOpts{Name: "mme_overload_rejects_total", Help: "Initial NAS messages rejected with #22 congestion because a mailbox was full (TS 24.301 §5.5.1.2.5)."}),
		quarantined:     prometheus.NewCounter(prometheus.CounterOpts{Name: "mme_subscribers_quarantined_total", Help: "Subscribers detached locally after repeated crashes."}),
		transfers:       prometheus.NewCounter(prometheus.CounterOpts{Name: "mme_attach_transfers_total", Help: "Attaches handed to the key of an IMSI learnt by identification (unknown GUTI)."}),
		sgwLost:         prometheus.NewCounter(prometheus.CounterOpts{Name: "mme_sgw_lost_total", Help: "SGW restarts or S11 path failures (TS 23.007 §16.1.1, §20)."}),
		cancelLocation:  prometheus.NewCounter(prometheus.CounterOpts{Name: "mme_cancel_location_total", Help: "Cancel-Location-Requests received from the HSS (TS 29.272 §5.2.1.2)."}),
	}
	reg.MustRegister(m.attempts, m.successes, m.failures, m.latency, m.anomalies, m.s1ap, m.s11, m.s6a,
		m.attached, m.connected, m.enbs, m.cached, m.dropped, m.persists, m.persistFailures, m.corrupt,
		m.overloadRejects, m.quarantined, m.transfers, m.sgwLost, m.cancelLocation)
	return m
}

// observe counts what a step reported: procedures started, outcomes with
// their latency, anomalies.
func (n *Node) observe(rd session.Ready) {
	for _, p := range rd.Started {
		n.m.attempts.WithLabelValues(p.String()).Inc()
	}
	for _, o := range rd.Outcomes {
		name := o.Proc.String()
		result := "success"
		if o.OK {
			n.m.successes.WithLabelValues(name).Inc()
		} else {
			result = "failure"
			n.m.failures.WithLabelValues(name, o.Cause).Inc()
		}
		if !o.Start.IsZero() && !o.End.Before(o.Start) {
			n.m.latency.WithLabelValues(name, result).Observe(o.Latency().Seconds())
		}
	}
	for _, a := range rd.Anomalies {
		n.m.anomalies.WithLabelValues(a.State.String(), a.Event).Inc()
		n.log.Debug("node: unexpected event", "state", a.State.String(), "event", a.Event, "what", a.What)
	}
}

// overloadState tracks mailbox overload: a refused event marks the node
// overloaded, and the overload child tells the eNodeBs with OVERLOAD
// START (TS 36.413 §8.7.6) and, once quiet for a while, OVERLOAD STOP
// (§8.7.7).
type overloadState struct {
	last   atomic.Int64 // unix nanoseconds of the last refused event
	active bool         // owned by runOverload
}

func (o *overloadState) hit() { o.last.Store(time.Now().UnixNano()) }

// overloadQuiet is how long without a refused event ends the overload.
const overloadQuiet = 5 * time.Second

// runOverload is the overload child: it checks every 250 ms whether
// mailboxes refused events recently and sends OVERLOAD START or STOP to
// every eNodeB that completed S1 Setup. It ends with its context.
func (n *Node) runOverload(ctx context.Context) error {
	t := time.NewTicker(250 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-t.C:
			last := n.overload.last.Load()
			recent := last != 0 && now.Sub(time.Unix(0, last)) < overloadQuiet
			switch {
			case recent && !n.overload.active:
				n.overload.active = true
				n.log.Warn("node: overload: OVERLOAD START to the eNodeBs")
				n.broadcast(&s1ap.OverloadStart{OverloadResponse: s1ap.OverloadResponse{
					Choice: s1ap.OverloadResponseChoiceOverloadAction, OverloadAction: s1ap.OverloadActionRejectNonEmergencyMoDt}})
			case !recent && n.overload.active:
				n.overload.active = false
				n.log.Info("node: overload over: OVERLOAD STOP to the eNodeBs")
				n.broadcast(&s1ap.OverloadStop{})
			}
		}
	}
}

// broadcast sends a non-UE-associated message to every eNodeB that
// completed S1 Setup.
func (n *Node) broadcast(m s1ap.Message) {
	for _, e := range n.enbs.all() {
		e.mu.Lock()
		ok := e.setup
		e.mu.Unlock()
		if ok {
			n.sendNonUE(e, m)
		}
	}
}
