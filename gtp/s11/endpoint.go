package s11

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/net/ipv4"
	"golang.org/x/net/ipv6"

	"github.com/lte-mme/mme/gtp"
)

// Defaults of Config (TS 29.274 §7.6 leaves T3-RESPONSE and N3-REQUESTS to
// configuration; these are common operator values).
const (
	DefaultT3           = 3 * time.Second
	DefaultN3           = 3
	DefaultEchoInterval = 60 * time.Second
	DefaultMaxPending   = 1 << 16
	DefaultMaxPeers     = 1024
	DefaultSocketBuffer = 4 << 20
	// DefaultPort is the GTP-C UDP port (TS 29.274 §4.2).
	DefaultPort = 2123
)

// Errors passed to Request's done or returned by the Endpoint.
var (
	// ErrNoResponse: no response after N3-REQUESTS retransmissions at
	// T3-RESPONSE intervals (TS 29.274 §7.6).
	ErrNoResponse = errors.New("s11: no response from peer")
	// ErrPathFailure: the Echo procedure declared the path to the peer down
	// while the transaction was pending (TS 23.007 §20).
	ErrPathFailure = errors.New("s11: path failure")
	// ErrClosed: the endpoint was closed.
	ErrClosed = errors.New("s11: endpoint closed")
	// ErrOverload: MaxPending transactions are outstanding.
	ErrOverload = errors.New("s11: too many pending transactions")
	// ErrTooManyPeers: MaxPeers peers are known.
	ErrTooManyPeers = errors.New("s11: too many peers")
	// ErrAlreadyAnswered: Respond or TriggerRequest was called twice.
	ErrAlreadyAnswered = errors.New("s11: request already answered")
)

// Config configures an Endpoint. Zero values take the defaults.
type Config struct {
	// RestartCounter is this node's restart counter, sent in Recovery IEs
	// (TS 23.007 §18: kept in non-volatile memory and incremented on every
	// restart). Load it, increment it and store it before starting: see
	// RestartCounterFile.
	RestartCounter uint8
	// T3 is T3-RESPONSE and N3 is N3-REQUESTS (TS 29.274 §7.6): a request
	// is retransmitted N3 times, T3 apart, before ErrNoResponse.
	T3 time.Duration
	N3 int
	// EchoInterval is the time between Echo Requests to a monitored peer
	// (TS 29.274 §7.1.1, TS 23.007 §20); negative disables path management.
	EchoInterval time.Duration
	// CacheTTL is how long the response to an incoming request is kept to
	// answer its retransmissions (TS 29.274 §7.6); default T3 × (N3+1), the
	// longest a peer with the same timers retransmits.
	CacheTTL time.Duration
	// SocketBuffer is the UDP receive and send buffer asked of the kernel
	// (capped by net.core.rmem_max/wmem_max); default 4 MiB, so that a
	// burst of requests is queued rather than dropped (each datagram costs
	// the kernel about 1-2 KiB of buffer whatever its size).
	SocketBuffer int
	// MaxPending bounds outstanding outgoing transactions; MaxPeers bounds
	// the peer table (an unknown source beyond it is dropped).
	MaxPending int
	MaxPeers   int
	// Handler receives incoming requests, commands and notifications, on
	// the endpoint's reader goroutine: it must not block (post to a
	// mailbox) and answers through Incoming.Respond, now or later. With no
	// Handler, requests are answered with Service not supported.
	Handler func(*Incoming)
	// OnPeerEvent reports peer restarts and path failures (TS 23.007 §18,
	// §20), from the endpoint's goroutines: it must not block.
	OnPeerEvent func(PeerEvent)
	// Clock defaults to the system clock.
	Clock Clock
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Tap, when set, sees every datagram sent (out) and received, before
	// anything else: for captures in tests and tools.
	Tap func(out bool, peer netip.AddrPort, b []byte)
}

func (c *Config) setDefaults() {
	if c.T3 <= 0 {
		c.T3 = DefaultT3
	}
	if c.N3 <= 0 {
		c.N3 = DefaultN3
	}
	if c.EchoInterval == 0 {
		c.EchoInterval = DefaultEchoInterval
	}
	if c.CacheTTL <= 0 {
		c.CacheTTL = c.T3 * time.Duration(c.N3+1)
	}
	if c.MaxPending <= 0 {
		c.MaxPending = DefaultMaxPending
	}
	if c.SocketBuffer <= 0 {
		c.SocketBuffer = DefaultSocketBuffer
	}
	if c.MaxPeers <= 0 {
		c.MaxPeers = DefaultMaxPeers
	}
	if c.Clock == nil {
		c.Clock = SystemClock{}
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

// Endpoint is one GTPv2-C UDP socket with its transaction layer (TS 29.274
// §7.6), response cache, path management (§7.1, TS 23.007 §18, §20) and
// local TEID table. It runs two goroutines, the reader and the timer loop,
// whatever the number of sessions and transactions; Close ends both. All
// methods are safe for concurrent use.
type Endpoint struct {
	cfg   Config
	conn  *net.UDPConn
	local netip.AddrPort
	clock Clock
	log   *slog.Logger
	teids *TEIDTable
	st    stats

	mu       sync.Mutex
	closed   bool
	peers    map[netip.AddrPort]*peer
	peerByID []*peer // index PeerID-1
	txns     map[txnKey]*txn
	nextSeq  uint32
	nextCmd  uint32
	timers   timerHeap
	cache    map[txnKey]*cached
	fifo     cacheFIFO
	sweep    timerEntry

	// batch reads and writes datagrams in groups (x/net ipv4/ipv6
	// PacketConn over conn); outMu guards the queue of datagrams sent while
	// the reader works through a batch.
	batch    batchConn
	outMu    sync.Mutex
	batching bool
	outbox   []outgoing
	spare    []outgoing
	wmsgs    []ipv4.Message
	wbufs    [][1][]byte

	wake    chan struct{} // size 1: an earlier deadline was pushed
	stop    chan struct{}
	stopped sync.WaitGroup
}

// batchConn is what x/net's ipv4.PacketConn and ipv6.PacketConn share.
type batchConn interface {
	ReadBatch(ms []ipv4.Message, flags int) (int, error)
	WriteBatch(ms []ipv4.Message, flags int) (int, error)
}

// txnKey names a transaction: the peer and the 24-bit sequence number.
type txnKey uint64

func keyOf(p PeerID, seq uint32) txnKey { return txnKey(uint64(p)<<32 | uint64(seq)) }

// Listen opens a UDP socket on addr ("host:port"; port 0 picks one) and
// starts an Endpoint on it.
func Listen(addr string, cfg Config) (*Endpoint, error) {
	ua, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("s11: listen %s: %w", addr, err)
	}
	conn, err := net.ListenUDP("udp", ua)
	if err != nil {
		return nil, fmt.Errorf("s11: listen %s: %w", addr, err)
	}
	e, err := New(conn, cfg)
	if err != nil {
		conn.Close()
		return nil, err
	}
	return e, nil
}

// New starts an Endpoint on conn, which it owns from then on.
func New(conn *net.UDPConn, cfg Config) (*Endpoint, error) {
	cfg.setDefaults()
	la, ok := conn.LocalAddr().(*net.UDPAddr)
	if !ok {
		return nil, errors.New("s11: not a UDP socket")
	}
	e := &Endpoint{
		cfg:     cfg,
		conn:    conn,
		local:   la.AddrPort(),
		clock:   cfg.Clock,
		log:     cfg.Logger,
		teids:   NewTEIDTable(1024),
		peers:   make(map[netip.AddrPort]*peer),
		txns:    make(map[txnKey]*txn),
		cache:   make(map[txnKey]*cached),
		nextSeq: uint32(time.Now().UnixNano()) & (gtp.CommandSeqBit - 1),
		wake:    make(chan struct{}, 1),
		stop:    make(chan struct{}),
	}
	e.nextCmd = e.nextSeq
	// Best effort: the kernel caps the sizes at its maxima.
	conn.SetReadBuffer(cfg.SocketBuffer)
	conn.SetWriteBuffer(cfg.SocketBuffer)
	if e.local.Addr().Is4() {
		e.batch = ipv4.NewPacketConn(conn)
	} else {
		e.batch = ipv6.NewPacketConn(conn)
	}
	e.wmsgs = make([]ipv4.Message, readBatch)
	e.wbufs = make([][1][]byte, readBatch)
	e.sweep = timerEntry{idx: -1, kind: tkSweep}
	e.stopped.Add(2)
	go e.readLoop()
	go e.timerLoop()
	return e, nil
}

// LocalAddr returns the socket's address.
func (e *Endpoint) LocalAddr() netip.AddrPort { return e.local }

// RestartCounter returns the Recovery value this endpoint sends.
func (e *Endpoint) RestartCounter() uint8 { return e.cfg.RestartCounter }

// TEIDs returns the endpoint's local TEID table.
func (e *Endpoint) TEIDs() *TEIDTable { return e.teids }

// Close closes the socket, stops the goroutines and completes every
// pending transaction with ErrClosed.
func (e *Endpoint) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	pending := make([]*txn, 0, len(e.txns))
	for k, t := range e.txns {
		pending = append(pending, t)
		delete(e.txns, k)
	}
	e.timers = e.timers[:0]
	e.mu.Unlock()
	close(e.stop)
	err := e.conn.Close()
	e.stopped.Wait()
	for _, t := range pending {
		t.finish(nil, ErrClosed)
	}
	return err
}

// readLoop is the reader goroutine. It reads up to readBatch datagrams per
// system call (recvmmsg on Linux), decodes and dispatches them in place;
// what the handlers and callbacks send meanwhile goes out in one sendmmsg
// at the end of the batch. It ends when the socket is closed.
func (e *Endpoint) readLoop() {
	defer e.stopped.Done()
	msgs := make([]ipv4.Message, readBatch)
	for k := range msgs {
		msgs[k].Buffers = [][]byte{make([]byte, 65535)}
	}
	for {
		n, err := e.batch.ReadBatch(msgs, 0)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			e.st.readErrors.Add(1)
			continue
		}
		e.beginBatch()
		for k := range msgs[:n] {
			m := &msgs[k]
			ua, ok := m.Addr.(*net.UDPAddr)
			if !ok {
				continue
			}
			from := ua.AddrPort()
			from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
			e.receive(m.Buffers[0][:m.N], from)
			m.Addr = nil
		}
		e.endBatch()
	}
}

// readBatch is the most datagrams read per system call.
const readBatch = 16

type outgoing struct {
	b  []byte
	to netip.AddrPort
}

// beginBatch makes send queue datagrams until endBatch (reader goroutine).
func (e *Endpoint) beginBatch() {
	e.outMu.Lock()
	e.batching = true
	e.outMu.Unlock()
}

// endBatch sends what was queued during the batch, in as few system calls
// as the kernel takes (sendmmsg on Linux).
func (e *Endpoint) endBatch() {
	e.outMu.Lock()
	q := e.outbox
	e.outbox, e.spare = e.spare[:0], nil
	e.batching = false
	e.outMu.Unlock()
	all := q
	for len(q) > 0 {
		n := min(len(q), len(e.wmsgs))
		for k := range q[:n] {
			e.wbufs[k][0] = q[k].b
			e.wmsgs[k].Buffers = e.wbufs[k][:]
			e.wmsgs[k].Addr = net.UDPAddrFromAddrPort(q[k].to)
		}
		sent, err := e.batch.WriteBatch(e.wmsgs[:n], 0)
		if err != nil || sent == 0 {
			// Skip the datagram the kernel refused; UDP: the peer's
			// retransmission or ours covers it.
			e.st.sendErrors.Add(1)
			e.log.Debug("s11: send failed", "peer", q[0].to, "err", err)
			sent = 1
		}
		for k := range q[:sent] {
			q[k] = outgoing{}
		}
		q = q[sent:]
	}
	for k := range e.wmsgs {
		e.wbufs[k][0], e.wmsgs[k].Addr = nil, nil
	}
	e.outMu.Lock()
	e.spare = all[:0]
	e.outMu.Unlock()
}

// send writes b to the peer, or queues it while the reader is in a batch.
// Errors are counted (UDP: the peer may be unreachable now and reachable at
// the retransmission).
func (e *Endpoint) send(b []byte, to netip.AddrPort) {
	if e.cfg.Tap != nil {
		e.cfg.Tap(true, to, b)
	}
	e.outMu.Lock()
	if e.batching {
		e.outbox = append(e.outbox, outgoing{b, to})
		e.outMu.Unlock()
		return
	}
	e.outMu.Unlock()
	if _, err := e.conn.WriteToUDPAddrPort(b, to); err != nil {
		e.st.sendErrors.Add(1)
		e.log.Debug("s11: send failed", "peer", to, "err", err)
	}
}

// Stats is a snapshot of an Endpoint's counters.
type Stats struct {
	RequestsSent        uint64 // initial requests and commands, first transmissions
	Retransmissions     uint64 // requests sent again after T3-RESPONSE
	Timeouts            uint64 // transactions ended with ErrNoResponse
	ResponsesReceived   uint64 // responses matched to a pending transaction
	LateResponses       uint64 // responses matching no pending transaction: dropped
	UnexpectedResponses uint64 // responses of the wrong type for their transaction: dropped
	RequestsReceived    uint64 // new incoming requests and commands given to the handler
	DuplicateRequests   uint64 // retransmitted requests answered from the response cache
	DuplicatesPending   uint64 // retransmitted requests whose answer is not ready: dropped
	ResponsesSent       uint64 // first transmissions of responses
	LateAnswers         uint64 // Respond calls after the cache entry expired
	ContextNotFound     uint64 // requests for an unknown TEID, answered with cause #64
	Rejected            uint64 // requests answered by the endpoint with a decoding cause
	Discarded           uint64 // undecodable messages without an answer (TS 29.274 §7.7.3, §7.7.4)
	VersionNotSupported uint64 // non-GTPv2 messages answered with Version Not Supported Indication
	Notifications       uint64 // incoming notifications given to the handler
	EchoRequestsSent    uint64
	EchoResponsesSent   uint64
	PeerRestarts        uint64
	PathFailures        uint64
	SendErrors          uint64
	ReadErrors          uint64
	Pending             int // outstanding outgoing transactions now
	Peers               int
	Sessions            int // bound local TEIDs
}

type stats struct {
	requestsSent, retransmissions, timeouts, responsesReceived, lateResponses,
	unexpectedResponses, requestsReceived, duplicateRequests, duplicatesPending,
	responsesSent, lateAnswers, contextNotFound, rejected, discarded, versionNotSupported,
	notifications, echoRequestsSent, echoResponsesSent, peerRestarts, pathFailures,
	sendErrors, readErrors atomic.Uint64
}

// Stats returns the endpoint's counters.
func (e *Endpoint) Stats() Stats {
	e.mu.Lock()
	pending, peers := len(e.txns), len(e.peers)
	e.mu.Unlock()
	s := &e.st
	return Stats{
		RequestsSent: s.requestsSent.Load(), Retransmissions: s.retransmissions.Load(),
		Timeouts: s.timeouts.Load(), ResponsesReceived: s.responsesReceived.Load(),
		LateResponses: s.lateResponses.Load(), UnexpectedResponses: s.unexpectedResponses.Load(),
		RequestsReceived: s.requestsReceived.Load(), DuplicateRequests: s.duplicateRequests.Load(),
		DuplicatesPending: s.duplicatesPending.Load(), ResponsesSent: s.responsesSent.Load(),
		LateAnswers: s.lateAnswers.Load(), ContextNotFound: s.contextNotFound.Load(),
		Rejected: s.rejected.Load(), Discarded: s.discarded.Load(),
		VersionNotSupported: s.versionNotSupported.Load(), Notifications: s.notifications.Load(),
		EchoRequestsSent: s.echoRequestsSent.Load(), EchoResponsesSent: s.echoResponsesSent.Load(),
		PeerRestarts: s.peerRestarts.Load(), PathFailures: s.pathFailures.Load(),
		SendErrors: s.sendErrors.Load(), ReadErrors: s.readErrors.Load(),
		Pending: pending, Peers: peers, Sessions: e.teids.Len(),
	}
}
