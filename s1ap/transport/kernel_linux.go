//go:build linux

package transport

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/ishidawataru/sctp"
)

// Linux SCTP socket API numbers (RFC 6458; linux/sctp.h) that
// ishidawataru/sctp does not name.
const (
	solSCTP            = 132 // SOL_SCTP, IPPROTO_SCTP
	sctpRecvRcvInfo    = 32  // SCTP_RECVRCVINFO
	cmsgSndInfo        = 2   // SCTP_SNDINFO
	cmsgRcvInfo        = 3   // SCTP_RCVINFO
	sppHBEnable        = 1   // SPP_HB_ENABLE
	paddrParamsLen     = 156 // sizeof(struct sctp_paddrparams), packed, aligned(4)
	notifAssocChange   = 0x8001
	notifShutdownEvent = 0x8005
	sacCommLost        = 1
	sacRestart         = 2
	sacShutdownComp    = 3
	msgNotification    = 0x8000 // MSG_NOTIFICATION
	sndAbort           = 1 << 2 // SCTP_ABORT
	kernelReadBuf      = 16 << 10
)

// ProbeKernelSCTP reports whether the kernel supports SCTP by opening (and
// closing) an SCTP socket. The error says what failed, e.g. "transport:
// kernel has no SCTP: socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP) failed:
// protocol not supported".
func ProbeKernelSCTP() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, syscall.IPPROTO_SCTP)
	if err != nil {
		return fmt.Errorf("%w: socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP) failed: %v", ErrKernelSCTPUnsupported, err)
	}
	_ = syscall.Close(fd)
	return nil
}

// kernelSocket opens a non-blocking one-to-one SCTP socket (RFC 6458 §4)
// with the configured protocol parameters. The caller owns fd.
func (e *Endpoint) kernelSocket(family int) (int, error) {
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, syscall.IPPROTO_SCTP)
	if err != nil {
		return -1, fmt.Errorf("%w: socket: %v", ErrKernelSCTPUnsupported, err)
	}
	if err := e.setKernelOptions(fd); err != nil {
		_ = syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

// setKernelOptions applies Config to an SCTP socket (RFC 6458 §8.1).
// Accepted sockets inherit them from the listening socket.
func (e *Endpoint) setKernelOptions(fd int) error {
	c := &e.cfg
	ms := func(d time.Duration) uint32 { return uint32(d / time.Millisecond) }
	conn := sctp.NewSCTPConn(fd, nil) // option helpers only; never closed through it
	if err := conn.SetInitMsg(int(c.OutStreams), int(c.InStreams), c.MaxInitAttempts, int(ms(c.RTO.Max))); err != nil {
		return fmt.Errorf("transport: SCTP_INITMSG: %w", err)
	}
	// struct sctp_rtoinfo { assoc_id; initial; max; min } in milliseconds.
	rto := make([]byte, 16)
	binary.NativeEndian.PutUint32(rto[4:], ms(c.RTO.Initial))
	binary.NativeEndian.PutUint32(rto[8:], ms(c.RTO.Max))
	binary.NativeEndian.PutUint32(rto[12:], ms(c.RTO.Min))
	// struct sctp_assocparams { assoc_id; asocmaxrxt u16; peer dests u16; peer rwnd; local rwnd; cookie life }: 0 keeps.
	assoc := make([]byte, 20)
	binary.NativeEndian.PutUint16(assoc[4:], uint16(c.AssocMaxRetrans))
	// struct sctp_paddrparams (packed): assoc_id @0, address @4 (all zero: every
	// path), hbinterval @132, pathmaxrxt @136, pathmtu @138, sackdelay @142, flags @146.
	paddr := make([]byte, paddrParamsLen)
	binary.NativeEndian.PutUint32(paddr[132:], ms(c.HeartbeatInterval))
	binary.NativeEndian.PutUint16(paddr[136:], uint16(c.PathMaxRetrans))
	binary.NativeEndian.PutUint32(paddr[146:], sppHBEnable)
	for _, o := range []struct {
		name string
		opt  int
		val  []byte
	}{
		{"SCTP_RTOINFO", sctp.SCTP_RTOINFO, rto},
		{"SCTP_ASSOCINFO", sctp.SCTP_ASSOCINFO, assoc},
		{"SCTP_PEER_ADDR_PARAMS", sctp.SCTP_PEER_ADDR_PARAMS, paddr},
	} {
		if err := syscall.SetsockoptString(fd, solSCTP, o.opt, string(o.val)); err != nil {
			return fmt.Errorf("transport: %s: %w", o.name, err)
		}
	}
	if err := syscall.SetsockoptInt(fd, solSCTP, sctp.SCTP_NODELAY, boolInt(c.NoDelay)); err != nil {
		return fmt.Errorf("transport: SCTP_NODELAY: %w", err)
	}
	// Stream and PPID of each message arrive as SCTP_RCVINFO (RFC 6458 §5.3.5).
	if err := syscall.SetsockoptInt(fd, solSCTP, sctpRecvRcvInfo, 1); err != nil {
		return fmt.Errorf("transport: SCTP_RECVRCVINFO: %w", err)
	}
	if err := conn.SubscribeEvents(sctp.SCTP_EVENT_ASSOCIATION | sctp.SCTP_EVENT_SHUTDOWN); err != nil {
		return fmt.Errorf("transport: SCTP_EVENTS: %w", err)
	}
	_ = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_SNDBUF, c.SendQueueBytes)
	_ = syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, c.ReceiveWindow)
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func sctpAddr(ips []netip.Addr, port uint16) *sctp.SCTPAddr {
	a := &sctp.SCTPAddr{Port: int(port)}
	for _, ip := range ips {
		a.IPAddrs = append(a.IPAddrs, net.IPAddr{IP: ip.AsSlice(), Zone: ip.Zone()})
	}
	return a
}

func familyOf(ips []netip.Addr) int {
	for _, ip := range ips {
		if ip.Is6() && !ip.Is4In6() {
			return syscall.AF_INET6
		}
	}
	return syscall.AF_INET
}

func addrPorts(a *sctp.SCTPAddr) []netip.AddrPort {
	if a == nil {
		return nil
	}
	out := make([]netip.AddrPort, 0, len(a.IPAddrs))
	for _, ip := range a.IPAddrs {
		if x, ok := netip.AddrFromSlice(ip.IP); ok {
			out = append(out, netip.AddrPortFrom(x.Unmap(), uint16(a.Port)))
		}
	}
	return out
}

// kernelListener is a listening one-to-one SCTP socket registered with the
// Go runtime's poller: accepting and reading park goroutines, not threads.
type kernelListener struct {
	e     *Endpoint
	h     Handler
	f     *os.File
	rc    syscall.RawConn
	local []netip.AddrPort
}

func (e *Endpoint) listenKernel(h Handler) (listener, error) {
	ips := e.cfg.LocalAddrs
	fd, err := e.kernelSocket(familyOf(ips))
	if err != nil {
		return nil, err
	}
	if len(ips) == 0 {
		ips = []netip.Addr{netip.IPv4Unspecified()}
	}
	// Multi-homing: every configured address (RFC 4960 §6.4, sctp_bindx).
	if err := sctp.SCTPBind(fd, sctpAddr(ips, e.cfg.Port), sctp.SCTP_BINDX_ADD_ADDR); err != nil {
		_ = syscall.Close(fd)
		return nil, fmt.Errorf("transport: bind %v port %d: %w", ips, e.cfg.Port, err)
	}
	if err := syscall.Listen(fd, e.cfg.MaxPendingHandshakes); err != nil {
		_ = syscall.Close(fd)
		return nil, fmt.Errorf("transport: listen: %w", err)
	}
	f := os.NewFile(uintptr(fd), "sctp-listener")
	rc, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	l := &kernelListener{e: e, h: h, f: f, rc: rc}
	if la, err := sctp.NewSCTPConn(fd, nil).SCTPLocalAddr(0); err == nil {
		l.local = addrPorts(la)
	}
	e.wg.Add(1)
	go l.acceptLoop()
	e.log.Info("transport: listening", "mode", ModeKernel, "addrs", l.local)
	return l, nil
}

func (l *kernelListener) addrs() []netip.AddrPort { return l.local }
func (l *kernelListener) close() error            { return l.f.Close() }

// acceptLoop accepts established associations until the listener closes.
func (l *kernelListener) acceptLoop() {
	defer l.e.wg.Done()
	for {
		var nfd int
		var aerr error
		err := l.rc.Read(func(fd uintptr) bool {
			nfd, _, aerr = syscall.Accept4(int(fd), syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
			return aerr != syscall.EAGAIN
		})
		if err != nil {
			return // listener closed
		}
		if aerr != nil {
			continue // ECONNABORTED and the like: the next one
		}
		if err := l.e.reserve(); err != nil {
			_ = syscall.Close(nfd)
			continue
		}
		if _, err := l.e.startKernel(nfd, l.h); err != nil {
			l.e.release()
			l.e.log.Debug("transport: inbound association not started", "err", err)
		}
	}
}

func (e *Endpoint) dialKernel(ctx context.Context, remote []netip.AddrPort, h Handler) (*Association, error) {
	ips := make([]netip.Addr, len(remote))
	for i, r := range remote {
		ips[i] = r.Addr()
	}
	fd, err := e.kernelSocket(familyOf(append(ips, e.cfg.LocalAddrs...)))
	if err != nil {
		return nil, err
	}
	if len(e.cfg.LocalAddrs) > 0 {
		if err := sctp.SCTPBind(fd, sctpAddr(e.cfg.LocalAddrs, 0), sctp.SCTP_BINDX_ADD_ADDR); err != nil {
			_ = syscall.Close(fd)
			return nil, fmt.Errorf("bind %v: %w", e.cfg.LocalAddrs, err)
		}
	}
	f := os.NewFile(uintptr(fd), "sctp")
	rc, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	if _, err := sctp.SCTPConnect(fd, sctpAddr(ips, remote[0].Port())); err != nil && err != syscall.EINPROGRESS {
		_ = f.Close()
		return nil, fmt.Errorf("connectx: %w", err)
	}
	if d, ok := ctx.Deadline(); ok {
		_ = f.SetWriteDeadline(d)
	}
	// The socket becomes writable when the association is established or
	// failed (RFC 6458 §3.1.5 non-blocking connect); SO_ERROR tells which.
	first := true
	var cerr error
	err = rc.Write(func(fd uintptr) bool {
		if first {
			first = false
			return false
		}
		v, gerr := syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_ERROR)
		switch {
		case gerr != nil:
			cerr = gerr
		case v != 0:
			cerr = syscall.Errno(v)
		}
		return true
	})
	_ = f.SetWriteDeadline(time.Time{})
	if err == nil {
		err = cerr
	}
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return e.startKernelFile(f, rc, fd, h)
}

// startKernel wraps an accepted socket; on error the caller releases the
// reserved slot.
func (e *Endpoint) startKernel(fd int, h Handler) (*Association, error) {
	f := os.NewFile(uintptr(fd), "sctp")
	rc, err := f.SyscallConn()
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return e.startKernelFile(f, rc, fd, h)
}

func (e *Endpoint) startKernelFile(f *os.File, rc syscall.RawConn, fd int, h Handler) (*Association, error) {
	conn := sctp.NewSCTPConn(fd, nil)
	var local, peer []netip.AddrPort
	if la, err := conn.SCTPLocalAddr(0); err == nil {
		local = addrPorts(la)
	}
	if pa, err := conn.SCTPRemoteAddr(0); err == nil {
		peer = addrPorts(pa)
	}
	a := newAssociation(e, h, local, peer)
	b := &kernelBackend{e: e, a: a, f: f, rc: rc, conn: conn}
	a.be = b
	b.updateStreams()
	if !e.add(a) {
		b.abort("endpoint closed")
		return nil, ErrEndpointClosed
	}
	a.establish()
	e.wg.Add(1)
	go b.read()
	return a, nil
}

// kernelBackend is one association on a kernel one-to-one SCTP socket.
// One reader goroutine per association, parked in the runtime poller
// while idle (no OS thread is pinned by a blocking recvmsg).
type kernelBackend struct {
	e    *Endpoint
	a    *Association
	f    *os.File
	rc   syscall.RawConn
	conn *sctp.SCTPConn

	reasonMu sync.Mutex
	reason   error
}

func (b *kernelBackend) updateStreams() {
	if st, err := b.conn.GetStatus(); err == nil {
		b.a.setStreams(st.Instreams, st.Ostreams)
	} else {
		b.a.setStreams(b.e.cfg.InStreams, b.e.cfg.OutStreams)
	}
}

func (b *kernelBackend) setReason(err error) {
	b.reasonMu.Lock()
	if b.reason == nil {
		b.reason = err
	}
	b.reasonMu.Unlock()
}

func (b *kernelBackend) downReason(readErr error) error {
	b.reasonMu.Lock()
	defer b.reasonMu.Unlock()
	if b.reason != nil {
		return b.reason
	}
	if errors.Is(readErr, syscall.ECONNRESET) {
		return ErrPeerAborted
	}
	return fmt.Errorf("%w: %v", ErrPeerUnreachable, readErr)
}

// read receives messages and notifications until the association ends,
// then reports EventDown.
func (b *kernelBackend) read() {
	defer b.e.wg.Done()
	buf := make([]byte, kernelReadBuf)
	oob := make([]byte, syscall.CmsgSpace(32))
	var msg []byte // a message spanning several reads (no MSG_EOR yet)
	var end error
	for end == nil {
		var n, oobn, flags int
		var rerr error
		err := b.rc.Read(func(fd uintptr) bool {
			n, oobn, flags, _, rerr = syscall.Recvmsg(int(fd), buf, oob, 0)
			return rerr != syscall.EAGAIN
		})
		switch {
		case err != nil:
			end = err // closed locally
			continue
		case rerr != nil:
			end = rerr
			continue
		case n == 0 && oobn == 0 && flags&msgNotification == 0:
			b.setReason(ErrShutdown) // orderly end (RFC 6458 §3.1.4)
			end = errors.New("eof")
			continue
		}
		if flags&msgNotification != 0 {
			end = b.notification(buf[:n])
			continue
		}
		if len(msg)+n > b.e.cfg.MaxMessageSize {
			b.setReason(fmt.Errorf("%w: message exceeds %d bytes", ErrProtocolViolation, b.e.cfg.MaxMessageSize))
			b.abort("message too large")
			end = ErrProtocolViolation
			continue
		}
		if flags&syscall.MSG_EOR == 0 || msg != nil {
			msg = append(msg, buf[:n]...)
			if flags&syscall.MSG_EOR == 0 {
				continue
			}
		}
		data := buf[:n]
		if msg != nil {
			data, msg = msg, nil
		}
		sid, ppid := rcvInfo(oob[:oobn])
		b.a.deliver(Message{Stream: sid, PPID: ppid, Data: data})
	}
	_ = b.f.Close()
	b.a.finish(b.downReason(end))
}

// notification handles one SCTP notification (RFC 6458 §6.1); a non-nil
// result ends the association.
func (b *kernelBackend) notification(n []byte) error {
	if len(n) < 8 {
		return nil
	}
	switch binary.NativeEndian.Uint16(n[0:]) {
	case notifAssocChange:
		if len(n) < 20 {
			return nil
		}
		switch binary.NativeEndian.Uint16(n[8:]) {
		case sacRestart:
			b.updateStreams()
			b.a.restarted()
		case sacCommLost:
			// sac_info carries the ABORT chunk when the peer aborted.
			if len(n) > 20 && n[20] == chunkAbort {
				b.setReason(ErrPeerAborted)
			} else {
				b.setReason(fmt.Errorf("%w: communication lost", ErrPeerUnreachable))
			}
			return ErrPeerUnreachable
		case sacShutdownComp:
			b.setReason(ErrShutdown)
			return ErrShutdown
		}
	case notifShutdownEvent:
		b.setReason(ErrShutdown)
	}
	return nil
}

// rcvInfo reads stream and PPID from an SCTP_RCVINFO control message
// (struct sctp_rcvinfo: sid u16, ssn u16, flags u16, pad, ppid u32 in
// network byte order, ...).
func rcvInfo(oob []byte) (sid uint16, ppid uint32) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, 0
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.IPPROTO_SCTP && m.Header.Type == cmsgRcvInfo && len(m.Data) >= 12 {
			return binary.NativeEndian.Uint16(m.Data[0:]), binary.BigEndian.Uint32(m.Data[8:])
		}
	}
	return 0, 0
}

// sndInfo builds an SCTP_SNDINFO control message (RFC 6458 §5.3.4).
func sndInfo(sid, flags uint16, ppid uint32) []byte {
	oob := make([]byte, syscall.CmsgSpace(16))
	h := (*syscall.Cmsghdr)(unsafe.Pointer(&oob[0]))
	h.Level = syscall.IPPROTO_SCTP
	h.Type = cmsgSndInfo
	h.SetLen(syscall.CmsgLen(16))
	d := oob[syscall.CmsgLen(0):]
	binary.NativeEndian.PutUint16(d[0:], sid)
	binary.NativeEndian.PutUint16(d[2:], flags)
	binary.BigEndian.PutUint32(d[4:], ppid)
	return oob
}

func (b *kernelBackend) send(stream uint16, ppid uint32, data []byte) error {
	oob := sndInfo(stream, 0, ppid)
	var serr error
	err := b.rc.Write(func(fd uintptr) bool {
		serr = syscall.Sendmsg(int(fd), data, oob, nil, 0)
		return true // never wait: a full socket buffer is ErrSendQueueFull
	})
	if err == nil {
		err = serr
	}
	switch {
	case err == nil:
		return nil
	case errors.Is(err, syscall.EAGAIN):
		return ErrSendQueueFull
	default:
		return fmt.Errorf("%w: %v", ErrAssociationDown, err)
	}
}

func (b *kernelBackend) shutdown(context.Context) error {
	b.setReason(ErrShutdown)
	var serr error
	if err := b.rc.Control(func(fd uintptr) { serr = syscall.Shutdown(int(fd), syscall.SHUT_WR) }); err != nil {
		return err
	}
	return serr
}

func (b *kernelBackend) abort(reason string) {
	b.setReason(fmt.Errorf("%w: %s", ErrLocalAbort, reason))
	_ = b.rc.Write(func(fd uintptr) bool {
		_ = syscall.Sendmsg(int(fd), []byte(reason), sndInfo(0, sndAbort, 0), nil, 0)
		return true
	})
	// SO_LINGER 0 makes close send ABORT if the kernel ignored the above.
	_ = b.rc.Control(func(fd uintptr) {
		_ = syscall.SetsockoptLinger(int(fd), syscall.SOL_SOCKET, syscall.SO_LINGER, &syscall.Linger{Onoff: 1, Linger: 0})
	})
	_ = b.f.Close()
}
