package s11

import (
	"errors"
	"fmt"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/lte-mme/mme/gtp"
)

// Incoming is a request, command or notification received from a peer,
// given to Config.Handler. Answer a request or command exactly once with
// Respond (or, for a command, TriggerRequest); the answer is cached for the
// peer's retransmissions (TS 29.274 §7.6). An Incoming may be kept and
// answered later from any goroutine.
type Incoming struct {
	Peer   netip.AddrPort
	Header gtp.Header
	Msg    gtp.Message
	// Session is the session of the header TEID when HasSession is set
	// (every request but a first Create Session Request, whose TEID is 0).
	Session    SessionKey
	HasSession bool
	// Triggered is set on a request that answers one of this endpoint's
	// commands (same sequence number, TS 29.274 §7.6): the command's done
	// has been called with it.
	Triggered bool

	e        *Endpoint
	peer     *peer
	key      txnKey
	answered atomic.Bool
}

// Endpoint returns the endpoint that received the message: what a handler
// uses (e.g. AllocTEID) without holding its own reference.
func (in *Incoming) Endpoint() *Endpoint { return in.e }

// cached is the response-cache entry of one incoming request.
type cached struct {
	b       []byte // the answer; nil while the handler has not answered
	state   cacheState
	expires time.Time
}

type cacheState uint8

const (
	cachePending   cacheState = iota + 1 // handler has the request
	cacheAnswered                        // b holds the response
	cacheTriggered                       // a command answered by a triggered request
)

// Respond sends the response m with header TEID teid (the peer's TEID of
// the session, or 0 when unknown, TS 29.274 §5.5.2) and the request's
// sequence number, and keeps it to answer retransmissions. m must be the
// response type of the request (for a command, its Failure Indication).
// When this is the first message to the peer, m's Recovery IE is set.
func (in *Incoming) Respond(teid uint32, m gtp.Message) error {
	want, ok := in.Header.Type.ResponseType()
	if !ok {
		return fmt.Errorf("s11: %v is not answered", in.Header.Type)
	}
	if m.MessageType() != want {
		return fmt.Errorf("s11: %v answered with %v, want %v", in.Header.Type, m.MessageType(), want)
	}
	if in.answered.Swap(true) {
		return ErrAlreadyAnswered
	}
	e := in.e
	if !in.peer.isContacted(e) && gtp.SetRecovery(m, e.cfg.RestartCounter) {
		in.peer.markContacted(e)
	}
	b, err := gtp.Encode(m, teid, in.Header.Seq)
	if err != nil {
		in.answered.Store(false)
		return err
	}
	e.answer(in.key, b, in.Peer)
	return nil
}

// TriggerRequest answers the command in with the request m it triggers (a
// Delete Bearer Request for a Delete Bearer Command): m goes out with the
// command's sequence number and is retransmitted like any request; done
// gets its response as for Request (TS 29.274 §7.6).
func (in *Incoming) TriggerRequest(teid uint32, m gtp.Message, done func(gtp.Message, error)) error {
	if in.Header.Type.Kind() != gtp.KindCommand {
		return fmt.Errorf("s11: %v is not a command", in.Header.Type)
	}
	if m.MessageType().Kind() != gtp.KindRequest {
		return fmt.Errorf("s11: %v is not a request", m.MessageType())
	}
	if in.answered.Swap(true) {
		return ErrAlreadyAnswered
	}
	e := in.e
	if err := e.start(in.Peer, teid, m, txTriggered, in.Header.Seq, done); err != nil {
		in.answered.Store(false)
		return err
	}
	e.mu.Lock()
	if c := e.cache[in.key]; c != nil {
		c.state = cacheTriggered
	}
	e.mu.Unlock()
	return nil
}

// answer records the response b of the request key and sends it.
func (e *Endpoint) answer(key txnKey, b []byte, to netip.AddrPort) {
	e.mu.Lock()
	c := e.cache[key]
	if c != nil && c.state == cachePending {
		c.b, c.state = b, cacheAnswered
	}
	e.mu.Unlock()
	if c == nil {
		e.st.lateAnswers.Add(1)
	}
	e.st.responsesSent.Add(1)
	e.send(b, to)
}

// receive decodes and dispatches one datagram (reader goroutine).
func (e *Endpoint) receive(b []byte, from netip.AddrPort) {
	if e.cfg.Tap != nil {
		e.cfg.Tap(false, from, b)
	}
	h, m, err := gtp.Decode(b)
	if err != nil {
		e.receiveBad(b, from, h, m, err)
		return
	}
	if h.Type == gtp.TypeEchoRequest {
		// Answered without state (TS 29.274 §7.1.2): a probe from an
		// unknown address adds no peer; a known peer's counter is checked.
		if p := e.knownPeer(from); p != nil {
			e.checkRecovery(p, m.(*gtp.EchoRequest).Recovery)
		}
		e.answerEcho(from, h.Seq)
		return
	}
	p := e.peerFor(from)
	if p == nil {
		e.st.discarded.Add(1)
		return
	}
	if rec, ok := gtp.RecoveryOf(m); ok {
		e.checkRecovery(p, rec)
	}
	switch h.Type.Kind() {
	case gtp.KindResponse:
		e.onResponse(p, h, m, nil)
	case gtp.KindRequest, gtp.KindCommand:
		e.onRequest(p, h, m, nil)
	case gtp.KindNotification:
		if h.Type == gtp.TypeVersionNotSupportedIndication {
			e.log.Warn("s11: peer does not support GTPv2", "peer", from)
			e.st.discarded.Add(1)
			return
		}
		e.st.notifications.Add(1)
		in := &Incoming{Peer: from, Header: h, Msg: m, e: e, peer: p}
		in.answered.Store(true)
		in.Session, _, in.HasSession = e.teids.Lookup(h.TEID)
		if e.cfg.Handler != nil {
			e.cfg.Handler(in)
		}
	}
}

// receiveBad handles a message Decode rejected (TS 29.274 §7.7).
func (e *Endpoint) receiveBad(b []byte, from netip.AddrPort, h gtp.Header, m gtp.Message, err error) {
	var de *gtp.DecodeError
	if !errors.As(err, &de) {
		e.st.discarded.Add(1)
		return
	}
	switch {
	case errors.Is(err, gtp.ErrVersionNotSupported):
		// TS 29.274 §7.7.2: answer with a Version Not Supported Indication
		// (header only), unless it is one.
		if h.Type != gtp.TypeVersionNotSupportedIndication {
			if vb, err := gtp.Encode(&gtp.VersionNotSupportedIndication{}, 0, 0); err == nil {
				e.st.versionNotSupported.Add(1)
				e.send(vb, from)
				return
			}
		}
		e.st.discarded.Add(1)
		return
	case de.Cause == 0:
		// TS 29.274 §7.7.3 (too short), §7.7.4 (unknown type): discard.
		e.st.discarded.Add(1)
		return
	}
	p := e.peerFor(from)
	if p == nil {
		e.st.discarded.Add(1)
		return
	}
	switch h.Type.Kind() {
	case gtp.KindResponse:
		// A malformed answer still ends its transaction: the requester
		// gets the partial message and the cause.
		e.onResponse(p, h, m, err)
	case gtp.KindRequest, gtp.KindCommand:
		e.onRequest(p, h, m, de)
	default:
		e.st.discarded.Add(1)
	}
}

// onResponse completes the matching transaction. TS 29.274 §7.6: a response
// with no pending request (late, duplicated) is discarded.
func (e *Endpoint) onResponse(p *peer, h gtp.Header, m gtp.Message, err error) {
	e.mu.Lock()
	t := e.txns[keyOf(p.id, h.Seq)]
	if t == nil {
		e.mu.Unlock()
		e.st.lateResponses.Add(1)
		return
	}
	if want, _ := t.reqType.ResponseType(); want != h.Type {
		// TS 29.274 §7.7.5: an unexpected message is discarded.
		e.mu.Unlock()
		e.st.unexpectedResponses.Add(1)
		return
	}
	delete(e.txns, t.key)
	e.unscheduleLocked(&t.tm)
	e.mu.Unlock()
	if t.kind == txEcho {
		e.echoAnswered(t)
		return
	}
	e.st.responsesReceived.Add(1)
	t.finish(m, err)
}

// onRequest handles a request or command: triggered-request matching,
// duplicate detection, TEID lookup, then the handler. de is set when the
// request failed to decode: it is answered here with de's cause.
func (e *Endpoint) onRequest(p *peer, h gtp.Header, m gtp.Message, de *gtp.DecodeError) {
	key := keyOf(p.id, h.Seq)
	now := e.clock.Now()
	var command *txn
	e.mu.Lock()
	if c := e.cache[key]; c != nil && c.expires.After(now) {
		// TS 29.274 §7.6: a retransmitted request is answered with the
		// same response, without handling it again.
		b, state := c.b, c.state
		e.mu.Unlock()
		if state == cacheAnswered {
			e.st.duplicateRequests.Add(1)
			e.send(b, p.addr)
		} else {
			e.st.duplicatesPending.Add(1)
		}
		return
	}
	if h.Seq&gtp.CommandSeqBit != 0 && h.Type.Kind() == gtp.KindRequest {
		// A request with a command's sequence number is triggered by our
		// command: it ends the command's transaction (TS 29.274 §7.6).
		if t := e.txns[key]; t != nil && t.kind == txCommand {
			delete(e.txns, key)
			e.unscheduleLocked(&t.tm)
			command = t
		}
	}
	c := &cached{state: cachePending, expires: now.Add(e.cfg.CacheTTL)}
	e.cache[key] = c
	e.fifo.push(key, c.expires)
	if e.sweep.idx < 0 {
		e.scheduleLocked(&e.sweep, c.expires)
	}
	e.mu.Unlock()

	in := &Incoming{Peer: p.addr, Header: h, Msg: m, e: e, peer: p, key: key, Triggered: command != nil}
	if command != nil {
		e.st.responsesReceived.Add(1)
		command.finish(m, nil)
	}
	if de != nil {
		e.reject(in, de.CauseIE(), senderTEID(m))
		e.st.rejected.Add(1)
		return
	}
	if h.TEID != 0 {
		in.Session, _, in.HasSession = e.teids.Lookup(h.TEID)
	}
	if !in.HasSession && !zeroTEIDAllowed(h) {
		// No context for the TEID: cause Context Not Found (#64, TS 29.274
		// Table 8.4-1), to TEID 0 or the sender's TEID when known (§5.5.2).
		e.st.contextNotFound.Add(1)
		e.reject(in, gtp.Cause{Value: gtp.CauseContextNotFound}, senderTEID(m))
		return
	}
	if e.cfg.Handler == nil {
		e.reject(in, gtp.Cause{Value: gtp.CauseServiceNotSupported}, senderTEID(m))
		return
	}
	e.st.requestsReceived.Add(1)
	e.cfg.Handler(in)
}

// zeroTEIDAllowed: a Create Session Request for a new UE carries TEID 0
// (TS 29.274 §5.5.2); so do node-level requests.
func zeroTEIDAllowed(h gtp.Header) bool {
	if h.TEID != 0 {
		return false
	}
	switch h.Type {
	case gtp.TypeCreateSessionRequest, gtp.TypePGWRestartNotification,
		gtp.TypeDeletePDNConnectionSetRequest, gtp.TypeUpdatePDNConnectionSetRequest:
		return true
	}
	return false
}

// reject answers in with a response carrying only cause c.
func (e *Endpoint) reject(in *Incoming, c gtp.Cause, teid uint32) {
	resp, ok := gtp.ErrorResponse(in.Header.Type, c)
	if !ok {
		return
	}
	if err := in.Respond(teid, resp); err != nil {
		e.log.Debug("s11: cannot reject", "peer", in.Peer, "type", in.Header.Type, "err", err)
	}
}

// senderTEID is the sender's control-plane TEID of a (partly decoded)
// request, where the header TEID of an answer without context goes.
func senderTEID(m gtp.Message) uint32 {
	var f gtp.FTEID
	switch m := m.(type) {
	case *gtp.CreateSessionRequest:
		f = m.SenderFTEID
	case *gtp.ModifyBearerRequest:
		f = m.SenderFTEID
	case *gtp.DeleteSessionRequest:
		f = m.SenderFTEID
	case *gtp.DownlinkDataNotification:
		f = m.SenderFTEID
	}
	return f.TEID
}

// ---- response cache ----

// cacheFIFO holds cache keys in expiry order: every entry lives CacheTTL,
// so insertion order is expiry order and no heap is needed.
type cacheFIFO struct {
	keys []txnKey
	at   []time.Time
	head int
}

func (f *cacheFIFO) push(k txnKey, at time.Time) {
	if f.head > 1024 && f.head*2 > len(f.keys) {
		n := copy(f.keys, f.keys[f.head:])
		copy(f.at, f.at[f.head:])
		f.keys, f.at, f.head = f.keys[:n], f.at[:n], 0
	}
	f.keys = append(f.keys, k)
	f.at = append(f.at, at)
}

// sweepLocked drops expired cache entries and re-arms the sweep timer.
func (e *Endpoint) sweepLocked(now time.Time) {
	f := &e.fifo
	for f.head < len(f.keys) && !f.at[f.head].After(now) {
		k := f.keys[f.head]
		if c := e.cache[k]; c != nil && !c.expires.After(now) {
			delete(e.cache, k)
		}
		f.head++
	}
	if f.head == len(f.keys) {
		f.keys, f.at, f.head = f.keys[:0], f.at[:0], 0
		return
	}
	e.scheduleLocked(&e.sweep, f.at[f.head])
}
