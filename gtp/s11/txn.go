package s11

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/lte-mme/mme/gtp"
)

type txnKind uint8

const (
	txRequest   txnKind = iota + 1 // initial request: answered by its response type
	txCommand                      // command: answered by a failure indication or a triggered request
	txTriggered                    // request triggered by a peer's command, same sequence number
	txEcho                         // path management Echo Request
)

// txn is one outgoing transaction: the encoded request kept for
// retransmission with the same sequence number (TS 29.274 §7.6).
type txn struct {
	key     txnKey
	peer    *peer
	b       []byte
	reqType gtp.MessageType
	kind    txnKind
	sends   int
	tm      timerEntry
	done    func(gtp.Message, error)
}

func (t *txn) finish(m gtp.Message, err error) {
	if t.done != nil {
		t.done(m, err)
	}
}

// Request sends the initial request or command m to peer with header TEID
// teid (the peer's TEID of the session; 0 for a first Create Session
// Request) and calls done exactly once: with the response (or, for a
// command, the Failure Indication or the triggered request, which the
// Handler also receives to answer), with the response and a
// *gtp.DecodeError if the response is malformed, or with ErrNoResponse,
// ErrPathFailure or ErrClosed. done runs on an endpoint goroutine and must
// not block; it may run before Request returns.
//
// The request is retransmitted with the same sequence number every T3 up
// to N3 times (TS 29.274 §7.6). When this is the first message to the peer,
// Request sets m's Recovery IE to the restart counter (TS 29.274 Table
// 7.2.1-1 and others). If Request returns an error, done is never called.
func (e *Endpoint) Request(peer netip.AddrPort, teid uint32, m gtp.Message, done func(gtp.Message, error)) error {
	kind := txRequest
	switch m.MessageType().Kind() {
	case gtp.KindRequest:
		if m.MessageType() == gtp.TypeEchoRequest {
			return fmt.Errorf("s11: Echo Request is sent by path management")
		}
	case gtp.KindCommand:
		kind = txCommand
	default:
		return fmt.Errorf("s11: %v is not an initial request or command", m.MessageType())
	}
	return e.start(peer, teid, m, kind, 0, done)
}

// RequestSync is Request waiting for the answer or ctx: for tests and tools.
func (e *Endpoint) RequestSync(ctx context.Context, peer netip.AddrPort, teid uint32, m gtp.Message) (gtp.Message, error) {
	type result struct {
		m   gtp.Message
		err error
	}
	ch := make(chan result, 1)
	if err := e.Request(peer, teid, m, func(r gtp.Message, err error) { ch <- result{r, err} }); err != nil {
		return nil, err
	}
	select {
	case r := <-ch:
		return r.m, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Notify sends the notification m (e.g. a Downlink Data Notification
// Failure Indication) once: nothing answers it, so nothing retransmits it
// (TS 29.274 §7.6).
func (e *Endpoint) Notify(peer netip.AddrPort, teid uint32, m gtp.Message) error {
	if m.MessageType().Kind() != gtp.KindNotification {
		return fmt.Errorf("s11: %v is not a notification", m.MessageType())
	}
	b, err := gtp.Encode(m, teid, 0)
	if err != nil {
		return err
	}
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return ErrClosed
	}
	p, err := e.peerLocked(peer)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	seq := e.allocSeqLocked(p, false)
	e.mu.Unlock()
	_ = gtp.SetSeq(b, seq)
	e.send(b, peer)
	return nil
}

// start encodes m, allocates its sequence number (seq 0: a new one) and
// registers the transaction before the first transmission.
func (e *Endpoint) start(to netip.AddrPort, teid uint32, m gtp.Message, kind txnKind, seq uint32, done func(gtp.Message, error)) error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return ErrClosed
	}
	if len(e.txns) >= e.cfg.MaxPending {
		e.mu.Unlock()
		return ErrOverload
	}
	p, err := e.peerLocked(to)
	if err != nil {
		e.mu.Unlock()
		return err
	}
	first := !p.contacted
	e.mu.Unlock()

	if first && gtp.SetRecovery(m, e.cfg.RestartCounter) {
		p.markContacted(e)
	}
	b, err := gtp.Encode(m, teid, 0)
	if err != nil {
		return err
	}

	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return ErrClosed
	}
	if kind == txTriggered {
		if _, busy := e.txns[keyOf(p.id, seq)]; busy {
			e.mu.Unlock()
			return fmt.Errorf("s11: sequence number %#x in use towards %v", seq, to)
		}
	} else {
		seq = e.allocSeqLocked(p, kind == txCommand)
	}
	_ = gtp.SetSeq(b, seq)
	t := &txn{key: keyOf(p.id, seq), peer: p, b: b, reqType: m.MessageType(), kind: kind, sends: 1, done: done}
	t.tm = timerEntry{idx: -1, kind: tkTxn, txn: t}
	e.txns[t.key] = t
	e.scheduleLocked(&t.tm, e.clock.Now().Add(e.cfg.T3))
	e.mu.Unlock()

	e.st.requestsSent.Add(1)
	e.send(b, to)
	return nil
}

// allocSeqLocked returns a sequence number not in use towards p: requests
// take 0 to 0x7fffff, commands 0x800000 to 0xffffff (TS 29.274 §7.6).
func (e *Endpoint) allocSeqLocked(p *peer, command bool) uint32 {
	for {
		var seq uint32
		if command {
			e.nextCmd = (e.nextCmd + 1) & (gtp.CommandSeqBit - 1)
			seq = e.nextCmd | gtp.CommandSeqBit
		} else {
			e.nextSeq = (e.nextSeq + 1) & (gtp.CommandSeqBit - 1)
			seq = e.nextSeq
		}
		if _, busy := e.txns[keyOf(p.id, seq)]; !busy {
			return seq
		}
	}
}

// ---- timers: one heap per endpoint ----

type timerKind uint8

const (
	tkTxn   timerKind = iota + 1 // retransmit or time out a transaction
	tkEcho                       // send the next Echo Request to a peer
	tkSweep                      // expire response-cache entries
)

type timerEntry struct {
	at   time.Time
	idx  int // position in the heap, -1 when not in it
	kind timerKind
	txn  *txn
	peer *peer
}

// timerHeap is a binary min-heap of deadlines with positions kept in the
// entries, so that a completed transaction leaves it in O(log n).
type timerHeap []*timerEntry

func (h timerHeap) less(i, j int) bool { return h[i].at.Before(h[j].at) }

func (h timerHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].idx, h[j].idx = i, j
}

func (h timerHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h timerHeap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h.swap(i, m)
		i = m
	}
}

func (h *timerHeap) push(t *timerEntry) {
	t.idx = len(*h)
	*h = append(*h, t)
	h.up(t.idx)
}

func (h *timerHeap) remove(t *timerEntry) {
	i := t.idx
	if i < 0 {
		return
	}
	last := len(*h) - 1
	if i != last {
		h.swap(i, last)
	}
	(*h)[last] = nil
	*h = (*h)[:last]
	t.idx = -1
	if i != last {
		h.down(i)
		h.up(i)
	}
}

// scheduleLocked (re)arms t at at, waking the timer loop if t became the
// earliest deadline.
func (e *Endpoint) scheduleLocked(t *timerEntry, at time.Time) {
	if t.idx >= 0 {
		e.timers.remove(t)
	}
	t.at = at
	e.timers.push(t)
	if t.idx == 0 {
		select {
		case e.wake <- struct{}{}:
		default:
		}
	}
}

func (e *Endpoint) unscheduleLocked(t *timerEntry) {
	if t.idx >= 0 {
		e.timers.remove(t)
	}
}

// timerLoop is the timer goroutine: it sleeps until the earliest deadline
// of the heap, then fires what is due. It ends on Close.
func (e *Endpoint) timerLoop() {
	defer e.stopped.Done()
	tm := e.clock.NewTimer(e.clock.Now().Add(time.Hour))
	defer tm.Stop()
	for {
		e.mu.Lock()
		at := e.clock.Now().Add(time.Hour)
		if len(e.timers) > 0 {
			at = e.timers[0].at
		}
		e.mu.Unlock()
		tm.ResetAt(at)
		select {
		case <-e.stop:
			return
		case <-e.wake:
		case <-tm.C():
			e.fireDue()
		}
	}
}

type retransmit struct {
	b  []byte
	to netip.AddrPort
}

// fireDue handles every deadline that has passed: retransmissions,
// timeouts, echo schedules and cache expiry. Sends and callbacks happen
// after the lock is released.
func (e *Endpoint) fireDue() {
	var (
		resend  []retransmit
		expired []*txn
		echoes  []*peer
	)
	e.mu.Lock()
	now := e.clock.Now()
	for len(e.timers) > 0 && !e.timers[0].at.After(now) {
		t := e.timers[0]
		e.timers.remove(t)
		switch t.kind {
		case tkTxn:
			x := t.txn
			if x.sends <= e.cfg.N3 {
				// TS 29.274 §7.6: retransmit with the same sequence number.
				x.sends++
				resend = append(resend, retransmit{x.b, x.peer.addr})
				e.scheduleLocked(t, now.Add(e.cfg.T3))
			} else {
				delete(e.txns, x.key)
				expired = append(expired, x)
			}
		case tkEcho:
			echoes = append(echoes, t.peer)
		case tkSweep:
			e.sweepLocked(now)
		}
	}
	e.mu.Unlock()

	for _, r := range resend {
		e.st.retransmissions.Add(1)
		e.send(r.b, r.to)
	}
	for _, x := range expired {
		if x.kind == txEcho {
			e.echoFailed(x)
			continue
		}
		e.st.timeouts.Add(1)
		x.finish(nil, ErrNoResponse)
	}
	for _, p := range echoes {
		e.sendEcho(p)
	}
}
