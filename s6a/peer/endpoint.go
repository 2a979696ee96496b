package peer

import (
	"context"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/lte-mme/mme/s6a"
)

// Errors a request's done callback may receive.
var (
	ErrTimeout    = errors.New("peer: no answer before the request timeout")
	ErrNoPeer     = errors.New("peer: no open peer connection")
	ErrClosed     = errors.New("peer: closed")
	ErrOverload   = errors.New("peer: too many pending requests")
	ErrConnClosed = errors.New("peer: connection closed before the answer")
	ErrHandshake  = errors.New("peer: capabilities exchange failed")
)

// State is the state of a peer connection: the watchdog states of
// RFC 3539 §3.4.1 plus the capabilities exchange of RFC 6733 §5.3.
type State int32

const (
	StateDown      State = iota + 1 // no connection (RFC 3539 DOWN)
	StateHandshake                  // connected, CER/CEA not yet done (INITIAL)
	StateOpen                       // answers watchdogs, carries requests (OKAY)
	StateSuspect                    // one watchdog unanswered; requests failed over (SUSPECT)
	StateReopen                     // reconnected, proving itself with DWRs (REOPEN)
	StateClosing                    // DPR/DPA exchanged or sent, closing
)

func (s State) String() string {
	switch s {
	case StateDown:
		return "down"
	case StateHandshake:
		return "handshake"
	case StateOpen:
		return "open"
	case StateSuspect:
		return "suspect"
	case StateReopen:
		return "reopen"
	case StateClosing:
		return "closing"
	}
	return "unknown"
}

// Identity is who this node is on Diameter (RFC 6733 §5.3.1 CER content).
type Identity struct {
	OriginHost    string
	OriginRealm   string
	ProductName   string // default "lte-mme"
	VendorID      uint32 // Vendor-Id of the product (RFC 6733 §5.3.3); default 0
	OriginStateID uint32 // increases at each restart (RFC 6733 §8.16); 0 leaves it out
	// HostIPAddresses defaults to the local address of each connection.
	HostIPAddresses []netip.Addr
}

// Timers tune the peer. Zero values take the defaults given.
type Timers struct {
	// Watchdog is Tw of RFC 3539 §3.4.1 (default 30 s; RFC 3539 minimum
	// 6 s, shorter values are for tests). A connection silent for Tw gets a
	// DWR; silent for 2·Tw it is SUSPECT and its requests fail over; for
	// 3·Tw it is closed.
	Watchdog time.Duration
	// RequestTimeout bounds the wait for an answer (default 5 s).
	RequestTimeout time.Duration
	// Tick is the resolution of the timeout and watchdog checks (default
	// Watchdog/20, at least 5 ms, at most 250 ms).
	Tick time.Duration
	// ReopenDWAs is how many DWAs a reconnected peer must answer before it
	// takes traffic again (RFC 3539 §3.4.1 REOPEN: 3). Negative: none.
	ReopenDWAs int
	// ReconnectMin and ReconnectMax bound the exponential back-off between
	// connection attempts (defaults 1 s and 30 s, Tc of RFC 6733 §2.1).
	ReconnectMin, ReconnectMax time.Duration
	// MaxPending bounds the requests waiting for answers (default 65536);
	// beyond it Send fails with ErrOverload.
	MaxPending int
}

func (t Timers) withDefaults() Timers {
	if t.Watchdog <= 0 {
		t.Watchdog = 30 * time.Second
	}
	if t.RequestTimeout <= 0 {
		t.RequestTimeout = 5 * time.Second
	}
	if t.Tick <= 0 {
		t.Tick = min(max(t.Watchdog/20, 5*time.Millisecond), 250*time.Millisecond)
	}
	switch {
	case t.ReopenDWAs == 0:
		t.ReopenDWAs = 3
	case t.ReopenDWAs < 0:
		t.ReopenDWAs = 0
	}
	if t.ReconnectMin <= 0 {
		t.ReconnectMin = time.Second
	}
	if t.ReconnectMax <= 0 {
		t.ReconnectMax = 30 * time.Second
	}
	if t.MaxPending <= 0 {
		t.MaxPending = 65536
	}
	return t
}

// Request is a request received from the remote peer (an HSS-initiated
// CLR, IDR or DSR at the MME; AIR, ULR, PUR at the HSS).
type Request struct {
	Message   *diam.Message
	PeerHost  string // the remote peer's Origin-Host from its CER/CEA
	PeerRealm string
}

// Handler serves requests from the remote peer. It must call answer
// exactly once, from any goroutine, with the answer message (the peer sets
// the hop-by-hop and end-to-end ids of the request). Handlers run on the
// connection's reader goroutine: they must not block; one that has work to
// do hands it on and answers later.
type Handler func(req *Request, answer func(*diam.Message))

// Stats are counters of an endpoint since it started.
type Stats struct {
	Requests        uint64 // requests sent (first transmissions)
	Answers         uint64 // answers matched to a pending request
	Timeouts        uint64 // requests that got no answer in time
	Retransmits     uint64 // requests re-sent to another peer with the T flag
	Unmatched       uint64 // answers with no pending request (late or doubled), dropped
	Received        uint64 // requests received and handed to the handler
	ProtocolError   uint64 // malformed messages received
	WatchdogAnswers uint64 // DWAs received (RFC 3539 liveness)
}

type counters struct {
	requests, answers, timeouts, retransmits, unmatched, received, protoErr, dwa atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{c.requests.Load(), c.answers.Load(), c.timeouts.Load(), c.retransmits.Load(),
		c.unmatched.Load(), c.received.Load(), c.protoErr.Load(), c.dwa.Load()}
}

// role is what differs between the client (MME) and the server (HSS).
type role interface {
	// up is called (with ep.mu held) when c starts carrying requests.
	up(c *conn)
	// down is called (with ep.mu held) when c stops carrying requests,
	// suspect or closing.
	down(c *conn)
	// closed is called (without ep.mu) after c's socket is closed.
	closed(c *conn)
}

// endpoint is what the client and the server share: identity, timers, the
// pending requests, the connections' watchdog and the handler.
type endpoint struct {
	id      Identity
	timers  Timers
	handler Handler
	log     *slog.Logger
	role    role
	onState func(label string, s State)

	mu    sync.Mutex
	tx    *txTable
	conns map[*conn]struct{}

	changed chan struct{} // closed and replaced at every state change (under mu)

	hbh, e2e atomic.Uint32
	stats    counters
	closing  atomic.Bool

	stop chan struct{}
	wg   sync.WaitGroup
}

func newEndpoint(id Identity, t Timers, h Handler, log *slog.Logger, r role, onState func(string, State)) *endpoint {
	if id.ProductName == "" {
		id.ProductName = "lte-mme"
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	t = t.withDefaults()
	ep := &endpoint{id: id, timers: t, handler: h, log: log, role: r, onState: onState,
		tx: newTxTable(t.MaxPending), conns: make(map[*conn]struct{}), stop: make(chan struct{}),
		changed: make(chan struct{})}
	// RFC 6733 §3: the end-to-end id starts with the low 12 bits of the
	// time in its high bits and a random low part; hop-by-hop ids are
	// random at start and increase.
	ep.e2e.Store(uint32(time.Now().Unix())<<20 | rand.Uint32()&0xfffff)
	ep.hbh.Store(rand.Uint32())
	return ep
}

// start runs the maintenance loop: request timeouts and watchdogs.
func (ep *endpoint) start(tick func(now time.Time)) {
	ep.wg.Add(1)
	go func() {
		defer ep.wg.Done()
		t := time.NewTicker(ep.timers.Tick)
		defer t.Stop()
		for {
			select {
			case <-ep.stop:
				return
			case now := <-t.C:
				ep.maintain(now)
				if tick != nil {
					tick(now)
				}
			}
		}
	}()
}

// maintain expires requests and runs every connection's watchdog.
func (ep *endpoint) maintain(now time.Time) {
	var dwr, toClose []*conn
	ep.mu.Lock()
	expired := ep.tx.expired(now)
	for c := range ep.conns {
		switch c.watchdog(now) {
		case wdSendDWR:
			dwr = append(dwr, c)
		case wdClose:
			toClose = append(toClose, c)
		}
	}
	ep.mu.Unlock()
	for _, p := range expired {
		if !p.bound {
			ep.stats.timeouts.Add(1)
		}
		p.done(nil, ErrTimeout)
	}
	for _, c := range dwr {
		ep.sendBound(c, (&s6a.DWR{OriginHost: ep.id.OriginHost, OriginRealm: ep.id.OriginRealm, OriginStateID: ep.id.OriginStateID}).Encode(),
			func(*diam.Message, error) {})
	}
	for _, c := range toClose {
		c.fail(errors.New("peer: watchdog expired"))
	}
}

// sendBound sends a request that belongs to connection c: base protocol
// requests and server-initiated requests. done gets ErrConnClosed if c
// closes first.
func (ep *endpoint) sendBound(c *conn, m *diam.Message, done func(*diam.Message, error)) {
	hbh := ep.hbh.Add(1)
	m.Header.HopByHopID = hbh
	if m.Header.EndToEndID == 0 {
		m.Header.EndToEndID = ep.e2e.Add(1)
	}
	frame, err := m.Serialize()
	if err != nil {
		done(nil, err)
		return
	}
	p := &pending{hbh: hbh, e2e: m.Header.EndToEndID, frame: frame, conn: c, bound: true,
		deadline: time.Now().Add(ep.timers.RequestTimeout), done: done}
	ep.mu.Lock()
	if !ep.tx.add(p) {
		ep.mu.Unlock()
		done(nil, ErrOverload)
		return
	}
	ep.mu.Unlock()
	if !c.enqueue(frame) {
		ep.mu.Lock()
		q := ep.tx.take(hbh)
		ep.mu.Unlock()
		if q != nil {
			done(nil, ErrConnClosed)
		}
	}
}

// failBound fails the requests bound to c (c is closing).
func (ep *endpoint) failBound(c *conn) {
	var failed []*pending
	ep.mu.Lock()
	ep.tx.each(func(p *pending) {
		if p.bound && p.conn == c {
			ep.tx.remove(p)
			failed = append(failed, p)
		}
	})
	ep.mu.Unlock()
	for _, p := range failed {
		p.done(nil, ErrConnClosed)
	}
}

// failAll fails every pending request with err (the endpoint is closing).
func (ep *endpoint) failAll(err error) {
	var failed []*pending
	ep.mu.Lock()
	ep.tx.each(func(p *pending) {
		ep.tx.remove(p)
		failed = append(failed, p)
	})
	ep.mu.Unlock()
	for _, p := range failed {
		p.done(nil, err)
	}
}

// setState changes c's state (ep.mu held) and tells the role and observer.
func (ep *endpoint) setState(c *conn, s State) {
	old := c.state
	if old == s {
		return
	}
	c.state = s
	close(ep.changed)
	ep.changed = make(chan struct{})
	carrying := func(s State) bool { return s == StateOpen }
	if carrying(s) && !carrying(old) {
		ep.role.up(c)
	} else if !carrying(s) && carrying(old) {
		ep.role.down(c)
	}
	ep.log.Debug("diameter peer state", "peer", c.label, "from", old.String(), "to", s.String())
	if ep.onState != nil {
		ep.onState(c.label, s)
	}
}

// Stats returns the counters.
func (ep *endpoint) Stats() Stats { return ep.stats.snapshot() }

// waitFor waits until cond (evaluated with ep.mu held) holds or ctx ends.
func (ep *endpoint) waitFor(ctx context.Context, cond func() bool) error {
	for {
		ep.mu.Lock()
		ok, ch := cond(), ep.changed
		ep.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}
