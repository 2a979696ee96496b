package loadtest

import (
	"sort"
	"sync"
	"sync/atomic"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Latency histograms record microseconds from 1 µs to 10 minutes with three
// significant digits (HdrHistogram: relative error below 0.1 %).
const (
	histLowest  = 1
	histHighest = 600_000_000
	histDigits  = 3
)

// procCounters are a procedure's live counters, read by the progress line
// and the Prometheus collector while workers write them.
type procCounters struct {
	attempts, successes, failures atomic.Uint64
}

// procStats is one worker's record of one procedure.
type procStats struct {
	hist     *hdrhistogram.Histogram // µs, allocated on first use
	byCause  map[string]uint64
	firstNS  int64 // start of the first attempt (ns since the run began), -1 none
	lastOKNS int64 // end of the last success
}

// secondBucket accumulates one second of completions per procedure, for the
// throughput and latency over time.
type secondBucket struct {
	done   [procEnd]uint32
	failed [procEnd]uint32
	sumUS  [procEnd]uint64
	maxUS  [procEnd]uint32
}

// recorder is one worker's statistics. The worker writes under mu (never
// contended but by the final merge and the plot); the counters are atomic.
type recorder struct {
	live    *[procEnd]procCounters // shared by all workers of a run
	mu      sync.Mutex
	procs   [procEnd]procStats
	seconds []secondBucket
	onDone  func(p Procedure, ok bool, cause string, us int64) // metrics hook, may be nil
}

func newRecorder(live *[procEnd]procCounters) *recorder {
	r := &recorder{live: live}
	for i := range r.procs {
		r.procs[i].firstNS = -1
	}
	return r
}

// attempt counts the start of p at now (ns since the run began).
func (r *recorder) attempt(p Procedure, now int64) {
	r.live[p].attempts.Add(1)
	r.mu.Lock()
	if r.procs[p].firstNS < 0 {
		r.procs[p].firstNS = now
	}
	r.mu.Unlock()
}

// success records a completion of p started at start and ended at now.
func (r *recorder) success(p Procedure, start, now int64) {
	us := max((now-start)/1000, histLowest)
	r.live[p].successes.Add(1)
	r.mu.Lock()
	ps := &r.procs[p]
	if ps.hist == nil {
		ps.hist = hdrhistogram.New(histLowest, histHighest, histDigits)
	}
	_ = ps.hist.RecordValue(min(us, histHighest)) // clamped: never out of range
	ps.lastOKNS = now
	b := r.bucket(now)
	b.done[p]++
	b.sumUS[p] += uint64(us)
	b.maxUS[p] = max(b.maxUS[p], uint32(min(us, 1<<32-1)))
	r.mu.Unlock()
	if r.onDone != nil {
		r.onDone(p, true, "", us)
	}
}

// failure records a failed attempt of p with a cause (a short stable
// string: "attach_reject:#7", "T3410_expiry", "s1ap:unknown-PLMN").
func (r *recorder) failure(p Procedure, cause string, now int64) {
	r.live[p].failures.Add(1)
	r.mu.Lock()
	ps := &r.procs[p]
	if ps.byCause == nil {
		ps.byCause = map[string]uint64{}
	}
	ps.byCause[cause]++
	r.bucket(now).failed[p]++
	r.mu.Unlock()
	if r.onDone != nil {
		r.onDone(p, false, cause, 0)
	}
}

func (r *recorder) bucket(now int64) *secondBucket {
	s := int(max(now, 0) / 1e9)
	for len(r.seconds) <= s {
		r.seconds = append(r.seconds, secondBucket{})
	}
	return &r.seconds[s]
}

// LatencyMS are latency percentiles in milliseconds (from HDR histograms).
type LatencyMS struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	P999 float64 `json:"p999"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// ProcedureReport is the outcome of one procedure over a run.
type ProcedureReport struct {
	Attempts        uint64            `json:"attempts"`
	Successes       uint64            `json:"successes"`
	Failures        uint64            `json:"failures"`
	FailuresByCause map[string]uint64 `json:"failures_by_cause"`
	LatencyMS       LatencyMS         `json:"latency_ms"`
	// InProgress counts attempts neither finished nor failed at the end.
	InProgress uint64 `json:"in_progress"`
	// RatePerS is successes per second between the first attempt and the
	// last success.
	RatePerS float64 `json:"rate_per_s"`
}

// ThroughputPoint is one second of the run: completions per procedure.
type ThroughputPoint struct {
	TS            float64            `json:"t_s"`
	CompletedPerS map[string]float64 `json:"completed_per_s"`
	FailedPerS    map[string]float64 `json:"failed_per_s,omitempty"`
}

// LatencyPoint is one second of the run: mean and maximum latency of the
// completions in it, per procedure, in milliseconds.
type LatencyPoint struct {
	TS     float64            `json:"t_s"`
	MeanMS map[string]float64 `json:"mean_ms"`
	MaxMS  map[string]float64 `json:"max_ms"`
}

// merge combines the workers' records into per-procedure reports and the
// series over time.
func merge(recs []*recorder) (map[string]*ProcedureReport, []ThroughputPoint, []LatencyPoint) {
	procs := map[string]*ProcedureReport{}
	var seconds int
	for _, r := range recs {
		r.mu.Lock()
		seconds = max(seconds, len(r.seconds))
	}
	defer func() {
		for _, r := range recs {
			r.mu.Unlock()
		}
	}()
	for p := Procedure(1); p < procEnd; p++ {
		var h *hdrhistogram.Histogram
		rep := &ProcedureReport{FailuresByCause: map[string]uint64{}}
		first, lastOK := int64(-1), int64(0)
		for _, r := range recs {
			ps := &r.procs[p]
			if ps.hist != nil {
				if h == nil {
					h = hdrhistogram.New(histLowest, histHighest, histDigits)
				}
				h.Merge(ps.hist)
			}
			for c, n := range ps.byCause {
				rep.FailuresByCause[c] += n
				rep.Failures += n
			}
			if ps.firstNS >= 0 && (first < 0 || ps.firstNS < first) {
				first = ps.firstNS
			}
			lastOK = max(lastOK, ps.lastOKNS)
		}
		if len(recs) > 0 {
			// The live counters are shared by all workers of a run.
			rep.Attempts = recs[0].live[p].attempts.Load()
		}
		if h != nil {
			rep.Successes = uint64(h.TotalCount())
			ms := func(q float64) float64 { return float64(h.ValueAtQuantile(q)) / 1000 }
			rep.LatencyMS = LatencyMS{P50: ms(50), P90: ms(90), P99: ms(99), P999: ms(99.9),
				Max: float64(h.Max()) / 1000, Mean: h.Mean() / 1000}
			if d := float64(lastOK-first) / 1e9; d > 0 {
				rep.RatePerS = float64(rep.Successes) / d
			}
		}
		if rep.Attempts == 0 && rep.Successes == 0 && rep.Failures == 0 {
			continue
		}
		if done := rep.Successes + rep.Failures; rep.Attempts > done {
			rep.InProgress = rep.Attempts - done
		}
		procs[p.String()] = rep
	}
	tp := make([]ThroughputPoint, 0, seconds)
	lp := make([]LatencyPoint, 0, seconds)
	for s := 0; s < seconds; s++ {
		var sum secondBucket
		for _, r := range recs {
			if s >= len(r.seconds) {
				continue
			}
			b := &r.seconds[s]
			for p := range b.done {
				sum.done[p] += b.done[p]
				sum.failed[p] += b.failed[p]
				sum.sumUS[p] += b.sumUS[p]
				sum.maxUS[p] = max(sum.maxUS[p], b.maxUS[p])
			}
		}
		t := ThroughputPoint{TS: float64(s + 1), CompletedPerS: map[string]float64{}}
		l := LatencyPoint{TS: float64(s + 1), MeanMS: map[string]float64{}, MaxMS: map[string]float64{}}
		for p := Procedure(1); p < procEnd; p++ {
			if _, ran := procs[p.String()]; !ran {
				continue
			}
			t.CompletedPerS[p.String()] = float64(sum.done[p])
			if sum.failed[p] > 0 {
				if t.FailedPerS == nil {
					t.FailedPerS = map[string]float64{}
				}
				t.FailedPerS[p.String()] = float64(sum.failed[p])
			}
			if sum.done[p] > 0 {
				l.MeanMS[p.String()] = float64(sum.sumUS[p]) / float64(sum.done[p]) / 1000
				l.MaxMS[p.String()] = float64(sum.maxUS[p]) / 1000
			}
		}
		tp = append(tp, t)
		lp = append(lp, l)
	}
	return procs, tp, lp
}

// sortedCauses returns a procedure's failure causes, most frequent first.
func sortedCauses(m map[string]uint64) []string {
	cs := make([]string, 0, len(m))
	for c := range m {
		cs = append(cs, c)
	}
	sort.Slice(cs, func(i, j int) bool {
		if m[cs[i]] != m[cs[j]] {
			return m[cs[i]] > m[cs[j]]
		}
		return cs[i] < cs[j]
	})
	return cs
}
