package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lte-mme/mme/supervision"
)

var (
	chaosUEs = flag.Int("chaos.ues", 10000, "UEs of TestChaosFaultInjectionUnderLoad (10,000 at 1,000/s: 10 s of attaches)")
	chaosDir = flag.String("chaos.dir", "", "keep TestChaosFaultInjectionUnderLoad's lab directory here (logs, loadtest report, store) instead of a temporary one")
)

// chaosFailureCauses are the only ways a crashed subscriber's procedure
// fails towards the UE: its attach rejected (#17 network failure, the
// restarted machine failing the procedure), its connection released (the
// restart releasing a connection the reloaded record does not know, or a
// detach completed locally before DETACH ACCEPT), or its lost message
// timing out in the UE (T3410).
var chaosFailureCauses = map[string]bool{
	"attach_reject:#17":                                    true,
	"released_during_attach:nas:unspecified":               true,
	"released_during_attach:nas:detach":                    true,
	"released_before_detach_accept":                        true,
	"error_indication:radioNetwork:unknown-mme-ue-s1ap-id": true,
	// A lost uplink message on a connection the restarted machine still
	// holds: the UE's guard timer ends the attempt, then it retries.
	"T3410_expiry": true,
}

// TestChaosFaultInjectionUnderLoad is issue #8's acceptance: fault
// injection at 100 crashes/s in `mme serve` during 1,000 attaches/s (the
// lab as processes, real sockets, `mme demo --chaos 100`). The MME process
// never dies; the only procedures that fail are crashed subscribers' (every
// failure has a crash's cause and there are no more failures than crashes);
// their UEs' retries succeed (every UE attaches); every UE ends detached
// except at most those whose detach a crash completed locally; the crash
// reports `mme ctl crashes` lists (the real subcommand against the live
// node) are exactly as many as the node's crash metric counts, all
// injected, each on a different subscriber, and nobody was quarantined.
//
// The random rate crashes a subscriber at most once per restart-intensity
// period (supervision.FaultInjector.SpareFor): a constant rate otherwise
// concentrates on the few UEs still busy when the load ebbs, crashes their
// every retry, and a UE whose five attempts failed waits T3402 (12 min,
// TS 24.301 §5.5.1.2.6) — the flake that kept one UE of 10,000 unattached
// in 2 of 3 CI runs (docs/design/supervision.md). The run takes about 40 s
// (10 s of attaches, 8 s of retry window, 10 s of detaches).
func TestChaosFaultInjectionUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the lab as processes under load")
	}
	bin := loadtestBinary(t)
	dir := t.TempDir()
	if *chaosDir != "" {
		dir = *chaosDir
	}
	run := filepath.Join(dir, "run")
	report := filepath.Join(dir, "demo.json")
	ues := *chaosUEs
	cmd := exec.Command(bin, "demo", "--ues", strconv.Itoa(ues), "--enbs", "10", "--rate", "1000", "--chaos", "100",
		"--hold", "1s", "--keep-running", "--dir", run, "--report", report, "--quiet",
		"--start-timeout", "60s", "--run-timeout", "240s")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGINT)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	waitForWithin(t, 300*time.Second, "the demo's report (the lab then keeps running)", exited, func() bool {
		_, err := os.Stat(report)
		return err == nil
	})
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var r DemoReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	summary := tailString(out.String(), 30)
	c := r.Chaos
	if c == nil {
		t.Fatalf("report without its chaos part: %s", b)
	}

	// The MME never died: the process that started is still running.
	pidB, err := os.ReadFile(filepath.Join(run, "mme.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(pidB)))
	if !c.Survived || c.PID != pid || !processAlive(pid) {
		t.Fatalf("the MME did not survive: %+v (pid file %d)\n%s", c, pid, summary)
	}
	if c.Injected < 100 || c.OtherCrashes != 0 {
		t.Errorf("injected %d crashes (want at least 100 at 100/s over 10 s of load), %d crashes of other reasons", c.Injected, c.OtherCrashes)
	}

	// Only crashed subscribers' procedures failed, and their retries
	// succeeded.
	var failures uint64
	for name, p := range r.Procedures {
		failures += p.Failures
		if p.InProgress > 0 {
			t.Errorf("%s: %d still in progress", name, p.InProgress)
		}
		for cause, n := range p.FailuresByCause {
			if !chaosFailureCauses[cause] {
				t.Errorf("%s failed %d times with %q, not a crash's cause", name, n, cause)
			}
		}
	}
	if failures > c.Injected {
		t.Errorf("%d procedure failures, more than the %d crashes", failures, c.Injected)
	}
	if p := r.Procedures["attach"]; p == nil || p.Successes != uint64(ues) {
		t.Errorf("attach: %+v, want %d successes (every UE's retry succeeds)\n%s", p, ues, summary)
	}
	// Every UE ends detached, except UEs whose detach a crash ended locally
	// in the MME before DETACH ACCEPT (the tester then keeps them
	// registered): the shortfall is at most the detach failures.
	for _, f := range r.Failures {
		var got, want int
		if n, _ := fmt.Sscanf(f, "UEs in EMM-DEREGISTERED: %d, want %d", &got, &want); n == 2 {
			if d := r.Procedures["detach"]; d == nil || uint64(want-got) > d.Failures {
				t.Errorf("%s: more than the crashed detaches", f)
			}
			continue
		}
		if f == "loadtest exit status 1" {
			continue // the line above, as the tester's exit status
		}
		t.Errorf("demo failure: %s", f)
	}

	// mme ctl crashes (the real subcommand) against the live node lists
	// as many reports as the node's crash metric counts, all injected.
	mmeHTTP := readyField(t, filepath.Join(run, "mme.log"), "http")
	admin := "http://" + mmeHTTP
	ctl := exec.Command(bin, "ctl", "crashes", "--json", "--admin", admin)
	js, err := ctl.Output()
	if err != nil {
		t.Fatalf("mme ctl crashes --json: %v", err)
	}
	var reps []supervision.CrashReport
	if err := json.Unmarshal(js, &reps); err != nil {
		t.Fatalf("mme ctl crashes --json: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	m, err := scrapeMetrics(ctx, http.DefaultClient, admin+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	crashMetric := m[`mme_actors_crashes_total{reason="fault-injection"}`]
	if float64(len(reps)) != crashMetric || crashMetric != m["mme_faults_injected_total"] || len(reps) == 0 {
		t.Errorf("mme ctl crashes lists %d reports; crash metric %v, injected %v", len(reps), crashMetric, m["mme_faults_injected_total"])
	}
	keys := map[string]bool{}
	for _, rep := range reps {
		if rep.Reason != supervision.ReasonFaultInjection || !strings.HasPrefix(rep.Key, "key-") || rep.Event == "" ||
			strings.Contains(rep.State, "imsi=001010") {
			t.Errorf("crash report %+v", rep)
			break
		}
		keys[rep.Key] = true
	}
	// Random subscribers, each crashed once in the run (it is shorter
	// than the restart-intensity period): none crashed often enough to be
	// quarantined.
	if len(keys) != len(reps) {
		t.Errorf("%d crash reports on %d subscribers: the random rate crashed some twice", len(reps), len(keys))
	}
	if q, ok := m["mme_actors_quarantines_total"]; !ok || q != 0 {
		t.Errorf("mme_actors_quarantines_total %v (exposed: %v), want 0", q, ok)
	}
	table, err := exec.Command(bin, "ctl", "crashes", "--limit", "3", "--admin", admin).Output()
	if err != nil || !strings.Contains(string(table), "fault-injection") || !strings.Contains(string(table), "3 crash reports") {
		t.Errorf("mme ctl crashes --limit 3: %v\n%s", err, table)
	}
	t.Logf("%d UEs, %d crashes injected, %d procedure failures; attach rate %.0f/s\n%s", ues, c.Injected, failures, r.AttachRatePerS, summary)
}

// waitForWithin is waitFor with its own bound.
func waitForWithin(t *testing.T, d time.Duration, what string, exited chan error, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case err := <-exited:
			t.Fatalf("waiting for %s: the process exited (%v)", what, err)
		case <-deadline.C:
			t.Fatalf("timed out after %v waiting for %s", d, what)
		case <-tick.C:
		}
	}
}

// readyField reads key=value of the readiness line in a process's log.
func readyField(t *testing.T, log, key string) string {
	t.Helper()
	b, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.Contains(line, " ready ") {
			if v := parseReadyLine(line)[key]; v != "" {
				return v
			}
		}
	}
	t.Fatalf("no %s= in the readiness line of %s", key, log)
	return ""
}
