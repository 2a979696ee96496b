package session

import (
	"strings"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
)

// UE-requested PDN connectivity and PDN disconnection (TS 23.401 §5.10.2,
// §5.10.3; TS 24.301 §6.5.1, §6.5.2) on an attached UE, in the ESM
// transaction of bearer.go.

// esmBusy answers a UE request that collides with the ESM procedure in
// progress: a retransmission of the same request is dropped (the answer
// comes), anything else is rejected (#56 against a network-initiated
// procedure, TS 24.301 §6.5.1.4). A PDN connectivity procedure that waits
// only for the SGW's Modify Bearer Response is no collision: it ends first
// (pdnConnectDoneForUE).
func (m *Machine) esmBusy(ev *nasEvent, p Procedure, pti uint8) (busy bool, cause nas.ESMCause) {
	t := &m.s.ESM
	if !t.Active() || m.pdnConnectDoneForUE() {
		return false, 0
	}
	if t.Proc == p && t.PTI == pti {
		m.anomaly(ev, "repeated "+p.String()+" request")
		return true, 0
	}
	if t.PTI == 0 {
		return true, nas.ESMCauseCollisionWithNetworkInitiatedRequest
	}
	return true, nas.ESMCauseRequestRejectedUnspecified
}

// pdnConnectivityRequest: TS 23.401 §5.10.2 step 1, TS 24.301 §6.5.1.3:
// the APN is checked against the subscription and the PDN connections in
// place, an EBI allocated, and Create Session Request sent on the UE's S11
// tunnel.
func (m *Machine) pdnConnectivityRequest(ev *nasEvent, msg *nas.PDNConnectivityRequest) {
	reject := func(c nas.ESMCause) {
		m.sendNAS(&nas.PDNConnectivityReject{PTI: msg.PTI, ESMCause: c}, false)
		m.esmRefused(ProcPDNConnect, "esm:#"+itoa(int(c)))
	}
	if msg.PTI == 0 || msg.PTI == 255 {
		// TS 24.301 §7.3.1 b: an unassigned or reserved PTI.
		reject(nas.ESMCauseInvalidPTIValue)
		return
	}
	if busy, c := m.esmBusy(ev, ProcPDNConnect, msg.PTI); busy {
		if c != 0 {
			reject(c)
		}
		return
	}
	if msg.RequestType != nas.InitialRequest {
		// No emergency bearer services and no non-3GPP handover here.
		reject(nas.ESMCauseServiceOptionNotSupported)
		return
	}
	apn, ok := m.subscribedAPN(msg.AccessPointName)
	if !ok {
		reject(nas.ESMCauseMissingOrUnknownAPN) // TS 24.301 §6.5.1.4 #27
		return
	}
	for _, p := range m.s.PDNs {
		if strings.EqualFold(p.APN, apn.APN) {
			// TS 24.301 §6.5.1.4 #55: one PDN connection per APN.
			reject(nas.ESMCauseMultiplePDNConnectionsNotAllowed)
			return
		}
	}
	pdnType, downgrade, ok := selectPDNType(msg.PDNType, apn.PDNType)
	if !ok {
		reject(downgrade)
		return
	}
	ebi := m.freeEBI()
	if ebi == 0 {
		reject(nas.ESMCauseMaximumNumberOfEPSBearersReached) // #65
		return
	}
	t := m.esmBegin(ProcPDNConnect)
	t.PTI, t.LBI, t.EBI, t.Bearers = msg.PTI, ebi, ebi, []uint8{ebi}
	t.APN, t.PDNType, t.DowngradeCause = apn.APN, pdnType, uint8(downgrade)
	csr := m.createSessionRequest(apn, pdnType, ebi) // attach.go
	t.Txn = m.nextTxn()
	// TS 29.274 §7.2.1: the UE's S11 tunnel exists: the request goes to the
	// SGW's TEID.
	m.effect(SendS11{Txn: t.Txn, Peer: m.s.SGW, TEID: m.s.SGWTEID, Msg: csr})
}

// subscribedAPN is the APN configuration for a requested APN, the default
// one when none is requested (TS 23.401 §5.10.2).
func (m *Machine) subscribedAPN(req *nas.APN) (*APNConfig, bool) {
	sub := &m.s.Subscription
	want := ""
	if req != nil {
		want = string(*req)
	}
	for i := range sub.APNs {
		a := &sub.APNs[i]
		if (want == "" && a.ContextID == sub.DefaultContext) || (want != "" && strings.EqualFold(a.APN, want)) {
			return a, true
		}
	}
	return nil, false
}

// esmCauseForCreateSession maps a Create Session rejection to the ESM
// cause of PDN CONNECTIVITY REJECT (TS 24.301 §6.5.1.4, TS 29.274 §8.4).
func esmCauseForCreateSession(c gtp.CauseValue) nas.ESMCause {
	switch c {
	case gtp.CauseNoResourcesAvailable, gtp.CauseAllDynamicAddressesAreOccupied, gtp.CauseNoMemoryAvailable:
		return nas.ESMCauseInsufficientResources
	case gtp.CauseMissingOrUnknownAPN:
		return nas.ESMCauseMissingOrUnknownAPN
	case gtp.CausePreferredPDNTypeNotSupported:
		return nas.ESMCauseUnknownPDNType
	case gtp.CauseMultiplePDNConnectionsNotAllowed:
		return nas.ESMCauseMultiplePDNConnectionsNotAllowed
	case gtp.CauseUserAuthenticationFailed:
		return nas.ESMCauseUserAuthenticationFailed
	}
	return nas.ESMCauseRequestRejectedBySGWOrPGW
}

// esmS11Response takes the S11 answer the ESM transaction waits for.
func (m *Machine) esmS11Response(e *S11Response) {
	t := &m.s.ESM
	t.Txn = 0
	m.touch()
	switch t.Proc {
	case ProcPDNConnect:
		switch resp := e.Msg.(type) {
		case *gtp.CreateSessionResponse:
			m.pdnCreated(resp)
		case *gtp.ModifyBearerResponse:
			if !resp.Cause.Accepted() {
				// TS 23.401 §5.10.2 step 14: the user plane is not in place.
				m.anomaly(e, "Modify Bearer rejected with cause "+resp.Cause.Value.String())
			}
			m.esmEnd(true, "")
		default:
			if _, b := m.bearerOf(t.EBI); b == nil {
				// No Create Session Response (TS 29.274 §7.6): #38.
				m.sendNAS(&nas.PDNConnectivityReject{PTI: t.PTI, ESMCause: nas.ESMCauseNetworkFailure}, false)
				m.esmEnd(false, "s11:no_response")
				return
			}
			m.anomaly(e, "Modify Bearer got no answer")
			m.esmEnd(true, "")
		}
	case ProcPDNDisconnect:
		// TS 23.401 §5.10.3 step 3: the bearers are deactivated towards the
		// UE whatever the SGW answered (or did not).
		if resp, ok := e.Msg.(*gtp.DeleteSessionResponse); ok && !resp.Cause.Accepted() && resp.Cause.Value != gtp.CauseContextNotFound {
			m.anomaly(e, "Delete Session rejected with cause "+resp.Cause.Value.String())
		}
		m.deactivate(nas.ESMCauseRegularDeactivation, false)
	case ProcERABRelease:
		switch resp := e.Msg.(type) {
		case *gtp.DeleteBearerRequest:
			// The triggered request (TS 29.274 §7.6) ended the command; as a
			// request it comes as S11Request too and deactivates.
			m.esmProgress()
		case *gtp.DeleteBearerFailureIndication:
			m.anomaly(e, "Delete Bearer Command failed with cause "+resp.Cause.Value.String())
			m.esmEnd(false, "s11:cause_"+itoa(int(resp.Cause.Value)))
		default:
			m.esmEnd(false, "s11:no_response")
		}
	default:
		m.anomaly(e, "S11 answer in "+t.Proc.String())
	}
}

// pdnCreated: TS 23.401 §5.10.2 steps 3-4: the new default bearer goes to
// the eNodeB in E-RAB SETUP REQUEST with ACTIVATE DEFAULT EPS BEARER
// CONTEXT REQUEST (T3485); a rejection is PDN CONNECTIVITY REJECT.
func (m *Machine) pdnCreated(resp *gtp.CreateSessionResponse) {
	t := &m.s.ESM
	reject := func(c nas.ESMCause, why string) {
		m.sendNAS(&nas.PDNConnectivityReject{PTI: t.PTI, ESMCause: c}, false)
		m.esmEnd(false, why)
	}
	if !resp.Cause.Accepted() {
		reject(esmCauseForCreateSession(resp.Cause.Value), "s11:cause_"+itoa(int(resp.Cause.Value)))
		return
	}
	if m.s.ECM != ECMConnected || m.s.Releasing {
		// The connection went while the SGW answered: the UE retries later.
		m.deletePDNSession(t.EBI)
		m.esmEnd(false, "connection_lost")
		return
	}
	var def *gtp.BearerContext
	for i := range resp.BearerContextsCreated {
		if resp.BearerContextsCreated[i].EBI == t.EBI {
			def = &resp.BearerContextsCreated[i]
		}
	}
	if def == nil || (def.Cause.Value != 0 && !def.Cause.Accepted()) || def.S1USGWFTEID.IsZero() {
		m.deletePDNSession(t.EBI)
		reject(nas.ESMCauseRequestRejectedBySGWOrPGW, "s11:default_bearer_not_created")
		return
	}
	apn, _ := m.subscribedAPN((*nas.APN)(&t.APN))
	pdnType := t.PDNType
	if resp.PAA.Type != 0 && nas.PDNType(resp.PAA.Type) != pdnType {
		pdnType = nas.PDNType(resp.PAA.Type)
		switch pdnType {
		case nas.PDNTypeIPv4:
			t.DowngradeCause = uint8(nas.ESMCausePDNTypeIPv4OnlyAllowed)
		case nas.PDNTypeIPv6:
			t.DowngradeCause = uint8(nas.ESMCausePDNTypeIPv6OnlyAllowed)
		}
	}
	pdn := PDN{APN: t.APN, PDNType: pdnType, IPv4: resp.PAA.IPv4, IPv6: resp.PAA.IPv6,
		PGW: FTEID{Addr: addrOf(resp.PGWS5S8FTEID), TEID: resp.PGWS5S8FTEID.TEID}, LBI: t.EBI}
	if apn != nil {
		pdn.AMBRUplink, pdn.AMBRDownlink = apn.AMBRUplink/1000, apn.AMBRDownlink/1000
	}
	if resp.AMBR != nil {
		pdn.AMBRUplink, pdn.AMBRDownlink = resp.AMBR.Uplink, resp.AMBR.Downlink
	}
	b := Bearer{EBI: t.EBI, State: BearerActivePending, SGWU: FTEID{Addr: addrOf(def.S1USGWFTEID), TEID: def.S1USGWFTEID.TEID}}
	if apn != nil {
		b.QCI, b.ARP = apn.QCI, apn.ARP
	}
	if q := def.BearerQoS; !q.IsZero() {
		b.QCI, b.ARP = q.QCI, ARP{Level: q.ARP.PL, MayPreempt: !q.ARP.PCI, Preemptable: !q.ARP.PVI}
	}
	pdn.Bearers = []Bearer{b}
	m.s.PDNs = append(m.s.PDNs, pdn)
	m.touch()
	p := &m.s.PDNs[len(m.s.PDNs)-1]
	act := &nas.ActivateDefaultEPSBearerContextRequest{EBI: b.EBI, PTI: t.PTI, EPSQoS: nas.NewEPSQoS(b.QCI, 0, 0, 0, 0),
		AccessPointName: nas.APN(p.APN), PDNAddress: pdnAddress(p)}
	if p.AMBRUplink != 0 || p.AMBRDownlink != 0 {
		act.APNAMBR = nas.NewAPNAggregateMaximumBitRate(uint64(p.AMBRDownlink), uint64(p.AMBRUplink))
	}
	if t.DowngradeCause != 0 {
		c := nas.ESMCause(t.DowngradeCause)
		act.ESMCause = &c
	}
	pdu := m.esmGuard(T3485, act)
	if pdu == nil {
		m.deletePDNSession(b.EBI)
		m.removePDN(b.EBI)
		reject(nas.ESMCauseNetworkFailure, "encode")
		return
	}
	t = &m.s.ESM
	t.ENB, t.UE = AnswerPending, AnswerPending
	m.effect(SendS1{Conn: m.s.Conn, Msg: &s1ap.ERABSetupRequest{ERABToBeSetupListBearerSUReq: s1ap.ERABToBeSetupListBearerSUReq{{
		ERABID: s1ap.ERABID(b.EBI), ERABlevelQoSParameters: erabQoS(&b), TransportLayerAddress: transportAddress(b.SGWU.Addr),
		GTPTEID: teidBytes(b.SGWU.TEID), NASPDU: s1ap.NASPDU(pdu),
	}}}})
}

// pdnConnectDone: both the eNodeB and the UE answered. Accepted: Modify
// Bearer Request with the eNodeB's S1-U F-TEID (TS 23.401 §5.10.2 step
// 13). Otherwise the PDN connection is deleted again (TS 24.301 §6.4.1.4,
// §6.4.1.6 a) and what the eNodeB set up released.
func (m *Machine) pdnConnectDone() {
	t := &m.s.ESM
	_, b := m.bearerOf(t.EBI)
	if b != nil && t.ENB == AnswerOK && t.UE == AnswerOK {
		b.State = BearerActive
		t.ENB, t.UE = AnswerNone, AnswerNone
		t.Txn = m.nextTxn()
		m.effect(SendS11{Txn: t.Txn, Peer: m.s.SGW, TEID: m.s.SGWTEID, Msg: &gtp.ModifyBearerRequest{
			BearerContextsToBeModified: []gtp.BearerContext{{EBI: b.EBI, S1UENodeBFTEID: fteid(gtp.IfS1UENodeB, b.ENBU.TEID, b.ENBU.Addr)}}}})
		m.touch()
		return
	}
	why := "enb:erab_setup_failed"
	switch {
	case t.ENB == AnswerOK && t.UECause != 0:
		why = "ue:esm#" + itoa(int(t.UECause))
	case t.ENB == AnswerOK:
		why = "t3485_expiry"
	}
	if t.ENB == AnswerOK {
		m.releaseERAB(t.EBI)
	} else if t.UE == AnswerPending || t.UE == AnswerNone {
		// The UE never got the activation: tell it the request failed.
		m.sendNAS(&nas.PDNConnectivityReject{PTI: t.PTI, ESMCause: nas.ESMCauseInsufficientResources}, false)
	}
	m.deletePDNSession(t.EBI)
	m.removePDN(t.EBI)
	m.esmEnd(false, why)
}

// pdnConnectDoneForUE ends, as a success, a PDN connectivity procedure
// whose default bearer the UE and the eNodeB have accepted and that waits
// only for the SGW's Modify Bearer Response (TS 23.401 §5.10.2 steps
// 13-14): since its ACTIVATE DEFAULT EPS BEARER CONTEXT ACCEPT the bearer
// context is BEARER CONTEXT ACTIVE in the UE and here (TS 24.301
// §6.4.1.3), so the UE may start a new ESM procedure, a PDN DISCONNECT
// REQUEST for that very PDN included (§6.5.2.2). The Modify Bearer
// Response then comes as a stale answer (esm.go s11Response). Reports
// whether it ended one.
func (m *Machine) pdnConnectDoneForUE() bool {
	t := &m.s.ESM
	if t.Proc != ProcPDNConnect || t.Txn == 0 || t.ENB != AnswerNone || t.UE != AnswerNone {
		return false
	}
	if _, b := m.bearerOf(t.EBI); b == nil || b.State != BearerActive {
		return false
	}
	m.esmEnd(true, "")
	return true
}

// deletePDNSession deletes one PDN connection at the SGW (TS 29.274
// §7.2.9.1); the answer is counted in Outstanding like a detach's.
func (m *Machine) deletePDNSession(lbi uint8) {
	m.effect(SendS11{Txn: m.nextTxn(), Peer: m.s.SGW, TEID: m.s.SGWTEID, Msg: &gtp.DeleteSessionRequest{
		LinkedEBI: lbi, ULI: m.uli(), Indication: []byte{0, 0x08}}})
	m.s.Outstanding++
	m.touch()
}

// pdnDisconnectRequest: TS 23.401 §5.10.3, TS 24.301 §6.5.2.3: Delete
// Session Request for the PDN connection, then DEACTIVATE EPS BEARER
// CONTEXT REQUEST for its default bearer. The last PDN connection cannot
// be disconnected (#49, §6.5.2.4).
func (m *Machine) pdnDisconnectRequest(ev *nasEvent, msg *nas.PDNDisconnectRequest) {
	reject := func(c nas.ESMCause) {
		m.sendNAS(&nas.PDNDisconnectReject{PTI: msg.PTI, ESMCause: c}, false)
		m.esmRefused(ProcPDNDisconnect, "esm:#"+itoa(int(c)))
	}
	if msg.PTI == 0 || msg.PTI == 255 {
		reject(nas.ESMCauseInvalidPTIValue) // TS 24.301 §7.3.1 b
		return
	}
	if busy, c := m.esmBusy(ev, ProcPDNDisconnect, msg.PTI); busy {
		if c != 0 {
			reject(c)
		}
		return
	}
	pdn := m.pdnOf(msg.LinkedEPSBearerIdentity)
	if pdn == nil {
		reject(nas.ESMCauseInvalidEPSBearerIdentity) // TS 24.301 §6.5.2.4 #43
		return
	}
	if len(m.s.PDNs) == 1 {
		reject(nas.ESMCauseLastPDNDisconnectionNotAllowed) // TS 24.301 §6.5.2.4 #49
		return
	}
	t := m.esmBegin(ProcPDNDisconnect)
	t.PTI, t.LBI, t.EBI = msg.PTI, pdn.LBI, pdn.LBI
	for _, b := range pdn.Bearers {
		t.Bearers = append(t.Bearers, b.EBI)
	}
	t.Txn = m.nextTxn()
	// TS 29.274 §8.12: the Operation Indication asks the SGW to delete the
	// session at the PGW too (TS 23.401 §5.10.3 step 3).
	m.effect(SendS11{Txn: t.Txn, Peer: m.s.SGW, TEID: m.s.SGWTEID, Msg: &gtp.DeleteSessionRequest{
		LinkedEBI: pdn.LBI, ULI: m.uli(), Indication: []byte{0, 0x08}}})
}
