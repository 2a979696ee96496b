package loadtest_test

import (
	"testing"
)

// Attach and detach of 40 UEs over two eNodeBs against the simulated MME,
// over real SCTP-over-UDP associations: every NAS MAC checked on both
// sides, K_eNB checked by the UE, the JSON report's procedures complete.
func TestAttachDetachOverS1(t *testing.T) {
	subs := subscribers(t, 40)
	m := startMME(t, mmeCfg(), subs)
	sc := scenario(t, `
name: attach-detach
network: {enbs: 2, cells_per_enb: 2, tacs: [1, 2]}
ues: 40
phases:
  - {procedure: attach, rate: 2000}
  - {wait: 50ms}
  - {procedure: detach, rate: 2000}
expect:
  procedures: {s1_setup: {successes: all}, attach: {successes: all}, detach: {successes: all}}
  states: {EMM-DEREGISTERED: all}
`)
	r := run(t, sc, subs, m)
	requirePassed(t, r)
	if got := m.Count("AttachComplete"); got != 40 {
		t.Errorf("the MME saw %d ATTACH COMPLETE, want 40", got)
	}
	if r.Procedures["attach"].LatencyMS.P50 <= 0 {
		t.Errorf("attach p50 %v: latency not recorded", r.Procedures["attach"].LatencyMS)
	}
}
