package peer

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/lte-mme/mme/s6a"
)

// ServerConfig configures the HSS side.
type ServerConfig struct {
	Identity
	Timers
	// Handler serves the MMEs' requests (AIR, ULR, PUR, ...).
	Handler Handler
	// OnState observes connection state changes (label = remote address);
	// it runs with the peer's lock held and must not call back.
	OnState func(peer string, s State)
	Logger  *slog.Logger
}

// Server accepts Diameter connections from MMEs (the HSS side of S6a):
// capabilities exchange, watchdog, and requests in both directions (the
// HSS sends CLR, IDR and DSR to the MME that registered a UE).
//
// Goroutines: one maintenance loop, one accept loop per Serve call, a
// reader and a writer per connection. Close ends them all.
type Server struct {
	ep *endpoint

	mu        sync.Mutex
	listeners []net.Listener
	closeOnce sync.Once
}

// NewServer returns a server; Serve runs it on a listener.
func NewServer(cfg ServerConfig) (*Server, error) {
	if cfg.OriginHost == "" || cfg.OriginRealm == "" {
		return nil, errors.New("peer: Origin-Host and Origin-Realm are required")
	}
	s := &Server{}
	s.ep = newEndpoint(cfg.Identity, cfg.Timers, cfg.Handler, cfg.Logger, serverRole{}, cfg.OnState)
	s.ep.start(nil)
	return s, nil
}

// Serve accepts connections on l until Close; it returns ErrClosed then.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.ep.closing.Load() {
		s.mu.Unlock()
		return ErrClosed
	}
	s.listeners = append(s.listeners, l)
	s.ep.wg.Add(1)
	s.mu.Unlock()
	defer s.ep.wg.Done()
	for {
		nc, err := l.Accept()
		if err != nil {
			if s.ep.closing.Load() {
				return ErrClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.SetNoDelay(true)
		}
		s.ep.newConn(nc, nc.RemoteAddr().String(), false, nil)
	}
}

type serverRole struct{}

func (serverRole) up(*conn)     {}
func (serverRole) down(*conn)   {}
func (serverRole) closed(*conn) {}

// connTo returns the open connection of the peer whose Origin-Host is
// host; ep.mu held.
func (s *Server) connTo(host string) *conn {
	var best *conn
	for c := range s.ep.conns {
		if c.remote.OriginHost != host {
			continue
		}
		// An OPEN connection wins over a SUSPECT one (an MME that
		// reconnected while its old connection is still timing out).
		if c.state == StateOpen || c.state == StateSuspect && best == nil {
			best = c
		}
	}
	return best
}

// Send sends a request (CLR, IDR, DSR) to the connected peer whose
// Origin-Host is host, and calls done exactly once with its answer or
// ErrNoPeer, ErrTimeout, ErrConnClosed, ErrOverload.
func (s *Server) Send(host string, req *diam.Message, done func(*diam.Message, error)) {
	s.ep.mu.Lock()
	c := s.connTo(host)
	s.ep.mu.Unlock()
	if c == nil {
		done(nil, ErrNoPeer)
		return
	}
	s.ep.stats.requests.Add(1)
	s.ep.sendBound(c, req, func(m *diam.Message, err error) {
		if err == nil {
			s.ep.stats.answers.Add(1)
		} else if errors.Is(err, ErrTimeout) {
			s.ep.stats.timeouts.Add(1)
		}
		done(m, err)
	})
}

// Peers returns the Origin-Host of every open peer connection.
func (s *Server) Peers() []string {
	s.ep.mu.Lock()
	defer s.ep.mu.Unlock()
	var out []string
	for c := range s.ep.conns {
		if c.state == StateOpen {
			out = append(out, c.remote.OriginHost)
		}
	}
	return out
}

// WaitPeer waits until a peer with Origin-Host host is open, or ctx ends.
func (s *Server) WaitPeer(ctx context.Context, host string) error {
	return s.ep.waitFor(ctx, func() bool { c := s.connTo(host); return c != nil && c.state == StateOpen })
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats { return s.ep.Stats() }

// Close stops accepting, sends DPR (Disconnect-Cause REBOOTING, RFC 6733
// §5.4) on every open connection and waits a little for the DPAs, closes
// every connection, fails what is pending and ends every goroutine.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		s.ep.closing.Store(true)
		s.mu.Lock()
		for _, l := range s.listeners {
			l.Close()
		}
		s.mu.Unlock()
		s.ep.mu.Lock()
		var open []*conn
		for c := range s.ep.conns {
			if c.state == StateOpen || c.state == StateSuspect || c.state == StateReopen {
				open = append(open, c)
			}
		}
		s.ep.mu.Unlock()
		var wg sync.WaitGroup
		for _, c := range open {
			wg.Add(1)
			s.ep.sendBound(c, (&s6a.DPR{OriginHost: s.ep.id.OriginHost, OriginRealm: s.ep.id.OriginRealm,
				DisconnectCause: s6a.DisconnectRebooting}).Encode(), func(*diam.Message, error) { wg.Done() })
		}
		waited := make(chan struct{})
		go func() { wg.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(min(s.ep.timers.RequestTimeout, 2*time.Second)):
		}
		close(s.ep.stop)
		s.ep.mu.Lock()
		var all []*conn
		for c := range s.ep.conns {
			all = append(all, c)
		}
		s.ep.mu.Unlock()
		for _, c := range all {
			c.fail(ErrClosed)
		}
		s.ep.wg.Wait()
		<-waited
		s.ep.failAll(ErrClosed)
	})
	return nil
}
