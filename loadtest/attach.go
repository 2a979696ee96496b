package loadtest

import (
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
)

// startAttach runs the UE side of the attach procedure (TS 24.301
// §5.5.1.2.2): ATTACH REQUEST with the profile's identity, a PDN
// CONNECTIVITY REQUEST in its ESM container, in INITIAL UE MESSAGE; T3410
// guards it.
func (w *worker) startAttach(ue uint32) {
	u := &w.sim.ues[ue]
	prof := &w.sim.profiles[u.profile]
	if u.flags&usimInvalid != 0 {
		return
	}
	if u.conn >= 0 {
		// Re-attach of a connected UE: the old connection is dropped
		// first (the MME sees a new one for the same subscriber).
		w.abortConnection(ue)
		w.releaseLocal(ue)
	}
	w.begin(ue, ProcAttach)
	u.emm = EMMRegisteredInitiated
	u.bearers, u.defEBI, u.auxEBI = 0, 0, 0
	u.flags &^= auxSecondPDN | dedicated

	id := nas.EPSMobileIdentity{Type: nas.EPSIdentityIMSI, Digits: u.IMSI()}
	useGUTI := false
	switch prof.p.Identity {
	case "guti":
		useGUTI = u.flags&hasGUTI != 0
	case "unknown_guti":
		// A GUTI of the MME the eNodeB would pick, with an M-TMSI that MME
		// never allocated: it must fall back to IDENTITY REQUEST (TS
		// 24.301 §5.4.4, TS 23.401 §5.3.2.1 step 4).
		l := w.sim.enbs[u.enb].selectLink(false, 0, 0, s1ap.RRCEstablishmentCauseMoSignalling)
		if l == nil {
			w.fail(ue, "no_mme_reachable")
			u.emm = EMMDeregistered
			return
		}
		plmn, g, code, ok := l.firstGUMMEI()
		if !ok {
			plmn, g, code = w.sim.plmn, 1, 1
		}
		w.forgetRegistration(ue, true)
		u.gutiPLMN, u.mmegi, u.mmec = plmn, g, code
		u.mtmsi = 0xC0000000 | w.rng.Uint32()>>2
		u.flags |= hasGUTI
		useGUTI = true
	}
	c := w.connect(ue, useGUTI, s1ap.RRCEstablishmentCauseMoSignalling)
	if c == nil {
		// No signalling connection (no MME reachable, RRC CONNECTION
		// REJECT under overload): TS 24.301 §5.5.1.2.6 a, the attempt
		// fails like any other and the UE tries again after T3411 (T3402
		// after five), rather than giving up for good.
		u.emm = EMMDeregistered
		w.afterAttachFailure(ue)
		return
	}
	if useGUTI {
		id = nas.EPSMobileIdentity{Type: nas.EPSIdentityGUTI, GUTI: w.guti(u)}
		if prof.p.Identity == "guti" {
			w.loadSecurity(u, c) // a native context goes with the GUTI (TS 24.301 §5.5.1.2.2)
		}
	}
	u.pti = nextPTI(u.pti)
	w.pdn = nas.PDNConnectivityRequest{PTI: u.pti, RequestType: nas.InitialRequest, PDNType: nas.PDNTypeIPv4,
		ProtocolConfigurationOptions: pdnPCO}
	pdn := &w.pdn
	if prof.p.ESMInfoTransfer {
		f := nas.ESMInformationTransferFlag(1)
		pdn.ESMInformationTransferFlag = &f
	} else if prof.p.APN != "" {
		a := nas.APN(prof.p.APN)
		pdn.AccessPointName = &a
	}
	esm, err := nas.AppendEncode(w.esmBuf[:0], pdn)
	w.esmBuf = esm
	if err != nil {
		w.sim.countError("nas: encode PDN CONNECTIVITY REQUEST: " + err.Error())
		w.fail(ue, "encode")
		return
	}
	w.attachReq = nas.AttachRequest{EPSAttachType: nas.EPSAttach, NASKeySetIdentifier: w.ksi(c), EPSMobileIdentity: id,
		UENetworkCapability: prof.netCap, ESMMessageContainer: esm}
	req := &w.attachReq
	if useGUTI {
		t := w.sim.tais[w.sim.enbs[u.enb].cells[u.cell].tai]
		req.LastVisitedRegisteredTAI = &t
	}
	w.sendInitialUE(ue, c, w.initialNAS(c, req), req, s1ap.RRCEstablishmentCauseMoSignalling, useGUTI)
	w.startTimer(ue, slotGuard, tT3410, w.sim.timer(tT3410))
}

// pdnPCO asks for the IPv4 address in NAS signalling and for DNS servers
// (TS 24.008 §10.5.6.3), as UEs do.
var pdnPCO, _ = nas.NewProtocolConfigurationOptions(nas.PCOContainer{ID: nas.PCOIPAddressAllocationViaNAS},
	nas.PCOContainer{ID: nas.PCODNSServerIPv4Address})

// nextPTI allocates a procedure transaction identity (TS 24.007
// §11.2.3.1a: 1-254).
func nextPTI(p uint8) uint8 {
	if p >= 254 {
		return 1
	}
	return p + 1
}

// onAttachAccept completes the attach (TS 24.301 §5.5.1.2.4): stop T3410,
// store GUTI, TAI list and T3412, activate the default bearer (§6.4.1.3)
// and answer ATTACH COMPLETE carrying ACTIVATE DEFAULT EPS BEARER CONTEXT
// ACCEPT.
func (w *worker) onAttachAccept(ue uint32, c *conn, m *nas.AttachAccept) {
	u := &w.sim.ues[ue]
	if u.emm != EMMRegisteredInitiated {
		w.sim.countError("nas: ATTACH ACCEPT outside an attach")
		return
	}
	w.stopTimer(u, slotGuard)
	esm, err := m.ESMMessageContainer.Decode()
	if err != nil {
		w.sim.countError("nas: ATTACH ACCEPT ESM container: " + err.Error())
		w.fail(ue, "attach_accept_malformed")
		return
	}
	act, ok := esm.(*nas.ActivateDefaultEPSBearerContextRequest)
	if !ok {
		w.fail(ue, "attach_accept_without_default_bearer")
		return
	}
	if m.GUTI != nil {
		w.setGUTI(ue, *m.GUTI)
	}
	w.setTAIList(u, m.TAIList)
	if s, ok := m.T3412Value.Seconds(); ok {
		u.t3412 = s
	} else {
		u.t3412 = 0 // deactivated
	}
	u.defEBI = act.EBI
	u.bearers = 1 << act.EBI
	u.emm = EMMRegistered
	u.attempts = 0
	u.flags |= everAttached
	acc, err := nas.AppendEncode(w.esmBuf[:0], &nas.ActivateDefaultEPSBearerContextAccept{EBI: act.EBI})
	w.esmBuf = acc
	if err != nil {
		w.fail(ue, "encode")
		return
	}
	w.sendNAS(ue, c, &nas.AttachComplete{ESMMessageContainer: acc})
	w.storeSecurity(u, c)
	w.succeed(ue)
}

// onAttachReject: TS 24.301 §5.5.1.2.5. Causes #3, #6, #7, #8 make the USIM
// invalid for EPS; those and #11-#15 delete the GUTI, TAI list and key set;
// others count an attempt and retry after T3411 (T3402 after five).
func (w *worker) onAttachReject(ue uint32, c *conn, m *nas.AttachReject) {
	u := &w.sim.ues[ue]
	if u.emm != EMMRegisteredInitiated {
		w.sim.countError("nas: ATTACH REJECT outside an attach")
		return
	}
	w.stopTimer(u, slotGuard)
	u.emm = EMMDeregistered
	w.fail(ue, "attach_reject:#"+itoa(int(m.EMMCause)))
	switch m.EMMCause {
	case nas.EMMCauseIllegalUE, nas.EMMCauseIllegalME, nas.EMMCauseEPSServicesNotAllowed,
		nas.EMMCauseEPSAndNonEPSServicesNotAllowed:
		w.forgetRegistration(ue, true)
		u.flags |= usimInvalid
	case nas.EMMCausePLMNNotAllowed, nas.EMMCauseTrackingAreaNotAllowed, nas.EMMCauseRoamingNotAllowedInTrackingArea,
		nas.EMMCauseEPSServicesNotAllowedInPLMN, nas.EMMCauseNoSuitableCellsInTrackingArea:
		w.forgetRegistration(ue, true)
	default:
		w.afterAttachFailure(ue)
	}
}

// afterAttachFailure counts a failed attempt and schedules the retry (TS
// 24.301 §5.5.1.2.6): T3411 below five attempts, T3402 at five.
func (w *worker) afterAttachFailure(ue uint32) {
	u := &w.sim.ues[ue]
	if !w.sim.profiles[u.profile].retry || u.flags&usimInvalid != 0 {
		return
	}
	u.attempts++
	u.retry = ProcAttach
	if u.attempts < maxAttempts {
		w.startTimer(ue, slotGuard, tT3411, w.sim.timer(tT3411))
	} else {
		u.attempts = 0
		w.startTimer(ue, slotGuard, tT3402, w.sim.timer(tT3402))
	}
}

// onT3410 is the attach guard expiring (TS 24.301 §5.5.1.2.6 c): abort,
// release the connection, retry later.
func (w *worker) onT3410(ue uint32) {
	u := &w.sim.ues[ue]
	u.emm = EMMDeregistered
	w.fail(ue, "T3410_expiry")
	w.abortConnection(ue)
	w.afterAttachFailure(ue)
}
