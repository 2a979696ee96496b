package session

import (
	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
)

// ueCapabilityInfoIndication stores the UE radio capability for the next
// INITIAL CONTEXT SETUP REQUEST (TS 36.413 §8.9, TS 23.401 §5.11.2).
func (m *Machine) ueCapabilityInfoIndication(e *UECapabilityInfoIndication) {
	if e.Conn != m.s.Conn || m.s.ECM != ECMConnected {
		m.anomaly(e, "UE CAPABILITY INFO INDICATION on a connection that is not current")
		return
	}
	m.s.UERadioCapability = append(m.s.UERadioCapability[:0], e.RadioCapability...)
	m.touch()
}

// ueContextReleaseRequest is the eNodeB asking to release the connection
// (TS 36.413 §8.3.2, TS 23.401 §5.3.5): an attached UE goes ECM-IDLE
// (Release Access Bearers first); an attach or detach in progress fails
// and the connection is released.
func (m *Machine) ueContextReleaseRequest(e *UEContextReleaseRequest) {
	if e.Conn != m.s.Conn || m.s.ECM != ECMConnected {
		// TS 36.413 §8.3.2: a request for a connection that is not the
		// current one: release it anyway (the eNodeB holds it).
		m.anomaly(e, "UE CONTEXT RELEASE REQUEST for a connection that is not current: released")
		m.effect(SendS1{Conn: e.Conn, Msg: &s1ap.UEContextReleaseCommand{Cause: e.Cause}})
		m.effect(FreeConn{Conn: e.Conn})
		return
	}
	if m.s.Releasing {
		m.anomaly(e, "UE CONTEXT RELEASE REQUEST while the release is under way")
		return
	}
	if m.accessSideComplete(false) {
		// The service request completed for the UE; the release goes on.
	} else if m.idleProc() {
		// TS 23.401 §5.3.5: the eNodeB gives the connection up; the
		// procedure cannot finish and the UE goes ECM-IDLE.
		m.abortIdleProc("s1_release:" + causeString(e.Cause))
	}
	m.abortHandover("s1_release_during_handover:" + causeString(e.Cause))
	switch {
	case m.s.Proc == ProcAttach:
		m.abortAttach("s1_release_during_attach:"+causeString(e.Cause), false)
	case m.s.Proc == ProcDetachNetwork && m.s.Wait == WaitDetachAccept:
		// The UE cannot answer any more: the detach completes locally
		// (TS 24.301 §5.5.2.3.4 a: lower layer failure).
		m.stopTimer(T3422)
		m.clearRetx()
		m.detachNetworkDone(false)
	case m.s.Proc != ProcNone:
	case m.s.EMM == EMMRegistered && len(m.s.PDNs) > 0:
		// TS 23.401 §5.3.5 step 2: Release Access Bearers Request.
		m.begin(ProcS1Release, WaitNone)
		m.rd.Started = append(m.rd.Started, ProcS1Release)
		m.s.ReleaseCause = e.Cause
		txn := m.nextTxn()
		m.effect(SendS11{Txn: txn, Peer: m.s.SGW, TEID: m.s.SGWTEID, Msg: &gtp.ReleaseAccessBearersRequest{}})
		m.await(WaitRAB, txn)
		// The eNodeB waits for its command: should the answer never reach
		// this machine (lost on a full mailbox), the guard releases anyway.
		m.startTimer(TS1Guard)
		return
	}
	m.releaseConnection(e.Cause)
}

// releaseAccessBearersResponse: TS 23.401 §5.3.5 steps 3-4: the S1-U
// tunnels are gone at the SGW; UE CONTEXT RELEASE COMMAND follows. Without
// an answer the release goes on (the SGW keeps no downlink path anyway).
func (m *Machine) releaseAccessBearersResponse(e *S11Response, resp *gtp.ReleaseAccessBearersResponse) {
	if m.s.Wait != WaitRAB || m.s.Pending != e.Txn || e.Txn == 0 {
		if m.s.Proc == ProcNone && resp != nil {
			// The answer to a Release Access Bearers sent after a lost
			// connection: nothing waits for it.
			return
		}
		m.anomaly(e, "stale Release Access Bearers Response")
		return
	}
	if resp != nil && !resp.Cause.Accepted() {
		m.anomaly(e, "Release Access Bearers rejected with cause "+resp.Cause.Value.String())
	}
	if e.Err != nil {
		m.anomaly(e, "Release Access Bearers got no answer: "+e.Err.Error())
	}
	m.releaseAfterRAB()
}

// releaseAfterRAB: TS 23.401 §5.3.5 step 5: UE CONTEXT RELEASE COMMAND
// once the SGW answered Release Access Bearers, or once the S1 guard gave
// up on the answer.
func (m *Machine) releaseAfterRAB() {
	m.clearENodeBTunnels()
	m.s.Wait, m.s.Pending = WaitReleaseComplete, 0
	m.releaseConnection(m.s.ReleaseCause)
}

func (m *Machine) clearENodeBTunnels() {
	for i := range m.s.PDNs {
		for j := range m.s.PDNs[i].Bearers {
			m.s.PDNs[i].Bearers[j].ENBU = FTEID{}
		}
	}
	m.touch()
}

// ueContextReleaseComplete ends the release (TS 36.413 §8.3.3.2): ECM-IDLE;
// an attached UE's mobile reachable timer starts (TS 24.301 §5.3.5).
func (m *Machine) ueContextReleaseComplete(e *UEContextReleaseComplete) {
	if e.Conn != m.s.Conn || m.s.ECM != ECMConnected {
		// The completion of a connection replaced by a newer one.
		m.effect(FreeConn{Conn: e.Conn})
		return
	}
	if !m.s.Releasing {
		// No command from this machine: the node answered the eNodeB's
		// UE CONTEXT RELEASE REQUEST itself, its mailbox being full
		// (node/s1.go toKey). The connection is gone as after a failure
		// (TS 23.401 §5.3.5): procedures that needed it end, the S1-U
		// tunnels are released at the SGW.
		m.anomaly(e, "UE CONTEXT RELEASE COMPLETE without a release command")
		m.s1ConnectionLost(&S1ConnectionLost{Now: e.Now, Conn: e.Conn, Reason: "released_without_command"})
		return
	}
	if m.idleProc() {
		m.abortIdleProc("s1_released")
	}
	m.stopTimer(TS1Guard)
	m.connectionGone()
	if m.s.Proc == ProcS1Release {
		m.outcome(ProcS1Release, true, "")
		m.end()
	}
}

// connectionGone makes the UE ECM-IDLE and forgets the connection.
func (m *Machine) connectionGone() {
	m.effect(FreeConn{Conn: m.s.Conn})
	m.s.ECM, m.s.Releasing, m.s.Secure, m.s.Conn, m.s.KeNBCount = ECMIdle, false, false, 0, 0
	m.clearENodeBTunnels()
	m.esmConnectionGone() // bearer.go
	if m.s.EMM == EMMRegistered {
		m.startTimer(TMobileReachable)
	}
	m.touch()
}

// s1ConnectionLost: the connection is gone without a release (S1 Reset,
// SCTP association down; TS 36.413 §8.7.1, TS 23.401 §5.3.5 "S1 release
// due to failure"): the UE goes ECM-IDLE, an attached UE keeps its
// context (its S1-U tunnels are released at the SGW), a procedure that
// needed the connection fails.
func (m *Machine) s1ConnectionLost(e *S1ConnectionLost) {
	if e.Conn != m.s.Conn || m.s.ECM != ECMConnected {
		m.anomaly(e, "lost connection is not the current one")
		m.effect(FreeConn{Conn: e.Conn})
		return
	}
	m.stopTimer(TS1Guard)
	if m.idleProc() {
		m.abortIdleProc("s1_connection_lost:" + e.Reason)
	}
	m.abortHandover("s1_connection_lost:" + e.Reason)
	switch {
	case m.s.Proc == ProcAttach:
		m.stopNASTimers()
		m.connectionGone()
		m.abortAttach("s1_connection_lost:"+e.Reason, false)
		return
	case m.s.Proc == ProcDetachNetwork && m.s.Wait == WaitDetachAccept:
		m.stopTimer(T3422)
		m.clearRetx()
		m.connectionGone()
		m.detachNetworkDone(false)
		return
	case m.s.Proc == ProcS1Release:
		m.connectionGone()
		m.outcome(ProcS1Release, true, "")
		m.end()
		return
	}
	registered := m.s.EMM == EMMRegistered && len(m.s.PDNs) > 0
	m.stopNASTimers()
	m.connectionGone()
	if registered {
		// TS 23.401 §5.3.5: Release Access Bearers; nothing waits for it.
		m.effect(SendS11{Txn: m.nextTxn(), Peer: m.s.SGW, TEID: m.s.SGWTEID, Msg: &gtp.ReleaseAccessBearersRequest{}})
	}
}

// nasNonDelivery: TS 36.413 §8.6.2.5 and TS 24.301 §4.4 (the NAS timer of
// the message retransmits it); counted.
func (m *Machine) nasNonDelivery(e *NASNonDeliveryIndication) {
	m.anomaly(e, "NAS NON DELIVERY INDICATION, cause "+causeString(e.Cause))
}

// timerExpired runs the expiry actions of the timer table (timers.go).
func (m *Machine) timerExpired(e *TimerExpired) {
	switch e.ID {
	case T3450, T3460, T3470, T3489:
		if m.retransmit(e.ID) {
			return
		}
		// The fifth expiry (or no connection left to retransmit on): the
		// procedure is aborted (TS 24.301 §5.4.2.7 b, §5.4.3.7 b,
		// §5.4.4.6 b, §5.5.1.2.7 c, §6.6.1.2.6).
		m.clearRetx()
		if e.ID == T3450 && (m.s.Proc == ProcTAU || m.s.Proc == ProcGUTIReallocation) {
			m.t3450ExpiredIdle()
			return
		}
		if e.ID == T3460 && m.reauthenticating() {
			// TS 24.301 §5.4.2.7 b, §5.4.3.7 b: the authentication (or
			// security mode control) and the TAU or service request that
			// started it are aborted, the connection released.
			m.reauthAbort("t3460_expiry") // reauth.go
			m.releaseConnection(nasCause(s1ap.CauseNasUnspecified))
			return
		}
		if m.s.Proc != ProcAttach {
			m.anomaly(e, e.ID.String()+" expired outside an attach")
			return
		}
		if e.ID == T3489 {
			// §6.6.1.2.6: ESM information not received: #53, attach rejected.
			m.rejectAttach(nas.EMMCauseESMFailure, "t3489_expiry",
				&nas.PDNConnectivityReject{PTI: m.s.Attach.PTI, ESMCause: nas.ESMCauseESMInformationNotReceived})
			return
		}
		m.abortAttach(e.ID.String()+"_expiry", true)
	case T3422:
		if m.retransmit(T3422) {
			return
		}
		// TS 24.301 §5.5.2.3.4 b: on the fifth expiry the detach is
		// aborted and the MME enters EMM-DEREGISTERED.
		m.clearRetx()
		m.detachNetworkDone(false)
	case TMobileReachable:
		if m.heldAttachExpired() { // recovery.go
			return
		}
		// TS 24.301 §5.3.5: mobile reachable expired: the implicit detach
		// timer starts (paging would be suppressed, TS 23.401 §4.3.5.2).
		if m.s.EMM == EMMRegistered && m.s.ECM == ECMIdle {
			m.startTimer(TImplicitDetach)
		}
	case TImplicitDetach:
		m.implicitDetach()
	case TS1Guard:
		m.s1GuardExpired(e)
	case T3413:
		m.t3413Expired()
	case TS1RelocPrep, TS1RelocOverall:
		m.handoverTimer(e)
	case T3485, T3486, T3495:
		m.esmTimerExpired(e) // bearer.go
	default:
		m.anomaly(e, "unknown timer")
	}
}

// s1GuardExpired: the eNodeB did not answer. INITIAL CONTEXT SETUP: the
// attach fails as with a failure message; UE CONTEXT RELEASE: the
// connection is released locally.
func (m *Machine) s1GuardExpired(e *TimerExpired) {
	switch {
	case m.s.Releasing:
		m.anomaly(e, "no UE CONTEXT RELEASE COMPLETE: released locally")
		m.connectionGone()
		if m.s.Proc == ProcS1Release {
			m.outcome(ProcS1Release, true, "")
			m.end()
		}
	case m.s.Proc == ProcS1Release && m.s.Wait == WaitRAB:
		// The Release Access Bearers answer never came: the eNodeB gets
		// its UE CONTEXT RELEASE COMMAND all the same (TS 36.413 §8.3.2).
		m.anomaly(e, "no Release Access Bearers Response: released")
		m.releaseAfterRAB()
	case m.s.Proc == ProcAttach && m.s.Wait == WaitAttachComplete && !m.s.Attach.ICSDone:
		m.abortAttach("ics_no_answer", true)
	case m.s.Wait == WaitServiceICS:
		m.failIdleProc("ics_no_answer", radioCause(s1ap.CauseRadioNetworkUnspecified))
	default:
		m.anomaly(e, "S1 guard expired with nothing awaited")
	}
}

// restarted fails the procedure in progress after a crash of this
// subscriber's step (supervision restart from the stored record).
func (m *Machine) restarted(e *Restarted) {
	switch m.s.Proc {
	case ProcNone:
		return
	case ProcAttach:
		if m.restartAttach() { // recovery.go
			return
		}
		m.rejectAttach(nas.EMMCauseNetworkFailure, "restart:"+e.Reason, nil)
	case ProcDetachUE, ProcDetachNetwork, ProcDetachImplicit:
		// The detach completes locally: its SGW answers may be lost.
		m.s.Outstanding = 0
		p := m.s.Proc
		if p == ProcDetachUE && !m.s.DetachSwitchOff && m.s.ECM == ECMConnected {
			// The UE asked to detach and is detached now: it gets its
			// DETACH ACCEPT (TS 24.301 §5.5.2.2.2) rather than a release
			// that leaves it retransmitting or detaching locally.
			m.sendNAS(&nas.DetachAccept{}, false)
		}
		m.s.DetachSwitchOff = false
		m.setEMM(EMMDeregistered)
		m.outcome(p, false, "restart:"+e.Reason)
		m.end()
		m.stopNASTimers()
		m.releaseConnection(nasCause(s1ap.CauseNasDetach))
	case ProcS1Release:
		m.outcome(ProcS1Release, false, "restart:"+e.Reason)
		m.end()
		m.releaseConnection(radioCause(s1ap.CauseRadioNetworkUnspecified))
	case ProcServiceRequest, ProcTAU, ProcGUTIReallocation:
		// The UE stays registered; it tries again from ECM-IDLE.
		m.failIdleProc("restart:"+e.Reason, radioCause(s1ap.CauseRadioNetworkUnspecified))
	case ProcX2Handover, ProcS1Handover:
		m.abortHandover("restart:" + e.Reason)
	}
}

// recovered: the node restarted and loaded this record. The S1
// associations are new, so the connection is gone; a procedure in progress
// fails without signalling; an attached UE stays attached and idle.
func (m *Machine) recovered(e *Recovered) {
	m.skipDownlinkCount(e)
	if m.s.ECM == ECMConnected {
		m.stopTimer(TS1Guard)
		if m.s.Proc == ProcAttach && m.recoverAttach() { // recovery.go
			m.esmAbort("node_restart")
			return
		}
		if m.s.Proc == ProcAttach {
			m.stopNASTimers()
			m.connectionGone()
			m.abortAttach("node_restart", false)
			return
		}
		m.stopNASTimers()
		m.connectionGone()
	}
	// The S11 transactions and the SGW requests of the ESM procedure died
	// with the process (bearer.go).
	m.esmAbort("node_restart")
	switch m.s.Proc {
	case ProcNone:
	case ProcAttach:
		if m.attachHeld() {
			return // held since an earlier restart (recovery.go)
		}
		m.abortAttach("node_restart", false)
	case ProcX2Handover, ProcS1Handover:
		// The connections are gone with the S1 associations.
		m.s.HO = Handover{}
		m.outcome(m.s.Proc, false, "node_restart")
		m.end()
	default:
		p := m.s.Proc
		if p != ProcS1Release && !m.idleProc() {
			m.setEMM(EMMDeregistered)
		}
		if m.idleProc() && m.s.EMM == EMMCommonProcedureInitiated {
			// A re-authentication's pending context goes (reauth.go).
			m.s.NewSecurity, m.s.AuthVector = nil, Vector{}
			m.setEMM(EMMRegistered)
		}
		m.s.TAUActive, m.s.TAURelease = false, false
		m.s.Outstanding = 0
		m.outcome(p, false, "node_restart")
		m.end()
	}
}

// RecoveryCountSkip is how far the downlink NAS COUNT skips ahead when a
// record is recovered (node restart, takeover by a pool peer): a record
// may lag the COUNTs its last owner used (a replica behind the primary),
// and a COUNT must never be used twice with the same key (TS 33.401
// §7.2.4.1; DESIGN.md "NAS COUNTs never go back"). On one node write
// before speak already stores every COUNT before it is sent; the margin
// covers a replica's lag. The UE accepts a jump below 256 (TS 24.301
// §4.4.3.1 estimation from the 8-bit sequence number), so the margin
// leaves most of that window for messages the UE itself missed.
const RecoveryCountSkip = 32

// skipDownlinkCount advances the stored context's downlink COUNT by
// RecoveryCountSkip; a context whose COUNT would wrap keeps it (the next
// downlink message then fails to protect and the UE re-authenticates).
func (m *Machine) skipDownlinkCount(e *Recovered) {
	if m.sec == nil {
		return
	}
	if err := m.sec.SkipTx(RecoveryCountSkip); err != nil {
		m.anomaly(e, "NAS COUNT not skipped: "+err.Error())
		return
	}
	m.syncSecurity()
	m.touch()
}
