package loadtest

import (
	"errors"
	"time"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/s1ap"
)

// onAuthenticationRequest runs the USIM (TS 33.102 §6.3.3, TS 33.401
// §6.1.1) on an AUTHENTICATION REQUEST (TS 24.301 §5.4.2.3): RES on
// success, AUTHENTICATION FAILURE with #20 MAC failure, #21 synch failure
// (with AUTS) or #26 non-EPS authentication unacceptable otherwise
// (§5.4.2.6), starting T3418 or T3420.
func (w *worker) onAuthenticationRequest(ue uint32, c *conn, m *nas.AuthenticationRequest) {
	u := &w.sim.ues[ue]
	// TS 24.301 §5.4.2.7 c, d: a new AUTHENTICATION REQUEST stops them.
	w.stopTimer(u, slotAux)
	// The simulated USIM keeps one SEQ_MS (no IND, TS 33.102 C.1.1): it
	// accepts any SQN above the last, which is what an HSS issuing SQNs
	// in order produces.
	usim := security.NewUSIM(u.k, u.opc, security.USIMConfig{INDBits: security.NoIND})
	_ = usim.SetSQNMS(u.sqnMS) // ≤ 48 bits by construction
	res, err := usim.Authenticate(m.RAND, m.AUTN, w.sim.plmn)
	var sf *security.SynchFailureError
	switch {
	case err == nil:
		u.sqnMS = res.SQN
		c.kasme, c.ksi, c.haveAKA = res.KASME, m.NASKeySetIdentifierASME.KSI, true
		w.sendNAS(ue, c, &nas.AuthenticationResponse{RES: res.RES})
	case errors.Is(err, security.ErrMACFailure):
		w.sendNAS(ue, c, &nas.AuthenticationFailure{EMMCause: nas.EMMCauseMACFailure})
		w.startTimer(ue, slotAux, tT3418, w.sim.timer(tT3418))
	case errors.As(err, &sf):
		auts := sf.AUTS
		w.sendNAS(ue, c, &nas.AuthenticationFailure{EMMCause: nas.EMMCauseSynchFailure, AuthenticationFailureParameter: &auts})
		w.startTimer(ue, slotAux, tT3420, w.sim.timer(tT3420))
	case errors.Is(err, security.ErrNonEPSAuthentication):
		w.sendNAS(ue, c, &nas.AuthenticationFailure{EMMCause: nas.EMMCauseNonEPSAuthenticationUnacceptable})
		w.startTimer(ue, slotAux, tT3418, w.sim.timer(tT3418))
	default:
		w.sim.countError("nas: USIM: " + err.Error())
	}
}

// onAuthenticationReject: TS 24.301 §5.4.2.5: the UE deletes its GUTI,
// TAI list and key set, considers the USIM invalid and enters
// EMM-DEREGISTERED; the procedure in progress fails.
func (w *worker) onAuthenticationReject(ue uint32) {
	u := &w.sim.ues[ue]
	w.stopTimer(u, slotAux)
	w.forgetRegistration(ue, true)
	u.flags |= usimInvalid
	u.emm = EMMDeregistered
	w.fail(ue, "authentication_reject")
}

// forgetRegistration deletes the GUTI, the TAI list and (with keys) the
// security context.
func (w *worker) forgetRegistration(ue uint32, keys bool) {
	u := &w.sim.ues[ue]
	if u.flags&hasGUTI != 0 {
		w.sim.tmsi.del(u.mtmsi, ue)
	}
	u.flags &^= hasGUTI
	u.taiMask = 0
	u.bearers, u.defEBI, u.auxEBI = 0, 0, 0
	u.flags &^= auxSecondPDN | dedicated
	if keys {
		u.flags &^= hasSecurity
		u.sec = [security.StoredLen]byte{}
		if c := w.connOf(u); c != nil && c.sec != nil {
			w.recycle(c.sec)
			c.sec, c.secure = nil, false
		}
	}
}

// onSecurityModeCommand is the UE's side of the security mode control
// procedure (TS 24.301 §5.4.3.3): check the KSI, the selected algorithms
// and the replayed UE security capabilities, build the new context from
// K_ASME (TS 33.401 A.7), verify the MAC with it, and answer SECURITY MODE
// COMPLETE protected and ciphered with the new context (header type 4) or
// SECURITY MODE REJECT (§5.4.3.5: #23 UE security capabilities mismatch,
// #24 security mode rejected, unspecified).
func (w *worker) onSecurityModeCommand(ue uint32, c *conn, pdu []byte, carrier s1ap.Message) {
	u := &w.sim.ues[ue]
	prof := &w.sim.profiles[u.profile]
	p, err := nas.ParseSecurityProtected(pdu)
	if err != nil {
		w.sim.countError("nas: " + err.Error())
		return
	}
	msg, err := dlDecoder.Decode(p.Message)
	if err != nil {
		w.sim.countError("nas: " + err.Error())
		return
	}
	smc, ok := msg.(*nas.SecurityModeCommand)
	if !ok {
		w.sim.countError("nas: security header type 3 on " + nasName(msg))
		return
	}
	if t := w.sim.ueTrace(ue); t != nil {
		t.add(traceFromS1AP("dl", carrier).withNAS(smc))
	}
	reject := func(cause nas.EMMCause, why string) {
		w.sim.countError("nas: SECURITY MODE COMMAND rejected: " + why)
		w.sendNAS(ue, c, &nas.SecurityModeReject{EMMCause: cause}) // unprotected (§4.4.4.2)
	}
	ksi := smc.NASKeySetIdentifier
	params := security.Params{Role: security.RoleUE, KSI: security.KSI{Value: ksi.KSI, Mapped: ksi.TSC == nas.MappedSecurityContext},
		EEA: security.EEA(smc.SelectedNASSecurityAlgorithms.Ciphering), EIA: security.EIA(smc.SelectedNASSecurityAlgorithms.Integrity)}
	switch {
	case c.haveAKA && ksi.KSI == c.ksi:
		params.KASME = c.kasme // new K_ASME: COUNTs start at 0 (TS 24.301 §4.4.3.1)
	case c.sec != nil && ksi.KSI == c.sec.KSI().Value:
		params.KASME, params.UL, params.DL = c.sec.KASME(), c.sec.ULCount(), c.sec.DLCount()
	default:
		reject(nas.EMMCauseSecurityModeRejectedUnspecified, "unknown KSI")
		return
	}
	// TS 24.301 §5.4.3.3: the replayed capabilities must be the UE's.
	// UEA/UIA absent and all zero mean the same (no UTRAN algorithms).
	rc := smc.ReplayedUESecurityCapabilities
	uea, uia := octet(prof.netCap, 2), octet(prof.netCap, 3)&0x7f
	if rc.EEA != prof.netCap.EEA() || rc.EIA != prof.netCap.EIA() || rc.UEA != uea || rc.UIA&0x7f != uia {
		reject(nas.EMMCauseUESecurityCapabilitiesMismatch, "replayed UE security capabilities differ")
		return
	}
	if prof.netCap.EEA()&(0x80>>params.EEA) == 0 || prof.netCap.EIA()&(0x80>>params.EIA) == 0 || params.EEA > 7 || params.EIA > 7 {
		reject(nas.EMMCauseUESecurityCapabilitiesMismatch, "algorithm not supported by the UE")
		return
	}
	ctx, err := security.NewContext(params)
	if err != nil {
		// EIA0 outside emergency (TS 33.401 §5.1.4.1) or an algorithm the
		// implementation lacks.
		reject(nas.EMMCauseSecurityModeRejectedUnspecified, err.Error())
		return
	}
	if _, _, err := ctx.Unprotect(w.secBuf[:0], pdu); err != nil {
		reject(nas.EMMCauseSecurityModeRejectedUnspecified, "MAC: "+err.Error())
		return
	}
	if c.sec != nil {
		w.recycle(c.sec)
	}
	c.sec, c.secure, c.haveAKA = ctx, true, false
	c.ulFirst = ctx.ULCount()
	c.trigger = ctx.ULCount()
	w.storeSecurity(u, c)
	var cmp nas.SecurityModeComplete
	if smc.IMEISVRequest != nil && *smc.IMEISVRequest == nas.IMEISVRequested && !prof.noIMEISV {
		cmp.IMEISV = &nas.MobileIdentity{Type: nas.MobileIdentityIMEISV, Digits: w.imeisv(u)}
	}
	plain := w.encodeNAS(&cmp)
	out := w.protectWith(ctx, plain, nas.IntegrityProtectedCipheredNewContext)
	if out == nil {
		return
	}
	w.sendUE(ue, c, w.uplinkNAS(c, out), &cmp)
}

func octet(b []byte, i int) uint8 {
	if i < len(b) {
		return b[i]
	}
	return 0
}

// Timer expiries of the authentication procedure (TS 24.301 §5.4.2.7 c,
// d): the UE considers the network failed the authentication check and
// releases the connection; the procedure fails.
func (w *worker) onAuthTimer(ue uint32, k timerKind) {
	w.fail(ue, k.String()+"_expiry")
	w.abortConnection(ue)
}

// abortConnection is the UE dropping the radio connection: the eNodeB asks
// the MME to release the S1 connection (radio connection with UE lost, TS
// 36.413 §8.3.2), or simply forgets it when the MME never answered.
func (w *worker) abortConnection(ue uint32) {
	u := &w.sim.ues[ue]
	c := w.connOf(u)
	if c == nil {
		return
	}
	if !c.hasMME {
		w.releaseLocal(ue)
		return
	}
	if !c.pendingRel {
		c.pendingRel = true
		w.sendUE(ue, c, &s1ap.UEContextReleaseRequest{MMEUES1APID: s1ap.MMEUES1APID(c.mmeUEID), ENBUES1APID: s1ap.ENBUES1APID(ue),
			Cause: radioCause(s1ap.CauseRadioNetworkRadioConnectionWithUeLost)}, nil)
	}
}

var _ = time.Second
