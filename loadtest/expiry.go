package loadtest

import "time"

// onExpiry runs what a timer's expiry does (the table in ue.go, TS 24.301
// §10.2).
func (w *worker) onExpiry(ue uint32, k timerKind) {
	u := &w.sim.ues[ue]
	switch k {
	case tT3410:
		if u.proc == ProcAttach {
			w.onT3410(ue)
		}
	case tT3411, tT3402:
		// TS 24.301 §5.5.1.2.6, §5.5.3.2.6: try again.
		r := u.retry
		u.retry = 0
		switch {
		case r == ProcAttach && u.emm == EMMDeregistered && u.proc == 0:
			w.startAttach(ue)
		case r == ProcPeriodicTAU && u.emm == EMMRegistered && u.proc == 0:
			w.startTAU(ue, ProcPeriodicTAU)
		}
	case tT3417:
		if u.emm == EMMServiceRequestInitiated {
			w.onT3417(ue)
		}
	case tT3418, tT3420:
		if u.proc != 0 {
			w.onAuthTimer(ue, k)
		}
	case tT3421:
		if u.proc == ProcDetach && u.emm == EMMDeregisteredInitiated {
			w.onT3421(ue)
		}
	case tT3430:
		if u.emm == EMMTrackingAreaUpdatingInitiated {
			w.onT3430(ue)
		}
	case tT3412:
		// TS 24.301 §5.3.5: periodic TAU (later if something is running).
		if u.emm != EMMRegistered || u.conn >= 0 || w.sim.stopping.Load() {
			return
		}
		if u.proc != 0 || u.tkind[slotGuard] != tNone {
			w.startTimer(ue, slotIdle, tT3412, time.Second)
			return
		}
		w.startTAU(ue, ProcPeriodicTAU)
	case tInactivity:
		c := w.connOf(u)
		if c == nil || !c.hasMME || c.pendingRel || c.ho.active || w.sim.stopping.Load() {
			return
		}
		if u.proc != 0 || u.next != 0 {
			w.armInactivity(ue, u)
			return
		}
		w.startS1Release(ue, ProcS1Release)
	case tT3440:
		if c := w.connOf(u); c != nil && c.pendingRel && u.proc == 0 {
			// The UE leaves RRC_CONNECTED; its eNodeB asks the MME to
			// release (radio connection with UE lost).
			w.sim.countError("loadtest: T3440 expired: connection released locally")
			c.pendingRel = false
			w.abortConnection(ue)
		}
	case tHOPrep:
		next := u.next
		u.next = 0
		w.inflight--
		c := w.connOf(u)
		if (next == ProcX2Handover || next == ProcS1Handover) && u.proc == 0 && u.emm == EMMRegistered && c != nil && !c.pendingRel {
			w.start(ue, next)
		} else if next != 0 {
			// Released (or detached) meanwhile: the handover never
			// started.
			w.begin(ue, next)
			w.fail(ue, "connection_gone_before_handover")
		}
	case tProcGuard:
		if u.proc != 0 {
			p := u.proc
			if u.emm == EMMDeregistered && p == ProcDetach {
				// A switch-off detach the MME never released.
				w.fail(ue, "no_release_after_switch_off")
				w.abortConnection(ue)
				return
			}
			if c := w.connOf(u); c != nil && c.ho.active {
				w.sim.dropHandover(ue, c)
				c.ho = hoState{}
			}
			w.fail(ue, "timeout")
		}
	}
}
