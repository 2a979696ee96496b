package main

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/s6a"
	"github.com/lte-mme/mme/s6a/peer"
)

// buildMME builds the mme binary into the test's temporary directory.
func buildMME(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "mme")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// TestE2ES6a runs `mme hss` as a separate process with subscribers from a
// CSV file and plays the MME over loopback: AIR (vector checked by a
// USIM), AIR with re-synchronisation, ULR, PUR, then a REST delete whose
// Cancel-Location reaches the MME.
func TestE2ES6a(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the HSS as a process")
	}
	bin := buildMME(t)
	dir := t.TempDir()
	const (
		imsi = "001010000000042"
		kHex = "465b5ce8b199b49faa5f0a2ee238a6bc"
		opc  = "e8ed289deba952e4283b54e88e6183ca"
	)
	csv := "imsi,k,opc,amf,sqn,msisdn,apn\n" +
		fmt.Sprintf("%s,%s,%s,8000,64,33600000042,internet\n", imsi, kHex, opc) +
		"001010000000043,00112233445566778899aabbccddeeff,ffeeddccbbaa99887766554433221100,8000,32,,\n"
	csvPath := filepath.Join(dir, "subs.csv")
	if err := os.WriteFile(csvPath, []byte(csv), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "hss", "--data-dir", filepath.Join(dir, "db"), "--import-csv", csvPath,
		"--diameter-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0", "--watchdog", "2s",
		"--origin-host", "hss.e2e", "--origin-realm", "e2e", "--log-level", "warn")
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case err := <-exited:
			if err != nil {
				t.Errorf("mme hss exit: %v", err)
			}
		case <-time.After(20 * time.Second):
			cmd.Process.Kill()
			t.Error("mme hss did not stop on SIGTERM")
		}
	}()
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "hss ready ") {
				ready <- sc.Text()
			}
		}
	}()
	var line string
	select {
	case line = <-ready:
	case err := <-exited:
		t.Fatalf("mme hss exited: %v", err)
	case <-ctx.Done():
		t.Fatal("mme hss not ready")
	}
	fields := map[string]string{}
	for _, f := range strings.Fields(line)[2:] {
		k, v, _ := strings.Cut(f, "=")
		fields[k] = v
	}
	if fields["subscribers"] != "2" {
		t.Fatalf("ready line %q: want 2 subscribers", line)
	}

	clrs := make(chan *s6a.CLR, 1)
	mme, err := peer.NewClient(peer.ClientConfig{
		Identity: peer.Identity{OriginHost: "mme.e2e", OriginRealm: "e2e"}, DestinationRealm: "e2e",
		Peers:  []string{fields["diameter"]},
		Timers: peer.Timers{Watchdog: 2 * time.Second, RequestTimeout: 5 * time.Second},
		Handler: func(r *peer.Request, answer func(*diam.Message)) {
			clr, err := s6a.DecodeCLR(r.Message)
			if err != nil {
				t.Errorf("request from HSS: %v", err)
				return
			}
			clrs <- clr
			answer((&s6a.CLA{AnswerHeader: s6a.AnswerHeader{SessionID: clr.SessionID, OriginHost: "mme.e2e", OriginRealm: "e2e", Result: s6a.Success}}).Encode())
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer mme.Close(context.Background())
	if err := mme.WaitOpen(ctx); err != nil {
		t.Fatal(err)
	}
	snid := [3]byte{0x00, 0xf1, 0x10}
	air := func(resync []byte) *s6a.AIA {
		m, err := mme.Call(ctx, (&s6a.AIR{RequestHeader: mme.Header(), IMSI: imsi, VisitedPLMNID: snid,
			EUTRAN: &s6a.RequestedEUTRANAuthInfo{NumberOfRequestedVectors: 1, ResynchronizationInfo: resync}}).Encode())
		if err != nil {
			t.Fatal(err)
		}
		aia, err := s6a.DecodeAIA(m)
		if err != nil || aia.Result != s6a.Success || len(aia.Vectors) != 1 {
			t.Fatalf("AIA %+v %v", aia, err)
		}
		return aia
	}
	kb, _ := hex.DecodeString(kHex)
	ob, _ := hex.DecodeString(opc)
	usim := security.NewUSIM([16]byte(kb), [16]byte(ob), security.USIMConfig{INDBits: security.NoIND})

	// AIR: the USIM accepts the vector and computes the same RES and K_ASME.
	v := air(nil).Vectors[0]
	res, err := usim.Authenticate(v.RAND, v.AUTN, snid)
	if err != nil || string(res.RES) != string(v.XRES) || res.KASME != v.KASME || res.SQN != 64 {
		t.Fatalf("USIM: %+v %v", res, err)
	}
	// The USIM is ahead: synch failure, AIR with RAND||AUTS, fresh vector.
	usim.SetSQNMS(5000 << 5)
	v = air(nil).Vectors[0]
	_, err = usim.Authenticate(v.RAND, v.AUTN, snid)
	var sf *security.SynchFailureError
	if !errors.As(err, &sf) {
		t.Fatalf("want synch failure, got %v", err)
	}
	v = air(append(v.RAND[:], sf.AUTS[:]...)).Vectors[0]
	if res, err := usim.Authenticate(v.RAND, v.AUTN, snid); err != nil || res.SQN <= 5000<<5 {
		t.Fatalf("after resync: %+v %v", res, err)
	}
	// ULR: subscription data with the default APN.
	m, err := mme.Call(ctx, (&s6a.ULR{RequestHeader: mme.Header(), IMSI: imsi, RATType: s6a.RATTypeEUTRAN,
		ULRFlags: s6a.ULRS6aS6dIndicator | s6a.ULRInitialAttachIndicator, VisitedPLMNID: snid}).Encode())
	if err != nil {
		t.Fatal(err)
	}
	ula, err := s6a.DecodeULA(m)
	if err != nil || ula.Result != s6a.Success || ula.SubscriptionData.MSISDN != "33600000042" ||
		ula.SubscriptionData.APNConfigurationProfile.DefaultAPN().ServiceSelection != "internet" {
		t.Fatalf("ULA %+v %v", ula, err)
	}
	// PUR.
	m, err = mme.Call(ctx, (&s6a.PUR{RequestHeader: mme.Header(), IMSI: imsi, PURFlags: s6a.PURUEPurgedInMME}).Encode())
	if err != nil {
		t.Fatal(err)
	}
	if pua, err := s6a.DecodePUA(m); err != nil || pua.Result != s6a.Success {
		t.Fatalf("PUA %+v %v", pua, err)
	}
	// Attach again, then delete over REST: CLR SUBSCRIPTION_WITHDRAWAL.
	if _, err := mme.Call(ctx, (&s6a.ULR{RequestHeader: mme.Header(), IMSI: imsi, RATType: s6a.RATTypeEUTRAN,
		ULRFlags: s6a.ULRS6aS6dIndicator, VisitedPLMNID: snid}).Encode()); err != nil {
		t.Fatal(err)
	}
	client := &http.Client{Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	req, _ := http.NewRequestWithContext(ctx, http.MethodDelete, "http://"+fields["http"]+"/subscribers/"+imsi, nil)
	resp, err := client.Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("REST delete: %v %v", resp, err)
	}
	resp.Body.Close()
	select {
	case clr := <-clrs:
		if clr.IMSI != imsi || clr.CancellationType != s6a.CancelSubscriptionWithdrawal || clr.OriginHost != "hss.e2e" {
			t.Fatalf("CLR %+v", clr)
		}
	case <-ctx.Done():
		t.Fatal("no CLR after the REST delete")
	}
	// The subscriber is gone: AIR now answers DIAMETER_ERROR_USER_UNKNOWN.
	m, err = mme.Call(ctx, (&s6a.AIR{RequestHeader: mme.Header(), IMSI: imsi, VisitedPLMNID: snid,
		EUTRAN: &s6a.RequestedEUTRANAuthInfo{NumberOfRequestedVectors: 1}}).Encode())
	if err != nil {
		t.Fatal(err)
	}
	if aia, err := s6a.DecodeAIA(m); err != nil || aia.Result != s6a.ExperimentalResult(s6a.ExpErrorUserUnknown) {
		t.Fatalf("AIA after delete %+v %v", aia, err)
	}
}
