package peer

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"sync"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/lte-mme/mme/s6a"
)

// conn is one transport connection to a Diameter peer with its reader and
// writer goroutines. Both end when the connection fails or is closed
// (fail); the endpoint's WaitGroup tracks them.
type conn struct {
	ep    *endpoint
	nc    net.Conn
	label string // the configured peer address (client) or the remote address (server)

	// Under ep.mu.
	state      State
	remote     s6a.Capabilities
	timerAt    time.Time // RFC 3539 watchdog timer
	dwrPending bool
	numDWA     int
	reopen     bool // reconnected after a failure: REOPEN before OPEN
	// disconnectCause is the Disconnect-Cause of a DPR the peer sent.
	disconnectCause *uint32

	// The write queue, drained by the writer goroutine in batches.
	wmu        sync.Mutex
	wq         [][]byte
	wclosed    bool
	closeAfter bool // close once the queue is written (after DPA)
	wsig       chan struct{}

	closeOnce sync.Once
	closed    chan struct{}
	err       error
}

// newConn starts the goroutines of a new connection; nil if the endpoint
// is closing (nc is closed then).
func (ep *endpoint) newConn(nc net.Conn, label string, reopen bool, register func(*conn)) *conn {
	c := &conn{ep: ep, nc: nc, label: label, state: StateHandshake, reopen: reopen,
		timerAt: time.Now().Add(ep.timers.Watchdog),
		wsig:    make(chan struct{}, 1), closed: make(chan struct{})}
	ep.mu.Lock()
	if ep.closing.Load() {
		ep.mu.Unlock()
		nc.Close()
		return nil
	}
	ep.conns[c] = struct{}{}
	if register != nil {
		register(c) // before any goroutine can fail c
	}
	ep.wg.Add(2)
	if ep.onState != nil {
		ep.onState(label, StateHandshake)
	}
	ep.mu.Unlock()
	go c.readLoop()
	go c.writeLoop()
	return c
}

// enqueue queues an encoded message; false if the connection is closed.
func (c *conn) enqueue(frame []byte) bool {
	c.wmu.Lock()
	if c.wclosed {
		c.wmu.Unlock()
		return false
	}
	c.wq = append(c.wq, frame)
	c.wmu.Unlock()
	select {
	case c.wsig <- struct{}{}:
	default:
	}
	return true
}

// closeAfterQueued closes the connection once what is queued is written.
func (c *conn) closeAfterQueued() {
	c.wmu.Lock()
	c.closeAfter = true
	c.wmu.Unlock()
	select {
	case c.wsig <- struct{}{}:
	default:
	}
}

// writeLoop writes queued messages, many per system call under load.
func (c *conn) writeLoop() {
	defer c.ep.wg.Done()
	bw := bufio.NewWriterSize(c.nc, 64<<10)
	var batch [][]byte
	for {
		select {
		case <-c.wsig:
		case <-c.closed:
			return
		}
		c.wmu.Lock()
		batch, c.wq = c.wq, batch[:0]
		closeAfter := c.closeAfter && len(c.wq) == 0
		c.wmu.Unlock()
		for _, b := range batch {
			if _, err := bw.Write(b); err != nil {
				c.fail(err)
				return
			}
		}
		clear(batch)
		if err := bw.Flush(); err != nil {
			c.fail(err)
			return
		}
		if closeAfter {
			c.fail(errDisconnected)
			return
		}
	}
}

var errDisconnected = errors.New("peer: disconnected by DPR/DPA")

// fail closes the connection once, fails the requests bound to it and
// tells the role.
func (c *conn) fail(err error) {
	c.closeOnce.Do(func() {
		c.err = err
		c.wmu.Lock()
		c.wclosed = true
		c.wq = nil
		c.wmu.Unlock()
		close(c.closed)
		c.nc.Close()
		ep := c.ep
		ep.mu.Lock()
		ep.setState(c, StateDown)
		delete(ep.conns, c)
		ep.mu.Unlock()
		ep.log.Info("diameter peer connection closed", "peer", c.label, "err", err)
		ep.failBound(c)
		ep.role.closed(c)
	})
}

// readLoop reads messages and dispatches them.
func (c *conn) readLoop() {
	defer c.ep.wg.Done()
	br := bufio.NewReaderSize(c.nc, 64<<10)
	hdr := make([]byte, s6a.HeaderLength)
	buf := make([]byte, 0, 4096)
	for {
		if _, err := io.ReadFull(br, hdr); err != nil {
			c.fail(err)
			return
		}
		n, err := s6a.MessageLength(hdr)
		if err != nil {
			// The stream cannot be framed any more (RFC 6733 §3).
			c.ep.stats.protoErr.Add(1)
			c.fail(err)
			return
		}
		if cap(buf) < n {
			buf = make([]byte, 0, n)
		}
		buf = buf[:n]
		copy(buf, hdr)
		if _, err := io.ReadFull(br, buf[s6a.HeaderLength:]); err != nil {
			c.fail(err)
			return
		}
		c.dispatch(buf)
	}
}

// dispatch handles one received message (Parse copies what it keeps).
func (c *conn) dispatch(b []byte) {
	ep := c.ep
	m, err := s6a.Parse(b)
	if err != nil {
		ep.stats.protoErr.Add(1)
		c.protocolError(b, err)
		return
	}
	h := m.Header
	isReq := h.CommandFlags&diam.RequestFlag != 0
	isDWA := !isReq && h.CommandCode == s6a.CmdDeviceWatchdog
	if isDWA {
		ep.stats.dwa.Add(1)
	}
	ep.mu.Lock()
	c.received(isDWA)
	handshake := c.state == StateHandshake
	ep.mu.Unlock()
	if !isReq {
		ep.mu.Lock()
		p := ep.tx.take(h.HopByHopID)
		ep.mu.Unlock()
		if p == nil {
			ep.stats.unmatched.Add(1)
			return
		}
		if !p.bound {
			ep.stats.answers.Add(1)
		}
		p.done(m, nil)
		return
	}
	switch h.CommandCode {
	case s6a.CmdCapabilitiesExchange:
		c.onCER(m)
		return
	case s6a.CmdDeviceWatchdog:
		c.answer(h, (&s6a.DWA{Result: s6a.Success, OriginHost: ep.id.OriginHost, OriginRealm: ep.id.OriginRealm,
			OriginStateID: ep.id.OriginStateID}).Encode())
		return
	case s6a.CmdDisconnectPeer:
		// RFC 6733 §5.4: answer and close; the client side reconnects
		// later, at once after REBOOTING, much later after BUSY or
		// DO_NOT_WANT_TO_TALK_TO_YOU (§5.4.3).
		cause := s6a.DisconnectRebooting
		if dpr, err := s6a.DecodeDPR(m); err == nil {
			cause = dpr.DisconnectCause
		}
		c.answer(h, (&s6a.DPA{Result: s6a.Success, OriginHost: ep.id.OriginHost, OriginRealm: ep.id.OriginRealm}).Encode())
		ep.mu.Lock()
		c.disconnectCause = &cause
		ep.setState(c, StateClosing)
		ep.mu.Unlock()
		c.closeAfterQueued()
		return
	}
	if handshake {
		// RFC 6733 §5.3: nothing but CER before the capabilities exchange.
		c.answer(h, c.errorAnswer(m, s6a.BaseResult(s6a.ResultUnknownPeer), "capabilities not exchanged"))
		return
	}
	if ep.handler == nil {
		c.answer(h, c.errorAnswer(m, s6a.BaseResult(s6a.ResultUnableToComply), "no handler"))
		return
	}
	ep.stats.received.Add(1)
	ep.mu.Lock()
	req := &Request{Message: m, PeerHost: c.remote.OriginHost, PeerRealm: c.remote.OriginRealm}
	ep.mu.Unlock()
	ep.handler(req, func(ans *diam.Message) { c.answer(h, ans) })
}

// answer sends ans with the ids of the request whose header is req.
func (c *conn) answer(req *diam.Header, ans *diam.Message) {
	ans.Header.HopByHopID, ans.Header.EndToEndID = req.HopByHopID, req.EndToEndID
	b, err := ans.Serialize()
	if err != nil {
		c.ep.log.Error("diameter answer does not serialise", "err", err)
		return
	}
	c.enqueue(b)
}

// errorAnswer builds the answer of a request that cannot be served.
func (c *conn) errorAnswer(req *diam.Message, r s6a.Result, msg string) *diam.Message {
	e := &s6a.ErrorAnswer{OriginHost: c.ep.id.OriginHost, OriginRealm: c.ep.id.OriginRealm, Result: r, ErrorMessage: msg}
	if a, err := req.FindAVP(uint32(263), 0); err == nil && a.Data != nil {
		e.SessionID = string(a.Data.Serialize())
	}
	return e.Encode(req.Header)
}

// protocolError answers a malformed request (RFC 6733 §7.2) or fails the
// request a malformed answer belongs to.
func (c *conn) protocolError(b []byte, err error) {
	var pe *s6a.ProtocolError
	if !errors.As(err, &pe) || pe.Header == nil {
		c.fail(err)
		return
	}
	c.ep.log.Warn("malformed diameter message", "peer", c.label, "err", err)
	if pe.Header.CommandFlags&diam.RequestFlag == 0 {
		c.ep.mu.Lock()
		p := c.ep.tx.take(pe.Header.HopByHopID)
		c.ep.mu.Unlock()
		if p != nil {
			p.done(nil, err)
		}
		return
	}
	e := &s6a.ErrorAnswer{OriginHost: c.ep.id.OriginHost, OriginRealm: c.ep.id.OriginRealm,
		Result: s6a.BaseResult(pe.ResultCode), ErrorMessage: pe.Reason, SessionID: sessionIDFromWire(b)}
	if pe.FailedAVPCode != 0 {
		e.FailedAVP = s6a.FailedAVP(pe.FailedAVPCode) // RFC 6733 §7.5
	}
	c.answer(pe.Header, e.Encode(pe.Header))
}

// onCER runs the server side of the capabilities exchange (RFC 6733 §5.3).
func (c *conn) onCER(m *diam.Message) {
	ep := c.ep
	cer, err := s6a.DecodeCER(m)
	result := s6a.Success
	msg := ""
	switch {
	case err != nil:
		result, msg = s6a.BaseResult(s6a.ResultMissingAVP), err.Error()
	case !cer.SupportsS6a():
		// RFC 6733 §5.3: no common application.
		result, msg = s6a.BaseResult(s6a.ResultNoCommonApplication), "S6a (16777251) not advertised"
	}
	c.answer(m.Header, (&s6a.CEA{Capabilities: ep.capabilities(c), Result: result, ErrorMessage: msg}).Encode())
	if result != s6a.Success {
		c.closeAfterQueued()
		return
	}
	ep.mu.Lock()
	c.remote = cer.Capabilities
	c.timerAt = time.Now().Add(ep.timers.Watchdog)
	ep.setState(c, StateOpen)
	ep.mu.Unlock()
}

// sendCER runs the client side of the capabilities exchange.
func (c *conn) sendCER() {
	ep := c.ep
	ep.sendBound(c, (&s6a.CER{Capabilities: ep.capabilities(c)}).Encode(), func(ans *diam.Message, err error) {
		var cea *s6a.CEA
		if err == nil {
			cea, err = s6a.DecodeCEA(ans)
		}
		if err == nil && cea.Result != s6a.Success {
			err = fmt.Errorf("%w: %v %s", ErrHandshake, cea.Result, cea.ErrorMessage)
		}
		if err == nil && !cea.SupportsS6a() {
			err = fmt.Errorf("%w: peer does not advertise S6a", ErrHandshake)
		}
		if err != nil {
			c.fail(err)
			return
		}
		ep.mu.Lock()
		c.remote = cea.Capabilities
		c.numDWA = 0
		c.dwrPending = false
		if c.reopen && ep.timers.ReopenDWAs > 0 {
			// RFC 3539 §3.4.1: a reconnected peer answers DWRs before it
			// takes traffic again; the first DWR goes out now.
			c.timerAt = time.Now()
			ep.setState(c, StateReopen)
		} else {
			c.timerAt = time.Now().Add(ep.timers.Watchdog)
			ep.setState(c, StateOpen)
		}
		ep.mu.Unlock()
	})
}

// capabilities is what this node advertises on c.
func (ep *endpoint) capabilities(c *conn) s6a.Capabilities {
	ips := ep.id.HostIPAddresses
	if len(ips) == 0 {
		if ap, err := netip.ParseAddrPort(c.nc.LocalAddr().String()); err == nil {
			ips = []netip.Addr{ap.Addr().Unmap()}
		}
	}
	return s6a.Capabilities{
		OriginHost: ep.id.OriginHost, OriginRealm: ep.id.OriginRealm, HostIPAddresses: ips,
		VendorID: ep.id.VendorID, ProductName: ep.id.ProductName, OriginStateID: ep.id.OriginStateID,
		SupportedVendorIDs: []uint32{s6a.Vendor3GPP},
		AuthApplicationIDs: []uint32{s6a.ApplicationID},
		VendorSpecificApps: []s6a.VendorSpecificApp{{VendorID: s6a.Vendor3GPP, AuthApplicationID: s6a.ApplicationID}},
	}
}

// Watchdog verdicts.
type wdAction int

const (
	wdNone wdAction = iota
	wdSendDWR
	wdClose
)

// received runs the watchdog on the receipt of a message (RFC 3539
// §3.4.1); ep.mu held.
func (c *conn) received(isDWA bool) {
	ep := c.ep
	if isDWA {
		c.dwrPending = false
	}
	switch c.state {
	case StateOpen:
		c.timerAt = time.Now().Add(ep.timers.Watchdog)
	case StateSuspect:
		// RFC 3539: any message from a SUSPECT peer brings it back (failback).
		c.timerAt = time.Now().Add(ep.timers.Watchdog)
		ep.setState(c, StateOpen)
	case StateReopen:
		if isDWA {
			c.numDWA++
			if c.numDWA >= ep.timers.ReopenDWAs {
				c.timerAt = time.Now().Add(ep.timers.Watchdog)
				ep.setState(c, StateOpen)
			}
		}
	}
}

// watchdog runs the watchdog timer of RFC 3539 §3.4.1; ep.mu held.
func (c *conn) watchdog(now time.Time) wdAction {
	if now.Before(c.timerAt) {
		return wdNone
	}
	ep := c.ep
	c.timerAt = now.Add(ep.timers.Watchdog)
	switch c.state {
	case StateHandshake:
		return wdClose // no CER/CEA within Tw
	case StateOpen:
		if !c.dwrPending {
			c.dwrPending = true
			return wdSendDWR
		}
		ep.setState(c, StateSuspect) // fails the requests over
	case StateSuspect:
		return wdClose
	case StateReopen:
		if !c.dwrPending {
			c.dwrPending = true
			return wdSendDWR
		}
		if c.numDWA < 0 {
			return wdClose
		}
		c.numDWA = -1
	}
	return wdNone
}

// sessionIDFromWire finds the Session-Id (the first AVP, RFC 6733 §8.8)
// of a message that did not parse.
func sessionIDFromWire(b []byte) string {
	if len(b) < s6a.HeaderLength+8 {
		return ""
	}
	a := b[s6a.HeaderLength:]
	code := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])
	l := int(a[5])<<16 | int(a[6])<<8 | int(a[7])
	if code != 263 || a[4]&0x80 != 0 || l < 8 || l > len(a) {
		return ""
	}
	return string(a[8:l])
}
