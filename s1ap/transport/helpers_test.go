package transport

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"
)

// recorder is a Handler that keeps everything it is given and lets a test
// wait for conditions with a deadline.
type recorder struct {
	mu       sync.Mutex
	cond     *sync.Cond
	events   []Event
	times    []time.Time // when each event arrived
	msgs     []recMsg
	echo     bool // send every message back on the same stream
	echoErrs []error
	onMsg    func(a *Association, m Message)
}

type recMsg struct {
	assoc uint64
	m     Message
}

func newRecorder() *recorder {
	r := &recorder{}
	r.cond = sync.NewCond(&r.mu)
	return r
}

func (r *recorder) HandleEvent(ev Event) {
	r.mu.Lock()
	r.events = append(r.events, ev)
	r.times = append(r.times, time.Now())
	r.mu.Unlock()
	r.cond.Broadcast()
}

func (r *recorder) HandleMessage(a *Association, m Message) {
	if r.onMsg != nil {
		r.onMsg(a, m)
	}
	var echoErr error
	if r.echo {
		echoErr = a.Send(m.Stream, m.PPID, m.Data)
	}
	m.Data = append([]byte(nil), m.Data...)
	r.mu.Lock()
	if echoErr != nil {
		r.echoErrs = append(r.echoErrs, echoErr)
	}
	r.msgs = append(r.msgs, recMsg{a.ID(), m})
	r.mu.Unlock()
	r.cond.Broadcast()
}

// waitFor blocks until cond (evaluated under the lock) holds or the
// deadline passes; it fails the test then.
func (r *recorder) waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	// Conditions may also read counters outside the recorder: re-check
	// every 10 ms as well as on every event.
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		tk := time.NewTicker(10 * time.Millisecond)
		defer tk.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tk.C:
				r.cond.Broadcast()
			}
		}
	}()
	r.mu.Lock()
	defer r.mu.Unlock()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		r.cond.Wait()
	}
}

func (r *recorder) count(kind EventKind) int {
	n := 0
	for _, ev := range r.events {
		if ev.Kind == kind {
			n++
		}
	}
	return n
}

func (r *recorder) eventsOf(kind EventKind) []Event {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []Event
	for _, ev := range r.events {
		if ev.Kind == kind {
			out = append(out, ev)
		}
	}
	return out
}

func (r *recorder) messages() []recMsg {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]recMsg(nil), r.msgs...)
}

func quietLogger() *slog.Logger {
	if os.Getenv("TRANSPORT_DEBUG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.NewTextHandler(io.Discard, nil))
}

// testConfig is a loopback configuration for mode with ephemeral ports.
func testConfig(mode Mode) Config {
	return Config{
		Mode:       mode,
		LocalAddrs: []netip.Addr{netip.MustParseAddr("127.0.0.1")},
		Port:       S1APPort,
		NoDelay:    true,
		Logger:     quietLogger(),
	}
}

// skipUnlessMode skips a kernel-mode test where the kernel lacks SCTP,
// with the one reason the probe gives.
func skipUnlessMode(t *testing.T, mode Mode) {
	t.Helper()
	if mode == ModeKernel {
		if err := ProbeKernelSCTP(); err != nil {
			t.Skip(err.Error())
		}
	}
}

// modes runs f once per mode, as subtests "udp" and "kernel".
func modes(t *testing.T, f func(t *testing.T, mode Mode)) {
	for _, m := range []Mode{ModeUDP, ModeKernel} {
		t.Run(m.String(), func(t *testing.T) {
			skipUnlessMode(t, m)
			f(t, m)
		})
	}
}

// pair is a listening endpoint and a dialing endpoint of one mode.
type pair struct {
	srv, cli       *Endpoint
	srvRec, cliRec *recorder
}

func newPair(t *testing.T, mode Mode, tweak func(*Config)) *pair {
	t.Helper()
	return newPairWith(t, mode, tweak, tweak)
}

// newPairWith configures the listener and the dialer separately.
func newPairWith(t *testing.T, mode Mode, srvTweak, cliTweak func(*Config)) *pair {
	t.Helper()
	p := &pair{srvRec: newRecorder(), cliRec: newRecorder()}
	scfg, ccfg := testConfig(mode), testConfig(mode)
	if mode == ModeKernel {
		scfg.Port = 0
	}
	if srvTweak != nil {
		srvTweak(&scfg)
	}
	if cliTweak != nil {
		cliTweak(&ccfg)
	}
	var err error
	if p.srv, err = NewEndpoint(scfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.srv.Close() })
	if err := p.srv.Listen(p.srvRec); err != nil {
		t.Fatal(err)
	}
	if p.cli, err = NewEndpoint(ccfg); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.cli.Close() })
	return p
}

func (p *pair) dial(t testing.TB, h Handler) *Association {
	t.Helper()
	if h == nil {
		h = p.cliRec
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	ups := p.srvRec.countNow(EventUp)
	a, err := p.cli.Dial(ctx, p.srv.ListenAddrs(), h)
	if err != nil {
		t.Fatal(err)
	}
	// The dialer is up once it has the COOKIE ACK; the listener reports
	// its side a moment later. A test that aborts or shuts down at once
	// must not race that report: an association that ends before the
	// listener took it up is never reported, neither up nor down.
	p.srvRec.waitFor(t, 5*time.Second, "server EventUp", func() bool { return p.srvRec.count(EventUp) > ups })
	return a
}

// eventTime returns when the first event of kind arrived.
func (r *recorder) eventTime(kind EventKind) time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, ev := range r.events {
		if ev.Kind == kind {
			return r.times[i]
		}
	}
	return time.Time{}
}

// countNow is count for use outside waitFor conditions.
func (r *recorder) countNow(kind EventKind) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.count(kind)
}
