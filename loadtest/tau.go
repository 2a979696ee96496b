package loadtest

import (
	"time"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
)

// startTAU runs the UE side of the tracking area updating procedure (TS
// 24.301 §5.5.3.2.2). A normal TAU first moves the UE to a cell outside
// its TAI list when the run has one (the reason a real UE sends it); a
// periodic one keeps the cell (T3412 expiry, §5.3.5). From ECM-IDLE the
// request goes in INITIAL UE MESSAGE with the S-TMSI, integrity protected
// with the current context (plain if there is none); T3430 guards it.
func (w *worker) startTAU(ue uint32, p Procedure) {
	u := &w.sim.ues[ue]
	w.begin(ue, p)
	u.emm = EMMTrackingAreaUpdatingInitiated
	typ := nas.TAUpdating
	if p == ProcPeriodicTAU {
		typ = nas.PeriodicUpdating
	} else if u.conn < 0 {
		w.moveOutsideTAIList(u)
	}
	c := w.connOf(u)
	initial := c == nil
	if initial {
		if c = w.connect(ue, true, s1ap.RRCEstablishmentCauseMoSignalling); c == nil {
			u.emm = EMMRegistered
			return
		}
		w.loadSecurity(u, c)
		c.tauIdle = true // no active flag: the MME releases after the TAU
	}
	st := nas.EPSBearerContextStatus(u.bearers)
	prof := &w.sim.profiles[u.profile]
	m := &nas.TrackingAreaUpdateRequest{EPSUpdateType: nas.EPSUpdateType{Value: typ}, NASKeySetIdentifier: w.ksi(c),
		OldGUTI: w.guti(u), UENetworkCapability: prof.netCap, EPSBearerContextStatus: &st}
	if initial {
		w.sendInitialUE(ue, c, w.initialNAS(c, m), m, s1ap.RRCEstablishmentCauseMoSignalling, true)
	} else {
		w.sendNAS(ue, c, m)
	}
	w.startTimer(ue, slotGuard, tT3430, w.sim.timer(tT3430))
}

// moveOutsideTAIList camps the UE on a cell whose TAI is not in its TAI
// list (TS 24.301 §5.5.3.2.2 a), preferring another cell of its eNodeB,
// else another eNodeB's; it stays put when every TAI of the run is
// registered.
func (w *worker) moveOutsideTAIList(u *UE) {
	s := w.sim
	n := len(s.enbs)
	start := w.rng.IntN(n)
	for k := 0; k < n; k++ {
		ei := (int(u.enb) + k + start*min(k, 1)) % n
		e := s.enbs[ei]
		for ci, c := range e.cells {
			if u.taiMask&(1<<c.tai) == 0 {
				u.enb, u.cell = uint16(ei), uint8(ci)
				return
			}
		}
	}
}

// onTAUAccept completes the TAU (TS 24.301 §5.5.3.2.4): new TAI list, T3412,
// GUTI (acknowledged with TRACKING AREA UPDATE COMPLETE).
func (w *worker) onTAUAccept(ue uint32, c *conn, m *nas.TrackingAreaUpdateAccept) {
	u := &w.sim.ues[ue]
	if u.emm != EMMTrackingAreaUpdatingInitiated {
		w.sim.countError("nas: TAU ACCEPT outside a TAU")
		return
	}
	w.stopTimer(u, slotGuard)
	if m.TAIList != nil {
		w.setTAIList(u, m.TAIList)
	}
	if m.T3412Value != nil {
		if s, ok := m.T3412Value.Seconds(); ok {
			u.t3412 = s
		}
	}
	if m.EPSBearerContextStatus != nil {
		// TS 24.301 §5.5.3.2.4: bearers the network does not have are
		// deactivated locally.
		u.bearers &= uint16(*m.EPSBearerContextStatus)
	}
	if m.GUTI != nil {
		w.setGUTI(ue, *m.GUTI)
		w.sendNAS(ue, c, &nas.TrackingAreaUpdateComplete{})
	}
	u.emm = EMMRegistered
	u.attempts = 0
	if c.tauIdle {
		// TS 24.301 §5.5.3.2.4, TS 23.401 §5.3.3.2 step 21: the network
		// releases the connection; the UE starts nothing on it meanwhile,
		// and releases it locally if the network does not (T3440).
		c.pendingRel = true
		w.succeed(ue)
		w.startTimer(ue, slotIdle, tT3440, w.sim.timer(tT3440)) // after succeed's inactivity timer
		return
	}
	w.succeed(ue)
}

// onTAUReject: TS 24.301 §5.5.3.2.5. #9 and #10: the UE deletes its
// registration and enters EMM-DEREGISTERED (it attaches again); #3, #6,
// #7, #8: USIM invalid; others count an attempt.
func (w *worker) onTAUReject(ue uint32, m *nas.TrackingAreaUpdateReject) {
	u := &w.sim.ues[ue]
	if u.emm != EMMTrackingAreaUpdatingInitiated {
		w.sim.countError("nas: TAU REJECT outside a TAU")
		return
	}
	w.stopTimer(u, slotGuard)
	w.fail(ue, "tau_reject:#"+itoa(int(m.EMMCause)))
	switch m.EMMCause {
	case nas.EMMCauseUEIdentityCannotBeDerived, nas.EMMCauseImplicitlyDetached:
		w.forgetRegistration(ue, m.EMMCause == nas.EMMCauseUEIdentityCannotBeDerived)
		u.emm = EMMDeregistered
	case nas.EMMCauseIllegalUE, nas.EMMCauseIllegalME, nas.EMMCauseEPSServicesNotAllowed,
		nas.EMMCauseEPSAndNonEPSServicesNotAllowed:
		w.forgetRegistration(ue, true)
		u.flags |= usimInvalid
		u.emm = EMMDeregistered
	default:
		u.emm = EMMRegistered
		w.afterTAUFailure(ue)
	}
}

// onT3430: TS 24.301 §5.5.3.2.6 c: abort, release, retry after T3411.
func (w *worker) onT3430(ue uint32) {
	u := &w.sim.ues[ue]
	u.emm = EMMRegistered
	w.fail(ue, "T3430_expiry")
	w.abortConnection(ue)
	w.afterTAUFailure(ue)
}

func (w *worker) afterTAUFailure(ue uint32) {
	u := &w.sim.ues[ue]
	if !w.sim.profiles[u.profile].retry {
		return
	}
	u.attempts++
	u.retry = ProcPeriodicTAU
	d := w.sim.timer(tT3411)
	if u.attempts >= maxAttempts {
		u.attempts = 0
		d = w.sim.timer(tT3402)
		w.startTimer(ue, slotGuard, tT3402, d)
		return
	}
	w.startTimer(ue, slotGuard, tT3411, d)
}

var _ = time.Second
