package node_test

import (
	"context"
	"net/http"
	"testing"

	"go.uber.org/goleak"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TS 36.413 §8.7.3.2: S1 SETUP accepted; the response names our GUMMEI.
func TestS1SetupAccepted(t *testing.T) {
	l := newLab(t, nil)
	e := l.dialENB(1)
	e.send(0, e.setupRequest(labPLMN, labPLMN, 1))
	rsp, ok := e.recv(0).(*s1ap.S1SetupResponse)
	if !ok {
		t.Fatal("want S1SetupResponse")
	}
	g := rsp.ServedGUMMEIs[0]
	if nas.PLMNID(g.ServedPLMNs[0]) != labPLMN || g.ServedGroupIDs[0] != (s1ap.MMEGroupID{0x80, 0x01}) || g.ServedMMECs[0] != (s1ap.MMECode{1}) {
		t.Errorf("served GUMMEI %+v", g)
	}
	if rsp.RelativeMMECapacity != 255 {
		t.Errorf("relative capacity %d", rsp.RelativeMMECapacity)
	}
}

// TS 36.413 §8.7.3.3: no served PLMN among the supported TAs' broadcast
// PLMNs → S1 SETUP FAILURE, cause misc unknown-PLMN.
func TestS1SetupUnknownPLMNRejected(t *testing.T) {
	l := newLab(t, nil)
	e := l.dialENB(1)
	foreign, _ := nas.ParsePLMNID("26242")
	e.send(0, e.setupRequest(labPLMN, foreign, 1))
	f, ok := e.recv(0).(*s1ap.S1SetupFailure)
	if !ok {
		t.Fatal("want S1SetupFailure")
	}
	if f.Cause.Choice != s1ap.CauseChoiceMisc || f.Cause.Misc != s1ap.CauseMiscUnknownPLMN {
		t.Errorf("cause %+v, want misc unknown-PLMN", f.Cause)
	}
	// Nothing else is served before a successful S1 SETUP (§8.7.3.1).
	e.send(0, &s1ap.Reset{Cause: s1ap.Cause{Choice: s1ap.CauseChoiceMisc, Misc: s1ap.CauseMiscOmIntervention},
		ResetType: s1ap.ResetType{Choice: s1ap.ResetTypeChoiceS1Interface, S1Interface: s1ap.ResetAllResetAll}})
	if _, ok := e.recv(0).(*s1ap.ErrorIndication); !ok {
		t.Fatal("RESET before S1 SETUP: want ErrorIndication")
	}
}

// TS 36.413 §8.7.3.2: a Global eNB ID of a foreign PLMN with served TAs is
// accepted (network sharing; open5gs issue 3544, osmo TC_s1ap_setup_unknown_global_enb_id_plmn).
func TestS1SetupForeignGlobalENBIDAccepted(t *testing.T) {
	l := newLab(t, nil)
	e := l.dialENB(1)
	foreign, _ := nas.ParsePLMNID("26242")
	e.send(0, e.setupRequest(foreign, labPLMN, 1))
	if _, ok := e.recv(0).(*s1ap.S1SetupResponse); !ok {
		t.Fatal("want S1SetupResponse")
	}
}

// TS 23.401 §5.3.2.1, §5.3.8.2.1: attach by IMSI (EPS-AKA, SMC, ULR,
// Create Session, ICS with the K_eNB the UE derives, Attach Complete,
// Modify Bearer), then UE-initiated normal detach (Detach Accept, Delete
// Session, UE Context Release).
func TestAttachByIMSIThenNormalDetach(t *testing.T) {
	l := newLab(t, nil)
	e := l.newENB(1)
	u := l.newUE(e, 1)
	acc := u.attach()
	if acc.GUTI == nil || acc.GUTI.MMEGroupID != 0x8001 || acc.GUTI.MMECode != 1 || acc.GUTI.PLMN != labPLMN {
		t.Errorf("GUTI %+v: want our MMEGI/MMEC", acc.GUTI)
	}
	v := l.subscriber(u.imsi)
	if len(v.PDNs) != 1 || v.PDNs[0].APN != "internet" || v.PDNs[0].IPv4 == "" {
		t.Errorf("PDN connections %+v", v.PDNs)
	}

	u.uplink(&nas.DetachRequestUEOriginating{DetachType: nas.DetachType{Type: nas.EPSDetach},
		NASKeySetIdentifier: nas.NASKeySetIdentifier{KSI: u.ksi},
		EPSMobileIdentity:   nas.EPSMobileIdentity{Type: nas.EPSIdentityGUTI, GUTI: *u.guti}}, nas.IntegrityProtectedCiphered)
	expect[*nas.DetachAccept](u)
	u.releaseComplete()
	l.waitState(u.imsi, "EMM-DEREGISTERED", "ECM-IDLE")
	l.eventually("session deleted at the SGW", func() bool { _, ok := l.sgw.UE(u.imsi); return !ok })
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"mme_procedure_attempts_total", []string{"procedure", "attach"}, 1},
		{"mme_procedure_successes_total", []string{"procedure", "attach"}, 1},
		{"mme_procedure_successes_total", []string{"procedure", "detach_ue"}, 1},
		{"mme_procedure_duration_seconds", []string{"procedure", "attach", "result", "success"}, 1},
		{"mme_ues_attached", nil, 0},
		{"mme_s1ap_messages_total", []string{"direction", "out", "message", "InitialContextSetupRequest"}, 1},
		{"mme_s11_messages_total", []string{"direction", "out", "message", "Create Session Request"}, 1},
		{"mme_s6a_messages_total", []string{"direction", "out", "message", "ULR"}, 1},
	} {
		if got := l.metric(c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
}

// detachUE sends DETACH REQUEST (UE originating) with the UE's GUTI.
func (u *testUE) detach(switchOff bool) {
	u.t.Helper()
	u.uplink(&nas.DetachRequestUEOriginating{DetachType: nas.DetachType{SwitchOff: switchOff, Type: nas.EPSDetach},
		NASKeySetIdentifier: nas.NASKeySetIdentifier{KSI: u.ksi},
		EPSMobileIdentity:   nas.EPSMobileIdentity{Type: nas.EPSIdentityGUTI, GUTI: *u.guti}}, nas.IntegrityProtectedCiphered)
}

// TS 24.301 §5.5.2.2.2: switch-off detach: no DETACH ACCEPT; the session
// is deleted and the S1 connection released.
func TestUEInitiatedSwitchOffDetach(t *testing.T) {
	l := newLab(t, nil)
	e := l.newENB(1)
	u := l.newUE(e, 1)
	u.attach()
	u.detach(true)
	m, msg := u.recv()
	if msg != nil {
		t.Fatalf("switch-off detach answered with %T (no DETACH ACCEPT, TS 24.301 §5.5.2.2.2)", msg)
	}
	if _, ok := m.(*s1ap.UEContextReleaseCommand); !ok {
		t.Fatalf("got %s, want UEContextReleaseCommand", m.MessageName())
	}
	e.send(1, &s1ap.UEContextReleaseComplete{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID})
	l.waitState(u.imsi, "EMM-DEREGISTERED", "ECM-IDLE")
	l.eventually("session deleted at the SGW", func() bool { _, ok := l.sgw.UE(u.imsi); return !ok })
}

// TS 24.301 §5.5.1.2.2, §5.4.4: ATTACH REQUEST with a GUTI this MME does
// not know → IDENTITY REQUEST (IMSI); an IMSI already stored under
// another key hands the attach over to that key (docs/design/node.md
// "Unknown GUTI").
func TestAttachUnknownGUTIWithIdentity(t *testing.T) {
	l := newLab(t, nil)
	e := l.newENB(1)
	unknown := nas.EPSMobileIdentity{Type: nas.EPSIdentityGUTI, GUTI: nas.GUTI{PLMN: labPLMN, MMEGroupID: 0x8001, MMECode: 1, MTMSI: 0xdeadbeef}}
	for _, known := range []bool{false, true} {
		u := l.newUE(e, 2)
		if known {
			u = l.newUE(e, 3)
			u.attach()
			u.detach(true)
			u.releaseComplete()
			l.waitState(u.imsi, "EMM-DEREGISTERED", "ECM-IDLE")
			u.sec = nil
		}
		seen, last := u.runAttach(u.encode(u.attachRequest(unknown, nas.NoKeyAvailable), nas.Plain))
		if _, ok := last.(*nas.AttachAccept); !ok || seen[0] != "IdentityRequest" {
			t.Fatalf("known IMSI %v: %v", known, seen)
		}
		u.waitAttached()
	}
	if got := l.metric("mme_attach_transfers_total"); got != 1 {
		t.Errorf("attach transfers %v, want 1 (the known IMSI's)", got)
	}
}

// TS 24.301 §5.4.2.6 c: a MAC failure reported by the UE → AUTHENTICATION
// REJECT (this MME does not identify again: the IMSI was sent in clear).
func TestAuthenticationMACFailure(t *testing.T) {
	l := newLab(t, nil)
	e := l.newENB(1)
	u := l.newUE(e, 4)
	u.usim = l.newUE(e, 5).usim // another subscriber's key: AUTN's MAC fails
	seen, last := u.runAttach(u.encode(u.attachRequest(u.imsiIdentity(), nas.NoKeyAvailable), nas.Plain))
	if _, ok := last.(*nas.AuthenticationReject); !ok {
		t.Fatalf("got %v, want AuthenticationReject", seen)
	}
	u.releaseComplete()
	l.waitState(u.imsi, "EMM-DEREGISTERED", "ECM-IDLE")
}

// TS 24.301 §5.4.2.6 d, TS 33.102 §6.3.5: a synch failure (AUTS) → AIR
// with Re-Synchronization-Info → a fresh AUTHENTICATION REQUEST the USIM
// accepts; the attach completes.
func TestAuthenticationSynchFailureResynchronisation(t *testing.T) {
	l := newLab(t, nil)
	e := l.newENB(1)
	u := l.newUE(e, 6)
	if err := u.usim.SetSQNMS(32 << 10); err != nil {
		t.Fatal(err)
	}
	seen, last := u.runAttach(u.encode(u.attachRequest(u.imsiIdentity(), nas.NoKeyAvailable), nas.Plain))
	if _, ok := last.(*nas.AttachAccept); !ok {
		t.Fatalf("got %v, want AttachAccept", seen)
	}
	if seen[0] != "AuthenticationRequest" || seen[1] != "AuthenticationRequest" {
		t.Errorf("messages %v: want two AUTHENTICATION REQUESTs (re-synchronised)", seen)
	}
	u.waitAttached()
}

// TS 23.401 §5.3.2.1 step 18 failure: INITIAL CONTEXT SETUP FAILURE →
// the attach fails; the session at the SGW is deleted and the connection
// released.
func TestInitialContextSetupFailure(t *testing.T) {
	l := newLab(t, nil)
	e := l.newENB(1)
	u := l.newUE(e, 7)
	u.initial(u.encode(u.attachRequest(u.imsiIdentity(), nas.NoKeyAvailable), nas.Plain))
	_ = u.authenticate(expect[*nas.AuthenticationRequest](u))
	u.securityMode(expect[*nas.SecurityModeCommand](u))
	expect[*nas.AttachAccept](u)
	l.eventually("session created at the SGW", func() bool { _, ok := l.sgw.UE(u.imsi); return ok })
	e.send(1, &s1ap.InitialContextSetupFailure{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID,
		Cause: s1ap.Cause{Choice: s1ap.CauseChoiceRadioNetwork, RadioNetwork: s1ap.CauseRadioNetworkRadioResourcesNotAvailable}})
	u.releaseComplete()
	l.waitState(u.imsi, "EMM-DEREGISTERED", "ECM-IDLE")
	l.eventually("session deleted at the SGW", func() bool { _, ok := l.sgw.UE(u.imsi); return !ok })
}

// networkDetach answers DETACH REQUEST (UE terminated) and the release.
func (u *testUE) networkDetach(t *testing.T) *nas.DetachRequestUETerminated {
	t.Helper()
	req := expect[*nas.DetachRequestUETerminated](u)
	u.uplink(&nas.DetachAccept{}, nas.IntegrityProtectedCiphered)
	u.releaseComplete()
	u.l.waitState(u.imsi, "EMM-DEREGISTERED", "ECM-IDLE")
	u.l.eventually("session deleted at the SGW", func() bool { _, ok := u.l.sgw.UE(u.imsi); return !ok })
	return req
}

// TS 23.401 §5.3.8.3 (O&M, admin API) and §5.3.8.4 (HSS Cancel-Location,
// subscription withdrawn): DETACH REQUEST to the UE, T3422, DETACH ACCEPT,
// Delete Session, UE Context Release.
func TestNetworkInitiatedDetach(t *testing.T) {
	l := newLab(t, nil)
	e := l.newENB(1)
	t.Run("admin", func(t *testing.T) {
		u := l.newUE(e, 8)
		u.attach()
		rsp, err := http.Post("http://"+l.n.HTTPAddr()+"/subscribers/"+u.imsi+"/detach?reattach=true", "", nil)
		if err != nil {
			t.Fatal(err)
		}
		rsp.Body.Close()
		if rsp.StatusCode != http.StatusAccepted {
			t.Fatalf("admin detach: HTTP %d", rsp.StatusCode)
		}
		if req := u.networkDetach(t); req.DetachType.Type != nas.ReattachRequired {
			t.Errorf("detach type %v, want re-attach required", req.DetachType.Type)
		}
	})
	t.Run("retransmitted", func(t *testing.T) {
		// T3422 (TS 24.301 §5.5.2.3.4 a): DETACH REQUEST is sent again.
		u := l.newUE(e, 9)
		u.attach()
		if err := l.n.Detach(u.imsi, false); err != nil {
			t.Fatal(err)
		}
		expect[*nas.DetachRequestUETerminated](u)
		u.networkDetach(t)
	})
	t.Run("cancel-location", func(t *testing.T) {
		u := l.newUE(e, 10)
		u.attach()
		if err := l.hss.Delete(u.imsi); err != nil {
			t.Fatal(err)
		}
		u.networkDetach(t)
	})
}

// TS 36.413 §8.7.1.2.1, TS 23.401 §5.3.5: RESET of the whole S1 interface
// with a UE attached: RESET ACKNOWLEDGE; the UE goes ECM-IDLE (bearers
// released at the SGW), and stays attached.
func TestS1ResetWithUEAttached(t *testing.T) {
	l := newLab(t, nil)
	e := l.newENB(1)
	u := l.newUE(e, 11)
	u.attach()
	e.send(0, &s1ap.Reset{Cause: s1ap.Cause{Choice: s1ap.CauseChoiceMisc, Misc: s1ap.CauseMiscOmIntervention},
		ResetType: s1ap.ResetType{Choice: s1ap.ResetTypeChoiceS1Interface, S1Interface: s1ap.ResetAllResetAll}})
	if _, ok := e.recv(0).(*s1ap.ResetAcknowledge); !ok {
		t.Fatal("want ResetAcknowledge")
	}
	l.waitState(u.imsi, "EMM-REGISTERED", "ECM-IDLE")
	l.eventually("bearers released at the SGW", func() bool { s, ok := l.sgw.UE(u.imsi); return ok && s.Idle })
	e.none(u.enbID)
	// An idle subscriber is a record in the store, not a machine in memory.
	l.eventually("machine evicted", func() bool { return l.metric("mme_session_machines_cached") == 0 })
}

// TS 36.413 §8.7.1.2.1: RESET of part of the interface names the UE's
// connection; the acknowledge lists it.
func TestS1PartialReset(t *testing.T) {
	l := newLab(t, nil)
	e := l.newENB(1)
	u := l.newUE(e, 12)
	u.attach()
	item := s1ap.UEAssociatedLogicalS1ConnectionItem{MMEUES1APID: s1ap.Some(u.mmeID), ENBUES1APID: s1ap.Some(u.enbID)}
	e.send(0, &s1ap.Reset{Cause: s1ap.Cause{Choice: s1ap.CauseChoiceMisc, Misc: s1ap.CauseMiscOmIntervention},
		ResetType: s1ap.ResetType{Choice: s1ap.ResetTypeChoicePartOfS1Interface, PartOfS1Interface: s1ap.UEAssociatedLogicalS1ConnectionListRes{item}}})
	ack, ok := e.recv(0).(*s1ap.ResetAcknowledge)
	if !ok {
		t.Fatal("want ResetAcknowledge")
	}
	if l, ok := ack.UEAssociatedLogicalS1ConnectionListResAck.Get(); !ok || len(l) != 1 || l[0] != item {
		t.Errorf("acknowledged %+v, want %+v", ack.UEAssociatedLogicalS1ConnectionListResAck, item)
	}
	l.waitState(u.imsi, "EMM-REGISTERED", "ECM-IDLE")
}

// The eNodeB's association goes down: its UEs go ECM-IDLE, not detached
// (TS 23.401 §5.3.5).
func TestAssociationDownUEsGoIdle(t *testing.T) {
	l := newLab(t, nil)
	e := l.newENB(1)
	u := l.newUE(e, 13)
	u.attach()
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	if err := e.a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	l.waitState(u.imsi, "EMM-REGISTERED", "ECM-IDLE")
}

// TS 23.401 §5.3.2.1 (step 12 note), TS 24.301 §5.5.1.2.7 d: ATTACH
// REQUEST from an attached UE: the old context is cleaned up first (old S1
// connection released, old session deleted), then the new attach runs.
func TestReattachOfAttachedUE(t *testing.T) {
	l := newLab(t, nil)
	e := l.newENB(1)
	u := l.newUE(e, 14)
	u.attach()
	oldENB, oldMME := u.enbID, u.mmeID
	oldTEID := func() uint32 { s, _ := l.sgw.UE(u.imsi); return s.SGWTEID }()
	u.sec = nil
	seen, last := u.runAttach(u.encode(u.attachRequest(u.imsiIdentity(), nas.NoKeyAvailable), nas.Plain))
	if _, ok := last.(*nas.AttachAccept); !ok {
		t.Fatalf("re-attach: %v", seen)
	}
	if _, ok := e.recv(oldENB).(*s1ap.UEContextReleaseCommand); !ok {
		t.Fatal("old S1 connection not released")
	}
	e.send(1, &s1ap.UEContextReleaseComplete{MMEUES1APID: oldMME, ENBUES1APID: oldENB})
	u.waitAttached()
	if s, _ := l.sgw.UE(u.imsi); s.SGWTEID == oldTEID {
		t.Errorf("the old session (SGW TEID %#x) was not replaced", oldTEID)
	}
}

// TS 24.301 §9.9.3.12A: with emergency bearer services not configured,
// ATTACH ACCEPT's EPS network feature support says EMC BS = 0.
func TestAttachAcceptNoEmergencyBearerServices(t *testing.T) {
	l := newLab(t, nil)
	e := l.newENB(1)
	u := l.newUE(e, 15)
	acc := u.attach()
	if acc.EPSNetworkFeatureSupport == nil {
		t.Fatal("no EPS network feature support IE")
	}
	if acc.EPSNetworkFeatureSupport.EMCBS() {
		t.Error("EMC BS set: emergency bearer services are not supported")
	}
}

// TS 24.301 §5.5.1.3.4: attach with a GUTI this MME allocated and an
// integrity-protected ATTACH REQUEST that verifies: the native context is
// reused (no EPS-AKA).
func TestAttachKnownGUTIReusesContext(t *testing.T) {
	l := newLab(t, nil)
	e := l.newENB(1)
	u := l.newUE(e, 16)
	u.attach()
	u.detach(true)
	u.releaseComplete()
	l.waitState(u.imsi, "EMM-DEREGISTERED", "ECM-IDLE")
	u.kenbUL = u.sec.ULCount()
	seen, last := u.runAttach(u.encode(u.attachRequest(nas.EPSMobileIdentity{Type: nas.EPSIdentityGUTI, GUTI: *u.guti}, u.ksi), nas.IntegrityProtected))
	if _, ok := last.(*nas.AttachAccept); !ok {
		t.Fatalf("attach by known GUTI: %v", seen)
	}
	for _, s := range seen {
		if s == "AuthenticationRequest" || s == "IdentityRequest" {
			t.Errorf("messages %v: the native context should be reused", seen)
		}
	}
	u.waitAttached()
}
