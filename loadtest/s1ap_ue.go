package loadtest

import (
	"encoding/hex"
	"net/netip"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/s1ap"
)

// ueRadioCapability is the UERadioCapability the eNodeBs report in UE
// CAPABILITY INFO INDICATION (TS 36.413 §8.9.1): a real UE's
// UERadioAccessCapabilityInformation (TS 36.331), the value of
// testdata/vectors/s1ap.tsv UECapabilityInfoIndication#06 (Open5GS
// attach_test3), so that Wireshark dissects it.
var ueRadioCapability, _ = hex.DecodeString("013001023cd98000bc000ff06ec4d00141b82c0000000007d404000ef0802000012a030000880000")

// onS1AP handles a UE-associated downlink message on the UE's worker: the
// eNodeB's part of the procedure, then the NAS it carries for the UE.
func (w *worker) onS1AP(ue uint32, li uint8, enbIdx uint16, pdu *s1ap.PDU) {
	u := &w.sim.ues[ue]
	c := w.connOf(u)
	l := w.sim.enbs[enbIdx].links[li]
	// HANDOVER REQUEST arrives at the target before the UE has a
	// connection there.
	if m, ok := pdu.Message.(*s1ap.HandoverRequest); ok {
		w.onHandoverRequest(ue, l, m)
		return
	}
	if c == nil || !w.sameConn(c, enbIdx, li, pdu.Message) {
		w.stale(ue, l, pdu.Message)
		return
	}
	if t := w.sim.ueTrace(ue); t != nil {
		if _, carriesNAS := nasOf(pdu.Message); !carriesNAS {
			t.add(traceFromS1AP("dl", pdu.Message))
		}
	}
	c.lastAct = w.now
	switch m := pdu.Message.(type) {
	case *s1ap.DownlinkNASTransport:
		w.learnMMEID(ue, c, uint32(m.MMEUES1APID))
		w.onNAS(ue, c, m.NASPDU, m)
	case *s1ap.InitialContextSetupRequest:
		w.learnMMEID(ue, c, uint32(m.MMEUES1APID))
		w.onInitialContextSetup(ue, c, m)
	case *s1ap.UEContextReleaseCommand:
		w.onReleaseCommand(ue, c, enbIdx, m)
	case *s1ap.ERABSetupRequest:
		w.onERABSetup(ue, c, m)
	case *s1ap.ERABModifyRequest:
		w.onERABModify(ue, c, m)
	case *s1ap.ERABReleaseCommand:
		w.onERABRelease(ue, c, m)
	case *s1ap.UEContextModificationRequest:
		// TS 36.413 §8.3.4.2: apply (a new K_eNB is checked) and answer.
		if k, ok := m.SecurityKey.Get(); ok {
			c.kenb = [32]byte(k)
		}
		w.sendUE(ue, c, &s1ap.UEContextModificationResponse{MMEUES1APID: m.MMEUES1APID, ENBUES1APID: m.ENBUES1APID}, nil)
	case *s1ap.PathSwitchRequestAcknowledge:
		w.onPathSwitchAck(ue, c, m)
	case *s1ap.PathSwitchRequestFailure:
		w.onHandoverFailure(ue, c, "path_switch_failure:"+causeString(m.Cause))
	case *s1ap.HandoverCommand:
		w.onHandoverCommand(ue, c, m)
	case *s1ap.HandoverPreparationFailure:
		w.onHandoverFailure(ue, c, "handover_preparation_failure:"+causeString(m.Cause))
	case *s1ap.HandoverCancelAcknowledge:
		w.onHandoverCancelAck(ue, c)
	case *s1ap.MMEStatusTransfer:
		w.onMMEStatusTransfer(ue, c)
	case *s1ap.ErrorIndication:
		cause := "none"
		if v, ok := m.Cause.Get(); ok {
			cause = causeString(v)
		}
		w.sim.countError("s1ap: ErrorIndication for a UE: " + cause)
		w.fail(ue, "error_indication:"+cause)
	default:
		w.sim.countError("s1ap: unexpected " + m.MessageName() + " for a UE")
	}
}

// sameConn checks that a message names the UE's current connection on this
// eNodeB and MME: a message for an older connection of the same UE index is
// stale.
func (w *worker) sameConn(c *conn, enbIdx uint16, li uint8, m s1ap.Message) bool {
	if c.link != li {
		return false
	}
	if c.ho.active {
		// Both ends of a handover are this UE's.
		return enbIdx == c.enb || enbIdx == c.ho.source || enbIdx == c.ho.target
	}
	if c.enb != enbIdx {
		return false
	}
	if id, ok := mmeUEID(m); ok && c.hasMME && id != c.mmeUEID {
		return false
	}
	return true
}

// stale answers a message for a connection the eNodeB no longer has: UE
// CONTEXT RELEASE COMMAND is completed anyway (TS 36.413 §8.3.3.2), others
// get ERROR INDICATION with unknown-enb-ue-s1ap-id (§10.6).
func (w *worker) stale(ue uint32, l *link, m s1ap.Message) {
	if rc, ok := m.(*s1ap.UEContextReleaseCommand); ok {
		p := rc.UES1APIDs.UES1APIDPair
		if rc.UES1APIDs.Choice != s1ap.UES1APIDsChoiceUES1APIDPair {
			p = s1ap.UES1APIDPair{MMEUES1APID: rc.UES1APIDs.MMEUES1APID, ENBUES1APID: s1ap.ENBUES1APID(ue)}
		}
		w.sendOn(ue, l, &s1ap.UEContextReleaseComplete{MMEUES1APID: p.MMEUES1APID, ENBUES1APID: p.ENBUES1APID}, nil)
		return
	}
	w.sim.countError("s1ap: " + m.MessageName() + " for a released UE connection")
	ei := &s1ap.ErrorIndication{ENBUES1APID: s1ap.Some(s1ap.ENBUES1APID(ue)),
		Cause: s1ap.Some(radioCause(s1ap.CauseRadioNetworkUnknownEnbUeS1apId))}
	if id, ok := mmeUEID(m); ok {
		ei.MMEUES1APID = s1ap.Some(s1ap.MMEUES1APID(id))
	}
	w.sendOn(ue, l, ei, nil)
}

// learnMMEID records the MME-UE-S1AP-ID the MME allocated (TS 36.413
// §9.2.3.3) on its first message for the connection.
func (w *worker) learnMMEID(ue uint32, c *conn, id uint32) {
	if c.hasMME && c.mmeUEID == id {
		return
	}
	l := w.sim.enbs[c.enb].links[c.link]
	if c.hasMME {
		l.byMMEID.del(c.mmeUEID, ue)
	}
	c.hasMME, c.mmeUEID = true, id
	l.byMMEID.put(id, ue)
}

// onInitialContextSetup is the eNodeB's part of INITIAL CONTEXT SETUP (TS
// 36.413 §8.3.1): keep K_eNB and the E-RABs, answer with the eNodeB's
// F-TEIDs (or INITIAL CONTEXT SETUP FAILURE when the UE's profile says so),
// report the radio capability once, and pass the NAS-PDU of the first
// E-RAB (ATTACH ACCEPT) to the UE. The UE checks K_eNB against its own
// derivation (TS 33.401 §7.2.8.1, A.3).
func (w *worker) onInitialContextSetup(ue uint32, c *conn, m *s1ap.InitialContextSetupRequest) {
	u := &w.sim.ues[ue]
	prof := &w.sim.profiles[u.profile]
	if prof.p.ICS == "failure" {
		f := &s1ap.InitialContextSetupFailure{MMEUES1APID: m.MMEUES1APID, ENBUES1APID: m.ENBUES1APID,
			Cause: radioCause(s1ap.CauseRadioNetworkRadioResourcesNotAvailable)}
		w.sendUE(ue, c, f, nil)
		// The MME releases the connection next (TS 23.401 §5.3.2.1);
		// the UE's attach has failed.
		if u.proc == ProcAttach {
			w.stopTimer(u, slotGuard)
			u.emm = EMMDeregistered
		}
		w.fail(ue, "initial_context_setup_failure_sent")
		return
	}
	c.kenb, c.haveKeNB = [32]byte(m.SecurityKey), true
	// TS 33.401 §7.2.8.1.1: NH starts from K_ASME and the initial K_eNB,
	// NCC 0.
	c.ncc = 0
	c.nh = c.kenb
	c.nErabs = 0
	res := w.icsRes[:0]
	var nasPDU []byte
	for _, it := range m.ERABToBeSetupListCtxtSUReq {
		e := w.addERAB(ue, c, uint8(it.ERABID), it.TransportLayerAddress, it.GTPTEID, uint8(it.ERABlevelQoSParameters.QCI))
		res = append(res, s1ap.ERABSetupItemCtxtSURes{ERABID: it.ERABID, TransportLayerAddress: w.sim.gtpAddress(),
			GTPTEID: s1ap.GTPTEID(e.enbTEID)})
		if v, ok := it.NASPDU.Get(); ok && nasPDU == nil {
			nasPDU = v
		}
	}
	if !w.checkKeNB(ue, c, [32]byte(m.SecurityKey)) {
		w.fail(ue, "kenb_mismatch")
	}
	w.checkSecurityCapabilities(ue, m.UESecurityCapabilities)
	// The NAS-PDU goes to the UE with the radio reconfiguration; the
	// eNodeB answers once the radio bearers are up, and the UE's answer
	// (ATTACH COMPLETE) follows.
	var msg nas.Message
	if nasPDU != nil {
		msg = w.receiveNAS(ue, c, nasPDU, m)
	} else if t := w.sim.ueTrace(ue); t != nil {
		t.add(traceFromS1AP("dl", m))
	}
	w.icsRes = res
	w.icsRsp = s1ap.InitialContextSetupResponse{MMEUES1APID: m.MMEUES1APID, ENBUES1APID: m.ENBUES1APID, ERABSetupListCtxtSURes: res}
	w.sendUE(ue, c, &w.icsRsp, nil)
	if !m.UERadioCapability.Present && !c.ueCapSent {
		c.ueCapSent = true
		w.ueCap = s1ap.UECapabilityInfoIndication{MMEUES1APID: m.MMEUES1APID, ENBUES1APID: m.ENBUES1APID,
			UERadioCapability: ueRadioCapability}
		w.sendUE(ue, c, &w.ueCap, nil)
	}
	if msg != nil {
		w.handleNAS(ue, c, msg)
	}
	// The user plane is up: a service request (or a TAU with the active
	// flag) is complete (TS 24.301 §5.6.1.4: "upon indication from the
	// lower layers that the user plane radio bearers are set up").
	switch u.proc {
	case ProcServiceRequest, ProcExtendedServiceRequest, ProcPaging:
		if u.emm == EMMServiceRequestInitiated {
			u.emm = EMMRegistered
			// TS 24.301 §4.4.5: the UE ciphers its NAS messages from
			// here on (the user plane radio bearers are set up): the
			// secure exchange is established on this connection.
			c.secure = true
			w.succeed(ue)
		}
	case ProcDedicatedBearer:
		// Paged for the bearer (TS 23.401 §5.4.1 step 3, §5.3.4.3): the
		// service request is complete, the E-RAB SETUP with the
		// activation comes next; the procedure's guard replaces T3417.
		if u.emm == EMMServiceRequestInitiated {
			u.emm = EMMRegistered
			c.secure = true
			w.startTimer(ue, slotGuard, tProcGuard, w.sim.timer(tProcGuard))
		}
	}
}

// checkKeNB compares K_eNB from the MME with the UE's derivation from
// K_ASME and an uplink NAS COUNT (TS 33.401 A.3): the COUNT of the initial
// NAS message that set up the connection, or, after a SECURITY MODE
// COMMAND, any uplink COUNT of the context up to the latest (MMEs differ
// in which message they take).
func (w *worker) checkKeNB(ue uint32, c *conn, k [32]byte) bool {
	if c.sec == nil {
		return false
	}
	if security.DeriveKENB(c.sec.KASME(), uint32(c.trigger)) == k {
		return true
	}
	for n := c.ulFirst; n < c.sec.ULCount(); n++ {
		if c.sec.KENB(n) == k {
			return true
		}
	}
	return false
}

// checkSecurityCapabilities compares the UE security capabilities the MME
// gives the eNodeB with the UE's (TS 33.401 §7.2.4.4: they must be the
// UE's own).
func (w *worker) checkSecurityCapabilities(ue uint32, sc s1ap.UESecurityCapabilities) {
	prof := &w.sim.profiles[w.sim.ues[ue].profile]
	got := func(b s1ap.BitString) uint16 {
		var v uint16
		if len(b.Bytes) > 0 {
			v = uint16(b.Bytes[0]) << 8
		}
		if len(b.Bytes) > 1 {
			v |= uint16(b.Bytes[1])
		}
		return v & 0xe000 // EEA1-3/EIA1-3: the bits this UE may set
	}
	if got(s1ap.BitString(sc.EncryptionAlgorithms)) != prof.s1EEA || got(s1ap.BitString(sc.IntegrityProtectionAlgorithms)) != prof.s1EIA {
		w.sim.countError("s1ap: UESecurityCapabilities differ from the UE's")
	}
}

func (w *worker) addERAB(ue uint32, c *conn, id uint8, addr s1ap.TransportLayerAddress, teid s1ap.GTPTEID, qci uint8) *erab {
	for i := 0; i < int(c.nErabs); i++ {
		if c.erabs[i].id == id {
			return fillERAB(&c.erabs[i], ue, c.enb, id, addr, teid, qci)
		}
	}
	if int(c.nErabs) == len(c.erabs) {
		w.sim.countError("loadtest: more E-RABs than a simulated UE holds")
		return fillERAB(&c.erabs[len(c.erabs)-1], ue, c.enb, id, addr, teid, qci)
	}
	c.nErabs++
	return fillERAB(&c.erabs[c.nErabs-1], ue, c.enb, id, addr, teid, qci)
}

func fillERAB(e *erab, ue uint32, enb uint16, id uint8, addr s1ap.TransportLayerAddress, teid s1ap.GTPTEID, qci uint8) *erab {
	*e = erab{id: id, sgwTEID: [4]byte(teid), qci: qci, enbTEID: enbTEID(ue, id, enb)}
	copy(e.sgwAddr[:], addr.Bytes)
	e.sgwLen = uint8(addr.Len)
	return e
}

func (c *conn) dropERAB(id uint8) bool {
	for i := 0; i < int(c.nErabs); i++ {
		if c.erabs[i].id == id {
			c.erabs[i] = c.erabs[c.nErabs-1]
			c.nErabs--
			return true
		}
	}
	return false
}

// gtpAddress is the eNodeBs' S1-U address (TS 36.414): the local address
// (set by setGTPAddress before the workers start).
func (s *Sim) gtpAddress() s1ap.TransportLayerAddress { return s.gtpAddr }

func (s *Sim) setGTPAddress() {
	a := s.cfg.LocalAddr
	if !a.IsValid() || a.IsUnspecified() {
		a = netip.MustParseAddr("127.0.0.1")
	}
	b := a.AsSlice()
	s.gtpAddr = s1ap.TransportLayerAddress{Bytes: b, Len: 8 * len(b)}
}

// onReleaseCommand is UE CONTEXT RELEASE (TS 36.413 §8.3.3): release the
// radio connection, answer, and go ECM-IDLE.
func (w *worker) onReleaseCommand(ue uint32, c *conn, enbIdx uint16, m *s1ap.UEContextReleaseCommand) {
	u := &w.sim.ues[ue]
	mme := uint32(m.UES1APIDs.MMEUES1APID)
	if m.UES1APIDs.Choice == s1ap.UES1APIDsChoiceUES1APIDPair {
		mme = uint32(m.UES1APIDs.UES1APIDPair.MMEUES1APID)
	}
	// The source side of a handover releases only its own part.
	if c.ho.active && w.onHandoverSourceRelease(ue, c, enbIdx, m) {
		return
	}
	w.sendUE(ue, c, &s1ap.UEContextReleaseComplete{MMEUES1APID: s1ap.MMEUES1APID(mme), ENBUES1APID: s1ap.ENBUES1APID(ue)}, nil)
	proc := u.proc
	w.releaseLocal(ue)
	switch {
	case proc == ProcS1Release:
		w.succeed(ue)
	case proc == ProcDetach && u.emm == EMMDeregistered:
		w.succeed(ue) // switch-off detach: the release ends it
	case proc == ProcDetach && u.emm == EMMDeregisteredInitiated:
		// TS 24.301 §5.5.2.2.4 b: lower-layer release before DETACH
		// ACCEPT: local detach.
		u.emm = EMMDeregistered
		w.fail(ue, "released_before_detach_accept")
	case proc == ProcAttach && u.emm == EMMRegisteredInitiated:
		w.fail(ue, "released_during_attach:"+causeString(m.Cause))
		u.emm = EMMDeregistered
		w.afterAttachFailure(ue)
	case proc == ProcTAU || proc == ProcPeriodicTAU:
		if u.emm == EMMTrackingAreaUpdatingInitiated {
			u.emm = EMMRegistered
			w.fail(ue, "released_during_tau:"+causeString(m.Cause))
		}
	case proc == ProcServiceRequest || proc == ProcExtendedServiceRequest || proc == ProcPaging ||
		proc == ProcDedicatedBearer:
		if u.emm == EMMServiceRequestInitiated {
			u.emm = EMMRegistered
			w.fail(ue, "released_during_service_request:"+causeString(m.Cause))
		}
	case proc != 0 && proc.needsConnected():
		w.fail(ue, "released:"+causeString(m.Cause))
	}
}

// startS1Release sends UE CONTEXT RELEASE REQUEST for user inactivity (TS
// 36.413 §8.3.2) and waits for the command.
func (w *worker) startS1Release(ue uint32, p Procedure) {
	u := &w.sim.ues[ue]
	c := w.connOf(u)
	if c == nil || !c.hasMME {
		return
	}
	if p != 0 {
		w.begin(ue, p)
		w.startTimer(ue, slotGuard, tProcGuard, w.sim.timer(tProcGuard))
	}
	c.pendingRel = true
	w.sendUE(ue, c, &s1ap.UEContextReleaseRequest{MMEUES1APID: s1ap.MMEUES1APID(c.mmeUEID), ENBUES1APID: s1ap.ENBUES1APID(ue),
		Cause: radioCause(s1ap.CauseRadioNetworkUserInactivity)}, nil)
}

// onLinkRelease releases UE connections over a link that went away (or
// was reset): one UE, or all of this worker's on the link.
func (w *worker) onLinkRelease(ue uint32, li uint8, enbIdx uint16, cause string) {
	one := func(ue uint32, c *conn) {
		if c.link != li || (c.enb != enbIdx && !(c.ho.active && c.ho.target == enbIdx)) {
			return
		}
		u := &w.sim.ues[ue]
		w.releaseLocal(ue)
		if u.proc != 0 {
			if u.emm == EMMRegisteredInitiated {
				u.emm = EMMDeregistered
			}
			if u.emm == EMMDeregisteredInitiated {
				u.emm = EMMDeregistered
			}
			w.fail(ue, cause)
		}
	}
	if ue != ^uint32(0) {
		if c := w.connOf(&w.sim.ues[ue]); c != nil {
			one(ue, c)
		}
		return
	}
	for i := range w.conns {
		c := &w.conns[i]
		if c.used && w.sim.ues[c.ue].conn == int32(i) {
			one(c.ue, c)
		}
	}
}

// mmeUEID returns the MME-UE-S1AP-ID a downlink message carries.
func mmeUEID(m s1ap.Message) (uint32, bool) {
	switch v := m.(type) {
	case *s1ap.DownlinkNASTransport:
		return uint32(v.MMEUES1APID), true
	case *s1ap.InitialContextSetupRequest:
		return uint32(v.MMEUES1APID), true
	case *s1ap.ERABSetupRequest:
		return uint32(v.MMEUES1APID), true
	case *s1ap.ERABModifyRequest:
		return uint32(v.MMEUES1APID), true
	case *s1ap.ERABReleaseCommand:
		return uint32(v.MMEUES1APID), true
	case *s1ap.UEContextModificationRequest:
		return uint32(v.MMEUES1APID), true
	case *s1ap.HandoverCommand:
		return uint32(v.MMEUES1APID), true
	case *s1ap.HandoverCancelAcknowledge:
		return uint32(v.MMEUES1APID), true
	case *s1ap.UEContextReleaseCommand:
		if v.UES1APIDs.Choice == s1ap.UES1APIDsChoiceUES1APIDPair {
			return uint32(v.UES1APIDs.UES1APIDPair.MMEUES1APID), true
		}
		return uint32(v.UES1APIDs.MMEUES1APID), true
	}
	return 0, false
}

// nasOf returns the NAS-PDU a downlink message carries for the UE.
func nasOf(m s1ap.Message) ([]byte, bool) {
	switch v := m.(type) {
	case *s1ap.DownlinkNASTransport:
		return v.NASPDU, true
	case *s1ap.InitialContextSetupRequest:
		for _, it := range v.ERABToBeSetupListCtxtSUReq {
			if p, ok := it.NASPDU.Get(); ok {
				return p, true
			}
		}
	case *s1ap.ERABSetupRequest:
		if len(v.ERABToBeSetupListBearerSUReq) > 0 {
			return v.ERABToBeSetupListBearerSUReq[0].NASPDU, true
		}
	case *s1ap.ERABModifyRequest:
		if len(v.ERABToBeModifiedListBearerModReq) > 0 {
			return v.ERABToBeModifiedListBearerModReq[0].NASPDU, true
		}
	case *s1ap.ERABReleaseCommand:
		return v.NASPDU.Get()
	}
	return nil, false
}
