package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lte-mme/mme/loadtest"
)

// sigkillScenario: the UEs attach at 1,000/s (no retry: a UE whose attach
// the kill interrupted stays deregistered), the MME is killed and
// restarted meanwhile (by the test), the eNodeBs re-establish S1 with the
// restarted MME, then every UE the tester saw attached (registered, idle,
// with its security context and NAS COUNTs) sends SERVICE REQUEST.
const sigkillScenario = `name: sigkill-restart
description: attach load, SIGKILL and restart of mme serve, S1 re-established, service requests (issue #8)
source: {suite: lte-mme, test: "issue #8: SIGKILL", path: cmd/mme/sigkill_test.go}
requires: [s1_setup, attach, service_request]
network: {enbs: 4, cells_per_enb: 1, tacs: [1]}
timers: {T3410: 3s}
profiles: [{retry: false}]
ues: %d
phases:
  - {name: attach, procedure: attach, count: all, rate: 1000, settle: 10s}
  - {name: restart, wait: 1s}
  - {name: redial, procedure: s1_setup, redial: true}
  - {name: service, procedure: service_request, count: all, rate: 1000}
expect:
  procedures:
    s1_setup: {min_success_ratio: 0.01}
    attach: {min_success_ratio: 0.01}
    service_request: {min_success_ratio: 0.01}
`

// freePort returns a loopback port that was free a moment ago (the MME
// must come back on the same S1 and HTTP ports after the kill).
func freePort(t *testing.T, network string) int {
	t.Helper()
	switch network {
	case "udp":
		c, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		return c.LocalAddr().(*net.UDPAddr).Port
	default:
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		return l.Addr().(*net.TCPAddr).Port
	}
}

// TestSIGKILLRestartServiceRequest is issue #8's crash-consistency
// acceptance: `mme serve` is killed with SIGKILL in the middle of a load of
// attaches and restarted on the same store; the load tester (one process
// throughout, its UEs keeping their state) re-establishes S1 with it, and
// every subscriber it saw attached completes a service request — the
// restarted MME verifies the MAC with the NAS COUNTs it stored, and
// authenticates nobody (no Authentication-Information-Request) — exactly
// as many as the tester saw attached.
//
// The tester counts a UE attached when it sends ATTACH COMPLETE (TS 24.301
// §5.5.1.2.4: the UE is then EMM-REGISTERED). The kill falls among
// hundreds of attaches in flight, so some of those ATTACH COMPLETEs die
// with the process: the restarted MME holds such an attach (its record has
// ATTACH ACCEPT sent) and the UE's service request, verified with the
// attach's context, completes it (session/recovery.go). Before that, each
// of those UEs got SERVICE REJECT #10.
func TestSIGKILLRestartServiceRequest(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the lab as processes")
	}
	bin := loadtestBinary(t)
	const ues = 3000
	dir := t.TempDir()
	lab := &demoLab{exe: bin, dir: dir, stderr: io.Discard}
	defer lab.stop()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	subs := filepath.Join(dir, "subscribers.csv")
	if out, err := exec.Command(bin, "loadtest", "gen-subscribers", "--count", strconv.Itoa(ues), "--out", subs).CombinedOutput(); err != nil {
		t.Fatalf("gen-subscribers: %v: %s", err, out)
	}
	hss, err := lab.spawn(ctx, "hss", time.Minute, "hss ready", "hss", "--diameter-listen", "127.0.0.1:0",
		"--http-listen", "127.0.0.1:0", "--data-dir", filepath.Join(dir, "hss-data"), "--import-csv", subs, "--log-level", "warn")
	if err != nil {
		t.Fatal(err)
	}
	sgw, err := lab.spawn(ctx, "sgw-emu", time.Minute, "sgw-emu ready", "sgw-emu", "--s11-listen", "127.0.0.1:0",
		"--admin-listen", "127.0.0.1:0", "--log-level", "warn", "--echo-interval", "-1s")
	if err != nil {
		t.Fatal(err)
	}
	s1Port, httpPort := freePort(t, "udp"), freePort(t, "tcp")
	cfg := demoConfig(dir, demoOptions{Transport: "udp", Integrity: "EIA2,EIA1", Ciphering: "EEA2,EEA0"}, sgw["s11"], hss["diameter"])
	cfg = strings.Replace(cfg, "udp_port: 0", "udp_port: "+strconv.Itoa(s1Port), 1)
	cfg = strings.Replace(cfg, "http:\n  listen: 127.0.0.1:0", "http:\n  listen: 127.0.0.1:"+strconv.Itoa(httpPort), 1)
	cfgFile := filepath.Join(dir, "mme.yaml")
	if err := os.WriteFile(cfgFile, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	mme, err := lab.spawn(ctx, "mme", time.Minute, "mme ready ", "serve", "--config", cfgFile)
	if err != nil {
		t.Fatal(err)
	}
	lab.mmeHTTP = mme["http"]
	if err := lab.waitReady(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	admin := "http://" + lab.mmeHTTP

	scFile := filepath.Join(dir, "sigkill.yaml")
	if err := os.WriteFile(scFile, []byte(fmt.Sprintf(sigkillScenario, ues)), 0o644); err != nil {
		t.Fatal(err)
	}
	report := filepath.Join(dir, "loadtest.json")
	ltLog, err := os.Create(filepath.Join(dir, "loadtest.log"))
	if err != nil {
		t.Fatal(err)
	}
	defer ltLog.Close()
	lt := exec.Command(bin, "loadtest", "--target", mme["s1"], "--transport", "udp", "--scenario", scFile,
		"--subscribers", subs, "--report", report, "--quiet")
	lt.Stdout, lt.Stderr = ltLog, ltLog
	lt.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := lt.Start(); err != nil {
		t.Fatal(err)
	}
	ltDone := make(chan error, 1)
	go func() { ltDone <- lt.Wait() }()
	defer func() { _ = lt.Process.Kill() }()

	// SIGKILL once about a third of the UEs are attached (the MME's
	// gauge), with attaches still arriving.
	client := &http.Client{Timeout: 2 * time.Second}
	waitForWithin(t, 60*time.Second, "a third of the UEs attached", ltDone, func() bool {
		m, err := scrapeMetrics(ctx, client, admin+"/metrics")
		return err == nil && m["mme_ues_attached"] >= ues/3
	})
	p := lab.proc("mme")
	if err := p.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	<-p.done
	lab.mu.Lock()
	for i, q := range lab.procs {
		if q == p {
			lab.procs = append(lab.procs[:i], lab.procs[i+1:]...)
		}
	}
	lab.mu.Unlock()
	p.log.Close()

	// Restart on the same store and ports.
	if _, err := lab.spawn(ctx, "mme", time.Minute, "mme ready ", "serve", "--config", cfgFile); err != nil {
		t.Fatal(err)
	}
	if err := lab.waitReady(ctx, time.Minute); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-ltDone:
		if err != nil {
			t.Logf("loadtest exit: %v", err)
		}
	case <-time.After(3 * time.Minute):
		t.Fatal("loadtest did not finish in 3 minutes")
	}
	b, err := os.ReadFile(report)
	if err != nil {
		t.Fatalf("no loadtest report: %v\n%s", err, tailFile(ltLog.Name(), 30))
	}
	var r loadtest.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	att, sr := r.Procedures["attach"], r.Procedures["service_request"]
	if att == nil || att.Successes == 0 || att.Successes >= ues {
		t.Fatalf("attach: %+v: the kill did not fall in the middle of the load", att)
	}
	if sr == nil || sr.Successes != att.Successes || sr.Failures != 0 || sr.Attempts != att.Successes {
		t.Errorf("service requests %+v, want exactly %d successes (the UEs the tester saw attached)\n%s", sr, att.Successes, tailFile(ltLog.Name(), 30))
	}
	m, err := scrapeMetrics(ctx, client, admin+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if air := m[`mme_s6a_messages_total{direction="out",message="AIR"}`]; air != 0 {
		t.Errorf("the restarted MME sent %v Authentication-Information-Requests, want none (no new authentication)", air)
	}
	// The restarted MME starts no attach (the tester's attaches ended with
	// the kill): attaches it completed are those it recovered mid-way
	// (session/recovery.go): held ones, completed by their UE's service
	// request, and those whose ATTACH COMPLETE was stored, at recovery.
	t.Logf("%d of %d UEs attached before the kill; %d service requests after the restart; %v attaches completed by the restarted MME",
		att.Successes, ues, sr.Successes, m[`mme_procedure_successes_total{procedure="attach"}`])
}
