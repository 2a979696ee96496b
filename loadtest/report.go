package loadtest

import (
	"encoding/json"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strings"
	"text/tabwriter"

	"github.com/lte-mme/mme/s1ap/transport"
)

// Report is the outcome of a run, written by `mme loadtest --report` as
// JSON. `mme demo` reads ues, enbs, duration_s, attach_rate_per_s,
// procedures.<name>.{attempts, successes, failures, failures_by_cause,
// latency_ms.{p50,p90,p99,p999,max}}, throughput and expectations_failed.
type Report struct {
	Scenario  string   `json:"scenario"`
	UEs       int      `json:"ues"`
	ENBs      int      `json:"enbs"`
	MMEs      []string `json:"mmes"`
	Transport string   `json:"transport"`
	DurationS float64  `json:"duration_s"`
	// AttachRatePerS is successful attaches per second between the first
	// attach attempt and the last success.
	AttachRatePerS float64                     `json:"attach_rate_per_s"`
	Procedures     map[string]*ProcedureReport `json:"procedures"`
	// Phases are the scenario's phases as they ran (the final drain too).
	Phases []PhaseReport `json:"phases"`
	// Throughput has one point per second of the run.
	Throughput []ThroughputPoint `json:"throughput"`
	Latency    []LatencyPoint    `json:"latency_over_time"`
	// UEStates counts UEs per EMM state at the end.
	UEStates map[string]int `json:"ue_states"`
	// Anomalies counts protocol anomalies by kind (unexpected or
	// undecodable messages, failed integrity checks, ...).
	Anomalies map[string]uint64 `json:"anomalies"`
	// ExpectationsFailed lists every expectation that did not hold; the
	// run passed when it is empty.
	ExpectationsFailed []string `json:"expectations_failed"`
	Passed             bool     `json:"passed"`
	// Sequences are the traced message sequences ("ue0", "enb0/mme0")
	// of a conformance run.
	Sequences map[string][]traceRec `json:"sequences,omitempty"`
	Tester    TesterStats           `json:"tester"`
}

// TesterStats is the tester's own footprint at the end of the run.
// PhaseReport is one phase of the run: when it ran (seconds since the run
// began) and the procedures that ended in it (successes and failures of
// every procedure, whoever started them: a mix phase's count includes the
// S1 releases of the eNodeBs' inactivity timers), with their rate.
type PhaseReport struct {
	Name      string  `json:"name"`
	StartS    float64 `json:"start_s"`
	EndS      float64 `json:"end_s"`
	Completed uint64  `json:"completed"`
	PerS      float64 `json:"completed_per_s"`
}

type TesterStats struct {
	HeapBytes  uint64 `json:"heap_bytes"`
	Goroutines int    `json:"goroutines"`
	Workers    int    `json:"workers"`
}

func (s *Sim) report(end int64, mode transport.Mode) *Report {
	recs := append([]*recorder{s.drv}, s.recorders()...)
	procs, tp, lp := merge(recs)
	r := &Report{Scenario: s.sc.Name, UEs: len(s.ues), ENBs: len(s.enbs), Transport: mode.String(),
		DurationS: float64(end) / 1e9, Procedures: procs, Throughput: tp, Latency: lp,
		UEStates: map[string]int{}, Anomalies: s.errorCounts(), ExpectationsFailed: []string{}, Phases: s.phaseReports}
	for _, t := range s.cfg.Targets {
		r.MMEs = append(r.MMEs, t.String())
	}
	if a, ok := procs[ProcAttach.String()]; ok {
		r.AttachRatePerS = a.RatePerS
	}
	for i := range s.ues {
		r.UEStates[s.ues[i].emm.String()]++
	}
	if s.traces != nil {
		r.Sequences = map[string][]traceRec{}
		for i, t := range s.traces {
			r.Sequences[fmt.Sprintf("ue%d", i)] = t.records()
		}
		for _, e := range s.enbs {
			for _, l := range e.links {
				r.Sequences[fmt.Sprintf("enb%d/mme%d", e.idx, l.mme)] = l.trace.records()
			}
		}
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.Tester = TesterStats{HeapBytes: ms.HeapAlloc, Goroutines: runtime.NumGoroutine(), Workers: len(s.workers)}
	r.ExpectationsFailed = append([]string{}, s.evaluate(r)...) // [] rather than null in JSON
	r.Passed = len(r.ExpectationsFailed) == 0
	return r
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteSummary writes the summary table: per procedure attempts,
// successes, failures by cause and latency percentiles, then the verdict.
func (r *Report) WriteSummary(w io.Writer) error {
	fmt.Fprintf(w, "scenario %s: %d UEs, %d eNodeBs, MMEs %s (%s), %.1f s", r.Scenario, r.UEs, r.ENBs,
		strings.Join(r.MMEs, ","), r.Transport, r.DurationS)
	if r.AttachRatePerS > 0 {
		fmt.Fprintf(w, ", attach rate %.0f/s", r.AttachRatePerS)
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "procedure\tattempts\tsuccesses\tfailures\tp50 ms\tp90 ms\tp99 ms\tp99.9 ms\tmax ms\trate/s\t")
	names := make([]string, 0, len(r.Procedures))
	for n := range r.Procedures {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		pi, _ := ParseProcedure(names[i])
		pj, _ := ParseProcedure(names[j])
		return pi < pj
	})
	for _, n := range names {
		p := r.Procedures[n]
		l := p.LatencyMS
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t%.2f\t%.2f\t%.0f\t\n", n, p.Attempts, p.Successes, p.Failures,
			l.P50, l.P90, l.P99, l.P999, l.Max, p.RatePerS)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, n := range names {
		p := r.Procedures[n]
		for _, c := range sortedCauses(p.FailuresByCause) {
			fmt.Fprintf(w, "  %s failure %s: %d\n", n, c, p.FailuresByCause[c])
		}
		if p.InProgress > 0 {
			fmt.Fprintf(w, "  %s still in progress: %d\n", n, p.InProgress)
		}
	}
	if len(r.Anomalies) > 0 {
		kinds := make([]string, 0, len(r.Anomalies))
		for k := range r.Anomalies {
			kinds = append(kinds, k)
		}
		sort.Strings(kinds)
		fmt.Fprintln(w, "anomalies:")
		for _, k := range kinds {
			fmt.Fprintf(w, "  %s: %d\n", k, r.Anomalies[k])
		}
	}
	if r.Passed {
		fmt.Fprintln(w, "PASS: every expectation held")
		return nil
	}
	fmt.Fprintln(w, "FAIL:")
	for _, e := range r.ExpectationsFailed {
		fmt.Fprintln(w, "  "+e)
	}
	return nil
}
