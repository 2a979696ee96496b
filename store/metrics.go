package store

import (
	"fmt"

	"github.com/prometheus/client_golang/prometheus"
)

type metrics struct {
	queued                        prometheus.Counter
	writes, gets, lookups         *prometheus.CounterVec
	takeovers, gcRuns, gcRewrites prometheus.Counter
	commitSeconds, batchOps       prometheus.Histogram
}

func (m *metrics) init(s *Store, reg prometheus.Registerer) error {
	const ns, sub = "mme", "store"
	m.queued = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "writes_queued_total", Help: "Writes submitted to the writer."})
	m.writes = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "writes_total", Help: "Writes committed (or failed), by kind and result."}, []string{"kind", "result"})
	m.gets = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "gets_total", Help: "Record reads by result (hit, miss, error)."}, []string{"result"})
	m.lookups = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "lookups_total", Help: "Index lookups by result (hit, miss, error)."}, []string{"result"})
	m.takeovers = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "index_takeovers_total", Help: "Index values moved from one key to another by a Put."})
	m.gcRuns = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "vlog_gc_runs_total", Help: "Value-log GC attempts."})
	m.gcRewrites = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "vlog_gc_rewrites_total", Help: "Value-log files rewritten by GC."})
	m.commitSeconds = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub, Name: "commit_seconds", Help: "Duration of a group commit (including fsync with SyncWrites).",
		Buckets: prometheus.ExponentialBuckets(50e-6, 2, 14)})
	m.batchOps = prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: ns, Subsystem: sub, Name: "commit_batch_ops", Help: "Writes per group commit.",
		Buckets: prometheus.ExponentialBuckets(1, 2, 9)})
	if reg == nil {
		return nil
	}
	lsm := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "lsm_bytes", Help: "Size of the LSM tree on disk (badger's estimate)."}, func() float64 { l, _ := s.Size(); return float64(l) })
	vlog := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "vlog_bytes", Help: "Size of the value log on disk (badger's estimate)."}, func() float64 { _, v := s.Size(); return float64(v) })
	depth := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "write_queue", Help: "Writes waiting for the writer."}, func() float64 { return float64(len(s.ops)) })
	crashes := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "crash_reports", Help: "Crash reports kept."}, func() float64 { return float64(s.crashCount.Load()) })
	for _, c := range []prometheus.Collector{m.queued, m.writes, m.gets, m.lookups, m.takeovers, m.gcRuns, m.gcRewrites, m.commitSeconds, m.batchOps, lsm, vlog, depth, crashes} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("store: register metrics: %w", err)
		}
	}
	return nil
}
