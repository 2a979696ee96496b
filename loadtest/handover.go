package loadtest

import (
	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/s1ap"
)

// hoState is a handover in progress on a UE's connection. For an X2
// handover the connection has moved to the target when the Path Switch is
// sent; for an S1 handover it moves at Handover Notify, and the source's
// part is released afterwards.
type hoState struct {
	active     bool
	kind       Procedure
	source     uint16 // source eNodeB
	sourceCell uint8
	sourceMME  uint32 // MME-UE-S1AP-ID of the source connection
	target     uint16
	targetCell uint8
	targetMME  uint32 // MME-UE-S1AP-ID at the target (S1)
	targetSet  bool   // the target admitted the UE (S1)
	switched   bool   // the connection is at the target (S1: after Notify)
	cancel     bool
	nh         [32]byte // NH of the target (S1)
	ncc        uint8
	erabs      [8]erab // target E-RABs (S1)
	nErabs     uint8
}

// pickTarget returns another eNodeB than the serving one with a link to the
// same MME that is up, and a cell of it (prefer one in another TA, so the
// TAU after the handover happens).
func (w *worker) pickTarget(c *conn) (uint16, uint8, bool) {
	s := w.sim
	n := len(s.enbs)
	if n < 2 {
		return 0, 0, false
	}
	start := w.rng.IntN(n)
	for k := 0; k < n; k++ {
		i := uint16((start + k) % n)
		if i == c.enb || !s.enbs[i].links[c.link].up.Load() {
			continue
		}
		return i, uint8(w.rng.IntN(len(s.enbs[i].cells))), true
	}
	return 0, 0, false
}

// beginHandover starts a handover procedure of a connected UE: its
// connection (with E-RABs up towards an MME) and a target eNodeB and cell;
// ok is false, and the procedure already failed with its cause, when
// either is missing.
func (w *worker) beginHandover(ue uint32, proc Procedure) (u *UE, c *conn, t uint16, tc uint8, ok bool) {
	u = &w.sim.ues[ue]
	c = w.connOf(u)
	w.begin(ue, proc)
	if c == nil || !c.hasMME || c.nErabs == 0 {
		w.fail(ue, "no_bearers_to_hand_over")
		return nil, nil, 0, 0, false
	}
	if t, tc, ok = w.pickTarget(c); !ok {
		w.fail(ue, "no_target_enb")
		return nil, nil, 0, 0, false
	}
	return u, c, t, tc, true
}

// startX2Handover moves a connected UE to another eNodeB over X2 and has
// the target switch the path: PATH SWITCH REQUEST with the target's
// downlink F-TEIDs (TS 36.413 §8.4.4, TS 23.401 §5.5.1.1.2).
func (w *worker) startX2Handover(ue uint32) {
	u, c, t, tc, ok := w.beginHandover(ue, ProcX2Handover)
	if !ok {
		return
	}
	prof := &w.sim.profiles[u.profile]
	c.ho = hoState{active: true, kind: ProcX2Handover, source: c.enb, sourceCell: c.cell, sourceMME: c.mmeUEID,
		target: t, targetCell: tc, switched: true}
	// The source's context goes with X2 UE CONTEXT RELEASE (no S1 message).
	w.sim.enbs[c.enb].links[c.link].byMMEID.del(c.mmeUEID, ue)
	c.enb, c.cell = t, tc
	u.enb, u.cell = t, tc
	e := w.sim.enbs[t]
	var dl s1ap.ERABToBeSwitchedDLList
	for i := 0; i < int(c.nErabs); i++ {
		r := &c.erabs[i]
		r.enbTEID = enbTEID(ue, r.id, t)
		dl = append(dl, s1ap.ERABToBeSwitchedDLItem{ERABID: s1ap.ERABID(r.id), TransportLayerAddress: w.sim.gtpAddress(),
			GTPTEID: s1ap.GTPTEID(r.enbTEID)})
	}
	w.sendUE(ue, c, &s1ap.PathSwitchRequest{ENBUES1APID: s1ap.ENBUES1APID(ue), ERABToBeSwitchedDLList: dl,
		SourceMMEUES1APID: s1ap.MMEUES1APID(c.mmeUEID), EUTRANCGI: w.sim.ecgi(e, tc), TAI: w.sim.tai(e, tc),
		UESecurityCapabilities: s1SecurityCapabilities(prof)}, nil)
	c.hasMME = false // the MME may allocate a new MME-UE-S1AP-ID (§8.4.4.2)
	w.startTimer(ue, slotGuard, tProcGuard, w.sim.timer(tProcGuard))
}

func s1SecurityCapabilities(p *profileRT) s1ap.UESecurityCapabilities {
	return s1ap.UESecurityCapabilities{
		EncryptionAlgorithms:          s1ap.EncryptionAlgorithms{Bytes: []byte{byte(p.s1EEA >> 8), byte(p.s1EEA)}, Len: 16},
		IntegrityProtectionAlgorithms: s1ap.IntegrityProtectionAlgorithms{Bytes: []byte{byte(p.s1EIA >> 8), byte(p.s1EIA)}, Len: 16},
	}
}

// enbTEID is an eNodeB's downlink TEID for a UE's E-RAB: unique per eNodeB
// (UE index and E-RAB ID), and different per eNodeB so a path switch is
// visible in the F-TEID even with every eNodeB on one address.
func enbTEID(ue uint32, id uint8, enb uint16) [4]byte {
	t := (ue<<4 | uint32(id&0xf)) ^ uint32(enb&0xf)<<28
	return [4]byte{byte(t >> 24), byte(t >> 16), byte(t >> 8), byte(t)}
}

// checkNH verifies an NH/NCC pair from the MME against the UE's key chain
// (TS 33.401 §7.2.8.4, A.4): NH(n+1) = KDF(K_ASME, NH(n)), NH(0) = the
// initial K_eNB. The NCC may skip ahead (3 bits, wrapping).
func (w *worker) checkNH(c *conn, ncc uint8, nh [32]byte) bool {
	if c.sec == nil || !c.haveKeNB {
		return false
	}
	cur, n := c.nh, c.ncc
	for step := 0; step < 8; step++ {
		cur = security.DeriveNH(c.sec.KASME(), cur)
		n = (n + 1) & 7
		if n == ncc&7 {
			if cur == nh {
				c.nh, c.ncc = cur, n
				return true
			}
			return false
		}
	}
	return false
}

// onPathSwitchAck completes an X2 handover: the NH/NCC must follow the
// chain; a new MME-UE-S1AP-ID is taken. A TAU follows when the target's TA
// is outside the TAI list (TS 23.401 §5.5.1.1.2 step 9).
func (w *worker) onPathSwitchAck(ue uint32, c *conn, m *s1ap.PathSwitchRequestAcknowledge) {
	u := &w.sim.ues[ue]
	if !c.ho.active || c.ho.kind != ProcX2Handover {
		w.sim.countError("s1ap: PathSwitchRequestAcknowledge without a path switch")
		return
	}
	w.learnMMEID(ue, c, uint32(m.MMEUES1APID))
	c.ho = hoState{}
	if !w.checkNH(c, uint8(m.SecurityContext.NextHopChainingCount), [32]byte(m.SecurityContext.NextHopParameter)) {
		w.fail(ue, "nh_mismatch")
		return
	}
	w.tauIfNewTA(u)
	w.succeed(ue)
}

func (w *worker) tauIfNewTA(u *UE) {
	t := w.sim.enbs[u.enb].cells[u.cell].tai
	if u.taiMask&(1<<t) == 0 && u.next == 0 {
		u.next = ProcTAU
	}
}

// onHandoverFailure ends a handover the MME refused (Path Switch Request
// Failure, Handover Preparation Failure).
func (w *worker) onHandoverFailure(ue uint32, c *conn, cause string) {
	if !c.ho.active {
		w.sim.countError("s1ap: handover failure without a handover")
		return
	}
	if c.ho.kind == ProcX2Handover {
		// The path was not switched (TS 36.413 §8.4.4.3): the MME keeps
		// the source eNodeB's connection, so the UE is the source's again
		// (its MME-UE-S1AP-ID is valid only on the source association).
		u := &w.sim.ues[ue]
		c.enb, c.cell = c.ho.source, c.ho.sourceCell
		u.enb, u.cell = c.enb, c.cell
		c.hasMME, c.mmeUEID = true, c.ho.sourceMME
		w.sim.enbs[c.enb].links[c.link].byMMEID.put(c.mmeUEID, ue)
	}
	w.sim.dropHandover(ue, c)
	c.ho = hoState{}
	w.fail(ue, cause)
}

// startS1Handover is the source eNodeB's HANDOVER REQUIRED (TS 36.413
// §8.4.1.2) towards another eNodeB of the same MME.
func (w *worker) startS1Handover(ue uint32) {
	_, c, t, tc, ok := w.beginHandover(ue, ProcS1Handover)
	if !ok {
		return
	}
	c.ho = hoState{active: true, kind: ProcS1Handover, source: c.enb, sourceCell: c.cell, sourceMME: c.mmeUEID,
		target: t, targetCell: tc, cancel: w.ph != nil && w.ph.ph.Cancel}
	w.sim.addHandover(ue, c)
	te := w.sim.enbs[t]
	src := w.sim.enbs[c.enb]
	w.sendUE(ue, c, &s1ap.HandoverRequired{MMEUES1APID: s1ap.MMEUES1APID(c.mmeUEID), ENBUES1APID: s1ap.ENBUES1APID(ue),
		HandoverType: s1ap.HandoverTypeIntralte, Cause: radioCause(s1ap.CauseRadioNetworkHandoverDesirableForRadioReason),
		TargetID: s1ap.TargetID{Choice: s1ap.TargetIDChoiceTargeteNBID, TargeteNBID: s1ap.TargeteNBID{
			GlobalENBID: s1ap.GlobalENBID{PLMNidentity: s1ap.PLMNidentity(te.plmn),
				ENBID: s1ap.ENBID{Choice: s1ap.ENBIDChoiceMacroENBID, MacroENBID: s1ap.ENBIDMacroENBID(te.id)}},
			SelectedTAI: w.sim.tai(te, tc)}},
		SourceToTargetTransparentContainer: sourceToTarget(w.sim.ecgi(te, tc), w.sim.ecgi(src, c.cell))}, nil)
	w.startTimer(ue, slotGuard, tProcGuard, w.sim.timer(tProcGuard))
}

// onHandoverRequest is the target eNodeB's resource allocation (TS 36.413
// §8.4.2): admit every E-RAB with the target's F-TEIDs, check NH/NCC, and
// answer HANDOVER REQUEST ACKNOWLEDGE on the target's association.
func (w *worker) onHandoverRequest(ue uint32, l *link, m *s1ap.HandoverRequest) {
	u := &w.sim.ues[ue]
	c := w.connOf(u)
	if c == nil || !c.ho.active || c.ho.kind != ProcS1Handover || c.ho.target != l.enb.idx {
		_ = l.send(0, &s1ap.HandoverFailure{MMEUES1APID: m.MMEUES1APID, Cause: radioCause(s1ap.CauseRadioNetworkUnspecified)})
		return
	}
	if t := w.sim.ueTrace(ue); t != nil {
		t.add(traceFromS1AP("dl", m))
	}
	h := &c.ho
	h.targetMME, h.targetSet = uint32(m.MMEUES1APID), true
	l.byMMEID.put(h.targetMME, ue)
	// NH/NCC for the target (TS 33.401 §7.2.8.4.3): checked against the
	// chain without moving the source's.
	probe := *c
	if !w.checkNH(&probe, uint8(m.SecurityContext.NextHopChainingCount), [32]byte(m.SecurityContext.NextHopParameter)) {
		w.sim.countError("s1ap: HandoverRequest NH/NCC off the key chain")
	}
	h.nh, h.ncc = probe.nh, probe.ncc
	var adm s1ap.ERABAdmittedList
	h.nErabs = 0
	for _, it := range m.ERABToBeSetupListHOReq {
		if int(h.nErabs) == len(h.erabs) {
			break
		}
		r := &h.erabs[h.nErabs]
		h.nErabs++
		*r = erab{id: uint8(it.ERABID), sgwTEID: [4]byte(it.GTPTEID), sgwLen: uint8(it.TransportLayerAddress.Len),
			qci: uint8(it.ERABlevelQosParameters.QCI), enbTEID: enbTEID(ue, uint8(it.ERABID), l.enb.idx)}
		copy(r.sgwAddr[:], it.TransportLayerAddress.Bytes)
		adm = append(adm, s1ap.ERABAdmittedItem{ERABID: it.ERABID, TransportLayerAddress: w.sim.gtpAddress(), GTPTEID: s1ap.GTPTEID(r.enbTEID)})
	}
	w.sendOn(ue, l, &s1ap.HandoverRequestAcknowledge{MMEUES1APID: m.MMEUES1APID, ENBUES1APID: s1ap.ENBUES1APID(ue),
		ERABAdmittedList: adm, TargetToSourceTransparentContainer: targetToSource()}, nil)
}

// onHandoverCommand is the source's go-ahead (TS 36.413 §8.4.1.2): send
// the PDCP status (eNB STATUS TRANSFER, §8.4.6), or cancel when the phase
// says so (HANDOVER CANCEL, §8.4.5).
func (w *worker) onHandoverCommand(ue uint32, c *conn, m *s1ap.HandoverCommand) {
	if !c.ho.active || c.ho.kind != ProcS1Handover {
		w.sim.countError("s1ap: HandoverCommand without a handover")
		return
	}
	if c.ho.cancel {
		w.sendUE(ue, c, &s1ap.HandoverCancel{MMEUES1APID: s1ap.MMEUES1APID(c.mmeUEID), ENBUES1APID: s1ap.ENBUES1APID(ue),
			Cause: radioCause(s1ap.CauseRadioNetworkHandoverCancelled)}, nil)
		return
	}
	var list s1ap.BearersSubjectToStatusTransferList
	for i := 0; i < int(c.nErabs); i++ {
		list = append(list, s1ap.BearersSubjectToStatusTransferItem{ERABID: s1ap.ERABID(c.erabs[i].id),
			ULCOUNTvalue: s1ap.COUNTvalue{PDCPSN: 0, HFN: 0}, DLCOUNTvalue: s1ap.COUNTvalue{PDCPSN: 0, HFN: 0}})
	}
	w.sendUE(ue, c, &s1ap.ENBStatusTransfer{MMEUES1APID: s1ap.MMEUES1APID(c.mmeUEID), ENBUES1APID: s1ap.ENBUES1APID(ue),
		ENBStatusTransferTransparentContainer: s1ap.ENBStatusTransferTransparentContainer{BearersSubjectToStatusTransferList: list}}, nil)
}

// onMMEStatusTransfer reaches the target: the UE arrives there (RRC
// reconfiguration complete) and the target sends HANDOVER NOTIFY (TS
// 36.413 §8.4.3); the connection moves to the target.
func (w *worker) onMMEStatusTransfer(ue uint32, c *conn) {
	u := &w.sim.ues[ue]
	h := &c.ho
	if !h.active || h.kind != ProcS1Handover || !h.targetSet {
		w.sim.countError("s1ap: MMEStatusTransfer without a handover")
		return
	}
	te := w.sim.enbs[h.target]
	tl := te.links[c.link]
	w.sendOn(ue, tl, &s1ap.HandoverNotify{MMEUES1APID: s1ap.MMEUES1APID(h.targetMME), ENBUES1APID: s1ap.ENBUES1APID(ue),
		EUTRANCGI: w.sim.ecgi(te, h.targetCell), TAI: w.sim.tai(te, h.targetCell)}, nil)
	// The connection is now the target's.
	w.sim.dropHandover(ue, c)
	w.sim.enbs[c.enb].links[c.link].byMMEID.del(c.mmeUEID, ue)
	c.enb, c.cell, c.mmeUEID = h.target, h.targetCell, h.targetMME
	c.erabs, c.nErabs = h.erabs, h.nErabs
	c.nh, c.ncc = h.nh, h.ncc
	u.enb, u.cell = h.target, h.targetCell
	h.switched = true
}

// onHandoverSourceRelease handles UE CONTEXT RELEASE COMMAND for the other
// side of an S1 handover: the source after Notify (successful-handover),
// or the target after a cancel. It reports whether it did.
func (w *worker) onHandoverSourceRelease(ue uint32, c *conn, enbIdx uint16, m *s1ap.UEContextReleaseCommand) bool {
	h := &c.ho
	u := &w.sim.ues[ue]
	switch {
	case h.kind == ProcS1Handover && h.switched && enbIdx == h.source:
		sl := w.sim.enbs[h.source].links[c.link]
		w.sendOn(ue, sl, &s1ap.UEContextReleaseComplete{MMEUES1APID: s1ap.MMEUES1APID(h.sourceMME), ENBUES1APID: s1ap.ENBUES1APID(ue)}, nil)
		c.ho = hoState{}
		if u.proc == ProcS1Handover {
			w.tauIfNewTA(u)
			w.succeed(ue)
		}
		return true
	case h.kind == ProcS1Handover && !h.switched && enbIdx == h.target:
		tl := w.sim.enbs[h.target].links[c.link]
		tl.byMMEID.del(h.targetMME, ue)
		w.sendOn(ue, tl, &s1ap.UEContextReleaseComplete{MMEUES1APID: s1ap.MMEUES1APID(h.targetMME), ENBUES1APID: s1ap.ENBUES1APID(ue)}, nil)
		if h.cancel && u.proc == 0 {
			c.ho = hoState{}
		}
		h.targetSet = false
		return true
	}
	return false
}

// onHandoverCancelAck ends a cancelled handover at the source (TS 36.413
// §8.4.5): the UE stays; the procedure counts as cancelled.
func (w *worker) onHandoverCancelAck(ue uint32, c *conn) {
	if !c.ho.active {
		return
	}
	w.sim.dropHandover(ue, c)
	if !c.ho.targetSet {
		c.ho = hoState{}
	}
	w.fail(ue, "handover_cancelled")
}
