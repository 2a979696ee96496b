package loadtest_test

import (
	"strings"
	"testing"
	"time"

	"github.com/lte-mme/mme/loadtest"
)

// Every named scenario of the library passes against the test MME — the
// ones marked pending for our MME included (the test MME has their
// procedures) — so that the expected sequences and verdicts are known to
// be right before the MME is run against them. Each carries its source.
func TestNamedScenarios(t *testing.T) {
	names := loadtest.NamedScenarios()
	if len(names) < 25 {
		t.Fatalf("%d named scenarios, want the full library", len(names))
	}
	subs := subscribers(t, 1000)
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			sc, err := loadtest.LoadScenario(name)
			if err != nil {
				t.Fatal(err)
			}
			if sc.Description == "" || len(sc.Requires) == 0 && sc.Name != "demo" {
				t.Errorf("scenario %s lacks a description or its required procedures", name)
			}
			if sc.Source == nil || sc.Source.Suite == "" || sc.Source.Test == "" {
				t.Errorf("scenario %s does not name the test it mirrors (source)", name)
			}
			if sc.Name != name {
				t.Errorf("file %s names itself %q", name, sc.Name)
			}
			if sc.UEs > 200 {
				// The load scenarios at test scale.
				if err := sc.Apply(loadtest.Overrides{UEs: 200, Duration: 2 * time.Second, Rate: 2000}); err != nil {
					t.Fatal(err)
				}
			}
			cfg := mmeCfg()
			cfg.SingleTAIList = true
			m := startMME(t, cfg, subs)
			r := runCfg(t, loadtest.Config{Scenario: sc, Subscribers: subs, Trigger: mmeTrigger{m}}, m)
			requirePassed(t, r)
		})
	}
}

// Parsing: every error names the file and the field; unknown fields are
// refused.
func TestScenarioErrors(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"name: x\nphases: [{procedure: atach}]", "phases[0].procedure"},
		{"name: x\nphases: [{procedure: attach, mix: {detach: 1}}]", "phases[0].procedure"},
		{"name: x\nphases: [{mix: {detach: 1}}]", "phases[0].duration"},
		{"name: x\nprofiles: [{identity: tmsi}]", "profiles[0].identity"},
		{"name: x\nprofiles: [{eia: []}]", "profiles[0].eia"},
		{"name: x\nnetwork: {plmn: \"0010\"}", "network.plmn"},
		{"name: x\nnetwork: {tacs: [70000]}", "network.tacs"},
		{"name: x\nnetwork: {paging_drx: 100}", "network.paging_drx"},
		{"name: x\nues: -1", "ues"},
		{"name: x\ntimers: {T9999: 1s}", "timers.T9999"},
		{"name: x\nexpect: {procedures: {atach: {}}}", "expect.procedures"},
		{"name: x\nexpect: {ue_sequence: [{dir: up, s1ap: X}]}", "dir"},
		{"name: x\nphasez: []", "field phasez not found"},
		{"name: x\nphases: [{procedure: attach, ramp: soon}]", "invalid duration \"soon\""},
	} {
		_, err := loadtest.ParseScenario([]byte(tc.yaml), "t.yaml")
		if err == nil || !containsAll(err.Error(), "t.yaml", tc.want) {
			t.Errorf("%q: error %v, want one naming t.yaml and %q", tc.yaml, err, tc.want)
		}
	}
	if _, err := loadtest.LoadScenario("no-such-scenario"); err == nil || !containsAll(err.Error(), "attach-imsi") {
		t.Errorf("unknown name: %v (want the library listed)", err)
	}
}

func containsAll(s string, subs ...string) bool {
	for _, x := range subs {
		if !strings.Contains(s, x) {
			return false
		}
	}
	return true
}
