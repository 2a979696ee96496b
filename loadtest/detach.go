package loadtest

import (
	"time"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
)

// startDetach runs the UE-initiated detach (TS 24.301 §5.5.2.2.1): DETACH
// REQUEST (EPS detach; switch-off per profile) with the GUTI, integrity
// protected (and ciphered on an established connection); T3421 guards a
// normal detach. A switch-off detach has no answer: it ends when the MME
// releases the connection.
func (w *worker) startDetach(ue uint32) {
	u := &w.sim.ues[ue]
	switchOff := w.sim.profiles[u.profile].p.Detach == "switch_off"
	w.begin(ue, ProcDetach)
	u.retx = 0
	// A TAU back-off (T3411, T3402) ends here: the detach replaces the
	// retry (its guard takes the timer slot).
	u.retry = 0
	c := w.connOf(u)
	initial := c == nil
	if initial {
		if c = w.connect(ue, true, s1ap.RRCEstablishmentCauseMoSignalling); c == nil {
			return
		}
		w.loadSecurity(u, c)
	}
	m := w.detachRequest(u, c, switchOff)
	if initial {
		w.sendInitialUE(ue, c, w.initialNAS(c, m), m, s1ap.RRCEstablishmentCauseMoSignalling, true)
	} else {
		w.sendNAS(ue, c, m)
	}
	if switchOff {
		// TS 24.301 §5.5.2.2.1: a switched-off UE does not wait.
		u.emm = EMMDeregistered
		u.bearers = 0
		w.startTimer(ue, slotGuard, tProcGuard, w.sim.timer(tProcGuard))
		return
	}
	u.emm = EMMDeregisteredInitiated
	w.startTimer(ue, slotGuard, tT3421, w.sim.timer(tT3421))
}

func (w *worker) detachRequest(u *UE, c *conn, switchOff bool) *nas.DetachRequestUEOriginating {
	id := nas.EPSMobileIdentity{Type: nas.EPSIdentityIMSI, Digits: u.IMSI()}
	if u.flags&hasGUTI != 0 {
		id = nas.EPSMobileIdentity{Type: nas.EPSIdentityGUTI, GUTI: w.guti(u)}
	}
	return &nas.DetachRequestUEOriginating{DetachType: nas.DetachType{SwitchOff: switchOff, Type: nas.EPSDetach},
		NASKeySetIdentifier: w.ksi(c), EPSMobileIdentity: id}
}

// onDetachAccept completes a normal detach (TS 24.301 §5.5.2.2.2): stop
// T3421, deactivate the bearers, EMM-DEREGISTERED. The UE keeps its GUTI
// and native security context for the next attach.
func (w *worker) onDetachAccept(ue uint32) {
	u := &w.sim.ues[ue]
	if u.emm != EMMDeregisteredInitiated {
		w.sim.countError("nas: DETACH ACCEPT outside a detach")
		return
	}
	u.emm = EMMDeregistered
	u.bearers, u.defEBI, u.auxEBI = 0, 0, 0
	u.flags &^= auxSecondPDN | dedicated
	w.succeed(ue)
}

// onT3421 retransmits DETACH REQUEST; on the fifth expiry the UE detaches
// locally (TS 24.301 §5.5.2.2.4 c).
func (w *worker) onT3421(ue uint32) {
	u := &w.sim.ues[ue]
	c := w.connOf(u)
	if u.retx >= maxDetachRetx || c == nil {
		u.emm = EMMDeregistered
		u.bearers = 0
		w.fail(ue, "T3421_expiry")
		w.abortConnection(ue)
		return
	}
	u.retx++
	w.sendNAS(ue, c, w.detachRequest(u, c, false))
	w.startTimer(ue, slotGuard, tT3421, w.sim.timer(tT3421))
}

// onNetworkDetach answers a network-initiated DETACH REQUEST (TS 24.301
// §5.5.2.3.2) with DETACH ACCEPT; "re-attach required" starts an attach
// once the connection is released.
func (w *worker) onNetworkDetach(ue uint32, c *conn, m *nas.DetachRequestUETerminated) {
	u := &w.sim.ues[ue]
	w.sendNAS(ue, c, &nas.DetachAccept{})
	if u.proc != 0 {
		w.fail(ue, "network_detach")
	}
	u.emm = EMMDeregistered
	u.bearers, u.defEBI, u.auxEBI = 0, 0, 0
	u.flags &^= auxSecondPDN | dedicated
	w.sim.countError("nas: network-initiated detach (type " + itoa(int(m.DetachType.Type)) + ")")
	if m.DetachType.Type == nas.ReattachRequired {
		u.retry = ProcAttach
		w.startTimer(ue, slotGuard, tT3411, time.Second) // once the release is through
	}
}
