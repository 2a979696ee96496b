package session

import (
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/s1ap"
)

// selectAlgorithms picks the NAS algorithms: the first of the configured
// priority list the UE supports (TS 33.401 §7.2.4.3; UE network capability
// bit 8 of octet 1 is EEA0, TS 24.301 §9.9.3.34). EIA0 is never in the
// list (Config.Validate).
func (m *Machine) selectAlgorithms() (security.EEA, security.EIA, bool) {
	if len(m.s.UENetworkCapability) < 2 {
		return 0, 0, false
	}
	ueEEA, ueEIA := m.s.UENetworkCapability[0], m.s.UENetworkCapability[1]
	eea, eia, okE, okI := security.EEA0, security.EIA0, false, false
	for _, a := range m.cfg.EIA {
		if ueEIA&(0x80>>a) != 0 {
			eia, okI = a, true
			break
		}
	}
	for _, a := range m.cfg.EEA {
		if ueEEA&(0x80>>a) != 0 {
			eea, okE = a, true
			break
		}
	}
	return eea, eia, okE && okI
}

// replayedCapabilities is the UE security capability of SECURITY MODE
// COMMAND: the UE's EEA/EIA (and UEA/UIA) bits as received, and its GEA
// bits from the MS network capability (TS 24.301 §5.4.3.2, §9.9.3.36;
// TS 24.008 §10.5.5.12: GEA/1 in bit 8 of octet 3, GEA/2-7 in bits 7-2 of
// octet 4).
func (m *Machine) replayedCapabilities() nas.UESecurityCapability {
	c := nas.UENetworkCapability(m.s.UENetworkCapability)
	ms := m.s.MSNetworkCapability
	if len(ms) >= 2 {
		gea := (ms[0]>>7)<<6 | (ms[1]>>1)&0x3f
		return c.SecurityCapability(gea, true)
	}
	return c.SecurityCapability(0, false)
}

// securityModeCommand starts the NAS security mode control (TS 24.301
// §5.4.3.2) with the context of the K_ASME just agreed: SECURITY MODE
// COMMAND integrity protected with it (header type 3), T3460.
func (m *Machine) securityModeCommand() {
	reject := m.rejectAttach
	if m.reauthenticating() {
		reject = func(c nas.EMMCause, why string, _ *nas.PDNConnectivityReject) { m.reauthReject(c, why) }
	}
	eea, eia, ok := m.selectAlgorithms()
	if !ok {
		// No common algorithm: the attach cannot be secured
		// (TS 33.401 §7.2.4.3).
		reject(nas.EMMCauseUESecurityCapabilitiesMismatch, "smc:no_common_algorithm", nil)
		return
	}
	ctx, err := security.NewContext(security.Params{Role: security.RoleMME, KSI: security.KSI{Value: m.s.AuthKSI},
		KASME: m.s.AuthVector.KASME, EEA: eea, EIA: eia})
	if err != nil {
		reject(nas.EMMCauseNetworkFailure, "smc:"+err.Error(), nil)
		return
	}
	smc := &nas.SecurityModeCommand{
		SelectedNASSecurityAlgorithms:  nas.NASSecurityAlgorithms{Ciphering: nas.EEA(eea), Integrity: nas.EIA(eia)},
		NASKeySetIdentifier:            nas.NASKeySetIdentifier{TSC: nas.NativeSecurityContext, KSI: m.s.AuthKSI},
		ReplayedUESecurityCapabilities: m.replayedCapabilities(),
	}
	if m.cfg.RequestIMEISV {
		r := nas.IMEISVRequested
		smc.IMEISVRequest = &r
	}
	plain, err := nas.Encode(smc)
	if err != nil {
		reject(nas.EMMCauseNetworkFailure, "smc:encode", nil)
		return
	}
	pdu, err := ctx.Protect(make([]byte, 0, len(plain)+nas.SecurityProtectedHeaderLen), plain, nas.IntegrityProtectedNewContext)
	if err != nil {
		reject(nas.EMMCauseNetworkFailure, "smc:protect", nil)
		return
	}
	m.s.NewSecurity, _ = ctx.AppendBinary(nil)
	m.s.Retx = Retransmission{Timer: T3460, Kind: RetxSMC, Msg: plain}
	m.setEMM(EMMCommonProcedureInitiated)
	m.await(WaitSMComplete, 0)
	m.startTimer(T3460)
	m.effect(SendS1{Conn: m.s.Conn, Msg: dlNASTransport(pdu)})
}

// securityModeComplete is SECURITY MODE COMPLETE (TS 24.301 §5.4.3.4): the
// new context becomes current and the secure exchange is established; its
// uplink COUNT is K_eNB's input (TS 33.401 §7.2.6.2, A.3).
func (m *Machine) securityModeComplete(ev *nasEvent, msg *nas.SecurityModeComplete) {
	if m.s.Wait != WaitSMComplete || !ev.integrity {
		// TS 24.301 §5.4.3.4: only a SECURITY MODE COMPLETE protected with
		// the new context completes the procedure.
		m.notCompatible(ev)
		return
	}
	ctx := new(security.Context)
	if err := ctx.UnmarshalBinary(m.s.NewSecurity); err != nil {
		m.anomaly(ev, "pending security context: "+err.Error())
		return
	}
	m.stopTimer(T3460)
	m.clearRetx()
	m.sec = ctx
	m.s.NewSecurity, m.s.AuthVector = nil, Vector{}
	m.s.Secure, m.s.KeNBCount = true, uint32(ev.count)
	m.s.SinceAuth = 0 // a new EPS-AKA context (reauth.go policy)
	if msg.IMEISV != nil && msg.IMEISV.Type == nas.MobileIdentityIMEISV {
		m.s.IMEISV = msg.IMEISV.Digits
	}
	m.touch()
	m.afterSecurity()
}

// securityModeReject is SECURITY MODE REJECT (TS 24.301 §5.4.3.5): the
// procedure that started the security mode control (the attach) is aborted.
func (m *Machine) securityModeReject(ev *nasEvent, msg *nas.SecurityModeReject) {
	if m.s.Wait != WaitSMComplete {
		m.notCompatible(ev)
		return
	}
	m.stopTimer(T3460)
	m.clearRetx()
	m.s.NewSecurity = nil
	why := "smc:reject_#" + itoa(int(msg.EMMCause))
	if m.reauthenticating() {
		// TS 24.301 §5.4.3.5: the TAU or service request that started it
		// is aborted; the connection released.
		m.reauthAbort(why) // reauth.go
		m.releaseConnection(nasCause(s1ap.CauseNasUnspecified))
		return
	}
	m.abortAttach(why, true)
}
