package node_test

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/lab/sgw"
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/node"
	"github.com/lte-mme/mme/s1ap"
)

// Bearer and PDN procedures over real sockets (issue #9, bearers): the
// lab SGW emulator starts Create/Update/Delete Bearer Request through its
// Go API (what its admin API calls), the test eNodeB and UE answer.

// erabNAS receives the next S1AP message for the UE, which must be a T, and
// the NAS message it carries.
func erabNAS[T s1ap.Message](u *testUE) (T, nas.Message) {
	u.t.Helper()
	m := u.enb.recv(u.enbID)
	v, ok := m.(T)
	if !ok {
		var zero T
		u.t.Fatalf("UE %s: got %s, want %T", u.imsi, m.MessageName(), zero)
	}
	var pdu []byte
	switch x := m.(type) {
	case *s1ap.ERABSetupRequest:
		if len(x.ERABToBeSetupListBearerSUReq) > 0 {
			pdu = x.ERABToBeSetupListBearerSUReq[0].NASPDU
		}
	case *s1ap.ERABModifyRequest:
		if len(x.ERABToBeModifiedListBearerModReq) > 0 {
			pdu = x.ERABToBeModifiedListBearerModReq[0].NASPDU
		}
	case *s1ap.ERABReleaseCommand:
		pdu, _ = x.NASPDU.Get()
	case *s1ap.DownlinkNASTransport:
		pdu = x.NASPDU
	}
	if pdu == nil {
		return v, nil
	}
	return v, u.decodeNAS(pdu)
}

// erabSetupResponse answers E-RAB SETUP REQUEST with every E-RAB set up.
func (u *testUE) erabSetupResponse(req *s1ap.ERABSetupRequest) {
	rsp := &s1ap.ERABSetupResponse{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID}
	var l s1ap.ERABSetupListBearerSURes
	for _, it := range req.ERABToBeSetupListBearerSUReq {
		l = append(l, s1ap.ERABSetupItemBearerSURes{ERABID: it.ERABID,
			TransportLayerAddress: s1ap.TransportLayerAddress{Bytes: []byte{127, 0, 0, 1}, Len: 32},
			GTPTEID:               s1ap.GTPTEID{0, 1, byte(it.ERABID), byte(u.enbID)}})
	}
	rsp.ERABSetupListBearerSURes = s1ap.Some(l)
	u.enb.send(1, rsp)
}

// createBearer runs the SGW's Create Bearer Request in the background.
func createBearer(l *lab, imsi string) <-chan error {
	done := make(chan error, 1)
	go func() {
		_, err := l.sgw.CreateBearer(context.Background(), imsi, sgw.BearerRequest{})
		done <- err
	}()
	return done
}

func wait(t *testing.T, done <-chan error) error {
	t.Helper()
	select {
	case err := <-done:
		return err
	case <-t.Context().Done():
		t.Fatal("test ended")
	}
	return nil
}

func sgwBearer(l *lab, imsi string, ebi uint8) (sgw.Bearer, bool) {
	ue, ok := l.sgw.UE(imsi)
	if !ok {
		return sgw.Bearer{}, false
	}
	for _, p := range ue.PDNs {
		if p == nil {
			continue
		}
		if b := p.Bearers[ebi]; b != nil {
			return *b, true
		}
	}
	return sgw.Bearer{}, false
}

// activateDedicated answers the E-RAB SETUP and the ACTIVATE DEDICATED EPS
// BEARER CONTEXT REQUEST of a Create Bearer Request; it returns the EBI.
func (u *testUE) activateDedicated(accept bool) uint8 {
	u.t.Helper()
	req, msg := erabNAS[*s1ap.ERABSetupRequest](u)
	act, ok := msg.(*nas.ActivateDedicatedEPSBearerContextRequest)
	if !ok {
		u.t.Fatalf("E-RAB SETUP REQUEST carries %T", msg)
	}
	if len(req.ERABToBeSetupListBearerSUReq) != 1 || uint8(req.ERABToBeSetupListBearerSUReq[0].ERABID) != act.EBI ||
		act.LinkedEPSBearerIdentity != 5 || act.EPSQoS.QCI != 1 || len(act.TFT) == 0 {
		u.t.Fatalf("E-RAB SETUP %+v with %+v", req.ERABToBeSetupListBearerSUReq, act)
	}
	if _, ok := req.ERABToBeSetupListBearerSUReq[0].ERABlevelQoSParameters.GbrQosInformation.Get(); !ok {
		u.t.Error("GBR bearer without GBR QoS information (TS 36.413 §9.2.1.15)")
	}
	u.erabSetupResponse(req)
	if accept {
		u.uplink(&nas.ActivateDedicatedEPSBearerContextAccept{EBI: act.EBI, PTI: act.PTI}, nas.IntegrityProtectedCiphered)
	} else {
		u.uplink(&nas.ActivateDedicatedEPSBearerContextReject{EBI: act.EBI, PTI: act.PTI,
			ESMCause: nas.ESMCauseRequestRejectedUnspecified}, nas.IntegrityProtectedCiphered)
	}
	return act.EBI
}

// TestDedicatedBearerCreateModifyDelete: TS 23.401 §5.4.1, §5.4.2.1,
// §5.4.4.1 end to end: the SGW emulator's requests are answered with the
// eNodeB's S1-U F-TEID, the new QoS, and the deletion.
func TestDedicatedBearerCreateModifyDelete(t *testing.T) {
	l := newLab(t, nil)
	u := l.newUE(l.newENB(1), 1)
	u.attach()

	done := createBearer(l, u.imsi)
	ebi := u.activateDedicated(true)
	if err := wait(t, done); err != nil {
		t.Fatalf("Create Bearer: %v", err)
	}
	b, ok := sgwBearer(l, u.imsi, ebi)
	if !ok || b.ENodeB.TEID != 1<<16|uint32(ebi)<<8|uint32(u.enbID) {
		t.Fatalf("SGW bearer %d: %+v (eNodeB F-TEID not from the E-RAB SETUP RESPONSE)", ebi, b)
	}

	upd := make(chan error, 1)
	go func() {
		upd <- l.sgw.UpdateBearer(context.Background(), u.imsi, ebi, gtp.BearerQoS{QCI: 2, ARP: gtp.ARP{PL: 3},
			MBRUplink: 256, MBRDownlink: 256, GBRUplink: 128, GBRDownlink: 128}, nil)
	}()
	mod, msg := erabNAS[*s1ap.ERABModifyRequest](u)
	mreq, ok := msg.(*nas.ModifyEPSBearerContextRequest)
	if !ok || mreq.EBI != ebi || mreq.NewEPSQoS == nil || mreq.NewEPSQoS.QCI != 2 ||
		mod.ERABToBeModifiedListBearerModReq[0].ERABLevelQoSParameters.QCI != 2 {
		t.Fatalf("E-RAB MODIFY %+v with %+v", mod, msg)
	}
	u.enb.send(1, &s1ap.ERABModifyResponse{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID,
		ERABModifyListBearerModRes: s1ap.Some(s1ap.ERABModifyListBearerModRes{{ERABID: s1ap.ERABID(ebi)}})})
	u.uplink(&nas.ModifyEPSBearerContextAccept{EBI: ebi, PTI: mreq.PTI}, nas.IntegrityProtectedCiphered)
	if err := wait(t, upd); err != nil {
		t.Fatalf("Update Bearer: %v", err)
	}
	if b, _ := sgwBearer(l, u.imsi, ebi); b.QoS.QCI != 2 {
		t.Errorf("SGW bearer QCI %d after the update", b.QoS.QCI)
	}

	del := make(chan error, 1)
	go func() { del <- l.sgw.DeleteBearer(context.Background(), u.imsi, ebi) }()
	rel, msg := erabNAS[*s1ap.ERABReleaseCommand](u)
	deact, ok := msg.(*nas.DeactivateEPSBearerContextRequest)
	if !ok || deact.EBI != ebi || len(rel.ERABToBeReleasedList) != 1 || uint8(rel.ERABToBeReleasedList[0].ERABID) != ebi {
		t.Fatalf("E-RAB RELEASE %+v with %+v", rel, msg)
	}
	u.enb.send(1, &s1ap.ERABReleaseResponse{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID,
		ERABReleaseListBearerRelComp: s1ap.Some(s1ap.ERABReleaseListBearerRelComp{{ERABID: s1ap.ERABID(ebi)}})})
	u.uplink(&nas.DeactivateEPSBearerContextAccept{EBI: ebi, PTI: deact.PTI}, nas.IntegrityProtectedCiphered)
	if err := wait(t, del); err != nil {
		t.Fatalf("Delete Bearer: %v", err)
	}
	if _, ok := sgwBearer(l, u.imsi, ebi); ok {
		t.Error("the SGW still has the bearer")
	}
	if v := l.subscriber(u.imsi); len(v.PDNs) != 1 || len(v.PDNs[0].Bearers) != 1 {
		t.Errorf("MME bearers after the deletion: %+v", v.PDNs)
	}
	for _, p := range []string{"dedicated_bearer", "bearer_modify", "bearer_deactivate"} {
		if got := l.metric("mme_procedure_successes_total", "procedure", p); got != 1 {
			t.Errorf("%s successes = %v, want 1", p, got)
		}
	}
	// The PGW deletes the last PDN connection: the MME detaches the UE,
	// re-attach required (TS 23.401 §5.4.4.1 step 3).
	last := make(chan error, 1)
	go func() { last <- l.sgw.DeleteBearer(context.Background(), u.imsi, 5) }()
	if d := expect[*nas.DetachRequestUETerminated](u); d.DetachType.Type != nas.ReattachRequired {
		t.Errorf("DETACH REQUEST type %d, want re-attach required", d.DetachType.Type)
	}
	if err := wait(t, last); err != nil {
		t.Errorf("Delete Bearer of the last PDN connection: %v", err)
	}
}

// TestDedicatedBearerRejectedByUE: the UE rejects the activation: "UE
// refuses" (#88) to the SGW and the eNodeB's E-RAB released.
func TestDedicatedBearerRejectedByUE(t *testing.T) {
	l := newLab(t, nil)
	u := l.newUE(l.newENB(1), 1)
	u.attach()
	done := createBearer(l, u.imsi)
	ebi := u.activateDedicated(false)
	var rej *sgw.RejectedError
	if err := wait(t, done); !errors.As(err, &rej) || rej.Cause != gtp.CauseUERefuses {
		t.Fatalf("Create Bearer: %v, want rejected with UE refuses", err)
	}
	rel, _ := erabNAS[*s1ap.ERABReleaseCommand](u)
	if len(rel.ERABToBeReleasedList) != 1 || uint8(rel.ERABToBeReleasedList[0].ERABID) != ebi || rel.NASPDU.Present {
		t.Errorf("E-RAB RELEASE %+v: want the refused E-RAB, no NAS", rel)
	}
	if got := l.metric("mme_procedure_failures_total", "procedure", "dedicated_bearer"); got != 1 {
		t.Errorf("dedicated_bearer failures = %v", got)
	}
}

// TestDedicatedBearerIdleUE: TS 23.401 §5.4.1 step 3 with §5.3.4.3: a
// Create Bearer Request for an ECM-IDLE UE pages it; its SERVICE REQUEST
// restores the default bearer (INITIAL CONTEXT SETUP), then the new bearer
// is set up (E-RAB SETUP with ACTIVATE DEDICATED EPS BEARER CONTEXT
// REQUEST) and the SGW gets its Create Bearer Response. Then an Update
// Bearer Request for the idle UE: paging, service request, E-RAB MODIFY.
func TestDedicatedBearerIdleUE(t *testing.T) {
	l := newLab(t, nil)
	e := l.newENB(1)
	u := l.newUE(e, 1)
	u.attach()
	u.inactivityRelease()
	done := createBearer(l, u.imsi)
	p, ok := e.recv(0).(*s1ap.Paging)
	if !ok || p.UEPagingID.STMSI != u.sTMSI() || p.CNDomain != s1ap.CNDomainPs {
		t.Fatalf("want Paging for the UE's S-TMSI, got %+v", p)
	}
	u.serviceRequest(s1ap.RRCEstablishmentCauseMtAccess)
	ebi := u.activateDedicated(true)
	if err := wait(t, done); err != nil {
		t.Fatalf("Create Bearer for a paged UE: %v", err)
	}
	if b, ok := sgwBearer(l, u.imsi, ebi); !ok || b.ENodeB.TEID == 0 {
		t.Fatalf("SGW bearer %d: %+v (ok %v), want the eNodeB F-TEID", ebi, b, ok)
	}
	if got := l.metric("mme_procedure_successes_total", "procedure", "paging"); got != 1 {
		t.Errorf("paging successes %v, want 1", got)
	}

	// TS 23.401 §5.4.2.1 step 3: an Update Bearer Request for the idle UE
	// pages it too; E-RAB MODIFY follows its service request.
	u.inactivityRelease()
	upd := make(chan error, 1)
	go func() {
		upd <- l.sgw.UpdateBearer(context.Background(), u.imsi, ebi, gtp.BearerQoS{QCI: 2, ARP: gtp.ARP{PL: 3},
			MBRUplink: 256, MBRDownlink: 256, GBRUplink: 128, GBRDownlink: 128}, nil)
	}()
	if _, ok := e.recv(0).(*s1ap.Paging); !ok {
		t.Fatal("Update Bearer Request for an idle UE: want Paging")
	}
	u.serviceRequest(s1ap.RRCEstablishmentCauseMtAccess)
	mod, msg := erabNAS[*s1ap.ERABModifyRequest](u)
	mreq, ok := msg.(*nas.ModifyEPSBearerContextRequest)
	if !ok || mreq.EBI != ebi || mreq.NewEPSQoS == nil || mreq.NewEPSQoS.QCI != 2 {
		t.Fatalf("E-RAB MODIFY %+v with %+v", mod, msg)
	}
	u.enb.send(1, &s1ap.ERABModifyResponse{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID,
		ERABModifyListBearerModRes: s1ap.Some(s1ap.ERABModifyListBearerModRes{{ERABID: s1ap.ERABID(ebi)}})})
	u.uplink(&nas.ModifyEPSBearerContextAccept{EBI: ebi, PTI: mreq.PTI}, nas.IntegrityProtectedCiphered)
	if err := wait(t, upd); err != nil {
		t.Fatalf("Update Bearer for a paged UE: %v", err)
	}
	if b, _ := sgwBearer(l, u.imsi, ebi); b.QoS.QCI != 2 {
		t.Errorf("SGW bearer QCI %d after the update", b.QoS.QCI)
	}
}

// TestServiceRequestRestoresGBRBearer: TS 23.401 §5.3.4.1 step 4, TS
// 36.413 §9.2.1.15: the INITIAL CONTEXT SETUP REQUEST of a service request
// carries a GBR dedicated bearer with its GBR QoS information (bit/s),
// the default bearer without.
func TestServiceRequestRestoresGBRBearer(t *testing.T) {
	l := newLab(t, nil)
	u := l.newUE(l.newENB(1), 1)
	u.attach()
	done := createBearer(l, u.imsi)
	ebi := u.activateDedicated(true)
	if err := wait(t, done); err != nil {
		t.Fatalf("Create Bearer: %v", err)
	}
	u.inactivityRelease()
	pdu, count, err := u.sec.ProtectServiceRequest(nil)
	if err != nil {
		t.Fatal(err)
	}
	u.initialSTMSI(pdu, s1ap.RRCEstablishmentCauseMoData)
	u.kenbUL = count
	u.answerICSWith(func(ics *s1ap.InitialContextSetupRequest) {
		seen := false
		for _, it := range ics.ERABToBeSetupListCtxtSUReq {
			g, gbr := it.ERABlevelQoSParameters.GbrQosInformation.Get()
			switch uint8(it.ERABID) {
			case 5:
				if gbr {
					t.Errorf("default bearer (QCI %d) with GBR information", it.ERABlevelQoSParameters.QCI)
				}
			case ebi:
				seen = true
				if !gbr || g.ERABGuaranteedBitrateDL == 0 || g.ERABMaximumBitrateDL < g.ERABGuaranteedBitrateDL {
					t.Errorf("GBR bearer %d in INITIAL CONTEXT SETUP: GBR information %+v (present %v)", ebi, g, gbr)
				}
			}
		}
		if !seen {
			t.Errorf("INITIAL CONTEXT SETUP without the dedicated bearer %d", ebi)
		}
	})
}

// TestDedicatedBearerIdleUENoAnswer: the paged UE does not answer: after
// the last T3413 the Create Bearer Request is answered "UE not responding"
// (#87, TS 29.274 §8.4) and, the paging not being for downlink data, no
// Downlink Data Notification Failure Indication is sent.
func TestDedicatedBearerIdleUENoAnswer(t *testing.T) {
	l := newLab(t, func(c *node.Config) { c.NAS.T3413, c.NAS.PagingAttempts = 100*time.Millisecond, 2 })
	e := l.newENB(1)
	u := l.newUE(e, 1)
	u.attach()
	u.inactivityRelease()
	done := createBearer(l, u.imsi)
	for i := 0; i < 2; i++ {
		if _, ok := e.recv(0).(*s1ap.Paging); !ok {
			t.Fatalf("paging %d: want Paging", i+1)
		}
	}
	var rej *sgw.RejectedError
	if err := wait(t, done); !errors.As(err, &rej) || rej.Cause != gtp.CauseUENotResponding {
		t.Fatalf("Create Bearer for an unreachable UE: %v, want rejected with UE not responding", err)
	}
	if n := l.sgw.Counts()["ddn_failure_indication"]; n != 0 {
		t.Errorf("%d Downlink Data Notification Failure Indications for a bearer-triggered paging", n)
	}
	l.eventually("paging and dedicated bearer failures counted", func() bool {
		return l.metric("mme_procedure_failures_total", "procedure", "paging") == 1 &&
			l.metric("mme_procedure_failures_total", "procedure", "dedicated_bearer") == 1
	})
	e.none(0)
}

// TestSecondPDNConnectAndDisconnect: TS 23.401 §5.10.2 and §5.10.3: a
// second PDN connection ("ims") and its disconnection, with the rejects
// of TS 24.301 §6.5.1.4 and §6.5.2.4.
func TestSecondPDNConnectAndDisconnect(t *testing.T) {
	l := newLab(t, nil)
	u := l.newUE(l.newENB(1), 1)
	u.attach()
	ims := nas.APN("ims")
	u.uplink(&nas.PDNConnectivityRequest{PTI: 2, RequestType: nas.InitialRequest, PDNType: nas.PDNTypeIPv4,
		AccessPointName: &ims}, nas.IntegrityProtectedCiphered)
	req, msg := erabNAS[*s1ap.ERABSetupRequest](u)
	act, ok := msg.(*nas.ActivateDefaultEPSBearerContextRequest)
	if !ok || act.PTI != 2 || act.EBI != 6 || string(act.AccessPointName) != "ims" || !act.PDNAddress.IPv4.IsValid() {
		t.Fatalf("E-RAB SETUP with %+v", msg)
	}
	u.erabSetupResponse(req)
	u.uplink(&nas.ActivateDefaultEPSBearerContextAccept{EBI: act.EBI, PTI: act.PTI}, nas.IntegrityProtectedCiphered)
	l.eventually("second PDN with its eNodeB F-TEID at the SGW", func() bool {
		b, ok := sgwBearer(l, u.imsi, 6)
		return ok && b.ENodeB.TEID != 0
	})
	if v := l.subscriber(u.imsi); len(v.PDNs) != 2 {
		t.Fatalf("MME PDN connections %+v", v.PDNs)
	}

	// The same APN again (#55), an unknown one (#27).
	u.uplink(&nas.PDNConnectivityRequest{PTI: 3, RequestType: nas.InitialRequest, PDNType: nas.PDNTypeIPv4,
		AccessPointName: &ims}, nas.IntegrityProtectedCiphered)
	if r := expect[*nas.PDNConnectivityReject](u); r.ESMCause != nas.ESMCauseMultiplePDNConnectionsNotAllowed || r.PTI != 3 {
		t.Errorf("same APN: %+v", r)
	}
	other := nas.APN("nowhere")
	u.uplink(&nas.PDNConnectivityRequest{PTI: 4, RequestType: nas.InitialRequest, PDNType: nas.PDNTypeIPv4,
		AccessPointName: &other}, nas.IntegrityProtectedCiphered)
	if r := expect[*nas.PDNConnectivityReject](u); r.ESMCause != nas.ESMCauseMissingOrUnknownAPN {
		t.Errorf("unknown APN: %+v", r)
	}

	u.uplink(&nas.PDNDisconnectRequest{PTI: 5, LinkedEPSBearerIdentity: 6}, nas.IntegrityProtectedCiphered)
	rel, msg := erabNAS[*s1ap.ERABReleaseCommand](u)
	deact, ok := msg.(*nas.DeactivateEPSBearerContextRequest)
	if !ok || deact.EBI != 6 || deact.PTI != 5 || deact.ESMCause != nas.ESMCauseRegularDeactivation {
		t.Fatalf("E-RAB RELEASE %+v with %+v", rel, msg)
	}
	u.enb.send(1, &s1ap.ERABReleaseResponse{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID,
		ERABReleaseListBearerRelComp: s1ap.Some(s1ap.ERABReleaseListBearerRelComp{{ERABID: 6}})})
	u.uplink(&nas.DeactivateEPSBearerContextAccept{EBI: 6, PTI: 5}, nas.IntegrityProtectedCiphered)
	l.eventually("second PDN deleted at the SGW", func() bool { _, ok := sgwBearer(l, u.imsi, 6); return !ok })
	l.eventually("second PDN deleted at the MME", func() bool { return len(l.subscriber(u.imsi).PDNs) == 1 })

	// The last PDN connection (#49).
	u.uplink(&nas.PDNDisconnectRequest{PTI: 6, LinkedEPSBearerIdentity: 5}, nas.IntegrityProtectedCiphered)
	if r := expect[*nas.PDNDisconnectReject](u); r.ESMCause != nas.ESMCauseLastPDNDisconnectionNotAllowed {
		t.Errorf("last PDN: %+v", r)
	}
	for _, c := range []struct {
		proc          string
		succ, failure float64
	}{{"pdn_connect", 1, 2}, {"pdn_disconnect", 1, 1}} {
		if got := l.metric("mme_procedure_successes_total", "procedure", c.proc); got != c.succ {
			t.Errorf("%s successes = %v, want %v", c.proc, got, c.succ)
		}
		if got := l.metric("mme_procedure_failures_total", "procedure", c.proc); got != c.failure {
			t.Errorf("%s failures = %v, want %v", c.proc, got, c.failure)
		}
	}
}

// TestSecondPDNDetachTearsDownAll: a detach deletes every PDN connection
// at the SGW (TS 23.401 §5.3.8.2.1 step 2).
func TestSecondPDNDetachTearsDownAll(t *testing.T) {
	l := newLab(t, nil)
	u := l.newUE(l.newENB(1), 1)
	u.attach()
	ims := nas.APN("ims")
	u.uplink(&nas.PDNConnectivityRequest{PTI: 2, RequestType: nas.InitialRequest, PDNType: nas.PDNTypeIPv4,
		AccessPointName: &ims}, nas.IntegrityProtectedCiphered)
	req, msg := erabNAS[*s1ap.ERABSetupRequest](u)
	u.erabSetupResponse(req)
	act := msg.(*nas.ActivateDefaultEPSBearerContextRequest)
	u.uplink(&nas.ActivateDefaultEPSBearerContextAccept{EBI: act.EBI, PTI: act.PTI}, nas.IntegrityProtectedCiphered)
	l.eventually("second PDN at the SGW", func() bool { b, ok := sgwBearer(l, u.imsi, 6); return ok && b.ENodeB.TEID != 0 })
	u.detach(false)
	expect[*nas.DetachAccept](u)
	u.releaseComplete()
	l.eventually("every PDN deleted at the SGW", func() bool { _, ok := l.sgw.UE(u.imsi); return !ok })
}

// TestERABReleaseIndication: TS 23.401 §5.4.4.2: the eNodeB released a
// dedicated bearer; Delete Bearer Command, the PGW's Delete Bearer Request,
// DEACTIVATE EPS BEARER CONTEXT REQUEST in DOWNLINK NAS TRANSPORT.
func TestERABReleaseIndication(t *testing.T) {
	l := newLab(t, nil)
	u := l.newUE(l.newENB(1), 1)
	u.attach()
	done := createBearer(l, u.imsi)
	ebi := u.activateDedicated(true)
	if err := wait(t, done); err != nil {
		t.Fatal(err)
	}
	u.enb.send(1, &s1ap.ERABReleaseIndication{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID, ERABReleasedList: s1ap.ERABList{{
		ERABID: s1ap.ERABID(ebi), Cause: s1ap.Cause{Choice: s1ap.CauseChoiceRadioNetwork, RadioNetwork: s1ap.CauseRadioNetworkRadioConnectionWithUeLost}}}})
	_, msg := erabNAS[*s1ap.DownlinkNASTransport](u)
	deact, ok := msg.(*nas.DeactivateEPSBearerContextRequest)
	if !ok || deact.EBI != ebi {
		t.Fatalf("got %+v, want DEACTIVATE EPS BEARER CONTEXT REQUEST for %d", msg, ebi)
	}
	u.uplink(&nas.DeactivateEPSBearerContextAccept{EBI: ebi, PTI: deact.PTI}, nas.IntegrityProtectedCiphered)
	l.eventually("bearer deleted at the SGW", func() bool { _, ok := sgwBearer(l, u.imsi, ebi); return !ok })
	l.eventually("erab_release counted", func() bool { return l.metric("mme_procedure_successes_total", "procedure", "erab_release") == 1 })
}

// TestUEContextModificationAMBR: TS 23.401 §5.3.9.2, TS 36.413 §8.3.4: the
// HSS pushes a new UE-AMBR (Insert-Subscriber-Data); the connected UE's
// eNodeB gets UE CONTEXT MODIFICATION REQUEST with it; a failure is
// counted; a UE the MME does not know is answered "user unknown".
func TestUEContextModificationAMBR(t *testing.T) {
	l := newLab(t, nil)
	u := l.newUE(l.newENB(1), 1)
	u.attach()
	done := make(chan error, 1)
	go func() { done <- l.hss.ChangeAMBR(context.Background(), u.imsi, 30_000_000, 60_000_000) }()
	m := u.enb.recv(u.enbID)
	req, ok := m.(*s1ap.UEContextModificationRequest)
	if !ok {
		t.Fatalf("got %s, want UEContextModificationRequest", m.MessageName())
	}
	a, ok := req.UEaggregateMaximumBitrate.Get()
	if !ok || a.UEaggregateMaximumBitRateUL != 30_000_000 || a.UEaggregateMaximumBitRateDL != 60_000_000 {
		t.Fatalf("UE-AMBR %+v", req.UEaggregateMaximumBitrate)
	}
	if err := wait(t, done); err != nil {
		t.Fatalf("IDR: %v", err)
	}
	u.enb.send(1, &s1ap.UEContextModificationResponse{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID})
	l.eventually("ue_context_modification counted", func() bool {
		return l.metric("mme_procedure_successes_total", "procedure", "ue_context_modification") == 1
	})

	go func() { done <- l.hss.ChangeAMBR(context.Background(), u.imsi, 10_000_000, 20_000_000) }()
	if _, ok := u.enb.recv(u.enbID).(*s1ap.UEContextModificationRequest); !ok {
		t.Fatal("no second UE CONTEXT MODIFICATION REQUEST")
	}
	if err := wait(t, done); err != nil {
		t.Fatalf("IDR: %v", err)
	}
	u.enb.send(1, &s1ap.UEContextModificationFailure{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID,
		Cause: s1ap.Cause{Choice: s1ap.CauseChoiceRadioNetwork, RadioNetwork: s1ap.CauseRadioNetworkUnspecified}})
	l.eventually("ue_context_modification failure counted", func() bool {
		return l.metric("mme_procedure_failures_total", "procedure", "ue_context_modification") == 1
	})
	if v := l.subscriber(u.imsi); v.EMM != "EMM-REGISTERED" {
		t.Errorf("after the failure: %s", v.EMM)
	}
}

// TestUpdateBearerSeveralBearers: TS 23.401 §5.4.2.1, TS 29.274
// §7.2.15-16 over real sockets: an Update Bearer Request naming two
// dedicated bearers and one the UE does not have: one E-RAB MODIFY REQUEST
// with both E-RABs, each with its own MODIFY EPS BEARER CONTEXT REQUEST
// (PTI 0); the UE accepts one and rejects the other: Update Bearer Response
// "accepted partially" with each bearer's cause. Then the same for an
// ECM-IDLE UE: paged first, both modified after its service request.
func TestUpdateBearerSeveralBearers(t *testing.T) {
	l := newLab(t, nil)
	u := l.newUE(l.newENB(1), 1)
	u.attach()
	var ebis []uint8
	for range 2 {
		done := createBearer(l, u.imsi)
		ebis = append(ebis, u.activateDedicated(true))
		if err := wait(t, done); err != nil {
			t.Fatalf("Create Bearer: %v", err)
		}
	}
	qos := func(qci uint8) gtp.BearerQoS {
		return gtp.BearerQoS{QCI: qci, ARP: gtp.ARP{PL: 3}, MBRUplink: 256, MBRDownlink: 256, GBRUplink: 128, GBRDownlink: 128}
	}
	type result struct {
		r   *gtp.UpdateBearerResponse
		err error
	}
	update := func(qci uint8, extra ...uint8) <-chan result {
		ups := []sgw.BearerUpdate{{EBI: ebis[0], QoS: qos(qci)}, {EBI: ebis[1], QoS: qos(qci)}}
		for _, e := range extra {
			ups = append(ups, sgw.BearerUpdate{EBI: e, QoS: qos(qci)})
		}
		c := make(chan result, 1)
		go func() {
			r, err := l.sgw.UpdateBearers(context.Background(), u.imsi, ups, nil)
			c <- result{r, err}
		}()
		return c
	}
	// modify takes the E-RAB MODIFY REQUEST: both E-RABs, a MODIFY EPS
	// BEARER CONTEXT REQUEST each (decoded in order: their NAS COUNTs).
	modify := func(qci uint8) []*nas.ModifyEPSBearerContextRequest {
		t.Helper()
		mod, ok := u.enb.recv(u.enbID).(*s1ap.ERABModifyRequest)
		if !ok || len(mod.ERABToBeModifiedListBearerModReq) != 2 {
			t.Fatalf("want E-RAB MODIFY REQUEST with two E-RABs, got %+v", mod)
		}
		var out []*nas.ModifyEPSBearerContextRequest
		for i, it := range mod.ERABToBeModifiedListBearerModReq {
			req, ok := u.decodeNAS(it.NASPDU).(*nas.ModifyEPSBearerContextRequest)
			if !ok || req.EBI != ebis[i] || uint8(it.ERABID) != ebis[i] || req.PTI != 0 || req.NewEPSQoS == nil ||
				req.NewEPSQoS.QCI != qci || uint8(it.ERABLevelQoSParameters.QCI) != qci {
				t.Fatalf("E-RAB %d: %+v with %+v", i, it, req)
			}
			out = append(out, req)
		}
		u.enb.send(1, &s1ap.ERABModifyResponse{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID,
			ERABModifyListBearerModRes: s1ap.Some(s1ap.ERABModifyListBearerModRes{{ERABID: s1ap.ERABID(ebis[0])}, {ERABID: s1ap.ERABID(ebis[1])}})})
		return out
	}
	causes := func(r *gtp.UpdateBearerResponse) map[uint8]gtp.CauseValue {
		m := map[uint8]gtp.CauseValue{}
		for _, bc := range r.BearerContexts {
			m[bc.EBI] = bc.Cause.Value
		}
		return m
	}

	done := update(2, 14)
	reqs := modify(2)
	u.uplink(&nas.ModifyEPSBearerContextAccept{EBI: reqs[0].EBI, PTI: reqs[0].PTI}, nas.IntegrityProtectedCiphered)
	u.uplink(&nas.ModifyEPSBearerContextReject{EBI: reqs[1].EBI, PTI: reqs[1].PTI, ESMCause: nas.ESMCauseRequestRejectedUnspecified},
		nas.IntegrityProtectedCiphered)
	res := <-done
	if res.err != nil {
		t.Fatalf("Update Bearer: %v", res.err)
	}
	want := map[uint8]gtp.CauseValue{ebis[0]: gtp.CauseRequestAccepted, ebis[1]: gtp.CauseUERefuses, 14: gtp.CauseContextNotFound}
	if res.r.Cause.Value != gtp.CauseRequestAcceptedPartially || !reflect.DeepEqual(causes(res.r), want) {
		t.Fatalf("Update Bearer Response cause %v bearers %v, want #17 and %v", res.r.Cause.Value, causes(res.r), want)
	}
	if b, _ := sgwBearer(l, u.imsi, ebis[0]); b.QoS.QCI != 2 {
		t.Errorf("accepted bearer has QCI %d", b.QoS.QCI)
	}
	if b, _ := sgwBearer(l, u.imsi, ebis[1]); b.QoS.QCI != 1 {
		t.Errorf("refused bearer has QCI %d", b.QoS.QCI)
	}

	// ECM-IDLE: paging, then both modifications after the service request.
	u.inactivityRelease()
	done = update(3)
	if _, ok := u.enb.recv(0).(*s1ap.Paging); !ok {
		t.Fatal("Update Bearer Request for an idle UE: want Paging")
	}
	u.serviceRequest(s1ap.RRCEstablishmentCauseMtAccess)
	for _, req := range modify(3) {
		u.uplink(&nas.ModifyEPSBearerContextAccept{EBI: req.EBI, PTI: req.PTI}, nas.IntegrityProtectedCiphered)
	}
	res = <-done
	if res.err != nil || res.r.Cause.Value != gtp.CauseRequestAccepted || len(res.r.BearerContexts) != 2 {
		t.Fatalf("Update Bearer for a paged UE: %+v %v", res.r, res.err)
	}
	for _, e := range ebis {
		if b, _ := sgwBearer(l, u.imsi, e); b.QoS.QCI != 3 {
			t.Errorf("bearer %d has QCI %d after the paged update", e, b.QoS.QCI)
		}
	}
	if v := l.subscriber(u.imsi); len(v.PDNs) != 1 || len(v.PDNs[0].Bearers) != 3 {
		t.Errorf("MME bearers %+v", v.PDNs)
	}
}
