package loadtest

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// fatalAnomalies are anomalies that mean the MME broke a rule: any of them
// fails the run whatever the scenario expects.
var fatalAnomalies = []string{
	"s1ap: undecodable PDU",
	"nas: undecodable downlink",
	"nas: downlink integrity check failed",
	"nas: protected downlink message without a security context",
	"nas: unprotected ",
	"s1ap: UESecurityCapabilities differ",
}

// evaluate checks the scenario's expectations against the report.
func (s *Sim) evaluate(r *Report) []string {
	var bad []string
	ex := s.sc.Expect
	listed := ex.Procedures
	for name, p := range r.Procedures {
		if _, ok := listed[name]; ok {
			continue
		}
		if p.Failures > 0 || p.InProgress > 0 {
			bad = append(bad, fmt.Sprintf("%s: %d of %d attempts failed (%s), %d in progress",
				name, p.Failures, p.Attempts, causeList(p.FailuresByCause), p.InProgress))
		}
	}
	names := make([]string, 0, len(listed))
	for n := range listed {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		e := listed[name]
		p := r.Procedures[name]
		if p == nil {
			p = &ProcedureReport{FailuresByCause: map[string]uint64{}}
		}
		want := func(v string) (uint64, bool) {
			switch v {
			case "":
				return 0, false
			case "all":
				if name == ProcS1Setup.String() || name == ProcReset.String() {
					return uint64(len(s.enbs) * max(len(s.cfg.Targets), 1)), true
				}
				return uint64(len(s.ues)), true
			}
			n, _ := strconv.ParseUint(v, 10, 64)
			return n, true
		}
		okN, exactOK := want(e.Successes)
		failN, exactFail := want(e.Failures)
		switch {
		case exactOK || exactFail || e.MinSuccessRatio > 0 || len(e.Causes) > 0:
			if p.Attempts == 0 && !exactOK && !exactFail {
				bad = append(bad, name+": never attempted")
			}
			if exactOK && p.Successes != okN {
				bad = append(bad, fmt.Sprintf("%s: %d successes, want %d", name, p.Successes, okN))
			}
			if exactFail && p.Failures != failN {
				bad = append(bad, fmt.Sprintf("%s: %d failures (%s), want %d", name, p.Failures, causeList(p.FailuresByCause), failN))
			}
			if e.MinSuccessRatio > 0 && (p.Attempts == 0 || float64(p.Successes)/float64(p.Attempts) < e.MinSuccessRatio) {
				bad = append(bad, fmt.Sprintf("%s: %d of %d succeeded, want a ratio of at least %g", name, p.Successes, p.Attempts, e.MinSuccessRatio))
			}
		default:
			switch {
			case p.Attempts == 0:
				bad = append(bad, name+": never attempted")
			case p.Failures > 0 || p.Successes != p.Attempts:
				bad = append(bad, fmt.Sprintf("%s: %d of %d attempts succeeded (failures: %s; in progress %d)",
					name, p.Successes, p.Attempts, causeList(p.FailuresByCause), p.InProgress))
			}
		}
		if len(e.Causes) > 0 {
			for c, n := range p.FailuresByCause {
				if !matchAny(c, e.Causes) {
					bad = append(bad, fmt.Sprintf("%s: %d failures with cause %s, want one of %s", name, n, c, strings.Join(e.Causes, ", ")))
				}
			}
		}
		if e.P99MS > 0 && p.LatencyMS.P99 > e.P99MS {
			bad = append(bad, fmt.Sprintf("%s: p99 %.2f ms above %.2f ms", name, p.LatencyMS.P99, e.P99MS))
		}
	}
	for st, v := range ex.States {
		want := len(s.ues)
		if v != "all" {
			want, _ = strconv.Atoi(v)
		}
		if got := r.UEStates[st]; got != want {
			bad = append(bad, fmt.Sprintf("UEs in %s: %d, want %d", st, got, want))
		}
	}
	for k, n := range r.Anomalies {
		for _, f := range fatalAnomalies {
			if strings.HasPrefix(k, f) {
				bad = append(bad, fmt.Sprintf("protocol error by the MME: %s (%d times)", k, n))
			}
		}
	}
	ignore := map[string]bool{}
	for _, n := range ex.Ignore {
		ignore[n] = true
	}
	if len(ex.UESequence) > 0 {
		for i, t := range s.traces {
			if err := matchSequence(ex.UESequence, t.records(), ignore); err != nil {
				bad = append(bad, fmt.Sprintf("ue%d sequence: %v", i, err))
			}
		}
	}
	if len(ex.ENBSequence) > 0 {
		for _, e := range s.enbs {
			for _, l := range e.links {
				if err := matchSequence(ex.ENBSequence, l.trace.records(), ignore); err != nil {
					bad = append(bad, fmt.Sprintf("enb%d/mme%d sequence: %v", e.idx, l.mme, err))
				}
			}
		}
	}
	sort.Strings(bad)
	return bad
}

func causeList(m map[string]uint64) string {
	if len(m) == 0 {
		return "none"
	}
	var parts []string
	for _, c := range sortedCauses(m) {
		parts = append(parts, fmt.Sprintf("%s×%d", c, m[c]))
	}
	return strings.Join(parts, ", ")
}

// matchAny reports whether cause equals one of the patterns or starts with
// one ending in '*'.
func matchAny(cause string, patterns []string) bool {
	for _, p := range patterns {
		if p == cause || strings.HasSuffix(p, "*") && strings.HasPrefix(cause, strings.TrimSuffix(p, "*")) {
			return true
		}
	}
	return false
}

// matchSequence checks a trace against expected steps: every non-optional
// step must appear in order; a message that matches no step is allowed
// only when ignored by name.
func matchSequence(exp []Step, got []traceRec, ignore map[string]bool) error {
	i := 0
	for _, r := range got {
		j := i
		for j < len(exp) && !stepMatches(exp[j], r) && exp[j].Optional {
			j++
		}
		if j < len(exp) && stepMatches(exp[j], r) {
			i = j + 1
			continue
		}
		if ignore[r.NAS] || r.NAS == "" && ignore[r.S1AP] {
			continue
		}
		want := "the end"
		if i < len(exp) {
			want = exp[i].String()
		}
		return fmt.Errorf("got %s, want %s", r, want)
	}
	for ; i < len(exp); i++ {
		if !exp[i].Optional {
			return fmt.Errorf("missing %s", exp[i])
		}
	}
	return nil
}

func stepMatches(st Step, r traceRec) bool {
	if st.Dir != r.Dir || st.S1AP != "" && st.S1AP != r.S1AP || st.NAS != "" && st.NAS != r.NAS {
		return false
	}
	for k, v := range st.IEs {
		got, ok := r.IEs[k]
		if !ok {
			return false
		}
		match := false
		for _, alt := range strings.Split(v, "|") {
			match = match || alt == got
		}
		if !match {
			return false
		}
	}
	return true
}

// String renders a step like a trace record.
func (st Step) String() string {
	s := st.Dir + " " + st.S1AP
	if st.NAS != "" {
		s += "/" + st.NAS
	}
	if len(st.IEs) > 0 {
		s += fmt.Sprintf(" %v", st.IEs)
	}
	return s
}
