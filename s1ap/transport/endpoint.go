package transport

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"
)

// Endpoint is an SCTP endpoint (RFC 4960 §1.3): it listens for and dials
// associations in one Mode, bounds them, and (UDP mode) watches their
// liveness. Its methods are safe for concurrent use.
//
// Goroutines it owns, each ended by Close: the accept loop (while
// listening), the liveness scan (UDP mode), and per association a
// supervisor, pion's accept drain and one reader per inbound stream (UDP
// mode) or one reader (kernel mode).
type Endpoint struct {
	cfg  Config
	mode Mode
	log  *slog.Logger

	nextID  atomic.Uint64
	pending atomic.Int64 // inbound handshakes in progress

	mu       sync.Mutex
	assocs   map[uint64]*Association
	reserved int // slots taken by handshakes in progress
	closed   bool
	listener listener

	quit chan struct{}
	wg   sync.WaitGroup
}

// listener is a mode's listening socket.
type listener interface {
	addrs() []netip.AddrPort
	close() error
}

// livenessProber is implemented by backends whose liveness the endpoint
// watches (UDP mode).
type livenessProber interface {
	heardSinceLastScan() bool
	probe()
	declareDead(err error)
	live() *liveness
}

// NewEndpoint validates cfg, resolves ModeAuto, and returns an endpoint that
// neither listens nor has associations yet.
func NewEndpoint(cfg Config) (*Endpoint, error) {
	cfg.fill()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	e := &Endpoint{cfg: cfg, log: cfg.Logger, assocs: make(map[uint64]*Association), quit: make(chan struct{})}
	switch cfg.Mode {
	case ModeKernel:
		if err := ProbeKernelSCTP(); err != nil {
			return nil, err
		}
		e.mode = ModeKernel
	case ModeUDP:
		e.mode = ModeUDP
	default:
		if err := ProbeKernelSCTP(); err != nil {
			e.log.Info("transport: kernel SCTP unavailable, using SCTP over UDP (RFC 6951)", "reason", err, "udp_port", cfg.UDPPort)
			e.mode = ModeUDP
		} else {
			e.mode = ModeKernel
		}
	}
	if e.mode == ModeUDP {
		e.wg.Add(1)
		go e.livenessLoop()
	}
	return e, nil
}

// Mode is the implementation in use (never ModeAuto).
func (e *Endpoint) Mode() Mode { return e.mode }

// Config returns the endpoint's configuration with defaults filled in.
func (e *Endpoint) Config() Config { return e.cfg }

// Listen starts accepting associations; h receives each one's events and
// messages. Kernel mode binds Config.LocalAddrs on Config.Port; UDP mode
// binds the first local address on Config.UDPPort.
func (e *Endpoint) Listen(h Handler) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrEndpointClosed
	}
	if e.listener != nil {
		return errors.New("transport: endpoint already listening")
	}
	var (
		l   listener
		err error
	)
	if e.mode == ModeKernel {
		l, err = e.listenKernel(h)
	} else {
		l, err = e.listenUDP(h)
	}
	if err != nil {
		return err
	}
	e.listener = l
	return nil
}

// ListenAddrs are the addresses the endpoint listens on (nil before Listen).
func (e *Endpoint) ListenAddrs() []netip.AddrPort {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.listener == nil {
		return nil
	}
	return e.listener.addrs()
}

// Dial establishes an association with a peer at remote: the peer's SCTP
// addresses (several for a multi-homed peer, kernel mode) and port, or in
// UDP mode its UDP address and port (one address). h receives the
// association's events and messages; EventUp is delivered before Dial
// returns. The handshake is bounded by ctx and Config.HandshakeTimeout.
func (e *Endpoint) Dial(ctx context.Context, remote []netip.AddrPort, h Handler) (*Association, error) {
	if len(remote) == 0 {
		return nil, errors.New("transport: dial: no remote address")
	}
	if err := e.reserve(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, e.cfg.HandshakeTimeout)
	defer cancel()
	var (
		a   *Association
		err error
	)
	if e.mode == ModeKernel {
		a, err = e.dialKernel(ctx, remote, h)
	} else {
		a, err = e.dialUDP(ctx, remote[0], h)
	}
	if err != nil {
		e.release()
		return nil, fmt.Errorf("transport: dial %v: %w", remote, err)
	}
	return a, nil
}

// Associations returns the established associations.
func (e *Endpoint) Associations() []*Association {
	e.mu.Lock()
	defer e.mu.Unlock()
	out := make([]*Association, 0, len(e.assocs))
	for _, a := range e.assocs {
		out = append(out, a)
	}
	return out
}

// reserve takes a slot for a handshake (Config.MaxAssociations).
func (e *Endpoint) reserve() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return ErrEndpointClosed
	}
	if len(e.assocs)+e.reserved >= e.cfg.MaxAssociations {
		return ErrTooManyAssociations
	}
	e.reserved++
	return nil
}

func (e *Endpoint) release() {
	e.mu.Lock()
	e.reserved--
	e.mu.Unlock()
}

// add turns a reserved slot into an association; false if the endpoint
// closed meanwhile: the caller aborts the association and releases the slot.
func (e *Endpoint) add(a *Association) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed {
		return false
	}
	e.reserved--
	e.assocs[a.id] = a
	return true
}

func (e *Endpoint) remove(a *Association) {
	e.mu.Lock()
	delete(e.assocs, a.id)
	e.mu.Unlock()
}

// Close aborts every association (EventDown with ErrLocalAbort), closes
// the listening socket and waits for every goroutine of the endpoint.
func (e *Endpoint) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	l := e.listener
	assocs := make([]*Association, 0, len(e.assocs))
	for _, a := range e.assocs {
		assocs = append(assocs, a)
	}
	e.mu.Unlock()
	close(e.quit)
	var err error
	if l != nil {
		err = l.close()
	}
	var wg sync.WaitGroup
	for _, a := range assocs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.Abort("endpoint closed")
		}()
	}
	wg.Wait()
	e.wg.Wait()
	return err
}

// Shutdown shuts every association down gracefully (SHUTDOWN, RFC 4960
// §9.2), then closes the endpoint; associations still up when ctx is done
// are aborted.
func (e *Endpoint) Shutdown(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, a := range e.Associations() {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = a.Shutdown(ctx)
		}()
	}
	wg.Wait()
	return e.Close()
}

// livenessLoop scans the UDP-mode associations every tick; it ends when
// the endpoint closes.
func (e *Endpoint) livenessLoop() {
	defer e.wg.Done()
	t := time.NewTicker(livenessTick(e.cfg.Liveness))
	defer t.Stop()
	for {
		select {
		case <-e.quit:
			return
		case now := <-t.C:
			for _, a := range e.Associations() {
				p, ok := a.be.(livenessProber)
				if !ok || !a.up.Load() {
					continue
				}
				switch p.live().tick(now, p.heardSinceLastScan()) {
				case livenessProbe:
					a.heartbeats.Add(1)
					p.probe()
				case livenessDead:
					p.declareDead(fmt.Errorf("%w: nothing heard for %v (liveness timeout %v)",
						ErrPeerUnreachable, now.Sub(p.live().lastHeard).Round(time.Millisecond), e.cfg.Liveness.Timeout))
				}
			}
		}
	}
}
