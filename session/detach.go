package session

import (
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/s6a"
)

// detachRequestUE is DETACH REQUEST from the UE (TS 24.301 §5.5.2.2,
// TS 23.401 §5.3.8.2.1): the PDN connections are deleted at the SGW, then
// DETACH ACCEPT (unless switch off) and the connection is released.
func (m *Machine) detachRequestUE(ev *nasEvent, msg *nas.DetachRequestUEOriginating) {
	switchOff := msg.DetachType.SwitchOff
	if msg.DetachType.Type == nas.IMSIDetach {
		// TS 24.301 §5.5.2.2.2: an IMSI detach concerns the CS domain only,
		// which this MME does not serve: acknowledged, EPS attach kept.
		if !switchOff {
			m.sendNAS(&nas.DetachAccept{}, false)
		}
		return
	}
	switch m.s.Proc {
	case ProcAttach:
		// TS 24.301 §5.5.1.2.7 h: DETACH REQUEST before ATTACH COMPLETE:
		// the attach is aborted and the detach progressed.
		m.abortAttach("detach_during_attach", false)
	case ProcDetachUE:
		// A retransmitted DETACH REQUEST (TS 24.301 §5.5.2.2.4 c): the
		// detach goes on; the accept follows the SGW's answers.
		m.anomaly(ev, "repeated DETACH REQUEST")
		return
	case ProcNone:
	default:
		m.outcome(m.s.Proc, false, "superseded_by_detach")
		m.end()
	}
	m.stopNASTimers()
	m.stopTimer(TMobileReachable)
	m.stopTimer(TImplicitDetach)
	m.begin(ProcDetachUE, WaitNone)
	m.rd.Started = append(m.rd.Started, ProcDetachUE)
	m.s.DetachSwitchOff = switchOff
	m.setEMM(EMMDeregistered)
	if len(m.s.PDNs) > 0 {
		m.deleteSessions(gtpNoCause, false)
	}
	if m.s.Outstanding > 0 {
		m.await(WaitDSR, 0)
		return
	}
	m.detachUEDone()
}

// detachUEDone completes a UE-initiated detach: DETACH ACCEPT unless switch
// off (TS 24.301 §5.5.2.2.2), release of the connection with cause detach
// (TS 23.401 §5.3.8.2.1 step 8), Purge-UE if configured.
func (m *Machine) detachUEDone() {
	if !m.s.DetachSwitchOff {
		m.sendNAS(&nas.DetachAccept{}, false)
	}
	m.s.DetachSwitchOff = false
	m.outcome(ProcDetachUE, true, "")
	m.end()
	m.releaseConnection(nasCause(s1ap.CauseNasDetach))
	m.purge()
}

// purge sends Purge-UE (TS 29.272 §5.2.1.3) when configured: the HSS marks
// the UE purged in this MME (TS 23.401 §5.3.9.3).
func (m *Machine) purge() {
	if !m.cfg.PurgeUE || m.s.IMSI == "" {
		return
	}
	m.effect(SendS6a{Txn: m.nextTxn(), Msg: &s6a.PUR{IMSI: m.s.IMSI, PURFlags: s6a.PURUEPurgedInMME}})
	m.s.Subscription = Subscription{}
	m.touch()
}

// purgeUEAnswer: TS 29.272 §5.2.1.3.3; nothing waits for it.
func (m *Machine) purgeUEAnswer(e *PurgeUEAnswer) {
	if e.Err != nil {
		m.anomaly(e, "Purge-UE got no answer: "+e.Err.Error())
		return
	}
	if !e.PUA.Result.IsSuccess() {
		m.anomaly(e, "Purge-UE failed: "+e.PUA.Result.String())
	}
}

// detachRequested is a network-initiated detach from O&M (TS 23.401
// §5.3.8.3).
func (m *Machine) detachRequested(e *DetachRequested) {
	m.networkDetach(e.ReattachRequired, "admin", true)
}

// cancelLocation is an HSS Cancel-Location (TS 29.272 §5.2.1.2, TS 23.401
// §5.3.8.4): subscription withdrawn → explicit detach ("re-attach not
// required" unless the HSS asks for a re-attach); the UE moved to another
// MME (MME update, initial attach there) → the context is deleted
// without signalling to the UE. No Purge-UE: the HSS asked.
func (m *Machine) cancelLocation(e *CancelLocation) {
	m.s.Subscription = Subscription{}
	m.touch()
	switch e.Type {
	case s6a.CancelSubscriptionWithdrawal:
		m.networkDetach(e.ReattachRequired, "hss:subscription_withdrawn", false)
	default:
		m.localDetach("hss:cancel_location")
	}
}

// networkDetach starts a network-initiated detach (TS 24.301 §5.5.2.3,
// TS 23.401 §5.3.8.3): DETACH REQUEST to a connected UE, a local (implicit)
// detach of an idle one (paging is not used to detach).
func (m *Machine) networkDetach(reattach bool, why string, purge bool) {
	if m.s.EMM != EMMRegistered && m.s.Proc != ProcAttach {
		m.anomaly(&DetachRequested{Now: m.now}, "not attached: nothing to detach")
		return
	}
	if m.s.Proc == ProcAttach {
		m.rejectAttach(nas.EMMCauseNetworkFailure, "detached_by_network:"+why, nil)
		return
	}
	if m.s.Proc != ProcNone {
		m.outcome(m.s.Proc, false, "superseded_by_detach")
		m.end()
	}
	m.begin(ProcDetachNetwork, WaitNone)
	m.rd.Started = append(m.rd.Started, ProcDetachNetwork)
	m.s.DetachPurge = purge
	if len(m.s.PDNs) > 0 {
		m.deleteSessions(gtpNoCause, false)
	}
	if m.s.ECM == ECMConnected && !m.s.Releasing && m.sec != nil && m.s.Secure {
		m.detachRequestNetwork(reattach)
		return
	}
	if m.s.Outstanding > 0 {
		m.await(WaitDSR, 0)
		return
	}
	m.detachNetworkDone(false)
}

// detachRequestNetwork sends DETACH REQUEST (TS 24.301 §5.5.2.3.1), T3422,
// EMM-DEREGISTERED-INITIATED.
func (m *Machine) detachRequestNetwork(reattach bool) {
	t := nas.ReattachNotRequired
	if reattach {
		t = nas.ReattachRequired
	}
	m.setEMM(EMMDeregisteredInitiated)
	m.await(WaitDetachAccept, 0)
	m.guard(T3422, &nas.DetachRequestUETerminated{DetachType: nas.DetachType{Type: t}}, false)
}

// detachAccept is DETACH ACCEPT (TS 24.301 §5.5.2.3.2).
func (m *Machine) detachAccept(ev *nasEvent, _ *nas.DetachAccept) {
	if m.s.Wait != WaitDetachAccept {
		m.notCompatible(ev)
		return
	}
	m.stopTimer(T3422)
	m.clearRetx()
	m.detachNetworkDone(true)
}

// detachCollision: DETACH REQUEST from the UE while the network's detach
// runs (TS 24.301 §5.5.2.3.4 e): answered with DETACH ACCEPT unless switch
// off, and the network's detach completes.
func (m *Machine) detachCollision(ev *nasEvent, msg *nas.DetachRequestUEOriginating) {
	m.stopTimer(T3422)
	m.clearRetx()
	if !msg.DetachType.SwitchOff {
		m.sendNAS(&nas.DetachAccept{}, false)
	}
	m.detachNetworkDone(true)
}

// detachNetworkDone ends a network-initiated detach: EMM-DEREGISTERED, the
// connection released (cause detach), Purge-UE when configured and asked.
func (m *Machine) detachNetworkDone(ok bool) {
	m.setEMM(EMMDeregistered)
	m.outcome(ProcDetachNetwork, ok, map[bool]string{true: "", false: "local"}[ok])
	m.end()
	m.releaseConnection(nasCause(s1ap.CauseNasDetach))
	m.stopTimer(TMobileReachable)
	m.stopTimer(TImplicitDetach)
	if m.s.DetachPurge {
		m.purge()
	}
	m.s.DetachPurge = false
}

// localDetach deletes the EPS context without NAS signalling (CLR with MME
// update or initial attach, TS 23.401 §5.3.8.4 and §5.3.2.1 step 8): the
// SGW sessions are deleted and a connection released.
func (m *Machine) localDetach(why string) {
	if m.s.Proc == ProcAttach {
		m.abortAttach(why, true)
		return
	}
	if m.s.Proc != ProcNone {
		m.outcome(m.s.Proc, false, why)
		m.end()
	}
	m.stopNASTimers()
	m.stopTimer(TMobileReachable)
	m.stopTimer(TImplicitDetach)
	if len(m.s.PDNs) > 0 {
		m.deleteSessions(gtpNoCause, false)
	}
	wasRegistered := m.s.EMM != EMMDeregistered
	m.setEMM(EMMDeregistered)
	m.releaseConnection(nasCause(s1ap.CauseNasDetach))
	if wasRegistered {
		m.rd.Started = append(m.rd.Started, ProcDetachNetwork)
		m.s.ProcStart = m.now
		m.outcome(ProcDetachNetwork, true, why)
	}
}

// implicitDetach: the implicit detach timer expired (TS 24.301 §5.3.5,
// TS 23.401 §5.3.8.3 "implicit detach"): no NAS; the SGW sessions are
// deleted, Purge-UE if configured.
func (m *Machine) implicitDetach() {
	if m.s.EMM != EMMRegistered || m.s.Proc != ProcNone {
		m.anomaly(&TimerExpired{Now: m.now, ID: TImplicitDetach}, "implicit detach outside EMM-REGISTERED idle")
		return
	}
	m.begin(ProcDetachImplicit, WaitNone)
	m.rd.Started = append(m.rd.Started, ProcDetachImplicit)
	m.setEMM(EMMDeregistered)
	if len(m.s.PDNs) > 0 {
		m.deleteSessions(gtpNoCause, false)
	}
	if m.s.Outstanding > 0 {
		m.await(WaitDSR, 0)
		return
	}
	m.detachImplicitDone()
}

func (m *Machine) detachImplicitDone() {
	m.outcome(ProcDetachImplicit, true, "")
	m.end()
	m.purge()
}
