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
	m.allocateGUTI()
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
	m.outcome(ProcGUTIReallocation, true, "")
	m.endIdleProc()
}

// t3450ExpiredIdle is the fifth T3450 expiry of a TAU or GUTI
// reallocation (TS 24.301 §5.5.3.2.7 c, §5.4.1.5 c): the procedure is
// aborted; the new GUTI stays allocated (the UE may use either, and the
// store indexes the new one). A TAU from ECM-IDLE still releases the
// connection.
func (m *Machine) t3450ExpiredIdle() {
	release := m.s.Proc == ProcTAU && m.s.TAURelease
	m.abortIdleProc("t3450_expiry")
	if release {
		m.releaseConnection(nasCause(s1ap.CauseNasNormalRelease))
	}
}
