package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lte-mme/mme/loadtest"
	"github.com/lte-mme/mme/s1ap/transport"
)

var conformancePending = flag.Bool("conformance.pending", false,
	"run the scenarios marked pending (MME procedures of issue #9) instead of reporting them")

// TestMain removes the binary the lab tests built once (loadtestBinary).
func TestMain(m *testing.M) {
	code := m.Run()
	if ltBin != "" {
		os.RemoveAll(filepath.Dir(ltBin))
	}
	os.Exit(code)
}

// labOptions configure a test lab: the subscribers, extra `mme hss`
// flags, and the MME's PLMN, TACs and algorithm priorities.
type labOptions struct {
	subscribersCSV string   // HSS CSV; empty: generated ones
	subscribers    int      // how many to generate (at least 16)
	hssArgs        []string // e.g. --fixed-rand
	plmn           string   // default 00101
	tacs           []int    // default 1-4
	integrity      []string // default EIA2, EIA1
	ciphering      []string // default EEA2, EEA0
	noIMEISV       bool     // SECURITY MODE COMMAND without the IMEISV request
	taiListCurrent bool     // nas.tai_list: current (per-TA TAI lists)
}

// testLab is `mme hss`, `mme sgw-emu` and `mme serve` running as separate
// processes on loopback (the demo's lab, with the test binary).
type testLab struct {
	*demoLab
	subs     []loadtest.Subscriber
	s1       netip.AddrPort
	adminURL string // the MME's HTTP endpoint
	sgwAdmin string
}

// startLab starts the lab and stops it at the end of the test.
func startLab(t *testing.T, o labOptions) *testLab {
	t.Helper()
	bin := loadtestBinary(t)
	dir := t.TempDir()
	csv := o.subscribersCSV
	if csv == "" {
		var b bytes.Buffer
		if err := loadtest.GenerateSubscribersCSV(&b, max(16, o.subscribers), loadtest.DefaultIMSIStart, 7); err != nil {
			t.Fatal(err)
		}
		csv = b.String()
	}
	csvPath := filepath.Join(dir, "subscribers.csv")
	if err := os.WriteFile(csvPath, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	subs, err := loadtest.ReadSubscribersCSV(strings.NewReader(csv))
	if err != nil {
		t.Fatal(err)
	}
	l := &testLab{demoLab: &demoLab{exe: bin, dir: dir, stderr: io.Discard}, subs: subs}
	t.Cleanup(func() {
		l.stop()
		if t.Failed() {
			for _, n := range []string{"hss", "sgw-emu", "mme"} {
				t.Logf("%s.log (tail):\n%s", n, tailFile(filepath.Join(dir, n+".log"), 25))
			}
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	hss, err := l.spawn(ctx, "hss", 30*time.Second, "hss ready", append([]string{"hss",
		"--diameter-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "hss-data"),
		"--import-csv", csvPath, "--log-level", "warn"}, o.hssArgs...)...)
	if err != nil {
		t.Fatal(err)
	}
	sgw, err := l.spawn(ctx, "sgw-emu", 30*time.Second, "sgw-emu ready", "sgw-emu", "--s11-listen", "127.0.0.1:0",
		"--admin-listen", "127.0.0.1:0", "--log-level", "warn", "--echo-interval", "-1s")
	if err != nil {
		t.Fatal(err)
	}
	l.sgwAdmin = "http://" + sgw["admin"]
	cfg := filepath.Join(dir, "mme.yaml")
	if err := os.WriteFile(cfg, []byte(labConfig(o, sgw["s11"], hss["diameter"])), 0o600); err != nil {
		t.Fatal(err)
	}
	mme, err := l.spawn(ctx, "mme", 30*time.Second, "mme ready ", "serve", "--config", cfg)
	if err != nil {
		t.Fatal(err)
	}
	if l.s1, err = netip.ParseAddrPort(mme["s1"]); err != nil {
		t.Fatalf("mme readiness line: s1=%q: %v", mme["s1"], err)
	}
	l.demoLab.mmeHTTP = mme["http"]
	l.adminURL = "http://" + mme["http"]
	if err := l.waitReady(ctx, 30*time.Second); err != nil {
		t.Fatal(err)
	}
	return l
}

// labConfig is the MME's YAML for a test lab (node.Config).
func labConfig(o labOptions, sgw, hss string) string {
	plmn := o.plmn
	if plmn == "" {
		plmn = "00101"
	}
	tacs := o.tacs
	if len(tacs) == 0 {
		tacs = []int{1, 2, 3, 4}
	}
	var tais []string
	for _, t := range tacs {
		tais = append(tais, fmt.Sprintf("{tac: %d}", t))
	}
	list := func(v []string, def string) string {
		if len(v) == 0 {
			return def
		}
		return "[" + strings.Join(v, ", ") + "]"
	}
	return fmt.Sprintf(`name: mme-test
plmn: %q
tais: [%s]
s1: {listen: [127.0.0.1], transport: udp, udp_port: 0}
s11: {local: "127.0.0.1:0", sgw: %q, echo_interval: 0s}
s6a: {peers: [%q]}
security: {integrity: %s, ciphering: %s, request_imeisv: %t}
nas: {t3450: 1s, t3460: 1s, t3470: 1s, t3422: 1s, tai_list: %s}
store: {dir: memory}
http: {listen: "127.0.0.1:0"}
log: {level: info}
`, plmn, strings.Join(tais, ", "), sgw, hss, list(o.integrity, "[EIA2, EIA1]"), list(o.ciphering, "[EEA2, EEA0]"), !o.noIMEISV,
		map[bool]string{false: "served", true: "current"}[o.taiListCurrent])
}

// run runs a scenario against the lab's MME with the tester in process.
func (l *testLab) run(t *testing.T, sc *loadtest.Scenario, during func(ctx context.Context)) *loadtest.Report {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cfg := loadtest.Config{Targets: []netip.AddrPort{l.s1}, Transport: transport.ModeUDP, Scenario: sc,
		Subscribers: l.subs, Trigger: loadtest.SGWAdmin{BaseURL: l.sgwAdmin}, Trace: true, Seed: 1}
	done := make(chan struct{})
	if during != nil {
		go func() {
			defer close(done)
			during(ctx)
		}()
	} else {
		close(done)
	}
	r, err := loadtest.Run(ctx, cfg)
	<-done
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// requireReport fails the test with the summary and the traced sequences
// when an expectation of the scenario did not hold.
func requireReport(t *testing.T, r *loadtest.Report) {
	t.Helper()
	if r.Passed {
		return
	}
	var b bytes.Buffer
	_ = r.WriteSummary(&b)
	seq, _ := json.MarshalIndent(r.Sequences, "", " ")
	if len(seq) > 6000 {
		seq = append(seq[:6000], "..."...)
	}
	t.Fatalf("scenario %s failed against mme serve:\n%s\nsequences: %s", r.Scenario, b.String(), seq)
}

// adminSubscriber reads GET /subscribers/{imsi} of the MME's admin API.
func (l *testLab) adminSubscriber(ctx context.Context, imsi string) (map[string]any, error) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, l.adminURL+"/subscribers/"+imsi, nil)
	rsp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer rsp.Body.Close()
	if rsp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET /subscribers/%s: %s", imsi, rsp.Status)
	}
	var v map[string]any
	return v, json.NewDecoder(rsp.Body).Decode(&v)
}

// conformanceCases maps issue #7's conformance list to the named
// scenarios of loadtest/scenarios (each names the third-party test it
// mirrors).
var conformanceCases = []struct{ test, scenario string }{
	{"S1SetupAccepted", "s1ap-setup"},
	{"S1SetupUnknownPLMNRejected", "s1ap-setup-wrong-tac"},
	{"S1SetupForeignGlobalENBIDPLMNAccepted", "s1ap-setup-foreign-enb-plmn"},
	{"AttachByIMSI", "attach-imsi"},
	{"AttachUnknownGUTIWithIdentity", "attach-unknown-guti"},
	{"AuthenticationMACFailure", "auth-mac-failure"},
	{"AuthenticationSynchFailureResync", "auth-sync-failure"},
	{"InitialContextSetupFailure", "ics-failure"},
	{"DetachUENormal", "attach-detach"},
	{"DetachUESwitchOff", "detach-switch-off"},
	{"S1ResetWithUEAttached", "reset-attached-ue"},
	{"ReattachOfAttachedUE", "reattach-attached-ue"},
	{"AttachNoEmergencySupport", "attach-no-emergency"},
}

// TestConformance runs every named scenario of the library against `mme
// serve` with `mme hss` and `mme sgw-emu`, all separate processes on
// loopback: first issue #7's list under the names of what they check, then
// the rest of the library under its scenario names. A scenario of an MME
// procedure not implemented yet (issue #9, mobility) is reported by name
// with its reason.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the lab as processes")
	}
	covered := map[string]bool{}
	runNamed := func(t *testing.T, name string) {
		sc, err := loadtest.LoadScenario(name)
		if err != nil {
			t.Fatal(err)
		}
		if sc.Pending != "" && !*conformancePending {
			t.Skipf("%s (%s): the MME does not implement it yet: %s", name, sourceName(sc), sc.Pending)
		}
		if sc.UEs > 100 {
			if err := sc.Apply(loadtest.Overrides{UEs: 100, Rate: 500, Hold: 200 * time.Millisecond, Duration: 3 * time.Second}); err != nil {
				t.Fatal(err)
			}
		}
		l := startLab(t, labOptions{subscribers: sc.UEs, taiListCurrent: tauAfterHandover(sc)})
		requireReport(t, l.run(t, sc, nil))
	}
	for _, c := range conformanceCases {
		covered[c.scenario] = true
		t.Run(c.test, func(t *testing.T) { runNamed(t, c.scenario) })
	}
	t.Run("DetachNetworkInitiated", func(t *testing.T) { testNetworkDetach(t) })
	for _, name := range loadtest.NamedScenarios() {
		if covered[name] {
			continue
		}
		t.Run("Library/"+name, func(t *testing.T) { runNamed(t, name) })
	}
}

// tauAfterHandover reports whether a scenario expects the TAU that follows a
// handover into another TA (TS 23.401 §5.5.1.1.2 step 9): its MME gives
// per-TA TAI lists, so that the target's TA is outside the UE's list.
func tauAfterHandover(sc *loadtest.Scenario) bool {
	var ho, tau bool
	for _, r := range sc.Requires {
		ho = ho || r == "x2_handover" || r == "s1_handover"
		tau = tau || r == "tau"
	}
	return ho && tau
}

func sourceName(sc *loadtest.Scenario) string {
	if sc.Source == nil {
		return "no third-party source"
	}
	return sc.Source.Suite + " " + sc.Source.Test
}

// testNetworkDetach: UEs attach; the operator detaches them through the
// MME's admin API (POST /subscribers/{imsi}/detach, TS 23.401 §5.3.8.3);
// each UE gets DETACH REQUEST, answers DETACH ACCEPT and ends
// EMM-DEREGISTERED.
func testNetworkDetach(t *testing.T) {
	const ues = 2
	sc, err := loadtest.ParseScenario([]byte(`
name: network-detach
description: network-initiated detach from the MME's admin API
requires: [s1_setup, attach]
network: {enbs: 1, cells_per_enb: 1, tacs: [1]}
ues: 2
profiles: [{retry: false}]
phases:
  - {procedure: attach}
  - {wait: 3s}
expect:
  procedures: {attach: {successes: all}}
  states: {EMM-DEREGISTERED: all}
  ue_sequence:
    - {dir: ul, s1ap: InitialUEMessage, nas: AttachRequest}
    - {dir: dl, nas: AuthenticationRequest}
    - {dir: ul, nas: AuthenticationResponse}
    - {dir: dl, nas: SecurityModeCommand}
    - {dir: ul, nas: SecurityModeComplete}
    - {dir: dl, s1ap: InitialContextSetupRequest, nas: AttachAccept}
    - {dir: ul, s1ap: InitialContextSetupResponse}
    - {dir: ul, nas: AttachComplete}
    - {dir: dl, nas: DetachRequestUETerminated, ies: {detach_type: "2"}}
    - {dir: ul, nas: DetachAccept}
  ignore: [EMMInformation, UECapabilityInfoIndication, ESMInformationRequest, ESMInformationResponse,
           UEContextReleaseCommand, UEContextReleaseComplete]
`), "network-detach")
	if err != nil {
		t.Fatal(err)
	}
	l := startLab(t, labOptions{})
	detached := make(chan error, 1)
	r := l.run(t, sc, func(ctx context.Context) {
		detached <- l.detachWhenRegistered(ctx, ues)
	})
	if err := <-detached; err != nil {
		t.Fatal(err)
	}
	requireReport(t, r)
}

// detachWhenRegistered waits until the first n subscribers are
// EMM-REGISTERED at the MME, then asks for their detach.
func (l *testLab) detachWhenRegistered(ctx context.Context, n int) error {
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for i := 0; i < n; i++ {
		imsi := l.subs[i].IMSI
		for {
			v, err := l.adminSubscriber(ctx, imsi)
			if err == nil && registeredIdle(v) {
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("subscriber %s never registered at the MME (last: %v %v)", imsi, v, err)
			case <-tick.C:
			}
		}
		req, _ := http.NewRequestWithContext(ctx, http.MethodPost, l.adminURL+"/subscribers/"+imsi+"/detach", nil)
		rsp, err := http.DefaultClient.Do(req)
		if err != nil {
			return err
		}
		rsp.Body.Close()
		if rsp.StatusCode != http.StatusAccepted {
			return fmt.Errorf("POST /subscribers/%s/detach: %s", imsi, rsp.Status)
		}
	}
	return nil
}

// registeredIdle: the admin view says EMM-REGISTERED with no procedure
// running.
func registeredIdle(v map[string]any) bool {
	emm := fmt.Sprint(v["emm"])
	proc := fmt.Sprint(v["procedure"])
	return strings.Contains(emm, "REGISTERED") && !strings.Contains(emm, "DEREGISTERED") &&
		(proc == "" || proc == "<nil>" || strings.EqualFold(proc, "none"))
}
