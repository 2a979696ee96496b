package session

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
)

// Network-initiated bearer procedures (TS 23.401 §5.4.1, §5.4.2, §5.4.4;
// TS 24.301 §6.4.2-6.4.4; TS 36.413 §8.2) and the ESM transaction they
// share with the UE-requested PDN procedures (pdn.go). One ESM procedure
// runs at a time (ESMTransaction); the SGW's request is answered once the
// eNodeB and the UE both answered.

// ---- bearer and PDN lookups ----

// pdnOf returns the PDN connection whose default bearer is lbi.
func (m *Machine) pdnOf(lbi uint8) *PDN {
	for i := range m.s.PDNs {
		if m.s.PDNs[i].LBI == lbi {
			return &m.s.PDNs[i]
		}
	}
	return nil
}

// bearerOf returns the bearer ebi and its PDN connection.
func (m *Machine) bearerOf(ebi uint8) (*PDN, *Bearer) {
	for i := range m.s.PDNs {
		p := &m.s.PDNs[i]
		for j := range p.Bearers {
			if p.Bearers[j].EBI == ebi {
				return p, &p.Bearers[j]
			}
		}
	}
	return nil, nil
}

// freeEBI returns the lowest EPS bearer identity no bearer uses (5-15,
// TS 24.007 §11.2.3.1.5), or 0 when all are taken.
func (m *Machine) freeEBI() uint8 {
	for ebi := uint8(5); ebi <= 15; ebi++ {
		if _, b := m.bearerOf(ebi); b == nil {
			return ebi
		}
	}
	return 0
}

// removeBearer forgets a dedicated bearer.
func (m *Machine) removeBearer(ebi uint8) {
	for i := range m.s.PDNs {
		p := &m.s.PDNs[i]
		p.Bearers = slices.DeleteFunc(p.Bearers, func(b Bearer) bool { return b.EBI == ebi })
	}
	m.touch()
}

// removePDN forgets a PDN connection and its bearers.
func (m *Machine) removePDN(lbi uint8) {
	m.s.PDNs = slices.DeleteFunc(m.s.PDNs, func(p PDN) bool { return p.LBI == lbi })
	m.touch()
}

// ---- the ESM transaction ----

// esmBegin starts ESM procedure p now.
func (m *Machine) esmBegin(p Procedure) *ESMTransaction {
	m.s.ESM = ESMTransaction{Proc: p, Start: m.now}
	m.rd.Started = append(m.rd.Started, p)
	m.touch()
	return &m.s.ESM
}

// esmEnd ends the ESM procedure in progress with an outcome.
func (m *Machine) esmEnd(ok bool, cause string) {
	t := &m.s.ESM
	if t.Timer != 0 {
		m.stopTimer(t.Timer)
	}
	m.rd.Outcomes = append(m.rd.Outcomes, Outcome{Proc: t.Proc, OK: ok, Cause: cause, Start: t.Start, End: m.now})
	m.s.ESM = ESMTransaction{}
	m.touch()
}

// esmRefused counts procedure p as started and failed at once (it was
// refused before it could take the ESM transaction).
func (m *Machine) esmRefused(p Procedure, cause string) {
	m.rd.Started = append(m.rd.Started, p)
	m.rd.Outcomes = append(m.rd.Outcomes, Outcome{Proc: p, OK: false, Cause: cause, Start: m.now, End: m.now})
}

// esmGuard encodes an ESM request for the UE guarded by timer id (T3485,
// T3486, T3495): the plain message is kept for its retransmissions
// (TS 24.301 §6.4.2.6 a, §6.4.3.6 a, §6.4.4.6 a) and the protected PDU
// returned, for an E-RAB request or a DOWNLINK NAS TRANSPORT. nil when it
// cannot be encoded (an anomaly is recorded).
func (m *Machine) esmGuard(id TimerID, msg nas.Message) []byte {
	plain, err := nas.Encode(msg)
	if err == nil && m.protectNow() {
		var pdu []byte
		if pdu, err = m.encodeDL(msg, true); err == nil {
			t := &m.s.ESM
			t.Timer, t.Count, t.Retx = id, 0, plain
			m.startTimer(id)
			return pdu
		}
	}
	if err == nil {
		err = fmt.Errorf("session: %v without a NAS security context", msg.MessageType())
	}
	m.rd.Anomalies = append(m.rd.Anomalies, Anomaly{State: m.s.EMM, Event: "encode", What: err.Error()})
	return nil
}

// esmRetransmit sends the guarded ESM message again in DOWNLINK NAS
// TRANSPORT with a new COUNT, or reports false on the fifth expiry.
func (m *Machine) esmRetransmit() bool {
	t := &m.s.ESM
	if t.Count >= MaxRetransmissions || m.s.ECM != ECMConnected || m.s.Releasing || m.sec == nil {
		return false
	}
	pdu, err := m.sec.Protect(make([]byte, 0, len(t.Retx)+nas.SecurityProtectedHeaderLen), t.Retx, nas.IntegrityProtectedCiphered)
	if err != nil {
		return false
	}
	t.Count++
	m.effect(SendS1{Conn: m.s.Conn, Msg: &s1ap.DownlinkNASTransport{NASPDU: pdu}})
	m.startTimer(t.Timer)
	return true
}

// esmTimerExpired: T3485, T3486, T3495 (timers.go): retransmit; on the
// fifth expiry the procedure ends without the UE (TS 24.301 §6.4.1.6 a,
// §6.4.2.6 a, §6.4.3.6 a: abort; §6.4.4.6 a: deactivate locally).
func (m *Machine) esmTimerExpired(e *TimerExpired) {
	t := &m.s.ESM
	if t.Proc == ProcDedicatedBearer && t.Timer == e.ID {
		m.dedicatedTimerExpired() // dedicated.go
		return
	}
	if !t.Active() || t.Timer != e.ID || (t.UE != AnswerPending && !t.itemsPending()) {
		m.anomaly(e, e.ID.String()+" expired without an ESM request out")
		return
	}
	if t.UE != AnswerPending {
		// Only further bearers of a deactivation still owe an answer.
		if t.Count < MaxRetransmissions && m.s.ECM == ECMConnected && !m.s.Releasing && m.sec != nil {
			t.Count++
			m.retransmitItems()
			m.startTimer(t.Timer)
			return
		}
		t.Timer = 0
		t.failItems()
		m.touch()
		m.esmProgress()
		return
	}
	if m.esmRetransmit() {
		m.retransmitItems()
		return
	}
	t.Timer, t.Retx = 0, nil
	t.UE, t.UECause = AnswerFailed, 0
	t.failItems()
	m.touch()
	m.esmProgress()
}

// respondS11 answers the SGW request of the ESM transaction (if any).
func (m *Machine) respondS11(id uint64, msg gtp.Message) {
	if id == 0 {
		return
	}
	m.effect(RespondS11{ID: id, TEID: m.s.SGWTEID, Msg: msg})
}

// esmProgress finishes the procedure once what it waits for is in.
func (m *Machine) esmProgress() {
	t := &m.s.ESM
	switch t.Proc {
	case ProcDedicatedBearer:
		m.dedicatedProgress() // dedicated.go
	case ProcPDNConnect:
		if t.ENB == AnswerPending || (t.ENB == AnswerOK && t.UE == AnswerPending) {
			return
		}
		m.pdnConnectDone()
	case ProcBearerModify:
		if t.ENB == AnswerPending || (t.ENB != AnswerFailed && t.UE == AnswerPending) || t.modifyItemsPending() {
			return
		}
		m.bearerModifyDone()
	case ProcUEContextModification:
		switch t.ENB {
		case AnswerOK:
			m.esmEnd(true, "")
		case AnswerFailed:
			m.esmEnd(false, "enb:ue_context_modification_failed")
		}
	case ProcBearerDeactivate, ProcPDNDisconnect, ProcERABRelease:
		if t.ENB == AnswerPending || t.UE == AnswerPending || t.Txn != 0 || t.itemsPending() {
			return
		}
		if t.Proc == ProcERABRelease && t.S11Req == 0 {
			return // the PGW's Delete Bearer Request is still to come
		}
		m.deactivationDone()
	}
}

// ---- SGW requests ----

// s11Request dispatches a request of the SGW.
func (m *Machine) s11Request(e *S11Request) {
	switch req := e.Msg.(type) {
	case *gtp.CreateBearerRequest:
		m.createBearerRequest(e, req)
	case *gtp.UpdateBearerRequest:
		m.updateBearerRequest(e, req)
	case *gtp.DeleteBearerRequest:
		m.deleteBearerRequest(e, req)
	default:
		m.anomaly(e, "S11 request not handled by the session: "+e.Msg.MessageType().String())
	}
}

// bearerRefusal says why a network-initiated bearer procedure cannot run
// now (0: it can).
func (m *Machine) bearerRefusal() gtp.CauseValue {
	switch {
	case m.s.EMM != EMMRegistered || len(m.s.PDNs) == 0:
		return gtp.CauseContextNotFound
	case m.s.Proc != ProcNone:
		// TS 29.274 §8.4 cause #110: a TAU, handover or release is under
		// way; the PGW retries after it (TS 23.401 §5.4.1 NOTE 2).
		return gtp.CauseTemporarilyRejectedDueToMobility
	case m.s.ESM.Active():
		// One ESM procedure at a time: the PGW retries.
		return gtp.CauseRequestRejected
	case m.s.ECM != ECMConnected || m.s.Releasing:
		// TS 23.401 §5.4.1 step 3, §5.4.2.1 step 3: an ECM-IDLE UE is
		// paged first: a Create or Update Bearer Request takes this answer
		// as its cue to page, a Delete Bearer Request to deactivate
		// locally. Any request while the connection is being released (the
		// UE cannot be paged before it is idle) is answered "Unable to
		// page UE".
		return gtp.CauseUnableToPageUE
	}
	return 0
}

// epsQoS is the EPS QoS IE of a bearer (TS 24.301 §9.9.4.3; kbit/s).
func epsQoS(b *Bearer) nas.EPSQoS {
	return nas.NewEPSQoS(b.QCI, b.MBRUplink, b.MBRDownlink, b.GBRUplink, b.GBRDownlink)
}

// erabQoSGBR is the E-RAB level QoS with, for a GBR bearer, its bit rates
// (TS 36.413 §9.2.1.18: bit/s).
func erabQoSGBR(b *Bearer) s1ap.ERABLevelQoSParameters {
	q := erabQoS(b)
	if b.GBRUplink != 0 || b.GBRDownlink != 0 || b.MBRUplink != 0 || b.MBRDownlink != 0 {
		q.GbrQosInformation = s1ap.Some(s1ap.GBRQosInformation{
			ERABMaximumBitrateDL: s1ap.BitRate(b.MBRDownlink * 1000), ERABMaximumBitrateUL: s1ap.BitRate(b.MBRUplink * 1000),
			ERABGuaranteedBitrateDL: s1ap.BitRate(b.GBRDownlink * 1000), ERABGuaranteedBitrateUL: s1ap.BitRate(b.GBRUplink * 1000),
		})
	}
	return q
}

// updateBearerRequest: TS 23.401 §5.4.2.1 steps 3-4, TS 24.301 §6.4.3.2:
// MODIFY EPS BEARER CONTEXT REQUEST (T3486), in E-RAB MODIFY REQUEST when
// the bearer QoS changes, else in DOWNLINK NAS TRANSPORT (TFT or APN-AMBR
// only). An ECM-IDLE UE is paged first (TS 23.401 §5.4.2.1 step 3 with
// §5.3.4.3): the modification waits in ESMTransaction.Pending with nothing
// sent (UE and ENB AnswerNone, modifyDeferred) until its service request
// or TAU has set its bearers up.
func (m *Machine) updateBearerRequest(e *S11Request, req *gtp.UpdateBearerRequest) {
	refuse := func(c gtp.CauseValue, why string) {
		rsp := &gtp.UpdateBearerResponse{Cause: gtp.Cause{Value: c}}
		for _, bc := range req.BearerContexts {
			rsp.BearerContexts = append(rsp.BearerContexts, gtp.BearerContext{EBI: bc.EBI, Cause: gtp.Cause{Value: c}})
		}
		m.respondS11(e.ID, rsp)
		m.esmRefused(ProcBearerModify, why)
	}
	c := m.bearerRefusal()
	idle := c == gtp.CauseUnableToPageUE && m.s.ECM == ECMIdle
	if idle {
		c = 0 // paged below
	}
	if c != 0 {
		refuse(c, "s11:cause_"+itoa(int(c)))
		return
	}
	if len(req.BearerContexts) == 0 {
		refuse(gtp.CauseMandatoryIEMissing, "s11:no_bearer_context")
		return
	}
	// TS 29.274 §7.2.15: the request may name several bearers of the PDN
	// connection (TS 23.401 §5.4.2.1: one E-RAB MODIFY REQUEST, a MODIFY
	// EPS BEARER CONTEXT REQUEST each). The first known one leads (EBI,
	// Pending, the UE and eNB answers); the others are Items with their
	// values in Modified. A bearer the UE does not have (or of another PDN
	// connection, or named twice) gets "Context not found" (§7.2.16).
	var pdn *PDN
	var lead *gtp.BearerContext
	var b *Bearer
	var seen []uint8
	for i := range req.BearerContexts {
		bc := &req.BearerContexts[i]
		p, x := m.bearerOf(bc.EBI)
		if x == nil || x.State != BearerActive || (pdn != nil && p.LBI != pdn.LBI) || slices.Contains(seen, bc.EBI) {
			continue
		}
		seen = append(seen, bc.EBI)
		if lead == nil {
			pdn, lead, b = p, bc, x
		}
	}
	if lead == nil {
		// TS 29.274 §7.2.16: the bearer is unknown.
		refuse(gtp.CauseContextNotFound, "s11:unknown_bearer")
		return
	}
	t := m.esmBegin(ProcBearerModify)
	t.LBI, t.EBI, t.S11Req, t.Bearers = pdn.LBI, b.EBI, e.ID, seen
	if req.PTI != nil {
		t.PTI = *req.PTI
	}
	t.Pending = modifiedBearer(b, lead)
	t.AMBRUplink, t.AMBRDownlink = pdn.AMBRUplink, pdn.AMBRDownlink
	if a := req.AMBR; a.Uplink != pdn.AMBRUplink || a.Downlink != pdn.AMBRDownlink {
		t.AMBRUplink, t.AMBRDownlink = a.Uplink, a.Downlink
	}
	b.State = BearerModifyPending
	if len(req.BearerContexts) > 1 {
		for i := range req.BearerContexts {
			bc := &req.BearerContexts[i]
			if bc == lead {
				continue
			}
			_, x := m.bearerOf(bc.EBI)
			if x == nil || !slices.Contains(seen, bc.EBI) || x.State != BearerActive || t.item(bc.EBI) != nil {
				t.Items = append(t.Items, ESMItem{EBI: bc.EBI, Cause: gtp.CauseContextNotFound})
				t.Modified = append(t.Modified, Bearer{EBI: bc.EBI})
				continue
			}
			t.Items = append(t.Items, ESMItem{EBI: bc.EBI})
			t.Modified = append(t.Modified, modifiedBearer(x, bc))
			x.State = BearerModifyPending
		}
	}
	m.touch()
	if idle {
		if m.s.PagingAttempts == 0 {
			m.startPaging(false) // paging.go
		}
		return
	}
	m.bearerModifySend(!lead.BearerQoS.IsZero(), lead.TFT != nil)
}

// modifiedBearer is b with what bearer context bc of an Update Bearer
// Request changes: the bearer QoS (TS 29.274 §8.15) and the TFT.
func modifiedBearer(b *Bearer, bc *gtp.BearerContext) Bearer {
	p := *b
	p.TFT = slices.Clone(b.TFT)
	if q := bc.BearerQoS; !q.IsZero() {
		p.QCI, p.ARP = q.QCI, ARP{Level: q.ARP.PL, MayPreempt: !q.ARP.PCI, Preemptable: !q.ARP.PVI}
		p.MBRUplink, p.MBRDownlink, p.GBRUplink, p.GBRDownlink = q.MBRUplink, q.MBRDownlink, q.GBRUplink, q.GBRDownlink
	}
	if bc.TFT != nil {
		p.TFT = slices.Clone(bc.TFT)
	}
	return p
}

// qosDiffers reports whether the modification p changes b's bearer QoS.
func qosDiffers(p, b *Bearer) bool {
	return p.QCI != b.QCI || p.ARP != b.ARP || p.MBRUplink != b.MBRUplink || p.MBRDownlink != b.MBRDownlink ||
		p.GBRUplink != b.GBRUplink || p.GBRDownlink != b.GBRDownlink
}

// modifyItemRequest is the MODIFY EPS BEARER CONTEXT REQUEST of further
// bearer i of a modification (its own EBI, the transaction's PTI, the new
// EPS QoS and TFT where they differ, TS 24.301 §6.4.3.2); newQoS says
// whether the QoS changes. nil if the bearer is gone.
func (m *Machine) modifyItemRequest(i int) (msg *nas.ModifyEPSBearerContextRequest, newQoS bool) {
	t := &m.s.ESM
	_, b := m.bearerOf(t.Items[i].EBI)
	if b == nil || i >= len(t.Modified) {
		return nil, false
	}
	p := &t.Modified[i]
	msg = &nas.ModifyEPSBearerContextRequest{EBI: b.EBI, PTI: t.PTI}
	if qosDiffers(p, b) {
		eq := epsQoS(p)
		msg.NewEPSQoS, newQoS = &eq, true
	}
	if !bytes.Equal(p.TFT, b.TFT) {
		msg.TFT = nas.TrafficFlowTemplate(p.TFT)
	}
	return msg, newQoS
}

// modifyRestore puts the bearers of a modification that did not happen
// back to BEARER CONTEXT ACTIVE with their old values.
func (m *Machine) modifyRestore() {
	for _, ebi := range m.s.ESM.Bearers {
		if _, b := m.bearerOf(ebi); b != nil {
			b.State = BearerActive
		}
	}
}

// modifyItemsPending reports whether a further bearer of a modification
// still waits for the eNodeB, or for the UE when its E-RAB was modified
// (or not involved).
func (t *ESMTransaction) modifyItemsPending() bool {
	for _, it := range t.Items {
		if it.Cause != 0 {
			continue
		}
		if it.ENB == AnswerPending || it.ENB != AnswerFailed && it.UE == AnswerPending {
			return true
		}
	}
	return false
}

// modifyItemsRetransmit sends again the MODIFY EPS BEARER CONTEXT REQUEST
// of every further bearer the UE has not answered, in DOWNLINK NAS
// TRANSPORT (T3486 expiry, TS 24.301 §6.4.3.6 a).
func (m *Machine) modifyItemsRetransmit() {
	t := &m.s.ESM
	for i := range t.Items {
		it := &t.Items[i]
		if it.UE != AnswerPending || it.Cause != 0 || it.ENB == AnswerFailed {
			continue
		}
		msg, _ := m.modifyItemRequest(i)
		if msg == nil {
			it.UE = AnswerFailed
			continue
		}
		pdu, err := m.encodeDL(msg, true)
		if err != nil {
			it.UE = AnswerFailed
			continue
		}
		m.effect(SendS1{Conn: m.s.Conn, Msg: dlNASTransport(pdu)})
	}
}

// retransmitItems retransmits the further bearers' ESM requests of the
// procedure in progress (a modification or a deactivation).
func (m *Machine) retransmitItems() {
	if m.s.ESM.Proc == ProcBearerModify {
		m.modifyItemsRetransmit()
		return
	}
	m.deactivateItems()
}

// modifyDeferred reports whether an Update Bearer Request waits for the
// paged UE (nothing sent yet).
func (m *Machine) modifyDeferred() bool {
	t := &m.s.ESM
	return t.Proc == ProcBearerModify && t.UE == AnswerNone && t.ENB == AnswerNone
}

// modifyBearerLost ends a modification whose bearer is gone: the old
// values back, "Context not found" to the SGW (TS 29.274 §7.2.16).
func (m *Machine) modifyBearerLost() {
	m.modifyRestore()
	m.respondS11(m.s.ESM.S11Req, &gtp.UpdateBearerResponse{Cause: gtp.Cause{Value: gtp.CauseContextNotFound}})
	m.esmEnd(false, "bearer_lost")
}

// bearerModifySend sends MODIFY EPS BEARER CONTEXT REQUEST for the
// modification in ESMTransaction.Pending (T3486): with the new EPS QoS
// (newQoS, in E-RAB MODIFY REQUEST when the eNodeB holds the E-RAB), the
// new TFT (newTFT) and the APN-AMBR if it changes (TS 24.301 §6.4.3.2).
func (m *Machine) bearerModifySend(newQoS, newTFT bool) {
	t := &m.s.ESM
	pdn, b := m.bearerOf(t.EBI)
	if b == nil {
		m.modifyBearerLost()
		return
	}
	mod := &nas.ModifyEPSBearerContextRequest{EBI: b.EBI, PTI: t.PTI}
	if newQoS {
		eq := epsQoS(&t.Pending)
		mod.NewEPSQoS = &eq
	}
	if newTFT {
		mod.TFT = nas.TrafficFlowTemplate(t.Pending.TFT)
	}
	if t.AMBRUplink != pdn.AMBRUplink || t.AMBRDownlink != pdn.AMBRDownlink {
		mod.APNAMBR = nas.NewAPNAggregateMaximumBitRate(uint64(t.AMBRDownlink), uint64(t.AMBRUplink))
	}
	// The requests are encoded in the order they are sent (the UE checks
	// the NAS COUNTs): the E-RAB MODIFY REQUEST's first, one item per
	// bearer whose QoS changes (TS 36.413 §9.1.3.3: each with its NAS-PDU),
	// then DOWNLINK NAS TRANSPORT for the others (TFT or APN-AMBR only).
	// One T3486 guards them all; on its expiry each unanswered request is
	// sent again (esmTimerExpired).
	inERAB := func(qos bool, x *Bearer) bool { return qos && x.ENBU.Addr.IsValid() }
	var list s1ap.ERABToBeModifiedListBearerModReq
	var dl [][]byte
	send := func(first bool) bool {
		if inERAB(newQoS, b) == first {
			pdu := m.esmGuard(T3486, mod)
			if pdu == nil {
				return false
			}
			m.s.ESM.UE = AnswerPending
			if first {
				m.s.ESM.ENB = AnswerPending
				list = append(list, s1ap.ERABToBeModifiedItemBearerModReq{ERABID: s1ap.ERABID(b.EBI),
					ERABLevelQoSParameters: erabQoSGBR(&m.s.ESM.Pending), NASPDU: s1ap.NASPDU(pdu)})
			} else {
				dl = append(dl, pdu)
			}
		}
		t := &m.s.ESM
		for i := range t.Items {
			it := &t.Items[i]
			if it.Cause != 0 {
				continue // not the UE's bearer
			}
			msg, qos := m.modifyItemRequest(i)
			_, x := m.bearerOf(it.EBI)
			if msg == nil {
				it.Cause = gtp.CauseContextNotFound
				continue
			}
			if inERAB(qos, x) != first {
				continue
			}
			pdu, err := m.encodeDL(msg, true)
			if err != nil {
				it.Cause = gtp.CauseSystemFailure
				continue
			}
			it.UE = AnswerPending
			if first {
				it.ENB = AnswerPending
				list = append(list, s1ap.ERABToBeModifiedItemBearerModReq{ERABID: s1ap.ERABID(x.EBI),
					ERABLevelQoSParameters: erabQoSGBR(&t.Modified[i]), NASPDU: s1ap.NASPDU(pdu)})
			} else {
				dl = append(dl, pdu)
			}
		}
		return true
	}
	if !send(true) || !send(false) {
		m.modifyRestore()
		m.respondS11(m.s.ESM.S11Req, &gtp.UpdateBearerResponse{Cause: gtp.Cause{Value: gtp.CauseSystemFailure}})
		m.esmEnd(false, "encode")
		return
	}
	if len(list) > 0 {
		m.effect(SendS1{Conn: m.s.Conn, Msg: &s1ap.ERABModifyRequest{ERABToBeModifiedListBearerModReq: list}})
	}
	for _, pdu := range dl {
		m.effect(SendS1{Conn: m.s.Conn, Msg: dlNASTransport(pdu)})
	}
	m.touch()
}

// modifyResume sends the modification that waited for the paged UE: the
// new QoS and TFT where they differ from the bearer's.
func (m *Machine) modifyResume() {
	_, b := m.bearerOf(m.s.ESM.EBI)
	p := &m.s.ESM.Pending
	newQoS, newTFT := false, false
	if b != nil {
		newQoS = qosDiffers(p, b)
		newTFT = !bytes.Equal(p.TFT, b.TFT)
	}
	m.bearerModifySend(newQoS, newTFT)
}

// modifyPagingFailed: the paging for an Update Bearer Request ended
// unanswered: "UE not responding" (TS 29.274 §7.2.16, §8.4), the bearer
// keeps its old values.
func (m *Machine) modifyPagingFailed() {
	t := &m.s.ESM
	m.modifyRestore()
	rsp := &gtp.UpdateBearerResponse{Cause: gtp.Cause{Value: gtp.CauseUENotResponding},
		BearerContexts: []gtp.BearerContext{{EBI: t.EBI, Cause: gtp.Cause{Value: gtp.CauseUENotResponding}}}}
	for _, it := range t.Items {
		c := it.Cause
		if c == 0 {
			c = gtp.CauseUENotResponding
		}
		rsp.BearerContexts = append(rsp.BearerContexts, gtp.BearerContext{EBI: it.EBI, Cause: gtp.Cause{Value: c}})
	}
	m.respondS11(t.S11Req, rsp)
	m.esmEnd(false, "paging_failed")
}

// bearerModifyDone answers Update Bearer Request (TS 23.401 §5.4.2.1
// step 8, TS 29.274 §7.2.16): the new QoS, TFT and APN-AMBR hold once the
// UE (and the eNodeB) accepted; otherwise the old ones stay.
//
// With several bearers (TS 29.274 §7.2.16) each bearer context carries
// that bearer's cause; the message cause is "Request accepted" when all
// were, "Request accepted partially" (#17) when some were, else the first
// bearer's cause.
func (m *Machine) bearerModifyDone() {
	t := &m.s.ESM
	pdn, b := m.bearerOf(t.EBI)
	if b == nil {
		m.modifyBearerLost()
		return
	}
	accepted := 0
	cause, why := gtp.CauseRequestAccepted, ""
	if t.UE == AnswerOK && t.ENB != AnswerFailed {
		enb := b.ENBU
		*b = t.Pending
		b.ENBU, b.State = enb, BearerActive
		pdn.AMBRUplink, pdn.AMBRDownlink = t.AMBRUplink, t.AMBRDownlink
		accepted++
	} else {
		b.State = BearerActive
		cause, why = t.ENBCause, "enb:erab_modify_failed"
		switch {
		case t.ENB != AnswerFailed && t.UECause != 0:
			cause, why = gtp.CauseUERefuses, "ue:esm#"+itoa(int(t.UECause))
		case t.ENB != AnswerFailed:
			cause, why = gtp.CauseUENotResponding, "t3486_expiry"
		}
	}
	first := cause
	bcs := []gtp.BearerContext{{EBI: t.EBI, Cause: gtp.Cause{Value: cause}}}
	for i, it := range t.Items {
		c := it.Cause
		_, x := m.bearerOf(it.EBI)
		switch {
		case c != 0:
		case x == nil:
			c = gtp.CauseContextNotFound
		case it.UE == AnswerOK && it.ENB != AnswerFailed:
			enb := x.ENBU
			*x = t.Modified[i]
			x.ENBU = enb
			c = gtp.CauseRequestAccepted
			accepted++
		case it.ENB == AnswerFailed:
			c = gtp.CauseNoResourcesAvailable
		case it.ESMCause != 0:
			c = gtp.CauseUERefuses
		default:
			c = gtp.CauseUENotResponding
		}
		if x != nil && slices.Contains(t.Bearers, it.EBI) {
			x.State = BearerActive
		}
		if c != gtp.CauseRequestAccepted && why == "" {
			why = "partially:ebi" + itoa(int(it.EBI)) + ":" + c.String()
		}
		bcs = append(bcs, gtp.BearerContext{EBI: it.EBI, Cause: gtp.Cause{Value: c}})
	}
	rsp := &gtp.UpdateBearerResponse{Cause: gtp.Cause{Value: first}, BearerContexts: bcs}
	switch {
	case accepted == len(bcs):
		rsp.Cause.Value = gtp.CauseRequestAccepted
	case accepted > 0:
		rsp.Cause.Value = gtp.CauseRequestAcceptedPartially
	}
	if accepted > 0 {
		rsp.ULI = m.uli()
	}
	m.touch()
	m.respondS11(t.S11Req, rsp)
	m.esmEnd(accepted > 0, why)
}

// deleteBearerRequest: TS 23.401 §5.4.4.1 steps 3-4, TS 24.301 §6.4.4.2:
// DEACTIVATE EPS BEARER CONTEXT REQUEST (T3495) in E-RAB RELEASE COMMAND.
// The Linked EBI deletes the whole PDN connection; the last one detaches
// the UE (TS 23.401 §5.4.4.1 step 3). An ECM-IDLE UE's bearers are
// deactivated locally (its EPS bearer context status synchronises them at
// the next TAU or service request, TS 24.301 §6.4.4.6).
func (m *Machine) deleteBearerRequest(e *S11Request, req *gtp.DeleteBearerRequest) {
	t := &m.s.ESM
	triggered := t.Proc == ProcERABRelease && t.S11Req == 0
	if !triggered {
		c := m.bearerRefusal()
		if c == gtp.CauseUnableToPageUE {
			c = 0 // deactivated locally below
		}
		if c != 0 {
			m.respondS11(e.ID, &gtp.DeleteBearerResponse{Cause: gtp.Cause{Value: c}})
			m.esmRefused(ProcBearerDeactivate, "s11:cause_"+itoa(int(c)))
			return
		}
	}
	var ebis []uint8
	var failed []gtp.BearerContext
	nasEBI, lbi := uint8(0), uint8(0)
	if req.LinkedEBI != 0 {
		pdn := m.pdnOf(req.LinkedEBI)
		if pdn == nil {
			m.respondS11(e.ID, &gtp.DeleteBearerResponse{Cause: gtp.Cause{Value: gtp.CauseContextNotFound}})
			if triggered {
				m.esmEnd(false, "s11:unknown_pdn")
			} else {
				m.esmRefused(ProcBearerDeactivate, "s11:unknown_pdn")
			}
			return
		}
		nasEBI, lbi = pdn.LBI, pdn.LBI
		for _, b := range pdn.Bearers {
			ebis = append(ebis, b.EBI)
		}
		if len(m.s.PDNs) == 1 {
			// TS 23.401 §5.4.4.1 step 3: the default bearer of the last PDN
			// connection: the MME detaches the UE (re-attach required).
			m.respondS11(e.ID, &gtp.DeleteBearerResponse{Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}, LinkedEBI: lbi})
			if triggered {
				m.esmEnd(true, "")
			}
			m.networkDetach(true, "last_pdn_deleted_by_pgw", false)
			return
		}
	} else {
		for _, ebi := range req.EBIs {
			p, b := m.bearerOf(ebi)
			switch {
			case b == nil:
				failed = append(failed, gtp.BearerContext{EBI: ebi, Cause: gtp.Cause{Value: gtp.CauseContextNotFound}})
			case p.LBI == ebi:
				// TS 29.274 §7.2.9.2: a default bearer goes by Linked EBI.
				failed = append(failed, gtp.BearerContext{EBI: ebi, Cause: gtp.Cause{Value: gtp.CauseMandatoryIEIncorrect}})
			case nasEBI == 0 || p.LBI == lbi:
				if nasEBI == 0 {
					nasEBI, lbi = ebi, p.LBI
				}
				ebis = append(ebis, ebi)
			default:
				failed = append(failed, gtp.BearerContext{EBI: ebi, Cause: gtp.Cause{Value: gtp.CauseRequestRejected}})
			}
		}
		if len(ebis) == 0 {
			m.respondS11(e.ID, &gtp.DeleteBearerResponse{Cause: gtp.Cause{Value: gtp.CauseContextNotFound}, BearerContexts: failed})
			if triggered {
				m.esmEnd(false, "s11:unknown_bearer")
			} else {
				m.esmRefused(ProcBearerDeactivate, "s11:unknown_bearer")
			}
			return
		}
	}
	if !triggered {
		t = m.esmBegin(ProcBearerDeactivate)
		if req.PTI != nil {
			t.PTI = *req.PTI
		}
	}
	t.S11Req, t.LBI, t.EBI, t.Bearers = e.ID, lbi, nasEBI, ebis
	t.WholePDN = req.LinkedEBI != 0
	if len(failed) > 0 {
		// Bearers of another PDN connection or unknown ones: the answer
		// names only the bearers deleted (TS 29.274 §7.2.10.2).
		m.anomaly(e, fmt.Sprintf("Delete Bearer Request: %d bearers not deleted", len(failed)))
	}
	m.touch()
	m.deactivate(nas.ESMCauseRegularDeactivation, req.Cause.Value == gtp.CauseReactivationRequested)
}

// deactivate sends DEACTIVATE EPS BEARER CONTEXT REQUEST for the ESM
// transaction's EBI (T3495), in E-RAB RELEASE COMMAND for the E-RABs the
// eNodeB holds, in DOWNLINK NAS TRANSPORT when it holds none; an ECM-IDLE
// UE's bearers are deactivated locally.
func (m *Machine) deactivate(cause nas.ESMCause, reactivate bool) {
	t := &m.s.ESM
	for _, ebi := range t.Bearers {
		if _, b := m.bearerOf(ebi); b != nil {
			b.State = BearerInactivePending
		}
	}
	if m.s.ECM != ECMConnected || m.s.Releasing || t.UECause == uint8(nas.ESMCauseInvalidEPSBearerIdentity) {
		// ECM-IDLE, or the UE said it has no such bearer (ESM STATUS #43):
		// local deactivation; E-RABs the eNodeB still holds are released.
		for _, ebi := range t.Bearers {
			if _, b := m.bearerOf(ebi); b != nil && b.ENBU.Addr.IsValid() {
				m.releaseERAB(ebi)
			}
		}
		m.deactivationDone()
		return
	}
	if reactivate {
		cause = nas.ESMCauseReactivationRequested // TS 24.301 §6.4.4.2
	}
	pdu := m.esmGuard(T3495, &nas.DeactivateEPSBearerContextRequest{EBI: t.EBI, PTI: t.PTI, ESMCause: cause})
	if pdu == nil {
		m.deactivationDone()
		return
	}
	t = &m.s.ESM
	t.UE = AnswerPending
	var list s1ap.ERABList
	for _, ebi := range t.Bearers {
		if _, b := m.bearerOf(ebi); b != nil && b.ENBU.Addr.IsValid() {
			list = append(list, s1ap.ERABItem{ERABID: s1ap.ERABID(ebi), Cause: nasCause(s1ap.CauseNasNormalRelease)})
		}
	}
	if len(list) > 0 {
		t.ENB = AnswerPending
		m.effect(SendS1{Conn: m.s.Conn, Msg: &s1ap.ERABReleaseCommand{ERABToBeReleasedList: list, NASPDU: s1ap.Some(s1ap.NASPDU(pdu))}})
	} else {
		m.effect(SendS1{Conn: m.s.Conn, Msg: dlNASTransport(pdu)})
	}
	if !t.WholePDN && t.Proc != ProcPDNDisconnect {
		// Several dedicated bearers: E-RAB RELEASE COMMAND carries one
		// NAS-PDU (TS 36.413 §9.1.3.5); the other bearers' DEACTIVATE EPS
		// BEARER CONTEXT REQUESTs go in DOWNLINK NAS TRANSPORT, each
		// answered on its own (ESMTransaction.Items).
		for _, ebi := range t.Bearers {
			if ebi == t.EBI {
				continue
			}
			t.Items = append(t.Items, ESMItem{EBI: ebi, UE: AnswerPending, ESMCause: uint8(cause)})
		}
		m.deactivateItems()
	}
	m.touch()
}

// deactivateItems sends the DEACTIVATE EPS BEARER CONTEXT REQUEST of every
// further bearer still waiting for the UE; those that cannot be encoded
// are deactivated locally.
func (m *Machine) deactivateItems() {
	t := &m.s.ESM
	for i := range t.Items {
		it := &t.Items[i]
		if it.UE != AnswerPending {
			continue
		}
		pdu, err := m.encodeDL(&nas.DeactivateEPSBearerContextRequest{EBI: it.EBI, PTI: t.PTI, ESMCause: nas.ESMCause(it.ESMCause)}, true)
		if err != nil {
			it.UE = AnswerFailed
			continue
		}
		m.effect(SendS1{Conn: m.s.Conn, Msg: dlNASTransport(pdu)})
	}
}

// itemsPending reports whether a further bearer still waits for the UE.
func (t *ESMTransaction) itemsPending() bool {
	for _, it := range t.Items {
		if it.UE == AnswerPending && it.Cause == 0 {
			return true
		}
	}
	return false
}

// failItems ends the wait for every further bearer (local deactivation).
func (t *ESMTransaction) failItems() {
	for i := range t.Items {
		if t.Items[i].UE == AnswerPending {
			t.Items[i].UE = AnswerFailed
		}
	}
}

// deactivationDone: the bearers (or the PDN connection) are gone: the UE
// accepted, T3495 expired a fifth time (local deactivation, TS 24.301
// §6.4.4.6 a) or the UE is ECM-IDLE. The SGW's Delete Bearer Request is
// answered (TS 23.401 §5.4.4.1 step 7, TS 29.274 §7.2.10.2).
func (m *Machine) deactivationDone() {
	t := &m.s.ESM
	why := ""
	if t.UE == AnswerFailed {
		why = "t3495_expiry"
	}
	wholePDN := t.Proc == ProcPDNDisconnect || t.WholePDN
	if wholePDN {
		m.removePDN(t.LBI)
	} else {
		for _, ebi := range t.Bearers {
			m.removeBearer(ebi)
		}
	}
	if t.S11Req != 0 {
		rsp := &gtp.DeleteBearerResponse{Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}, ULI: m.uli()}
		if wholePDN {
			rsp.LinkedEBI = t.LBI
		} else {
			for _, ebi := range t.Bearers {
				rsp.BearerContexts = append(rsp.BearerContexts, gtp.BearerContext{EBI: ebi, Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}})
			}
		}
		m.respondS11(t.S11Req, rsp)
	}
	// The UE not answering does not stop a deactivation: it succeeded
	// locally (the cause names the expiry).
	m.esmEnd(true, why)
}

// releaseERAB releases an E-RAB at the eNodeB without NAS signalling
// (TS 36.413 §8.2.3) when the connection is still there.
func (m *Machine) releaseERAB(ebi uint8) {
	if m.s.ECM != ECMConnected || m.s.Releasing {
		return
	}
	m.effect(SendS1{Conn: m.s.Conn, Msg: &s1ap.ERABReleaseCommand{ERABToBeReleasedList: s1ap.ERABList{{
		ERABID: s1ap.ERABID(ebi), Cause: nasCause(s1ap.CauseNasUnspecified)}}}})
}

// ---- eNodeB answers ----

// erabSetupResponse: TS 36.413 §8.2.1.2, TS 23.401 §5.4.1 step 5.
func (m *Machine) erabSetupResponse(e *ERABSetupResponse) {
	t := &m.s.ESM
	if e.Conn != m.s.Conn || t.ENB != AnswerPending || (t.Proc != ProcDedicatedBearer && t.Proc != ProcPDNConnect) {
		m.anomaly(e, "E-RAB SETUP RESPONSE not awaited")
		return
	}
	if t.Proc == ProcDedicatedBearer {
		m.dedicatedERABSetup(e) // dedicated.go
		return
	}
	t.ENB, t.ENBCause = AnswerFailed, gtp.CauseNoResourcesAvailable
	for _, s := range e.Setup {
		if _, b := m.bearerOf(s.EBI); b != nil && s.EBI == t.EBI {
			b.ENBU = FTEID{Addr: s.Addr, TEID: s.TEID}
			t.ENB = AnswerOK
		}
	}
	for _, f := range e.Failed {
		if f.EBI == t.EBI {
			// TS 36.413 §8.2.1.2: not set up; the NAS-PDU was not delivered.
			t.ENB = AnswerFailed
			m.anomaly(e, "E-RAB "+itoa(int(f.EBI))+" not set up: "+causeString(f.Cause))
		}
	}
	if t.ENB == AnswerFailed && t.Timer != 0 {
		m.stopTimer(t.Timer)
		t.Timer, t.Retx = 0, nil
	}
	m.touch()
	m.esmProgress()
}

// erabModifyResponse: TS 36.413 §8.2.2.2, TS 23.401 §5.4.2.1 step 5.
func (m *Machine) erabModifyResponse(e *ERABModifyResponse) {
	t := &m.s.ESM
	items := false
	for _, it := range t.Items {
		items = items || it.ENB == AnswerPending
	}
	if e.Conn != m.s.Conn || (t.ENB != AnswerPending && !items) || t.Proc != ProcBearerModify {
		m.anomaly(e, "E-RAB MODIFY RESPONSE not awaited")
		return
	}
	if t.ENB == AnswerPending {
		t.ENB, t.ENBCause = AnswerFailed, gtp.CauseNoResourcesAvailable
		if slices.Contains(e.Modified, t.EBI) {
			t.ENB = AnswerOK
		}
	}
	// The further bearers (TS 36.413 §8.2.2.2: E-RABs Modified / Failed to
	// Modify List); a failed E-RAB's NAS-PDU did not reach the UE.
	for i := range t.Items {
		if it := &t.Items[i]; it.ENB == AnswerPending {
			it.ENB = AnswerFailed
			if slices.Contains(e.Modified, it.EBI) {
				it.ENB = AnswerOK
			} else if it.UE == AnswerPending {
				it.UE = AnswerFailed
			}
		}
	}
	for _, f := range e.Failed {
		if f.EBI == t.EBI {
			t.ENB = AnswerFailed
		}
		m.anomaly(e, "E-RAB "+itoa(int(f.EBI))+" not modified: "+causeString(f.Cause))
	}
	m.touch()
	m.esmProgress()
}

// erabReleaseResponse: TS 36.413 §8.2.3.2; a released E-RAB has no
// eNodeB tunnel any more.
func (m *Machine) erabReleaseResponse(e *ERABReleaseResponse) {
	for _, ebi := range e.Released {
		if _, b := m.bearerOf(ebi); b != nil {
			b.ENBU = FTEID{}
			m.touch()
		}
	}
	t := &m.s.ESM
	if e.Conn != m.s.Conn || t.ENB != AnswerPending {
		// The release of an E-RAB a failed activation left behind.
		return
	}
	t.ENB = AnswerOK
	m.touch()
	m.esmProgress()
}

// erabReleaseIndication: TS 23.401 §5.4.4.2: the eNodeB released bearers
// on its own; the MME asks the SGW to delete them (Delete Bearer Command,
// TS 29.274 §7.2.17.1). The PGW answers with Delete Bearer Request
// (triggered), which deactivates them towards the UE.
func (m *Machine) erabReleaseIndication(e *ERABReleaseIndication) {
	if e.Conn != m.s.Conn || m.s.ECM != ECMConnected {
		m.anomaly(e, "E-RAB RELEASE INDICATION on a connection that is not current")
		return
	}
	var ebis []uint8
	for _, r := range e.Released {
		if _, b := m.bearerOf(r.EBI); b != nil {
			b.ENBU = FTEID{}
			ebis = append(ebis, r.EBI)
		}
	}
	m.touch()
	if len(ebis) == 0 {
		m.anomaly(e, "E-RAB RELEASE INDICATION for no known bearer")
		return
	}
	if m.s.EMM != EMMRegistered || m.s.ESM.Active() {
		// The procedure in progress settles the bearers; the E-RABs are gone.
		m.anomaly(e, "E-RAB RELEASE INDICATION during another procedure: tunnels cleared")
		return
	}
	t := m.esmBegin(ProcERABRelease)
	t.Bearers = ebis
	cmd := &gtp.DeleteBearerCommand{ULI: m.uli()}
	for _, ebi := range ebis {
		cmd.BearerContexts = append(cmd.BearerContexts, gtp.BearerContext{EBI: ebi})
	}
	t.Txn = m.nextTxn()
	m.effect(SendS11{Txn: t.Txn, Peer: m.s.SGW, TEID: m.s.SGWTEID, Msg: cmd})
}

// esmStatusInvalidBearer: TS 24.301 §6.7: ESM STATUS #43 "invalid EPS
// bearer identity": the MME deactivates that EPS bearer context locally,
// without ESM signalling. A procedure on that bearer ends as if the UE had
// refused; an active dedicated bearer is deleted at the SGW with Delete
// Bearer Command (TS 23.401 §5.4.4.2), whose triggered Delete Bearer
// Request is answered without asking the UE again.
func (m *Machine) esmStatusInvalidBearer(ebi uint8) {
	t := &m.s.ESM
	if t.Proc == ProcDedicatedBearer {
		m.dedicatedAnswer(ebi, t.PTI, false, uint8(nas.ESMCauseInvalidEPSBearerIdentity))
	} else if t.Active() && t.EBI == ebi && t.UE == AnswerPending {
		if t.Timer != 0 {
			m.stopTimer(t.Timer)
		}
		t.Timer, t.Retx = 0, nil
		t.UE, t.UECause = AnswerFailed, uint8(nas.ESMCauseInvalidEPSBearerIdentity)
		if t.Proc == ProcBearerDeactivate || t.Proc == ProcPDNDisconnect || t.Proc == ProcERABRelease {
			t.UE = AnswerOK // the UE has no such bearer: deactivated
		}
		m.touch()
		m.esmProgress()
		// The procedure is over; a bearer it left in place goes below.
	}
	p, b := m.bearerOf(ebi)
	if b == nil || p.LBI == ebi || t.Active() || m.s.EMM != EMMRegistered {
		// A default bearer's PDN connection is left to the UE (PDN
		// DISCONNECT or re-attach); a busy ESM slot to its procedure.
		return
	}
	t = m.esmBegin(ProcERABRelease)
	t.Bearers, t.UECause = []uint8{ebi}, uint8(nas.ESMCauseInvalidEPSBearerIdentity)
	t.Txn = m.nextTxn()
	m.effect(SendS11{Txn: t.Txn, Peer: m.s.SGW, TEID: m.s.SGWTEID, Msg: &gtp.DeleteBearerCommand{ULI: m.uli(),
		BearerContexts: []gtp.BearerContext{{EBI: ebi}}}})
}

// ---- UE answers ----

// esmAnswer takes the UE's answer to the network's ESM request
// (TS 24.301 §6.4.1.3-4, §6.4.2.3-4, §6.4.3.3-4, §6.4.4.3).
func (m *Machine) esmAnswer(ev *nasEvent) {
	t := &m.s.ESM
	var ebi, pti uint8
	var want []Procedure
	ok, cause := true, uint8(0)
	switch msg := ev.msg.(type) {
	case *nas.ActivateDefaultEPSBearerContextAccept:
		ebi, pti, want = msg.EBI, msg.PTI, []Procedure{ProcPDNConnect}
	case *nas.ActivateDefaultEPSBearerContextReject:
		ebi, pti, want, ok, cause = msg.EBI, msg.PTI, []Procedure{ProcPDNConnect}, false, uint8(msg.ESMCause)
	case *nas.ActivateDedicatedEPSBearerContextAccept:
		ebi, pti, want = msg.EBI, msg.PTI, []Procedure{ProcDedicatedBearer}
	case *nas.ActivateDedicatedEPSBearerContextReject:
		ebi, pti, want, ok, cause = msg.EBI, msg.PTI, []Procedure{ProcDedicatedBearer}, false, uint8(msg.ESMCause)
	case *nas.ModifyEPSBearerContextAccept:
		ebi, pti, want = msg.EBI, msg.PTI, []Procedure{ProcBearerModify}
	case *nas.ModifyEPSBearerContextReject:
		ebi, pti, want, ok, cause = msg.EBI, msg.PTI, []Procedure{ProcBearerModify}, false, uint8(msg.ESMCause)
	case *nas.DeactivateEPSBearerContextAccept:
		ebi, pti, want = msg.EBI, msg.PTI, []Procedure{ProcBearerDeactivate, ProcPDNDisconnect, ProcERABRelease}
	}
	if t.Proc == ProcDedicatedBearer && slices.Contains(want, t.Proc) && m.dedicatedAnswer(ebi, pti, ok, cause) {
		return
	}
	if it := t.item(ebi); it != nil && t.Proc != ProcDedicatedBearer && slices.Contains(want, t.Proc) && it.UE == AnswerPending && pti == t.PTI {
		// A further bearer of a deactivation (TS 24.301 §6.4.4.3) or a
		// modification (§6.4.3.3-4).
		it.UE = AnswerOK
		if !ok {
			it.UE, it.ESMCause = AnswerFailed, cause
		}
		m.touch()
		m.esmProgress()
		return
	}
	if !slices.Contains(want, t.Proc) || t.Proc == ProcDedicatedBearer || t.UE != AnswerPending || ebi != t.EBI || pti != t.PTI {
		if _, b := m.bearerOf(ebi); b != nil {
			// A repeated answer (after a retransmission) or a late one: no
			// state changes (TS 24.301 §6.4.2.3: the network stops T3485
			// once).
			m.anomaly(ev, "ESM answer not awaited")
			return
		}
		// TS 24.301 §6.7: an ESM message for an EPS bearer the MME does not
		// have: ESM STATUS #43 invalid EPS bearer identity.
		m.anomaly(ev, "ESM answer for an unknown EPS bearer")
		m.sendNAS(&nas.ESMStatus{EBI: ebi, PTI: pti, ESMCause: nas.ESMCauseInvalidEPSBearerIdentity}, false)
		return
	}
	if t.Timer != 0 && !t.itemsPending() {
		m.stopTimer(t.Timer)
		t.Timer = 0
	}
	t.Retx = nil
	t.UE, t.UECause = AnswerOK, 0
	if !ok {
		t.UE, t.UECause = AnswerFailed, cause
	}
	m.touch()
	m.esmProgress()
}

// esmConnectionGone ends what the ESM procedure in progress needed the
// connection for: the eNodeB and UE answers will not come (S1 release,
// connection lost). Deactivations complete locally; activations and
// modifications fail.
func (m *Machine) esmConnectionGone() {
	t := &m.s.ESM
	if !t.Active() || t.Txn != 0 {
		// An S11 answer is awaited first; it finds the connection gone.
		return
	}
	if t.Proc == ProcDedicatedBearer {
		if t.Timer != 0 {
			m.stopTimer(t.Timer)
			t.Timer = 0
		}
		t.ENB = AnswerOK
		for i := range t.Items {
			if it := &t.Items[i]; !it.settled() {
				it.Cause = gtp.CauseUENotResponding
			}
		}
		m.touch()
		m.dedicatedProgress()
		return
	}
	if t.Timer != 0 {
		m.stopTimer(t.Timer)
		t.Timer, t.Retx = 0, nil
	}
	if t.ENB == AnswerPending {
		t.ENB, t.ENBCause = AnswerFailed, gtp.CauseUENotResponding
		if t.Proc == ProcBearerDeactivate || t.Proc == ProcPDNDisconnect || t.Proc == ProcERABRelease {
			t.ENB = AnswerOK
		}
	}
	if t.UE == AnswerPending {
		t.UE = AnswerFailed
	}
	if t.Proc == ProcBearerModify {
		for i := range t.Items {
			if it := &t.Items[i]; it.Cause == 0 && (it.ENB == AnswerPending || it.UE == AnswerPending) {
				it.Cause = gtp.CauseUENotResponding
			}
		}
	}
	t.failItems()
	m.touch()
	m.esmProgress()
}

// esmAbort ends the ESM procedure in progress without its peers: the UE's
// contexts go (detach, a new attach) or the node restarted (its S11
// transactions and S1 connections are gone). The record is left
// consistent: a bearer being activated is removed (a new PDN connection
// deleted at the SGW), one being modified keeps its old values, a
// deactivation completes locally; the SGW's request is answered (TS 29.274
// §7.2.4, §7.2.16 "Context Not Found"; a deletion is done) if the node
// still has it.
func (m *Machine) esmAbort(why string) {
	t := &m.s.ESM
	if !t.Active() {
		return
	}
	c := gtp.Cause{Value: gtp.CauseContextNotFound}
	switch t.Proc {
	case ProcDedicatedBearer:
		for _, ebi := range t.Bearers {
			m.removeBearer(ebi)
		}
		m.respondS11(t.S11Req, &gtp.CreateBearerResponse{Cause: c})
	case ProcBearerModify:
		m.modifyRestore()
		m.respondS11(t.S11Req, &gtp.UpdateBearerResponse{Cause: c})
	case ProcBearerDeactivate, ProcERABRelease:
		if t.WholePDN {
			m.removePDN(t.LBI)
		} else {
			for _, ebi := range t.Bearers {
				m.removeBearer(ebi)
			}
		}
		m.respondS11(t.S11Req, &gtp.DeleteBearerResponse{Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}})
	case ProcPDNConnect:
		if m.pdnOf(t.EBI) != nil || t.Txn != 0 {
			// Created at the SGW, or perhaps: delete it (Context Not Found
			// is a fine answer).
			if len(m.s.PDNs) > 0 && m.s.SGWTEID != 0 {
				m.deletePDNSession(t.EBI)
			}
			m.removePDN(t.EBI)
		}
	case ProcPDNDisconnect:
		m.removePDN(t.LBI)
	}
	m.esmEnd(false, why)
}
