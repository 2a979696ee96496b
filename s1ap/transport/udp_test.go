package transport

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"errors"

	"net"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"
)

// TestPeerLossDetected: the path to a peer goes silent (a relay drops
// everything, as a dead host or link would); both ends report the
// association down within the liveness bound of issue #4 (5 s, the
// default), measured from the moment of the cut.
func TestPeerLossDetected(t *testing.T) {
	t.Parallel()
	p := newPair(t, ModeUDP, nil)
	bound := p.srv.Config().Liveness.Timeout
	r := newRelay(t, p.srv.ListenAddrs()[0])
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	p.srvRec.echo = true
	a, err := p.cli.Dial(ctx, []netip.AddrPort{r.addr()}, p.cliRec)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Send(0, S1APPPID, []byte("before the cut")); err != nil {
		t.Fatal(err)
	}
	p.cliRec.waitFor(t, 5*time.Second, "echo", func() bool { return len(p.cliRec.msgs) == 1 })

	cut := time.Now()
	r.cut.Store(true)
	// Keep the dialer sending: pion retransmits forever, liveness decides.
	_ = a.Send(1, S1APPPID, []byte("into the void"))
	p.srvRec.waitFor(t, bound+2*time.Second, "server EventDown", func() bool { return p.srvRec.count(EventDown) == 1 })
	p.cliRec.waitFor(t, bound+2*time.Second, "client EventDown", func() bool { return p.cliRec.count(EventDown) == 1 })
	srvAfter := p.srvRec.eventTime(EventDown).Sub(cut)
	cliAfter := p.cliRec.eventTime(EventDown).Sub(cut)
	t.Logf("peer loss detected %v (listener) and %v (dialer) after the cut; bound %v", srvAfter.Round(time.Millisecond), cliAfter.Round(time.Millisecond), bound)
	// Scheduling slack for a loaded 2-core machine: the verdict itself is
	// taken within the bound (TestLivenessDecisions proves the arithmetic).
	const slack = 250 * time.Millisecond
	for side, d := range map[string]time.Duration{"listener": srvAfter, "dialer": cliAfter} {
		if d > bound+slack {
			t.Errorf("%s detected loss after %v, bound %v", side, d, bound)
		}
		if d < bound/2 {
			t.Errorf("%s declared the peer dead after only %v", side, d)
		}
	}
	for _, ev := range append(p.srvRec.eventsOf(EventDown), p.cliRec.eventsOf(EventDown)...) {
		if !errors.Is(ev.Err, ErrPeerUnreachable) {
			t.Errorf("down reason %v, want ErrPeerUnreachable", ev.Err)
		}
	}
}

// freeUDPPort returns a loopback UDP port that was free a moment ago.
func freeUDPPort(t *testing.T) uint16 {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return uint16(c.LocalAddr().(*net.UDPAddr).Port)
}

// TestPeerRestart: an eNodeB crashes (no ABORT, no SHUTDOWN) and comes back
// from the same address with a new association (RFC 4960 §5.2.4). The
// listener reports EventRestart on the same association, which carries
// messages both ways again.
func TestPeerRestart(t *testing.T) {
	p := newPair(t, ModeUDP, nil)
	p.srvRec.echo = true
	port := freeUDPPort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	srvAddr := p.srv.ListenAddrs()[0]
	a1, err := p.cli.dialUDPFrom(ctx, port, srvAddr, p.cliRec)
	if err != nil {
		t.Fatal(err)
	}
	if err := a1.Send(1, S1APPPID, []byte("first life")); err != nil {
		t.Fatal(err)
	}
	p.cliRec.waitFor(t, 5*time.Second, "first echo", func() bool { return len(p.cliRec.msgs) == 1 })
	srvA := p.srv.Associations()[0]

	// Crash: the socket disappears without a word to the peer.
	_ = a1.be.(*udpBackend).w.Conn.Close()
	<-a1.Done()

	rec2 := newRecorder()
	cli2, err := NewEndpoint(testConfig(ModeUDP))
	if err != nil {
		t.Fatal(err)
	}
	defer cli2.Close()
	a2, err := cli2.dialUDPFrom(ctx, port, srvAddr, rec2)
	if err != nil {
		t.Fatal(err)
	}
	p.srvRec.waitFor(t, 5*time.Second, "EventRestart", func() bool { return p.srvRec.count(EventRestart) == 1 })
	if ev := p.srvRec.eventsOf(EventRestart)[0]; ev.Assoc != srvA {
		t.Fatalf("restart reported on %v, want %v", ev.Assoc, srvA)
	}
	if n := p.srvRec.countNow(EventDown); n != 0 {
		t.Fatalf("listener reported %d EventDown for a restart", n)
	}
	if srvA.Stats().Restarts != 1 || srvA.Err() != nil {
		t.Fatalf("restarted association: stats %+v err %v", srvA.Stats(), srvA.Err())
	}
	if err := a2.Send(2, S1APPPID, []byte("second life")); err != nil {
		t.Fatal(err)
	}
	rec2.waitFor(t, 5*time.Second, "echo after restart", func() bool { return len(rec2.msgs) == 1 })
	if got := rec2.messages()[0].m; got.Stream != 2 || string(got.Data) != "second life" {
		t.Fatalf("echo after restart = %+v", got)
	}
	if len(p.srv.Associations()) != 1 {
		t.Fatalf("listener has %d associations, want the one restarted", len(p.srv.Associations()))
	}
}

// initPacket builds a valid SCTP INIT (RFC 4960 §3.3.2) as a stranger
// would send to open an association.
func initPacket() []byte {
	p := make([]byte, commonHeaderLen+chunkHeaderLen+initFixedLen)
	binary.BigEndian.PutUint16(p[0:], S1APPort)
	binary.BigEndian.PutUint16(p[2:], S1APPort)
	c := p[commonHeaderLen:]
	c[0] = chunkInit
	binary.BigEndian.PutUint16(c[2:], chunkHeaderLen+initFixedLen)
	_, _ = rand.Read(c[4:8])                 // initiate tag
	c[4] |= 1                                // never zero
	binary.BigEndian.PutUint32(c[8:], 65535) // a_rwnd
	binary.BigEndian.PutUint16(c[12:], 10)   // OS
	binary.BigEndian.PutUint16(c[14:], 10)   // MIS
	_, _ = rand.Read(c[16:20])               // initial TSN
	setChecksum(p)
	return p
}

// TestINITFlood: 1,000 sources on distinct 127.0.0.0/8 addresses each send
// an INIT and never complete the handshake, while an established
// association keeps exchanging messages. Pending handshakes stay within
// MaxPendingHandshakes, memory and goroutines stay bounded, the
// established association keeps its latency, and a new eNodeB can
// associate once the half-open handshakes expired.
func TestINITFlood(t *testing.T) {
	const sources = 1000
	p := newPair(t, ModeUDP, func(c *Config) { c.HandshakeTimeout = time.Second })
	maxPending := p.srv.Config().MaxPendingHandshakes
	srvAddr := p.srv.ListenAddrs()[0]

	got := make(chan struct{}, 1)
	p.cliRec.onMsg = func(*Association, Message) { got <- struct{}{} }
	p.srvRec.echo = true
	a := p.dial(t, nil)
	p.srvRec.waitFor(t, 5*time.Second, "up", func() bool { return p.srvRec.count(EventUp) == 1 })
	srvA := p.srv.Associations()[0]

	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	heap0, gor0 := ms.HeapInuse, runtime.NumGoroutine()

	// The established association pings throughout.
	var (
		rtts     []time.Duration
		stopPing atomic.Bool
		pingWG   sync.WaitGroup
		pingErr  error
	)
	pingWG.Add(1)
	go func() {
		defer pingWG.Done()
		for !stopPing.Load() {
			t0 := time.Now()
			if err := a.Send(1, S1APPPID, seqMsg(1, 1, uint32(len(rtts)))); err != nil {
				pingErr = err
				return
			}
			select {
			case <-got:
				rtts = append(rtts, time.Since(t0))
			case <-time.After(5 * time.Second):
				pingErr = errors.New("no echo within 5 s")
				return
			}
		}
	}()

	// Sample the bounds while the flood lasts.
	var peakPending int64
	var peakHeap uint64
	peakGor := 0
	sample := func() {
		peakPending = max(peakPending, p.srv.pending.Load())
		peakGor = max(peakGor, runtime.NumGoroutine())
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		peakHeap = max(peakHeap, m.HeapInuse)
	}
	conns := make([]*net.UDPConn, 0, sources)
	defer func() {
		for _, c := range conns {
			_ = c.Close()
		}
	}()
	for i := range sources {
		src := netip.AddrFrom4([4]byte{127, 1, byte(i / 250), byte(i%250 + 1)})
		c, err := net.DialUDP("udp", &net.UDPAddr{IP: src.AsSlice()}, net.UDPAddrFromAddrPort(srvAddr))
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		if _, err := c.Write(initPacket()); err != nil {
			t.Fatal(err)
		}
		if i%50 == 0 {
			sample()
		}
	}
	// Half-open handshakes live HandshakeTimeout: sample across it.
	tk := time.NewTicker(20 * time.Millisecond)
	for end := time.Now().Add(1500 * time.Millisecond); time.Now().Before(end); <-tk.C {
		sample()
	}
	tk.Stop()
	stopPing.Store(true)
	pingWG.Wait()
	if pingErr != nil {
		t.Fatalf("established association during the flood: %v", pingErr)
	}
	slices.Sort(rtts)
	p50, p99, worst := rtts[len(rtts)/2], rtts[len(rtts)*99/100], rtts[len(rtts)-1]
	l := p.srv.listener.(*udpListener)
	t.Logf("flood of %d INITs: %d refused, peak pending %d (bound %d), heap +%d KiB, goroutines +%d; %d pings, RTT p50 %v p99 %v max %v",
		sources, l.dropped.Load(), peakPending, maxPending, (int64(peakHeap)-int64(heap0))/1024, peakGor-gor0, len(rtts), p50, p99, worst)

	if peakPending > int64(maxPending) {
		t.Errorf("pending handshakes peaked at %d, bound %d", peakPending, maxPending)
	}
	if l.dropped.Load() == 0 {
		t.Error("no INIT refused: the bound was never exercised")
	}
	// Each half-open handshake holds pion's association (3 goroutines) and
	// our handshake goroutine.
	if peakGor-gor0 > maxPending*5+50 {
		t.Errorf("goroutines grew by %d", peakGor-gor0)
	}
	if int64(peakHeap)-int64(heap0) > 256<<20 {
		t.Errorf("heap grew by %d MiB", (int64(peakHeap)-int64(heap0))>>20)
	}
	// The S1 latency bound: a round trip well under a second even now
	// (four times that under the race detector).
	bound := 500 * time.Millisecond
	if raceEnabled {
		bound *= 4
	}
	if worst > bound {
		t.Errorf("worst round trip during the flood %v > %v", worst, bound)
	}
	if a.Err() != nil {
		t.Fatalf("established association went down: %v", a.Err())
	}

	// Once the half-open handshakes expired, a real eNodeB gets in.
	p.srvRec.waitFor(t, 5*time.Second, "pending handshakes expired", func() bool { return p.srv.pending.Load() == 0 })
	for i := range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		b, err := p.cli.Dial(ctx, p.srv.ListenAddrs(), p.cliRec)
		cancel()
		if err != nil {
			t.Fatalf("dial %d after the flood: %v", i, err)
		}
		b.Abort("done")
	}
	// The listener ends up holding only the established association.
	p.srvRec.waitFor(t, 5*time.Second, "the new associations gone from the listener", func() bool { return len(p.srv.Associations()) == 1 })
	if p.srv.Associations()[0].ID() != srvA.ID() {
		t.Fatal("the established association is not the one left")
	}

}

// TestPeerEndsDuringSetup: a peer completes its whole association (INIT to
// SHUTDOWN COMPLETE, 200 messages) while the listener's goroutine is still
// between pion's handshake and the association's start. pion acknowledged
// that DATA, so the listener must still report EventUp, every message in
// order, then EventDown with ErrShutdown: before the fix it reported
// nothing and dropped the messages (the TestGracefulShutdown/udp flake of a
// loaded CI run, where the handshake goroutine was simply late).
func TestPeerEndsDuringSetup(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	release := make(chan struct{})
	var once sync.Once
	open := func() { once.Do(func() { close(release) }) }
	defer open() // a failing test must not leave the handshake goroutine parked
	p := newPairWith(t, ModeUDP, func(c *Config) { c.afterHandshake = func() { <-release } }, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a, err := p.cli.Dial(ctx, p.srv.ListenAddrs(), p.cliRec)
	if err != nil {
		t.Fatal(err)
	}
	const n = 200
	for i := range n {
		if err := a.Send(uint16(i%4), S1APPPID, seqMsg(1, uint16(i%4), uint32(i/4))); err != nil {
			t.Fatal(err)
		}
	}
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if !errors.Is(a.Err(), ErrShutdown) {
		t.Fatalf("client down reason %v, want ErrShutdown", a.Err())
	}
	if got := p.srvRec.countNow(EventUp); got != 0 {
		t.Fatalf("listener reported %d EventUp while its handshake goroutine was held", got)
	}
	open()
	p.srvRec.waitFor(t, 5*time.Second, "server EventDown", func() bool { return p.srvRec.count(EventDown) == 1 })
	if err := p.srvRec.eventsOf(EventDown)[0].Err; !errors.Is(err, ErrShutdown) {
		t.Fatalf("server down reason %v, want ErrShutdown", err)
	}
	p.srvRec.mu.Lock()
	kinds := make([]EventKind, len(p.srvRec.events))
	for i, ev := range p.srvRec.events {
		kinds[i] = ev.Kind
	}
	p.srvRec.mu.Unlock()
	if !slices.Equal(kinds, []EventKind{EventUp, EventDown}) {
		t.Fatalf("server events %v, want [up down]", kinds)
	}
	var oc orderChecker
	msgs := p.srvRec.messages()
	for _, m := range msgs {
		oc.check(m.assoc, m.m)
	}
	if len(msgs) != n || len(oc.errs) > 0 {
		t.Fatalf("server received %d of %d messages; order errors %v", len(msgs), n, oc.errs)
	}
	// The association was never sendable on the listener's side.
	srvA := p.srvRec.eventsOf(EventUp)[0].Assoc
	if err := srvA.Send(1, S1APPPID, []byte{1}); !errors.Is(err, ErrAssociationDown) {
		t.Fatalf("send on the ended association: %v", err)
	}
	_ = p.cli.Close()
	_ = p.srv.Close()
}
