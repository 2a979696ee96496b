package session

import (
	"net/netip"
	"time"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
)

// Effect is an output of a step, executed by the node after the record is
// stored (write before speak): a message to send, a timer to start or stop,
// an identifier to release, a hand-over to another subscriber's actor.
type Effect interface{ isEffect() }

// SendS1 sends a UE-associated S1AP message on connection Conn. The node
// fills the MME-UE-S1AP-ID and eNB-UE-S1AP-ID of the message (or its
// UE-S1AP-IDs) from its connection table and picks the connection's
// stream (TS 36.412 §7). A UEContextReleaseCommand starts the release of
// the connection; FreeConn ends it.
type SendS1 struct {
	Conn ConnID
	Msg  s1ap.Message
}

// FreeConn tells the node the connection is released (UE CONTEXT RELEASE
// COMPLETE received, or lost): forget its MME-UE-S1AP-ID.
type FreeConn struct{ Conn ConnID }

// SendS11 sends a GTPv2-C request to the SGW at Peer with the SGW's TEID
// (0 for Create Session Request, TS 29.274 §5.5.2). The answer comes back
// as S11Response with the same Txn.
type SendS11 struct {
	Txn  Txn
	Peer netip.AddrPort
	TEID uint32
	Msg  gtp.Message
}

// SendS6a sends an S6a request (*s6a.AIR, *s6a.ULR or *s6a.PUR) to the
// HSS; the node fills its RequestHeader (session, origin, destination).
// The answer comes back as AuthInfoAnswer, UpdateLocationAnswer or
// PurgeUEAnswer with the same Txn.
type SendS6a struct {
	Txn Txn
	Msg any
}

// StartTimer (re)starts timer ID to expire After from the step's event time.
type StartTimer struct {
	ID    TimerID
	After time.Duration
}

// StopTimer stops timer ID.
type StopTimer struct{ ID TimerID }

// ReleaseTEID gives back a local S11 TEID the Allocator handed out.
type ReleaseTEID struct{ TEID uint32 }

// ResolveIMSI asks the node which subscriber key the store holds under
// IMSI; the answer comes back as IMSIResolved.
type ResolveIMSI struct{ IMSI string }

// Transfer hands the attach in progress to the actor of key To, with its
// connection (the node re-routes the MME-UE-S1AP-ID to To). The record of
// the transferring key is deleted (Ready.Delete).
type Transfer struct {
	To    uint64
	Event *AttachTransferred
}

// AnswerDDN answers the Downlink Data Notification the node holds as ID
// with DOWNLINK DATA NOTIFICATION ACKNOWLEDGE (TS 29.274 §7.2.11.2),
// header TEID the SGW's.
type AnswerDDN struct {
	ID    uint64
	TEID  uint32
	Cause gtp.CauseValue
}

// NotifyS11 sends a GTPv2-C message without a response (a Downlink Data
// Notification Failure Indication, TS 29.274 §7.2.11.3) to the SGW.
type NotifyS11 struct {
	Peer netip.AddrPort
	TEID uint32
	Msg  gtp.Message
}

// Page sends S1AP PAGING (TS 36.413 §8.5) to every eNodeB serving a TAI of
// TAIs: UE paging identity S-TMSI (MMEC, M-TMSI), CN domain PS, UE
// identity index value IMSI mod 1024 (TS 36.304 §7.1).
type Page struct {
	IMSI  string
	MMEC  uint8
	MTMSI uint32
	TAIs  []nas.TAI
}

func (AnswerDDN) isEffect() {}
func (NotifyS11) isEffect() {}
func (Page) isEffect()      {}

func (SendS1) isEffect()      {}
func (FreeConn) isEffect()    {}
func (SendS11) isEffect()     {}
func (SendS6a) isEffect()     {}
func (StartTimer) isEffect()  {}
func (StopTimer) isEffect()   {}
func (ReleaseTEID) isEffect() {}
func (ResolveIMSI) isEffect() {}
func (Transfer) isEffect()    {}

// Outcome reports a finished procedure, for counters and latency
// histograms (TS 32.426 names them, e.g. MM.EpsAttachSucc).
type Outcome struct {
	Proc Procedure
	OK   bool
	// Cause names the failure: "emm:#22", "s6a:5001", "s11:no_response",
	// "t3450_expiry", ... ("" on success).
	Cause      string
	Start, End time.Time
}

// Latency is End − Start.
func (o Outcome) Latency() time.Duration { return o.End.Sub(o.Start) }

// Anomaly records an event that the state did not expect: a stale
// connection or transaction, a message not compatible with the protocol
// state, a NAS message that failed its integrity check. Each one has an
// explicit answer (EMM STATUS, discard per TS 24.301 §4.4.4.3, ...);
// anomalies are what the node counts and logs.
type Anomaly struct {
	State EMMState
	Event string
	What  string
}

// Ready is what a step produced (etcd raft's Ready): store the record if
// Persist (or delete it if Delete), then execute Effects in order, then
// call Advance.
type Ready struct {
	Persist bool
	Delete  bool
	// Started lists the procedures that began (attempt counters).
	Started   []Procedure
	Effects   []Effect
	Outcomes  []Outcome
	Anomalies []Anomaly
}
