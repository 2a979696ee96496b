package session

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/s6a"
)

// defaultEBI is the EPS bearer identity of the default bearer of the
// attach's PDN connection (TS 24.301 §6.4.1.2: the MME assigns one of 5-15).
const defaultEBI = 5

// attachRequest is ATTACH REQUEST (TS 24.301 §5.5.1.2.2-3, TS 23.401
// §5.3.2.1 steps 1-3).
func (m *Machine) attachRequest(ev *nasEvent, req *nas.AttachRequest) {
	// TS 24.301 §5.5.1.2.7 d, e: ATTACH REQUEST while an attach is in
	// progress. Identical IEs: the first attach goes on (before ATTACH
	// ACCEPT: the repeat is ignored; after it: ATTACH ACCEPT is resent).
	// Different IEs: the first attach is aborted and the new one progressed.
	if m.s.Proc == ProcAttach && bytes.Equal(ev.plain, m.s.Attach.Request) && ev.conn == m.s.Conn {
		if m.s.Wait == WaitAttachComplete {
			m.anomaly(ev, "repeated ATTACH REQUEST after ATTACH ACCEPT: accept resent (TS 24.301 §5.5.1.2.7 d)")
			m.s.Retx.Count = 0
			m.retransmit(T3450)
			return
		}
		m.anomaly(ev, "repeated ATTACH REQUEST: ignored, the attach goes on (TS 24.301 §5.5.1.2.7 e)")
		return
	}
	if m.s.Proc == ProcAttach {
		m.anomaly(ev, "ATTACH REQUEST with different IEs: the previous attach is aborted (TS 24.301 §5.5.1.2.7 e)")
		m.abortAttach("emm:superseded_by_new_attach_request", false)
	} else if m.s.Proc != ProcNone {
		// A detach or S1 release in progress gives way to the attach
		// (TS 24.301 §5.5.2.3.4 c); its contexts are deleted below.
		m.outcome(m.s.Proc, false, "superseded_by_attach")
		m.end()
	}
	m.begin(ProcAttach, WaitNone)
	m.rd.Started = append(m.rd.Started, ProcAttach)
	m.startAttach(ev, req, "")
}

// attachTransferred takes over an attach that another key received with an
// unknown GUTI and identified as this subscriber's IMSI (docs/design/
// node.md "Unknown GUTI").
func (m *Machine) attachTransferred(e *AttachTransferred) {
	if m.s.ECM == ECMConnected && m.s.Conn != e.Conn {
		m.releaseOldConnection()
	}
	m.s.Conn, m.s.ECM, m.s.Releasing, m.s.Secure = e.Conn, ECMConnected, false, false
	m.s.LastLocation = e.Location
	m.stopTimer(TMobileReachable)
	m.stopTimer(TImplicitDetach)
	ev := &nasEvent{now: e.Now, conn: e.Conn, loc: e.Location, initial: true, plain: e.AttachRequest}
	msg, err := nasUplinkDecoder.Decode(e.AttachRequest)
	req, ok := msg.(*nas.AttachRequest)
	if err != nil || !ok {
		m.anomaly(e, "transferred ATTACH REQUEST does not decode")
		m.releaseConnection(nasCause(s1ap.CauseNasUnspecified))
		return
	}
	ev.msg = req
	if m.s.Proc != ProcNone {
		if m.s.Proc == ProcAttach {
			m.abortAttach("emm:superseded_by_new_attach_request", false)
		} else {
			m.outcome(m.s.Proc, false, "superseded_by_attach")
			m.end()
		}
	}
	m.begin(ProcAttach, WaitNone)
	m.s.ProcStart = e.ProcStart
	m.startAttach(ev, req, e.IMSI)
}

// startAttach checks the request and runs the attach up to its first wait.
// imsi is set when the identity is already known (a transferred attach).
func (m *Machine) startAttach(ev *nasEvent, req *nas.AttachRequest, imsi string) {
	// TS 24.301 §5.5.1.2.5: reject a UE in a PLMN or TA this MME does not
	// serve (#11, #12).
	if ev.loc.TAI.PLMN != m.cfg.PLMN {
		m.rejectAttach(nas.EMMCausePLMNNotAllowed, "emm:#11", nil)
		return
	}
	if !slices.Contains(m.cfg.TAIs, ev.loc.TAI) {
		m.rejectAttach(nas.EMMCauseTrackingAreaNotAllowed, "emm:#12", nil)
		return
	}
	// The ESM message container must hold a PDN CONNECTIVITY REQUEST
	// (TS 24.301 §5.5.1.2.2, §6.5.1.2); otherwise the attach is rejected
	// with #19 ESM failure and the ESM cause (§6.5.1.4, §7).
	esm, err := req.ESMMessageContainer.Decode()
	pdn, isPDN := esm.(*nas.PDNConnectivityRequest)
	if err != nil || !isPDN {
		cause := nas.ESMCauseInvalidMandatoryInformation
		if ne, ok := err.(*nas.Error); ok && ne.Cause != 0 {
			cause = nas.ESMCause(ne.Cause)
		} else if err == nil {
			cause = nas.ESMCauseMessageTypeNotCompatible
		}
		m.rejectAttach(nas.EMMCauseESMFailure, "emm:#19", &nas.PDNConnectivityReject{ESMCause: cause})
		return
	}
	at := req.EPSAttachType.Effective()
	if at == nas.EPSEmergencyAttach || pdn.RequestType == nas.Emergency {
		// No emergency bearer services here (the EPS network feature
		// support IE says so): TS 24.301 §5.5.1.2.5 and §6.5.1.4.
		m.rejectAttach(nas.EMMCauseESMFailure, "emm:#19_emergency_not_supported",
			&nas.PDNConnectivityReject{PTI: pdn.PTI, ESMCause: nas.ESMCauseServiceOptionNotSupported})
		return
	}
	// TS 24.301 §5.5.1.2.7 k (and the re-attach of TS 23.401 §5.3.2.1
	// step 12): the contexts of a UE that was attached are deleted first.
	reattach := len(m.s.PDNs) > 0
	if reattach {
		m.deleteSessions(gtp.Cause{}, false)
	}
	m.stopAllTimersExcept(0)
	m.clearRetx()
	m.setEMM(EMMDeregistered)
	m.s.Attach = AttachState{
		Type: at, PTI: pdn.PTI, PDNType: pdn.PDNType, Reattach: reattach,
		Request: ev.plain,
	}
	if pdn.ESMInformationTransferFlag != nil && *pdn.ESMInformationTransferFlag&1 == 1 {
		m.s.Attach.ESMInfo = true
	}
	if pdn.AccessPointName != nil {
		m.s.Attach.APN = string(*pdn.AccessPointName)
	}
	m.s.UENetworkCapability = append(m.s.UENetworkCapability[:0], req.UENetworkCapability...)
	m.s.MSNetworkCapability = append(m.s.MSNetworkCapability[:0], req.MSNetworkCapability...)
	if req.DRXParameter != nil {
		m.s.DRX = []byte{req.DRXParameter.SplitPGCycleCode, req.DRXParameter.CNSpecificDRXCycle<<4 | req.DRXParameter.NonDRXTimer | boolBit(req.DRXParameter.SplitOnCCCH, 8)}
	}
	m.s.Resynced = false
	m.touch()

	known := false
	switch id := req.EPSMobileIdentity; {
	case imsi != "":
		m.setIMSI(imsi)
		known = true
	case id.Type == nas.EPSIdentityIMSI:
		m.setIMSI(id.Digits)
		known = true
	case id.Type == nas.EPSIdentityGUTI:
		m.s.Attach.ByGUTI = true
		// The node routed the GUTI here: a record holding the same GUTI
		// knows the UE (TS 24.301 §5.5.1.2.3); a fresh key does not.
		// The old GUTI of a reallocation not yet confirmed is valid too
		// (guti.go), and a protected request names the one the UE holds.
		known = m.s.IMSI != "" && ((m.s.HasGUTI && m.s.GUTI == id.GUTI) || (m.s.HasOldGUTI && m.s.OldGUTI == id.GUTI))
		if known && ev.integrity {
			m.gutiUsed(id.GUTI.MTMSI)
		}
	default:
		// IMEI: only for emergency attach without UICC (TS 24.301
		// §5.5.1.2.2), which is not offered.
		m.rejectAttach(nas.EMMCauseIllegalUE, "emm:#3_imei_identity", nil)
		return
	}
	if !known {
		// TS 24.301 §5.4.4, TS 23.401 §5.3.2.1 step 4: the GUTI names no
		// context here; ask for the IMSI.
		m.identify(nas.IdentityType2(1))
		return
	}
	m.afterIdentity(ev)
}

func boolBit(b bool, v uint8) uint8 {
	if b {
		return v
	}
	return 0
}

func (m *Machine) setIMSI(imsi string) {
	if m.s.IMSI != imsi {
		if m.s.IMSI != "" {
			// Another subscriber's IMSI on this key (a GUTI collision):
			// nothing of the old context applies.
			m.s = Subscriber{EMM: m.s.EMM, ECM: m.s.ECM, Proc: m.s.Proc, Wait: m.s.Wait, ProcStart: m.s.ProcStart,
				Attach: m.s.Attach, Conn: m.s.Conn, Deadlines: m.s.Deadlines, NextTxn: m.s.NextTxn, LastLocation: m.s.LastLocation,
				UENetworkCapability: m.s.UENetworkCapability, MSNetworkCapability: m.s.MSNetworkCapability, DRX: m.s.DRX}
			m.sec = nil
		}
		m.s.IMSI = imsi
		m.touch()
	}
}

// afterIdentity decides whether EPS-AKA is needed: the native context is
// reused when the ATTACH REQUEST passed its integrity check (TS 24.301
// §5.5.1.2.3; TS 33.401 §7.2.4.4), unless configured to authenticate
// always.
func (m *Machine) afterIdentity(ev *nasEvent) {
	if ev.integrity && m.sec != nil && m.s.Secure && !m.cfg.AuthenticateAlways {
		m.afterSecurity()
		return
	}
	m.authenticate()
}

// afterSecurity continues once the NAS security is established: ESM
// information first when the UE asked for it (TS 24.301 §6.6.1.2), then
// the HSS.
func (m *Machine) afterSecurity() {
	if m.reauthenticating() {
		m.reauthenticated() // reauth.go
		return
	}
	m.setEMM(EMMDeregistered)
	if m.s.Attach.ESMInfo {
		m.await(WaitESMInfo, 0)
		m.guard(T3489, &nas.ESMInformationRequest{PTI: m.s.Attach.PTI}, false)
		return
	}
	m.updateLocation()
}

// esmInformationResponse is ESM INFORMATION RESPONSE (TS 24.301 §6.6.1.2.3).
func (m *Machine) esmInformationResponse(ev *nasEvent, msg *nas.ESMInformationResponse) {
	if m.s.Proc != ProcAttach || m.s.Wait != WaitESMInfo {
		m.notCompatible(ev)
		return
	}
	if msg.PTI != m.s.Attach.PTI {
		// TS 24.301 §7.3.1: a PTI of no active transaction: ESM STATUS #47.
		m.anomaly(ev, fmt.Sprintf("ESM INFORMATION RESPONSE with PTI %d, expected %d", msg.PTI, m.s.Attach.PTI))
		m.sendNAS(&nas.ESMStatus{PTI: msg.PTI, ESMCause: nas.ESMCausePTIMismatch}, false)
		return
	}
	m.stopTimer(T3489)
	m.clearRetx()
	if msg.AccessPointName != nil {
		m.s.Attach.APN = string(*msg.AccessPointName)
	}
	m.updateLocation()
}

// updateLocation sends Update-Location-Request (TS 23.401 §5.3.2.1 step 8,
// TS 29.272 §5.2.1.1.2).
func (m *Machine) updateLocation() {
	txn := m.nextTxn()
	ulr := &s6a.ULR{
		IMSI: m.s.IMSI, RATType: s6a.RATTypeEUTRAN,
		ULRFlags:      s6a.ULRS6aS6dIndicator | s6a.ULRInitialAttachIndicator,
		VisitedPLMNID: m.cfg.PLMN,
	}
	if len(m.s.IMEISV) == 16 {
		// TS 29.272 §7.3.4-5: IMEI (14 digits) and software version.
		ulr.IMEI, ulr.SoftwareVersion = m.s.IMEISV[:14], m.s.IMEISV[14:]
	}
	m.effect(SendS6a{Txn: txn, Msg: ulr})
	m.await(WaitULA, txn)
}

// updateLocationAnswer: TS 29.272 §5.2.1.1.3 and Annex A for the failures.
func (m *Machine) updateLocationAnswer(e *UpdateLocationAnswer) {
	if !m.expected(e, WaitULA, e.Txn) {
		return
	}
	if e.Err != nil {
		// TS 29.272 Annex A: no answer from the HSS → #17.
		m.rejectAttach(nas.EMMCauseNetworkFailure, "s6a:no_answer", nil)
		return
	}
	if !e.ULA.Result.IsSuccess() {
		m.rejectAttachS6a(e.ULA.Result)
		return
	}
	sd := e.ULA.SubscriptionData
	if sd == nil || sd.APNConfigurationProfile == nil {
		// TS 29.272 §5.2.1.1.3: the ULA of an initial attach carries the
		// subscription data; without an APN profile there is no PDN to
		// connect (TS 23.401 §5.3.2.1 step 11).
		m.rejectAttach(nas.EMMCauseESMFailure, "s6a:no_apn_configuration",
			&nas.PDNConnectivityReject{PTI: m.s.Attach.PTI, ESMCause: nas.ESMCauseRequestedServiceOptionNotSubscribed})
		return
	}
	if sd.AccessRestrictionData != nil && *sd.AccessRestrictionData&s6a.WBEUTRANNotAllowed != 0 {
		// TS 29.272 §7.3.31 and Annex A: E-UTRAN not allowed → #15.
		m.rejectAttach(nas.EMMCauseNoSuitableCellsInTrackingArea, "s6a:eutran_not_allowed", nil)
		return
	}
	m.storeSubscription(sd)
	if m.s.Outstanding > 0 {
		// Wait for the old PDN connections of a re-attach to be deleted.
		m.await(WaitOldSessions, 0)
		return
	}
	m.createSession()
}

func (m *Machine) storeSubscription(sd *s6a.SubscriptionData) {
	sub := Subscription{Present: true, PeriodicTAU: sd.SubscribedPeriodicTAUTimer}
	if sd.AMBR != nil {
		sub.AMBRUplink, sub.AMBRDownlink = sd.AMBR.MaxRequestedBandwidthUL, sd.AMBR.MaxRequestedBandwidthDL
	}
	if sd.AccessRestrictionData != nil {
		sub.AccessRestriction = *sd.AccessRestrictionData
	}
	p := sd.APNConfigurationProfile
	sub.DefaultContext = p.ContextIdentifier
	for _, a := range p.APNConfigurations {
		c := APNConfig{ContextID: a.ContextIdentifier, APN: a.ServiceSelection, PDNType: a.PDNType, QCI: 9,
			ARP: ARP{Level: 15, Preemptable: true}}
		if q := a.EPSSubscribedQoS; q != nil {
			c.QCI = uint8(q.QCI)
			c.ARP = ARP{Level: uint8(q.PriorityLevel), MayPreempt: q.PreemptionCapability == s6a.PreemptionCapabilityEnabled,
				Preemptable: q.PreemptionVulnerability == s6a.PreemptionVulnerabilityEnabled}
		}
		if a.AMBR != nil {
			c.AMBRUplink, c.AMBRDownlink = a.AMBR.MaxRequestedBandwidthUL, a.AMBR.MaxRequestedBandwidthDL
		}
		sub.APNs = append(sub.APNs, c)
	}
	m.s.Subscription = sub
	if sd.MSISDN != "" {
		m.s.MSISDN = sd.MSISDN
	}
	m.touch()
}

// selectAPN picks the APN configuration for the attach: the requested APN
// if subscribed, else the default (TS 23.401 §5.3.2.1 step 12).
func (m *Machine) selectAPN() (*APNConfig, bool) {
	sub := &m.s.Subscription
	if req := m.s.Attach.APN; req != "" {
		for i := range sub.APNs {
			if strings.EqualFold(sub.APNs[i].APN, req) {
				return &sub.APNs[i], true
			}
		}
		return nil, false
	}
	for i := range sub.APNs {
		if sub.APNs[i].ContextID == sub.DefaultContext {
			return &sub.APNs[i], true
		}
	}
	return nil, false
}

// selectPDNType intersects the requested PDN type with the subscribed one
// (TS 23.401 §5.3.1.1). The ESM cause tells the UE when it got less than
// it asked for (#50, #51; TS 24.301 §6.5.1.3).
func selectPDNType(req nas.PDNType, subscribed uint32) (nas.PDNType, nas.ESMCause, bool) {
	switch subscribed {
	case s6a.PDNTypeIPv4:
		if req == nas.PDNTypeIPv6 {
			return 0, nas.ESMCausePDNTypeIPv4OnlyAllowed, false
		}
		if req == nas.PDNTypeIPv4v6 {
			return nas.PDNTypeIPv4, nas.ESMCausePDNTypeIPv4OnlyAllowed, true
		}
		return nas.PDNTypeIPv4, 0, true
	case s6a.PDNTypeIPv6:
		if req == nas.PDNTypeIPv4 {
			return 0, nas.ESMCausePDNTypeIPv6OnlyAllowed, false
		}
		if req == nas.PDNTypeIPv4v6 {
			return nas.PDNTypeIPv6, nas.ESMCausePDNTypeIPv6OnlyAllowed, true
		}
		return nas.PDNTypeIPv6, 0, true
	case s6a.PDNTypeIPv4v6, s6a.PDNTypeIPv4OrIPv6:
		switch req {
		case nas.PDNTypeIPv4, nas.PDNTypeIPv6, nas.PDNTypeIPv4v6:
			return req, 0, true
		}
	}
	return 0, nas.ESMCauseUnknownPDNType, false
}

// createSession sends Create Session Request (TS 23.401 §5.3.2.1 step 12,
// TS 29.274 §7.2.1).
func (m *Machine) createSession() {
	apn, ok := m.selectAPN()
	if !ok {
		// TS 24.301 §6.5.1.4: #27 missing or unknown APN.
		m.rejectAttach(nas.EMMCauseESMFailure, "esm:#27",
			&nas.PDNConnectivityReject{PTI: m.s.Attach.PTI, ESMCause: nas.ESMCauseMissingOrUnknownAPN})
		return
	}
	pdnType, _, ok := selectPDNType(m.s.Attach.PDNType, apn.PDNType)
	if !ok {
		_, cause, _ := selectPDNType(m.s.Attach.PDNType, apn.PDNType)
		m.rejectAttach(nas.EMMCauseESMFailure, "esm:#"+itoa(int(cause)),
			&nas.PDNConnectivityReject{PTI: m.s.Attach.PTI, ESMCause: cause})
		return
	}
	if m.s.S11TEID == 0 {
		teid, err := m.alloc.S11TEID(m.key, m.cfg.SGW)
		if err != nil {
			m.rejectAttach(nas.EMMCauseNetworkFailure, "s11:no_teid", nil)
			return
		}
		m.s.S11TEID = teid
	}
	m.s.SGW, m.s.SGWTEID = m.cfg.SGW, 0
	csr := m.createSessionRequest(apn, pdnType, defaultEBI)
	txn := m.nextTxn()
	m.effect(SendS11{Txn: txn, Peer: m.s.SGW, TEID: 0, Msg: csr})
	m.await(WaitCSR, txn)
}

// createSessionRequest is the Create Session Request for a PDN
// connection to the subscribed APN apn with the selected pdnType and its
// default bearer ebi (TS 29.274 §7.2.1; TS 23.401 §5.3.2.1 step 12,
// §5.10.2 step 2): the UE's identities and location, the MME's S11 F-TEID,
// the PGW (Config.PGW, else the SGW's address), the subscribed QoS and
// APN-AMBR (kbit/s).
func (m *Machine) createSessionRequest(apn *APNConfig, pdnType nas.PDNType, ebi uint8) *gtp.CreateSessionRequest {
	pgw := m.cfg.PGW
	if !pgw.IsValid() {
		pgw = m.cfg.SGW.Addr()
	}
	csr := &gtp.CreateSessionRequest{
		IMSI:           m.s.IMSI,
		MSISDN:         m.s.MSISDN,
		ULI:            m.uli(),
		ServingNetwork: gtpPLMN(m.cfg.PLMN),
		RATType:        gtp.RATEUTRAN,
		SenderFTEID:    fteid(gtp.IfS11MMEGTPC, m.s.S11TEID, m.cfg.MMES11),
		PGWS5S8FTEID:   fteid(gtp.IfS5S8PGWGTPC, 0, pgw),
		APN:            apn.APN,
		SelectionMode:  gtp.SelectionSubscribedVerified,
		PDNType:        gtp.PDNType(pdnType),
		PAA:            requestedPAA(pdnType),
		APNRestriction: new(uint8),
		BearerContextsToBeCreated: []gtp.BearerContext{{
			EBI: ebi,
			BearerQoS: gtp.BearerQoS{QCI: apn.QCI,
				ARP: gtp.ARP{PL: apn.ARP.Level, PCI: !apn.ARP.MayPreempt, PVI: !apn.ARP.Preemptable}},
		}},
	}
	if len(m.s.IMEISV) > 0 {
		csr.MEI = m.s.IMEISV
	}
	if apn.AMBRUplink != 0 || apn.AMBRDownlink != 0 {
		csr.AMBR = &gtp.AMBR{Uplink: apn.AMBRUplink / 1000, Downlink: apn.AMBRDownlink / 1000}
	}
	return csr
}

func itoa(v int) string { return fmt.Sprint(v) }

func fteid(t gtp.InterfaceType, teid uint32, a netip.Addr) gtp.FTEID {
	f := gtp.FTEID{Interface: t, TEID: teid}
	if a.Is4() {
		f.IPv4 = a
	} else {
		f.IPv6 = a
	}
	return f
}

// requestedPAA is the PDN Address Allocation of a Create Session Request:
// the type with unspecified addresses, dynamic allocation (TS 29.274 §8.14).
func requestedPAA(t nas.PDNType) gtp.PAA {
	p := gtp.PAA{Type: gtp.PDNType(t)}
	if t == nas.PDNTypeIPv4 || t == nas.PDNTypeIPv4v6 {
		p.IPv4 = netip.IPv4Unspecified()
	}
	if t == nas.PDNTypeIPv6 || t == nas.PDNTypeIPv4v6 {
		p.IPv6 = netip.PrefixFrom(netip.IPv6Unspecified(), 64)
	}
	return p
}

func gtpPLMN(p nas.PLMNID) gtp.PLMN { return gtp.PLMN{MCC: p.MCC(), MNC: p.MNC()} }

// uli is the User Location Information (TS 29.274 §8.21) from the last
// location.
func (m *Machine) uli() gtp.ULI {
	l := m.s.LastLocation
	return gtp.ULI{
		TAI:  gtp.TAI{PLMN: gtpPLMN(l.TAI.PLMN), TAC: l.TAI.TAC},
		ECGI: gtp.ECGI{PLMN: gtpPLMN(l.ECGI.PLMN), ECI: l.ECGI.CellID},
	}
}

// createSessionResponse: TS 23.401 §5.3.2.1 step 16, TS 29.274 §7.2.2.
func (m *Machine) createSessionResponse(e *S11Response, resp *gtp.CreateSessionResponse) {
	if !resp.Cause.Accepted() {
		// TS 24.301 §6.5.1.4: the PDN connection is rejected; with it the
		// attach (#19 ESM failure). #26 for a lack of resources, else #30.
		esm := nas.ESMCauseRequestRejectedBySGWOrPGW
		switch resp.Cause.Value {
		case gtp.CauseNoResourcesAvailable, gtp.CauseAllDynamicAddressesAreOccupied, gtp.CauseNoMemoryAvailable:
			esm = nas.ESMCauseInsufficientResources
		case gtp.CauseMissingOrUnknownAPN:
			esm = nas.ESMCauseMissingOrUnknownAPN
		case gtp.CausePreferredPDNTypeNotSupported:
			esm = nas.ESMCauseUnknownPDNType
		}
		m.rejectAttach(nas.EMMCauseESMFailure, "s11:cause_"+itoa(int(resp.Cause.Value)),
			&nas.PDNConnectivityReject{PTI: m.s.Attach.PTI, ESMCause: esm})
		return
	}
	var def *gtp.BearerContext
	for i := range resp.BearerContextsCreated {
		if resp.BearerContextsCreated[i].EBI == defaultEBI {
			def = &resp.BearerContextsCreated[i]
		}
	}
	if def == nil || (def.Cause.Value != 0 && !def.Cause.Accepted()) || def.S1USGWFTEID.IsZero() {
		// TS 29.274 Table 7.2.2-2: the accepted default bearer carries its
		// S1-U SGW F-TEID (gtp.CheckS11 checks it too).
		m.s.SGWTEID = resp.SenderFTEID.TEID
		m.rejectAttach(nas.EMMCauseESMFailure, "s11:default_bearer_not_created",
			&nas.PDNConnectivityReject{PTI: m.s.Attach.PTI, ESMCause: nas.ESMCauseRequestRejectedBySGWOrPGW})
		return
	}
	apn, _ := m.selectAPN()
	pdnType, esmCause, _ := selectPDNType(m.s.Attach.PDNType, apn.PDNType)
	if resp.PAA.Type != 0 && nas.PDNType(resp.PAA.Type) != pdnType {
		// The PGW allocated a single family (TS 29.274 §8.4 causes #18, #19).
		pdnType = nas.PDNType(resp.PAA.Type)
		if pdnType == nas.PDNTypeIPv4 {
			esmCause = nas.ESMCausePDNTypeIPv4OnlyAllowed
		} else if pdnType == nas.PDNTypeIPv6 {
			esmCause = nas.ESMCausePDNTypeIPv6OnlyAllowed
		}
	}
	m.s.SGWTEID = resp.SenderFTEID.TEID
	pdn := PDN{APN: apn.APN, PDNType: pdnType, IPv4: resp.PAA.IPv4, IPv6: resp.PAA.IPv6,
		PGW: FTEID{Addr: addrOf(resp.PGWS5S8FTEID), TEID: resp.PGWS5S8FTEID.TEID}, LBI: defaultEBI,
		AMBRUplink: apn.AMBRUplink / 1000, AMBRDownlink: apn.AMBRDownlink / 1000}
	if resp.AMBR != nil {
		pdn.AMBRUplink, pdn.AMBRDownlink = resp.AMBR.Uplink, resp.AMBR.Downlink
	}
	qci, arp := apn.QCI, apn.ARP
	if !def.BearerQoS.IsZero() {
		qci = def.BearerQoS.QCI
		arp = ARP{Level: def.BearerQoS.ARP.PL, MayPreempt: !def.BearerQoS.ARP.PCI, Preemptable: !def.BearerQoS.ARP.PVI}
	}
	pdn.Bearers = []Bearer{{EBI: defaultEBI, State: BearerActivePending, QCI: qci, ARP: arp,
		SGWU: FTEID{Addr: addrOf(def.S1USGWFTEID), TEID: def.S1USGWFTEID.TEID}}}
	m.s.PDNs = append(m.s.PDNs[:0], pdn)
	m.touch()
	m.attachAccept(esmCause)
}

func addrOf(f gtp.FTEID) netip.Addr {
	if f.IPv4.IsValid() {
		return f.IPv4
	}
	return f.IPv6
}

// attachAccept sends INITIAL CONTEXT SETUP REQUEST carrying ATTACH ACCEPT
// and ACTIVATE DEFAULT EPS BEARER CONTEXT REQUEST (TS 23.401 §5.3.2.1
// step 17, TS 24.301 §5.5.1.2.4, §6.4.1.2, TS 36.413 §8.3.1.2).
func (m *Machine) attachAccept(esmCause nas.ESMCause) {
	pdn := &m.s.PDNs[0]
	b := &pdn.Bearers[0]
	act := &nas.ActivateDefaultEPSBearerContextRequest{
		EBI: b.EBI, PTI: m.s.Attach.PTI,
		EPSQoS:          nas.NewEPSQoS(b.QCI, 0, 0, 0, 0),
		AccessPointName: nas.APN(pdn.APN),
		PDNAddress:      pdnAddress(pdn),
	}
	if pdn.AMBRUplink != 0 || pdn.AMBRDownlink != 0 {
		act.APNAMBR = nas.NewAPNAggregateMaximumBitRate(uint64(pdn.AMBRDownlink), uint64(pdn.AMBRUplink))
	}
	if esmCause != 0 {
		act.ESMCause = &esmCause
	}
	esm, err := nas.Encode(act)
	if err != nil {
		m.rejectAttach(nas.EMMCauseNetworkFailure, "encode:"+err.Error(), nil)
		return
	}
	// TS 24.301 §5.5.1.2.4: a new GUTI with this MME's GUMMEI
	// (TS 23.003 §2.8).
	// An attach by a GUTI of this MME keeps it valid until ATTACH
	// COMPLETE (§5.5.1.2.4, §5.5.1.2.7 c); an attach by IMSI had none.
	m.allocateGUTI(m.s.Attach.ByGUTI)
	acc := &nas.AttachAccept{
		EPSAttachResult:     nas.EPSOnly,
		T3412Value:          gprsTimer(m.t3412()),
		TAIList:             nas.TAIList{{Type: nas.TAIListNonConsecutive, TAIs: m.s.TAIList}},
		ESMMessageContainer: esm,
		GUTI:                &m.s.GUTI,
		// TS 24.301 §9.9.3.12A: IMS VoPS and EMC BS as configured; "no
		// emergency bearer services" unless configured.
		EPSNetworkFeatureSupport: nas.EPSNetworkFeatureSupport{boolBit(m.cfg.IMSVoPS, 1) | boolBit(m.cfg.EmergencyBearerServices, 2)},
	}
	if m.s.Attach.Type == nas.CombinedEPSIMSIAttach {
		// TS 24.301 §5.5.1.3.4.3: no CS domain (no SGs): EPS only, #18.
		c := nas.EMMCauseCSDomainNotAvailable
		acc.EMMCause = &c
	}
	m.setEMM(EMMCommonProcedureInitiated)
	m.await(WaitAttachComplete, 0)
	pdu := m.guard(T3450, acc, true)
	if pdu == nil {
		m.abortAttach("attach_accept_not_sent", true)
		return
	}
	ics := &s1ap.InitialContextSetupRequest{
		UEaggregateMaximumBitrate: s1ap.UEAggregateMaximumBitrate{
			UEaggregateMaximumBitRateDL: s1ap.BitRate(m.s.Subscription.AMBRDownlink),
			UEaggregateMaximumBitRateUL: s1ap.BitRate(m.s.Subscription.AMBRUplink),
		},
		ERABToBeSetupListCtxtSUReq: s1ap.ERABToBeSetupListCtxtSUReq{{
			ERABID:                 s1ap.ERABID(b.EBI),
			ERABlevelQoSParameters: erabQoS(b),
			TransportLayerAddress:  transportAddress(b.SGWU.Addr),
			GTPTEID:                teidBytes(b.SGWU.TEID),
			NASPDU:                 s1ap.Some(s1ap.NASPDU(pdu)),
		}},
		UESecurityCapabilities: ueSecurityCapabilities(m.s.UENetworkCapability),
		SecurityKey:            s1ap.SecurityKey(m.kENB()),
	}
	if len(m.s.UERadioCapability) > 0 {
		ics.UERadioCapability = s1ap.Some(s1ap.UERadioCapability(m.s.UERadioCapability))
	}
	m.effect(SendS1{Conn: m.s.Conn, Msg: ics})
	m.s.Attach.ICSDone, m.s.Attach.Complete = false, false
	m.startTimer(TS1Guard)
}

// kENB derives K_eNB from K_ASME and the uplink NAS COUNT of the message
// that established the security of this connection (TS 33.401 §7.2.6.2,
// A.3), and sets NH to it with NCC 0 (TS 33.401 §7.2.8.1.1: the first NH
// is chained from K_eNB at the first handover, issue #9).
func (m *Machine) kENB() [32]byte {
	k := m.sec.KENB(security.Count(m.s.KeNBCount))
	m.s.NH, m.s.NCC = k, 0
	m.touch()
	return k
}

func (m *Machine) t3412() time.Duration {
	if s := m.s.Subscription.PeriodicTAU; s > 0 {
		// TS 23.401 §5.3.2.1: the subscribed periodic TAU timer may be used.
		return time.Duration(s) * time.Second
	}
	return m.cfg.T3412
}

// taiList is the TAI list of ATTACH ACCEPT: the UE's TAI first, then the
// other served TAIs of its PLMN, at most 16 (TS 24.301 §9.9.3.33); only
// the UE's TAI with Config.TAIListCurrent.
func (m *Machine) taiList() []nas.TAI {
	cur := m.s.LastLocation.TAI
	l := []nas.TAI{cur}
	if m.cfg.TAIListCurrent {
		// The operator's per-TA lists: a UE that leaves its TA (e.g. by
		// handover) updates its location (TS 23.401 §5.5.1.1.2 step 9).
		return l
	}
	for _, t := range m.cfg.TAIs {
		if len(l) == 16 {
			break
		}
		if t != cur && t.PLMN == cur.PLMN {
			l = append(l, t)
		}
	}
	return l
}

// gprsTimer encodes a duration as a GPRS timer (TS 24.008 §10.5.7.3): the
// finest unit that holds it, deactivated above 31 decihours.
func gprsTimer(d time.Duration) nas.GPRSTimer {
	s := int64(d / time.Second)
	switch {
	case s <= 62 && s%2 == 0:
		return nas.GPRSTimer{Unit: nas.TimerUnit2Seconds, Value: uint8(s / 2)}
	case s <= 31*60 && s%60 == 0:
		return nas.GPRSTimer{Unit: nas.TimerUnitMinute, Value: uint8(s / 60)}
	case s <= 31*360:
		return nas.GPRSTimer{Unit: nas.TimerUnitDecihour, Value: uint8((s + 359) / 360)}
	}
	return nas.GPRSTimer{Unit: nas.TimerDeactivated}
}

func pdnAddress(p *PDN) nas.PDNAddress {
	a := nas.PDNAddress{Type: p.PDNType}
	if p.IPv4.IsValid() {
		a.IPv4 = p.IPv4
	}
	if p.IPv6.IsValid() {
		v := p.IPv6.Addr().As16()
		copy(a.IPv6InterfaceIdentifier[:], v[8:])
	}
	return a
}

func erabQoS(b *Bearer) s1ap.ERABLevelQoSParameters {
	q := s1ap.ERABLevelQoSParameters{QCI: s1ap.QCI(b.QCI)}
	q.AllocationRetentionPriority.PriorityLevel = s1ap.PriorityLevel(b.ARP.Level)
	q.AllocationRetentionPriority.PreEmptionCapability = s1ap.PreEmptionCapabilityShallNotTriggerPreEmption
	if b.ARP.MayPreempt {
		q.AllocationRetentionPriority.PreEmptionCapability = s1ap.PreEmptionCapabilityMayTriggerPreEmption
	}
	q.AllocationRetentionPriority.PreEmptionVulnerability = s1ap.PreEmptionVulnerabilityNotPreEmptable
	if b.ARP.Preemptable {
		q.AllocationRetentionPriority.PreEmptionVulnerability = s1ap.PreEmptionVulnerabilityPreEmptable
	}
	return q
}

// transportAddress is a TransportLayerAddress (TS 36.414 §5.3: the IPv4 or
// IPv6 address as a bit string).
func transportAddress(a netip.Addr) s1ap.TransportLayerAddress {
	b := a.AsSlice()
	return s1ap.TransportLayerAddress{Bytes: b, Len: 8 * len(b)}
}

func teidBytes(t uint32) s1ap.GTPTEID {
	return s1ap.GTPTEID{byte(t >> 24), byte(t >> 16), byte(t >> 8), byte(t)}
}

// ueSecurityCapabilities maps the UE network capability to the S1AP UE
// Security Capabilities (TS 36.413 §9.2.1.40: first bit 128-EEA1/EIA1;
// EEA0/EIA0 are implicit).
func ueSecurityCapabilities(uenc []byte) s1ap.UESecurityCapabilities {
	var eea, eia byte
	if len(uenc) >= 2 {
		eea, eia = uenc[0]<<1, uenc[1]<<1
	}
	return s1ap.UESecurityCapabilities{
		EncryptionAlgorithms:          s1ap.EncryptionAlgorithms{Bytes: []byte{eea, 0}, Len: 16},
		IntegrityProtectionAlgorithms: s1ap.IntegrityProtectionAlgorithms{Bytes: []byte{eia, 0}, Len: 16},
	}
}

// initialContextSetupResponse: TS 36.413 §8.3.1.2, TS 23.401 §5.3.2.1 step 20.
func (m *Machine) initialContextSetupResponse(e *InitialContextSetupResponse) {
	if m.s.Wait == WaitServiceICS {
		m.serviceICSResponse(e)
		return
	}
	if e.Conn != m.s.Conn || m.s.Proc != ProcAttach || m.s.Wait != WaitAttachComplete || m.s.Attach.ICSDone {
		m.anomaly(e, "INITIAL CONTEXT SETUP RESPONSE not awaited")
		return
	}
	m.stopTimer(TS1Guard)
	pdn := &m.s.PDNs[0]
	ok := false
	for _, s := range e.Setup {
		for i := range pdn.Bearers {
			if pdn.Bearers[i].EBI == s.EBI {
				pdn.Bearers[i].ENBU = FTEID{Addr: s.Addr, TEID: s.TEID}
				ok = ok || s.EBI == pdn.LBI
			}
		}
	}
	if !ok {
		// TS 23.401 §5.3.2.1: the default bearer must be set up.
		m.abortAttach("ics:default_bearer_not_setup", true)
		return
	}
	m.s.Attach.ICSDone = true
	m.touch()
	if m.s.Attach.Complete {
		m.attachDone()
	}
}

// initialContextSetupFailure: TS 36.413 §8.3.1.3: the attach fails; its
// PDN connection is deleted and the connection released.
func (m *Machine) initialContextSetupFailure(e *InitialContextSetupFailure) {
	if m.s.Wait == WaitServiceICS {
		m.serviceICSFailure(e)
		return
	}
	if e.Conn != m.s.Conn || m.s.Proc != ProcAttach || m.s.Wait != WaitAttachComplete || m.s.Attach.ICSDone {
		m.anomaly(e, "INITIAL CONTEXT SETUP FAILURE not awaited")
		return
	}
	m.stopTimer(TS1Guard)
	m.abortAttach("ics_failure:"+causeString(e.Cause), true)
}

// attachComplete is ATTACH COMPLETE with ACTIVATE DEFAULT EPS BEARER
// CONTEXT ACCEPT (TS 24.301 §5.5.1.2.4, §6.4.1.3; TS 23.401 §5.3.2.1 step 22).
func (m *Machine) attachComplete(ev *nasEvent, msg *nas.AttachComplete) {
	if m.s.Proc != ProcAttach || m.s.Wait != WaitAttachComplete {
		m.notCompatible(ev)
		return
	}
	esm, err := msg.ESMMessageContainer.Decode()
	if err != nil {
		m.anomaly(ev, "ATTACH COMPLETE ESM container: "+err.Error())
		m.abortAttach("esm:malformed_attach_complete", true)
		return
	}
	pdn := &m.s.PDNs[0]
	switch a := esm.(type) {
	case *nas.ActivateDefaultEPSBearerContextAccept:
		if a.EBI != pdn.LBI {
			// TS 24.301 §7.3.2: an EBI of no bearer: ESM STATUS #43.
			m.sendNAS(&nas.ESMStatus{EBI: a.EBI, ESMCause: nas.ESMCauseInvalidEPSBearerIdentity}, false)
			m.abortAttach("esm:#43", true)
			return
		}
	case *nas.ActivateDefaultEPSBearerContextReject:
		// TS 24.301 §6.4.1.4: the UE refused the default bearer: the
		// attach fails.
		m.abortAttach("esm:default_bearer_rejected:#"+itoa(int(a.ESMCause)), true)
		return
	default:
		m.abortAttach("esm:unexpected_in_attach_complete", true)
		return
	}
	m.stopTimer(T3450)
	m.clearRetx()
	pdn.Bearers[0].State = BearerActive
	m.setEMM(EMMRegistered)
	m.newGUTIConfirmed()
	m.s.Attach.Complete = true
	m.touch()
	if m.s.Attach.ICSDone {
		m.attachDone()
	}
}

// attachDone: both ATTACH COMPLETE and INITIAL CONTEXT SETUP RESPONSE are
// in: Modify Bearer Request with the eNodeB's S1-U F-TEID (TS 23.401
// §5.3.2.1 step 23), EMM INFORMATION (TS 24.301 §5.4.5).
func (m *Machine) attachDone() {
	m.outcome(ProcAttach, true, "")
	m.end()
	m.s.Attach = AttachState{}
	m.modifyBearer()
	m.emmInformation()
}

// modifyBearer sends Modify Bearer Request with the eNodeB F-TEIDs of the
// default bearers (TS 29.274 §7.2.7).
func (m *Machine) modifyBearer() {
	mbr := &gtp.ModifyBearerRequest{}
	for _, p := range m.s.PDNs {
		for _, b := range p.Bearers {
			if b.ENBU.Addr.IsValid() {
				mbr.BearerContextsToBeModified = append(mbr.BearerContextsToBeModified,
					gtp.BearerContext{EBI: b.EBI, S1UENodeBFTEID: fteid(gtp.IfS1UENodeB, b.ENBU.TEID, b.ENBU.Addr)})
			}
		}
	}
	txn := m.nextTxn()
	m.s.Pending = txn
	m.effect(SendS11{Txn: txn, Peer: m.s.SGW, TEID: m.s.SGWTEID, Msg: mbr})
}

// emmInformation sends EMM INFORMATION with the configured network names
// and the time of the event (TS 24.301 §5.4.5).
func (m *Machine) emmInformation() {
	if m.cfg.NetworkFullName == "" && m.cfg.NetworkShortName == "" {
		return
	}
	info := &nas.EMMInformation{}
	if n, err := nas.NewNetworkName(m.cfg.NetworkFullName, false); err == nil && m.cfg.NetworkFullName != "" {
		info.FullNameForNetwork = n
	}
	if n, err := nas.NewNetworkName(m.cfg.NetworkShortName, false); err == nil && m.cfg.NetworkShortName != "" {
		info.ShortNameForNetwork = n
	}
	tz := nas.NewTimeZone(0)
	t := nas.NewTimeZoneAndTime(m.now.UTC())
	info.LocalTimeZone, info.UniversalTimeAndLocalTimeZone = &tz, &t
	m.sendNAS(info, false)
}

// rejectAttach sends ATTACH REJECT (TS 24.301 §5.5.1.2.5) with cause and,
// for ESM failures, the PDN CONNECTIVITY REJECT, and ends the attach.
// Congestion (#22) carries T3346.
func (m *Machine) rejectAttach(cause nas.EMMCause, why string, esm *nas.PDNConnectivityReject) {
	rej := &nas.AttachReject{EMMCause: cause}
	if esm != nil {
		if esm.PTI == 0 {
			esm.PTI = m.s.Attach.PTI
		}
		if b, err := nas.Encode(esm); err == nil {
			rej.ESMMessageContainer = b
		}
	}
	if cause == nas.EMMCauseCongestion {
		t := nas.GPRSTimer2(gprsTimer(m.cfg.T3346))
		rej.T3346Value = &t
	}
	m.sendNAS(rej, false)
	m.abortAttach(why, true)
}

// rejectAttachS6a maps a failed ULA/AIA to ATTACH REJECT (TS 29.272 Annex A).
func (m *Machine) rejectAttachS6a(r s6a.Result) {
	c, _ := s6a.EMMCauseFor(r)
	why := fmt.Sprintf("s6a:%d", r.Code)
	m.rejectAttach(nas.EMMCause(c), why, nil)
}

// abortAttach ends a failed attach: its timers stop, the PDN connection it
// created is deleted at the SGW, the connection is released (release), the
// UE stays EMM-DEREGISTERED (TS 24.301 §5.5.1.2.5-7).
func (m *Machine) abortAttach(why string, release bool) {
	m.stopNASTimers()
	m.stopTimer(TS1Guard)
	if len(m.s.PDNs) > 0 {
		m.deleteSessions(gtp.Cause{}, false)
	}
	m.s.NewSecurity = nil
	m.setEMM(EMMDeregistered)
	m.outcome(ProcAttach, false, why)
	m.end()
	m.s.Attach = AttachState{}
	if release {
		m.releaseConnection(nasCause(s1ap.CauseNasUnspecified))
	}
}

// causeString names an S1AP cause for outcomes and logs.
func causeString(c s1ap.Cause) string {
	if n := c.Name(); n != "" {
		return n
	}
	return "unknown"
}
