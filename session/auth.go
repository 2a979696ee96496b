package session

import (
	"crypto/subtle"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/s6a"
)

// authenticate runs EPS-AKA (TS 33.401 §6.1, TS 24.301 §5.4.2) with a
// stored vector, or asks the HSS for vectors first (TS 29.272 §5.2.3.1).
func (m *Machine) authenticate() {
	if len(m.s.Vectors) > 0 {
		v := m.s.Vectors[0]
		m.s.Vectors = append(m.s.Vectors[:0], m.s.Vectors[1:]...)
		m.authenticationRequest(v)
		return
	}
	m.authenticationInformation(nil)
}

// authenticationInformation sends Authentication-Information-Request,
// with Re-Synchronization-Info = RAND || AUTS after a synch failure
// (TS 29.272 §7.3.15, TS 33.102 §6.3.5).
func (m *Machine) authenticationInformation(resync []byte) {
	txn := m.nextTxn()
	air := &s6a.AIR{IMSI: m.s.IMSI, VisitedPLMNID: m.cfg.PLMN,
		EUTRAN: &s6a.RequestedEUTRANAuthInfo{NumberOfRequestedVectors: m.cfg.AuthVectors, ImmediateResponsePreferred: true,
			ResynchronizationInfo: resync}}
	if resync != nil {
		// TS 29.272 §5.2.3.1.2: one vector is enough after a resync; the
		// stored ones carry stale SQNs.
		air.EUTRAN.NumberOfRequestedVectors = 1
		m.s.Vectors = nil
	}
	m.effect(SendS6a{Txn: txn, Msg: air})
	m.await(WaitAIA, txn)
}

// authInfoAnswer: TS 29.272 §5.2.3.1.3; failures map to ATTACH REJECT by
// Annex A (no answer: #17).
func (m *Machine) authInfoAnswer(e *AuthInfoAnswer) {
	if !m.expected(e, WaitAIA, e.Txn) {
		return
	}
	reject := m.rejectAttach
	if m.reauthenticating() {
		// A TAU or service request: TAU REJECT / SERVICE REJECT (reauth.go).
		reject = func(c nas.EMMCause, why string, _ *nas.PDNConnectivityReject) { m.reauthReject(c, why) }
	}
	switch {
	case e.Err != nil:
		reject(nas.EMMCauseNetworkFailure, "s6a:no_answer", nil)
		return
	case !e.AIA.Result.IsSuccess():
		c, _ := s6a.EMMCauseFor(e.AIA.Result)
		reject(nas.EMMCause(c), "s6a:"+itoa(int(e.AIA.Result.Code)), nil)
		return
	case len(e.AIA.Vectors) == 0:
		// TS 29.272 §5.2.3.1.3: success without vectors is unusable.
		reject(nas.EMMCauseNetworkFailure, "s6a:no_vectors", nil)
		return
	}
	vs := make([]Vector, 0, len(e.AIA.Vectors))
	for _, v := range e.AIA.Vectors {
		vs = append(vs, Vector{RAND: v.RAND, XRES: append([]byte(nil), v.XRES...), AUTN: v.AUTN, KASME: v.KASME})
	}
	m.s.Vectors = vs[1:]
	m.authenticationRequest(vs[0])
}

// authenticationRequest sends AUTHENTICATION REQUEST with a new eKSI
// (TS 24.301 §5.4.2.2, §9.9.3.21: a value other than the current one).
func (m *Machine) authenticationRequest(v Vector) {
	ksi := uint8(0)
	if m.sec != nil {
		ksi = (m.sec.KSI().Value + 1) % security.NoKeyAvailable
	}
	m.s.AuthVector, m.s.AuthKSI = v, ksi
	m.setEMM(EMMCommonProcedureInitiated)
	m.await(WaitAuthResponse, 0)
	m.guard(T3460, &nas.AuthenticationRequest{
		NASKeySetIdentifierASME: nas.NASKeySetIdentifier{TSC: nas.NativeSecurityContext, KSI: ksi},
		RAND:                    v.RAND, AUTN: v.AUTN,
	}, false)
}

// authenticationResponse is AUTHENTICATION RESPONSE (TS 24.301 §5.4.2.4):
// RES = XRES completes EPS-AKA and the security mode control follows
// (§5.4.3); otherwise AUTHENTICATION REJECT (§5.4.2.5).
func (m *Machine) authenticationResponse(ev *nasEvent, msg *nas.AuthenticationResponse) {
	if m.s.Wait != WaitAuthResponse {
		m.notCompatible(ev)
		return
	}
	m.stopTimer(T3460)
	m.clearRetx()
	x := m.s.AuthVector.XRES
	if len(x) == 0 || len(msg.RES) != len(x) || subtle.ConstantTimeCompare(msg.RES, x) != 1 {
		m.authenticationReject("auth:res_mismatch")
		return
	}
	m.securityModeCommand()
}

// authenticationFailure is AUTHENTICATION FAILURE (TS 24.301 §5.4.2.6 c-e):
// #21 synch failure → new vectors with RAND || AUTS (once per attach);
// #20 MAC failure, #26 non-EPS authentication unacceptable, a second synch
// failure or any other cause → AUTHENTICATION REJECT.
func (m *Machine) authenticationFailure(ev *nasEvent, msg *nas.AuthenticationFailure) {
	if m.s.Wait != WaitAuthResponse {
		m.notCompatible(ev)
		return
	}
	m.stopTimer(T3460)
	m.clearRetx()
	switch msg.EMMCause {
	case nas.EMMCauseSynchFailure:
		if m.s.Resynced || msg.AuthenticationFailureParameter == nil {
			m.authenticationReject("auth:synch_failure_again")
			return
		}
		m.s.Resynced = true
		resync := make([]byte, 0, s6a.ResynchronizationInfoLength)
		resync = append(resync, m.s.AuthVector.RAND[:]...)
		resync = append(resync, msg.AuthenticationFailureParameter[:]...)
		m.authenticationInformation(resync)
	case nas.EMMCauseMACFailure:
		m.authenticationReject("auth:mac_failure")
	case nas.EMMCauseNonEPSAuthenticationUnacceptable:
		m.authenticationReject("auth:non_eps_authentication_unacceptable")
	default:
		m.authenticationReject("auth:failure_#" + itoa(int(msg.EMMCause)))
	}
}

// authenticationReject sends AUTHENTICATION REJECT (TS 24.301 §5.4.2.5):
// the attach is aborted, the connection released with cause
// authentication failure, and the UE keeps no context here.
func (m *Machine) authenticationReject(why string) {
	if m.reauthenticating() {
		m.reauthAuthenticationReject(why) // reauth.go
		return
	}
	m.sendNAS(&nas.AuthenticationReject{}, false)
	m.s.AuthVector = Vector{}
	m.stopNASTimers()
	if len(m.s.PDNs) > 0 {
		m.deleteSessions(gtpNoCause, false)
	}
	m.setEMM(EMMDeregistered)
	m.outcome(m.s.Proc, false, why)
	m.end()
	m.s.Attach = AttachState{}
	m.releaseConnection(nasCause(s1ap.CauseNasAuthenticationFailure))
}
