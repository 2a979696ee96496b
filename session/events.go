package session

import (
	"net/netip"
	"time"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/s6a"
)

// Event is an input of a step. Every event carries the time it happened
// (the machine has no clock). Events name connections and transactions by
// ID, never by pointer: an event whose ID is not the current one is stale,
// dropped and counted (Ready.Anomalies).
type Event interface {
	// At returns the event's time.
	At() time.Time
}

// ConnID is the MME-UE-S1AP-ID of a UE-associated logical S1 connection
// (TS 36.413 §9.2.3.3). The node allocates it and keeps the eNodeB side
// (association, eNB-UE-S1AP-ID, stream); the record holds only this.
type ConnID uint32

// ECGI is an E-UTRAN cell global identifier (TS 23.003 §19.6): PLMN and a
// 28-bit cell identity.
type ECGI struct {
	PLMN   nas.PLMNID
	CellID uint32
}

// Location is where an S1AP message says the UE is (TS 36.413 §9.2.3.16 TAI,
// §9.1.7.1 EUTRAN-CGI).
type Location struct {
	TAI  nas.TAI
	ECGI ECGI
}

// InitialUEMessage is S1AP INITIAL UE MESSAGE (TS 36.413 §8.6.2.1): a new
// NAS signalling connection carrying the UE's first NAS message.
type InitialUEMessage struct {
	Now  time.Time
	Conn ConnID
	NAS  []byte // the NAS-PDU as received; the machine copies what it keeps
	Location
	RRCEstablishmentCause s1ap.RRCEstablishmentCause
	// MTMSI is the M-TMSI of the message's S-TMSI IE (TS 36.413
	// §9.2.3.6) when HasSTMSI: the UE named a GUTI of this MME (the node
	// checked the MMEC). It tells which of an old and a new GUTI the UE
	// holds (guti.go gutiUsed).
	MTMSI    uint32
	HasSTMSI bool
}

// UplinkNASTransport is S1AP UPLINK NAS TRANSPORT (TS 36.413 §8.6.2.3).
type UplinkNASTransport struct {
	Now  time.Time
	Conn ConnID
	NAS  []byte
	Location
}

// ERABSetup is one E-RAB the eNodeB set up: the EPS bearer and its S1-U
// eNodeB F-TEID (TS 36.413 §9.1.4.2).
type ERABSetup struct {
	EBI  uint8
	Addr netip.Addr
	TEID uint32
}

// InitialContextSetupResponse is S1AP INITIAL CONTEXT SETUP RESPONSE
// (TS 36.413 §8.3.1.2).
type InitialContextSetupResponse struct {
	Now    time.Time
	Conn   ConnID
	Setup  []ERABSetup
	Failed []uint8 // EBIs the eNodeB could not set up
}

// InitialContextSetupFailure is S1AP INITIAL CONTEXT SETUP FAILURE
// (TS 36.413 §8.3.1.3).
type InitialContextSetupFailure struct {
	Now   time.Time
	Conn  ConnID
	Cause s1ap.Cause
}

// UECapabilityInfoIndication is S1AP UE CAPABILITY INFO INDICATION
// (TS 36.413 §8.9): the UE radio capability to keep for later connections.
type UECapabilityInfoIndication struct {
	Now               time.Time
	Conn              ConnID
	RadioCapability   []byte
	ForPaging         []byte
	RadioCapabilityNR []byte
}

// UEContextReleaseRequest is S1AP UE CONTEXT RELEASE REQUEST
// (TS 36.413 §8.3.2): the eNodeB asks to release the connection.
type UEContextReleaseRequest struct {
	Now   time.Time
	Conn  ConnID
	Cause s1ap.Cause
}

// UEContextReleaseComplete is S1AP UE CONTEXT RELEASE COMPLETE
// (TS 36.413 §8.3.3.2).
type UEContextReleaseComplete struct {
	Now  time.Time
	Conn ConnID
}

// S1ConnectionLost says the connection is gone without the release
// procedure: S1 Reset (TS 36.413 §8.7.1), the SCTP association went down
// or restarted (TS 36.412 §7), or an Error Indication named it unknown.
type S1ConnectionLost struct {
	Now    time.Time
	Conn   ConnID
	Reason string
}

// NASNonDeliveryIndication is S1AP NAS NON DELIVERY INDICATION
// (TS 36.413 §8.6.2.5): a downlink NAS message could not be delivered.
type NASNonDeliveryIndication struct {
	Now   time.Time
	Conn  ConnID
	Cause s1ap.Cause
}

// Txn identifies an S6a or S11 transaction of one subscriber: the request
// effect carries it and the answer event must carry it back.
type Txn uint32

// AuthInfoAnswer is the answer to an Authentication-Information-Request
// (TS 29.272 §5.2.3.1.3), or Err when none came (timeout, no peer,
// malformed answer).
type AuthInfoAnswer struct {
	Now time.Time
	Txn Txn
	AIA *s6a.AIA
	Err error
}

// UpdateLocationAnswer is the answer to an Update-Location-Request
// (TS 29.272 §5.2.1.1.3), or Err.
type UpdateLocationAnswer struct {
	Now time.Time
	Txn Txn
	ULA *s6a.ULA
	Err error
}

// PurgeUEAnswer is the answer to a Purge-UE-Request (TS 29.272 §5.2.1.3), or Err.
type PurgeUEAnswer struct {
	Now time.Time
	Txn Txn
	PUA *s6a.PUA
	Err error
}

// CancelLocation is an HSS Cancel-Location-Request (TS 29.272 §5.2.1.2);
// the node has already answered it.
type CancelLocation struct {
	Now  time.Time
	Type uint32 // Cancellation-Type (TS 29.272 §7.3.24)
	// ReattachRequired is the CLR-Flags "Reattach-Required" bit (§7.3.152).
	ReattachRequired bool
}

// S11Response is the answer to an S11 request this subscriber sent
// (Create Session, Modify Bearer, Delete Session, Release Access Bearers;
// TS 29.274 §7.2), or Err when none came (ErrNoResponse, path failure).
type S11Response struct {
	Now time.Time
	Txn Txn
	Msg gtp.Message
	Err error
}

// SGWLost says the SGW restarted or its path failed (TS 23.007 §16.1.1,
// §20): every PDN connection through it is gone on the SGW side.
type SGWLost struct {
	Now       time.Time
	SGW       netip.AddrPort
	Restarted bool // restart counter changed (else: Echo path failure)
}

// TimerExpired is the expiry of one of the subscriber's timers. Due is
// the deadline the wheel fired for; an expiry older than the deadline the
// machine holds for that timer is stale (the timer was restarted).
type TimerExpired struct {
	Now time.Time
	ID  TimerID
	Due time.Time
}

// DetachRequested asks for a network-initiated detach (admin API,
// TS 23.401 §5.3.8.3 "O&M intervention").
type DetachRequested struct {
	Now time.Time
	// ReattachRequired selects the detach type of DETACH REQUEST
	// (TS 24.301 §9.9.3.7).
	ReattachRequired bool
	Reason           string
}

// IMSIResolved answers a ResolveIMSI effect: the key of the subscriber
// the store holds under that IMSI, if another one.
type IMSIResolved struct {
	Now   time.Time
	IMSI  string
	Key   uint64
	Found bool
}

// AttachTransferred hands an attach over from the key that received it
// (an unknown GUTI) to the key that the IMSI learnt by identification
// belongs to (docs/design/node.md "Unknown GUTI"). The receiving machine
// runs the attach as if it had received the ATTACH REQUEST itself, with
// the identity known and no usable security context.
type AttachTransferred struct {
	Now  time.Time
	Conn ConnID
	Location
	IMSI string
	// AttachRequest is the plain ATTACH REQUEST (TS 24.301 §8.2.4).
	AttachRequest []byte
	// ProcStart is when the attach began (for the latency measure).
	ProcStart time.Time
}

// Restarted is delivered once after the subscriber's step panicked and the
// machine was reloaded from its last stored record (supervision restart):
// the procedure in progress fails cleanly.
type Restarted struct {
	Now    time.Time
	Reason string
}

// Recovered is delivered when the node starts and loads a stored record
// (process restart, takeover): the connection is gone, timers are re-armed
// and the downlink NAS COUNT skips ahead (DESIGN.md "NAS COUNTs never go back").
type Recovered struct {
	Now time.Time
}

// DownlinkDataNotification is an SGW's Downlink Data Notification for this
// subscriber (TS 29.274 §7.2.11.1, TS 23.401 §5.3.4.3 step 2a): the node
// holds the request; the machine answers it with AnswerDDN carrying ID.
type DownlinkDataNotification struct {
	Now time.Time
	ID  uint64
	// EBI is the bearer that received the data (0: not given).
	EBI uint8
}

func (e *DownlinkDataNotification) At() time.Time { return e.Now }

func (e *InitialUEMessage) At() time.Time            { return e.Now }
func (e *UplinkNASTransport) At() time.Time          { return e.Now }
func (e *InitialContextSetupResponse) At() time.Time { return e.Now }
func (e *InitialContextSetupFailure) At() time.Time  { return e.Now }
func (e *UECapabilityInfoIndication) At() time.Time  { return e.Now }
func (e *UEContextReleaseRequest) At() time.Time     { return e.Now }
func (e *UEContextReleaseComplete) At() time.Time    { return e.Now }
func (e *S1ConnectionLost) At() time.Time            { return e.Now }
func (e *NASNonDeliveryIndication) At() time.Time    { return e.Now }
func (e *AuthInfoAnswer) At() time.Time              { return e.Now }
func (e *UpdateLocationAnswer) At() time.Time        { return e.Now }
func (e *PurgeUEAnswer) At() time.Time               { return e.Now }
func (e *CancelLocation) At() time.Time              { return e.Now }
func (e *S11Response) At() time.Time                 { return e.Now }
func (e *SGWLost) At() time.Time                     { return e.Now }
func (e *TimerExpired) At() time.Time                { return e.Now }
func (e *DetachRequested) At() time.Time             { return e.Now }
func (e *IMSIResolved) At() time.Time                { return e.Now }
func (e *AttachTransferred) At() time.Time           { return e.Now }
func (e *Restarted) At() time.Time                   { return e.Now }
func (e *Recovered) At() time.Time                   { return e.Now }

// eventName names an event for anomaly counters and crash reports.
func eventName(ev Event) string {
	switch ev.(type) {
	case *InitialUEMessage:
		return "InitialUEMessage"
	case *UplinkNASTransport:
		return "UplinkNASTransport"
	case *InitialContextSetupResponse:
		return "InitialContextSetupResponse"
	case *InitialContextSetupFailure:
		return "InitialContextSetupFailure"
	case *UECapabilityInfoIndication:
		return "UECapabilityInfoIndication"
	case *UEContextReleaseRequest:
		return "UEContextReleaseRequest"
	case *UEContextReleaseComplete:
		return "UEContextReleaseComplete"
	case *S1ConnectionLost:
		return "S1ConnectionLost"
	case *NASNonDeliveryIndication:
		return "NASNonDeliveryIndication"
	case *AuthInfoAnswer:
		return "AIA"
	case *UpdateLocationAnswer:
		return "ULA"
	case *PurgeUEAnswer:
		return "PUA"
	case *CancelLocation:
		return "CLR"
	case *S11Response:
		return "S11Response"
	case *SGWLost:
		return "SGWLost"
	case *TimerExpired:
		return "TimerExpired"
	case *DetachRequested:
		return "DetachRequested"
	case *IMSIResolved:
		return "IMSIResolved"
	case *AttachTransferred:
		return "AttachTransferred"
	case *Restarted:
		return "Restarted"
	case *Recovered:
		return "Recovered"
	case *DownlinkDataNotification:
		return "DownlinkDataNotification"
	case *nasEvent:
		return "NAS"
	case *S11Request:
		return "S11Request"
	case *ERABSetupResponse:
		return "ERABSetupResponse"
	case *ERABModifyResponse:
		return "ERABModifyResponse"
	case *ERABReleaseResponse:
		return "ERABReleaseResponse"
	case *ERABReleaseIndication:
		return "ERABReleaseIndication"
	case *SubscriptionChanged:
		return "IDR"
	case *UEContextModificationResponse:
		return "UEContextModificationResponse"
	case *UEContextModificationFailure:
		return "UEContextModificationFailure"
	}
	if n := handoverEventName(ev); n != "" {
		return n
	}
	return "unknown"
}

// EventName returns the name the machine gives an event in anomalies and
// crash reports.
func EventName(ev Event) string { return eventName(ev) }
