package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/lte-mme/mme/lab/hss"
	"github.com/lte-mme/mme/loadtest"
	"github.com/lte-mme/mme/loadtest/mmetest"
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap/transport"
	"github.com/lte-mme/mme/s6a/peer"
)

var (
	ltBinOnce sync.Once
	ltBin     string
	ltBinErr  error
)

// loadtestBinary builds the mme binary once for the loadtest tests.
func loadtestBinary(t *testing.T) string {
	t.Helper()
	ltBinOnce.Do(func() {
		dir, err := os.MkdirTemp("", "mme-loadtest-bin")
		if err != nil {
			ltBinErr = err
			return
		}
		ltBin = filepath.Join(dir, "mme")
		out, err := exec.Command("go", "build", "-o", ltBin, ".").CombinedOutput()
		if err != nil {
			ltBinErr = errors.New(string(out))
		}
	})
	if ltBinErr != nil {
		t.Fatalf("go build: %v", ltBinErr)
	}
	return ltBin
}

// testMMEListen starts the test MME (loadtest/mmetest) on a loopback
// SCTP-over-UDP endpoint for the subscribers of csvPath.
func testMMEListen(t *testing.T, csvPath string) (*mmetest.MME, netip.AddrPort) {
	t.Helper()
	f, err := os.Open(csvPath)
	if err != nil {
		t.Fatal(err)
	}
	subs, err := loadtest.ReadSubscribersCSV(f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	var ms []mmetest.Subscriber
	for _, s := range subs {
		ms = append(ms, mmetest.Subscriber{IMSI: s.IMSI, K: s.K, OPc: s.OPc, SQN: s.SQN})
	}
	plmn, _ := nas.ParsePLMNID("00101")
	m := mmetest.New(mmetest.Config{PLMN: plmn, TACs: []uint16{1, 2}, MMEGI: 0x8001, MMEC: 1}, ms)
	tc := transport.DefaultConfig()
	tc.Mode = transport.ModeUDP
	tc.LocalAddrs = []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	tc.UDPPort = 0
	tc.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ep, err := transport.NewEndpoint(tc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	if err := ep.Listen(m); err != nil {
		t.Fatal(err)
	}
	return m, ep.ListenAddrs()[0]
}

// `mme loadtest gen-subscribers` writes a CSV the lab HSS imports and the
// tester reads back: same IMSIs, distinct keys, reproducible with --seed.
func TestLoadtestGenSubscribers(t *testing.T) {
	bin := loadtestBinary(t)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.csv"), filepath.Join(dir, "b.csv")
	for _, out := range []string{a, b} {
		if o, err := exec.Command(bin, "loadtest", "gen-subscribers", "--count", "500", "--out", out,
			"--imsi-start", "001010000100000", "--seed", "9").CombinedOutput(); err != nil {
			t.Fatalf("gen-subscribers: %v\n%s", err, o)
		}
	}
	ab, _ := os.ReadFile(a)
	bb, _ := os.ReadFile(b)
	if !bytes.Equal(ab, bb) {
		t.Error("the same --seed wrote different files")
	}
	subs, err := loadtest.ReadSubscribersCSV(bytes.NewReader(ab))
	if err != nil || len(subs) != 500 || subs[0].IMSI != "001010000100000" || subs[499].IMSI != "001010000100499" {
		t.Fatalf("read back %d subscribers (%v), first %+v", len(subs), err, subs)
	}
	keys := map[[16]byte]bool{}
	for _, s := range subs {
		if keys[s.K] || keys[s.OPc] {
			t.Fatal("a key repeats")
		}
		keys[s.K], keys[s.OPc] = true, true
	}
	h, err := hss.Open(hss.Config{DataDir: filepath.Join(dir, "hssdb"), Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Identity: peer.Identity{OriginHost: "hss.test", OriginRealm: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if n, err := h.ImportCSV(bytes.NewReader(ab)); err != nil || n != 500 {
		t.Fatalf("the lab HSS imported %d subscribers: %v", n, err)
	}
}

// `mme loadtest` against the test MME: exit status 0, the summary on
// standard output, the JSON report with the keys `mme demo` reads, the HTML
// plot; and exit status 1 when an expectation fails.
func TestLoadtestCommand(t *testing.T) {
	bin := loadtestBinary(t)
	dir := t.TempDir()
	csv := filepath.Join(dir, "subs.csv")
	if o, err := exec.Command(bin, "loadtest", "gen-subscribers", "--count", "300", "--out", csv, "--seed", "3").CombinedOutput(); err != nil {
		t.Fatalf("gen-subscribers: %v\n%s", err, o)
	}
	m, addr := testMMEListen(t, csv)
	report, plot := filepath.Join(dir, "r.json"), filepath.Join(dir, "p.html")
	cmd := exec.Command(bin, "loadtest", "--target", addr.String(), "--transport", "udp", "--scenario", "demo",
		"--subscribers", csv, "--ues", "300", "--enbs", "4", "--rate", "3000", "--tac", "1,2",
		"--report", report, "--plot", plot, "--metrics", "127.0.0.1:0")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("mme loadtest: %v\nstdout:\n%s\nstderr:\n%s", err, stdout.String(), stderr.String())
	}
	if !strings.Contains(stdout.String(), "PASS") || !strings.Contains(stdout.String(), "attach") {
		t.Errorf("summary:\n%s", stdout.String())
	}
	if got := m.Count("AttachComplete"); got != 300 {
		t.Errorf("MME completed %d attaches, want 300", got)
	}
	var r struct {
		UEs        int     `json:"ues"`
		ENBs       int     `json:"enbs"`
		DurationS  float64 `json:"duration_s"`
		AttachRate float64 `json:"attach_rate_per_s"`
		Procedures map[string]struct {
			Attempts, Successes, Failures *int
			FailuresByCause               map[string]int     `json:"failures_by_cause"`
			LatencyMS                     map[string]float64 `json:"latency_ms"`
		} `json:"procedures"`
		Throughput []struct {
			TS        *float64           `json:"t_s"`
			Completed map[string]float64 `json:"completed_per_s"`
		} `json:"throughput"`
		ExpectationsFailed []string `json:"expectations_failed"`
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	if r.UEs != 300 || r.ENBs != 4 || r.DurationS <= 0 || r.AttachRate <= 0 || r.ExpectationsFailed == nil || len(r.ExpectationsFailed) != 0 {
		t.Errorf("report header: %+v", r)
	}
	for _, p := range []string{"attach", "detach"} {
		pr, ok := r.Procedures[p]
		if !ok || pr.Attempts == nil || *pr.Successes != 300 || *pr.Failures != 0 || pr.FailuresByCause == nil {
			t.Errorf("report procedures.%s: %+v", p, pr)
		}
		for _, q := range []string{"p50", "p90", "p99", "p999", "max"} {
			if _, ok := pr.LatencyMS[q]; !ok {
				t.Errorf("report procedures.%s.latency_ms has no %s", p, q)
			}
		}
	}
	if len(r.Throughput) == 0 || r.Throughput[0].TS == nil {
		t.Errorf("report throughput: %+v", r.Throughput)
	}
	if h, err := os.ReadFile(plot); err != nil || !bytes.Contains(h, []byte("<svg")) {
		t.Errorf("plot: %v", err)
	}

	// An expectation that cannot hold: exit status 1.
	sc := filepath.Join(dir, "fail.yaml")
	os.WriteFile(sc, []byte("name: fail\nues: 5\nphases: [{procedure: attach}]\nexpect: {procedures: {attach: {successes: \"6\"}}}\n"), 0o644)
	cmd = exec.Command(bin, "loadtest", "--target", addr.String(), "--transport", "udp", "--scenario", sc,
		"--subscribers", csv, "--quiet", "--tac", "1")
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 || !strings.Contains(string(out), "attach: 5 successes, want 6") {
		t.Errorf("failing expectation: %v\n%s", err, out)
	}
	// A bad scenario: exit status 2 naming the field.
	os.WriteFile(sc, []byte("name: bad\nphases: [{procedure: atach}]\n"), 0o644)
	out, err = exec.Command(bin, "loadtest", "--target", addr.String(), "--scenario", sc).CombinedOutput()
	if !errors.As(err, &ee) || ee.ExitCode() != 2 || !strings.Contains(string(out), "phases[0].procedure") {
		t.Errorf("bad scenario: %v\n%s", err, out)
	}
}
