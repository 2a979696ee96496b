package transport

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/pion/logging"
	"github.com/pion/sctp"
	"github.com/pion/transport/v5/udp"
)

// udpSocketBuffer is the kernel buffer size asked for the UDP sockets
// (SO_RCVBUF/SO_SNDBUF), enough for bursts of many associations.
const udpSocketBuffer = 4 << 20

// udpListener is a UDP-mode listening socket: pion/transport's UDP
// listener, which keys one net.Conn per remote UDP address and creates one
// only for a datagram that passes the accept filter (a lone INIT).
type udpListener struct {
	e  *Endpoint
	h  Handler
	ln net.Listener

	mu      sync.Mutex
	pending map[*wireConn]struct{}
	dropped atomic.Uint64 // INITs refused: too many pending handshakes
}

func (e *Endpoint) listenUDP(h Handler) (listener, error) {
	laddr := &net.UDPAddr{Port: int(e.cfg.UDPPort)}
	if len(e.cfg.LocalAddrs) > 0 {
		laddr.IP = e.cfg.LocalAddrs[0].AsSlice()
	}
	lc := udp.ListenConfig{
		Backlog:         e.cfg.MaxPendingHandshakes,
		AcceptFilter:    isInitPacket, // RFC 4960 §8.5.1: only an INIT may create state
		ReadBufferSize:  udpSocketBuffer,
		WriteBufferSize: udpSocketBuffer,
	}
	ln, err := lc.Listen("udp", laddr)
	if err != nil {
		return nil, fmt.Errorf("transport: listen udp %v: %w", laddr, err)
	}
	l := &udpListener{e: e, h: h, ln: ln, pending: make(map[*wireConn]struct{})}
	e.wg.Add(1)
	go l.acceptLoop()
	e.log.Info("transport: listening", "mode", ModeUDP, "addr", ln.Addr().String())
	return l, nil
}

func (l *udpListener) addrs() []netip.AddrPort {
	return []netip.AddrPort{l.ln.Addr().(*net.UDPAddr).AddrPort()}
}

// close stops accepting and aborts the handshakes in progress.
func (l *udpListener) close() error {
	err := l.ln.Close()
	l.mu.Lock()
	for w := range l.pending {
		_ = w.Close()
	}
	l.mu.Unlock()
	return err
}

// acceptLoop takes each new remote address's INIT, refuses it when too
// many handshakes are pending or the association limit is reached, and
// otherwise runs the handshake on its own goroutine. It ends when the
// listener closes.
func (l *udpListener) acceptLoop() {
	defer l.e.wg.Done()
	for {
		c, err := l.ln.Accept()
		if err != nil {
			return
		}
		if l.e.pending.Load() >= int64(l.e.cfg.MaxPendingHandshakes) {
			l.dropped.Add(1)
			_ = c.Close()
			continue
		}
		if err := l.e.reserve(); err != nil {
			l.dropped.Add(1)
			_ = c.Close()
			continue
		}
		w := newWireConn(c, false, 0, &l.e.cfg)
		l.mu.Lock()
		l.pending[w] = struct{}{}
		l.mu.Unlock()
		l.e.pending.Add(1)
		l.e.wg.Add(1)
		go l.handshake(w)
	}
}

// handshake completes one inbound association within HandshakeTimeout.
func (l *udpListener) handshake(w *wireConn) {
	e := l.e
	defer e.wg.Done()
	timeout := time.AfterFunc(e.cfg.HandshakeTimeout, func() { _ = w.Close() })
	opts := e.pionOptions(w)
	sopts := make([]sctp.ServerOption, len(opts))
	for i, o := range opts {
		sopts[i] = o
	}
	pa, err := sctp.ServerWithOptions(sopts...)
	inTime := timeout.Stop()
	l.mu.Lock()
	delete(l.pending, w)
	l.mu.Unlock()
	e.pending.Add(-1)
	if err == nil && !inTime {
		_ = pa.Close()
		err = errors.New("handshake timed out")
	}
	if err != nil {
		_ = w.Close()
		e.release()
		e.log.Debug("transport: inbound handshake failed", "peer", w.RemoteAddr().String(), "err", err)
		return
	}
	w.up.Store(true)
	if e.cfg.afterHandshake != nil {
		e.cfg.afterHandshake()
	}
	local := []netip.AddrPort{l.ln.Addr().(*net.UDPAddr).AddrPort()}
	peer := []netip.AddrPort{w.RemoteAddr().(*net.UDPAddr).AddrPort()}
	if _, err := e.startUDP(pa, w, l.h, local, peer); err != nil {
		e.release()
		e.log.Debug("transport: inbound association not started", "peer", peer, "err", err)
	}
}

func (e *Endpoint) dialUDP(ctx context.Context, remote netip.AddrPort, h Handler) (*Association, error) {
	return e.dialUDPFrom(ctx, 0, remote, h)
}

// dialUDPFrom dials from a given local UDP port (0: ephemeral).
func (e *Endpoint) dialUDPFrom(ctx context.Context, localPort uint16, remote netip.AddrPort, h Handler) (*Association, error) {
	laddr := &net.UDPAddr{Port: int(localPort)}
	if len(e.cfg.LocalAddrs) > 0 {
		laddr.IP = e.cfg.LocalAddrs[0].AsSlice()
	}
	c, err := net.DialUDP("udp", laddr, net.UDPAddrFromAddrPort(remote))
	if err != nil {
		return nil, err
	}
	_ = c.SetReadBuffer(udpSocketBuffer)
	_ = c.SetWriteBuffer(udpSocketBuffer)
	w := newWireConn(c, true, e.cfg.Port, &e.cfg)
	opts := e.pionOptions(w)
	copts := make([]sctp.ClientOption, len(opts))
	for i, o := range opts {
		copts[i] = o
	}
	pa, err := sctp.ClientContext(ctx, copts...)
	if err != nil {
		_ = c.Close()
		if rerr := w.lastReadErr(); rerr != nil {
			return nil, fmt.Errorf("%w (%v)", err, rerr)
		}
		return nil, err
	}
	w.up.Store(true)
	local := []netip.AddrPort{c.LocalAddr().(*net.UDPAddr).AddrPort()}
	return e.startUDP(pa, w, h, local, []netip.AddrPort{remote})
}

// pionOptions are the pion/sctp options of every UDP-mode association.
func (e *Endpoint) pionOptions(w *wireConn) []sctp.AssociationOption {
	return []sctp.AssociationOption{
		sctp.WithNetConn(w),
		sctp.WithLoggerFactory(pionLogFactory{e.log}),
		// Plain DATA chunks, as every S1 peer speaks (RFC 8260 I-DATA off).
		sctp.WithEnableInterleaving(false),
		sctp.WithMTU(uint32(e.cfg.UDPMTU)),
		sctp.WithMaxMessageSize(uint32(e.cfg.MaxMessageSize)),
		sctp.WithMaxReceiveBufferSize(uint32(e.cfg.ReceiveWindow)),
		sctp.WithRTOMax(float64(e.cfg.RTO.Max.Milliseconds())),
	}
}

// udpBackend is one association on pion/sctp.
type udpBackend struct {
	e  *Endpoint
	a  *Association
	pa *sctp.Association
	w  *wireConn

	mu      sync.Mutex // guards streams growth and reader starts
	streams []atomic.Pointer[sctp.Stream]
	opened  int // streams [0, opened) are open; readers run on [0, in)
	readers sync.WaitGroup

	ending   atomic.Bool // pion's association was ending before every stream was opened
	lv       liveness    // owned by the endpoint's liveness scan
	reasonMu sync.Mutex
	reason   error
	dead     chan error    // size 1: liveness or a violation asks to abort
	closed   chan struct{} // closed when pion's association has ended
}

// startUDP wraps an established pion association, reports EventUp and
// starts its goroutines. On error the association is aborted and the
// caller releases its reserved slot.
func (e *Endpoint) startUDP(pa *sctp.Association, w *wireConn, h Handler, local, peer []netip.AddrPort) (*Association, error) {
	a := newAssociation(e, h, local, peer)
	b := &udpBackend{
		e: e, a: a, pa: pa, w: w,
		streams: make([]atomic.Pointer[sctp.Stream], max(e.cfg.InStreams, e.cfg.OutStreams)),
		lv:      newLiveness(e.cfg.Liveness, time.Now()),
		dead:    make(chan error, 1),
		closed:  make(chan struct{}),
	}
	a.be = b
	in, out := b.negotiated()
	a.setStreams(in, out)
	if err := b.openStreams(int(max(in, out))); errors.Is(err, sctp.ErrAssociationClosed) {
		// The peer began or completed SHUTDOWN (or sent ABORT) before this
		// goroutine got here: pion had already acknowledged its DATA. The
		// association existed, so it is reported (up, its messages, down
		// with the reason) like any other; streams left unopened carry no
		// sends (ErrAssociationDown) and the peer's are taken from pion's
		// accept queue by drain.
		b.ending.Store(true)
		e.log.Debug("transport: association ended during its setup", "peer", peer, "err", err)
	} else if err != nil {
		pa.Abort("stream setup failed")
		_ = pa.Close()
		return nil, err
	}
	if !e.add(a) {
		pa.Abort("endpoint closed")
		_ = pa.Close()
		return nil, ErrEndpointClosed
	}
	a.establish()
	// Readers first: the supervisor's readers.Wait must not race their Add
	// (later Adds come from drain, which ends before the supervisor waits).
	b.mu.Lock()
	b.startReaders(0, int(in))
	b.mu.Unlock()
	e.wg.Add(2)
	go b.drain()
	go b.supervise()
	return a, nil
}

// negotiated returns the stream counts: ours bounded by the peer's
// (RFC 4960 §5.1.1; our INIT/INIT ACK advertised ours, see wireConn).
func (b *udpBackend) negotiated() (in, out uint16) {
	in, out = b.e.cfg.InStreams, b.e.cfg.OutStreams
	if os, mis, ok := b.w.peerInit(); ok {
		in, out = min(in, os), min(out, mis)
	}
	return max(in, 1), max(out, 1)
}

// openStreams opens pion streams [opened, n): opening them before the peer
// sends keeps pion from queueing new streams on its 16-slot accept queue,
// where a burst could drop DATA until retransmission.
func (b *udpBackend) openStreams(n int) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for ; b.opened < n; b.opened++ {
		s, err := b.pa.OpenStream(uint16(b.opened), sctp.PayloadProtocolIdentifier(S1APPPID))
		if err != nil {
			return fmt.Errorf("transport: open stream %d: %w", b.opened, err)
		}
		b.streams[b.opened].Store(s)
	}
	return nil
}

// startReaders starts a reader on each open stream in [from, to); b.mu
// held. A stream not opened (the association was ending, see startUDP)
// gets its reader from drain if the peer used it.
func (b *udpBackend) startReaders(from, to int) {
	for i := from; i < to; i++ {
		if s := b.streams[i].Load(); s != nil {
			b.startReader(s)
		}
	}
}

func (b *udpBackend) startReader(s *sctp.Stream) {
	b.readers.Add(1)
	go b.read(s)
}

// read delivers one stream's messages in order until the stream or the
// association ends. Its buffer grows to the largest message seen, up to
// Config.MaxMessageSize; a larger message is a protocol violation.
func (b *udpBackend) read(s *sctp.Stream) {
	defer b.readers.Done()
	id := s.StreamIdentifier()
	buf := make([]byte, 2048)
	for {
		n, ppi, err := s.ReadSCTP(buf)
		if errors.Is(err, io.ErrShortBuffer) {
			if n > b.e.cfg.MaxMessageSize {
				b.violation(fmt.Errorf("%w: %d-byte message on stream %d exceeds %d", ErrProtocolViolation, n, id, b.e.cfg.MaxMessageSize))
				return
			}
			buf = make([]byte, n)
			continue
		}
		if err != nil {
			return
		}
		b.a.deliver(Message{Stream: id, PPID: uint32(ppi), Data: buf[:n]})
	}
}

// drain takes the streams pion creates for the peer: one beyond the
// negotiated inbound count is a violation (RFC 4960 §6.5); one that
// replaces a stream the peer reset (RFC 6525) gets a reader. It ends when
// pion's association ends and then signals closed.
func (b *udpBackend) drain() {
	defer b.e.wg.Done()
	defer close(b.closed)
	for {
		s, err := b.pa.AcceptStream()
		if err != nil {
			return
		}
		id := s.StreamIdentifier()
		in, _ := b.a.Streams()
		if id >= in {
			b.violation(fmt.Errorf("%w: data on stream %d, negotiated inbound streams %d", ErrProtocolViolation, id, in))
			continue
		}
		b.mu.Lock()
		if b.streams[id].Load() != s {
			b.streams[id].Store(s)
			b.startReader(s)
		}
		b.mu.Unlock()
	}
}

// supervise reports restarts, carries out liveness and violation aborts,
// and when pion's association has ended reports EventDown after the last
// reader returned.
func (b *udpBackend) supervise() {
	defer b.e.wg.Done()
	for {
		select {
		case <-b.w.restart:
			in, out := b.negotiated()
			if err := b.openStreams(int(max(in, out))); err != nil {
				b.violation(err)
				continue
			}
			oldIn, _ := b.a.Streams()
			b.a.setStreams(in, out)
			if in > oldIn {
				b.mu.Lock()
				b.startReaders(int(oldIn), int(in))
				b.mu.Unlock()
			}
			b.a.restarted()
		case err := <-b.dead:
			b.setReason(err)
			b.w.sendAbort(err.Error())
			b.pa.Abort(err.Error())
		case <-b.closed:
			_ = b.pa.Close()
			b.readers.Wait()
			b.a.finish(b.downReason())
			return
		}
	}
}

func (b *udpBackend) violation(err error) {
	select {
	case b.dead <- err:
	default:
	}
}

// setReason records why the association ends; the first reason wins.
func (b *udpBackend) setReason(err error) {
	b.reasonMu.Lock()
	if b.reason == nil {
		b.reason = err
	}
	b.reasonMu.Unlock()
}

func (b *udpBackend) downReason() error {
	b.reasonMu.Lock()
	defer b.reasonMu.Unlock()
	switch {
	case b.reason != nil:
		return b.reason
	case b.w.aborted.Load():
		return ErrPeerAborted
	case b.w.shutdown.Load():
		return ErrShutdown
	}
	return fmt.Errorf("%w: transport closed (%v)", ErrPeerUnreachable, b.w.lastReadErr())
}

func (b *udpBackend) send(stream uint16, ppid uint32, data []byte) error {
	if b.pa.BufferedAmount()+len(data) > b.e.cfg.SendQueueBytes {
		return ErrSendQueueFull
	}
	s := b.streams[stream].Load()
	if s == nil {
		if b.ending.Load() {
			return fmt.Errorf("%w: ended during setup", ErrAssociationDown)
		}
		return fmt.Errorf("%w: %d not open", ErrInvalidStream, stream)
	}
	if _, err := s.WriteSCTP(data, sctp.PayloadProtocolIdentifier(ppid)); err != nil {
		return fmt.Errorf("%w: %v", ErrAssociationDown, err)
	}
	return nil
}

func (b *udpBackend) shutdown(ctx context.Context) error {
	b.setReason(ErrShutdown)
	return b.pa.Shutdown(ctx)
}

func (b *udpBackend) abort(reason string) {
	b.setReason(fmt.Errorf("%w: %s", ErrLocalAbort, reason))
	b.w.sendAbort(reason)
	b.pa.Abort(reason)
}

// livenessProber, used by the endpoint's liveness scan.
func (b *udpBackend) heardSinceLastScan() bool { return b.w.heardSinceLastScan() }
func (b *udpBackend) probe()                   { _ = b.w.probe() }
func (b *udpBackend) live() *liveness          { return &b.lv }
func (b *udpBackend) heartbeatAcks() uint64    { return b.w.hbAcks.Load() }
func (b *udpBackend) declareDead(err error)    { b.violation(err) }

// pionLogFactory sends pion/sctp's logs to slog at debug level: they are
// per-packet diagnostics a peer can trigger at will, so they must never
// reach an operator's log at a higher level. Trace is dropped.
type pionLogFactory struct{ log *slog.Logger }

func (f pionLogFactory) NewLogger(scope string) logging.LeveledLogger {
	return pionLogger{f.log.With("component", "pion/"+scope)}
}

type pionLogger struct{ l *slog.Logger }

func (p pionLogger) logf(level string, format string, args ...any) {
	if p.l.Enabled(context.Background(), slog.LevelDebug) {
		p.l.Debug(fmt.Sprintf(format, args...), "pion_level", level)
	}
}

func (pionLogger) Trace(string)                {}
func (pionLogger) Tracef(string, ...any)       {}
func (p pionLogger) Debug(m string)            { p.logf("debug", "%s", m) }
func (p pionLogger) Debugf(f string, a ...any) { p.logf("debug", f, a...) }
func (p pionLogger) Info(m string)             { p.logf("info", "%s", m) }
func (p pionLogger) Infof(f string, a ...any)  { p.logf("info", f, a...) }
func (p pionLogger) Warn(m string)             { p.logf("warn", "%s", m) }
func (p pionLogger) Warnf(f string, a ...any)  { p.logf("warn", f, a...) }
func (p pionLogger) Error(m string)            { p.logf("error", "%s", m) }
func (p pionLogger) Errorf(f string, a ...any) { p.logf("error", f, a...) }
