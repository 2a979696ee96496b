package transport

import (
	"encoding/binary"
	"errors"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
)

// wireConn is the net.Conn pion/sctp runs on in UDP mode: one remote UDP
// address. It watches every SCTP packet in both directions (never the
// payload) to work around pion's gaps at our layer:
//
//   - liveness: any inbound packet carrying our verification tag marks
//     the peer as heard (RFC 4960 §8.5: only the peer knows the tag);
//   - INIT and INIT ACK parameters pion would abort on (Supported Address
//     Types, IPv4/IPv6/host name addresses, Cookie Preservative) are
//     dropped before pion sees them;
//   - our INIT/INIT ACK advertise the configured stream counts, not pion's
//     65535 (RFC 4960 §5.1.1), and the peer's counts are recorded;
//   - a client's SCTP ports are moved from pion's fixed 5000 to the
//     configured port on the wire and back;
//   - a peer restart (RFC 4960 §5.2.4, which pion completes silently) is
//     seen as our COOKIE ACK going out with a new peer tag;
//   - an inbound ABORT or SHUTDOWN is noted to say why the association ended.
type wireConn struct {
	net.Conn
	client   bool
	port     uint16 // SCTP port to put on the wire instead of 5000 (client); 0: none
	maxOS    uint16 // our outbound stream count to advertise
	maxMIS   uint16 // our inbound stream count to advertise
	peer     atomic.Uint64
	myTag    atomic.Uint32 // tag the peer puts in packets to us
	newTag   atomic.Uint32 // our tag offered in a restart INIT ACK, not yet confirmed
	peerTag  atomic.Uint32 // tag we put in packets to the peer
	up       atomic.Bool   // handshake complete
	heard    atomic.Bool
	ports    atomic.Uint32 // source<<16 | destination port of our last packet on the wire
	hbSeq    atomic.Uint64
	hbAcks   atomic.Uint64 // HEARTBEAT ACKs answering our probes
	aborted  atomic.Bool
	shutdown atomic.Bool
	restart  chan struct{} // size 1: a restart was seen
	// keepInitParams turns the INIT parameter filter off (tests show what
	// pion does without it).
	keepInitParams bool

	errMu   sync.Mutex
	readErr error
}

func newWireConn(c net.Conn, client bool, port uint16, cfg *Config) *wireConn {
	w := &wireConn{Conn: c, client: client, maxOS: cfg.OutStreams, maxMIS: cfg.InStreams, restart: make(chan struct{}, 1), keepInitParams: cfg.keepInitParams}
	if client && port != defaultPionSCTPPort {
		w.port = port
	}
	return w
}

// peerInit returns the peer's last INIT or INIT ACK stream counts.
func (w *wireConn) peerInit() (os, mis uint16, ok bool) {
	v := w.peer.Load()
	return uint16(v >> 16), uint16(v), v != 0
}

// Read returns the next SCTP packet from the peer, filtered as described
// on wireConn.
func (w *wireConn) Read(p []byte) (int, error) {
	for {
		n, err := w.Conn.Read(p)
		if err != nil {
			// A connected UDP socket reports an ICMP port unreachable as
			// ECONNREFUSED. Before the handshake it fails the dial at once;
			// afterwards liveness decides, not one ICMP message.
			if w.up.Load() && errors.Is(err, syscall.ECONNREFUSED) {
				continue
			}
			w.errMu.Lock()
			w.readErr = err
			w.errMu.Unlock()
			return n, err
		}
		return w.inbound(p[:n]), nil
	}
}

func (w *wireConn) lastReadErr() error {
	w.errMu.Lock()
	defer w.errMu.Unlock()
	return w.readErr
}

// inbound filters one received packet in place and returns its length.
func (w *wireConn) inbound(pkt []byte) int {
	n := len(pkt)
	if n < commonHeaderLen+chunkHeaderLen {
		return n
	}
	if vt := vtagOf(pkt); vt != 0 && (vt == w.myTag.Load() || vt == w.newTag.Load()) {
		if !w.heard.Load() {
			w.heard.Store(true)
		}
	}
	switch pkt[commonHeaderLen] {
	case chunkHeartbeatAck:
		if isProbeAck(pkt) {
			w.hbAcks.Add(1)
		}
	case chunkInit, chunkInitAck:
		var info initInfo
		if w.keepInitParams {
			info, _ = parseInit(pkt[commonHeaderLen:])
		} else {
			n, info, _ = rewriteInit(pkt, 0, 0)
		}
		if info.os != 0 && info.mis != 0 {
			w.peer.Store(uint64(info.os)<<16 | uint64(info.mis))
		}
		if pkt[commonHeaderLen] == chunkInitAck && w.client {
			w.peerTag.Store(info.tag)
		}
	default:
		// ABORT and SHUTDOWN may be bundled after DATA or SACK chunks.
		chunks(pkt[:n], func(typ, _ byte, _ []byte) bool {
			switch typ {
			case chunkAbort:
				w.aborted.Store(true)
			case chunkShutdown, chunkShutdownAck:
				w.shutdown.Store(true)
			}
			return true
		})
	}
	if w.port != 0 && checksumOK(pkt[:n]) {
		setPorts(pkt[:n], defaultPionSCTPPort, defaultPionSCTPPort)
	}
	return n
}

// Write sends one SCTP packet built by pion, filtered as described on
// wireConn.
func (w *wireConn) Write(p []byte) (int, error) {
	n := len(p)
	if n >= commonHeaderLen+chunkHeaderLen {
		switch p[commonHeaderLen] {
		case chunkInit, chunkInitAck:
			var info initInfo
			n, info, _ = rewriteInit(p, w.maxOS, w.maxMIS)
			if w.myTag.Load() == 0 {
				w.myTag.Store(info.tag)
			} else if info.tag != w.myTag.Load() {
				w.newTag.Store(info.tag) // restart INIT ACK (RFC 4960 §5.2.4)
			}
		case chunkCookieEcho:
			w.peerTag.Store(vtagOf(p))
		case chunkCookieAck:
			vt := vtagOf(p)
			old := w.peerTag.Swap(vt)
			if old != 0 && old != vt {
				// The peer's new tag: pion accepted a restart COOKIE ECHO.
				if t := w.newTag.Swap(0); t != 0 {
					w.myTag.Store(t)
				}
				select {
				case w.restart <- struct{}{}:
				default:
				}
			}
		}
		if w.port != 0 {
			setPorts(p[:n], w.port, w.port)
		}
		w.ports.Store(uint32(binary.BigEndian.Uint16(p[0:]))<<16 | uint32(binary.BigEndian.Uint16(p[2:])))
	}
	if _, err := w.Conn.Write(p[:n]); err != nil {
		return 0, err
	}
	return len(p), nil
}

// heardSinceLastScan reports and clears whether the peer was heard.
func (w *wireConn) heardSinceLastScan() bool { return w.heard.Swap(false) }

// probe sends an SCTP HEARTBEAT (RFC 4960 §3.3.5, §8.3) straight to the
// wire, beside pion: pion's own ActiveHeartbeat (v1.12.1) sends a HEARTBEAT
// without the mandatory Heartbeat Info parameter, which pion itself leaves
// unanswered. The peer's SCTP stack answers with a HEARTBEAT ACK carrying
// our information back, whatever its application does; that packet carries
// our verification tag, so it marks the peer heard. pion passes the ACK
// over (it only reads 8-byte information as its own RTT probe).
func (w *wireConn) probe() error {
	ports, tag := w.ports.Load(), w.peerTag.Load()
	if ports == 0 || tag == 0 {
		return nil // no packet sent yet: nothing to address it with
	}
	pkt := buildProbe(uint16(ports>>16), uint16(ports), tag, w.hbSeq.Add(1))
	_, err := w.Conn.Write(pkt)
	return err
}

// sendAbort writes an ABORT (RFC 4960 §9.1) beside pion, so that the peer
// hears of a local abort even when pion's own ABORT does not get out
// before its association closes (pion waits only 200 ms for it). A second
// ABORT from pion is discarded by the peer (RFC 4960 §8.4).
func (w *wireConn) sendAbort(reason string) {
	ports, tag := w.ports.Load(), w.peerTag.Load()
	if ports == 0 || tag == 0 {
		return
	}
	_, _ = w.Conn.Write(buildAbort(uint16(ports>>16), uint16(ports), tag, reason))
}
