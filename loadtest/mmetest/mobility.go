package mmetest

import (
	"net/netip"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/s1ap"
)

func ipv4For(u *ueCtx) netip.Addr {
	id := u.mtmsi + u.mmeID
	return netip.AddrFrom4([4]byte{10, 45, byte(id >> 8), byte(id)})
}

// nextNH moves the NH chain one step (TS 33.401 §7.2.8.4, A.4).
func (u *ueCtx) nextNH() s1ap.SecurityContext {
	u.nh = security.DeriveNH(u.sec.KASME(), u.nh)
	u.ncc = (u.ncc + 1) & 7
	return s1ap.SecurityContext{NextHopChainingCount: s1ap.SecurityContextNextHopChainingCount(u.ncc), NextHopParameter: s1ap.SecurityKey(u.nh)}
}

// onPathSwitch completes an X2 handover (TS 36.413 §8.4.4).
func (m *MME) onPathSwitch(e *enbCtx, v *s1ap.PathSwitchRequest) {
	u := m.byMME[uint32(v.SourceMMEUES1APID)]
	if u == nil || u.sec == nil {
		m.send(e, 0, &s1ap.PathSwitchRequestFailure{MMEUES1APID: v.SourceMMEUES1APID, ENBUES1APID: v.ENBUES1APID,
			Cause: s1ap.Cause{Choice: s1ap.CauseChoiceRadioNetwork, RadioNetwork: s1ap.CauseRadioNetworkUnknownMmeUeS1apId}})
		return
	}
	u.enb, u.enbID = e, uint32(v.ENBUES1APID)
	for _, it := range v.ERABToBeSwitchedDLList {
		u.setENBTEID(uint8(it.ERABID), it.GTPTEID, it.TransportLayerAddress.Bytes)
	}
	m.count("PathSwitchRequest")
	m.sendUE(u, &s1ap.PathSwitchRequestAcknowledge{MMEUES1APID: s1ap.MMEUES1APID(u.mmeID), ENBUES1APID: v.ENBUES1APID,
		SecurityContext: u.nextNH()})
}

func (m *MME) enbByID(id uint32) *enbCtx {
	for _, e := range m.enbs {
		if e.id == id && e.setup {
			return e
		}
	}
	return nil
}

// onHandoverRequired prepares an S1 handover (TS 36.413 §8.4.1, §8.4.2).
func (m *MME) onHandoverRequired(e *enbCtx, v *s1ap.HandoverRequired) {
	u := m.byMME[uint32(v.MMEUES1APID)]
	var t *enbCtx
	if v.TargetID.Choice == s1ap.TargetIDChoiceTargeteNBID {
		t = m.enbByID(uint32(v.TargetID.TargeteNBID.GlobalENBID.ENBID.MacroENBID))
	}
	if u == nil || t == nil || u.sec == nil {
		m.send(e, 1, &s1ap.HandoverPreparationFailure{MMEUES1APID: v.MMEUES1APID, ENBUES1APID: v.ENBUES1APID,
			Cause: s1ap.Cause{Choice: s1ap.CauseChoiceRadioNetwork, RadioNetwork: s1ap.CauseRadioNetworkUnknownTargetID}})
		return
	}
	h := &hoCtx{target: t, targetID: m.allocID()}
	u.ho = h
	m.byMME[h.targetID] = u
	var list s1ap.ERABToBeSetupListHOReq
	for _, r := range u.erabs {
		list = append(list, s1ap.ERABToBeSetupItemHOReq{ERABID: s1ap.ERABID(r.ebi),
			TransportLayerAddress: s1ap.TransportLayerAddress{Bytes: sgwAddr, Len: 32}, GTPTEID: teidOctets(r.sgwTEID),
			ERABlevelQosParameters: qos(9)})
	}
	m.send(t, 1, &s1ap.HandoverRequest{MMEUES1APID: s1ap.MMEUES1APID(h.targetID), HandoverType: v.HandoverType, Cause: v.Cause,
		UEaggregateMaximumBitrate: s1ap.UEAggregateMaximumBitrate{UEaggregateMaximumBitRateDL: 100_000_000, UEaggregateMaximumBitRateUL: 50_000_000},
		ERABToBeSetupListHOReq:    list, SourceToTargetTransparentContainer: v.SourceToTargetTransparentContainer,
		UESecurityCapabilities: s1Caps(u.caps), SecurityContext: u.nextNH()})
}

func (m *MME) onHandoverRequestAck(e *enbCtx, v *s1ap.HandoverRequestAcknowledge) {
	u := m.byMME[uint32(v.MMEUES1APID)]
	if u == nil || u.ho == nil {
		m.errorf("HandoverRequestAcknowledge for no handover")
		return
	}
	u.ho.targetENBID = uint32(v.ENBUES1APID)
	u.ho.erabs = nil
	for _, it := range v.ERABAdmittedList {
		u.ho.erabs = append(u.ho.erabs, erabCtx{ebi: uint8(it.ERABID), enbTEID: [4]byte(it.GTPTEID), enbAddr: it.TransportLayerAddress.Bytes})
	}
	m.sendUE(u, &s1ap.HandoverCommand{MMEUES1APID: s1ap.MMEUES1APID(u.mmeID), ENBUES1APID: s1ap.ENBUES1APID(u.enbID),
		HandoverType: s1ap.HandoverTypeIntralte, TargetToSourceTransparentContainer: v.TargetToSourceTransparentContainer})
}

func (m *MME) onHandoverFailure(v *s1ap.HandoverFailure) {
	u := m.byMME[uint32(v.MMEUES1APID)]
	if u == nil || u.ho == nil {
		return
	}
	delete(m.byMME, u.ho.targetID)
	u.ho = nil
	m.sendUE(u, &s1ap.HandoverPreparationFailure{MMEUES1APID: s1ap.MMEUES1APID(u.mmeID), ENBUES1APID: s1ap.ENBUES1APID(u.enbID), Cause: v.Cause})
}

func (m *MME) onENBStatusTransfer(v *s1ap.ENBStatusTransfer) {
	u := m.byMME[uint32(v.MMEUES1APID)]
	if u == nil || u.ho == nil {
		m.errorf("eNBStatusTransfer for no handover")
		return
	}
	m.send(u.ho.target, 1, &s1ap.MMEStatusTransfer{MMEUES1APID: s1ap.MMEUES1APID(u.ho.targetID), ENBUES1APID: s1ap.ENBUES1APID(u.ho.targetENBID),
		ENBStatusTransferTransparentContainer: v.ENBStatusTransferTransparentContainer})
}

func (m *MME) onHandoverNotify(e *enbCtx, v *s1ap.HandoverNotify) {
	u := m.byMME[uint32(v.MMEUES1APID)]
	if u == nil || u.ho == nil {
		m.errorf("HandoverNotify for no handover")
		return
	}
	// Release the source, then the connection is the target's.
	m.release(u, s1ap.Cause{Choice: s1ap.CauseChoiceRadioNetwork, RadioNetwork: s1ap.CauseRadioNetworkSuccessfulHandover})
	oldID := u.mmeID
	h := u.ho
	u.enb, u.enbID, u.mmeID = h.target, h.targetENBID, h.targetID
	for _, r := range h.erabs {
		u.setENBTEID(r.ebi, s1ap.GTPTEID(r.enbTEID), r.enbAddr)
	}
	u.ho = nil
	_ = oldID // its UE CONTEXT RELEASE COMPLETE removes the index entry
	m.count("HandoverNotify")
}

func (m *MME) onHandoverCancel(v *s1ap.HandoverCancel) {
	u := m.byMME[uint32(v.MMEUES1APID)]
	if u == nil {
		return
	}
	h := u.ho
	u.ho = nil
	m.sendUE(u, &s1ap.HandoverCancelAcknowledge{MMEUES1APID: v.MMEUES1APID, ENBUES1APID: v.ENBUES1APID})
	if h != nil && h.targetENBID != 0 {
		m.send(h.target, 1, &s1ap.UEContextReleaseCommand{UES1APIDs: s1ap.UES1APIDs{Choice: s1ap.UES1APIDsChoiceUES1APIDPair,
			UES1APIDPair: s1ap.UES1APIDPair{MMEUES1APID: s1ap.MMEUES1APID(h.targetID), ENBUES1APID: s1ap.ENBUES1APID(h.targetENBID)}},
			Cause: s1ap.Cause{Choice: s1ap.CauseChoiceRadioNetwork, RadioNetwork: s1ap.CauseRadioNetworkHandoverCancelled}})
	}
	m.count("HandoverCancel")
}

// pdnConnect sets up an additional PDN (TS 23.401 §5.10.2).
func (m *MME) pdnConnect(u *ueCtx, mm *nas.PDNConnectivityRequest) {
	ebi := u.nextEBI
	u.nextEBI++
	apn := "ims"
	if mm.AccessPointName != nil {
		apn = string(*mm.AccessPointName)
	}
	act := &nas.ActivateDefaultEPSBearerContextRequest{EBI: ebi, PTI: mm.PTI, EPSQoS: nas.NewEPSQoS(5, 0, 0, 0, 0),
		AccessPointName: nas.APN(apn), PDNAddress: nas.PDNAddress{Type: nas.PDNTypeIPv4, IPv4: netip.AddrFrom4([4]byte{10, 46, 0, ebi})}}
	r := erabCtx{ebi: ebi, sgwTEID: m.teid(), def: true}
	u.erabs = append(u.erabs, r)
	m.sendUE(u, &s1ap.ERABSetupRequest{MMEUES1APID: s1ap.MMEUES1APID(u.mmeID), ENBUES1APID: s1ap.ENBUES1APID(u.enbID),
		ERABToBeSetupListBearerSUReq: s1ap.ERABToBeSetupListBearerSUReq{{ERABID: s1ap.ERABID(ebi), ERABlevelQoSParameters: qos(5),
			TransportLayerAddress: s1ap.TransportLayerAddress{Bytes: sgwAddr, Len: 32}, GTPTEID: teidOctets(r.sgwTEID), NASPDU: m.protect(u, act)}}})
	m.count("PDNConnectivityRequest")
}

func (m *MME) pdnDisconnect(u *ueCtx, mm *nas.PDNDisconnectRequest) {
	m.dropBearer(u, mm.LinkedEPSBearerIdentity)
	deact := &nas.DeactivateEPSBearerContextRequest{EBI: mm.LinkedEPSBearerIdentity, PTI: mm.PTI, ESMCause: nas.ESMCauseRegularDeactivation}
	m.sendUE(u, &s1ap.ERABReleaseCommand{MMEUES1APID: s1ap.MMEUES1APID(u.mmeID), ENBUES1APID: s1ap.ENBUES1APID(u.enbID),
		ERABToBeReleasedList: s1ap.ERABList{{ERABID: s1ap.ERABID(mm.LinkedEPSBearerIdentity),
			Cause: s1ap.Cause{Choice: s1ap.CauseChoiceNas, Nas: s1ap.CauseNasNormalRelease}}},
		NASPDU: s1ap.Some(s1ap.NASPDU(m.protect(u, deact)))})
	m.count("PDNDisconnectRequest")
}

func (m *MME) dropBearer(u *ueCtx, ebi uint8) {
	for i, r := range u.erabs {
		if r.ebi == ebi {
			u.erabs = append(u.erabs[:i], u.erabs[i+1:]...)
			return
		}
	}
}

// Page makes the MME page an idle UE by IMSI (as after a Downlink Data
// Notification): PAGING with its S-TMSI to every eNodeB serving a TAC.
func (m *MME) Page(imsi string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.byIMSI[imsi]
	if u == nil || !u.registered || !u.hasGUTI {
		return false
	}
	if u.enb != nil {
		// Connected: the data just flows, unless the connection is being
		// released (the UE may already be idle): page after the release.
		u.pagePending = true
		return true
	}
	m.page(u)
	return true
}

func (m *MME) page(u *ueCtx) {
	var tais s1ap.TAIList
	for _, t := range m.cfg.TACs {
		tais = append(tais, s1ap.TAIItem{TAI: s1ap.TAI{PLMNidentity: s1ap.PLMNidentity(m.cfg.PLMN), TAC: s1ap.TAC{byte(t >> 8), byte(t)}}})
	}
	t := u.mtmsi
	idx := 0
	if n, err := atoiTail(u.imsi, 4); err == nil {
		idx = n % 1024 // TS 36.304 §7.1: UE_ID = IMSI mod 1024
	}
	msg := &s1ap.Paging{UEIdentityIndexValue: s1ap.UEIdentityIndexValue(idx),
		UEPagingID: s1ap.UEPagingID{Choice: s1ap.UEPagingIDChoiceSTMSI, STMSI: s1ap.STMSI{MMEC: s1ap.MMECode{m.cfg.MMEC},
			MTMSI: s1ap.MTMSI{byte(t >> 24), byte(t >> 16), byte(t >> 8), byte(t)}}},
		CNDomain: s1ap.CNDomainPs, TAIList: tais}
	for _, e := range m.enbs {
		if e.setup {
			m.send(e, 0, msg)
		}
	}
	m.count("Paging")
}

func atoiTail(s string, n int) (int, error) {
	if len(s) > n {
		s = s[len(s)-n:]
	}
	v := 0
	for _, c := range s {
		v = v*10 + int(c-'0')
	}
	return v, nil
}

// CreateBearer sets up a dedicated bearer for the UE (paging it first when
// idle), as after a Create Bearer Request from the SGW.
func (m *MME) CreateBearer(imsi string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.byIMSI[imsi]
	if u == nil || !u.registered {
		return false
	}
	if u.enb == nil {
		u.pendingDedicated = true
		m.page(u)
		return true
	}
	if u.released == u.mmeID {
		// The connection is being released: page once it is (as for
		// downlink data), then set the bearer up.
		u.pendingDedicated, u.pagePending = true, true
		return true
	}
	m.createBearer(u)
	return true
}

func (m *MME) createBearer(u *ueCtx) {
	ebi := u.nextEBI
	u.nextEBI++
	if len(u.erabs) == 0 {
		return
	}
	lbi := u.erabs[0].ebi
	tft := nas.TrafficFlowTemplate{0x21, 0x10, 0x00, 0x03, 0x30, 0x10, 0x11} // create new TFT, one filter: protocol 17
	act := &nas.ActivateDedicatedEPSBearerContextRequest{EBI: ebi, LinkedEPSBearerIdentity: lbi, EPSQoS: nas.NewEPSQoS(1, 64, 64, 64, 64), TFT: tft}
	r := erabCtx{ebi: ebi, sgwTEID: m.teid()}
	u.erabs = append(u.erabs, r)
	m.sendUE(u, &s1ap.ERABSetupRequest{MMEUES1APID: s1ap.MMEUES1APID(u.mmeID), ENBUES1APID: s1ap.ENBUES1APID(u.enbID),
		ERABToBeSetupListBearerSUReq: s1ap.ERABToBeSetupListBearerSUReq{{ERABID: s1ap.ERABID(ebi), ERABlevelQoSParameters: qos(1),
			TransportLayerAddress: s1ap.TransportLayerAddress{Bytes: sgwAddr, Len: 32}, GTPTEID: teidOctets(r.sgwTEID), NASPDU: m.protect(u, act)}}})
	m.count("CreateBearer")
}
