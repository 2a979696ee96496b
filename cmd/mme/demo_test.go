package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDemo runs `mme demo` as a process with a small lab: every procedure
// succeeds, the summary and the JSON report carry issue #7's keys, and the
// MME's memory was sampled while the UEs were attached.
func TestDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the lab as processes")
	}
	bin := loadtestBinary(t)
	dir := t.TempDir()
	report := filepath.Join(dir, "demo.json")
	cmd := exec.Command(bin, "demo", "--ues", "300", "--enbs", "3", "--rate", "1000", "--hold", "1500ms",
		"--dir", filepath.Join(dir, "run"), "--report", report, "--start-timeout", "30s", "--run-timeout", "60s")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := runBounded(cmd, 90*time.Second); err != nil {
		t.Fatalf("mme demo: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), tailString(stderr.String(), 40))
	}
	out := stdout.String()
	for _, want := range []string{"attach", "detach", "p50 ms", "p99 ms", "max ms", "attach rate", "B per attached UE", "PASS"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(stderr.String(), "run directory") || !strings.Contains(stderr.String(), "mme rss") {
		t.Errorf("stderr lacks the run directory or the progress line:\n%s", tailString(stderr.String(), 20))
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		UEs            *int     `json:"ues"`
		DurationS      *float64 `json:"duration_s"`
		AttachRatePerS *float64 `json:"attach_rate_per_s"`
		Procedures     map[string]struct {
			Attempts, Successes, Failures *uint64
			LatencyMS                     struct{ P50, P99, Max *float64 } `json:"latency_ms"`
		} `json:"procedures"`
		MME struct {
			RSSBytes    *uint64 `json:"rss_bytes"`
			AttachedUEs int64   `json:"attached_ues"`
		} `json:"mme"`
		Passed bool `json:"passed"`
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.UEs == nil || *r.UEs != 300 || r.DurationS == nil || *r.DurationS <= 0 || r.AttachRatePerS == nil || *r.AttachRatePerS <= 0 || !r.Passed {
		t.Errorf("report: %s", b)
	}
	for _, name := range []string{"attach", "detach"} {
		p, ok := r.Procedures[name]
		if !ok || p.Attempts == nil || *p.Attempts != 300 || *p.Successes != 300 || *p.Failures != 0 ||
			p.LatencyMS.P50 == nil || p.LatencyMS.P99 == nil || p.LatencyMS.Max == nil || *p.LatencyMS.Max < *p.LatencyMS.P50 {
			t.Errorf("report procedure %s: %+v", name, p)
		}
	}
	if r.MME.RSSBytes == nil || *r.MME.RSSBytes == 0 || r.MME.AttachedUEs != 300 {
		t.Errorf("report mme: %s, want a sample with all 300 UEs attached\n%s", b, tailString(stderr.String(), 30))
	}
}

// TestDemoStopsChildren: with --keep-running the lab stays up after the
// report; Ctrl-C (SIGINT) ends the demo and every child; a demo killed
// outright (SIGKILL) takes its children with it (PR_SET_PDEATHSIG).
func TestDemoStopsChildren(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the lab as processes")
	}
	bin := loadtestBinary(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			dir := t.TempDir()
			run := filepath.Join(dir, "run")
			report := filepath.Join(dir, "demo.json")
			cmd := exec.Command(bin, "demo", "--ues", "20", "--enbs", "2", "--rate", "500", "--hold", "100ms",
				"--keep-running", "--dir", run, "--report", report, "--quiet")
			var out bytes.Buffer
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			defer func() {
				_ = cmd.Process.Kill()
			}()
			waitFor(t, "the demo's report (the lab then keeps running)", exited, func() bool {
				_, err := os.Stat(report)
				return err == nil
			})
			var pids []int
			for _, n := range []string{"hss", "sgw-emu", "mme"} {
				b, err := os.ReadFile(filepath.Join(run, n+".pid"))
				if err != nil {
					t.Fatal(err)
				}
				pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
				if err != nil {
					t.Fatal(err)
				}
				if !processAlive(pid) {
					t.Fatalf("%s (pid %d) not running with --keep-running", n, pid)
				}
				pids = append(pids, pid)
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			select {
			case err := <-exited:
				if sig == syscall.SIGINT && err != nil {
					t.Errorf("demo after Ctrl-C: %v (want exit 0: the run passed)\n%s", err, tailString(out.String(), 30))
				}
			case <-time.After(30 * time.Second):
				t.Fatal("the demo did not end")
			}
			for _, pid := range pids {
				waitFor(t, "child "+strconv.Itoa(pid)+" to end", nil, func() bool { return !processAlive(pid) })
			}
		})
	}
}

// processAlive: the process exists and is not a zombie.
func processAlive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) state ...
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// waitFor polls cond every 20 ms for up to 60 s; exited (if not nil)
// fails the wait when the process ends first.
func waitFor(t *testing.T, what string, exited chan error, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(60 * time.Second)
	defer deadline.Stop()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for !cond() {
		select {
		case err := <-exited:
			t.Fatalf("waiting for %s: the demo exited (%v)", what, err)
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		case <-tick.C:
		}
	}
}

// runBounded runs cmd, killing it after d.
func runBounded(cmd *exec.Cmd, d time.Duration) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		_ = cmd.Process.Kill()
		<-done
		return errors.New("timed out after " + d.String())
	}
}

func tailString(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
