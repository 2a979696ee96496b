package loadtest

import (
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
)

// onERABSetup is the eNodeB's part of E-RAB SETUP (TS 36.413 §8.2.1): set
// up each E-RAB with a downlink F-TEID, answer, and give the UE the NAS-PDU
// of each (ACTIVATE DEFAULT or DEDICATED EPS BEARER CONTEXT REQUEST).
func (w *worker) onERABSetup(ue uint32, c *conn, m *s1ap.ERABSetupRequest) {
	var res s1ap.ERABSetupListBearerSURes
	for _, it := range m.ERABToBeSetupListBearerSUReq {
		e := w.addERAB(ue, c, uint8(it.ERABID), it.TransportLayerAddress, it.GTPTEID, uint8(it.ERABlevelQoSParameters.QCI))
		res = append(res, s1ap.ERABSetupItemBearerSURes{ERABID: it.ERABID, TransportLayerAddress: w.sim.gtpAddress(),
			GTPTEID: s1ap.GTPTEID(e.enbTEID)})
	}
	rsp := &s1ap.ERABSetupResponse{MMEUES1APID: m.MMEUES1APID, ENBUES1APID: m.ENBUES1APID}
	if len(res) > 0 {
		rsp.ERABSetupListBearerSURes = s1ap.Some(res)
	}
	// One NAS-PDU per E-RAB: the UE gets them with the radio
	// reconfiguration, the eNodeB answers, then the UE.
	var msgs []nas.Message
	for _, it := range m.ERABToBeSetupListBearerSUReq {
		if msg := w.receiveNAS(ue, c, it.NASPDU, m); msg != nil {
			msgs = append(msgs, cloneNAS(msg))
		}
	}
	w.sendUE(ue, c, rsp, nil)
	for _, msg := range msgs {
		w.handleNAS(ue, c, msg)
	}
}

// onERABModify is E-RAB MODIFY (TS 36.413 §8.2.2): answer, then the NAS
// MODIFY EPS BEARER CONTEXT REQUEST of each.
func (w *worker) onERABModify(ue uint32, c *conn, m *s1ap.ERABModifyRequest) {
	var res s1ap.ERABModifyListBearerModRes
	for _, it := range m.ERABToBeModifiedListBearerModReq {
		res = append(res, s1ap.ERABModifyItemBearerModRes{ERABID: it.ERABID})
	}
	rsp := &s1ap.ERABModifyResponse{MMEUES1APID: m.MMEUES1APID, ENBUES1APID: m.ENBUES1APID}
	if len(res) > 0 {
		rsp.ERABModifyListBearerModRes = s1ap.Some(res)
	}
	var msgs []nas.Message
	for _, it := range m.ERABToBeModifiedListBearerModReq {
		if msg := w.receiveNAS(ue, c, it.NASPDU, m); msg != nil {
			msgs = append(msgs, cloneNAS(msg))
		}
	}
	w.sendUE(ue, c, rsp, nil)
	for _, msg := range msgs {
		w.handleNAS(ue, c, msg)
	}
}

// onERABRelease is E-RAB RELEASE (TS 36.413 §8.2.3): release, answer, then
// the NAS DEACTIVATE EPS BEARER CONTEXT REQUEST when present.
func (w *worker) onERABRelease(ue uint32, c *conn, m *s1ap.ERABReleaseCommand) {
	var res s1ap.ERABReleaseListBearerRelComp
	var failed s1ap.ERABList
	for _, it := range m.ERABToBeReleasedList {
		if c.dropERAB(uint8(it.ERABID)) {
			res = append(res, s1ap.ERABReleaseItemBearerRelComp{ERABID: it.ERABID})
		} else {
			failed = append(failed, s1ap.ERABItem{ERABID: it.ERABID, Cause: radioCause(s1ap.CauseRadioNetworkUnknownERABID)})
		}
	}
	rsp := &s1ap.ERABReleaseResponse{MMEUES1APID: m.MMEUES1APID, ENBUES1APID: m.ENBUES1APID}
	if len(res) > 0 {
		rsp.ERABReleaseListBearerRelComp = s1ap.Some(res)
	}
	if len(failed) > 0 {
		rsp.ERABFailedToReleaseList = s1ap.Some(failed)
	}
	var msg nas.Message
	if p, ok := m.NASPDU.Get(); ok {
		msg = w.receiveNAS(ue, c, p, m)
	}
	w.sendUE(ue, c, rsp, nil)
	if msg != nil {
		w.handleNAS(ue, c, msg)
	}
}

// cloneNAS returns a message that no longer aliases the worker's scratch
// (several NAS-PDUs of one S1AP message are received before any is
// handled).
func cloneNAS(m nas.Message) nas.Message {
	b, err := nas.Encode(m)
	if err != nil {
		return m
	}
	c, err := nas.Decoder{Direction: nas.Downlink}.Decode(b)
	if err != nil {
		return m
	}
	return c
}

// onActivateDefaultBearer accepts a default bearer outside the attach: an
// additional PDN connection the UE asked for (TS 24.301 §6.4.1.3).
func (w *worker) onActivateDefaultBearer(ue uint32, c *conn, m *nas.ActivateDefaultEPSBearerContextRequest) {
	u := &w.sim.ues[ue]
	u.bearers |= 1 << (m.EBI & 15)
	w.sendNAS(ue, c, &nas.ActivateDefaultEPSBearerContextAccept{EBI: m.EBI, PTI: m.PTI})
	if u.proc == ProcPDNConnect && m.PTI == u.pti {
		u.auxEBI = m.EBI
		u.flags |= auxSecondPDN
		w.succeed(ue)
	}
}

// onActivateDedicatedBearer accepts (or, per profile, rejects with ESM
// cause #31) a dedicated bearer (TS 24.301 §6.4.2.3, §6.4.2.4).
func (w *worker) onActivateDedicatedBearer(ue uint32, c *conn, m *nas.ActivateDedicatedEPSBearerContextRequest) {
	u := &w.sim.ues[ue]
	if w.sim.profiles[u.profile].p.DedicatedBearer == "reject" {
		w.sendNAS(ue, c, &nas.ActivateDedicatedEPSBearerContextReject{EBI: m.EBI, PTI: m.PTI,
			ESMCause: nas.ESMCauseRequestRejectedUnspecified})
		if u.proc == ProcDedicatedBearer {
			w.fail(ue, "rejected_by_ue")
		}
		return
	}
	u.bearers |= 1 << (m.EBI & 15)
	u.flags |= dedicated
	w.sendNAS(ue, c, &nas.ActivateDedicatedEPSBearerContextAccept{EBI: m.EBI, PTI: m.PTI})
	if u.proc == ProcDedicatedBearer {
		w.succeed(ue)
	}
}

// onDeactivateBearer accepts a bearer deactivation (TS 24.301 §6.4.4.3); a
// PDN disconnect the UE asked for completes with it.
func (w *worker) onDeactivateBearer(ue uint32, c *conn, m *nas.DeactivateEPSBearerContextRequest) {
	u := &w.sim.ues[ue]
	u.bearers &^= 1 << (m.EBI & 15)
	w.sendNAS(ue, c, &nas.DeactivateEPSBearerContextAccept{EBI: m.EBI, PTI: m.PTI})
	if m.EBI == u.auxEBI && u.flags&auxSecondPDN != 0 {
		u.flags &^= auxSecondPDN
		u.auxEBI = 0
		if u.proc == ProcPDNDisconnect {
			w.succeed(ue)
		}
	}
}

// startPDNConnect requests an additional PDN connection (TS 24.301
// §6.5.1.2) for the profile's second APN.
func (w *worker) startPDNConnect(ue uint32) {
	u := &w.sim.ues[ue]
	c := w.connOf(u)
	w.begin(ue, ProcPDNConnect)
	u.pti = nextPTI(u.pti)
	apn := nas.APN(w.sim.profiles[u.profile].p.SecondAPN)
	w.sendNAS(ue, c, &nas.PDNConnectivityRequest{PTI: u.pti, RequestType: nas.InitialRequest, PDNType: nas.PDNTypeIPv4,
		AccessPointName: &apn})
	w.startTimer(ue, slotGuard, tProcGuard, w.sim.timer(tProcGuard))
}

// startPDNDisconnect disconnects the second PDN (TS 24.301 §6.5.2.2).
func (w *worker) startPDNDisconnect(ue uint32) {
	u := &w.sim.ues[ue]
	c := w.connOf(u)
	w.begin(ue, ProcPDNDisconnect)
	u.pti = nextPTI(u.pti)
	w.sendNAS(ue, c, &nas.PDNDisconnectRequest{PTI: u.pti, LinkedEPSBearerIdentity: u.auxEBI})
	w.startTimer(ue, slotGuard, tProcGuard, w.sim.timer(tProcGuard))
}
