package node

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/pprof"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/lte-mme/mme/session"
	"github.com/lte-mme/mme/store"
	"github.com/lte-mme/mme/supervision"
)

// SubscriberView is what GET /subscribers/{imsi} returns: the state of one
// subscriber as its actor sees it (no keys, no authentication vectors).
type SubscriberView struct {
	Key       uint64     `json:"key"`
	IMSI      string     `json:"imsi"`
	MSISDN    string     `json:"msisdn,omitempty"`
	IMEISV    string     `json:"imeisv,omitempty"`
	GUTI      string     `json:"guti,omitempty"`
	EMM       string     `json:"emm"`
	ECM       string     `json:"ecm"`
	Procedure string     `json:"procedure"`
	Waiting   string     `json:"waiting,omitempty"`
	TAI       string     `json:"tai,omitempty"`
	ECGI      string     `json:"ecgi,omitempty"`
	MMEUEID   uint32     `json:"mme_ue_s1ap_id,omitempty"`
	Security  bool       `json:"security_context"`
	Vectors   int        `json:"unused_vectors"`
	PDNs      []PDNView  `json:"pdns,omitempty"`
	S11TEID   uint32     `json:"s11_teid,omitempty"`
	SGWTEID   uint32     `json:"sgw_teid,omitempty"`
	Timers    []TimerRun `json:"timers,omitempty"`
}

// PDNView is one PDN connection of a SubscriberView.
type PDNView struct {
	APN     string   `json:"apn"`
	IPv4    string   `json:"ipv4,omitempty"`
	IPv6    string   `json:"ipv6,omitempty"`
	LBI     uint8    `json:"lbi"`
	Bearers []string `json:"bearers"`
}

// TimerRun is a running timer and its deadline.
type TimerRun struct {
	Timer    string    `json:"timer"`
	Deadline time.Time `json:"deadline"`
}

// viewOf reads a machine (on its worker).
func viewOf(m *session.Machine) *SubscriberView {
	s := m.Subscriber()
	v := &SubscriberView{Key: m.Key(), IMSI: s.IMSI, MSISDN: s.MSISDN, IMEISV: s.IMEISV,
		EMM: s.EMM.String(), ECM: s.ECM.String(), Procedure: s.Proc.String(), Security: len(s.Security) > 0,
		Vectors: len(s.Vectors), S11TEID: s.S11TEID, SGWTEID: s.SGWTEID}
	if s.HasGUTI {
		v.GUTI = s.GUTI.String()
	}
	if s.Proc != session.ProcNone {
		v.Waiting = s.Wait.String()
	}
	if l := s.LastLocation; l.TAI.PLMN != [3]byte{} {
		v.TAI = fmt.Sprintf("%v-%d", l.TAI.PLMN, l.TAI.TAC)
		v.ECGI = fmt.Sprintf("%v-%07x", l.ECGI.PLMN, l.ECGI.CellID)
	}
	if s.ECM == session.ECMConnected {
		v.MMEUEID = uint32(s.Conn)
	}
	for _, p := range s.PDNs {
		pv := PDNView{APN: p.APN, LBI: p.LBI}
		if p.IPv4.IsValid() {
			pv.IPv4 = p.IPv4.String()
		}
		if p.IPv6.IsValid() {
			pv.IPv6 = p.IPv6.String()
		}
		for _, b := range p.Bearers {
			pv.Bearers = append(pv.Bearers, fmt.Sprintf("ebi=%d qci=%d %s", b.EBI, b.QCI, b.State))
		}
		v.PDNs = append(v.PDNs, pv)
	}
	m.RunningTimers(func(id session.TimerID, d time.Time) {
		v.Timers = append(v.Timers, TimerRun{Timer: id.String(), Deadline: d})
	})
	return v
}

// httpHandler serves the operations endpoint: /metrics (the node's own
// registry), /healthz, /readyz, the admin API and /debug/pprof.
func (n *Node) httpHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(n.reg, promhttp.HandlerOpts{Registry: n.reg}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		_, _ = w.Write([]byte("ok\n"))
	})
	mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, _ *http.Request) {
		ok, why := n.Ready()
		if !ok {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_, _ = w.Write([]byte(why + "\n"))
	})
	mux.HandleFunc("GET /subscribers/{imsi}", func(w http.ResponseWriter, r *http.Request) {
		v, err := n.Subscriber(r.Context(), r.PathValue("imsi"))
		if err != nil {
			httpError(w, err)
			return
		}
		writeJSON(w, http.StatusOK, v)
	})
	mux.HandleFunc("POST /subscribers/{imsi}/detach", func(w http.ResponseWriter, r *http.Request) {
		reattach, _ := strconv.ParseBool(r.URL.Query().Get("reattach"))
		if err := n.Detach(r.PathValue("imsi"), reattach); err != nil {
			httpError(w, err)
			return
		}
		writeJSON(w, http.StatusAccepted, map[string]string{"imsi": r.PathValue("imsi"), "detach": "requested"})
	})
	// Go runtime profiles (go tool pprof http://HOST/debug/pprof/profile).
	mux.HandleFunc("GET /debug/pprof/", pprof.Index)
	mux.HandleFunc("GET /debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("GET /debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("GET /debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("GET /debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("GET /crashes", func(w http.ResponseWriter, r *http.Request) {
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		reps, err := n.crash.List(limit)
		if err != nil {
			httpError(w, err)
			return
		}
		if reps == nil {
			reps = []supervision.CrashReport{}
		}
		writeJSON(w, http.StatusOK, reps)
	})
	n.faultsHTTP(mux)
	return mux
}

// ErrUnknownSubscriber: no subscriber with that IMSI is stored.
var ErrUnknownSubscriber = errors.New("node: unknown subscriber")

// ErrBusy: the subscriber's actor did not answer in time or its mailbox is full.
var ErrBusy = errors.New("node: subscriber busy")

func (n *Node) keyOfIMSI(imsi string) (supervision.Key, error) {
	if k, ok := n.pending.get(imsi); ok {
		return k, nil
	}
	k, err := n.records.Lookup(idxIMSI, []byte(imsi))
	if errors.Is(err, store.ErrNotFound) {
		return 0, fmt.Errorf("%w: %s", ErrUnknownSubscriber, n.redactIMSI(imsi))
	}
	return supervision.Key(k), err
}

// Subscriber returns the view of the subscriber with imsi, read on its
// actor (consistent with its steps).
func (n *Node) Subscriber(ctx context.Context, imsi string) (*SubscriberView, error) {
	key, err := n.keyOfIMSI(imsi)
	if err != nil {
		return nil, err
	}
	req := &adminGet{reply: make(chan *SubscriberView, 1)}
	if err := n.actors.Send(key, req); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrBusy, err)
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	select {
	case v := <-req.reply:
		return v, nil
	case <-ctx.Done():
		return nil, ErrBusy
	}
}

// Detach starts a network-initiated detach of the subscriber with imsi
// (TS 23.401 §5.3.8.3, O&M intervention); reattach selects "re-attach
// required" (TS 24.301 §9.9.3.7).
func (n *Node) Detach(imsi string, reattach bool) error {
	key, err := n.keyOfIMSI(imsi)
	if err != nil {
		return err
	}
	if err := n.actors.Send(key, &session.DetachRequested{Now: time.Now(), ReattachRequired: reattach, Reason: "admin"}); err != nil {
		return fmt.Errorf("%w: %v", ErrBusy, err)
	}
	return nil
}

func httpError(w http.ResponseWriter, err error) {
	code := http.StatusInternalServerError
	switch {
	case errors.Is(err, ErrUnknownSubscriber):
		code = http.StatusNotFound
	case errors.Is(err, ErrBusy):
		code = http.StatusServiceUnavailable
	}
	writeJSON(w, code, map[string]string{"error": err.Error()})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// redactIMSI prints an IMSI in logs: in clear when log.imsi is set, else
// its MCC+MNC and a mask (the subscriber part is personal data).
func (n *Node) redactIMSI(imsi string) string {
	if n.cfg.Log.IMSI || len(imsi) <= 6 {
		return imsi
	}
	return imsi[:5] + "**********"[:len(imsi)-5]
}

// redactKey prints a subscriber key in crash reports: the key alone (it is
// not an identity of the subscriber).
func (n *Node) redactKey(k supervision.Key) string { return "key-" + strconv.FormatUint(uint64(k), 10) }

// describe names the actor's state and event for a crash report. It runs
// on the key's worker after a panic: it reads the cached machine's states
// only (and its IMSI, redacted per the configuration).
func (n *Node) describe(key supervision.Key, ev any) (string, string) {
	event := fmt.Sprintf("%T", ev)
	if sev, ok := ev.(session.Event); ok {
		event = session.EventName(sev)
	}
	w := n.workers[n.actors.WorkerOf(key)]
	ent := w.cache[key]
	if ent == nil {
		return "not cached", event
	}
	emm, ecm, proc := ent.m.State()
	return fmt.Sprintf("%s %s %s imsi=%s", emm, ecm, proc, n.redactIMSI(ent.m.Subscriber().IMSI)), event
}
