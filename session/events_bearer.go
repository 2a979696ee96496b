package session

import (
	"time"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/s1ap"
)

// S11Request is a request the SGW sent for this subscriber (TS 29.274
// §7.2.3 Create Bearer, §7.2.15 Update Bearer, §7.2.9.2 Delete Bearer).
// The machine answers it with a RespondS11 effect carrying ID, now or
// steps later (after the eNodeB and the UE answered).
type S11Request struct {
	Now time.Time
	// ID is the node's handle of the request (the answer goes with it).
	ID  uint64
	Msg gtp.Message
}

// ERABFailed is one E-RAB the eNodeB could not set up, modify or release,
// with its cause (TS 36.413 §9.2.1.36 E-RAB List).
type ERABFailed struct {
	EBI   uint8
	Cause s1ap.Cause
}

// ERABSetupResponse is S1AP E-RAB SETUP RESPONSE (TS 36.413 §8.2.1.2).
type ERABSetupResponse struct {
	Now    time.Time
	Conn   ConnID
	Setup  []ERABSetup
	Failed []ERABFailed
}

// ERABModifyResponse is S1AP E-RAB MODIFY RESPONSE (TS 36.413 §8.2.2.2).
type ERABModifyResponse struct {
	Now      time.Time
	Conn     ConnID
	Modified []uint8
	Failed   []ERABFailed
}

// ERABReleaseResponse is S1AP E-RAB RELEASE RESPONSE (TS 36.413 §8.2.3.2).
type ERABReleaseResponse struct {
	Now      time.Time
	Conn     ConnID
	Released []uint8
	Failed   []ERABFailed
}

// ERABReleaseIndication is S1AP E-RAB RELEASE INDICATION (TS 36.413
// §8.2.3.2.2): the eNodeB released these E-RABs on its own.
type ERABReleaseIndication struct {
	Now      time.Time
	Conn     ConnID
	Released []ERABFailed
}

// SubscriptionChanged is an HSS Insert-Subscriber-Data (TS 29.272
// §5.2.2.1) the node has already answered: the new UE-AMBR in bit/s when
// the Subscription-Data carried one (TS 29.272 §7.3.41).
type SubscriptionChanged struct {
	Now                      time.Time
	HasAMBR                  bool
	AMBRUplink, AMBRDownlink uint32
}

// UEContextModificationResponse is S1AP UE CONTEXT MODIFICATION RESPONSE
// (TS 36.413 §8.3.4.2).
type UEContextModificationResponse struct {
	Now  time.Time
	Conn ConnID
}

// UEContextModificationFailure is S1AP UE CONTEXT MODIFICATION FAILURE
// (TS 36.413 §8.3.4.3).
type UEContextModificationFailure struct {
	Now   time.Time
	Conn  ConnID
	Cause s1ap.Cause
}

func (e *SubscriptionChanged) At() time.Time           { return e.Now }
func (e *UEContextModificationResponse) At() time.Time { return e.Now }
func (e *UEContextModificationFailure) At() time.Time  { return e.Now }

// RespondS11 answers the SGW request the node knows by ID (S11Request.ID)
// with Msg, sent with the SGW's TEID (TS 29.274 §5.5.2). A handle the node
// no longer has (a restart in between) is dropped and counted: the SGW
// retransmits its request (TS 29.274 §7.6).
type RespondS11 struct {
	ID   uint64
	TEID uint32
	Msg  gtp.Message
}

func (RespondS11) isEffect() {}

func (e *S11Request) At() time.Time            { return e.Now }
func (e *ERABSetupResponse) At() time.Time     { return e.Now }
func (e *ERABModifyResponse) At() time.Time    { return e.Now }
func (e *ERABReleaseResponse) At() time.Time   { return e.Now }
func (e *ERABReleaseIndication) At() time.Time { return e.Now }
