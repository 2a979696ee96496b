// Package peer carries S6a over Diameter on TCP: the MME side (Client) and
// the HSS side (Server), per IETF RFC 6733 (base protocol: capabilities
// exchange §5.3, disconnection §5.4, watchdog §5.5, failover §5.5.4),
// RFC 3539 §3.4 (the watchdog state machine) and 3GPP TS 29.272 §7.1
// (S6a application 16777251 of vendor 10415).
//
// # API
//
// Client.Send(req, done) is asynchronous: it sets the hop-by-hop id,
// queues the encoded request and returns; done runs exactly once, with
// the answer or an error (ErrTimeout, ErrNoPeer, ErrOverload, ErrClosed).
// No goroutine is started per request: the MME's session actors emit a
// request as an effect and receive the answer as an event. Call is a
// synchronous wrapper for tests and tools. HSS-initiated requests (CLR,
// IDR, DSR) go to the Handler, which answers once, possibly later.
//
// # Connections and goroutines
//
// Each connection has a reader goroutine (frames the stream, parses with
// s6a.Parse, matches answers to pending requests by hop-by-hop id, answers
// DWR and DPR, hands other requests to the Handler) and a writer goroutine
// (drains the connection's queue in batches through one buffered writer,
// so a loaded connection writes many messages per system call). One
// maintenance goroutine per Client or Server ticks every Timers.Tick: it
// expires pending requests (kept in a list in deadline order, so expiry
// looks only at its head), runs every connection's watchdog timer and, on
// the Client, starts connection attempts (a dialer goroutine per attempt,
// with exponential back-off). Close ends them all.
//
// # Peer state machine (RFC 3539 §3.4.1)
//
//	DOWN --dial--> HANDSHAKE --CEA ok--> OPEN (first connection)
//	                         --CEA ok--> REOPEN --ReopenDWAs DWAs--> OPEN (after a failure)
//	OPEN    --Tw silent--> DWR sent; --Tw more--> SUSPECT (requests fail over)
//	SUSPECT --any message--> OPEN (failback); --Tw--> closed, DOWN
//	any     --DPR/DPA, error, EOF--> DOWN (reconnect after back-off)
//
// # Failover (RFC 6733 §5.5.4)
//
// The Client's peers are in preference order; new requests go to the
// first OPEN one. When a connection becomes SUSPECT or closes, its pending
// requests are re-sent with the T flag (same end-to-end id) to the next
// OPEN peer, or wait for one until their timeout. The first answer wins;
// a later one (from the old peer) is counted and dropped, so no answer is
// lost to failover and none is delivered twice.
package peer
