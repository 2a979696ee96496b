package node_test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	tv "github.com/lte-mme/mme/internal/vectors"

	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/node"
	"github.com/lte-mme/mme/s1ap"
)

// Handover over real sockets (TS 23.401 §5.5.1, TS 36.413 §8.4): two test
// eNodeBs, one UE attached at the first; the tests play the source and the
// target and check what the MME sends each, the SGW's downlink F-TEIDs and
// the NH/NCC key chain (TS 33.401 §7.2.8.4, A.4) against the UE's own
// derivation from K_ASME.

// hoENBUEID routes the handover messages to the test eNodeB's UE queues
// (enbHandler): by eNB-UE-S1AP-ID, 0 for those without one (HANDOVER
// REQUEST, a release of a target by MME-UE-S1AP-ID).
func hoENBUEID(m s1ap.Message) s1ap.ENBUES1APID {
	switch x := m.(type) {
	case *s1ap.PathSwitchRequestAcknowledge:
		return x.ENBUES1APID
	case *s1ap.PathSwitchRequestFailure:
		return x.ENBUES1APID
	case *s1ap.HandoverCommand:
		return x.ENBUES1APID
	case *s1ap.HandoverPreparationFailure:
		return x.ENBUES1APID
	case *s1ap.HandoverCancelAcknowledge:
		return x.ENBUES1APID
	case *s1ap.MMEStatusTransfer:
		return x.ENBUES1APID
	}
	return 0
}

// recvAs receives the next message for id and checks its type.
func recvAs[T s1ap.Message](t *testing.T, e *testENB, id s1ap.ENBUES1APID) T {
	t.Helper()
	m := e.recv(id)
	v, ok := m.(T)
	if !ok {
		var zero T
		t.Fatalf("eNB %d: got %s, want %T", e.id, m.MessageName(), zero)
	}
	return v
}

// hoUE is the UE side of the key chain: NH(0) is the K_eNB of the initial
// context setup, NH(n+1) = KDF(K_ASME, NH(n)).
type hoUE struct {
	*testUE
	nh  [32]byte
	ncc uint8
	// direct: the source says a direct forwarding path is available and
	// the target offers forwarding tunnels (TS 23.401 §5.5.1.2.2).
	direct bool
	// noIndirect: without a direct path, the SGW refuses indirect
	// forwarding tunnels (HANDOVER COMMAND carries no forwarding list).
	noIndirect bool
}

func attachForHandover(t *testing.T, l *lab, e *testENB, i int) *hoUE {
	t.Helper()
	u := l.newUE(e, i)
	u.attach()
	return &hoUE{testUE: u, nh: [32]byte(u.ics.SecurityKey)}
}

// checkNH verifies NH/NCC from the MME: exactly the next step of the chain.
func (u *hoUE) checkNH(sc s1ap.SecurityContext) {
	u.t.Helper()
	want := security.DeriveNH(u.kasme, u.nh)
	if got := uint8(sc.NextHopChainingCount); got != (u.ncc+1)&7 {
		u.t.Errorf("NCC %d, want %d (TS 33.401 §7.2.8.4)", got, (u.ncc+1)&7)
	}
	if [32]byte(sc.NextHopParameter) != want {
		u.t.Errorf("NH is not KDF(K_ASME, previous NH) (TS 33.401 A.4)")
	}
	u.nh, u.ncc = want, (u.ncc+1)&7
}

func (l *lab) sgwENBTEID(imsi string) uint32 {
	l.t.Helper()
	s, ok := l.sgw.UE(imsi)
	if !ok || len(s.PDNs) == 0 {
		l.t.Fatalf("SGW has no session of %s", imsi)
	}
	for _, p := range s.PDNs {
		for _, b := range p.Bearers {
			return b.ENodeB.TEID
		}
	}
	return 0
}

func ueCaps() s1ap.UESecurityCapabilities {
	// The lab UE's network capability e0 e0: EEA0-2, EIA0-2, i.e. 128-EEA1
	// and 128-EEA2 (and EIA) bits set (TS 36.413 §9.2.1.40).
	return s1ap.UESecurityCapabilities{
		EncryptionAlgorithms:          s1ap.EncryptionAlgorithms{Bytes: []byte{0xc0, 0}, Len: 16},
		IntegrityProtectionAlgorithms: s1ap.IntegrityProtectionAlgorithms{Bytes: []byte{0xc0, 0}, Len: 16},
	}
}

func (u *hoUE) ebi() s1ap.ERABID {
	u.t.Helper()
	if u.ics == nil || len(u.ics.ERABToBeSetupListCtxtSUReq) == 0 {
		u.t.Fatal("no E-RAB from the attach")
	}
	return u.ics.ERABToBeSetupListCtxtSUReq[0].ERABID
}

func loopback(last byte) s1ap.TransportLayerAddress {
	return s1ap.TransportLayerAddress{Bytes: []byte{127, 0, 0, last}, Len: 32}
}

// pathSwitch plays the target of an X2 handover: PATH SWITCH REQUEST for
// the UE's connection from e with eNB-UE-S1AP-ID id and downlink TEID teid.
func (u *hoUE) pathSwitch(e *testENB, id s1ap.ENBUES1APID, teid uint32) {
	u.t.Helper()
	e.send(1, &s1ap.PathSwitchRequest{ENBUES1APID: id, SourceMMEUES1APID: u.mmeID,
		ERABToBeSwitchedDLList: s1ap.ERABToBeSwitchedDLList{{ERABID: u.ebi(), TransportLayerAddress: loopback(2),
			GTPTEID: s1ap.GTPTEID{byte(teid >> 24), byte(teid >> 16), byte(teid >> 8), byte(teid)}}},
		EUTRANCGI: e.cgi(), TAI: e.tai(), UESecurityCapabilities: ueCaps()})
}

// TestX2Handover: PATH SWITCH REQUEST → Modify Bearer with the target's
// F-TEID → PATH SWITCH REQUEST ACKNOWLEDGE with the next NH/NCC; the UE's
// connection is the target's (a second handover back chains NCC 2); the
// source gets nothing (X2 releases it).
func TestX2Handover(t *testing.T) {
	l := newLab(t, nil)
	e1, e2 := l.newENB(1), l.newENB(2)
	u := attachForHandover(t, l, e1, 1)
	oldMME := u.mmeID

	u.pathSwitch(e2, 77, 0x0b0b0b01)
	ack := recvAs[*s1ap.PathSwitchRequestAcknowledge](t, e2, 77)
	if ack.MMEUES1APID == 0 || ack.MMEUES1APID == oldMME {
		t.Errorf("MME-UE-S1AP-ID %d at the target, want a new one (source %d)", ack.MMEUES1APID, oldMME)
	}
	u.checkNH(ack.SecurityContext)
	if ack.ERABToBeReleasedList.Present || ack.UESecurityCapabilities.Present {
		t.Errorf("acknowledge releases E-RABs or corrects capabilities: %+v", ack)
	}
	if got := l.sgwENBTEID(u.imsi); got != 0x0b0b0b01 {
		t.Errorf("SGW downlink TEID %#x, want the target's 0x0b0b0b01", got)
	}
	v := l.subscriber(u.imsi)
	if v.MMEUEID != uint32(ack.MMEUES1APID) || v.ECM != "ECM-CONNECTED" || v.Procedure != "none" {
		t.Errorf("after the path switch: conn %d ECM %s procedure %s", v.MMEUEID, v.ECM, v.Procedure)
	}
	e1.none(u.enbID)
	if n := l.metric("mme_procedure_successes_total", "procedure", "x2_handover"); n != 1 {
		t.Errorf("x2_handover successes %v, want 1", n)
	}

	// Back to the first eNodeB: the chain moves on (NCC 2).
	u.enb, u.enbID, u.mmeID = e2, 77, ack.MMEUES1APID
	u.pathSwitch(e1, 78, 0x0a0a0a02)
	ack2 := recvAs[*s1ap.PathSwitchRequestAcknowledge](t, e1, 78)
	u.checkNH(ack2.SecurityContext)
	if got := l.sgwENBTEID(u.imsi); got != 0x0a0a0a02 {
		t.Errorf("SGW downlink TEID %#x after the second switch", got)
	}
}

// TestX2HandoverCapabilityMismatch: the target's UE security capabilities
// differ: the acknowledge carries the MME's (TS 33.401 §7.2.4.4).
func TestX2HandoverCapabilityMismatch(t *testing.T) {
	l := newLab(t, nil)
	e1, e2 := l.newENB(1), l.newENB(2)
	u := attachForHandover(t, l, e1, 2)
	caps := ueCaps()
	caps.EncryptionAlgorithms.Bytes = []byte{0x40, 0}
	e2.send(1, &s1ap.PathSwitchRequest{ENBUES1APID: 5, SourceMMEUES1APID: u.mmeID,
		ERABToBeSwitchedDLList: s1ap.ERABToBeSwitchedDLList{{ERABID: u.ebi(), TransportLayerAddress: loopback(2), GTPTEID: s1ap.GTPTEID{0, 0, 1, 5}}},
		EUTRANCGI:              e2.cgi(), TAI: e2.tai(), UESecurityCapabilities: caps})
	ack := recvAs[*s1ap.PathSwitchRequestAcknowledge](t, e2, 5)
	got, ok := ack.UESecurityCapabilities.Get()
	if !ok || !bytes.Equal(got.EncryptionAlgorithms.Bytes, ueCaps().EncryptionAlgorithms.Bytes) {
		t.Errorf("acknowledge capabilities %+v, want the MME's %+v", got, ueCaps())
	}
	u.checkNH(ack.SecurityContext)
}

// TestPathSwitchFailure: an unknown source MME-UE-S1AP-ID is refused
// (unknown-mme-ue-s1ap-id); a Modify Bearer without an answer fails the
// path switch and the UE, without a user plane, is detached.
func TestPathSwitchFailure(t *testing.T) {
	l := newLab(t, func(c *node.Config) { c.S11.T3, c.S11.N3 = 100*time.Millisecond, 1 })
	e1, e2 := l.newENB(1), l.newENB(2)

	e2.send(1, &s1ap.PathSwitchRequest{ENBUES1APID: 3, SourceMMEUES1APID: 999999,
		ERABToBeSwitchedDLList: s1ap.ERABToBeSwitchedDLList{{ERABID: 5, TransportLayerAddress: loopback(2), GTPTEID: s1ap.GTPTEID{0, 0, 0, 3}}},
		EUTRANCGI:              e2.cgi(), TAI: e2.tai(), UESecurityCapabilities: ueCaps()})
	f := recvAs[*s1ap.PathSwitchRequestFailure](t, e2, 3)
	if f.MMEUES1APID != 999999 || f.Cause.Choice != s1ap.CauseChoiceRadioNetwork || f.Cause.RadioNetwork != s1ap.CauseRadioNetworkUnknownMmeUeS1apId {
		t.Errorf("failure for an unknown UE: %+v", f)
	}

	u := attachForHandover(t, l, e1, 3)
	_ = l.sgw.Close() // the SGW goes silent: Modify Bearer gets no answer
	u.pathSwitch(e2, 4, 0x0b000004)
	f = recvAs[*s1ap.PathSwitchRequestFailure](t, e2, 4)
	if f.MMEUES1APID != u.mmeID {
		t.Errorf("failure names MME-UE-S1AP-ID %d, want the source's %d", f.MMEUES1APID, u.mmeID)
	}
	l.waitState(u.imsi, "EMM-DEREGISTERED", "ECM-IDLE")
}

// handoverRequired plays the source of an S1 handover towards target.
func (u *hoUE) handoverRequired(target *testENB, container []byte) {
	u.t.Helper()
	var direct s1ap.Optional[s1ap.DirectForwardingPathAvailability]
	if u.direct {
		direct = s1ap.Some(s1ap.DirectForwardingPathAvailabilityDirectPathAvailable)
	}
	u.enb.send(1, &s1ap.HandoverRequired{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID, HandoverType: s1ap.HandoverTypeIntralte,
		DirectForwardingPathAvailability: direct,
		Cause:                            s1ap.Cause{Choice: s1ap.CauseChoiceRadioNetwork, RadioNetwork: s1ap.CauseRadioNetworkHandoverDesirableForRadioReason},
		TargetID: s1ap.TargetID{Choice: s1ap.TargetIDChoiceTargeteNBID, TargeteNBID: s1ap.TargeteNBID{
			GlobalENBID: s1ap.GlobalENBID{PLMNidentity: s1ap.PLMNidentity(labPLMN),
				ENBID: s1ap.ENBID{Choice: s1ap.ENBIDChoiceMacroENBID, MacroENBID: s1ap.ENBIDMacroENBID(target.id)}},
			SelectedTAI: target.tai()}},
		SourceToTargetTransparentContainer: container})
}

// prepare runs the preparation up to HANDOVER COMMAND: the target admits
// the UE's E-RAB with eNB-UE-S1AP-ID id and TEID teid.
func (u *hoUE) prepare(target *testENB, id s1ap.ENBUES1APID, teid uint32) (*s1ap.HandoverRequest, *s1ap.HandoverCommand) {
	u.t.Helper()
	src := []byte{0x01, 0x02, 0x03, 0x04}
	u.handoverRequired(target, src)
	req := recvAs[*s1ap.HandoverRequest](u.t, target, 0)
	if !bytes.Equal(req.SourceToTargetTransparentContainer, src) {
		u.t.Errorf("source to target container not passed on")
	}
	if len(req.ERABToBeSetupListHOReq) != 1 || req.ERABToBeSetupListHOReq[0].ERABID != u.ebi() {
		u.t.Errorf("E-RABs to set up %+v", req.ERABToBeSetupListHOReq)
	}
	if c := req.UESecurityCapabilities; !bytes.Equal(c.EncryptionAlgorithms.Bytes, ueCaps().EncryptionAlgorithms.Bytes) ||
		!bytes.Equal(c.IntegrityProtectionAlgorithms.Bytes, ueCaps().IntegrityProtectionAlgorithms.Bytes) {
		u.t.Errorf("UE security capabilities %+v", c)
	}
	u.checkNH(req.SecurityContext)
	dst := []byte{0x0a, 0x0b}
	// The target always offers forwarding tunnels (TS 36.413 §9.1.5.5);
	// the MME passes them on with a direct path, else asks the SGW for
	// indirect forwarding tunnels towards them.
	dl, ul := s1ap.GTPTEID{0xf0, 0, 0, byte(id)}, s1ap.GTPTEID{0xf1, 0, 0, byte(id)}
	target.send(1, &s1ap.HandoverRequestAcknowledge{MMEUES1APID: req.MMEUES1APID, ENBUES1APID: id,
		ERABAdmittedList: s1ap.ERABAdmittedList{{ERABID: u.ebi(), TransportLayerAddress: loopback(3),
			GTPTEID:                 s1ap.GTPTEID{byte(teid >> 24), byte(teid >> 16), byte(teid >> 8), byte(teid)},
			DLTransportLayerAddress: s1ap.Some(loopback(3)), DLGTPTEID: s1ap.Some(dl),
			ULTransportLayerAddress: s1ap.Some(loopback(3)), ULGTPTEID: s1ap.Some(ul)}},
		TargetToSourceTransparentContainer: dst})
	cmd := recvAs[*s1ap.HandoverCommand](u.t, u.enb, u.enbID)
	if cmd.MMEUES1APID != u.mmeID || !bytes.Equal(cmd.TargetToSourceTransparentContainer, dst) || cmd.ERABtoReleaseListHOCmd.Present {
		u.t.Errorf("HANDOVER COMMAND %+v", cmd)
	}
	fwd, ok := cmd.ERABSubjecttoDataForwardingList.Get()
	switch {
	case !u.direct && u.noIndirect && ok:
		u.t.Errorf("HANDOVER COMMAND with data forwarding %+v without a direct path and the SGW refusing", fwd)
	case !u.direct && !u.noIndirect:
		// TS 23.401 §5.5.1.2.2 steps 8a-8b: the SGW's forwarding tunnels,
		// which forward to the target's.
		sgwUE, _ := u.l.sgw.UE(u.imsi)
		ft, has := sgwUE.Forwarding[uint8(u.ebi())]
		teid := func(v uint32) s1ap.GTPTEID { return s1ap.GTPTEID{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)} }
		if !has || ft.ENBDL.TEID != binary.BigEndian.Uint32(dl[:]) || ft.ENBUL.TEID != binary.BigEndian.Uint32(ul[:]) {
			u.t.Errorf("SGW forwarding tunnels %+v, want towards the target's DL %x / UL %x", sgwUE.Forwarding, dl, ul)
		} else if len(fwd) != 1 || fwd[0].ERABID != u.ebi() || fwd[0].DLGTPTEID.Value != teid(ft.SGWDL.TEID) ||
			fwd[0].ULGTPTEID.Value != teid(ft.SGWUL.TEID) || !bytes.Equal(fwd[0].DLTransportLayerAddress.Value.Bytes, ft.SGWDL.IPv4.AsSlice()) {
			u.t.Errorf("HANDOVER COMMAND data forwarding %+v, want E-RAB %d to the SGW's %+v", fwd, u.ebi(), ft)
		}
	case u.direct && (len(fwd) != 1 || fwd[0].ERABID != u.ebi() || fwd[0].DLGTPTEID.Value != dl || fwd[0].ULGTPTEID.Value != ul ||
		!bytes.Equal(fwd[0].DLTransportLayerAddress.Value.Bytes, loopback(3).Bytes)):
		u.t.Errorf("HANDOVER COMMAND data forwarding %+v, want E-RAB %d to the target's DL %x / UL %x", fwd, u.ebi(), dl, ul)
	}
	return req, cmd
}

// TestS1Handover: the whole intra-MME S1 handover with status transfer and
// direct data forwarding (the target's forwarding tunnels in HANDOVER
// COMMAND, TS 23.401 §5.5.1.2.2 step 8).
func TestS1Handover(t *testing.T) {
	l := newLab(t, nil)
	e1, e2 := l.newENB(1), l.newENB(2)
	u := attachForHandover(t, l, e1, 4)
	u.direct = true
	before := l.sgwENBTEID(u.imsi)

	req, _ := u.prepare(e2, 41, 0x0c000041)
	if l.sgwENBTEID(u.imsi) != before {
		t.Error("the SGW was switched before HANDOVER NOTIFY")
	}
	status := s1ap.ENBStatusTransferTransparentContainer{BearersSubjectToStatusTransferList: s1ap.BearersSubjectToStatusTransferList{{
		ERABID: u.ebi(), ULCOUNTvalue: s1ap.COUNTvalue{PDCPSN: 17, HFN: 3}, DLCOUNTvalue: s1ap.COUNTvalue{PDCPSN: 21, HFN: 4}}}}
	e1.send(1, &s1ap.ENBStatusTransfer{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID, ENBStatusTransferTransparentContainer: status})
	mst := recvAs[*s1ap.MMEStatusTransfer](t, e2, 41)
	if mst.MMEUES1APID != req.MMEUES1APID || len(mst.ENBStatusTransferTransparentContainer.BearersSubjectToStatusTransferList) != 1 ||
		mst.ENBStatusTransferTransparentContainer.BearersSubjectToStatusTransferList[0].ULCOUNTvalue.PDCPSN != 17 {
		t.Errorf("MME STATUS TRANSFER %+v", mst)
	}
	e2.send(1, &s1ap.HandoverNotify{MMEUES1APID: req.MMEUES1APID, ENBUES1APID: 41, EUTRANCGI: e2.cgi(), TAI: e2.tai()})
	rel := recvAs[*s1ap.UEContextReleaseCommand](t, e1, u.enbID)
	if rel.Cause.RadioNetwork != s1ap.CauseRadioNetworkSuccessfulHandover {
		t.Errorf("source released with %s, want successful-handover", rel.Cause.Name())
	}
	e1.send(1, &s1ap.UEContextReleaseComplete{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID})
	l.eventually("SGW switched to the target", func() bool { return l.sgwENBTEID(u.imsi) == 0x0c000041 })
	l.eventually("handover done", func() bool {
		v := l.subscriber(u.imsi)
		return v.Procedure == "none" && v.MMEUEID == uint32(req.MMEUES1APID) && v.ECM == "ECM-CONNECTED"
	})
}

// TestS1HandoverIndirectForwarding: no direct forwarding path: the MME asks
// the lab SGW for indirect forwarding tunnels towards the target's (Create
// Indirect Data Forwarding Tunnel, TS 23.401 §5.5.1.2.2 step 8a), HANDOVER
// COMMAND names the SGW's (step 8b, checked in prepare), and the tunnels
// are released once the handover completed (Delete Indirect Data
// Forwarding Tunnel, step 21). With the SGW refusing (#106) the handover
// completes without forwarding and nothing is deleted.
func TestS1HandoverIndirectForwarding(t *testing.T) {
	l := newLab(t, nil)
	e1, e2 := l.newENB(1), l.newENB(2)
	u := attachForHandover(t, l, e1, 6)
	counts0 := l.sgw.Counts()

	req, _ := u.prepare(e2, 61, 0x0c000061)
	if n := l.sgw.Counts()["create_indirect_forwarding"] - counts0["create_indirect_forwarding"]; n != 1 {
		t.Fatalf("%d Create Indirect Data Forwarding Tunnel Requests, want 1", n)
	}
	e2.send(1, &s1ap.HandoverNotify{MMEUES1APID: req.MMEUES1APID, ENBUES1APID: 61, EUTRANCGI: e2.cgi(), TAI: e2.tai()})
	recvAs[*s1ap.UEContextReleaseCommand](t, e1, u.enbID)
	e1.send(1, &s1ap.UEContextReleaseComplete{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID})
	l.eventually("SGW switched to the target", func() bool { return l.sgwENBTEID(u.imsi) == 0x0c000061 })
	l.eventually("forwarding tunnels released", func() bool {
		s, _ := l.sgw.UE(u.imsi)
		return len(s.Forwarding) == 0 && l.sgw.Counts()["delete_indirect_forwarding"] == counts0["delete_indirect_forwarding"]+1
	})
	l.eventually("handover done", func() bool {
		v := l.subscriber(u.imsi)
		return v.Procedure == "none" && v.MMEUEID == uint32(req.MMEUES1APID)
	})

	// Back to e1 with an SGW that has no forwarding: the handover goes on
	// without (the MME's choice, session/handover.go
	// handoverForwardingResponse).
	l.sgw.SetDataForwarding(false)
	t.Cleanup(func() { l.sgw.SetDataForwarding(true) })
	u.enb, u.enbID, u.mmeID, u.noIndirect = e2, 61, req.MMEUES1APID, true
	counts1 := l.sgw.Counts()
	req2, _ := u.prepare(e1, 62, 0x0c000062)
	e1.send(1, &s1ap.HandoverNotify{MMEUES1APID: req2.MMEUES1APID, ENBUES1APID: 62, EUTRANCGI: e1.cgi(), TAI: e1.tai()})
	recvAs[*s1ap.UEContextReleaseCommand](t, e2, 61)
	e2.send(1, &s1ap.UEContextReleaseComplete{MMEUES1APID: u.mmeID, ENBUES1APID: 61})
	l.eventually("SGW switched back", func() bool { return l.sgwENBTEID(u.imsi) == 0x0c000062 })
	l.eventually("second handover done", func() bool { return l.subscriber(u.imsi).Procedure == "none" })
	c := l.sgw.Counts()
	if c["create_indirect_forwarding"] != counts1["create_indirect_forwarding"]+1 || c["delete_indirect_forwarding"] != counts1["delete_indirect_forwarding"] {
		t.Errorf("SGW counts %v after a refused forwarding, want one more create and no delete (before %v)", c, counts1)
	}
}

// TestS1HandoverCancel: the source cancels after HANDOVER COMMAND: HANDOVER
// CANCEL ACKNOWLEDGE, the target released (handover-cancelled), the UE stays
// at the source and can hand over again (NCC 2).
func TestS1HandoverCancel(t *testing.T) {
	l := newLab(t, nil)
	e1, e2 := l.newENB(1), l.newENB(2)
	u := attachForHandover(t, l, e1, 5)
	before := l.sgwENBTEID(u.imsi)

	u.prepare(e2, 51, 0x0c000051)
	e1.send(1, &s1ap.HandoverCancel{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID,
		Cause: s1ap.Cause{Choice: s1ap.CauseChoiceRadioNetwork, RadioNetwork: s1ap.CauseRadioNetworkHandoverCancelled}})
	recvAs[*s1ap.HandoverCancelAcknowledge](t, e1, u.enbID)
	rel := recvAs[*s1ap.UEContextReleaseCommand](t, e2, 51)
	if rel.Cause.RadioNetwork != s1ap.CauseRadioNetworkHandoverCancelled {
		t.Errorf("target released with %s", rel.Cause.Name())
	}
	e2.send(1, &s1ap.UEContextReleaseComplete{MMEUES1APID: rel.UES1APIDs.UES1APIDPair.MMEUES1APID, ENBUES1APID: 51})
	if got := l.sgwENBTEID(u.imsi); got != before {
		t.Errorf("SGW TEID %#x after a cancel, want the source's %#x", got, before)
	}
	// The indirect forwarding tunnels of the cancelled handover are
	// released (TS 23.401 §5.5.1.2.3).
	l.eventually("forwarding tunnels released after the cancel", func() bool {
		s, _ := l.sgw.UE(u.imsi)
		return len(s.Forwarding) == 0
	})
	l.eventually("cancel done", func() bool { return l.subscriber(u.imsi).Procedure == "none" })
	if v := l.subscriber(u.imsi); v.MMEUEID != uint32(u.mmeID) {
		t.Errorf("UE on connection %d after the cancel, want the source's %d", v.MMEUEID, u.mmeID)
	}
	// Again, completed this time.
	req, _ := u.prepare(e2, 52, 0x0c000052)
	e2.send(1, &s1ap.HandoverNotify{MMEUES1APID: req.MMEUES1APID, ENBUES1APID: 52, EUTRANCGI: e2.cgi(), TAI: e2.tai()})
	recvAs[*s1ap.UEContextReleaseCommand](t, e1, u.enbID)
	l.eventually("SGW switched", func() bool { return l.sgwENBTEID(u.imsi) == 0x0c000052 })
}

// TestS1HandoverPreparationFailure: an unknown target eNodeB, a target that
// answers HANDOVER FAILURE, and one that does not answer (TS1RELOCprep)
// each end in HANDOVER PREPARATION FAILURE to the source with the cause.
func TestS1HandoverPreparationFailure(t *testing.T) {
	l := newLab(t, func(c *node.Config) { c.NAS.TS1RelocPrep = 300 * time.Millisecond })
	e1, e2 := l.newENB(1), l.newENB(2)
	u := attachForHandover(t, l, e1, 6)

	u.handoverRequired(&testENB{id: 99, tac: 1}, []byte{1})
	f := recvAs[*s1ap.HandoverPreparationFailure](t, e1, u.enbID)
	if f.Cause.RadioNetwork != s1ap.CauseRadioNetworkUnknownTargetID || f.MMEUES1APID != u.mmeID {
		t.Errorf("unknown target: %+v", f)
	}

	u.handoverRequired(e2, []byte{1})
	req := recvAs[*s1ap.HandoverRequest](t, e2, 0)
	u.checkNH(req.SecurityContext)
	e2.send(1, &s1ap.HandoverFailure{MMEUES1APID: req.MMEUES1APID,
		Cause: s1ap.Cause{Choice: s1ap.CauseChoiceRadioNetwork, RadioNetwork: s1ap.CauseRadioNetworkNoRadioResourcesAvailableInTargetCell}})
	f = recvAs[*s1ap.HandoverPreparationFailure](t, e1, u.enbID)
	if f.Cause.RadioNetwork != s1ap.CauseRadioNetworkNoRadioResourcesAvailableInTargetCell {
		t.Errorf("target failure relayed as %s", f.Cause.Name())
	}

	u.handoverRequired(e2, []byte{1})
	req = recvAs[*s1ap.HandoverRequest](t, e2, 0)
	u.checkNH(req.SecurityContext)
	f = recvAs[*s1ap.HandoverPreparationFailure](t, e1, u.enbID)
	if f.Cause.RadioNetwork != s1ap.CauseRadioNetworkTS1relocprepExpiry {
		t.Errorf("no answer from the target: %s, want tS1relocprep-expiry", f.Cause.Name())
	}
	rel := recvAs[*s1ap.UEContextReleaseCommand](t, e2, 0)
	if rel.UES1APIDs.Choice != s1ap.UES1APIDsChoiceMMEUES1APID || rel.UES1APIDs.MMEUES1APID != req.MMEUES1APID {
		t.Errorf("target release %+v, want by MME-UE-S1AP-ID %d", rel.UES1APIDs, req.MMEUES1APID)
	}
	// The UE is still served at the source.
	l.eventually("UE idle of procedures", func() bool { v := l.subscriber(u.imsi); return v.Procedure == "none" && v.MMEUEID == uint32(u.mmeID) })
}

// vectorMessage decodes a named row of the S1AP vectors.
func vectorMessage(t *testing.T, name string) s1ap.Message {
	t.Helper()
	rows, err := tv.Rows("s1ap.tsv")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		if r.Name == name {
			p, err := s1ap.DecodeLenient(r.Bytes)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return p.Message
		}
	}
	t.Fatalf("no vector %s", name)
	return nil
}

// TestHandoverMessagesDissect: what the MME sends in an X2 and an S1
// handover (with real transparent containers from captured handovers)
// dissects in tshark with no malformed packet and no warning or error.
func TestHandoverMessagesDissect(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	if err == nil {
		_, err = exec.LookPath("text2pcap")
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("tshark and text2pcap are needed in CI: %v", err)
		}
		t.Skipf("tshark or text2pcap not installed: %v", err)
	}
	src := vectorMessage(t, "HandoverRequired#01").(*s1ap.HandoverRequired).SourceToTargetTransparentContainer
	dst := vectorMessage(t, "HandoverRequestAcknowledge#01").(*s1ap.HandoverRequestAcknowledge).TargetToSourceTransparentContainer

	l := newLab(t, nil)
	e1, e2 := l.newENB(1), l.newENB(2)
	u := attachForHandover(t, l, e1, 7)
	var sent []s1ap.Message
	u.pathSwitch(e2, 71, 0x0b000071)
	ack := recvAs[*s1ap.PathSwitchRequestAcknowledge](t, e2, 71)
	sent = append(sent, ack)
	u.enb, u.enbID, u.mmeID = e2, 71, ack.MMEUES1APID

	u.direct = true // HANDOVER COMMAND with E-RABs Subject to Data Forwarding
	u.handoverRequired(e1, src)
	u.direct = false
	req := recvAs[*s1ap.HandoverRequest](t, e1, 0)
	e1.send(1, &s1ap.HandoverRequestAcknowledge{MMEUES1APID: req.MMEUES1APID, ENBUES1APID: 72,
		ERABAdmittedList: s1ap.ERABAdmittedList{{ERABID: u.ebi(), TransportLayerAddress: loopback(3), GTPTEID: s1ap.GTPTEID{0, 0, 0, 72},
			DLTransportLayerAddress: s1ap.Some(loopback(3)), DLGTPTEID: s1ap.Some(s1ap.GTPTEID{0, 0, 1, 72})}},
		TargetToSourceTransparentContainer: dst})
	cmd := recvAs[*s1ap.HandoverCommand](t, e2, 71)
	if !cmd.ERABSubjecttoDataForwardingList.Present {
		t.Error("HANDOVER COMMAND without the data forwarding list")
	}
	e2.send(1, &s1ap.ENBStatusTransfer{MMEUES1APID: u.mmeID, ENBUES1APID: 71, ENBStatusTransferTransparentContainer: s1ap.ENBStatusTransferTransparentContainer{
		BearersSubjectToStatusTransferList: s1ap.BearersSubjectToStatusTransferList{{ERABID: u.ebi(),
			ULCOUNTvalue: s1ap.COUNTvalue{PDCPSN: 1, HFN: 2}, DLCOUNTvalue: s1ap.COUNTvalue{PDCPSN: 3, HFN: 4}}}}})
	mst := recvAs[*s1ap.MMEStatusTransfer](t, e1, 72)
	e1.send(1, &s1ap.HandoverNotify{MMEUES1APID: req.MMEUES1APID, ENBUES1APID: 72, EUTRANCGI: e1.cgi(), TAI: e1.tai()})
	rel := recvAs[*s1ap.UEContextReleaseCommand](t, e2, 71)
	e2.send(1, &s1ap.UEContextReleaseComplete{MMEUES1APID: u.mmeID, ENBUES1APID: 71})
	sent = append(sent, req, cmd, mst, rel)

	// Failure answers: unknown target, cancel.
	u.enb, u.enbID, u.mmeID = e1, 72, req.MMEUES1APID
	u.handoverRequired(&testENB{id: 99, tac: 1}, src)
	sent = append(sent, recvAs[*s1ap.HandoverPreparationFailure](t, e1, 72))
	e1.send(1, &s1ap.HandoverCancel{MMEUES1APID: u.mmeID, ENBUES1APID: 72,
		Cause: s1ap.Cause{Choice: s1ap.CauseChoiceRadioNetwork, RadioNetwork: s1ap.CauseRadioNetworkHandoverCancelled}})
	sent = append(sent, recvAs[*s1ap.HandoverCancelAcknowledge](t, e1, 72))
	e2.send(1, &s1ap.PathSwitchRequest{ENBUES1APID: 73, SourceMMEUES1APID: 424242,
		ERABToBeSwitchedDLList: s1ap.ERABToBeSwitchedDLList{{ERABID: 5, TransportLayerAddress: loopback(2), GTPTEID: s1ap.GTPTEID{0, 0, 0, 73}}},
		EUTRANCGI:              e2.cgi(), TAI: e2.tai(), UESecurityCapabilities: ueCaps()})
	sent = append(sent, recvAs[*s1ap.PathSwitchRequestFailure](t, e2, 73))

	var text strings.Builder
	for _, m := range sent {
		b, err := s1ap.Encode(m)
		if err != nil {
			t.Fatalf("%s: %v", m.MessageName(), err)
		}
		text.WriteString("0000")
		for _, x := range b {
			fmt.Fprintf(&text, " %02x", x)
		}
		text.WriteString("\n")
	}
	dir := t.TempDir()
	txt, pcap := filepath.Join(dir, "ho.txt"), filepath.Join(dir, "ho.pcap")
	if err := os.WriteFile(txt, []byte(text.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("text2pcap", "-q", "-S", "36412,36412,18", txt, pcap).CombinedOutput(); err != nil {
		t.Fatalf("text2pcap: %v\n%s", err, out)
	}
	out, err := exec.Command(tshark, "-r", pcap, "-T", "fields", "-E", "separator=|", "-e", "frame.number",
		"-e", "_ws.expert.severity", "-e", "_ws.expert.message", "-e", "_ws.malformed").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(sent) {
		t.Fatalf("tshark read %d packets, want %d", len(lines), len(sent))
	}
	for i, l := range lines {
		f := strings.Split(l, "|")
		severe := len(f) > 3 && f[3] != ""
		for _, s := range strings.Split(f[1], ",") {
			if v, _ := strconv.Atoi(s); v >= 0x00600000 { // warning or error
				severe = true
			}
		}
		if severe {
			t.Errorf("%s: tshark expert %q (severity %s), malformed %q", sent[i].MessageName(), f[2], f[1], f[3])
		}
	}
}
