package session

import (
	"errors"
	"slices"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
)

// Network-initiated dedicated bearer activation (TS 23.401 §5.4.1,
// TS 24.301 §6.4.2, TS 36.413 §8.2.1): every bearer context of a Create
// Bearer Request (TS 29.274 Table 7.2.3-1: one or more) is activated side
// by side, one E-RAB and one ACTIVATE DEDICATED EPS BEARER CONTEXT REQUEST
// each, in one E-RAB SETUP REQUEST; ESMTransaction.Items holds where each
// stands. The request is answered once every bearer is settled.

// errNoBearer: the bearer of a Create Bearer item went meanwhile.
var errNoBearer = errors.New("session: dedicated bearer no longer in the record")

// ESMItem is one bearer of a Create Bearer Request.
type ESMItem struct {
	EBI uint8 // allocated EBI (0: none was free)
	ENB ESMAnswer
	UE  ESMAnswer
	// Cause is the bearer's result for Create Bearer Response once settled
	// (TS 29.274 §7.2.4): accepted, #88 UE refuses, #87 UE not responding,
	// #73 no resources (E-RAB not set up, no EBI); 0 while pending.
	Cause gtp.CauseValue
	// ESMCause is the UE's cause of an ACTIVATE DEDICATED EPS BEARER
	// CONTEXT REJECT (TS 24.301 §9.9.4.4).
	ESMCause uint8
}

// settled reports whether the bearer's result is known: the UE is not
// waited for when its E-RAB was not set up (TS 36.413 §8.2.1.2: the NAS-PDU
// of a failed E-RAB is not delivered).
func (it *ESMItem) settled() bool { return it.Cause != 0 }

// createBearerRequest: TS 23.401 §5.4.1 steps 3-4, TS 24.301 §6.4.2.2: an
// EBI per bearer context (the lowest free), E-RAB SETUP REQUEST with an
// ACTIVATE DEDICATED EPS BEARER CONTEXT REQUEST per E-RAB (LBI, TFT, EPS
// QoS), T3485.
//
// An ECM-IDLE UE is paged first (TS 23.401 §5.4.1 step 3, network
// triggered service request §5.3.4.3): the bearers wait in BEARER CONTEXT
// ACTIVE PENDING with the E-RAB SETUP not sent (ESMTransaction.ENB
// AnswerNone, dedicatedDeferred) until the UE's service request (or TAU)
// has restored the existing bearers; then dedicatedSetUp runs. Paging
// that ends unanswered fails them "UE not responding" (t3413Expired).
func (m *Machine) createBearerRequest(e *S11Request, req *gtp.CreateBearerRequest) {
	refuse := func(c gtp.Cause, why string) {
		m.respondS11(e.ID, &gtp.CreateBearerResponse{Cause: c})
		m.esmRefused(ProcDedicatedBearer, why)
	}
	c := m.bearerRefusal()
	idle := c == gtp.CauseUnableToPageUE && m.s.ECM == ECMIdle
	if idle {
		c = 0 // paged below
	}
	if c != 0 {
		refuse(gtp.Cause{Value: c}, "s11:cause_"+itoa(int(c)))
		return
	}
	pdn := m.pdnOf(req.LinkedEBI)
	if pdn == nil || len(req.BearerContexts) == 0 {
		// TS 29.274 §7.2.3: the Linked EBI names no PDN connection of the UE.
		refuse(gtp.Cause{Value: gtp.CauseMandatoryIEIncorrect, Offending: gtp.IEID{Type: gtp.IEEBI}, HasOffending: true},
			"s11:unknown_linked_ebi")
		return
	}
	if m.freeEBI() == 0 {
		refuse(gtp.Cause{Value: gtp.CauseNoResourcesAvailable}, "no_free_ebi")
		return
	}
	t := m.esmBegin(ProcDedicatedBearer)
	t.LBI, t.S11Req = pdn.LBI, e.ID
	if req.PTI != nil {
		// TS 23.401 §5.4.5: UE-requested bearer resource allocation.
		t.PTI = *req.PTI
	}
	for _, bc := range req.BearerContexts {
		ebi := m.freeEBI()
		if ebi == 0 {
			t.Items = append(t.Items, ESMItem{Cause: gtp.CauseNoResourcesAvailable})
			continue
		}
		q := bc.BearerQoS
		b := Bearer{EBI: ebi, State: BearerActivePending, QCI: q.QCI,
			ARP:       ARP{Level: q.ARP.PL, MayPreempt: !q.ARP.PCI, Preemptable: !q.ARP.PVI},
			SGWU:      FTEID{Addr: addrOf(bc.S1USGWFTEID), TEID: bc.S1USGWFTEID.TEID},
			MBRUplink: q.MBRUplink, MBRDownlink: q.MBRDownlink, GBRUplink: q.GBRUplink, GBRDownlink: q.GBRDownlink,
			TFT: slices.Clone(bc.TFT)}
		pdn = m.pdnOf(t.LBI)
		pdn.Bearers = append(pdn.Bearers, b)
		t.Items = append(t.Items, ESMItem{EBI: ebi, ENB: AnswerPending, UE: AnswerPending})
		t.Bearers = append(t.Bearers, ebi)
	}
	m.touch()
	if idle && len(t.Bearers) > 0 {
		// TS 23.401 §5.4.1 step 3: the UE is paged; a paging already
		// running for downlink data serves this request too.
		if m.s.PagingAttempts == 0 {
			m.startPaging(false)
		}
		return
	}
	m.dedicatedSetUp()
}

// dedicatedDeferred reports whether a Create Bearer Request waits for the
// paged UE: its bearers are allocated, its E-RAB SETUP REQUEST not sent.
func (m *Machine) dedicatedDeferred() bool {
	t := &m.s.ESM
	return t.Proc == ProcDedicatedBearer && t.ENB == AnswerNone && t.itemsPending()
}

// esmResume goes on with a Create or Update Bearer Request that waited for
// the paged UE, once the UE's service request (or TAU) restored its
// existing bearers (TS 23.401 §5.3.4.3 step 6, §5.4.1 step 4, §5.4.2.1
// step 4).
func (m *Machine) esmResume() {
	if m.s.ECM != ECMConnected || m.s.Releasing {
		return
	}
	switch {
	case m.dedicatedDeferred():
		m.dedicatedSetUp()
	case m.modifyDeferred():
		m.modifyResume() // bearer.go
	}
}

// esmPagingFailed ends a Create or Update Bearer Request whose paging
// ended unanswered.
func (m *Machine) esmPagingFailed() {
	switch {
	case m.dedicatedDeferred():
		m.dedicatedPagingFailed()
	case m.modifyDeferred():
		m.modifyPagingFailed() // bearer.go
	}
}

// dedicatedSetUp sends one E-RAB SETUP REQUEST with an ACTIVATE DEDICATED
// EPS BEARER CONTEXT REQUEST per bearer of the Create Bearer Request still
// to be set up (TS 36.413 §8.2.1, TS 24.301 §6.4.2.2) and starts T3485;
// with none left the request is answered.
func (m *Machine) dedicatedSetUp() {
	t := &m.s.ESM
	var list s1ap.ERABToBeSetupListBearerSUReq
	for i := range t.Items {
		it := &t.Items[i]
		if it.settled() || it.ENB != AnswerPending {
			continue
		}
		_, b := m.bearerOf(it.EBI)
		var pdu []byte
		err := errNoBearer
		if b != nil {
			pdu, err = m.encodeDL(m.activateDedicated(b), true)
		}
		if err != nil {
			m.rd.Anomalies = append(m.rd.Anomalies, Anomaly{State: m.s.EMM, Event: "encode", What: err.Error()})
			m.removeBearer(it.EBI)
			it.ENB, it.Cause = AnswerFailed, gtp.CauseSystemFailure
			continue
		}
		list = append(list, s1ap.ERABToBeSetupItemBearerSUReq{ERABID: s1ap.ERABID(b.EBI), ERABlevelQoSParameters: erabQoSGBR(b),
			TransportLayerAddress: transportAddress(b.SGWU.Addr), GTPTEID: teidBytes(b.SGWU.TEID), NASPDU: s1ap.NASPDU(pdu)})
	}
	m.touch()
	if len(list) == 0 {
		m.dedicatedBearerDone()
		return
	}
	t.ENB, t.Timer = AnswerPending, T3485
	m.startTimer(T3485)
	m.effect(SendS1{Conn: m.s.Conn, Msg: &s1ap.ERABSetupRequest{ERABToBeSetupListBearerSUReq: list}})
}

// dedicatedPagingFailed: the paging for a Create Bearer Request ended
// unanswered (T3413, TS 23.401 §5.3.4.3): each bearer still waiting ends
// "UE not responding" (TS 29.274 §8.4: the UE was paged and did not
// answer; "Unable to page UE" #90 is for a UE the MME cannot page at all).
func (m *Machine) dedicatedPagingFailed() {
	t := &m.s.ESM
	for i := range t.Items {
		if it := &t.Items[i]; !it.settled() {
			it.Cause = gtp.CauseUENotResponding
		}
	}
	m.touch()
	m.dedicatedBearerDone()
}

// activateDedicated is the ACTIVATE DEDICATED EPS BEARER CONTEXT REQUEST of
// a bearer being activated (TS 24.301 §8.3.3), rebuilt from the record for
// a retransmission.
func (m *Machine) activateDedicated(b *Bearer) *nas.ActivateDedicatedEPSBearerContextRequest {
	return &nas.ActivateDedicatedEPSBearerContextRequest{EBI: b.EBI, PTI: m.s.ESM.PTI, LinkedEPSBearerIdentity: m.s.ESM.LBI,
		EPSQoS: epsQoS(b), TFT: nas.TrafficFlowTemplate(b.TFT)}
}

// item returns the Create Bearer item of ebi.
func (t *ESMTransaction) item(ebi uint8) *ESMItem {
	for i := range t.Items {
		if t.Items[i].EBI == ebi && ebi != 0 {
			return &t.Items[i]
		}
	}
	return nil
}

// dedicatedERABSetup takes E-RAB SETUP RESPONSE for the bearers of a
// Create Bearer Request.
func (m *Machine) dedicatedERABSetup(e *ERABSetupResponse) {
	t := &m.s.ESM
	t.ENB = AnswerOK
	for _, s := range e.Setup {
		if it := t.item(s.EBI); it != nil && it.ENB == AnswerPending {
			if _, b := m.bearerOf(s.EBI); b != nil {
				b.ENBU = FTEID{Addr: s.Addr, TEID: s.TEID}
				it.ENB = AnswerOK
			}
		}
	}
	for i := range t.Items {
		if it := &t.Items[i]; it.ENB == AnswerPending {
			// Failed (TS 36.413 §8.2.1.2) or not named at all.
			it.ENB, it.Cause = AnswerFailed, gtp.CauseNoResourcesAvailable
		}
	}
	for _, f := range e.Failed {
		m.anomaly(e, "E-RAB "+itoa(int(f.EBI))+" not set up: "+causeString(f.Cause))
	}
	m.touch()
	m.dedicatedProgress()
}

// dedicatedAnswer takes the UE's ACCEPT or REJECT of one bearer
// (TS 24.301 §6.4.2.3-4); false if no bearer waits for it.
func (m *Machine) dedicatedAnswer(ebi, pti uint8, ok bool, cause uint8) bool {
	t := &m.s.ESM
	it := t.item(ebi)
	if t.Proc != ProcDedicatedBearer || it == nil || it.UE != AnswerPending || it.settled() || pti != t.PTI {
		return false
	}
	it.UE = AnswerOK
	if !ok {
		it.UE, it.ESMCause = AnswerFailed, cause
	}
	m.touch()
	m.dedicatedProgress()
	return true
}

// dedicatedProgress settles what can be settled and answers the SGW once
// every bearer is.
func (m *Machine) dedicatedProgress() {
	t := &m.s.ESM
	if t.ENB == AnswerPending {
		return
	}
	waiting := false
	for i := range t.Items {
		it := &t.Items[i]
		switch {
		case it.settled():
		case it.UE == AnswerOK:
			it.Cause = gtp.CauseRequestAccepted
		case it.UE == AnswerFailed && it.ESMCause != 0:
			it.Cause = gtp.CauseUERefuses
		case it.UE == AnswerFailed:
			it.Cause = gtp.CauseUENotResponding
		default:
			waiting = true
		}
	}
	if !waiting {
		m.dedicatedBearerDone()
	}
}

// dedicatedTimerExpired: T3485 for a Create Bearer Request: the ACTIVATE
// DEDICATED EPS BEARER CONTEXT REQUEST of each bearer still waiting for the
// UE is sent again (TS 24.301 §6.4.2.6 a); on the fifth expiry they end
// "UE not responding".
func (m *Machine) dedicatedTimerExpired() {
	t := &m.s.ESM
	t.Timer = 0
	retransmit := t.Count < MaxRetransmissions && m.s.ECM == ECMConnected && !m.s.Releasing && m.sec != nil
	sent := false
	for i := range t.Items {
		it := &t.Items[i]
		if it.settled() || it.UE != AnswerPending || it.ENB != AnswerOK {
			continue
		}
		_, b := m.bearerOf(it.EBI)
		if !retransmit || b == nil {
			it.UE = AnswerFailed
			continue
		}
		pdu, err := m.encodeDL(m.activateDedicated(b), true)
		if err != nil {
			it.UE = AnswerFailed
			continue
		}
		m.effect(SendS1{Conn: m.s.Conn, Msg: dlNASTransport(pdu)})
		sent = true
	}
	if sent {
		t.Count++
		t.Timer = T3485
		m.startTimer(T3485)
	}
	m.touch()
	m.dedicatedProgress()
}

// dedicatedBearerDone answers Create Bearer Request (TS 23.401 §5.4.1
// step 8, TS 29.274 §7.2.4) with a bearer context per bearer: the eNodeB
// S1-U F-TEID of an accepted one; the cause of a refused one, whose bearer
// is removed and E-RAB released. The message cause is "Request accepted"
// when all were, "Request accepted partially" (#17) when some were, the
// first bearer's cause otherwise.
func (m *Machine) dedicatedBearerDone() {
	t := &m.s.ESM
	if t.Timer != 0 {
		m.stopTimer(t.Timer)
		t.Timer = 0
	}
	rsp := &gtp.CreateBearerResponse{ULI: m.uli()}
	accepted, why := 0, ""
	for _, it := range t.Items {
		bc := gtp.BearerContext{EBI: it.EBI, Cause: gtp.Cause{Value: it.Cause}}
		_, b := m.bearerOf(it.EBI)
		switch {
		case it.Cause == gtp.CauseRequestAccepted && b != nil:
			accepted++
			b.State = BearerActive
			bc.S1UENodeBFTEID = fteid(gtp.IfS1UENodeB, b.ENBU.TEID, b.ENBU.Addr)
			bc.S1USGWFTEID = fteid(gtp.IfS1USGW, b.SGWU.TEID, b.SGWU.Addr)
		default:
			if bc.Cause.Value == gtp.CauseRequestAccepted {
				bc.Cause.Value = gtp.CauseSystemFailure // the bearer went meanwhile
			}
			if b != nil {
				if it.ENB == AnswerOK {
					// The eNodeB holds an E-RAB the UE does not have.
					m.releaseERAB(b.EBI)
				}
				m.removeBearer(b.EBI)
			}
			if why == "" {
				switch bc.Cause.Value {
				case gtp.CauseUERefuses:
					why = "ue:esm#" + itoa(int(it.ESMCause))
				case gtp.CauseUENotResponding:
					why = "t3485_expiry"
					switch {
					case t.ENB == AnswerNone:
						why = "paging_failed"
					case m.s.ECM != ECMConnected:
						why = "connection_lost"
					}
				case gtp.CauseNoResourcesAvailable:
					why = "enb:erab_setup_failed"
					if it.EBI == 0 {
						why = "no_free_ebi"
					}
				default:
					why = "s11:cause_" + itoa(int(bc.Cause.Value))
				}
			}
		}
		rsp.BearerContexts = append(rsp.BearerContexts, bc)
	}
	switch {
	case accepted == len(t.Items):
		rsp.Cause.Value = gtp.CauseRequestAccepted
	case accepted > 0:
		rsp.Cause.Value = gtp.CauseRequestAcceptedPartially
	default:
		rsp.Cause.Value = rsp.BearerContexts[0].Cause.Value
		rsp.ULI = gtp.ULI{}
	}
	m.respondS11(t.S11Req, rsp)
	m.esmEnd(accepted > 0, why)
}
