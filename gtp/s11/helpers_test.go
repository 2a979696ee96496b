package s11

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/lte-mme/mme/gtp"
)

// manualClock is a Clock that moves only when the test says so.
type manualClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []*manualTimer
}

func newManualClock() *manualClock { return &manualClock{now: time.Unix(1_700_000_000, 0)} }

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) NewTimer(at time.Time) Timer {
	t := &manualTimer{c: make(chan time.Time, 1), clk: c}
	c.mu.Lock()
	c.timers = append(c.timers, t)
	c.mu.Unlock()
	t.ResetAt(at)
	return t
}

// Advance moves the clock and fires the timers that are due.
func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for _, t := range c.timers {
		t.fireLocked(c.now)
	}
}

type manualTimer struct {
	c      chan time.Time
	clk    *manualClock
	at     time.Time
	active bool
}

func (t *manualTimer) C() <-chan time.Time { return t.c }

func (t *manualTimer) ResetAt(at time.Time) {
	t.clk.mu.Lock()
	defer t.clk.mu.Unlock()
	select {
	case <-t.c:
	default:
	}
	t.at, t.active = at, true
	t.fireLocked(t.clk.now)
}

func (t *manualTimer) Stop() {
	t.clk.mu.Lock()
	t.active = false
	t.clk.mu.Unlock()
}

func (t *manualTimer) fireLocked(now time.Time) {
	if t.active && !t.at.After(now) {
		t.active = false
		select {
		case t.c <- now:
		default:
		}
	}
}

// rawPeer is a bare UDP socket playing the other side by hand.
type rawPeer struct {
	t    *testing.T
	conn *net.UDPConn
}

func newRawPeer(t *testing.T) *rawPeer {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawPeer{t: t, conn: c}
}

func (r *rawPeer) addr() netip.AddrPort { return r.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// read returns the next datagram, failing the test after 5 s.
func (r *rawPeer) read() ([]byte, netip.AddrPort) {
	r.t.Helper()
	b := make([]byte, 65535)
	r.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	n, from, err := r.conn.ReadFromUDPAddrPort(b)
	if err != nil {
		r.t.Fatalf("raw peer read: %v", err)
	}
	return b[:n], from
}

// readMsg reads and decodes the next datagram.
func (r *rawPeer) readMsg() (gtp.Header, gtp.Message, netip.AddrPort) {
	r.t.Helper()
	b, from := r.read()
	h, m, err := gtp.Decode(b)
	if err != nil {
		r.t.Fatalf("raw peer decode: %v", err)
	}
	return h, m, from
}

// quiet asserts nothing arrives within d (used after a known-last message
// has been seen, to check no extra datagram follows).
func (r *rawPeer) quiet(d time.Duration) {
	r.t.Helper()
	b := make([]byte, 65535)
	r.conn.SetReadDeadline(time.Now().Add(d))
	if n, _, err := r.conn.ReadFromUDPAddrPort(b); err == nil {
		h, _, _ := gtp.Decode(b[:n])
		r.t.Fatalf("unexpected datagram: %v seq %#x", h.Type, h.Seq)
	}
}

func (r *rawPeer) send(to netip.AddrPort, b []byte) {
	r.t.Helper()
	if _, err := r.conn.WriteToUDPAddrPort(b, to); err != nil {
		r.t.Fatal(err)
	}
}

func (r *rawPeer) sendMsg(to netip.AddrPort, m gtp.Message, teid, seq uint32) {
	r.t.Helper()
	b, err := gtp.Encode(m, teid, seq)
	if err != nil {
		r.t.Fatal(err)
	}
	r.send(to, b)
}

func listen(t *testing.T, cfg Config) *Endpoint {
	t.Helper()
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	e, err := Listen("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// eventually waits for cond with a deadline (conditions set by other
// goroutines: endpoint counters, handler calls).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(5 * time.Second)
	defer deadline.Stop()
	poll := time.NewTicker(time.Millisecond)
	defer poll.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		case <-poll.C:
		}
	}
}

type result struct {
	m   gtp.Message
	err error
}

func collect() (func(gtp.Message, error), chan result) {
	ch := make(chan result, 16)
	return func(m gtp.Message, err error) { ch <- result{m, err} }, ch
}

func await(t *testing.T, ch chan result) result {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(5 * time.Second):
		t.Fatal("no completion")
		return result{}
	}
}

func u8(v uint8) *uint8 { return &v }

var (
	mmeFTEID = gtp.FTEID{Interface: gtp.IfS11MMEGTPC, TEID: 0x1111, IPv4: netip.MustParseAddr("127.0.0.1")}
	qos      = gtp.BearerQoS{QCI: 9, ARP: gtp.ARP{PL: 8}}
)

func csr(senderTEID uint32) *gtp.CreateSessionRequest {
	f := mmeFTEID
	f.TEID = senderTEID
	return &gtp.CreateSessionRequest{IMSI: "001010000000001", RATType: gtp.RATEUTRAN, SenderFTEID: f,
		APN: "internet", BearerContextsToBeCreated: []gtp.BearerContext{{EBI: 5, BearerQoS: qos}}}
}
