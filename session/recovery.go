package session

import (
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
)

// An attach whose ATTACH ACCEPT went out before a node restart.
//
// Write before speak stores the record of an attach awaiting ATTACH
// COMPLETE (new GUTI, security context, default bearer pending) before
// ATTACH ACCEPT is sent. If the process dies before the ATTACH COMPLETE
// that answers it is stored, the restarted node cannot tell which of two
// things happened:
//
//   - the UE never got ATTACH ACCEPT (the kill came between the write and
//     the send, or the eNodeB lost it): the UE is still in
//     EMM-REGISTERED-INITIATED and will retry with ATTACH REQUEST
//     (TS 24.301 §5.5.1.2.6);
//   - the UE got it and sent ATTACH COMPLETE, which died with the process:
//     the UE is EMM-REGISTERED with the new GUTI and its default bearer
//     active (TS 24.301 §5.5.1.2.4: the UE enters EMM-REGISTERED when it
//     sends ATTACH COMPLETE), and it will come back with SERVICE REQUEST,
//     EXTENDED SERVICE REQUEST or TRACKING AREA UPDATE REQUEST, which it
//     sends only in EMM-REGISTERED (§5.6.1.1, §5.5.3.1).
//
// The restarted MME therefore holds the attach (ECM-IDLE, T3450 stopped:
// there is no connection to retransmit ATTACH ACCEPT on) instead of
// aborting it at once. A SERVICE REQUEST whose short MAC verifies with the
// attach's security context, or an EXTENDED SERVICE REQUEST or TAU REQUEST
// that passes its integrity check with it — routed here by the S-TMSI or
// GUTI that only ATTACH ACCEPT gave the UE — proves that the UE accepted
// the attach and sent ATTACH COMPLETE: the MME completes the attach as
// §5.5.1.2.4 says for ATTACH COMPLETE (T3450 stopped, EMM-REGISTERED, the
// GUTI of ATTACH ACCEPT valid, the default bearer active) and then serves
// the request. Anything else ends the hold the ordinary way: an ATTACH
// REQUEST restarts the attach (§5.5.1.2.7 e), a request that fails its
// integrity check is rejected as before. If the UE never shows up, the
// mobile reachable timer (the time the network waits for a registered
// idle UE's periodic TAU, TS 24.301 §5.3.5) ends the hold: the attach is
// aborted locally and the UE is EMM-DEREGISTERED, as §5.5.1.2.7 a (lower
// layer failure before ATTACH COMPLETE) has it.
//
// An attach whose ATTACH COMPLETE was already stored (only INITIAL CONTEXT
// SETUP RESPONSE was still missing) is completed at recovery: the UE is
// registered and idle.
//
// A crash of one subscriber's step (Restarted) reloads the same record and
// loses the crashed event, which may have been the ATTACH COMPLETE: the
// attach is held the same way, its connection released (restartAttach).

// attachHeld reports whether the machine holds an attach across a node
// restart: ATTACH ACCEPT sent, ATTACH COMPLETE not received, and T3450 not
// running (outside a hold, an attach awaiting ATTACH COMPLETE always has
// T3450 running: its last expiry aborts the attach). The UE may have come
// back on a new connection in the step being run.
func (m *Machine) attachHeld() bool {
	return m.s.Proc == ProcAttach && m.s.Wait == WaitAttachComplete && !m.s.Attach.Complete &&
		m.s.Deadlines[T3450].IsZero()
}

// recoverAttach runs at Recovered for an attach awaiting ATTACH COMPLETE
// (or the INITIAL CONTEXT SETUP RESPONSE after it), with the connection
// gone. It reports false when the attach is not in that phase.
func (m *Machine) recoverAttach() bool { return m.holdAttach(false) }

// restartAttach runs at Restarted (a crash of this subscriber's step, the
// record reloaded) for an attach awaiting ATTACH COMPLETE: the crashed
// event may have been the UE's ATTACH COMPLETE, or the INITIAL CONTEXT
// SETUP RESPONSE the eNodeB sent before it, so the UE may be
// EMM-REGISTERED already; an ATTACH REJECT (#17) would then be ignored by
// the UE (TS 24.301 §7.4, not compatible with EMM-REGISTERED) and leave
// it registered with an MME that is not. The connection, whose eNodeB
// context the reloaded record may no longer match, is released and the
// attach held as after a node restart; an ATTACH COMPLETE still arriving
// on it completes the attach (heldAttachProven). It reports false when
// the attach is not in that phase (the attach is then rejected).
func (m *Machine) restartAttach() bool {
	if m.attachHeld() && m.s.ECM == ECMIdle {
		return true // held since a node restart; nothing to release
	}
	return m.holdAttach(true)
}

// holdAttach stops the attach's NAS and S1 timers and the connection
// (released, or gone with the node), then holds the attach (mobile
// reachable bounds the hold) or, when its ATTACH COMPLETE was stored,
// completes it: the UE is registered; the eNodeB's answer is what is
// missing, and the next service request sets the user plane up.
func (m *Machine) holdAttach(release bool) bool {
	if m.s.Proc != ProcAttach || m.s.Wait != WaitAttachComplete || len(m.s.PDNs) == 0 || m.sec == nil {
		return false
	}
	m.stopNASTimers()
	m.stopTimer(TS1Guard)
	complete := m.s.Attach.Complete
	if complete {
		// The EMM state was set to EMM-REGISTERED with ATTACH COMPLETE.
		m.outcome(ProcAttach, true, "")
		m.end()
		m.s.Attach = AttachState{}
	}
	if release {
		m.releaseConnection(nasCause(s1ap.CauseNasUnspecified))
	} else {
		m.connectionGone() // starts mobile reachable when EMM-REGISTERED
	}
	if !complete {
		m.startTimer(TMobileReachable)
	}
	return true
}

// completeHeldAttach completes a held attach on a request that proved the
// UE is EMM-REGISTERED (see above): what ATTACH COMPLETE would have done
// (TS 24.301 §5.5.1.2.4, §6.4.1.3), without the Modify Bearer of the
// attach (the request sets the user plane up itself, TS 23.401 §5.3.4.1).
func (m *Machine) completeHeldAttach() {
	m.stopNASTimers()
	m.stopTimer(TMobileReachable)
	if b := m.bearer(m.s.PDNs[0].LBI); b != nil && b.State == BearerActivePending {
		b.State = BearerActive
	}
	m.setEMM(EMMRegistered)
	// The request named the GUTI of ATTACH ACCEPT (or was protected
	// with its context): ATTACH COMPLETE's confirmation.
	m.newGUTIConfirmed()
	// Its latency spans the restart: ATTACH COMPLETE is taken to have
	// arrived now.
	m.outcome(ProcAttach, true, "")
	m.end()
	m.s.Attach = AttachState{}
}

// heldAttachServiceRequest handles a SERVICE REQUEST while an attach is
// held: a short MAC that verifies with the attach's context completes the
// attach and the service request goes on (it returns true after setting
// the request's COUNT as K_eNB's input). Otherwise it returns false and
// the ordinary checks answer the request.
func (m *Machine) heldAttachServiceRequest(pdu []byte) bool {
	if !m.attachHeld() || m.sec == nil {
		return false
	}
	count, err := m.sec.VerifyServiceRequest(pdu)
	if err != nil {
		return false
	}
	m.completeHeldAttach()
	m.s.Secure, m.s.KeNBCount = true, uint32(count)
	m.touch()
	return true
}

// heldAttachProven runs before a NAS message is dispatched while an attach
// is held: an integrity checked EXTENDED SERVICE REQUEST or TRACKING AREA
// UPDATE REQUEST completes it (and goes on to EMM-REGISTERED's handlers);
// an integrity checked ATTACH COMPLETE accepting the default bearer, on
// the connection a crash restart is releasing, completes it and is
// consumed (true); an ATTACH REQUEST, from a UE that never got ATTACH
// ACCEPT, aborts it (PDN connection deleted) and is progressed as a new
// attach (TS 24.301 §5.5.1.2.7 e: ATTACH ACCEPT cannot be resent on a new
// connection, which has no UE context in the eNodeB).
func (m *Machine) heldAttachProven(ev *nasEvent) bool {
	if !m.attachHeld() {
		return false
	}
	switch msg := ev.msg.(type) {
	case *nas.ExtendedServiceRequest, *nas.TrackingAreaUpdateRequest:
		if ev.integrity {
			m.completeHeldAttach()
		}
	case *nas.AttachComplete:
		esm, err := msg.ESMMessageContainer.Decode()
		if _, ok := esm.(*nas.ActivateDefaultEPSBearerContextAccept); ok && err == nil && ev.integrity {
			m.completeHeldAttach()
			return true
		}
	case *nas.AttachRequest:
		m.abortAttach("emm:superseded_by_new_attach_request", false)
	}
	return false
}

// heldAttachExpired ends a held attach when mobile reachable expires
// without the UE proving it is registered: TS 24.301 §5.5.1.2.7 a, the
// attach is aborted locally (PDN connection deleted, EMM-DEREGISTERED).
func (m *Machine) heldAttachExpired() bool {
	if !m.attachHeld() {
		return false
	}
	m.abortAttach("attach_complete_not_received", false)
	return true
}
