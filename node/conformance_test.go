package node_test

import (
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
}
