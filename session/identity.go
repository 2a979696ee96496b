package session

import (
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
)

// identify starts the identification procedure (TS 24.301 §5.4.4.2):
// IDENTITY REQUEST, T3470, EMM-COMMON-PROCEDURE-INITIATED.
func (m *Machine) identify(t nas.IdentityType2) {
	m.setEMM(EMMCommonProcedureInitiated)
	m.await(WaitIdentityResponse, 0)
	m.guard(T3470, &nas.IdentityRequest{IdentityType: t}, false)
}

// identityResponse is IDENTITY RESPONSE (TS 24.301 §5.4.4.4).
func (m *Machine) identityResponse(ev *nasEvent, msg *nas.IdentityResponse) {
	if m.s.Wait != WaitIdentityResponse {
		m.notCompatible(ev)
		return
	}
	if msg.MobileIdentity.Type != nas.MobileIdentityIMSI || msg.MobileIdentity.Digits == "" {
		// TS 24.301 §5.4.4.6: an identity of another type than requested is
		// not an answer: the request stays outstanding (T3470 runs).
		m.anomaly(ev, "IDENTITY RESPONSE without the requested IMSI")
		return
	}
	m.stopTimer(T3470)
	m.clearRetx()
	// The identification procedure is complete: back to the state the
	// attach runs in (TS 24.301 §5.1.3.4.2).
	m.setEMM(EMMDeregistered)
	imsi := msg.MobileIdentity.Digits
	if m.s.IMSI == imsi {
		m.afterIdentity(ev)
		return
	}
	// The IMSI may belong to a subscriber this node holds under another
	// key: the node looks it up and answers with IMSIResolved
	// (docs/design/node.md "Unknown GUTI").
	m.s.IMSI = imsi
	m.touch()
	m.effect(ResolveIMSI{IMSI: imsi})
	m.await(WaitIMSIResolution, 0)
}

// imsiResolved continues the attach of an unknown GUTI: on this key when
// the IMSI is new to the node, else on the key that holds it (Transfer),
// and this key's record is deleted.
func (m *Machine) imsiResolved(e *IMSIResolved) {
	if m.s.Wait != WaitIMSIResolution || m.s.Proc != ProcAttach || e.IMSI != m.s.IMSI {
		m.anomaly(e, "IMSI resolution not awaited")
		return
	}
	if !e.Found || e.Key == m.key {
		m.authenticate()
		return
	}
	if m.s.ECM != ECMConnected {
		// The connection went away while the node looked the IMSI up.
		m.abortAttach("connection_lost_during_identification", false)
		return
	}
	m.effect(Transfer{To: e.Key, Event: &AttachTransferred{
		Now: e.Now, Conn: m.s.Conn, Location: m.s.LastLocation, IMSI: m.s.IMSI,
		AttachRequest: m.s.Attach.Request, ProcStart: m.s.ProcStart,
	}})
	// This key was only a placeholder for the unknown GUTI: it has no
	// security context, bearers or timers worth keeping.
	m.stopAllTimersExcept(0)
	m.s = Subscriber{EMM: EMMDeregistered, ECM: ECMIdle, Proc: ProcNone, Wait: WaitNone}
	m.rd.Delete = true
}

// stopAllTimersExcept stops every running timer but keep (0: all).
func (m *Machine) stopAllTimersExcept(keep TimerID) {
	for id := TimerID(1); id <= numTimers; id++ {
		if id != keep {
			m.stopTimer(id)
		}
	}
}

// releaseConnection releases the current connection: UE CONTEXT RELEASE
// COMMAND (TS 36.413 §8.3.3), completed by UE CONTEXT RELEASE COMPLETE or
// the S1 guard timer.
func (m *Machine) releaseConnection(cause s1ap.Cause) {
	if m.s.ECM != ECMConnected || m.s.Releasing {
		return
	}
	m.effect(SendS1{Conn: m.s.Conn, Msg: &s1ap.UEContextReleaseCommand{Cause: cause}})
	m.s.Releasing = true
	m.startTimer(TS1Guard)
	m.touch()
}
