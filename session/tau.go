package session

import (
	"slices"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
)

// trackingAreaUpdateRequest is TRACKING AREA UPDATE REQUEST (TS 24.301
// §5.5.3.2, TS 23.401 §5.3.3.2 intra-MME), normal or periodic, from
// ECM-IDLE (INITIAL UE MESSAGE) or on an existing connection (after a
// handover). Accepted with a new GUTI and TAI list (TAU COMPLETE awaited
// under T3450); with the active flag, or downlink data waiting for the
// paged UE, the bearers are set up after it; a TAU from ECM-IDLE without
// them ends with the release of the connection.
//
// A request that fails the integrity check from a UE this MME knows is
// accepted after authentication and security mode control (§5.5.3.2.4,
// reauth.go). Rejected (§5.5.3.2.5) with #9 when this MME has no context
// for the GUTI, #10 when the UE is known but not attached, #12 in a
// tracking area this MME does not serve.
func (m *Machine) trackingAreaUpdateRequest(ev *nasEvent, msg *nas.TrackingAreaUpdateRequest) {
	switch {
	case m.s.Proc == ProcAttach:
		// A UE that sends TAU before its attach completed: the attach is
		// aborted (its PDN connection deleted) and the UE told to attach
		// again.
		m.abortAttach("tau_during_attach", false)
		m.tauReject(nas.EMMCauseImplicitlyDetached, "not_attached")
		return
	case m.s.IMSI == "":
		// §5.5.3.2.5 #9: a GUTI this MME cannot map to a UE.
		m.tauReject(nas.EMMCauseUEIdentityCannotBeDerived, "unknown_guti")
		return
	case m.s.EMM != EMMRegistered:
		m.tauReject(nas.EMMCauseImplicitlyDetached, "not_attached")
		return
	case !slices.Contains(m.cfg.TAIs, ev.loc.TAI):
		m.tauReject(nas.EMMCauseTrackingAreaNotAllowed, "tai_not_served")
		return
	case m.s.Proc == ProcDetachUE || m.s.Proc == ProcDetachNetwork || m.s.Proc == ProcDetachImplicit:
		m.anomaly(ev, "TRACKING AREA UPDATE REQUEST while detaching: ignored")
		return
	case !ev.initial && m.s.Releasing:
		// The connection is being released: no accept can go out on it,
		// so no new GUTI may be allocated (the UE would keep the old one
		// the MME forgot). The UE sends it again on a new connection
		// (TS 24.301 §5.5.3.2.6 a, lower layer failure).
		m.anomaly(ev, "TRACKING AREA UPDATE REQUEST on a connection being released: ignored")
		return
	}
	m.supersede("tau")
	m.begin(ProcTAU, WaitNone)
	m.rd.Started = append(m.rd.Started, ProcTAU)
	// TS 23.401 §5.3.4.3: a paged UE that answers with a TAU gets its
	// user plane set up (the downlink data waits at the SGW).
	paged := m.s.PagingAttempts > 0
	m.pagingAnswered()
	m.s.TAUActive = msg.EPSUpdateType.Active || paged
	m.s.TAURelease = ev.initial && !m.s.TAUActive
	if len(msg.UENetworkCapability) > 0 {
		m.s.UENetworkCapability = append(m.s.UENetworkCapability[:0], msg.UENetworkCapability...)
	}
	if d := msg.DRXParameter; d != nil {
		m.s.DRX = []byte{d.SplitPGCycleCode, d.CNSpecificDRXCycle<<4 | d.NonDRXTimer | boolBit(d.SplitOnCCCH, 8)}
	}
	if m.sec == nil || !ev.integrity {
		// TS 24.301 §5.5.3.2.4: authentication and security mode control
		// first; tauAccept follows SECURITY MODE COMPLETE (reauth.go).
		m.reauthenticate(ev, "TRACKING AREA UPDATE REQUEST")
		return
	}
	// guti.go: the old GUTI IE names the GUTI the UE holds.
	if msg.OldGUTI.MMECode == m.cfg.MMECode && msg.OldGUTI.MMEGroupID == m.cfg.MMEGroupID && msg.OldGUTI.PLMN == m.cfg.PLMN {
		m.gutiUsed(msg.OldGUTI.MTMSI)
	}
	if m.reauthDue() { // reauth.go: tauAccept follows SECURITY MODE COMPLETE
		return
	}
	m.tauAccept()
}

// tauAccept sends TRACKING AREA UPDATE ACCEPT with a new GUTI and TAI list
// (TS 24.301 §5.5.3.2.4) for the TAU in progress, T3450.
func (m *Machine) tauAccept() {
	m.allocateGUTI(true)
	status := m.bearerStatus()
	acc := &nas.TrackingAreaUpdateAccept{
		EPSUpdateResult:        nas.TAUpdated,
		GUTI:                   &m.s.GUTI,
		TAIList:                nas.TAIList{{Type: nas.TAIListNonConsecutive, TAIs: m.s.TAIList}},
		EPSBearerContextStatus: &status,
		EPSNetworkFeatureSupport: nas.EPSNetworkFeatureSupport{
			boolBit(m.cfg.IMSVoPS, 1) | boolBit(m.cfg.EmergencyBearerServices, 2)},
	}
	t := gprsTimer(m.t3412())
	acc.T3412Value = &t
	// TS 24.301 §5.5.3.2.4: a new GUTI is acknowledged with TRACKING AREA
	// UPDATE COMPLETE, T3450 guards the accept.
	m.await(WaitTAUComplete, 0)
	if m.guard(T3450, acc, false) == nil {
		m.failIdleProc("tau_accept_not_sent", nasCause(s1ap.CauseNasUnspecified))
	}
}

// tauComplete is TRACKING AREA UPDATE COMPLETE (TS 24.301 §5.5.3.2.4):
// the new GUTI is in use. With the active flag the bearers are set up
// next; otherwise the TAU is done.
func (m *Machine) tauComplete(ev *nasEvent) {
	if m.s.Proc != ProcTAU || m.s.Wait != WaitTAUComplete {
		m.notCompatible(ev)
		return
	}
	m.stopTimer(T3450)
	m.clearRetx()
	m.newGUTIConfirmed()
	if m.s.TAUActive && m.s.ECM == ECMConnected {
		m.setUpBearers()
		return
	}
	m.outcome(ProcTAU, true, "")
	m.endIdleProc()
}

// tauReject sends TRACKING AREA UPDATE REJECT (TS 24.301 §5.5.3.2.5) and
// releases the connection; the attempt counts as a failed TAU.
func (m *Machine) tauReject(cause nas.EMMCause, why string) {
	m.rd.Started = append(m.rd.Started, ProcTAU)
	m.outcomeFrom(ProcTAU, false, "emm:#"+itoa(int(cause))+":"+why, m.now)
	m.sendNAS(&nas.TrackingAreaUpdateReject{EMMCause: cause}, false)
	m.releaseConnection(nasCause(s1ap.CauseNasNormalRelease))
}

// allocateGUTI gives the UE a new GUTI with this MME's GUMMEI and a TAI
// list around its current TAI (TS 24.301 §5.4.1, §5.5.3.2.4; TS 23.003
// §2.8). The store indexes the new M-TMSI once the record is written.
//
// keepOld: the UE holds a GUTI of this MME (TAU, GUTI reallocation, an
// attach by GUTI), which stays valid beside the new one until the UE
// confirms or uses one of them (guti.go keepOldGUTI).
func (m *Machine) allocateGUTI(keepOld bool) {
	m.keepOldGUTI(keepOld)
	m.s.GUTI = nas.GUTI{PLMN: m.cfg.PLMN, MMEGroupID: m.cfg.MMEGroupID, MMECode: m.cfg.MMECode, MTMSI: m.alloc.MTMSI()}
	m.s.HasGUTI = true
	m.s.TAIList = m.taiList()
	m.s.ServiceRequests = 0
	m.touch()
}

// bearerStatus is the EPS bearer context status IE of the bearers the MME
// holds (TS 24.301 §9.9.2.1): the UE deactivates the others locally. A
// bearer still being activated (BEARER CONTEXT ACTIVE PENDING: a Create
// Bearer Request waiting for the paged UE) is not active yet.
func (m *Machine) bearerStatus() nas.EPSBearerContextStatus {
	var s nas.EPSBearerContextStatus
	for _, p := range m.s.PDNs {
		for _, b := range p.Bearers {
			if b.EBI < 16 && b.State != BearerInactive && b.State != BearerActivePending {
				s |= 1 << b.EBI
			}
		}
	}
	return s
}
