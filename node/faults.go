package node

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/lte-mme/mme/supervision"
)

// FaultsConfig is the fault-injection switch (issue #8; docs/design/
// supervision.md "Fault injection on a running node"): off by default. While
// Enabled, subscriber steps panic inside the actor's recover scope, exactly
// where a real bug would: at about Rate crashes per second on whichever
// subscribers' events come at the chosen instants, and on the next event of
// each subscriber listed in IMSIs (once each). Rate and IMSIs take effect
// only while Enabled is true. The admin API (GET/PUT/DELETE /faults)
// changes the switch at run time; SIGHUP applies the file's section again.
type FaultsConfig struct {
	Enabled bool `yaml:"enabled" json:"enabled"`
	// Rate is crashes per second across random subscribers (0: none;
	// at most MaxFaultRate).
	Rate float64 `yaml:"rate" json:"rate"`
	// IMSIs are subscribers to crash on their next event (5-15 digits,
	// TS 23.003 §2.2); one not known yet crashes on its first event.
	IMSIs []string `yaml:"imsis,omitempty" json:"imsis"`
}

// MaxFaultRate bounds FaultsConfig.Rate: beyond it the actors' pool restart
// intensity (1,000 crashes/s by default) would take the node down, which is
// a different test.
const MaxFaultRate = 500

// validate checks the section; errors name the field (prefix "faults").
func (f *FaultsConfig) validate(prefix string) error {
	if math.IsNaN(f.Rate) || math.IsInf(f.Rate, 0) || f.Rate < 0 || f.Rate > MaxFaultRate {
		return fieldError(prefix+".rate", "%v: crashes per second in 0..%d", f.Rate, MaxFaultRate)
	}
	seen := map[string]bool{}
	for i, imsi := range f.IMSIs {
		if !validIMSI(imsi) {
			return fieldError(fmt.Sprintf("%s.imsis[%d]", prefix, i), "%q is not an IMSI (5 to 15 digits, TS 23.003 §2.2)", imsi)
		}
		if seen[imsi] {
			return fieldError(fmt.Sprintf("%s.imsis[%d]", prefix, i), "duplicate IMSI %q", imsi)
		}
		seen[imsi] = true
	}
	return nil
}

func validIMSI(s string) bool {
	if len(s) < 5 || len(s) > 15 {
		return false
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// FaultsView is what GET /faults returns (and PUT, DELETE).
type FaultsView struct {
	Enabled bool    `json:"enabled"`
	Rate    float64 `json:"rate"`
	// IMSIs are the listed subscribers whose crash has not happened yet.
	IMSIs []string `json:"imsis"`
	// Injected counts the crashes injected since the node started
	// (mme_faults_injected_total).
	Injected uint64 `json:"injected"`
}

// faultSwitch maps the node's switch (IMSIs, enabled) onto the runtime's
// supervision.FaultInjector (keys, rate).
type faultSwitch struct {
	inj *supervision.FaultInjector

	mu      sync.Mutex
	enabled bool
	rate    float64
	// unkeyed are listed IMSIs with no subscriber key yet: keyForIMSI
	// marks the key when one is allocated (waiting says any are there,
	// so that the attach path pays one atomic load).
	unkeyed map[string]struct{}
	keyed   map[string]supervision.Key
	waiting atomic.Bool
}

// initFaults sets up the switch from cfg.Faults (after restore: IMSIs of
// stored subscribers get their key at once) and its metrics.
func (n *Node) initFaults() error {
	if n.opt.Faults == nil {
		n.opt.Faults = supervision.NewFaultInjector(nil, nil)
	}
	n.faults = &faultSwitch{inj: n.opt.Faults}
	err := n.reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "mme_faults_injected_total",
		Help: "Crashes injected by the fault-injection switch (each is also a crash report with reason fault-injection)."},
		func() float64 { return float64(n.faults.inj.Injected()) }))
	if err == nil {
		err = n.reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "mme_faults_enabled",
			Help: "1 while the fault-injection switch is on."},
			func() float64 {
				if n.Faults().Enabled {
					return 1
				}
				return 0
			}))
	}
	if err != nil {
		return fmt.Errorf("node: faults metrics: %w", err)
	}
	n.SetFaults(n.cfg.Faults)
	return nil
}

// SetFaults replaces the fault-injection switch's settings (the admin API's
// PUT /faults). f must be valid (FaultsConfig as validated by Config).
func (n *Node) SetFaults(f FaultsConfig) {
	s := n.faults
	s.mu.Lock()
	defer s.mu.Unlock()
	s.inj.Disarm()
	s.enabled, s.rate = f.Enabled, 0
	s.unkeyed, s.keyed = map[string]struct{}{}, map[string]supervision.Key{}
	if f.Enabled {
		for _, imsi := range f.IMSIs {
			k, err := n.keyOfIMSI(imsi)
			if err != nil {
				s.unkeyed[imsi] = struct{}{}
				continue
			}
			s.keyed[imsi] = k
			s.inj.CrashKey(k)
		}
		s.rate = f.Rate
		s.inj.SetRate(f.Rate)
	}
	s.waiting.Store(len(s.unkeyed) > 0)
}

// Faults returns the switch's state.
func (n *Node) Faults() FaultsView {
	s := n.faults
	s.mu.Lock()
	defer s.mu.Unlock()
	v := FaultsView{Enabled: s.enabled, Rate: s.rate, IMSIs: []string{}, Injected: s.inj.Injected()}
	for imsi := range s.unkeyed {
		v.IMSIs = append(v.IMSIs, imsi)
	}
	for imsi, k := range s.keyed {
		if s.inj.Marked(k) {
			v.IMSIs = append(v.IMSIs, imsi)
		}
	}
	slices.Sort(v.IMSIs)
	return v
}

// keyedIMSI is called by keyForIMSI with every IMSI it maps to a key: a
// listed IMSI that had no key gets its crash now (its next event is the
// one being routed).
func (s *faultSwitch) keyedIMSI(imsi string, k supervision.Key) {
	if s == nil || !s.waiting.Load() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.unkeyed[imsi]; !ok {
		return
	}
	delete(s.unkeyed, imsi)
	s.keyed[imsi] = k
	s.inj.CrashKey(k)
	s.waiting.Store(len(s.unkeyed) > 0)
}

// faultsHTTP serves GET/PUT/DELETE /faults.
func (n *Node) faultsHTTP(mux *http.ServeMux) {
	mux.HandleFunc("GET /faults", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, n.Faults())
	})
	mux.HandleFunc("PUT /faults", func(w http.ResponseWriter, r *http.Request) {
		// The body is a FaultsConfig; "enabled" absent means true (a PUT
		// of a rate or IMSIs turns the switch on).
		var body struct {
			Enabled *bool    `json:"enabled"`
			Rate    float64  `json:"rate"`
			IMSIs   []string `json:"imsis"`
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<20))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "node: faults: " + err.Error()})
			return
		}
		f := FaultsConfig{Enabled: body.Enabled == nil || *body.Enabled, Rate: body.Rate, IMSIs: body.IMSIs}
		if err := f.validate("faults"); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		n.SetFaults(f)
		n.log.Warn("node: fault-injection switch set by the admin API", "enabled", f.Enabled, "rate", f.Rate, "imsis", len(f.IMSIs))
		writeJSON(w, http.StatusOK, n.Faults())
	})
	mux.HandleFunc("DELETE /faults", func(w http.ResponseWriter, _ *http.Request) {
		n.SetFaults(FaultsConfig{})
		n.log.Info("node: fault-injection switch off (admin API)")
		writeJSON(w, http.StatusOK, n.Faults())
	})
}
