package session

import (
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
)

// Re-authentication within a TRACKING AREA UPDATE REQUEST or a (EXTENDED)
// SERVICE REQUEST that failed the integrity check (TS 24.301 §5.5.3.2.4:
// "If the TRACKING AREA UPDATE REQUEST message fails the integrity check,
// the MME shall initiate the authentication and security mode control
// procedures"; §5.6.1.4 and §4.4.4.3 for the service request): the UE is
// identified by its GUTI/S-TMSI, so the attach's EPS-AKA (auth.go: AIR,
// AUTHENTICATION REQUEST, T3460) and security mode control (smc.go) run
// inside the TAU or service request (Proc stays ProcTAU /
// ProcServiceRequest, EMM-COMMON-PROCEDURE-INITIATED meanwhile); on
// SECURITY MODE COMPLETE the new context is current and the request goes
// on as if it had passed the check. A UE this MME cannot identify (unknown
// GUTI or S-TMSI) is still rejected with #9.
//
// A failure does not detach the UE here: the request that failed the
// check may not have come from the UE at all, and detaching on it would
// let anyone detach a subscriber by S-TMSI. The procedure fails, the
// connection is released, and the UE keeps its EMM-REGISTERED context (an
// implicit detach ends it if the UE is really gone).

// reauthenticating reports whether the procedure in progress is a TAU or
// service request running the common procedures of a re-authentication.
func (m *Machine) reauthenticating() bool {
	if m.s.Proc != ProcTAU && m.s.Proc != ProcServiceRequest {
		return false
	}
	switch m.s.Wait {
	case WaitAIA, WaitAuthResponse, WaitSMComplete:
		return true
	}
	return false
}

// reauthenticate starts EPS-AKA for the TAU or service request in
// progress (begun by the caller).
func (m *Machine) reauthenticate(ev *nasEvent, what string) {
	m.anomaly(ev, what+" failed the integrity check: re-authentication (TS 24.301 §5.5.3.2.4, §5.6.1.4)")
	m.s.Resynced = false
	m.authenticate() // auth.go
}

// reauthDue counts a TAU or service request that passed its integrity
// check against the re-authentication policy (Config.Reauthentication)
// and reports whether this one is to re-authenticate; if so EPS-AKA starts
// (the caller has begun its procedure), and the request goes on after
// SECURITY MODE COMPLETE as for an integrity failure.
func (m *Machine) reauthDue() bool {
	m.s.SinceAuth++
	m.touch()
	if n := m.cfg.Reauthentication; n == 0 || m.s.SinceAuth < n {
		return false
	}
	m.s.Resynced = false
	m.authenticate() // auth.go
	return true
}

// reauthenticated: SECURITY MODE COMPLETE of a re-authentication: the UE
// is registered with the new context and its request goes on.
func (m *Machine) reauthenticated() {
	m.setEMM(EMMRegistered)
	m.s.Wait = WaitNone
	m.touch()
	switch m.s.Proc {
	case ProcTAU:
		m.tauAccept() // tau.go
	case ProcServiceRequest:
		m.setUpBearers() // service.go
	}
}

// reauthReject ends the re-authentication with TRACKING AREA UPDATE
// REJECT or SERVICE REJECT carrying cause (the HSS refused or did not
// answer, TS 29.272 Annex A; no common security algorithm, #23) and
// releases the connection; the UE stays EMM-REGISTERED here.
func (m *Machine) reauthReject(cause nas.EMMCause, why string) {
	p := m.s.Proc
	m.reauthAbort(why)
	if p == ProcTAU {
		m.sendNAS(&nas.TrackingAreaUpdateReject{EMMCause: cause}, false)
	} else {
		m.sendNAS(&nas.ServiceReject{EMMCause: cause}, false)
	}
	m.releaseConnection(nasCause(s1ap.CauseNasNormalRelease))
}

// reauthAuthenticationReject: the UE failed EPS-AKA (RES mismatch, MAC
// failure, a second synch failure, TS 24.301 §5.4.2.5): AUTHENTICATION
// REJECT, the request fails, the connection is released with cause
// authentication failure; the MME's context stays (see above).
func (m *Machine) reauthAuthenticationReject(why string) {
	m.reauthAbort(why)
	m.sendNAS(&nas.AuthenticationReject{}, false)
	m.releaseConnection(nasCause(s1ap.CauseNasAuthenticationFailure))
}

// reauthAbort ends the TAU or service request of a re-authentication as
// failed (T3460 expired a fifth time, SECURITY MODE REJECT, or before a
// reject): the pending context is dropped, the UE is EMM-REGISTERED again.
func (m *Machine) reauthAbort(why string) {
	m.stopNASTimers()
	m.s.NewSecurity, m.s.AuthVector = nil, Vector{}
	m.setEMM(EMMRegistered)
	m.abortIdleProc(why) // service.go
}
