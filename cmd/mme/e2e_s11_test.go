package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/gtp/s11"
)

// sgwEmuProcess is `mme sgw-emu` running as a separate process.
type sgwEmuProcess struct {
	cmd            *exec.Cmd
	exited         chan error
	s11, admin     string
	restartCounter uint8
}

func startSGWEmu(t *testing.T, bin string, args ...string) *sgwEmuProcess {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"sgw-emu"}, args...)...)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &sgwEmuProcess{cmd: cmd, exited: make(chan error, 1)}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "sgw-emu ready ") {
				ready <- sc.Text()
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() { p.exited <- cmd.Wait() }()
	select {
	case line := <-ready:
		for _, f := range strings.Fields(line)[2:] {
			k, v, _ := strings.Cut(f, "=")
			switch k {
			case "s11":
				p.s11 = v
			case "admin":
				p.admin = v
			case "restart_counter":
				n, _ := strconv.Atoi(v)
				p.restartCounter = uint8(n)
			}
		}
	case err := <-p.exited:
		t.Fatalf("mme sgw-emu exited before ready: %v", err)
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("mme sgw-emu not ready in 30 s")
	}
	return p
}

// stop sends SIGTERM and expects a clean exit.
func (p *sgwEmuProcess) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-p.exited:
		if err != nil {
			t.Errorf("mme sgw-emu exit: %v", err)
		}
	case <-time.After(20 * time.Second):
		p.cmd.Process.Kill()
		t.Error("mme sgw-emu did not stop on SIGTERM")
	}
}

func buildMMEForS11(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mme")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestE2ES11 runs `mme sgw-emu` as a separate process and plays the MME on
// a real s11 endpoint over loopback: Create Session, Modify Bearer,
// Release Access Bearers, downlink data through the admin API with the DDN
// acknowledged, a dedicated bearer through the admin API, Delete Session;
// Echo both ways; then the emulator restarts and the MME sees its restart
// counter, kept in a file, go up (TS 23.007 §18).
func TestE2ES11(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the SGW emulator as a process")
	}
	bin := buildMMEForS11(t)
	rcFile := filepath.Join(t.TempDir(), "restart-counter")
	args := []string{"--admin-listen", "127.0.0.1:0", "--restart-counter-file", rcFile,
		"--echo-interval", "300ms", "--t3", "1s", "--n3", "3", "--log-level", "warn"}
	emu := startSGWEmu(t, bin, append([]string{"--s11-listen", "127.0.0.1:0"}, args...)...)
	if emu.restartCounter != 1 {
		t.Fatalf("first restart counter %d, want 1", emu.restartCounter)
	}
	sgwAddr := netip.MustParseAddrPort(emu.s11)
	admin := "http://" + emu.admin

	// The MME side.
	var mu sync.Mutex
	got := map[gtp.MessageType][]*s11.Incoming{}
	events := make(chan s11.PeerEvent, 4)
	enb := gtp.FTEID{Interface: gtp.IfS1UENodeB, TEID: 0xe0b0, IPv4: netip.MustParseAddr("127.0.0.9")}
	var sgwTEID uint32
	mme, err := s11.Listen("127.0.0.1:0", s11.Config{RestartCounter: 42, EchoInterval: 300 * time.Millisecond,
		T3: time.Second, N3: 3, Logger: slog.New(slog.DiscardHandler),
		OnPeerEvent: func(ev s11.PeerEvent) { events <- ev },
		Handler: func(in *s11.Incoming) {
			mu.Lock()
			got[in.Header.Type] = append(got[in.Header.Type], in)
			teid := sgwTEID
			mu.Unlock()
			switch m := in.Msg.(type) {
			case *gtp.DownlinkDataNotification:
				in.Respond(teid, &gtp.DownlinkDataNotificationAcknowledge{Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}})
			case *gtp.CreateBearerRequest:
				in.Respond(teid, &gtp.CreateBearerResponse{Cause: gtp.Cause{Value: gtp.CauseRequestAccepted},
					BearerContexts: []gtp.BearerContext{{EBI: 6, Cause: gtp.Cause{Value: gtp.CauseRequestAccepted},
						S1UENodeBFTEID: enb, S1USGWFTEID: m.BearerContexts[0].S1USGWFTEID}}})
			}
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer mme.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	const imsi = "001010000000123"
	mmeTEID, err := mme.AllocTEID(1, sgwAddr)
	if err != nil {
		t.Fatal(err)
	}
	req := &gtp.CreateSessionRequest{
		IMSI: imsi, MSISDN: "46700000123", RATType: gtp.RATEUTRAN,
		ServingNetwork: gtp.PLMN{MCC: "001", MNC: "01"},
		ULI:            gtp.ULI{TAI: gtp.TAI{PLMN: gtp.PLMN{MCC: "001", MNC: "01"}, TAC: 1}, ECGI: gtp.ECGI{PLMN: gtp.PLMN{MCC: "001", MNC: "01"}, ECI: 0x101}},
		SenderFTEID:    gtp.FTEID{Interface: gtp.IfS11MMEGTPC, TEID: mmeTEID, IPv4: mme.LocalAddr().Addr()},
		PGWS5S8FTEID:   gtp.FTEID{Interface: gtp.IfS5S8PGWGTPC, IPv4: netip.MustParseAddr("127.0.0.1")},
		APN:            "internet", PDNType: gtp.PDNTypeIPv4, PAA: gtp.PAA{Type: gtp.PDNTypeIPv4, IPv4: netip.IPv4Unspecified()},
		AMBR:                      &gtp.AMBR{Uplink: 10000, Downlink: 20000},
		BearerContextsToBeCreated: []gtp.BearerContext{{EBI: 5, BearerQoS: gtp.BearerQoS{QCI: 9, ARP: gtp.ARP{PL: 8}}}},
	}
	m, err := mme.RequestSync(ctx, sgwAddr, 0, req)
	if err != nil {
		t.Fatalf("Create Session: %v", err)
	}
	cs := m.(*gtp.CreateSessionResponse)
	if !cs.Cause.Accepted() || cs.PAA.IPv4.String() != "10.45.0.2" || len(cs.BearerContextsCreated) != 1 {
		t.Fatalf("Create Session Response %+v", cs)
	}
	mu.Lock()
	sgwTEID = cs.SenderFTEID.TEID
	mu.Unlock()
	if rec, ok := mme.PeerRecovery(sgwAddr); !ok || rec != 1 {
		t.Fatalf("SGW restart counter %d %v", rec, ok)
	}

	m, err = mme.RequestSync(ctx, sgwAddr, sgwTEID, &gtp.ModifyBearerRequest{
		BearerContextsToBeModified: []gtp.BearerContext{{EBI: 5, S1UENodeBFTEID: enb}}})
	if err != nil || !m.(*gtp.ModifyBearerResponse).Cause.Accepted() {
		t.Fatalf("Modify Bearer: %v %v", m, err)
	}
	m, err = mme.RequestSync(ctx, sgwAddr, sgwTEID, &gtp.ReleaseAccessBearersRequest{})
	if err != nil || !m.(*gtp.ReleaseAccessBearersResponse).Cause.Accepted() {
		t.Fatalf("Release Access Bearers: %v %v", m, err)
	}
	if s := getSession(t, admin, imsi); !s.Idle {
		t.Fatalf("not idle after Release Access Bearers: %+v", s)
	}

	// Downlink data: the admin call returns the MME's Ack.
	code, body := httpDo(t, http.MethodPost, admin+"/sessions/"+imsi+"/ddn", "")
	if code != http.StatusOK || !strings.Contains(body, `"cause": 16`) {
		t.Fatalf("admin DDN: %d %s", code, body)
	}
	mu.Lock()
	ddns := got[gtp.TypeDownlinkDataNotification]
	mu.Unlock()
	if len(ddns) != 1 || ddns[0].Msg.(*gtp.DownlinkDataNotification).EBI != 5 || ddns[0].Session != 1 {
		t.Fatalf("DDNs at the MME: %+v", ddns)
	}
	// Service request: the UE is active again.
	if _, err := mme.RequestSync(ctx, sgwAddr, sgwTEID, &gtp.ModifyBearerRequest{
		BearerContextsToBeModified: []gtp.BearerContext{{EBI: 5, S1UENodeBFTEID: enb}}}); err != nil {
		t.Fatal(err)
	}

	// Dedicated bearer through the admin API.
	code, body = httpDo(t, http.MethodPost, admin+"/sessions/"+imsi+"/bearers", `{"qci":1,"arp_pl":2,"gbr_ul":64,"gbr_dl":64,"mbr_ul":128,"mbr_dl":128}`)
	if code != http.StatusOK || !strings.Contains(body, `"ebi": 6`) {
		t.Fatalf("admin create bearer: %d %s", code, body)
	}
	mu.Lock()
	cbs := got[gtp.TypeCreateBearerRequest]
	mu.Unlock()
	if len(cbs) != 1 {
		t.Fatalf("%d Create Bearer Requests", len(cbs))
	}
	cb := cbs[0].Msg.(*gtp.CreateBearerRequest)
	if cb.LinkedEBI != 5 || cb.BearerContexts[0].BearerQoS.QCI != 1 || cb.BearerContexts[0].BearerQoS.GBRDownlink != 64 {
		t.Fatalf("Create Bearer Request %+v", cb)
	}
	if s := getSession(t, admin, imsi); len(s.PDNs) != 1 || len(s.PDNs[0].Bearers) != 2 || s.PDNs[0].Bearers[1].ENBTEID != enb.TEID {
		t.Fatalf("session after the dedicated bearer: %+v", s)
	}

	// Path management both ways (interval 300 ms).
	waitCond(t, "echoes", func() bool {
		st := mme.Stats()
		return st.EchoRequestsSent > 0 && st.EchoResponsesSent > 0
	})

	m, err = mme.RequestSync(ctx, sgwAddr, sgwTEID, &gtp.DeleteSessionRequest{LinkedEBI: 5})
	if err != nil || !m.(*gtp.DeleteSessionResponse).Cause.Accepted() {
		t.Fatalf("Delete Session: %v %v", m, err)
	}
	if code, _ := httpDo(t, http.MethodGet, admin+"/sessions/"+imsi, ""); code != http.StatusNotFound {
		t.Fatalf("session still there after Delete Session: %d", code)
	}
	mme.ReleaseTEID(mmeTEID)

	// The emulator restarts on the same S11 address: its counter, kept in
	// the file, goes up, and the MME notices on the next exchange.
	emu.stop(t)
	emu2 := startSGWEmu(t, bin, append([]string{"--s11-listen", emu.s11}, args...)...)
	defer emu2.stop(t)
	if emu2.restartCounter != 2 {
		t.Fatalf("restart counter after a restart %d, want 2", emu2.restartCounter)
	}
	mme.Watch(sgwAddr)
	select {
	case ev := <-events:
		if ev.Kind != s11.PeerRestarted || ev.OldRecovery != 1 || ev.NewRecovery != 2 || ev.Peer != sgwAddr {
			t.Fatalf("event %+v", ev)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the MME did not see the SGW restart")
	}
}

type e2eSession struct {
	IMSI string `json:"imsi"`
	Idle bool   `json:"idle"`
	PDNs []struct {
		IPv4    string `json:"ipv4"`
		Bearers []struct {
			EBI     uint8  `json:"ebi"`
			ENBTEID uint32 `json:"enb_teid"`
		} `json:"bearers"`
	} `json:"pdns"`
}

func getSession(t *testing.T, admin, imsi string) e2eSession {
	t.Helper()
	code, body := httpDo(t, http.MethodGet, admin+"/sessions/"+imsi, "")
	var s e2eSession
	if code != http.StatusOK || json.Unmarshal([]byte(body), &s) != nil {
		t.Fatalf("GET session: %d %s", code, body)
	}
	return s
}

func httpDo(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func waitCond(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(20 * time.Second)
	defer deadline.Stop()
	poll := time.NewTicker(10 * time.Millisecond)
	defer poll.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		case <-poll.C:
		}
	}
}
