package s11

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lte-mme/mme/gtp"
)

// lossyProxy relays datagrams between a client and a server, dropping,
// duplicating and delaying them (a deterministic seed per run).
type lossyProxy struct {
	front, back *net.UDPConn // front faces the client, back the server
	server      netip.AddrPort
	client      atomic.Pointer[netip.AddrPort]

	mu  sync.Mutex
	rnd *rand.Rand

	dropP, dupP, delayP, longP float64
	wg                         sync.WaitGroup
	dropped, duplicated, late  atomic.Int64
}

func newLossyProxy(t *testing.T, server netip.AddrPort, seed uint64) *lossyProxy {
	t.Helper()
	lo := &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}
	front, err := net.ListenUDP("udp", lo)
	if err != nil {
		t.Fatal(err)
	}
	back, err := net.ListenUDP("udp", lo)
	if err != nil {
		t.Fatal(err)
	}
	p := &lossyProxy{front: front, back: back, server: server, rnd: rand.New(rand.NewPCG(seed, seed^0x5eed)),
		dropP: 0.10, dupP: 0.10, delayP: 0.20, longP: 0.03}
	p.wg.Add(2)
	go p.relay(front, func(from netip.AddrPort) (netip.AddrPort, *net.UDPConn) {
		p.client.Store(&from)
		return server, back
	})
	go p.relay(back, func(netip.AddrPort) (netip.AddrPort, *net.UDPConn) {
		if c := p.client.Load(); c != nil {
			return *c, front
		}
		return netip.AddrPort{}, nil
	})
	t.Cleanup(func() {
		front.Close()
		back.Close()
		p.wg.Wait()
	})
	return p
}

func (p *lossyProxy) addr() netip.AddrPort { return p.front.LocalAddr().(*net.UDPAddr).AddrPort() }

func (p *lossyProxy) relay(in *net.UDPConn, route func(netip.AddrPort) (netip.AddrPort, *net.UDPConn)) {
	defer p.wg.Done()
	buf := make([]byte, 65535)
	for {
		n, from, err := in.ReadFromUDPAddrPort(buf)
		if err != nil {
			return
		}
		to, out := route(from)
		if out == nil {
			continue
		}
		b := append([]byte(nil), buf[:n]...)
		p.mu.Lock()
		drop, dup := p.rnd.Float64() < p.dropP, p.rnd.Float64() < p.dupP
		var delay time.Duration
		switch r := p.rnd.Float64(); {
		case r < p.longP: // later than T3: crosses retransmissions
			delay = time.Duration(60+p.rnd.IntN(90)) * time.Millisecond
			p.late.Add(1)
		case r < p.delayP:
			delay = time.Duration(p.rnd.IntN(30)) * time.Millisecond
		}
		p.mu.Unlock()
		if drop {
			p.dropped.Add(1)
			continue
		}
		copies := 1
		if dup {
			copies = 2
			p.duplicated.Add(1)
		}
		for range copies {
			if delay == 0 {
				out.WriteToUDPAddrPort(b, to)
				continue
			}
			p.wg.Add(1)
			time.AfterFunc(delay, func() {
				defer p.wg.Done()
				out.WriteToUDPAddrPort(b, to)
			})
		}
	}
}

// Many sessions through a proxy that drops, duplicates and delays both
// ways: every transaction completes exactly once at the MME, every request
// is handled exactly once at the SGW (retransmissions answered from the
// cache), and the counters of both sides add up.
func TestLossyPath(t *testing.T) {
	const sessions, parallel = 300, 30
	var handled sync.Map // "type/session" -> *atomic.Int64
	count := func(k string) {
		v, _ := handled.LoadOrStore(k, new(atomic.Int64))
		v.(*atomic.Int64).Add(1)
	}
	var sgwp atomic.Pointer[Endpoint]
	sgw := listen(t, Config{T3: 50 * time.Millisecond, N3: 8, CacheTTL: 3 * time.Second, EchoInterval: -1,
		Handler: func(in *Incoming) {
			e := sgwp.Load()
			switch m := in.Msg.(type) {
			case *gtp.CreateSessionRequest:
				count("csr/" + m.IMSI)
				teid, err := e.AllocTEID(SessionKey(m.SenderFTEID.TEID), in.Peer)
				if err != nil {
					t.Error(err)
					return
				}
				in.Respond(m.SenderFTEID.TEID, &gtp.CreateSessionResponse{Cause: gtp.Cause{Value: gtp.CauseRequestAccepted},
					SenderFTEID:           gtp.FTEID{Interface: gtp.IfS11S4SGWGTPC, TEID: teid, IPv4: netip.MustParseAddr("127.0.0.1")},
					BearerContextsCreated: []gtp.BearerContext{{EBI: 5, Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}}}})
			case *gtp.ModifyBearerRequest:
				count(fmt.Sprint("mbr/", in.Session))
				in.Respond(uint32(in.Session), &gtp.ModifyBearerResponse{Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}})
			case *gtp.DeleteSessionRequest:
				count(fmt.Sprint("dsr/", in.Session))
				e.ReleaseTEID(in.Header.TEID)
				in.Respond(uint32(in.Session), &gtp.DeleteSessionResponse{Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}})
			}
		}})
	sgwp.Store(sgw)
	proxy := newLossyProxy(t, sgw.LocalAddr(), 20261123)
	mme := listen(t, Config{T3: 50 * time.Millisecond, N3: 8, EchoInterval: -1})

	var completions atomic.Int64
	once := func(do func(done func(gtp.Message, error)) error) (gtp.Message, error) {
		ch := make(chan result, 2)
		var calls atomic.Int32
		if err := do(func(m gtp.Message, err error) {
			if calls.Add(1) > 1 {
				t.Error("done called twice")
			}
			completions.Add(1)
			ch <- result{m, err}
		}); err != nil {
			return nil, err
		}
		select {
		case r := <-ch:
			return r.m, r.err
		case <-time.After(10 * time.Second):
			t.Error("no completion")
			return nil, context.DeadlineExceeded
		}
	}
	var wg sync.WaitGroup
	sem := make(chan struct{}, parallel)
	for s := range sessions {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			req := csr(uint32(s + 1))
			req.IMSI = imsiOf(s)
			m, err := once(func(d func(gtp.Message, error)) error { return mme.Request(proxy.addr(), 0, req, d) })
			if err != nil {
				t.Errorf("session %d CSR: %v", s, err)
				return
			}
			sgwTEID := m.(*gtp.CreateSessionResponse).SenderFTEID.TEID
			if _, err := once(func(d func(gtp.Message, error)) error {
				return mme.Request(proxy.addr(), sgwTEID, &gtp.ModifyBearerRequest{}, d)
			}); err != nil {
				t.Errorf("session %d MBR: %v", s, err)
				return
			}
			if _, err := once(func(d func(gtp.Message, error)) error {
				return mme.Request(proxy.addr(), sgwTEID, &gtp.DeleteSessionRequest{LinkedEBI: 5}, d)
			}); err != nil {
				t.Errorf("session %d DSR: %v", s, err)
			}
		}()
	}
	wg.Wait()

	n := int64(0)
	handled.Range(func(k, v any) bool {
		if c := v.(*atomic.Int64).Load(); c != 1 {
			t.Errorf("%v handled %d times", k, c)
		}
		n++
		return true
	})
	ms, ss := mme.Stats(), sgw.Stats()
	t.Logf("proxy: dropped %d, duplicated %d, delayed past T3 %d", proxy.dropped.Load(), proxy.duplicated.Load(), proxy.late.Load())
	t.Logf("MME: %+v", ms)
	t.Logf("SGW: %+v", ss)
	if n != 3*sessions || completions.Load() != 3*sessions {
		t.Fatalf("handled %d distinct requests and completed %d, want %d", n, completions.Load(), 3*sessions)
	}
	if ms.RequestsSent != 3*sessions || ms.ResponsesReceived != 3*sessions || ms.Timeouts != 0 {
		t.Errorf("MME counters %+v", ms)
	}
	if ss.RequestsReceived != 3*sessions || ss.ResponsesSent != 3*sessions {
		t.Errorf("SGW counters %+v", ss)
	}
	// The faults must have happened, and been absorbed where the spec says.
	if proxy.dropped.Load() == 0 || ms.Retransmissions == 0 || ss.DuplicateRequests == 0 || ms.LateResponses == 0 {
		t.Errorf("the proxy did not exercise the transaction layer: %+v %+v", ms, ss)
	}
	if sgw.TEIDs().Len() != 0 {
		t.Errorf("%d SGW sessions left", sgw.TEIDs().Len())
	}
}

func imsiOf(s int) string {
	const digits = "0123456789"
	b := []byte("001010000000000")
	for k := len(b) - 1; s > 0; k-- {
		b[k] = digits[s%10]
		s /= 10
	}
	return string(b)
}
