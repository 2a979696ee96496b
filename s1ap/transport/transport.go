package transport

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"
	"sync/atomic"
)

// Errors returned by Send, Dial and the endpoint. Down events carry one of
// the Err*Down reasons (wrapped with detail).
var (
	// ErrSendQueueFull: the association's send queue (queued plus unacknowledged
	// bytes, Config.SendQueueBytes) has no room for the message. Nothing was
	// queued; the caller answers overload (TS 36.413 §8.7.6 Overload Start)
	// or retries later.
	ErrSendQueueFull = errors.New("transport: send queue full")
	// ErrMessageTooLarge: the message exceeds Config.MaxMessageSize.
	ErrMessageTooLarge = errors.New("transport: message too large")
	// ErrEmptyMessage: SCTP has no empty user messages (RFC 4960 §3.3.1).
	ErrEmptyMessage = errors.New("transport: empty message")
	// ErrInvalidStream: the stream id is not below the negotiated number of
	// outbound streams (RFC 4960 §6.5).
	ErrInvalidStream = errors.New("transport: invalid stream")
	// ErrAssociationDown: the association is not (or no longer) established.
	ErrAssociationDown = errors.New("transport: association down")
	// ErrEndpointClosed: the endpoint has been closed.
	ErrEndpointClosed = errors.New("transport: endpoint closed")
	// ErrTooManyAssociations: Config.MaxAssociations is reached.
	ErrTooManyAssociations = errors.New("transport: too many associations")
	// ErrKernelSCTPUnsupported: the kernel has no SCTP (ModeKernel only).
	ErrKernelSCTPUnsupported = errors.New("transport: kernel has no SCTP")

	// ErrPeerAborted: the peer sent ABORT (RFC 4960 §9.1).
	ErrPeerAborted = errors.New("transport: peer aborted the association")
	// ErrShutdown: the association ended by the SHUTDOWN procedure
	// (RFC 4960 §9.2), started by either side.
	ErrShutdown = errors.New("transport: association shut down")
	// ErrPeerUnreachable: nothing was heard from the peer within the
	// liveness timeout (UDP mode) or the kernel reported COMMUNICATION LOST.
	ErrPeerUnreachable = errors.New("transport: peer unreachable")
	// ErrLocalAbort: this side aborted (Abort, Endpoint.Close).
	ErrLocalAbort = errors.New("transport: aborted locally")
	// ErrProtocolViolation: the peer broke a rule this side enforces (data
	// on a stream beyond the negotiated count, an oversized message); the
	// association was aborted.
	ErrProtocolViolation = errors.New("transport: protocol violation by peer")
)

// Message is one SCTP user message (RFC 4960 §1.3 "user message").
type Message struct {
	// Stream is the stream identifier (RFC 4960 §3.3.1 S).
	Stream uint16
	// PPID is the payload protocol identifier; 18 for S1AP (TS 36.412 §7).
	PPID uint32
	// Data is the message. In Handler.HandleMessage it is valid only until
	// the call returns; copy what you keep.
	Data []byte
}

// EventKind says what happened to an association.
type EventKind int

const (
	// EventUp: the association is established; it precedes every message.
	EventUp EventKind = iota + 1
	// EventRestart: the peer restarted the association from the same
	// address (RFC 4960 §5.2.4, SCTP_RESTART): it lost its state, so all
	// UE-associated signalling over it is gone. The Association stays the
	// same object and id; stream counts may have changed.
	EventRestart
	// EventDown: the association is gone; Err says why. It follows the
	// last HandleMessage call for the association and is delivered once.
	EventDown
)

func (k EventKind) String() string {
	switch k {
	case EventUp:
		return "up"
	case EventRestart:
		return "restart"
	case EventDown:
		return "down"
	}
	return fmt.Sprintf("EventKind(%d)", int(k))
}

// Event reports an association's state change.
type Event struct {
	Kind  EventKind
	Assoc *Association
	// Err is why the association went down (EventDown only): it wraps one
	// of ErrPeerAborted, ErrShutdown, ErrPeerUnreachable, ErrLocalAbort,
	// ErrProtocolViolation or ErrEndpointClosed.
	Err error
}

// Handler receives an association's events and messages.
//
// Calls are made on the transport's goroutines: HandleMessage calls for one
// stream are sequential and in stream order, calls for different streams
// of one association may run concurrently (SCTP orders per stream only).
// EventUp precedes and EventDown follows every HandleMessage of the
// association. A handler that blocks stops reading that stream: the
// receive window closes and the peer's sender sees backpressure, which is
// the point; it must not block forever.
//
// A callback rather than a channel: no per-message hand-off or extra copy,
// per-stream order for free, and backpressure that reaches the peer
// through SCTP flow control instead of a queue that must drop or grow.
// The S1 front end dispatches to its own bounded mailboxes by UE.
type Handler interface {
	HandleEvent(Event)
	HandleMessage(a *Association, m Message)
}

// Stats are an association's counters; all monotonic.
type Stats struct {
	MessagesSent, MessagesReceived uint64
	BytesSent, BytesReceived       uint64 // user message bytes
	SendQueueFull                  uint64 // Send calls refused with ErrSendQueueFull
	HeartbeatsSent                 uint64 // liveness probes (UDP mode)
	HeartbeatAcks                  uint64 // answers to them
	Restarts                       uint64
}

// backend is one SCTP implementation's side of an association.
type backend interface {
	send(stream uint16, ppid uint32, data []byte) error
	shutdown(ctx context.Context) error
	abort(reason string)
}

// Association is one SCTP association (RFC 4960 §1.3) with a peer. Its
// methods are safe for concurrent use.
type Association struct {
	id      uint64
	ep      *Endpoint
	h       Handler
	be      backend
	local   []netip.AddrPort
	peer    []netip.AddrPort
	streams atomic.Uint32 // in<<16 | out, negotiated

	up       atomic.Bool
	doneOnce sync.Once
	done     chan struct{}
	err      error // set before done is closed

	msgsSent, msgsRecv   atomic.Uint64
	bytesSent, bytesRecv atomic.Uint64
	queueFull            atomic.Uint64
	heartbeats           atomic.Uint64
	restarts             atomic.Uint64
}

func newAssociation(ep *Endpoint, h Handler, local, peer []netip.AddrPort) *Association {
	return &Association{
		id:    ep.nextID.Add(1),
		ep:    ep,
		h:     h,
		local: local,
		peer:  peer,
		done:  make(chan struct{}),
	}
}

// ID is the association's identifier, unique within its Endpoint.
func (a *Association) ID() uint64 { return a.id }

// PeerAddrs are the peer's transport addresses: its SCTP addresses and
// port in kernel mode, its UDP address and port in UDP mode.
func (a *Association) PeerAddrs() []netip.AddrPort { return append([]netip.AddrPort(nil), a.peer...) }

// LocalAddrs are this side's transport addresses of the association.
func (a *Association) LocalAddrs() []netip.AddrPort { return append([]netip.AddrPort(nil), a.local...) }

// Streams returns the negotiated numbers of inbound and outbound streams
// (RFC 4960 §5.1.1: the minimum of what each side offered).
func (a *Association) Streams() (in, out uint16) {
	v := a.streams.Load()
	return uint16(v >> 16), uint16(v)
}

func (a *Association) setStreams(in, out uint16) { a.streams.Store(uint32(in)<<16 | uint32(out)) }

// Send queues one user message on a stream with a payload protocol
// identifier. It never blocks on the network: it fails with
// ErrSendQueueFull when Config.SendQueueBytes would be exceeded,
// ErrMessageTooLarge, ErrEmptyMessage, ErrInvalidStream (stream not below
// the negotiated outbound count) or ErrAssociationDown. Data is copied.
// S1AP: PPID 18, stream 0 for non-UE-associated signalling, StreamForUE
// for a UE's (TS 36.412 §7).
func (a *Association) Send(stream uint16, ppid uint32, data []byte) error {
	if !a.up.Load() {
		return ErrAssociationDown
	}
	if len(data) == 0 {
		return ErrEmptyMessage
	}
	if len(data) > a.ep.cfg.MaxMessageSize {
		return fmt.Errorf("%w: %d > %d bytes", ErrMessageTooLarge, len(data), a.ep.cfg.MaxMessageSize)
	}
	if _, out := a.Streams(); stream >= out {
		return fmt.Errorf("%w: %d, negotiated outbound streams %d", ErrInvalidStream, stream, out)
	}
	if err := a.be.send(stream, ppid, data); err != nil {
		if errors.Is(err, ErrSendQueueFull) {
			a.queueFull.Add(1)
		}
		return err
	}
	a.msgsSent.Add(1)
	a.bytesSent.Add(uint64(len(data)))
	return nil
}

// Shutdown closes the association gracefully: queued messages are
// delivered, then SHUTDOWN (RFC 4960 §9.2). It returns when the procedure
// completed or ctx is done; EventDown follows with ErrShutdown.
func (a *Association) Shutdown(ctx context.Context) error {
	if !a.up.Load() {
		return ErrAssociationDown
	}
	if err := a.be.shutdown(ctx); err != nil {
		return fmt.Errorf("transport: shutdown association %d: %w", a.id, err)
	}
	select {
	case <-a.done:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Abort ends the association at once with an ABORT chunk carrying reason
// (RFC 4960 §9.1, User-Initiated Abort cause); queued messages are lost.
// It returns after the association is down (EventDown with ErrLocalAbort).
func (a *Association) Abort(reason string) {
	select {
	case <-a.done:
		return
	default:
	}
	a.be.abort(reason)
	<-a.done
}

// Done is closed when the association is down (after EventDown).
func (a *Association) Done() <-chan struct{} { return a.done }

// Err says why the association went down; nil while it is up.
func (a *Association) Err() error {
	select {
	case <-a.done:
		return a.err
	default:
		return nil
	}
}

// Stats returns the association's counters.
func (a *Association) Stats() Stats {
	s := Stats{
		MessagesSent: a.msgsSent.Load(), MessagesReceived: a.msgsRecv.Load(),
		BytesSent: a.bytesSent.Load(), BytesReceived: a.bytesRecv.Load(),
		SendQueueFull: a.queueFull.Load(), HeartbeatsSent: a.heartbeats.Load(),
		Restarts: a.restarts.Load(),
	}
	if p, ok := a.be.(interface{ heartbeatAcks() uint64 }); ok {
		s.HeartbeatAcks = p.heartbeatAcks()
	}
	return s
}

func (a *Association) String() string {
	return fmt.Sprintf("association %d with %v", a.id, a.peer)
}

// deliver hands one received message to the handler.
func (a *Association) deliver(m Message) {
	a.msgsRecv.Add(1)
	a.bytesRecv.Add(uint64(len(m.Data)))
	a.h.HandleMessage(a, m)
}

// establish marks the association up and reports EventUp.
func (a *Association) establish() {
	a.up.Store(true)
	a.h.HandleEvent(Event{Kind: EventUp, Assoc: a})
}

// restarted reports EventRestart.
func (a *Association) restarted() {
	a.restarts.Add(1)
	a.h.HandleEvent(Event{Kind: EventRestart, Assoc: a})
}

// finish reports EventDown once, after the last message was delivered.
func (a *Association) finish(err error) {
	a.doneOnce.Do(func() {
		a.up.Store(false)
		a.err = err
		a.ep.remove(a)
		a.h.HandleEvent(Event{Kind: EventDown, Assoc: a, Err: err})
		close(a.done)
	})
}

// StreamForUE picks the outbound stream for a UE's signalling: non-UE
// signalling uses stream 0 and each UE is pinned to one stream in
// 1..outStreams-1 by a stable key (e.g. the MME-UE-S1AP-ID; sequential keys
// go round-robin), so its messages stay in order (TS 36.412 §7). With fewer than two outbound
// streams it returns 0.
func StreamForUE(key uint64, outStreams uint16) uint16 {
	if outStreams < 2 {
		return 0
	}
	return 1 + uint16(key%uint64(outStreams-1))
}
