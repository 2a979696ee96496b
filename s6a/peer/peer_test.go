package peer

import (
	"context"
	"errors"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/lte-mme/mme/s6a"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var fastTimers = Timers{Watchdog: time.Second, RequestTimeout: 3 * time.Second, Tick: 5 * time.Millisecond,
	ReopenDWAs: 2, ReconnectMin: 10 * time.Millisecond, ReconnectMax: 100 * time.Millisecond}

// watchdogTimers has a short Tw for the tests of the watchdog itself.
var watchdogTimers = func() Timers { t := fastTimers; t.Watchdog = 200 * time.Millisecond; return t }()

// eventually waits for cond, checking every few milliseconds, until d.
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

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// hss starts a Server on loopback answering AIRs with one vector.
func hss(t *testing.T, host string, h Handler) (*Server, string) {
	return hssWith(t, host, h, fastTimers)
}

func hssWith(t *testing.T, host string, h Handler, tm Timers) (*Server, string) {
	t.Helper()
	if h == nil {
		h = answerAIR(host)
	}
	s, err := NewServer(ServerConfig{Identity: Identity{OriginHost: host, OriginRealm: "epc"}, Timers: tm, Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(l)
	t.Cleanup(func() { s.Close() })
	return s, l.Addr().String()
}

func answerAIR(host string) Handler {
	return func(r *Request, answer func(*diam.Message)) {
		air, err := s6a.DecodeAIR(r.Message)
		if err != nil {
			answer((&s6a.ErrorAnswer{OriginHost: host, OriginRealm: "epc", Result: s6a.BaseResult(s6a.ResultMissingAVP)}).Encode(r.Message.Header))
			return
		}
		answer((&s6a.AIA{AnswerHeader: s6a.AnswerHeader{SessionID: air.SessionID, OriginHost: host, OriginRealm: "epc", Result: s6a.Success},
			Vectors: []s6a.EUTRANVector{{RAND: [16]byte{1}, XRES: make([]byte, 8), AUTN: [16]byte{2}, KASME: [32]byte{3}}}}).Encode())
	}
}

func mme(t *testing.T, peers []string, h Handler, timers Timers) *Client {
	t.Helper()
	c, err := NewClient(ClientConfig{Identity: Identity{OriginHost: "mme.epc", OriginRealm: "epc"}, DestinationRealm: "epc",
		Peers: peers, Timers: timers, Handler: h})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(ctxT(t, 2*time.Second)) })
	return c
}

func air(c *Client) *diam.Message {
	return (&s6a.AIR{RequestHeader: c.Header(), IMSI: "001010000000001", VisitedPLMNID: [3]byte{0, 0xf1, 0x10},
		EUTRAN: &s6a.RequestedEUTRANAuthInfo{NumberOfRequestedVectors: 1}}).Encode()
}

func TestRequestAnswer(t *testing.T) {
	_, addr := hss(t, "hss1.epc", nil)
	c := mme(t, []string{addr}, nil, fastTimers)
	if err := c.WaitOpen(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	if p := c.Peers()[0]; p.State != StateOpen || p.RemoteHost != "hss1.epc" {
		t.Fatalf("peer %+v", p)
	}
	ans, err := c.Call(ctxT(t, 5*time.Second), air(c))
	if err != nil {
		t.Fatal(err)
	}
	aia, err := s6a.DecodeAIA(ans)
	if err != nil || aia.Result != s6a.Success || len(aia.Vectors) != 1 || aia.OriginHost != "hss1.epc" {
		t.Fatalf("AIA %+v, %v", aia, err)
	}
	// Many concurrent requests, each answered exactly once.
	const n = 500
	var wg sync.WaitGroup
	var got atomic.Int64
	wg.Add(n)
	for range n {
		c.Send(air(c), func(m *diam.Message, err error) {
			if err == nil {
				got.Add(1)
			}
			wg.Done()
		})
	}
	wg.Wait()
	if got.Load() != n || c.Pending() != 0 {
		t.Fatalf("%d of %d answered, %d pending", got.Load(), n, c.Pending())
	}
}

func TestNoPeer(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close() // nothing listens there
	c := mme(t, []string{addr}, nil, fastTimers)
	_, err := c.Call(ctxT(t, time.Second), air(c))
	if !errors.Is(err, ErrNoPeer) {
		t.Fatalf("Call with no peer: %v", err)
	}
}

// fakeHSS is a test peer on raw TCP: it does the capabilities exchange,
// then answers DWRs and requests only while told to.
type fakeHSS struct {
	l        net.Listener
	host     string
	silent   atomic.Bool        // answer nothing at all
	requests chan *diam.Message // S6a requests received
	conns    sync.WaitGroup
	mu       sync.Mutex
	nc       []net.Conn
}

func newFakeHSS(t *testing.T, host string) *fakeHSS {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeHSS{l: l, host: host, requests: make(chan *diam.Message, 16)}
	f.conns.Add(1)
	go func() {
		defer f.conns.Done()
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			f.mu.Lock()
			f.nc = append(f.nc, nc)
			f.mu.Unlock()
			f.conns.Add(1)
			go f.serve(nc)
		}
	}()
	t.Cleanup(f.close)
	return f
}

func (f *fakeHSS) close() {
	f.l.Close()
	f.mu.Lock()
	for _, nc := range f.nc {
		nc.Close()
	}
	f.mu.Unlock()
	f.conns.Wait()
}

func (f *fakeHSS) serve(nc net.Conn) {
	defer f.conns.Done()
	for {
		m, err := readMsg(nc)
		if err != nil {
			return
		}
		if f.silent.Load() {
			if m.Header.CommandFlags&diam.RequestFlag != 0 && m.Header.CommandCode == s6a.CmdAuthenticationInformation {
				f.requests <- m
			}
			continue
		}
		var ans *diam.Message
		switch m.Header.CommandCode {
		case s6a.CmdCapabilitiesExchange:
			ans = (&s6a.CEA{Result: s6a.Success, Capabilities: s6a.Capabilities{OriginHost: f.host, OriginRealm: "epc",
				ProductName: "fake", AuthApplicationIDs: []uint32{s6a.ApplicationID}}}).Encode()
		case s6a.CmdDeviceWatchdog:
			ans = (&s6a.DWA{Result: s6a.Success, OriginHost: f.host, OriginRealm: "epc"}).Encode()
		default:
			f.requests <- m
			continue
		}
		f.write(nc, m.Header, ans)
	}
}

func (f *fakeHSS) write(nc net.Conn, req *diam.Header, ans *diam.Message) {
	ans.Header.HopByHopID, ans.Header.EndToEndID = req.HopByHopID, req.EndToEndID
	b, _ := ans.Serialize()
	nc.Write(b)
}

// answerLate answers req on the first accepted connection.
func (f *fakeHSS) answer(req *diam.Message) {
	f.mu.Lock()
	nc := f.nc[0]
	f.mu.Unlock()
	air, _ := s6a.DecodeAIR(req)
	f.write(nc, req.Header, (&s6a.AIA{AnswerHeader: s6a.AnswerHeader{SessionID: air.SessionID, OriginHost: f.host, OriginRealm: "epc", Result: s6a.Success}}).Encode())
}

func readMsg(r io.Reader) (*diam.Message, error) {
	hdr := make([]byte, s6a.HeaderLength)
	if _, err := io.ReadFull(r, hdr); err != nil {
		return nil, err
	}
	n, err := s6a.MessageLength(hdr)
	if err != nil {
		return nil, err
	}
	b := make([]byte, n)
	copy(b, hdr)
	if _, err := io.ReadFull(r, b[s6a.HeaderLength:]); err != nil {
		return nil, err
	}
	return s6a.Parse(b)
}

// TestFailoverInFlight: the primary HSS takes a request and goes silent;
// the watchdog marks it SUSPECT and the request is re-sent with the T flag
// to the alternate, which answers. When the primary answers late, that
// answer is dropped: exactly one answer, none lost.
func TestFailoverInFlight(t *testing.T) {
	primary := newFakeHSS(t, "hss1.epc")
	var altSeen atomic.Pointer[diam.Header]
	_, altAddr := hss(t, "hss2.epc", func(r *Request, answer func(*diam.Message)) {
		h := *r.Message.Header
		altSeen.Store(&h)
		answerAIR("hss2.epc")(r, answer)
	})
	c := mme(t, []string{primary.l.Addr().String(), altAddr}, nil, watchdogTimers)
	ctx := ctxT(t, 10*time.Second)
	for _, a := range []string{primary.l.Addr().String(), altAddr} {
		if err := c.WaitState(ctx, a, StateOpen); err != nil {
			t.Fatal(err)
		}
	}
	primary.silent.Store(true)
	var calls atomic.Int32
	res := make(chan *diam.Message, 2)
	req := air(c)
	c.Send(req, func(m *diam.Message, err error) {
		calls.Add(1)
		if err != nil {
			t.Errorf("done: %v", err)
		}
		res <- m
	})
	var first *diam.Message
	select {
	case first = <-primary.requests:
	case <-ctx.Done():
		t.Fatal("primary did not get the request")
	}
	if first.Header.CommandFlags&diam.RetransmittedFlag != 0 {
		t.Error("first transmission has the T flag")
	}
	var ans *diam.Message
	select {
	case ans = <-res:
	case <-ctx.Done():
		t.Fatal("no answer after failover")
	}
	aia, err := s6a.DecodeAIA(ans)
	if err != nil || aia.OriginHost != "hss2.epc" {
		t.Fatalf("answer from %+v, %v", aia, err)
	}
	h := altSeen.Load()
	if h == nil || h.CommandFlags&diam.RetransmittedFlag == 0 || h.EndToEndID != first.Header.EndToEndID {
		t.Fatalf("alternate got %+v, want T flag and end-to-end id %#x", h, first.Header.EndToEndID)
	}
	// The primary's late answer is dropped.
	primary.silent.Store(false)
	primary.answer(first)
	eventually(t, 10*time.Second, "the late answer", func() bool { return c.Stats().Unmatched >= 1 })
	if n := calls.Load(); n != 1 {
		t.Fatalf("done called %d times", n)
	}
	if st := c.Stats(); st.Retransmits != 1 || st.Answers != 1 {
		t.Fatalf("stats %+v", st)
	}
}

// TestWatchdogSilentPeer: a peer that stops answering is SUSPECT after
// 2·Tw and closed after 3·Tw (RFC 3539 §3.4.1); the client reconnects,
// and after the REOPEN watchdogs the peer is OPEN again.
func TestWatchdogSilentPeer(t *testing.T) {
	f := newFakeHSS(t, "hss1.epc")
	addr := f.l.Addr().String()
	var mu sync.Mutex
	var states []State
	c, err := NewClient(ClientConfig{Identity: Identity{OriginHost: "mme.epc", OriginRealm: "epc"}, DestinationRealm: "epc",
		Peers: []string{addr}, Timers: watchdogTimers,
		OnState: func(_ string, s State) { mu.Lock(); states = append(states, s); mu.Unlock() }})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(ctxT(t, time.Second))
	ctx := ctxT(t, 10*time.Second)
	if err := c.WaitState(ctx, addr, StateOpen); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	f.silent.Store(true)
	if err := c.WaitState(ctx, addr, StateSuspect); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < watchdogTimers.Watchdog {
		t.Errorf("suspect after %v, before Tw", d)
	}
	if err := c.WaitState(ctx, addr, StateDown); err != nil {
		t.Fatal(err)
	}
	f.silent.Store(false)
	if err := c.WaitState(ctx, addr, StateOpen); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	want := []State{StateHandshake, StateOpen, StateSuspect, StateDown, StateHandshake, StateReopen, StateOpen}
	if len(states) != len(want) {
		t.Fatalf("states %v, want %v", states, want)
	}
	for i := range want {
		if states[i] != want[i] {
			t.Fatalf("states %v, want %v", states, want)
		}
	}
}

// TestCancelLocationToMME: the HSS sends a CLR to the MME by its
// Origin-Host; the MME's handler gets it and its CLA reaches the HSS.
func TestCancelLocationToMME(t *testing.T) {
	srv, addr := hss(t, "hss1.epc", nil)
	got := make(chan *s6a.CLR, 1)
	c := mme(t, []string{addr}, func(r *Request, answer func(*diam.Message)) {
		clr, err := s6a.DecodeCLR(r.Message)
		if err != nil {
			t.Errorf("CLR: %v", err)
			return
		}
		if r.PeerHost != "hss1.epc" {
			t.Errorf("peer host %q", r.PeerHost)
		}
		got <- clr
		answer((&s6a.CLA{AnswerHeader: s6a.AnswerHeader{SessionID: clr.SessionID, OriginHost: "mme.epc", OriginRealm: "epc", Result: s6a.Success}}).Encode())
	}, fastTimers)
	ctx := ctxT(t, 5*time.Second)
	if err := c.WaitOpen(ctx); err != nil {
		t.Fatal(err)
	}
	if err := srv.WaitPeer(ctx, "mme.epc"); err != nil {
		t.Fatal(err)
	}
	clr := &s6a.CLR{RequestHeader: s6a.RequestHeader{SessionID: "hss1.epc;1;1", OriginHost: "hss1.epc", OriginRealm: "epc",
		DestinationHost: "mme.epc", DestinationRealm: "epc"}, IMSI: "001010000000001", CancellationType: s6a.CancelSubscriptionWithdrawal}
	done := make(chan error, 1)
	srv.Send("mme.epc", clr.Encode(), func(m *diam.Message, err error) {
		if err == nil {
			var cla *s6a.CLA
			cla, err = s6a.DecodeCLA(m)
			if err == nil && cla.Result != s6a.Success {
				err = errors.New(cla.Result.String())
			}
		}
		done <- err
	})
	select {
	case r := <-got:
		if r.IMSI != "001010000000001" || r.CancellationType != s6a.CancelSubscriptionWithdrawal {
			t.Fatalf("CLR %+v", r)
		}
	case <-ctx.Done():
		t.Fatal("CLR did not reach the MME handler")
	}
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("no CLA")
	}
	// A CLR for an MME that is not connected fails at once.
	srv.Send("other.epc", clr.Encode(), func(_ *diam.Message, err error) { done <- err })
	if err := <-done; !errors.Is(err, ErrNoPeer) {
		t.Fatalf("CLR to unknown MME: %v", err)
	}
}

// TestTimeout: a request the HSS never answers fails with ErrTimeout once.
func TestTimeout(t *testing.T) {
	f := newFakeHSS(t, "hss1.epc")
	tm := fastTimers
	tm.RequestTimeout = 50 * time.Millisecond
	tm.Watchdog = time.Second
	c := mme(t, []string{f.l.Addr().String()}, nil, tm)
	if err := c.WaitOpen(ctxT(t, 5*time.Second)); err != nil {
		t.Fatal(err)
	}
	_, err := c.Call(ctxT(t, 5*time.Second), air(c))
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("Call = %v, want ErrTimeout", err)
	}
	<-f.requests
	if st := c.Stats(); st.Timeouts != 1 || c.Pending() != 0 {
		t.Fatalf("stats %+v pending %d", st, c.Pending())
	}
}

// TestMalformedRequest: a request with a broken AVP gets an answer with
// the E bit and DIAMETER_INVALID_AVP_LENGTH, and the connection stays.
func TestMalformedRequest(t *testing.T) {
	slow := fastTimers
	slow.Watchdog = 10 * time.Second // the raw client sends no DWA
	_, addr := hssWith(t, "hss1.epc", nil, slow)
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(5 * time.Second))
	cer := (&s6a.CER{Capabilities: s6a.Capabilities{OriginHost: "raw.epc", OriginRealm: "epc", ProductName: "t",
		AuthApplicationIDs: []uint32{s6a.ApplicationID}}}).Encode()
	cer.Header.HopByHopID = 1
	b, _ := cer.Serialize()
	nc.Write(b)
	if m, err := readMsg(nc); err != nil || m.Header.CommandCode != s6a.CmdCapabilitiesExchange {
		t.Fatalf("CEA: %v", err)
	}
	req := (&s6a.AIR{RequestHeader: s6a.RequestHeader{SessionID: "raw;1", OriginHost: "raw.epc", OriginRealm: "epc", DestinationRealm: "epc"},
		IMSI: "1"}).Encode()
	req.Header.HopByHopID = 7
	b, _ = req.Serialize()
	// Corrupt the length of Visited-PLMN-Id (the last AVP, 16 octets) to 200.
	b[len(b)-16+7] = 200
	nc.Write(b)
	m, err := readMsg(nc)
	if err != nil {
		t.Fatal(err)
	}
	ea, err := s6a.DecodeAIA(m)
	if err != nil {
		t.Fatal(err)
	}
	if m.Header.HopByHopID != 7 || ea.Result.Code != s6a.ResultInvalidAVPLength || ea.SessionID != "raw;1" {
		t.Fatalf("answer %+v hbh %d", ea, m.Header.HopByHopID)
	}
}

// TestFailoverOnClose: the primary takes a request and drops the TCP
// connection; the request is re-sent at once to the alternate and
// answered exactly once.
func TestFailoverOnClose(t *testing.T) {
	primary := newFakeHSS(t, "hss1.epc")
	_, altAddr := hss(t, "hss2.epc", nil)
	c := mme(t, []string{primary.l.Addr().String(), altAddr}, nil, fastTimers)
	ctx := ctxT(t, 10*time.Second)
	for _, a := range []string{primary.l.Addr().String(), altAddr} {
		if err := c.WaitState(ctx, a, StateOpen); err != nil {
			t.Fatal(err)
		}
	}
	var calls atomic.Int32
	res := make(chan error, 2)
	c.Send(air(c), func(m *diam.Message, err error) {
		calls.Add(1)
		if err == nil {
			var aia *s6a.AIA
			if aia, err = s6a.DecodeAIA(m); err == nil && aia.OriginHost != "hss2.epc" {
				err = errors.New("answered by " + aia.OriginHost)
			}
		}
		res <- err
	})
	select {
	case <-primary.requests:
	case <-ctx.Done():
		t.Fatal("primary did not get the request")
	}
	primary.mu.Lock()
	primary.nc[0].Close()
	primary.mu.Unlock()
	select {
	case err := <-res:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("no answer after the primary closed")
	}
	if n := calls.Load(); n != 1 || c.Stats().Retransmits != 1 {
		t.Fatalf("done called %d times, stats %+v", n, c.Stats())
	}
	// The client reconnects to the primary.
	if err := c.WaitState(ctx, primary.l.Addr().String(), StateOpen); err != nil {
		t.Fatal(err)
	}
}

// TestServerDisconnect: a closing HSS sends DPR (REBOOTING); the MME
// answers DPA, and its request in flight goes to the alternate.
func TestServerDisconnect(t *testing.T) {
	hold := make(chan struct{}, 1)
	primary, pAddr := hss(t, "hss1.epc", func(r *Request, answer func(*diam.Message)) {
		select { // never answers
		case hold <- struct{}{}:
		default:
		}
	})
	_, altAddr := hss(t, "hss2.epc", nil)
	c := mme(t, []string{pAddr, altAddr}, nil, fastTimers)
	ctx := ctxT(t, 10*time.Second)
	for _, a := range []string{pAddr, altAddr} {
		if err := c.WaitState(ctx, a, StateOpen); err != nil {
			t.Fatal(err)
		}
	}
	res := make(chan error, 1)
	c.Send(air(c), func(m *diam.Message, err error) { res <- err })
	select {
	case <-hold:
	case <-ctx.Done():
		t.Fatal("the primary did not get the request")
	}
	primary.Close()
	select {
	case err := <-res:
		if err != nil {
			t.Fatal(err)
		}
	case <-ctx.Done():
		t.Fatal("no answer after the primary's DPR")
	}
	if err := c.WaitState(ctx, pAddr, StateDown); err != nil {
		t.Fatal(err)
	}
}
