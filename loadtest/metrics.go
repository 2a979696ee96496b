package loadtest

import (
	"github.com/prometheus/client_golang/prometheus"
)

// MetricsRegisterer is where the tester registers its own metrics (a
// prometheus.Registry of its own, served by `mme loadtest --metrics`).
type MetricsRegisterer = prometheus.Registerer

// simCollector exposes the run's live counters at scrape time: nothing is
// paid per procedure beyond the atomics the progress line reads anyway,
// except the latency histogram.
type simCollector struct {
	s                                      *Sim
	attempts, successes, failures, ues, up *prometheus.Desc
	errors                                 *prometheus.Desc
}

func (s *Sim) registerMetrics(r MetricsRegisterer) error {
	c := &simCollector{s: s,
		attempts:  prometheus.NewDesc("loadtest_procedure_attempts_total", "Procedures started, by procedure.", []string{"procedure"}, nil),
		successes: prometheus.NewDesc("loadtest_procedure_successes_total", "Procedures completed, by procedure.", []string{"procedure"}, nil),
		failures:  prometheus.NewDesc("loadtest_procedure_failures_total", "Procedures failed, by procedure and cause.", []string{"procedure", "cause"}, nil),
		ues:       prometheus.NewDesc("loadtest_ues", "Simulated UEs by EMM and ECM state.", []string{"emm", "ecm"}, nil),
		up:        prometheus.NewDesc("loadtest_s1_links_up", "S1 associations with S1 Setup done, by MME.", []string{"mme"}, nil),
		errors:    prometheus.NewDesc("loadtest_anomalies_total", "Protocol anomalies seen, by kind.", []string{"kind"}, nil),
	}
	lat := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "loadtest_procedure_latency_seconds",
		Help:    "Procedure latency as the UE and eNodeB see it.",
		Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16)}, []string{"procedure"})
	if err := r.Register(c); err != nil {
		return err
	}
	if err := r.Register(lat); err != nil {
		return err
	}
	var obs [procEnd]prometheus.Observer
	for p := Procedure(1); p < procEnd; p++ {
		obs[p] = lat.WithLabelValues(p.String())
	}
	hook := func(p Procedure, ok bool, _ string, us int64) {
		if ok {
			obs[p].Observe(float64(us) / 1e6)
		}
	}
	for _, w := range s.workers {
		w.rec.onDone = hook
	}
	s.drv.onDone = hook
	return nil
}

func (c *simCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.attempts, c.successes, c.failures, c.ues, c.up, c.errors} {
		ch <- d
	}
}

func (c *simCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.s
	causes := map[Procedure]map[string]uint64{}
	for _, r := range append([]*recorder{s.drv}, s.recorders()...) {
		r.mu.Lock()
		for p := range r.procs {
			for k, v := range r.procs[p].byCause {
				if causes[Procedure(p)] == nil {
					causes[Procedure(p)] = map[string]uint64{}
				}
				causes[Procedure(p)][k] += v
			}
		}
		r.mu.Unlock()
	}
	for p := Procedure(1); p < procEnd; p++ {
		l := &s.live[p]
		if l.attempts.Load() == 0 {
			continue
		}
		ch <- prometheus.MustNewConstMetric(c.attempts, prometheus.CounterValue, float64(l.attempts.Load()), p.String())
		ch <- prometheus.MustNewConstMetric(c.successes, prometheus.CounterValue, float64(l.successes.Load()), p.String())
		for k, v := range causes[p] {
			ch <- prometheus.MustNewConstMetric(c.failures, prometheus.CounterValue, float64(v), p.String(), k)
		}
	}
	var n [emmEnd][2]int64
	for _, w := range s.workers {
		for e := range n {
			for k := range n[e] {
				n[e][k] += w.counts[e][k].Load()
			}
		}
	}
	for e := EMMState(1); e < emmEnd; e++ {
		ch <- prometheus.MustNewConstMetric(c.ues, prometheus.GaugeValue, float64(n[e][0]), e.String(), ECMIdle.String())
		ch <- prometheus.MustNewConstMetric(c.ues, prometheus.GaugeValue, float64(n[e][1]), e.String(), ECMConnected.String())
	}
	up := make([]int, len(s.cfg.Targets))
	for _, e := range s.enbs {
		for _, l := range e.links {
			if l.up.Load() && int(l.mme) < len(up) {
				up[l.mme]++
			}
		}
	}
	for i, t := range s.cfg.Targets {
		ch <- prometheus.MustNewConstMetric(c.up, prometheus.GaugeValue, float64(up[i]), t.String())
	}
	for k, v := range s.errorCounts() {
		ch <- prometheus.MustNewConstMetric(c.errors, prometheus.CounterValue, float64(v), k)
	}
}

func (s *Sim) recorders() []*recorder {
	rs := make([]*recorder, len(s.workers))
	for i, w := range s.workers {
		rs[i] = w.rec
	}
	return rs
}
