package session

import (
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
)

// startGUTIReallocation runs the GUTI reallocation procedure on its own
// (TS 24.301 §5.4.1.2): GUTI REALLOCATION COMMAND with a new GUTI and TAI
// list, ciphered, guarded by T3450. It needs the NAS signalling connection
// and no other procedure; the policy (Config.GUTIReallocation) runs it
// after a service request.
func (m *Machine) startGUTIReallocation() {
	if m.s.ECM != ECMConnected || m.s.Releasing || m.s.Proc != ProcNone || m.s.EMM != EMMRegistered || !m.protectNow() {
		return
	}
	m.begin(ProcGUTIReallocation, WaitGUTIReallocComplete)
	m.rd.Started = append(m.rd.Started, ProcGUTIReallocation)
	m.allocateGUTI(true)
	cmd := &nas.GUTIReallocationCommand{GUTI: m.s.GUTI,
		TAIList: nas.TAIList{{Type: nas.TAIListNonConsecutive, TAIs: m.s.TAIList}}}
	if m.guard(T3450, cmd, false) == nil {
		m.abortIdleProc("guti_reallocation_not_sent")
	}
}

// gutiReallocationComplete is GUTI REALLOCATION COMPLETE (TS 24.301
// §5.4.1.4): T3450 stops, the new GUTI is the only valid one.
func (m *Machine) gutiReallocationComplete(ev *nasEvent) {
	if m.s.Proc != ProcGUTIReallocation || m.s.Wait != WaitGUTIReallocComplete {
		m.notCompatible(ev)
		return
	}
	m.stopTimer(T3450)
	m.clearRetx()
	m.newGUTIConfirmed()
	m.outcome(ProcGUTIReallocation, true, "")
	m.endIdleProc()
}

// t3450ExpiredIdle is the fifth T3450 expiry of a TAU or GUTI
// reallocation (TS 24.301 §5.5.3.2.7 c, §5.4.1.6 b): the procedure is
// aborted; the old and the new GUTI both stay valid (and indexed) until
// the UE uses one of them (gutiUsed). A TAU from ECM-IDLE still releases
// the connection.
func (m *Machine) t3450ExpiredIdle() {
	release := m.s.Proc == ProcTAU && m.s.TAURelease
	m.abortIdleProc("t3450_expiry")
	if release {
		m.releaseConnection(nasCause(s1ap.CauseNasNormalRelease))
	}
}

// Old and new GUTI (docs/design/session.md "Old and new GUTI").
//
// TS 24.301 §5.5.3.2.4 (TAU), §5.4.1.4 (GUTI reallocation) and §5.5.1.2.4
// (attach): the MME considers the old GUTI valid until the UE confirms
// the new one with its COMPLETE. When the procedure ends without it (the
// fifth T3450 expiry, a lower layer failure: §5.5.3.2.7 c, §5.4.1.6 a and
// b, §5.5.1.2.7 c) "the old and the new GUTI shall be considered as valid
// until the old GUTI can be considered as invalid by the network". This
// MME considers a GUTI invalid once the UE names the other one in a
// message that passes its integrity check (gutiUsed): the UE keeps one
// GUTI (§5.5.3.2.4: it replaces the old on receipt of the new), so the
// one it names is the one it holds, and only the UE can protect the
// message. A message that fails the check decides nothing: it may not
// come from the UE.

// keepOldGUTI prepares the allocation of a new GUTI: with keep, the
// current GUTI becomes the old one, valid until the UE confirms the new
// one; without (an attach by IMSI: the UE holds no GUTI of ours), no old
// GUTI is kept. A GUTI already pending (the UE confirmed none since the
// last allocation, nor named one in a protected message: an
// authentication after a failed integrity check) is dropped and the older
// one kept: the UE surely held it once, while the pending one may never
// have reached it.
func (m *Machine) keepOldGUTI(keep bool) {
	switch {
	case !keep || !m.s.HasGUTI:
		m.s.OldGUTI, m.s.HasOldGUTI = nas.GUTI{}, false
	case !m.s.HasOldGUTI:
		m.s.OldGUTI, m.s.HasOldGUTI = m.s.GUTI, true
	}
	m.touch()
}

// newGUTIConfirmed is the UE's confirmation of the GUTI last sent (ATTACH
// COMPLETE, TRACKING AREA UPDATE COMPLETE, GUTI REALLOCATION COMPLETE):
// the old GUTI is invalid (TS 24.301 §5.4.1.4, §5.5.1.2.4, §5.5.3.2.4)
// and its index entry goes with the next write of the record.
func (m *Machine) newGUTIConfirmed() {
	if m.s.HasOldGUTI {
		m.s.OldGUTI, m.s.HasOldGUTI = nas.GUTI{}, false
		m.touch()
	}
}

// gutiUsed is the UE naming the M-TMSI of a GUTI of this MME (the S-TMSI
// of INITIAL UE MESSAGE, the old GUTI of TRACKING AREA UPDATE REQUEST, the
// GUTI of ATTACH REQUEST) in a message that passed its integrity check.
// While an old GUTI is pending, the one named is the one the UE holds and
// the other becomes invalid: the new one named, the UE got it and only
// its COMPLETE was lost (the old one is invalid, as §5.4.1.4 on
// completion); the old one named, the new one never reached the UE
// (TAU ACCEPT or GUTI REALLOCATION COMMAND lost: §5.5.3.2.7 c, §5.4.1.6)
// and is dropped, the UE keeps its GUTI until the next allocation.
func (m *Machine) gutiUsed(mtmsi uint32) {
	if !m.s.HasOldGUTI {
		return
	}
	switch mtmsi {
	case m.s.GUTI.MTMSI:
		m.newGUTIConfirmed()
	case m.s.OldGUTI.MTMSI:
		m.s.GUTI, m.s.OldGUTI, m.s.HasOldGUTI = m.s.OldGUTI, nas.GUTI{}, false
		m.touch()
	}
}
