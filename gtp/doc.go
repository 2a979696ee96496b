// Package gtp holds the typed GTPv2-C messages of the S11 interface between
// the MME and the SGW, and their encoding to and decoding from bytes
// (3GPP TS 29.274, Release 15 tables; path management messages of §7.1;
// tunnel management messages of §7.2; error handling of §7.7).
//
// It is a pure codec: no sockets, goroutines, clocks or logging. The header
// is written with github.com/wmnsk/go-gtp's gtpv2/message package and every
// IE with its gtpv2/ie package (type-length-instance framing, grouped IEs,
// F-TEID, ULI, PAA, Bearer QoS, AMBR); this package adds the S11 message
// tables (which IE, instance and presence per message), strict checks and
// typed errors. The transaction layer and the UDP endpoint are in gtp/s11.
// Before its first go-gtp call the package installs go-gtp's documented
// grouped-IE hook (ie.SetIsGroupedFun) with a lock-free predicate over
// go-gtp's own set of grouped types: the default locks a mutex per IE.
//
// Messages are plain structs named after TS 29.274: the MME's session state
// machines emit them as effects and receive them as events.
//
//	b, err := gtp.Encode(&gtp.CreateSessionRequest{...}, 0, seq)
//	h, m, err := gtp.Decode(b)
//
// Decode checks the header (§5.5, §7.7.3), the IEs of the message's table
// (§7.7.6 to §7.7.10) and the conditions it can evaluate, and returns a
// *DecodeError carrying the cause to answer with: Invalid length (#67),
// Invalid Message Format (#65), Service not supported (#68), Mandatory IE
// incorrect (#69) or missing (#70) with the offending IE, Conditional IE
// missing (#103). Unknown message types and truncated headers have no
// cause: TS 29.274 §7.7.3 and §7.7.4 say to discard them.
//
// Supported messages: Echo Request/Response, Version Not Supported
// Indication, Create Session, Modify Bearer, Delete Session and Release
// Access Bearers Request/Response, Downlink Data Notification with its
// Acknowledge and Failure Indication, Create, Update and Delete Bearer
// Request/Response, Delete Bearer Command and Failure Indication, Create and
// Delete Indirect Data Forwarding Tunnel Request/Response.
package gtp
