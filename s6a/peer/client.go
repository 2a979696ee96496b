package peer

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/lte-mme/mme/s6a"
)

// ClientConfig configures the MME side.
type ClientConfig struct {
	Identity
	// DestinationRealm is the HSS realm requests are routed to (TS 29.272
	// §7.2: Destination-Realm is mandatory).
	DestinationRealm string
	// Peers are HSS addresses ("host:port", TCP), in order of preference:
	// requests go to the first open one; the others are alternates for
	// failover (RFC 6733 §5.5.4).
	Peers []string
	Timers
	// Handler serves HSS-initiated requests (CLR, IDR, DSR). Nil answers
	// them with DIAMETER_UNABLE_TO_COMPLY.
	Handler Handler
	// Dial opens a transport connection (default: net.Dialer over TCP).
	Dial func(ctx context.Context, addr string) (net.Conn, error)
	// OnState, if set, observes peer state changes (label = peer
	// address). It runs with the peer's lock held: it must not call back.
	OnState func(peer string, s State)
	Logger  *slog.Logger
}

// Client is the MME side of S6a: Diameter connections to one or more HSS
// peers with capabilities exchange, watchdog, reconnection and failover.
// Its API is asynchronous: Send returns at once and calls done later, so
// a session actor emits a request as an effect and gets the answer as an
// event, without a goroutine per request.
//
// Goroutines: one maintenance loop (timeouts, watchdogs, reconnection), a
// reader and a writer per connection, a dialer per connection attempt.
// Close ends them all.
type Client struct {
	ep    *endpoint
	cfg   ClientConfig
	slots []*slot

	closeOnce sync.Once
	sessions  uint64
	sessionMu sync.Mutex
	started   time.Time
}

// slot is one configured HSS peer.
type slot struct {
	addr      string
	prio      int
	conn      *conn // under ep.mu
	dialing   bool
	everUp    bool
	backoff   time.Duration
	nextDial  time.Time
	holdUntil time.Time // after a DPR: do not reconnect before
}

// NewClient starts connecting to the configured peers.
func NewClient(cfg ClientConfig) (*Client, error) {
	if cfg.OriginHost == "" || cfg.OriginRealm == "" || cfg.DestinationRealm == "" {
		return nil, fmt.Errorf("peer: Origin-Host, Origin-Realm and Destination-Realm are required")
	}
	if len(cfg.Peers) == 0 {
		return nil, fmt.Errorf("peer: no HSS peer configured")
	}
	if cfg.Dial == nil {
		d := &net.Dialer{Timeout: 5 * time.Second}
		cfg.Dial = func(ctx context.Context, addr string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }
	}
	c := &Client{cfg: cfg, started: time.Now()}
	c.ep = newEndpoint(cfg.Identity, cfg.Timers, cfg.Handler, cfg.Logger, (*clientRole)(c), cfg.OnState)
	for i, a := range cfg.Peers {
		c.slots = append(c.slots, &slot{addr: a, prio: i, backoff: c.ep.timers.ReconnectMin})
	}
	c.ep.start(c.tick)
	c.tick(time.Now())
	return c, nil
}

// tick starts due connection attempts.
func (c *Client) tick(now time.Time) {
	if c.ep.closing.Load() {
		return
	}
	c.ep.mu.Lock()
	var due []*slot
	for _, s := range c.slots {
		if s.conn == nil && !s.dialing && !now.Before(s.nextDial) && !now.Before(s.holdUntil) {
			s.dialing = true
			due = append(due, s)
		}
	}
	c.ep.mu.Unlock()
	for _, s := range due {
		c.ep.wg.Add(1)
		go c.dial(s)
	}
}

// dial makes one connection attempt to s; it ends when the attempt does.
func (c *Client) dial(s *slot) {
	defer c.ep.wg.Done()
	ctx, cancel := context.WithTimeout(context.Background(), c.ep.timers.Watchdog)
	defer cancel()
	nc, err := c.cfg.Dial(ctx, s.addr)
	c.ep.mu.Lock()
	s.dialing = false
	if err != nil || c.ep.closing.Load() {
		s.nextDial = time.Now().Add(s.backoff)
		s.backoff = min(2*s.backoff, c.ep.timers.ReconnectMax)
		c.ep.mu.Unlock()
		if nc != nil {
			nc.Close()
		}
		if err != nil {
			c.ep.log.Debug("diameter peer connect failed", "peer", s.addr, "err", err)
		}
		return
	}
	reopen := s.everUp
	c.ep.mu.Unlock()
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	cn := c.ep.newConn(nc, s.addr, reopen, func(cn *conn) { s.conn = cn })
	if cn != nil {
		cn.sendCER()
	}
}

type clientRole Client

func (r *clientRole) slotOf(cn *conn) *slot {
	for _, s := range r.slots {
		if s.conn == cn {
			return s
		}
	}
	return nil
}

// up: the connection carries requests again; re-send what is stranded
// (RFC 6733 §5.5.4) and reset the back-off.
func (r *clientRole) up(cn *conn) {
	if s := r.slotOf(cn); s != nil {
		s.everUp = true
		s.backoff = r.ep.timers.ReconnectMin
	}
	r.ep.tx.each(func(p *pending) {
		if !p.bound && p.conn == nil {
			r.retransmit(p, cn)
		}
	})
}

// down: fail the connection's requests over to an alternate peer.
func (r *clientRole) down(cn *conn) {
	alt := (*Client)(r).pick(cn)
	r.ep.tx.each(func(p *pending) {
		if p.bound || p.conn != cn {
			return
		}
		if alt == nil {
			p.conn = nil // stranded until a peer opens or it times out
			return
		}
		r.retransmit(p, alt)
	})
}

// retransmit re-sends p on cn with the T flag (RFC 6733 §5.5.4, §3:
// "potentially retransmitted message"); ep.mu held.
func (r *clientRole) retransmit(p *pending, cn *conn) {
	f := append([]byte(nil), p.frame...) // the old frame may still be in a write queue
	f[4] |= diam.RetransmittedFlag
	p.frame, p.conn, p.retransmit = f, cn, true
	r.ep.stats.retransmits.Add(1)
	cn.enqueue(f)
}

func (r *clientRole) closed(cn *conn) {
	r.ep.mu.Lock()
	defer r.ep.mu.Unlock()
	s := r.slotOf(cn)
	if s == nil {
		return
	}
	s.conn = nil
	s.nextDial = time.Now().Add(s.backoff)
	s.backoff = min(2*s.backoff, r.ep.timers.ReconnectMax)
	if cn.disconnectCause != nil && *cn.disconnectCause != s6a.DisconnectRebooting {
		// RFC 6733 §5.4.3: BUSY or DO_NOT_WANT_TO_TALK_TO_YOU: do not
		// come back soon.
		s.holdUntil = time.Now().Add(r.ep.timers.ReconnectMax)
	}
}

// pick returns the preferred open connection other than not; ep.mu held.
func (c *Client) pick(not *conn) *conn {
	for _, s := range c.slots {
		if s.conn != nil && s.conn != not && s.conn.state == StateOpen {
			return s.conn
		}
	}
	return nil
}

// Send sends an S6a request and calls done exactly once: with the answer
// (whatever its Result-Code: decode it with the s6a package), or with
// ErrTimeout, ErrNoPeer, ErrOverload or ErrClosed. The client sets the
// hop-by-hop id and, if zero, the end-to-end id. done runs on a peer
// goroutine (or on the caller's, before Send returns, when the request
// cannot be sent at all) and must not block.
//
// Failover (RFC 6733 §5.5.4): when the connection of a pending request
// becomes SUSPECT or closes, the request is re-sent with the T flag to the
// next open peer; whichever answer comes first is delivered and a later
// one is dropped, so an answer is never lost by failover nor doubled.
func (c *Client) Send(req *diam.Message, done func(ans *diam.Message, err error)) {
	ep := c.ep
	if ep.closing.Load() {
		done(nil, ErrClosed)
		return
	}
	hbh := ep.hbh.Add(1)
	req.Header.HopByHopID = hbh
	if req.Header.EndToEndID == 0 {
		req.Header.EndToEndID = ep.e2e.Add(1)
	}
	frame, err := req.Serialize()
	if err != nil {
		done(nil, err)
		return
	}
	p := &pending{hbh: hbh, e2e: req.Header.EndToEndID, frame: frame,
		deadline: time.Now().Add(ep.timers.RequestTimeout), done: done}
	ep.mu.Lock()
	cn := c.pick(nil)
	if cn == nil {
		ep.mu.Unlock()
		done(nil, ErrNoPeer)
		return
	}
	p.conn = cn
	if !ep.tx.add(p) {
		ep.mu.Unlock()
		done(nil, ErrOverload)
		return
	}
	ep.mu.Unlock()
	ep.stats.requests.Add(1)
	// A connection closing now fails p over (down) before or after this:
	// either the frame is queued here, or the enqueue fails and p waits
	// for its retransmission or timeout.
	cn.enqueue(frame)
}

// Call is a synchronous wrapper of Send for tests and tools.
func (c *Client) Call(ctx context.Context, req *diam.Message) (*diam.Message, error) {
	type result struct {
		m   *diam.Message
		err error
	}
	ch := make(chan result, 1)
	c.Send(req, func(m *diam.Message, err error) { ch <- result{m, err} })
	select {
	case r := <-ch:
		return r.m, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Header returns a request header for a new S6a session: a fresh
// Session-Id (RFC 6733 §8.8: <DiameterIdentity>;<high 32 bits>;<low 32
// bits>), this node's Origin-Host/Realm and the HSS realm.
func (c *Client) Header() s6a.RequestHeader {
	c.sessionMu.Lock()
	c.sessions++
	n := c.sessions
	c.sessionMu.Unlock()
	return s6a.RequestHeader{
		SessionID:        fmt.Sprintf("%s;%d;%d", c.cfg.OriginHost, uint32(c.started.Unix()), n),
		OriginHost:       c.cfg.OriginHost,
		OriginRealm:      c.cfg.OriginRealm,
		DestinationRealm: c.cfg.DestinationRealm,
	}
}

// PeerState is the state of one configured peer.
type PeerState struct {
	Addr       string
	State      State
	RemoteHost string // the HSS's Origin-Host, once the capabilities are exchanged
}

// Peers returns the state of each configured peer, in preference order.
func (c *Client) Peers() []PeerState {
	c.ep.mu.Lock()
	defer c.ep.mu.Unlock()
	out := make([]PeerState, len(c.slots))
	for i, s := range c.slots {
		out[i] = PeerState{Addr: s.addr, State: StateDown}
		if s.conn != nil {
			out[i].State, out[i].RemoteHost = s.conn.state, s.conn.remote.OriginHost
		}
	}
	return out
}

// Stats returns the client's counters.
func (c *Client) Stats() Stats { return c.ep.Stats() }

// Pending returns the number of requests waiting for an answer.
func (c *Client) Pending() int {
	c.ep.mu.Lock()
	defer c.ep.mu.Unlock()
	return c.ep.tx.len()
}

// Close disconnects (RFC 6733 §5.4: DPR with Disconnect-Cause REBOOTING,
// waiting for the DPA until ctx ends), fails what is pending with
// ErrClosed and ends every goroutine.
func (c *Client) Close(ctx context.Context) error {
	c.closeOnce.Do(func() {
		c.ep.closing.Store(true)
		c.ep.mu.Lock()
		var open []*conn
		for cn := range c.ep.conns {
			if cn.state == StateOpen || cn.state == StateSuspect || cn.state == StateReopen {
				open = append(open, cn)
			}
		}
		c.ep.mu.Unlock()
		var wg sync.WaitGroup
		for _, cn := range open {
			wg.Add(1)
			c.ep.sendBound(cn, (&s6a.DPR{OriginHost: c.cfg.OriginHost, OriginRealm: c.cfg.OriginRealm,
				DisconnectCause: s6a.DisconnectRebooting}).Encode(), func(*diam.Message, error) { wg.Done() })
		}
		waited := make(chan struct{})
		go func() { wg.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-ctx.Done():
		}
		close(c.ep.stop)
		c.ep.mu.Lock()
		var all []*conn
		for cn := range c.ep.conns {
			all = append(all, cn)
		}
		c.ep.mu.Unlock()
		for _, cn := range all {
			cn.fail(ErrClosed)
		}
		c.ep.wg.Wait()
		<-waited
		c.ep.failAll(ErrClosed)
	})
	return nil
}

// WaitOpen waits until at least one peer carries requests, or ctx ends.
func (c *Client) WaitOpen(ctx context.Context) error {
	return c.ep.waitFor(ctx, func() bool { return c.pick(nil) != nil })
}

// WaitState waits until the peer at addr is in state s, or ctx ends.
func (c *Client) WaitState(ctx context.Context, addr string, s State) error {
	return c.ep.waitFor(ctx, func() bool {
		for _, sl := range c.slots {
			if sl.addr == addr {
				if sl.conn == nil {
					return s == StateDown
				}
				return sl.conn.state == s
			}
		}
		return false
	})
}
