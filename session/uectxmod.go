package session

import (
	"github.com/lte-mme/mme/s1ap"
)

// UE context modification after a subscription change (TS 23.401 §5.3.9.2
// HSS-initiated subscribed QoS modification; TS 36.413 §8.3.4): the new
// UE-AMBR is kept, and a connected UE's eNodeB gets it in UE CONTEXT
// MODIFICATION REQUEST. It runs in the ESM transaction slot (one
// bearer-level procedure at a time); an idle UE's eNodeB gets the new
// UE-AMBR in the next INITIAL CONTEXT SETUP REQUEST.

// subscriptionChanged: TS 29.272 §5.2.2.1.2: the MME replaces the
// subscription data it holds with what Insert-Subscriber-Data carried.
func (m *Machine) subscriptionChanged(e *SubscriptionChanged) {
	if m.s.EMM != EMMRegistered || !e.HasAMBR {
		m.anomaly(e, "Insert-Subscriber-Data with nothing this MME applies now")
		return
	}
	sub := &m.s.Subscription
	if sub.AMBRUplink == e.AMBRUplink && sub.AMBRDownlink == e.AMBRDownlink {
		return
	}
	sub.AMBRUplink, sub.AMBRDownlink = e.AMBRUplink, e.AMBRDownlink
	m.touch()
	if m.s.ECM != ECMConnected || m.s.Releasing || m.s.Proc != ProcNone || m.s.ESM.Active() {
		return
	}
	t := m.esmBegin(ProcUEContextModification)
	t.ENB = AnswerPending
	m.effect(SendS1{Conn: m.s.Conn, Msg: &s1ap.UEContextModificationRequest{
		UEaggregateMaximumBitrate: s1ap.Some(s1ap.UEAggregateMaximumBitrate{
			UEaggregateMaximumBitRateDL: s1ap.BitRate(sub.AMBRDownlink),
			UEaggregateMaximumBitRateUL: s1ap.BitRate(sub.AMBRUplink)}),
	}})
}

// ueContextModificationAnswer: UE CONTEXT MODIFICATION RESPONSE (cause
// nil) or FAILURE (TS 36.413 §8.3.4.2-3). A failure leaves the UE-AMBR
// applied at the next context setup; it is counted.
func (m *Machine) ueContextModificationAnswer(ev Event, conn ConnID, cause *s1ap.Cause) {
	t := &m.s.ESM
	if conn != m.s.Conn || t.Proc != ProcUEContextModification || t.ENB != AnswerPending {
		m.anomaly(ev, "UE CONTEXT MODIFICATION answer not awaited")
		return
	}
	t.ENB = AnswerOK
	if cause != nil {
		t.ENB = AnswerFailed
		m.anomaly(ev, "UE CONTEXT MODIFICATION FAILURE: "+causeString(*cause))
	}
	m.touch()
	m.esmProgress()
}
