// Package s11 is the MME's (and the SGW emulator's) GTPv2-C endpoint: one
// UDP socket (port 2123) with the transaction layer of TS 29.274 §7.6, path
// management by Echo (TS 29.274 §7.1; TS 23.007 §18 restart detection,
// §20 path failure) and the table of local control-plane TEIDs.
//
// The API is asynchronous and allocation-light: no goroutine per session
// or per transaction. An Endpoint runs two goroutines:
//
//   - the reader: reads a datagram, decodes it (package gtp), checks the
//     peer's Recovery IE, then either completes the pending transaction it
//     answers (its done callback runs here), answers a retransmitted
//     request from the response cache, answers an Echo Request, rejects an
//     undecodable request or an unknown TEID with the cause of TS 29.274
//     §7.7, or gives the request to Config.Handler;
//   - the timer loop: one binary heap of deadlines per endpoint
//     (retransmissions after T3-RESPONSE, ErrNoResponse after N3-REQUESTS
//     retransmissions, Echo Requests, response-cache expiry), sleeping on a
//     single timer of the injected Clock.
//
// Outgoing: Request(peer, teid, msg, done) sends a request or command with
// a fresh 24-bit sequence number (commands have its top bit set) and calls
// done exactly once. Notify sends a notification once. Incoming: the
// Handler gets an *Incoming and answers now or later with Respond (or
// TriggerRequest for a command); the answer is kept CacheTTL to answer the
// peer's retransmissions without handling them again.
//
// Path management: a peer with sessions in the TEID table (or Watch-ed)
// gets an Echo Request every EchoInterval. A changed restart counter in any
// message, or an Echo unanswered after N3 retransmissions, is reported by
// Config.OnPeerEvent; Sessions(peer, fn) lists the sessions to clean up
// (TS 23.007 §16.1, §20); the node does the subscriber-level cleanup. The
// node's own restart counter comes from NextRestartCounter on a
// RestartCounterStore.
//
// Specs: 3GPP TS 29.274 (Release 15) §4.2, §5.5, §7.1, §7.6, §7.7;
// TS 23.007 §16.1, §18, §20.
package s11
