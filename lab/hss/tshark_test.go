package hss

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/s6a"
	"github.com/lte-mme/mme/s6a/peer"
)

// needTool skips without the tool, but fails under CI (common brief).
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is required under CI: %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
	return p
}

// eventually waits for cond, checking every few milliseconds, until the
// deadline.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	tk := time.NewTicker(5 * time.Millisecond)
	defer tk.Stop()
	deadline := time.After(d)
	for !cond() {
		select {
		case <-tk.C:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestTsharkDissectsS6a captures our S6a traffic on the loopback interface
// with dumpcap and has tshark dissect it: CER/CEA, DWR/DWA, AIR/AIA (with
// re-synchronisation), ULR/ULA, PUR/PUA, CLR/CLA and DPR/DPA must all be
// there, with no malformed packet and no expert error.
func TestTsharkDissectsS6a(t *testing.T) {
	dumpcap := needTool(t, "dumpcap")
	tshark := needTool(t, "tshark")
	if os.Geteuid() != 0 && os.Getenv("CI") == "" {
		t.Skip("capturing on lo needs root")
	}
	h, err := Open(Config{Identity: peer.Identity{OriginHost: "hss.tshark", OriginRealm: "tshark"},
		Timers: peer.Timers{Watchdog: 150 * time.Millisecond, Tick: 5 * time.Millisecond}, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port

	// Start the capture and wait until dumpcap says it captures.
	pcap := t.TempDir() + "/s6a.pcapng"
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dc := exec.CommandContext(ctx, dumpcap, "-q", "-i", "lo", "-f", "tcp port "+strconv.Itoa(port), "-w", pcap)
	stderr, _ := dc.StderrPipe()
	if err := dc.Start(); err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		once := false
		for sc.Scan() {
			if !once && strings.Contains(sc.Text(), "Capturing on") {
				once = true
				close(started)
			}
		}
	}()
	select {
	case <-started:
	case <-ctx.Done():
		t.Fatal("dumpcap did not start")
	}
	// dumpcap reports before its filter is live: probe the port until a
	// connection shows in the file.
	probe(t, l.Addr().String(), pcap)
	go h.Serve(l)

	k, opc := [16]byte{9, 8, 7}, [16]byte{1, 2, 3}
	if err := h.Put(Subscriber{IMSI: "001010000000077", K: k, OPc: opc, AMF: [2]byte{0x80}, SQN: DefaultSQN, MSISDN: "3360077", APN: "internet"}); err != nil {
		t.Fatal(err)
	}
	clrs := make(chan *s6a.CLR, 1)
	mme := startMMEWith(t, "mme.tshark", "tshark", l.Addr().String(), peer.Timers{Watchdog: 150 * time.Millisecond, Tick: 5 * time.Millisecond}, clrs)
	// AIR, then a synch failure and the AIR with RAND || AUTS.
	usim := security.NewUSIM(k, opc, security.USIMConfig{INDBits: security.NoIND})
	usim.SetSQNMS(900 << INDBits)
	v := callAIR(t, mme, "001010000000077", 2, nil).Vectors[0]
	_, err = usim.Authenticate(v.RAND, v.AUTN, snid)
	sf, ok := err.(*security.SynchFailureError)
	if !ok {
		t.Fatalf("want synch failure: %v", err)
	}
	callAIR(t, mme, "001010000000077", 1, append(v.RAND[:], sf.AUTS[:]...))
	callULR(t, mme, "001010000000077", s6a.ULRInitialAttachIndicator)
	if _, err := mme.Call(ctxT(t), (&s6a.PUR{RequestHeader: mme.Header(), IMSI: "001010000000077", PURFlags: s6a.PURUEPurgedInMME}).Encode()); err != nil {
		t.Fatal(err)
	}
	callULR(t, mme, "001010000000077", 0)
	if err := h.Delete("001010000000077"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-clrs:
	case <-ctx.Done():
		t.Fatal("no CLR at the MME")
	}
	eventually(t, 10*time.Second, "CLA at the HSS", func() bool { return h.Stats().CLRSent.Load() == 1 })
	// Silence for Tw: both sides send DWRs.
	eventually(t, 10*time.Second, "watchdog answers", func() bool {
		return mme.Stats().WatchdogAnswers >= 1 && h.Server().Stats().WatchdogAnswers >= 1
	})
	mme.Close(ctxT(t))                // DPR/DPA
	probe(t, l.Addr().String(), pcap) // everything before it is in the file
	h.Close()
	// Let dumpcap write everything: stop it with SIGINT and wait.
	dc.Process.Signal(os.Interrupt)
	dc.Wait()

	out, err := exec.Command(tshark, "-r", pcap, "-d", "tcp.port=="+strconv.Itoa(port)+",diameter",
		"-T", "fields", "-e", "diameter.cmd.code", "-e", "diameter.flags.request", "-e", "_ws.malformed", "-e", "_ws.expert.severity").CombinedOutput()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, out)
	}
	t.Logf("tshark fields:\n%s", out)
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 2 || f[0] == "" {
			continue
		}
		// Several Diameter messages may share a TCP segment.
		codes, reqs := strings.Split(f[0], ","), strings.Split(f[1], ",")
		for i := range codes {
			if i < len(reqs) {
				seen[codes[i]+"/"+reqs[i]] = true
			}
		}
	}
	for _, c := range []string{"257", "280", "282", "316", "317", "318", "321"} {
		for _, r := range []string{"1", "0"} {
			if !seen[c+"/"+r] && !seen[c+"/"+map[string]string{"1": "True", "0": "False"}[r]] {
				t.Errorf("command %s (request %s) not in the capture; seen %v", c, r, seen)
			}
		}
	}
	// No malformed packet, no expert error (-z expert lists them by severity).
	ex, err := exec.Command(tshark, "-r", pcap, "-d", "tcp.port=="+strconv.Itoa(port)+",diameter", "-q", "-z", "expert").CombinedOutput()
	if err != nil {
		t.Fatalf("tshark -z expert: %v\n%s", err, ex)
	}
	if bytes.Contains(ex, []byte("Malformed")) || bytes.Contains(ex, []byte("Errors (")) || bytes.Contains(ex, []byte("Warnings (")) {
		t.Fatalf("tshark expert info:\n%s", ex)
	}
	t.Logf("tshark expert summary:\n%s", ex)
}

// probe opens and closes a TCP connection to addr until the capture file
// grows, so that what was sent before it has been captured.
func probe(t *testing.T, addr, pcap string) {
	t.Helper()
	size := func() int64 {
		st, err := os.Stat(pcap)
		if err != nil {
			return 0
		}
		return st.Size()
	}
	before := size()
	deadline := time.Now().Add(20 * time.Second)
	for size() == before {
		if time.Now().After(deadline) {
			t.Fatal("the capture does not see the probe")
		}
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		eventuallyOrNot(200*time.Millisecond, func() bool { return size() != before })
	}
}

// eventuallyOrNot waits up to d for cond and reports whether it held.
func eventuallyOrNot(d time.Duration, cond func() bool) bool {
	tk := time.NewTicker(5 * time.Millisecond)
	defer tk.Stop()
	end := time.After(d)
	for !cond() {
		select {
		case <-tk.C:
		case <-end:
			return false
		}
	}
	return true
}
