package transport

import (
	"bufio"
	"context"
	"errors"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// needTool skips (or, under CI, fails) when an external tool the test
// relies on is missing.
func needTool(t *testing.T, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("%s is required under CI: %v", what, err)
	}
	t.Skipf("%s not available: %v", what, err)
}

var (
	usrsctpOnce sync.Once
	usrsctpBin  string
	usrsctpErr  error
)

// usrsctpPeer compiles testdata/usrsctp_peer.c against libusrsctp (once
// per test binary). cgo stays out of the product: this is a separate C
// program the test runs.
func usrsctpPeer(t *testing.T) string {
	t.Helper()
	usrsctpOnce.Do(func() {
		if _, err := os.Stat("/usr/include/usrsctp.h"); err != nil {
			usrsctpErr = errors.New("libusrsctp-dev (usrsctp.h) missing: apt-get install libusrsctp-dev")
			return
		}
		gcc, err := exec.LookPath("gcc")
		if err != nil {
			usrsctpErr = err
			return
		}
		dir, err := os.MkdirTemp("", "usrsctp-peer")
		if err != nil {
			usrsctpErr = err
			return
		}
		usrsctpBin = filepath.Join(dir, "usrsctp_peer")
		out, err := exec.Command(gcc, "-O1", "-Wall", "-o", usrsctpBin, "testdata/usrsctp_peer.c", "-lusrsctp", "-lpthread").CombinedOutput()
		if err != nil {
			usrsctpErr = errors.New("gcc usrsctp_peer.c: " + err.Error() + ": " + string(out))
		}
	})
	needTool(t, "usrsctp", usrsctpErr)
	return usrsctpBin
}

// runPeer runs the usrsctp peer and returns its last output line.
func runPeer(t *testing.T, bin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, bin, args...).CombinedOutput()
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1], err
}

// TestUsrsctpInterop: usrsctp, a foreign SCTP stack, associates with our
// UDP-mode listener and exchanges PPID 18 messages both ways on several
// streams; our dialer associates with a usrsctp listener likewise.
func TestUsrsctpInterop(t *testing.T) {
	bin := usrsctpPeer(t)
	const n = 40

	listen := func(t *testing.T, keepInitParams bool) (*Endpoint, *recorder) {
		cfg := testConfig(ModeUDP)
		cfg.keepInitParams = keepInitParams
		cfg.HandshakeTimeout = 2 * time.Second
		e, err := NewEndpoint(cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.Close() })
		rec := newRecorder()
		rec.echo = true
		if err := e.Listen(rec); err != nil {
			t.Fatal(err)
		}
		return e, rec
	}
	check := func(t *testing.T, rec *recorder) {
		t.Helper()
		rec.waitFor(t, 5*time.Second, "messages", func() bool { return len(rec.msgs) == n })
		for _, m := range rec.messages() {
			if m.m.PPID != S1APPPID || m.m.Stream == 0 || m.m.Stream > 4 {
				t.Fatalf("received stream %d PPID %d", m.m.Stream, m.m.PPID)
			}
		}
		if len(rec.echoErrs) > 0 {
			t.Fatalf("echo: %v", rec.echoErrs[0])
		}
		ups := rec.eventsOf(EventUp)
		if len(ups) != 1 {
			t.Fatalf("%d EventUp", len(ups))
		}
		if in, out := ups[0].Assoc.Streams(); in != 8 || out != 8 {
			t.Fatalf("streams with usrsctp %d/%d, want 8/8 (its offer)", in, out)
		}
	}

	// usrsctp in AF_CONN mode: its packets reach us through the harness's UDP socket.
	t.Run("usrsctp AF_CONN dials us", func(t *testing.T) {
		e, rec := listen(t, false)
		line, err := runPeer(t, bin, "conn-client", strconv.Itoa(int(e.ListenAddrs()[0].Port())), strconv.Itoa(n))
		if err != nil || line != "ok sent=40 received=40" {
			t.Fatalf("usrsctp peer: %q (%v)", line, err)
		}
		check(t, rec)
	})

	// usrsctp's own UDP encapsulation (AF_INET) puts Supported Address
	// Types and address parameters in its INIT; our filter drops them.
	t.Run("usrsctp AF_INET dials us", func(t *testing.T) {
		e, rec := listen(t, false)
		line, err := runPeer(t, bin, "inet-client", strconv.Itoa(int(e.ListenAddrs()[0].Port())), strconv.Itoa(n), strconv.Itoa(int(freeUDPPort(t))))
		if err != nil || line != "ok sent=40 received=40" {
			t.Fatalf("usrsctp peer: %q (%v)", line, err)
		}
		check(t, rec)
	})

	// Without the filter, pion discards usrsctp's AF_INET INIT (no ABORT:
	// the INIT is dropped as carrying an unknown "stop" parameter) and
	// usrsctp's connect times out: the gap the filter closes.
	t.Run("usrsctp AF_INET without our INIT filter fails", func(t *testing.T) {
		e, rec := listen(t, true)
		line, err := runPeer(t, bin, "inet-client", strconv.Itoa(int(e.ListenAddrs()[0].Port())), "1", strconv.Itoa(int(freeUDPPort(t))))
		if err == nil || !strings.HasPrefix(line, "fail: connect") {
			t.Fatalf("usrsctp AF_INET with pion unfiltered: %q (%v), want its connect to fail", line, err)
		}
		t.Logf("as expected, usrsctp AF_INET with pion unfiltered: %s", line)
		if n := rec.countNow(EventUp); n != 0 {
			t.Fatalf("%d EventUp", n)
		}
	})

	// Our dialer (pion's client ports moved from 5000 to 36412) to a usrsctp listener.
	t.Run("we dial usrsctp AF_CONN", func(t *testing.T) {
		port := freeUDPPort(t)
		ctx, cancel := context.WithTimeout(context.Background(), 25*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, bin, "conn-server", strconv.Itoa(int(port)), strconv.Itoa(n))
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		if !sc.Scan() || sc.Text() != "listening" {
			t.Fatalf("usrsctp listener: %q", sc.Text())
		}
		cfg := testConfig(ModeUDP)
		e, err := NewEndpoint(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		rec := newRecorder()
		a, err := e.Dial(ctx, []netip.AddrPort{netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), port)}, rec)
		if err != nil {
			t.Fatal(err)
		}
		for i := range n {
			if err := a.Send(uint16(i%4+1), S1APPPID, seqMsg(7, uint16(i%4+1), uint32(i/4))); err != nil {
				t.Fatal(err)
			}
		}
		rec.waitFor(t, 10*time.Second, "echoes from usrsctp", func() bool { return len(rec.msgs) == n })
		var order orderChecker
		for _, m := range rec.messages() {
			order.check(a.ID(), m.m)
		}
		if len(order.errs) > 0 {
			t.Fatal(order.errs[0])
		}
		if !sc.Scan() || sc.Text() != "ok echoed=40" {
			t.Fatalf("usrsctp listener: %q", sc.Text())
		}
		a.Abort("done")
		_ = cmd.Wait()
	})
}
