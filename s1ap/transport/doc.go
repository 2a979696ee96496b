// Package transport carries S1AP messages over SCTP between the MME and
// eNodeBs: kernel SCTP where the kernel has it, SCTP over UDP (RFC 6951)
// on pion/sctp where it does not, behind one message-oriented interface.
//
// Specs: TS 36.412 (Rel-17) §7 (S1 signalling transport: SCTP, PPID 18,
// port 36412, stream use), RFC 4960/9260 (SCTP), RFC 6951 (SCTP over UDP,
// port 9899), RFC 6458 (SCTP sockets API, kernel mode).
//
// An Endpoint listens for and dials associations. Each Association sends
// messages with a stream and PPID (Send never blocks: ErrSendQueueFull is
// the backpressure) and hands received ones to its Handler, with EventUp,
// EventRestart and EventDown around them. In UDP mode the endpoint keeps
// its own liveness (pion gives up on nothing and sends no heartbeats):
// see docs/design/s1-transport.md.
//
// The driving loop, per association: a reader per inbound stream (UDP
// mode) or one reader (kernel mode) calls Handler.HandleMessage; a
// supervisor reports restarts and, when the association ends, EventDown
// after the last message; the endpoint's liveness scan probes silent
// peers with HEARTBEAT and declares unanswered ones down.
package transport
