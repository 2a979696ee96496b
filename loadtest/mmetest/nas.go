package mmetest

import (
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/s1ap"
)

// onInitialUE opens a UE connection: find or create the context from the
// NAS identity (or the S-TMSI for a SERVICE REQUEST) and run its message.
func (m *MME) onInitialUE(e *enbCtx, v *s1ap.InitialUEMessage) {
	pdu := []byte(v.NASPDU)
	_, sht, err := nas.PeekHeader(pdu)
	if err != nil {
		m.errorf("initial NAS: %v", err)
		return
	}
	conn := func(u *ueCtx) {
		if u.enb != nil {
			// An old connection: release it first (TS 23.401 §5.3.2.1).
			old := *u
			m.release(&old, s1ap.Cause{Choice: s1ap.CauseChoiceNas, Nas: s1ap.CauseNasNormalRelease})
		}
		u.enb, u.enbID = e, uint32(v.ENBUES1APID)
		// A new connection has no S1-U at the eNodeB yet (tau tells a
		// TAU from ECM-IDLE by it, and releases after it).
		for i := range u.erabs {
			u.erabs[i].enbTEID, u.erabs[i].enbAddr = [4]byte{}, nil
		}
		u.tac = uint16(v.TAI.TAC[0])<<8 | uint16(v.TAI.TAC[1])
		u.mmeID = m.allocID()
		m.byMME[u.mmeID] = u
		u.ho = nil
	}
	if sht == nas.ServiceRequestHeader {
		st, ok := v.STMSI.Get()
		var u *ueCtx
		if ok {
			u = m.byTMSI[uint32(st.MTMSI[0])<<24|uint32(st.MTMSI[1])<<16|uint32(st.MTMSI[2])<<8|uint32(st.MTMSI[3])]
		}
		if u == nil || u.sec == nil {
			m.rejectAnonymous(e, v, &nas.ServiceReject{EMMCause: nas.EMMCauseUEIdentityCannotBeDerived})
			return
		}
		conn(u)
		count, err := u.sec.VerifyServiceRequest(pdu)
		if err != nil {
			m.errorf("service request MAC: %v", err)
			m.sendPlain(u, &nas.ServiceReject{EMMCause: nas.EMMCauseUEIdentityCannotBeDerived})
			m.release(u, s1ap.Cause{Choice: s1ap.CauseChoiceNas, Nas: s1ap.CauseNasNormalRelease})
			return
		}
		u.lastUL = count
		m.initialContextSetup(u, nil, u.sec.KENB(count))
		return
	}
	plain := pdu
	var verified *ueCtx
	if sht.IsProtected() {
		p, err := nas.ParseSecurityProtected(pdu)
		if err != nil {
			m.errorf("initial NAS: %v", err)
			return
		}
		plain = p.Message
	}
	msg, err := nas.Decoder{Direction: nas.Uplink}.Decode(plain)
	if err != nil {
		m.errorf("initial NAS: %v", err)
		return
	}
	// Find the UE by the identity in the message; check its MAC.
	var u *ueCtx
	var guti *nas.GUTI
	switch mm := msg.(type) {
	case *nas.AttachRequest:
		if mm.EPSMobileIdentity.Type == nas.EPSIdentityIMSI {
			u = m.byIMSI[mm.EPSMobileIdentity.Digits]
			if u == nil {
				if sub := m.subs[mm.EPSMobileIdentity.Digits]; sub != nil {
					u = &ueCtx{sub: sub, imsi: sub.IMSI}
					m.byIMSI[sub.IMSI] = u
				}
			}
			if u != nil {
				u.sec = nil // IMSI attach: new AKA
			}
		} else {
			g := mm.EPSMobileIdentity.GUTI
			guti = &g
			u = m.byTMSI[g.MTMSI]
		}
	case *nas.TrackingAreaUpdateRequest:
		g := mm.OldGUTI
		guti = &g
		u = m.byTMSI[g.MTMSI]
	case *nas.DetachRequestUEOriginating:
		if mm.EPSMobileIdentity.Type == nas.EPSIdentityGUTI {
			u = m.byTMSI[mm.EPSMobileIdentity.GUTI.MTMSI]
		} else {
			u = m.byIMSI[mm.EPSMobileIdentity.Digits]
		}
	case *nas.ExtendedServiceRequest:
		u = m.byTMSI[mm.MTMSI.TMSI]
	}
	if u != nil && sht.IsProtected() && u.sec != nil {
		if _, _, err := u.sec.Unprotect(nil, pdu); err == nil {
			verified = u
			u.lastUL = u.sec.ULCount() - 1
		}
	}
	switch mm := msg.(type) {
	case *nas.AttachRequest:
		if m.cfg.IgnoreAttach {
			m.count("IgnoredAttach")
			return
		}
		if u == nil {
			// Unknown GUTI (or IMSI): ask for the IMSI (TS 24.301 §5.4.4).
			u = &ueCtx{}
			conn(u)
			u.caps, u.attachPTI, u.esmInfo = mm.UENetworkCapability, 0, false
			m.notePDN(u, mm.ESMMessageContainer)
			m.sendPlain(u, &nas.IdentityRequest{IdentityType: nas.IdentityIMSI})
			return
		}
		conn(u)
		u.caps = mm.UENetworkCapability
		m.notePDN(u, mm.ESMMessageContainer)
		u.registered = false
		u.erabs = nil
		if verified != nil {
			// Known GUTI, MAC verified: keep K_ASME, re-run the SMC only.
			m.securityModeCommand(u, u.sec.KASME(), u.sec.KSI().Value, true)
			return
		}
		m.authenticate(u)
	case *nas.TrackingAreaUpdateRequest:
		if u == nil || verified == nil || !u.registered {
			// TS 24.301 §5.5.3.2.5: #9, the network cannot derive the UE.
			m.rejectAnonymous(e, v, &nas.TrackingAreaUpdateReject{EMMCause: nas.EMMCauseUEIdentityCannotBeDerived})
			m.count("TrackingAreaUpdateReject")
			return
		}
		conn(u)
		m.tau(u, mm)
	case *nas.DetachRequestUEOriginating:
		if u == nil || verified == nil {
			m.rejectAnonymous(e, v, nil)
			return
		}
		conn(u)
		m.detach(u, mm)
	case *nas.ExtendedServiceRequest:
		if u == nil || verified == nil {
			m.rejectAnonymous(e, v, &nas.ServiceReject{EMMCause: nas.EMMCauseUEIdentityCannotBeDerived})
			return
		}
		conn(u)
		m.initialContextSetup(u, nil, u.sec.KENB(u.lastUL))
	default:
		m.errorf("unexpected initial NAS %T", msg)
	}
	_ = guti
}

// rejectAnonymous answers a UE the MME cannot identify, then releases the
// connection.
func (m *MME) rejectAnonymous(e *enbCtx, v *s1ap.InitialUEMessage, rej nas.Message) {
	u := &ueCtx{enb: e, enbID: uint32(v.ENBUES1APID), mmeID: m.allocID()}
	m.byMME[u.mmeID] = u
	if rej != nil {
		m.sendPlain(u, rej)
	}
	m.release(u, s1ap.Cause{Choice: s1ap.CauseChoiceNas, Nas: s1ap.CauseNasNormalRelease})
}

func (m *MME) notePDN(u *ueCtx, c nas.ESMMessageContainer) {
	msg, err := c.Decode()
	if err != nil {
		m.errorf("ESM container: %v", err)
		return
	}
	if p, ok := msg.(*nas.PDNConnectivityRequest); ok {
		u.attachPTI = p.PTI
		u.esmInfo = p.ESMInformationTransferFlag != nil && *p.ESMInformationTransferFlag != 0
		if p.AccessPointName != nil {
			u.apn = string(*p.AccessPointName)
		}
	}
}

func (m *MME) sendPlain(u *ueCtx, msg nas.Message) {
	b, err := nas.Encode(msg)
	if err != nil {
		m.errorf("encode %T: %v", msg, err)
		return
	}
	m.sendUE(u, &s1ap.DownlinkNASTransport{MMEUES1APID: s1ap.MMEUES1APID(u.mmeID), ENBUES1APID: s1ap.ENBUES1APID(u.enbID), NASPDU: b})
}

// protect returns msg integrity protected and ciphered (TS 24.301 §4.4.5).
func (m *MME) protect(u *ueCtx, msg nas.Message) []byte {
	b, err := nas.Encode(msg)
	if err != nil {
		m.errorf("encode %T: %v", msg, err)
		return nil
	}
	out, err := u.sec.Protect(nil, b, nas.IntegrityProtectedCiphered)
	if err != nil {
		m.errorf("protect: %v", err)
	}
	return out
}

func (m *MME) sendProtected(u *ueCtx, msg nas.Message) {
	m.sendUE(u, &s1ap.DownlinkNASTransport{MMEUES1APID: s1ap.MMEUES1APID(u.mmeID), ENBUES1APID: s1ap.ENBUES1APID(u.enbID),
		NASPDU: m.protect(u, msg)})
}

// onUplinkNAS handles a NAS message on an established connection.
func (m *MME) onUplinkNAS(u *ueCtx, pdu []byte) {
	_, sht, err := nas.PeekHeader(pdu)
	if err != nil {
		m.errorf("uplink NAS: %v", err)
		return
	}
	plain := pdu
	if sht.IsProtected() {
		if u.sec == nil {
			m.errorf("protected uplink NAS without a context")
			return
		}
		var rcv security.Received
		plain, rcv, err = u.sec.Unprotect(nil, pdu)
		if err != nil {
			m.errorf("uplink NAS MAC: %v", err)
			return
		}
		u.lastUL = rcv.Count
	}
	msg, err := nas.Decoder{Direction: nas.Uplink}.Decode(plain)
	if err != nil {
		m.errorf("uplink NAS: %v", err)
		return
	}
	switch mm := msg.(type) {
	case *nas.IdentityResponse:
		sub := m.subs[mm.MobileIdentity.Digits]
		if sub == nil {
			m.sendPlain(u, &nas.AttachReject{EMMCause: nas.EMMCauseIMSIUnknownInHSS})
			m.release(u, s1ap.Cause{Choice: s1ap.CauseChoiceNas, Nas: s1ap.CauseNasNormalRelease})
			return
		}
		if old := m.byIMSI[sub.IMSI]; old != nil && old != u {
			if old.hasGUTI {
				delete(m.byTMSI, old.mtmsi)
			}
		}
		u.sub, u.imsi = sub, sub.IMSI
		m.byIMSI[sub.IMSI] = u
		m.count("IdentityResponse")
		m.authenticate(u)
	case *nas.AuthenticationResponse:
		if string(mm.RES) != string(u.pending.XRES) {
			m.sendPlain(u, &nas.AuthenticationReject{})
			m.release(u, s1ap.Cause{Choice: s1ap.CauseChoiceNas, Nas: s1ap.CauseNasNormalRelease})
			m.count("AuthenticationReject")
			return
		}
		m.securityModeCommand(u, u.pending.KASME, u.pendKSI, false)
	case *nas.AuthenticationFailure:
		switch {
		case mm.EMMCause == nas.EMMCauseSynchFailure && mm.AuthenticationFailureParameter != nil:
			sqnMS, err := security.ResynchronizeSQN(u.sub.K, u.sub.OPc, u.pending.RAND, *mm.AuthenticationFailureParameter)
			if err != nil {
				m.errorf("resync: %v", err)
				m.sendPlain(u, &nas.AuthenticationReject{})
				return
			}
			u.sub.SQN = (sqnMS>>5 + 1) << 5
			m.count("Resynchronization")
			m.authenticate(u)
		default:
			// TS 24.301 §5.4.2.6 (issue #7's choice): MAC failure → reject.
			m.sendPlain(u, &nas.AuthenticationReject{})
			m.release(u, s1ap.Cause{Choice: s1ap.CauseChoiceNas, Nas: s1ap.CauseNasNormalRelease})
			m.count("AuthenticationReject")
		}
	case *nas.SecurityModeComplete:
		m.count("SecurityModeComplete")
		if u.esmInfo {
			m.sendProtected(u, &nas.ESMInformationRequest{PTI: u.attachPTI})
			return
		}
		m.attachAccept(u)
	case *nas.SecurityModeReject:
		m.errorf("security mode reject #%d", mm.EMMCause)
		m.release(u, s1ap.Cause{Choice: s1ap.CauseChoiceNas, Nas: s1ap.CauseNasUnspecified})
	case *nas.ESMInformationResponse:
		if mm.AccessPointName != nil {
			u.apn = string(*mm.AccessPointName)
		}
		m.attachAccept(u)
	case *nas.AttachComplete:
		u.registered = true
		m.count("AttachComplete")
		if m.cfg.EMMInformation {
			n, _ := nas.NewNetworkName("mmesim", false)
			m.sendProtected(u, &nas.EMMInformation{FullNameForNetwork: n})
		}
	case *nas.DetachRequestUEOriginating:
		m.detach(u, mm)
	case *nas.TrackingAreaUpdateRequest:
		m.tau(u, mm)
	case *nas.TrackingAreaUpdateComplete:
		m.count("TrackingAreaUpdateComplete")
		if !u.pendingDedicated && len(u.erabs) > 0 && u.erabs[0].enbTEID == ([4]byte{}) {
			m.release(u, s1ap.Cause{Choice: s1ap.CauseChoiceNas, Nas: s1ap.CauseNasNormalRelease})
		}
	case *nas.GUTIReallocationComplete:
		m.count("GUTIReallocationComplete")
	case *nas.PDNConnectivityRequest:
		m.pdnConnect(u, mm)
	case *nas.PDNDisconnectRequest:
		m.pdnDisconnect(u, mm)
	case *nas.ActivateDefaultEPSBearerContextAccept:
		m.count("ActivateDefaultEPSBearerContextAccept")
	case *nas.ActivateDedicatedEPSBearerContextAccept:
		m.count("ActivateDedicatedEPSBearerContextAccept")
	case *nas.ActivateDedicatedEPSBearerContextReject:
		m.count("ActivateDedicatedEPSBearerContextReject")
		m.dropBearer(u, mm.EBI)
	case *nas.DeactivateEPSBearerContextAccept:
		m.count("DeactivateEPSBearerContextAccept")
	case *nas.ModifyEPSBearerContextAccept:
	default:
		m.errorf("unexpected uplink NAS %T", msg)
	}
}

// authenticate sends AUTHENTICATION REQUEST with a fresh vector.
func (m *MME) authenticate(u *ueCtx) {
	amf := [2]byte{0x80, 0}
	v, err := security.GenerateEUTRANVector(u.sub.K, u.sub.OPc, amf, u.sub.SQN, m.randomRAND(), m.cfg.PLMN)
	if err != nil {
		m.errorf("vector: %v", err)
		return
	}
	u.sub.SQN += 32 // next SEQ, same IND (TS 33.102 C.3.2 with IND 0)
	u.pending = v
	u.pendKSI = (u.ksi + 1) % 7
	m.sendPlain(u, &nas.AuthenticationRequest{NASKeySetIdentifierASME: nas.NASKeySetIdentifier{KSI: u.pendKSI}, RAND: v.RAND, AUTN: v.AUTN})
}

// securityModeCommand selects algorithms (EEA2, EEA1, EEA3, EEA0 and EIA2,
// EIA1, EIA3 by preference) and sends the SMC protected with the new
// context (header type 3).
func (m *MME) securityModeCommand(u *ueCtx, kasme [32]byte, ksi uint8, keep bool) {
	eea, eia := pick(u.caps.EEA(), []uint8{2, 1, 3, 0}), pick(u.caps.EIA(), []uint8{2, 1, 3})
	p := security.Params{Role: security.RoleMME, KSI: security.KSI{Value: ksi}, KASME: kasme, EEA: security.EEA(eea), EIA: security.EIA(eia)}
	if keep && u.sec != nil {
		p.UL, p.DL = u.sec.ULCount(), u.sec.DLCount()
	}
	ctx, err := security.NewContext(p)
	if err != nil {
		m.errorf("context: %v", err)
		return
	}
	u.sec, u.ksi = ctx, ksi
	smc := &nas.SecurityModeCommand{SelectedNASSecurityAlgorithms: nas.NASSecurityAlgorithms{Ciphering: nas.EEA(eea), Integrity: nas.EIA(eia)},
		NASKeySetIdentifier: nas.NASKeySetIdentifier{KSI: ksi}, ReplayedUESecurityCapabilities: u.caps.SecurityCapability(0, false)}
	b, err := nas.Encode(smc)
	if err != nil {
		m.errorf("encode SMC: %v", err)
		return
	}
	out, err := ctx.Protect(nil, b, nas.IntegrityProtectedNewContext)
	if err != nil {
		m.errorf("protect SMC: %v", err)
		return
	}
	m.sendUE(u, &s1ap.DownlinkNASTransport{MMEUES1APID: s1ap.MMEUES1APID(u.mmeID), ENBUES1APID: s1ap.ENBUES1APID(u.enbID), NASPDU: out})
}

func pick(bitmap uint8, prefs []uint8) uint8 {
	for _, a := range prefs {
		if bitmap&(0x80>>a) != 0 {
			return a
		}
	}
	return prefs[len(prefs)-1]
}

func (m *MME) taiList(u *ueCtx) nas.TAIList {
	if m.cfg.SingleTAIList {
		return nas.TAIList{{Type: nas.TAIListNonConsecutive, TAIs: []nas.TAI{{PLMN: m.cfg.PLMN, TAC: u.tac}}}}
	}
	var tais []nas.TAI
	for _, t := range m.cfg.TACs {
		tais = append(tais, nas.TAI{PLMN: m.cfg.PLMN, TAC: t})
	}
	return nas.TAIList{{Type: nas.TAIListNonConsecutive, TAIs: tais}}
}

func (m *MME) newGUTI(u *ueCtx) nas.GUTI {
	if u.hasGUTI {
		delete(m.byTMSI, u.mtmsi)
	}
	u.mtmsi = m.nextTMSI
	m.nextTMSI++
	u.hasGUTI = true
	m.byTMSI[u.mtmsi] = u
	return nas.GUTI{PLMN: m.cfg.PLMN, MMEGroupID: m.cfg.MMEGI, MMECode: m.cfg.MMEC, MTMSI: u.mtmsi}
}

// attachAccept sends INITIAL CONTEXT SETUP REQUEST with ATTACH ACCEPT and
// the default bearer (TS 23.401 §5.3.2.1 step 17).
func (m *MME) attachAccept(u *ueCtx) {
	u.nextEBI = 5
	ebi := u.nextEBI
	u.nextEBI++
	apn := u.apn
	if apn == "" {
		apn = "internet"
	}
	act := &nas.ActivateDefaultEPSBearerContextRequest{EBI: ebi, PTI: u.attachPTI, EPSQoS: nas.NewEPSQoS(9, 0, 0, 0, 0),
		AccessPointName: nas.APN(apn), PDNAddress: nas.PDNAddress{Type: nas.PDNTypeIPv4, IPv4: ipv4For(u)}}
	esm, err := nas.Encode(act)
	if err != nil {
		m.errorf("encode default bearer: %v", err)
		return
	}
	g := m.newGUTI(u)
	acc := &nas.AttachAccept{EPSAttachResult: nas.EPSOnly, T3412Value: m.cfg.T3412, TAIList: m.taiList(u),
		ESMMessageContainer: esm, GUTI: &g, EPSNetworkFeatureSupport: nas.EPSNetworkFeatureSupport{0x00}}
	u.erabs = []erabCtx{{ebi: ebi, sgwTEID: m.teid(), def: true}}
	m.initialContextSetup(u, m.protect(u, acc), u.sec.KENB(u.lastUL))
}

func (m *MME) teid() uint32 {
	t := m.nextTEID
	m.nextTEID++
	return t
}

// initialContextSetup sends INITIAL CONTEXT SETUP REQUEST with the UE's
// E-RABs; nasPDU goes with the first.
func (m *MME) initialContextSetup(u *ueCtx, nasPDU []byte, kenb [32]byte) {
	u.kenb, u.nh, u.ncc = kenb, kenb, 0
	var list s1ap.ERABToBeSetupListCtxtSUReq
	for i, r := range u.erabs {
		it := s1ap.ERABToBeSetupItemCtxtSUReq{ERABID: s1ap.ERABID(r.ebi), ERABlevelQoSParameters: qos(9),
			TransportLayerAddress: s1ap.TransportLayerAddress{Bytes: sgwAddr, Len: 32}, GTPTEID: teidOctets(r.sgwTEID)}
		if i == 0 && nasPDU != nil {
			it.NASPDU = s1ap.Some(s1ap.NASPDU(nasPDU))
		}
		list = append(list, it)
	}
	u.clearENBTEIDs()
	m.sendUE(u, &s1ap.InitialContextSetupRequest{MMEUES1APID: s1ap.MMEUES1APID(u.mmeID), ENBUES1APID: s1ap.ENBUES1APID(u.enbID),
		UEaggregateMaximumBitrate:  s1ap.UEAggregateMaximumBitrate{UEaggregateMaximumBitRateDL: 100_000_000, UEaggregateMaximumBitRateUL: 50_000_000},
		ERABToBeSetupListCtxtSUReq: list, UESecurityCapabilities: s1Caps(u.caps), SecurityKey: s1ap.SecurityKey(kenb)})
}

func (u *ueCtx) clearENBTEIDs() {
	for i := range u.erabs {
		u.erabs[i].enbTEID = [4]byte{}
	}
}

func (m *MME) afterICS(u *ueCtx) {
	if u.pendingDedicated {
		u.pendingDedicated = false
		m.createBearer(u)
	}
}

func qos(qci uint8) s1ap.ERABLevelQoSParameters {
	return s1ap.ERABLevelQoSParameters{QCI: s1ap.QCI(qci), AllocationRetentionPriority: s1ap.AllocationAndRetentionPriority{
		PriorityLevel: 1, PreEmptionCapability: s1ap.PreEmptionCapabilityShallNotTriggerPreEmption,
		PreEmptionVulnerability: s1ap.PreEmptionVulnerabilityNotPreEmptable}}
}

func teidOctets(t uint32) s1ap.GTPTEID {
	return s1ap.GTPTEID{byte(t >> 24), byte(t >> 16), byte(t >> 8), byte(t)}
}

func s1Caps(c nas.UENetworkCapability) s1ap.UESecurityCapabilities {
	// TS 36.413 §9.2.1.40: first bit 128-EEA1/EIA1.
	eea, eia := uint16(c.EEA()&0x70)<<9, uint16(c.EIA()&0x70)<<9
	return s1ap.UESecurityCapabilities{
		EncryptionAlgorithms:          s1ap.EncryptionAlgorithms{Bytes: []byte{byte(eea >> 8), byte(eea)}, Len: 16},
		IntegrityProtectionAlgorithms: s1ap.IntegrityProtectionAlgorithms{Bytes: []byte{byte(eia >> 8), byte(eia)}, Len: 16}}
}

// detach answers DETACH REQUEST (TS 24.301 §5.5.2.2.2) and releases.
func (m *MME) detach(u *ueCtx, mm *nas.DetachRequestUEOriginating) {
	u.registered = false
	u.erabs = nil
	if !mm.DetachType.SwitchOff {
		m.sendProtected(u, &nas.DetachAccept{})
	}
	m.count("Detach")
	m.release(u, s1ap.Cause{Choice: s1ap.CauseChoiceNas, Nas: s1ap.CauseNasDetach})
}

// tau accepts a TAU (new GUTI per config); with the active flag it sets up
// the bearers, else it releases after TAU COMPLETE (or at once).
func (m *MME) tau(u *ueCtx, mm *nas.TrackingAreaUpdateRequest) {
	acc := &nas.TrackingAreaUpdateAccept{EPSUpdateResult: nas.TAUpdated, T3412Value: &m.cfg.T3412, TAIList: m.taiList(u)}
	if m.cfg.ReallocateGUTIOnTAU {
		g := m.newGUTI(u)
		acc.GUTI = &g
	}
	st := nas.EPSBearerContextStatus(0)
	for _, r := range u.erabs {
		st |= 1 << r.ebi
	}
	acc.EPSBearerContextStatus = &st
	m.count("TrackingAreaUpdateAccept")
	connected := len(u.erabs) > 0 && u.erabs[0].enbTEID != ([4]byte{})
	m.sendProtected(u, acc)
	switch {
	case connected:
	case mm.EPSUpdateType.Active:
		m.initialContextSetup(u, nil, u.sec.KENB(u.lastUL))
	case acc.GUTI == nil:
		m.release(u, s1ap.Cause{Choice: s1ap.CauseChoiceNas, Nas: s1ap.CauseNasNormalRelease})
	}
}
