package s11

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/lte-mme/mme/gtp"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// sgwHandler answers Create Session and Modify Bearer like an SGW would,
// allocating its S11 TEID in the endpoint's table.
func sgwHandler(e *atomic.Pointer[Endpoint], calls *atomic.Int64) func(*Incoming) {
	return func(in *Incoming) {
		calls.Add(1)
		switch m := in.Msg.(type) {
		case *gtp.CreateSessionRequest:
			teid, err := e.Load().AllocTEID(SessionKey(m.SenderFTEID.TEID), in.Peer)
			if err != nil {
				panic(err)
			}
			in.Respond(m.SenderFTEID.TEID, &gtp.CreateSessionResponse{
				Cause:       gtp.Cause{Value: gtp.CauseRequestAccepted},
				SenderFTEID: gtp.FTEID{Interface: gtp.IfS11S4SGWGTPC, TEID: teid, IPv4: netip.MustParseAddr("127.0.0.1")},
				BearerContextsCreated: []gtp.BearerContext{{EBI: 5, Cause: gtp.Cause{Value: gtp.CauseRequestAccepted},
					S1USGWFTEID: gtp.FTEID{Interface: gtp.IfS1USGW, TEID: teid, IPv4: netip.MustParseAddr("127.0.0.1")}}},
			})
		case *gtp.ModifyBearerRequest:
			in.Respond(uint32(in.Session), &gtp.ModifyBearerResponse{Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}})
		case *gtp.DeleteSessionRequest:
			e.Load().ReleaseTEID(in.Header.TEID)
			in.Respond(uint32(in.Session), &gtp.DeleteSessionResponse{Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}})
		}
	}
}

func TestRequestResponse(t *testing.T) {
	var sgwp atomic.Pointer[Endpoint]
	var calls atomic.Int64
	sgw := listen(t, Config{RestartCounter: 7, Handler: sgwHandler(&sgwp, &calls)})
	sgwp.Store(sgw)
	mme := listen(t, Config{RestartCounter: 3})
	ctx := context.Background()

	resp, err := mme.RequestSync(ctx, sgw.LocalAddr(), 0, csr(0x1111))
	if err != nil {
		t.Fatal(err)
	}
	cs := resp.(*gtp.CreateSessionResponse)
	if !cs.Cause.Accepted() || cs.SenderFTEID.TEID == 0 {
		t.Fatalf("response %+v", cs)
	}
	// First contact both ways: each side sent its restart counter and
	// learnt the other's (TS 23.007 §18).
	if rec, ok := mme.PeerRecovery(sgw.LocalAddr()); !ok || rec != 7 {
		t.Fatalf("MME learnt SGW recovery %d %v", rec, ok)
	}
	if rec, ok := sgw.PeerRecovery(mme.LocalAddr()); !ok || rec != 3 {
		t.Fatalf("SGW learnt MME recovery %d %v", rec, ok)
	}
	// The SGW TEID routes the next request to the session.
	if _, err := mme.RequestSync(ctx, sgw.LocalAddr(), cs.SenderFTEID.TEID, &gtp.ModifyBearerRequest{}); err != nil {
		t.Fatal(err)
	}
	if k, ok := sgw.Lookup(cs.SenderFTEID.TEID); !ok || k != 0x1111 {
		t.Fatalf("SGW TEID table: %v %v", k, ok)
	}
	if _, err := mme.RequestSync(ctx, sgw.LocalAddr(), cs.SenderFTEID.TEID, &gtp.DeleteSessionRequest{LinkedEBI: 5}); err != nil {
		t.Fatal(err)
	}
	if sgw.TEIDs().Len() != 0 {
		t.Fatalf("TEID not released")
	}
	st := mme.Stats()
	if st.RequestsSent != 3 || st.ResponsesReceived != 3 || st.Retransmissions != 0 || st.Pending != 0 {
		t.Fatalf("MME stats %+v", st)
	}
	if calls.Load() != 3 || sgw.Stats().ResponsesSent != 3 {
		t.Fatalf("SGW handled %d, sent %d", calls.Load(), sgw.Stats().ResponsesSent)
	}
}

// TS 29.274 §7.6: N3-REQUESTS retransmissions, T3-RESPONSE apart, with the
// same sequence number, then the transaction fails.
func TestRetransmissionThenNoResponse(t *testing.T) {
	clk := newManualClock()
	mme := listen(t, Config{Clock: clk, T3: 2 * time.Second, N3: 3, EchoInterval: -1})
	sgw := newRawPeer(t)
	done, ch := collect()
	if err := mme.Request(sgw.addr(), 0, csr(1), done); err != nil {
		t.Fatal(err)
	}
	first, _ := sgw.read()
	h0, _, _ := gtp.Decode(first)
	for i := 1; i <= 3; i++ {
		clk.Advance(2 * time.Second)
		b, _ := sgw.read()
		if string(b) != string(first) {
			t.Fatalf("retransmission %d differs from the original", i)
		}
	}
	select {
	case r := <-ch:
		t.Fatalf("completed before the last T3: %v", r.err)
	default:
	}
	clk.Advance(2 * time.Second)
	if r := await(t, ch); !errors.Is(r.err, ErrNoResponse) {
		t.Fatalf("err %v", r.err)
	}
	sgw.quiet(50 * time.Millisecond)
	st := mme.Stats()
	if st.Retransmissions != 3 || st.Timeouts != 1 || st.Pending != 0 {
		t.Fatalf("stats %+v", st)
	}
	// A response after the timeout is late: dropped and counted.
	sgw.sendMsg(mme.LocalAddr(), &gtp.CreateSessionResponse{Cause: gtp.Cause{Value: gtp.CauseNoResourcesAvailable}}, 1, h0.Seq)
	eventually(t, "late response counted", func() bool { return mme.Stats().LateResponses == 1 })
}

// A retransmission answered: done once, later copies and a response of the
// wrong type are dropped and counted.
func TestResponseAfterRetransmissionAndDuplicates(t *testing.T) {
	clk := newManualClock()
	mme := listen(t, Config{Clock: clk, T3: time.Second, N3: 2, EchoInterval: -1})
	sgw := newRawPeer(t)
	done, ch := collect()
	if err := mme.Request(sgw.addr(), 0x77, &gtp.ModifyBearerRequest{}, done); err != nil {
		t.Fatal(err)
	}
	h, _, _ := sgw.readMsg()
	clk.Advance(time.Second)
	h2, _, _ := sgw.readMsg()
	if h2.Seq != h.Seq || h.Seq&gtp.CommandSeqBit != 0 {
		t.Fatalf("retransmission seq %#x, original %#x", h2.Seq, h.Seq)
	}
	sgw.sendMsg(mme.LocalAddr(), &gtp.DeleteSessionResponse{Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}}, 1, h.Seq)
	resp := &gtp.ModifyBearerResponse{Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}}
	sgw.sendMsg(mme.LocalAddr(), resp, 1, h.Seq)
	sgw.sendMsg(mme.LocalAddr(), resp, 1, h.Seq)
	r := await(t, ch)
	if r.err != nil || r.m.MessageType() != gtp.TypeModifyBearerResponse {
		t.Fatalf("completion %v %v", r.m, r.err)
	}
	eventually(t, "duplicate response counted", func() bool { return mme.Stats().LateResponses == 1 })
	if st := mme.Stats(); st.UnexpectedResponses != 1 || st.ResponsesReceived != 1 {
		t.Fatalf("stats %+v", st)
	}
	clk.Advance(10 * time.Second)
	sgw.quiet(50 * time.Millisecond)
	select {
	case r := <-ch:
		t.Fatalf("done called twice: %v %v", r.m, r.err)
	default:
	}
}

// TS 29.274 §7.6: a retransmitted request is answered from the cache; one
// whose answer is not ready is dropped; after CacheTTL it is new again.
func TestDuplicateRequests(t *testing.T) {
	clk := newManualClock()
	var mu sync.Mutex
	var held []*Incoming
	sgw := listen(t, Config{Clock: clk, T3: time.Second, N3: 2, EchoInterval: -1, Handler: func(in *Incoming) {
		mu.Lock()
		held = append(held, in)
		mu.Unlock()
	}})
	mme := newRawPeer(t)
	req := csr(9)
	mme.sendMsg(sgw.LocalAddr(), req, 0, 0x42)
	eventually(t, "handler call", func() bool { mu.Lock(); defer mu.Unlock(); return len(held) == 1 })
	mme.sendMsg(sgw.LocalAddr(), req, 0, 0x42) // not answered yet: dropped
	eventually(t, "pending duplicate", func() bool { return sgw.Stats().DuplicatesPending == 1 })
	mu.Lock()
	in := held[0]
	mu.Unlock()
	if err := in.Respond(9, &gtp.CreateSessionResponse{Cause: gtp.Cause{Value: gtp.CauseNoResourcesAvailable}}); err != nil {
		t.Fatal(err)
	}
	if err := in.Respond(9, &gtp.CreateSessionResponse{Cause: gtp.Cause{Value: gtp.CauseNoResourcesAvailable}}); !errors.Is(err, ErrAlreadyAnswered) {
		t.Fatalf("second Respond: %v", err)
	}
	a, _ := mme.read()
	for range 2 {
		mme.sendMsg(sgw.LocalAddr(), req, 0, 0x42)
		b, _ := mme.read()
		if string(a) != string(b) {
			t.Fatal("cached answer differs")
		}
	}
	h, _, err := gtp.Decode(a)
	if err != nil || h.Seq != 0x42 || h.TEID != 9 {
		t.Fatalf("answer %+v %v", h, err)
	}
	mu.Lock()
	n := len(held)
	mu.Unlock()
	if st := sgw.Stats(); n != 1 || st.DuplicateRequests != 2 || st.RequestsReceived != 1 {
		t.Fatalf("handled %d, stats %+v", n, st)
	}
	// After T3 × (N3+1) the entry expires: the same sequence number is a
	// new request.
	clk.Advance(3 * time.Second)
	eventually(t, "cache expiry", func() bool {
		sgw.mu.Lock()
		defer sgw.mu.Unlock()
		return len(sgw.cache) == 0
	})
	mme.sendMsg(sgw.LocalAddr(), req, 0, 0x42)
	eventually(t, "second handler call", func() bool { mu.Lock(); defer mu.Unlock(); return len(held) == 2 })
}

func TestContextNotFoundAndRejections(t *testing.T) {
	var handled atomic.Int64
	sgw := listen(t, Config{EchoInterval: -1, Handler: func(*Incoming) { handled.Add(1) }})
	mme := newRawPeer(t)

	// Unknown TEID: Context Not Found, to TEID 0.
	mme.sendMsg(sgw.LocalAddr(), &gtp.ModifyBearerRequest{}, 0xabcdef, 1)
	h, m, _ := mme.readMsg()
	if c := m.(*gtp.ModifyBearerResponse).Cause; c.Value != gtp.CauseContextNotFound || h.TEID != 0 || h.Seq != 1 {
		t.Fatalf("unknown TEID: %+v %+v", h, c)
	}
	// With a sender F-TEID, the answer goes to its TEID (TS 29.274 §5.5.2).
	mme.sendMsg(sgw.LocalAddr(), &gtp.ModifyBearerRequest{SenderFTEID: mmeFTEID}, 0xabcdef, 2)
	if h, _, _ = mme.readMsg(); h.TEID != mmeFTEID.TEID {
		t.Fatalf("TEID %#x", h.TEID)
	}
	// TEID 0 is only for a first Create Session Request.
	mme.sendMsg(sgw.LocalAddr(), &gtp.DeleteSessionRequest{}, 0, 3)
	if _, m, _ = mme.readMsg(); m.(*gtp.DeleteSessionResponse).Cause.Value != gtp.CauseContextNotFound {
		t.Fatalf("TEID 0: %+v", m)
	}

	// Missing mandatory IE: cause #70 with the offending IE, to the sender TEID.
	bad := csr(0x2222)
	bad.RATType = gtp.RATEUTRAN
	b, _ := gtp.Encode(bad, 0, 4)
	b = stripIE(b, gtp.IERATType)
	mme.send(sgw.LocalAddr(), b)
	h, m, _ = mme.readMsg()
	c := m.(*gtp.CreateSessionResponse).Cause
	if c.Value != gtp.CauseMandatoryIEMissing || c.Offending.Type != gtp.IERATType || h.TEID != 0x2222 {
		t.Fatalf("missing RAT type: %+v %+v", h, c)
	}
	// Length field beyond the datagram: Invalid length (#67).
	b, _ = gtp.Encode(csr(1), 0, 5)
	mme.send(sgw.LocalAddr(), b[:len(b)-3])
	if _, m, _ = mme.readMsg(); m.(*gtp.CreateSessionResponse).Cause.Value != gtp.CauseInvalidLength {
		t.Fatalf("invalid length: %+v", m)
	}
	// A GTPv2 request S11 does not carry: Service not supported (#68).
	mme.send(sgw.LocalAddr(), []byte{0x48, byte(gtp.TypeContextRequest), 0, 8, 0, 0, 0, 0, 0, 0, 6, 0})
	b, _ = mme.read()
	if h, _, _ := gtp.DecodeHeader(b); h.Type != gtp.TypeContextResponse || b[12] != byte(gtp.IECause) || b[16] != byte(gtp.CauseServiceNotSupported) {
		t.Fatalf("context request answered with %x", b)
	}
	// GTPv1: Version Not Supported Indication.
	mme.send(sgw.LocalAddr(), []byte{0x32, 1, 0, 4, 0, 0, 0, 0, 0, 7, 0, 0})
	if h, _, _ = mme.readMsg(); h.Type != gtp.TypeVersionNotSupportedIndication {
		t.Fatalf("GTPv1 answered with %v", h.Type)
	}
	// Unknown type and truncated header: discarded (TS 29.274 §7.7.3-4);
	// the Echo behind them is the next thing answered.
	mme.send(sgw.LocalAddr(), []byte{0x48, 250, 0, 8, 0, 0, 0, 0, 0, 0, 8, 0})
	mme.send(sgw.LocalAddr(), []byte{0x48, 32, 0})
	mme.sendMsg(sgw.LocalAddr(), &gtp.EchoRequest{Recovery: 1}, 0, 9)
	if h, _, _ = mme.readMsg(); h.Type != gtp.TypeEchoResponse || h.Seq != 9 {
		t.Fatalf("echo answered with %v %#x", h.Type, h.Seq)
	}
	st := sgw.Stats()
	if handled.Load() != 0 || st.ContextNotFound != 3 || st.Rejected != 3 || st.Discarded != 2 || st.VersionNotSupported != 1 {
		t.Fatalf("handled %d, stats %+v", handled.Load(), st)
	}
}

// stripIE removes the first top-level IE of type typ from an encoded
// message and fixes the length.
func stripIE(b []byte, typ gtp.IEType) []byte {
	for k := 12; k+4 <= len(b); {
		l := int(b[k+1])<<8 | int(b[k+2])
		if gtp.IEType(b[k]) == typ {
			out := append(append([]byte(nil), b[:k]...), b[k+4+l:]...)
			n := len(out) - 4
			out[2], out[3] = byte(n>>8), byte(n)
			return out
		}
		k += 4 + l
	}
	return b
}

// Delete Bearer Command: the SGW answers with a Delete Bearer Request with
// the command's sequence number; it completes the command and reaches the
// MME's handler, whose response completes the triggered request.
func TestCommandAndTriggeredRequest(t *testing.T) {
	var sgw *Endpoint
	var mmeTEID atomic.Uint32
	triggered := make(chan result, 1)
	sgw = listen(t, Config{EchoInterval: -1, Handler: func(in *Incoming) {
		if _, ok := in.Msg.(*gtp.DeleteBearerCommand); ok {
			done := func(m gtp.Message, err error) { triggered <- result{m, err} }
			if err := in.TriggerRequest(mmeTEID.Load(), &gtp.DeleteBearerRequest{EBIs: []uint8{6}}, done); err != nil {
				t.Error(err)
			}
		}
	}})
	sgwTEID, err := sgw.AllocTEID(1, netip.AddrPort{})
	if err != nil {
		t.Fatal(err)
	}
	var mmeIn atomic.Pointer[Incoming]
	mme := listen(t, Config{EchoInterval: -1, Handler: func(in *Incoming) {
		mmeIn.Store(in)
		in.Respond(sgwTEID, &gtp.DeleteBearerResponse{Cause: gtp.Cause{Value: gtp.CauseRequestAccepted},
			BearerContexts: []gtp.BearerContext{{EBI: 6, Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}}}})
	}})
	mt, err := mme.AllocTEID(2, sgw.LocalAddr())
	if err != nil {
		t.Fatal(err)
	}
	mmeTEID.Store(mt)
	done, ch := collect()
	cmd := &gtp.DeleteBearerCommand{BearerContexts: []gtp.BearerContext{{EBI: 6}}}
	if err := mme.Request(sgw.LocalAddr(), sgwTEID, cmd, done); err != nil {
		t.Fatal(err)
	}
	r := await(t, ch)
	if r.err != nil || r.m.MessageType() != gtp.TypeDeleteBearerRequest {
		t.Fatalf("command completed with %v %v", r.m, r.err)
	}
	tr := await(t, triggered)
	if tr.err != nil || !tr.m.(*gtp.DeleteBearerResponse).Cause.Accepted() {
		t.Fatalf("triggered request completed with %v %v", tr.m, tr.err)
	}
	in := mmeIn.Load()
	if !in.Triggered || in.Header.Seq&gtp.CommandSeqBit == 0 || !in.HasSession || in.Session != 2 {
		t.Fatalf("incoming %+v", in)
	}
}

// A command the SGW rejects: its Failure Indication completes it.
func TestCommandFailureIndication(t *testing.T) {
	sgw := listen(t, Config{EchoInterval: -1, Handler: func(in *Incoming) {
		in.Respond(0x1111, &gtp.DeleteBearerFailureIndication{Cause: gtp.Cause{Value: gtp.CauseContextNotFound}})
	}})
	teid, _ := sgw.AllocTEID(1, netip.AddrPort{})
	mme := listen(t, Config{EchoInterval: -1})
	m, err := mme.RequestSync(context.Background(), sgw.LocalAddr(), teid,
		&gtp.DeleteBearerCommand{BearerContexts: []gtp.BearerContext{{EBI: 6}}})
	if err != nil || m.(*gtp.DeleteBearerFailureIndication).Cause.Value != gtp.CauseContextNotFound {
		t.Fatalf("%v %v", m, err)
	}
}

func TestNotify(t *testing.T) {
	got := make(chan *Incoming, 2)
	sgw := listen(t, Config{EchoInterval: -1, Handler: func(in *Incoming) { got <- in }})
	teid, _ := sgw.AllocTEID(5, netip.AddrPort{})
	mme := listen(t, Config{EchoInterval: -1})
	fi := &gtp.DownlinkDataNotificationFailureIndication{Cause: gtp.Cause{Value: gtp.CauseUENotResponding}}
	if err := mme.Notify(sgw.LocalAddr(), teid, fi); err != nil {
		t.Fatal(err)
	}
	select {
	case in := <-got:
		if in.Session != 5 || in.Respond(0, &gtp.CreateSessionResponse{}) == nil {
			t.Fatalf("notification %+v", in)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("no notification")
	}
	if err := mme.Notify(sgw.LocalAddr(), teid, &gtp.ModifyBearerRequest{}); err == nil {
		t.Fatal("Notify sent a request")
	}
	if err := mme.Request(sgw.LocalAddr(), teid, fi, nil); err == nil {
		t.Fatal("Request sent a notification")
	}
}

// TS 23.007 §20: Echo Requests to a peer with sessions; N3 unanswered
// retransmissions are a path failure that fails pending transactions; an
// answer afterwards restores the path.
func TestEchoPathFailureAndRestoration(t *testing.T) {
	clk := newManualClock()
	events := make(chan PeerEvent, 4)
	mme := listen(t, Config{Clock: clk, T3: time.Second, N3: 2, EchoInterval: 30 * time.Second,
		OnPeerEvent: func(ev PeerEvent) { events <- ev }})
	sgw := newRawPeer(t)
	if _, err := mme.AllocTEID(1, sgw.addr()); err != nil {
		t.Fatal(err)
	}
	expect := func(want gtp.MessageType) gtp.Header {
		t.Helper()
		h, _, _ := sgw.readMsg()
		if h.Type != want {
			t.Fatalf("got %v, want %v", h.Type, want)
		}
		return h
	}
	clk.Advance(30 * time.Second) // t=30: first probe, answered
	b, _ := sgw.read()
	h, m, _ := gtp.Decode(b)
	if e, ok := m.(*gtp.EchoRequest); !ok || e.Recovery != mme.RestartCounter() {
		t.Fatalf("got %+v", m)
	}
	sgw.sendMsg(mme.LocalAddr(), &gtp.EchoResponse{Recovery: 4}, 0, h.Seq)
	eventually(t, "next probe scheduled", func() bool {
		mme.mu.Lock()
		defer mme.mu.Unlock()
		return mme.peers[sgw.addr()].echo.idx >= 0
	})
	clk.Advance(30 * time.Second) // t=60: second probe, never answered
	expect(gtp.TypeEchoRequest)
	clk.Advance(500 * time.Millisecond) // t=60.5: a request to the peer
	done, ch := collect()
	if err := mme.Request(sgw.addr(), 7, &gtp.ReleaseAccessBearersRequest{}, done); err != nil {
		t.Fatal(err)
	}
	expect(gtp.TypeReleaseAccessBearersRequest)
	for range 2 { // retransmissions, interleaved
		clk.Advance(500 * time.Millisecond)
		expect(gtp.TypeEchoRequest)
		clk.Advance(500 * time.Millisecond)
		expect(gtp.TypeReleaseAccessBearersRequest)
	}
	clk.Advance(500 * time.Millisecond) // t=63: the probe has failed
	var ev PeerEvent
	select {
	case ev = <-events:
	case <-time.After(5 * time.Second):
		t.Fatal("no path failure event")
	}
	if ev.Kind != PathFailed || ev.Peer != sgw.addr() {
		t.Fatalf("event %+v", ev)
	}
	if r := await(t, ch); !errors.Is(r.err, ErrPathFailure) {
		t.Fatalf("pending request ended with %v", r.err)
	}
	var sessions []SessionKey
	mme.Sessions(sgw.addr(), func(_ uint32, k SessionKey) { sessions = append(sessions, k) })
	if len(sessions) != 1 || sessions[0] != 1 {
		t.Fatalf("sessions with the failed peer: %v", sessions)
	}
	// Probing goes on; an answer restores the path.
	clk.Advance(30 * time.Second)
	h = expect(gtp.TypeEchoRequest)
	sgw.sendMsg(mme.LocalAddr(), &gtp.EchoResponse{Recovery: 4}, 0, h.Seq)
	select {
	case ev = <-events:
	case <-time.After(5 * time.Second):
		t.Fatal("no restoration event")
	}
	if ev.Kind != PathRestored {
		t.Fatalf("event %+v", ev)
	}
	if st := mme.Stats(); st.PathFailures != 1 || st.PeerRestarts != 0 {
		t.Fatalf("stats %+v", st)
	}
}

// TS 23.007 §18: a changed restart counter in any message is a peer
// restart; no sessions, no echo.
func TestPeerRestart(t *testing.T) {
	events := make(chan PeerEvent, 4)
	mme := listen(t, Config{EchoInterval: -1, OnPeerEvent: func(ev PeerEvent) { events <- ev }})
	var sgwp atomic.Pointer[Endpoint]
	var calls atomic.Int64
	sgw := listen(t, Config{RestartCounter: 10, EchoInterval: -1, Handler: sgwHandler(&sgwp, &calls)})
	sgwp.Store(sgw)
	addr := sgw.LocalAddr()
	if _, err := mme.RequestSync(context.Background(), addr, 0, csr(1)); err != nil {
		t.Fatal(err)
	}
	sgw.Close()
	// The SGW restarts on the same address with the next counter.
	sgw2, err := Listen(addr.String(), Config{RestartCounter: 11, EchoInterval: -1, Handler: sgwHandler(&sgwp, &calls),
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	sgwp.Store(sgw2)
	defer sgw2.Close()
	if _, err := mme.RequestSync(context.Background(), addr, 0, csr(2)); err != nil {
		t.Fatal(err)
	}
	select {
	case ev := <-events:
		if ev.Kind != PeerRestarted || ev.OldRecovery != 10 || ev.NewRecovery != 11 || ev.Peer != addr {
			t.Fatalf("event %+v", ev)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("restart not detected")
	}
}

func TestOverloadAndClose(t *testing.T) {
	mme, err := Listen("127.0.0.1:0", Config{MaxPending: 2, EchoInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	sgw := newRawPeer(t)
	done, ch := collect()
	for range 2 {
		if err := mme.Request(sgw.addr(), 1, &gtp.ModifyBearerRequest{}, done); err != nil {
			t.Fatal(err)
		}
	}
	if err := mme.Request(sgw.addr(), 1, &gtp.ModifyBearerRequest{}, done); !errors.Is(err, ErrOverload) {
		t.Fatalf("third request: %v", err)
	}
	mme.Close()
	for range 2 {
		if r := await(t, ch); !errors.Is(r.err, ErrClosed) {
			t.Fatalf("pending ended with %v", r.err)
		}
	}
	if err := mme.Request(sgw.addr(), 1, &gtp.ModifyBearerRequest{}, done); !errors.Is(err, ErrClosed) {
		t.Fatalf("after close: %v", err)
	}
}

func TestRestartCounterFile(t *testing.T) {
	s := FileStore(t.TempDir() + "/restart")
	for want := uint8(1); want <= 3; want++ {
		v, err := NextRestartCounter(s)
		if err != nil || v != want {
			t.Fatalf("counter %d %v, want %d", v, err, want)
		}
	}
	if err := s.Store(255); err != nil {
		t.Fatal(err)
	}
	if v, _ := NextRestartCounter(s); v != 0 {
		t.Fatalf("wrap: %d", v)
	}
}

// A dual-stack endpoint (":0", an IPv6 socket) answers IPv4 peers from its
// batched send path, and IPv6 peers too.
func TestDualStack(t *testing.T) {
	var sgwp atomic.Pointer[Endpoint]
	var calls atomic.Int64
	sgw, err := Listen(":0", Config{EchoInterval: -1, Handler: sgwHandler(&sgwp, &calls), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Skipf("no dual-stack socket here: %v", err)
	}
	defer sgw.Close()
	sgwp.Store(sgw)
	port := sgw.LocalAddr().Port()
	for _, local := range []string{"127.0.0.1:0", "[::1]:0"} {
		mme, err := Listen(local, Config{EchoInterval: -1, Logger: slog.New(slog.DiscardHandler)})
		if err != nil {
			if local == "[::1]:0" {
				t.Logf("no IPv6 loopback: %v", err)
				continue
			}
			t.Fatal(err)
		}
		to := netip.AddrPortFrom(mme.LocalAddr().Addr(), port)
		m, err := mme.RequestSync(context.Background(), to, 0, csr(7))
		mme.Close()
		if err != nil || !m.(*gtp.CreateSessionResponse).Cause.Accepted() {
			t.Fatalf("%s: %v %v", local, m, err)
		}
	}
}
