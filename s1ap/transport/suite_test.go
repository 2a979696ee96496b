package transport

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// seqMsg builds a ~100-byte message carrying (sender tag, stream, seq).
func seqMsg(tag uint32, stream uint16, seq uint32) []byte {
	b := make([]byte, 100)
	binary.BigEndian.PutUint32(b[0:], tag)
	binary.BigEndian.PutUint16(b[4:], stream)
	binary.BigEndian.PutUint32(b[6:], seq)
	for i := 10; i < len(b); i++ {
		b[i] = byte(i)
	}
	return b
}

// orderChecker verifies per-(association, stream) ordering and PPID.
type orderChecker struct {
	mu   sync.Mutex
	next map[[2]uint64]uint32
	errs []string
	n    int
}

func (o *orderChecker) check(assoc uint64, m Message) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.next == nil {
		o.next = make(map[[2]uint64]uint32)
	}
	o.n++
	if m.PPID != S1APPPID {
		o.errs = append(o.errs, fmt.Sprintf("assoc %d stream %d: PPID %d", assoc, m.Stream, m.PPID))
	}
	if len(m.Data) != 100 || binary.BigEndian.Uint16(m.Data[4:]) != m.Stream {
		o.errs = append(o.errs, fmt.Sprintf("assoc %d stream %d: wrong stream in payload", assoc, m.Stream))
		return
	}
	k := [2]uint64{assoc, uint64(m.Stream)}
	seq := binary.BigEndian.Uint32(m.Data[6:])
	if seq != o.next[k] {
		o.errs = append(o.errs, fmt.Sprintf("assoc %d stream %d: got seq %d, want %d", assoc, m.Stream, seq, o.next[k]))
	}
	o.next[k] = seq + 1
}

// TestManyAssociationsAndStreams: 100 associations from one dialing
// endpoint (the load tester's case), 8 streams each, 10 messages per
// stream in each direction; PPID 18 and per-stream order kept.
func TestManyAssociationsAndStreams(t *testing.T) {
	modes(t, func(t *testing.T, mode Mode) {
		const assocs, streams, perStream = 100, 8, 10
		p := newPair(t, mode, nil)
		var srvOrder, cliOrder orderChecker
		p.srvRec.onMsg = func(a *Association, m Message) { srvOrder.check(a.ID(), m) }
		p.cliRec.onMsg = func(a *Association, m Message) { cliOrder.check(a.ID(), m) }

		as := make([]*Association, assocs)
		for i := range as {
			as[i] = p.dial(t, nil)
		}
		p.srvRec.waitFor(t, 10*time.Second, "100 server-side EventUp", func() bool { return p.srvRec.count(EventUp) == assocs })
		if got := len(p.srv.Associations()); got != assocs {
			for _, ev := range p.srvRec.eventsOf(EventDown) {
				t.Logf("server down: %v: %v", ev.Assoc, ev.Err)
			}
			t.Fatalf("server has %d associations, want %d", got, assocs)
		}
		send := func(a *Association) error {
			for seq := uint32(0); seq < perStream; seq++ {
				for s := uint16(0); s < streams; s++ {
					if err := a.Send(s, S1APPPID, seqMsg(uint32(a.ID()), s, seq)); err != nil {
						return err
					}
				}
			}
			return nil
		}
		for _, a := range as {
			if err := send(a); err != nil {
				for _, ev := range p.cliRec.eventsOf(EventDown) {
					t.Logf("client down: %v: %v", ev.Assoc, ev.Err)
				}
				for _, ev := range p.srvRec.eventsOf(EventDown) {
					t.Logf("server down: %v: %v", ev.Assoc, ev.Err)
				}
				t.Fatal(err)
			}
		}
		for _, a := range p.srv.Associations() {
			if err := send(a); err != nil {
				t.Fatal(err)
			}
		}
		total := assocs * streams * perStream
		p.srvRec.waitFor(t, 20*time.Second, "all client messages", func() bool { return len(p.srvRec.msgs) == total })
		p.cliRec.waitFor(t, 20*time.Second, "all server messages", func() bool { return len(p.cliRec.msgs) == total })
		for _, o := range []*orderChecker{&srvOrder, &cliOrder} {
			if len(o.errs) > 0 {
				t.Fatalf("%d order/PPID errors, first: %s", len(o.errs), o.errs[0])
			}
			if o.n != total {
				t.Fatalf("checked %d messages, want %d", o.n, total)
			}
		}
	})
}

// TestGracefulShutdown: SHUTDOWN from the dialer ends both sides with
// ErrShutdown, after every queued message was delivered; closing both
// endpoints leaves no goroutine behind.
func TestGracefulShutdown(t *testing.T) {
	modes(t, func(t *testing.T, mode Mode) {
		defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
		p := newPair(t, mode, nil)
		a := p.dial(t, nil)
		for i := range 200 {
			if err := a.Send(uint16(i%4), S1APPPID, seqMsg(1, uint16(i%4), uint32(i/4))); err != nil {
				t.Fatal(err)
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := a.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		if !errors.Is(a.Err(), ErrShutdown) {
			t.Fatalf("client down reason %v, want ErrShutdown", a.Err())
		}
		p.srvRec.waitFor(t, 5*time.Second, "server EventDown", func() bool { return p.srvRec.count(EventDown) == 1 })
		if got := len(p.srvRec.messages()); got != 200 {
			t.Fatalf("server received %d of 200 messages before shutdown", got)
		}
		if err := p.srvRec.eventsOf(EventDown)[0].Err; !errors.Is(err, ErrShutdown) {
			t.Fatalf("server down reason %v, want ErrShutdown", err)
		}
		if err := a.Send(0, S1APPPID, []byte{1}); !errors.Is(err, ErrAssociationDown) {
			t.Fatalf("send after shutdown: %v", err)
		}
		_ = p.cli.Close()
		_ = p.srv.Close()
	})
}

// TestAbort: ABORT from the dialer is reported to the listener as
// ErrPeerAborted and locally as ErrLocalAbort.
func TestAbort(t *testing.T) {
	modes(t, func(t *testing.T, mode Mode) {
		p := newPair(t, mode, nil)
		a := p.dial(t, nil)
		a.Abort("test abort")
		if !errors.Is(a.Err(), ErrLocalAbort) {
			t.Fatalf("client down reason %v", a.Err())
		}
		p.srvRec.waitFor(t, 5*time.Second, "server EventDown", func() bool { return p.srvRec.count(EventDown) == 1 })
		if err := p.srvRec.eventsOf(EventDown)[0].Err; !errors.Is(err, ErrPeerAborted) {
			t.Fatalf("server down reason %v, want ErrPeerAborted", err)
		}
		if n := p.cliRec.countNow(EventDown); n != 1 {
			t.Fatalf("client saw %d EventDown", n)
		}
	})
}

// TestEndpointCloseAbortsAll: closing the listening endpoint reports every
// association down on both sides.
func TestEndpointCloseAbortsAll(t *testing.T) {
	modes(t, func(t *testing.T, mode Mode) {
		p := newPair(t, mode, nil)
		for range 5 {
			p.dial(t, nil)
		}
		p.srvRec.waitFor(t, 5*time.Second, "5 up", func() bool { return p.srvRec.count(EventUp) == 5 })
		if err := p.srv.Close(); err != nil {
			t.Fatal(err)
		}
		if n := p.srvRec.countNow(EventDown); n != 5 {
			t.Fatalf("server reported %d EventDown after Close, want 5", n)
		}
		p.cliRec.waitFor(t, 5*time.Second, "5 client down", func() bool { return p.cliRec.count(EventDown) == 5 })
		for _, ev := range p.cliRec.eventsOf(EventDown) {
			if !errors.Is(ev.Err, ErrPeerAborted) {
				t.Fatalf("client down reason %v, want ErrPeerAborted", ev.Err)
			}
		}
		if _, err := p.cli.Dial(context.Background(), p.srv.ListenAddrs(), p.cliRec); err == nil {
			t.Fatal("dial to a closed endpoint succeeded")
		}
	})
}

// TestSendErrors: each Send refusal has its sentinel.
func TestSendErrors(t *testing.T) {
	modes(t, func(t *testing.T, mode Mode) {
		p := newPair(t, mode, func(c *Config) { c.MaxMessageSize = 1000; c.SendQueueBytes = 1000 })
		a := p.dial(t, nil)
		_, out := a.Streams()
		for _, tc := range []struct {
			name   string
			stream uint16
			data   []byte
			want   error
		}{
			{"stream beyond negotiated", out, []byte{1}, ErrInvalidStream},
			{"too large", 0, make([]byte, 1001), ErrMessageTooLarge},
			{"empty", 0, nil, ErrEmptyMessage},
		} {
			if err := a.Send(tc.stream, S1APPPID, tc.data); !errors.Is(err, tc.want) {
				t.Errorf("%s: Send = %v, want %v", tc.name, err, tc.want)
			}
		}
	})
}

// TestBackpressure: a receiver that stops reading closes the window; the
// sender's bounded queue then refuses with ErrSendQueueFull instead of
// growing, and nothing accepted is lost once the receiver resumes.
func TestBackpressure(t *testing.T) {
	modes(t, func(t *testing.T, mode Mode) {
		const msgSize = 1000
		p := newPair(t, mode, func(c *Config) {
			c.MaxMessageSize = msgSize
			c.SendQueueBytes = 32 * msgSize
			c.ReceiveWindow = 16 * msgSize
		})
		gate := make(chan struct{})
		p.srvRec.onMsg = func(*Association, Message) { <-gate }
		a := p.dial(t, nil)
		accepted := 0
		var full error
		for i := 0; i < 100000 && full == nil; i++ {
			err := a.Send(1, S1APPPID, bytes.Repeat([]byte{byte(i)}, msgSize))
			switch {
			case err == nil:
				accepted++
			case errors.Is(err, ErrSendQueueFull):
				full = err
			default:
				t.Fatal(err)
			}
		}
		if full == nil {
			t.Fatalf("100000 sends into a stalled receiver never returned ErrSendQueueFull")
		}
		if a.Stats().SendQueueFull == 0 {
			t.Fatal("SendQueueFull counter not incremented")
		}
		t.Logf("%s: queue full after %d messages of %d bytes", mode, accepted, msgSize)
		close(gate)
		p.srvRec.waitFor(t, 20*time.Second, "every accepted message", func() bool { return len(p.srvRec.msgs) == accepted })
	})
}

// TestMaxAssociations: the listener refuses associations beyond the bound.
func TestMaxAssociations(t *testing.T) {
	modes(t, func(t *testing.T, mode Mode) {
		p := newPairWith(t, mode, func(c *Config) { c.MaxAssociations = 3 }, func(c *Config) { c.HandshakeTimeout = 500 * time.Millisecond })
		for range 3 {
			p.dial(t, nil)
		}
		p.srvRec.waitFor(t, 5*time.Second, "3 up", func() bool { return p.srvRec.count(EventUp) == 3 })
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		a, err := p.cli.Dial(ctx, p.srv.ListenAddrs(), p.cliRec)
		if err == nil {
			// Kernel mode may complete the handshake before accept; the
			// endpoint then closes it at once.
			<-a.Done()
		}
		if mode == ModeUDP && err == nil {
			t.Fatal("dial beyond the listener's bound succeeded")
		}
		if n := len(p.srv.Associations()); n != 3 {
			t.Fatalf("server has %d associations, want 3", n)
		}
		if n := p.srvRec.countNow(EventUp); n != 3 {
			t.Fatalf("server reported %d EventUp, want 3", n)
		}
	})
}

// TestStreamCountsNegotiated: the listener offers fewer inbound streams
// than the dialer wants; both sides agree on the minimum (RFC 4960 §5.1.1).
func TestStreamCountsNegotiated(t *testing.T) {
	modes(t, func(t *testing.T, mode Mode) {
		p := newPair(t, mode, nil)
		// A second server with 4 inbound and 6 outbound streams.
		cfg := testConfig(mode)
		cfg.InStreams, cfg.OutStreams = 4, 6
		if mode == ModeKernel {
			cfg.Port = 0
		}
		srv, err := NewEndpoint(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		rec := newRecorder()
		if err := srv.Listen(rec); err != nil {
			t.Fatal(err)
		}
		a, err := p.cli.Dial(context.Background(), srv.ListenAddrs(), p.cliRec)
		if err != nil {
			t.Fatal(err)
		}
		if in, out := a.Streams(); in != 6 || out != 4 {
			t.Fatalf("dialer streams in/out = %d/%d, want 6/4", in, out)
		}
		rec.waitFor(t, 5*time.Second, "up", func() bool { return rec.count(EventUp) == 1 })
		if in, out := rec.eventsOf(EventUp)[0].Assoc.Streams(); in != 4 || out != 6 {
			t.Fatalf("listener streams in/out = %d/%d, want 4/6", in, out)
		}
		if err := a.Send(4, S1APPPID, []byte{1}); !errors.Is(err, ErrInvalidStream) {
			t.Fatalf("send on stream 4 of 4: %v", err)
		}
		if err := a.Send(3, S1APPPID, []byte{1}); err != nil {
			t.Fatal(err)
		}
		rec.waitFor(t, 5*time.Second, "message on stream 3", func() bool { return len(rec.msgs) == 1 && rec.msgs[0].m.Stream == 3 })
	})
}

// TestOversizedInboundMessage: a peer sending more than MaxMessageSize is
// aborted with ErrProtocolViolation.
func TestOversizedInboundMessage(t *testing.T) {
	modes(t, func(t *testing.T, mode Mode) {
		p := newPair(t, mode, nil)
		cfg := testConfig(mode)
		cfg.MaxMessageSize = 4096
		if mode == ModeKernel {
			cfg.Port = 0
		}
		srv, err := NewEndpoint(cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		rec := newRecorder()
		if err := srv.Listen(rec); err != nil {
			t.Fatal(err)
		}
		a, err := p.cli.Dial(context.Background(), srv.ListenAddrs(), p.cliRec)
		if err != nil {
			t.Fatal(err)
		}
		if err := a.Send(1, S1APPPID, make([]byte, 10000)); err != nil {
			t.Fatal(err)
		}
		rec.waitFor(t, 5*time.Second, "down", func() bool { return rec.count(EventDown) == 1 })
		if err := rec.eventsOf(EventDown)[0].Err; !errors.Is(err, ErrProtocolViolation) {
			t.Fatalf("down reason %v, want ErrProtocolViolation", err)
		}
		if len(rec.messages()) != 0 {
			t.Fatal("oversized message delivered")
		}
	})
}

// TestEndpointShutdown: shutting the listening endpoint down ends every
// association with SHUTDOWN on both sides, then closes it.
func TestEndpointShutdown(t *testing.T) {
	modes(t, func(t *testing.T, mode Mode) {
		p := newPair(t, mode, nil)
		for range 3 {
			p.dial(t, nil)
		}
		p.srvRec.waitFor(t, 5*time.Second, "3 up", func() bool { return p.srvRec.count(EventUp) == 3 })
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := p.srv.Shutdown(ctx); err != nil {
			t.Fatal(err)
		}
		p.cliRec.waitFor(t, 5*time.Second, "3 client down", func() bool { return p.cliRec.count(EventDown) == 3 })
		for _, ev := range append(p.srvRec.eventsOf(EventDown), p.cliRec.eventsOf(EventDown)...) {
			if !errors.Is(ev.Err, ErrShutdown) {
				t.Fatalf("down reason %v, want ErrShutdown", ev.Err)
			}
		}
		if err := p.srv.Listen(p.srvRec); !errors.Is(err, ErrEndpointClosed) {
			t.Fatalf("Listen after Shutdown: %v", err)
		}
	})
}
