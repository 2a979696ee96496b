package node_test

import (
	"net/netip"
	"time"

	"encoding/json"
	"github.com/lte-mme/mme/gtp/s11"
	"github.com/lte-mme/mme/lab/sgw"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/node"
	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/supervision"
)

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	rsp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer rsp.Body.Close()
	b, err := io.ReadAll(rsp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return rsp.StatusCode, string(b)
}

// The operations endpoint: /healthz, /readyz (HSS peer open), /metrics in
// the Prometheus text format from the node's own registry, the admin API
// (subscriber view, unknown IMSI 404), /crashes.
func TestOperationsEndpoint(t *testing.T) {
	l := newLab(t, nil)
	e := l.newENB(1)
	u := l.newUE(e, 1)
	u.attach()
	base := "http://" + l.n.HTTPAddr()
	if code, body := httpGet(t, base+"/healthz"); code != 200 || body != "ok\n" {
		t.Errorf("/healthz: %d %q", code, body)
	}
	if code, body := httpGet(t, base+"/readyz"); code != 200 || body != "ready\n" {
		t.Errorf("/readyz: %d %q", code, body)
	}
	code, body := httpGet(t, base+"/metrics")
	for _, want := range []string{`mme_procedure_successes_total{procedure="attach"} 1`, "mme_ues_attached 1", "mme_ues_connected 1",
		`mme_s1ap_messages_total{direction="in",message="S1SetupRequest"} 1`, "mme_procedure_duration_seconds_bucket", "go_goroutines"} {
		if code != 200 || !strings.Contains(body, want) {
			t.Errorf("/metrics: %d, no %q", code, want)
		}
	}
	code, body = httpGet(t, base+"/subscribers/"+u.imsi)
	var v node.SubscriberView
	if err := json.Unmarshal([]byte(body), &v); code != 200 || err != nil {
		t.Fatalf("/subscribers: %d %v %s", code, err, body)
	}
	if v.IMSI != u.imsi || v.EMM != "EMM-REGISTERED" || v.ECM != "ECM-CONNECTED" || v.GUTI == "" || len(v.PDNs) != 1 || !v.Security {
		t.Errorf("subscriber view %+v", v)
	}
	if code, _ := httpGet(t, base+"/subscribers/001019999999999"); code != http.StatusNotFound {
		t.Errorf("unknown IMSI: HTTP %d, want 404", code)
	}
	if code, body := httpGet(t, base+"/crashes"); code != 200 || strings.TrimSpace(body) != "[]" {
		t.Errorf("/crashes: %d %q", code, body)
	}
}

// TS 36.413 §10.6: a UE-associated message naming an unknown
// MME-UE-S1AP-ID → ERROR INDICATION (unknown-mme-ue-s1ap-id) with the IDs.
// §10.2: an undecodable PDU → ERROR INDICATION (transfer-syntax-error).
func TestErrorIndicationForUnknownUEAndSyntaxError(t *testing.T) {
	l := newLab(t, nil)
	e := l.newENB(1)
	e.send(1, &s1ap.UplinkNASTransport{MMEUES1APID: 4242, ENBUES1APID: 7, NASPDU: s1ap.NASPDU{0x07, 0x48},
		EUTRANCGI: e.cgi(), TAI: e.tai()})
	ei, ok := e.recv(0).(*s1ap.ErrorIndication)
	if !ok {
		t.Fatal("want ErrorIndication")
	}
	if c, _ := ei.Cause.Get(); c.Choice != s1ap.CauseChoiceRadioNetwork || c.RadioNetwork != s1ap.CauseRadioNetworkUnknownMmeUeS1apId {
		t.Errorf("cause %+v", c)
	}
	if id, _ := ei.MMEUES1APID.Get(); id != 4242 {
		t.Errorf("MME-UE-S1AP-ID %d, want 4242", id)
	}
	if err := e.a.Send(0, 18, []byte{0x00, 0x0d, 0x40, 0xff, 0xff}); err != nil {
		t.Fatal(err)
	}
	ei, ok = e.recv(0).(*s1ap.ErrorIndication)
	if !ok {
		t.Fatal("want ErrorIndication for the undecodable PDU")
	}
	if c, _ := ei.Cause.Get(); c.Choice != s1ap.CauseChoiceProtocol || c.Protocol != s1ap.CauseProtocolTransferSyntaxError {
		t.Errorf("cause %+v, want transfer-syntax-error", c)
	}
}

// TS 36.413 §8.7.4: ENB CONFIGURATION UPDATE with served TAs is
// acknowledged; with no served PLMN it fails (unknown-PLMN).
func TestENBConfigurationUpdate(t *testing.T) {
	l := newLab(t, nil)
	e := l.newENB(1)
	e.send(0, &s1ap.ENBConfigurationUpdate{ENBname: s1ap.Some(s1ap.ENBname("renamed")),
		SupportedTAs: s1ap.Some(e.setupRequest(labPLMN, labPLMN, 2).SupportedTAs)})
	if _, ok := e.recv(0).(*s1ap.ENBConfigurationUpdateAcknowledge); !ok {
		t.Fatal("want ENBConfigurationUpdateAcknowledge")
	}
	foreign := e.setupRequest(labPLMN, labPLMN, 2).SupportedTAs
	foreign[0].BroadcastPLMNs[0] = s1ap.PLMNidentity{0x62, 0xf2, 0x24}
	e.send(0, &s1ap.ENBConfigurationUpdate{SupportedTAs: s1ap.Some(foreign)})
	f, ok := e.recv(0).(*s1ap.ENBConfigurationUpdateFailure)
	if !ok {
		t.Fatal("want ENBConfigurationUpdateFailure")
	}
	if f.Cause.Misc != s1ap.CauseMiscUnknownPLMN {
		t.Errorf("cause %+v", f.Cause)
	}
}

// A node restarted on the same store restores its subscribers: the UE is
// still attached (ECM-IDLE: its S1 connection did not survive), its S11
// TEID still routes, and it attaches again by GUTI with its native
// security context (no EPS-AKA).
func TestRestartRestoresSubscribers(t *testing.T) {
	dir := t.TempDir()
	l := newLab(t, func(c *node.Config) { c.Store.Dir = dir })
	e := l.newENB(1)
	u := l.newUE(e, 1)
	u.attach()
	teid := l.subscriber(u.imsi).S11TEID
	l.stopNode()
	l.startNode()
	l.waitState(u.imsi, "EMM-REGISTERED", "ECM-IDLE")
	if v := l.subscriber(u.imsi); v.S11TEID != teid || v.GUTI == "" {
		t.Errorf("restored view %+v, want S11 TEID %#x and the GUTI", v, teid)
	}
	if got := l.metric("mme_ues_attached"); got != 1 {
		t.Errorf("attached gauge %v after restore, want 1", got)
	}
	e2 := l.newENB(2)
	u.enb = e2
	u.kenbUL = u.sec.ULCount()
	seen, last := u.runAttach(u.encode(u.attachRequest(nas.EPSMobileIdentity{Type: nas.EPSIdentityGUTI, GUTI: *u.guti}, u.ksi), nas.IntegrityProtected))
	if _, ok := last.(*nas.AttachAccept); !ok {
		t.Fatalf("attach after restart: %v", seen)
	}
	for _, s := range seen {
		if s == "AuthenticationRequest" {
			t.Errorf("messages %v: the stored native context should be reused", seen)
		}
	}
	u.waitAttached()
}

// TS 24.301 §5.3.5, TS 23.401 §5.3.8.3: an idle UE that is not heard of
// for mobile reachable + implicit detach is detached implicitly (session
// deleted at the SGW, no NAS).
func TestImplicitDetach(t *testing.T) {
	l := newLab(t, func(c *node.Config) {
		c.NAS.MobileReachable, c.NAS.ImplicitDetach = 100*time.Millisecond, 100*time.Millisecond
	})
	e := l.newENB(1)
	u := l.newUE(e, 1)
	u.attach()
	e.send(1, &s1ap.UEContextReleaseRequest{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID,
		Cause: s1ap.Cause{Choice: s1ap.CauseChoiceRadioNetwork, RadioNetwork: s1ap.CauseRadioNetworkUserInactivity}})
	u.releaseComplete()
	l.waitState(u.imsi, "EMM-DEREGISTERED", "ECM-IDLE")
	l.eventually("session deleted at the SGW", func() bool { _, ok := l.sgw.UE(u.imsi); return !ok })
	e.none(u.enbID)
	if got := l.metric("mme_procedure_successes_total", "procedure", "detach_implicit"); got != 1 {
		t.Errorf("implicit detaches %v, want 1", got)
	}
}

// TS 23.007 §16.1.1: the SGW restarts (its Recovery changes in Echo): the
// MME deletes the PDN connections through it and detaches the connected
// UE with "re-attach required".
func TestSGWRestartDetachesUE(t *testing.T) {
	l := newLab(t, func(c *node.Config) { c.S11.EchoInterval = 50 * time.Millisecond })
	e := l.newENB(1)
	u := l.newUE(e, 1)
	u.attach()
	addr := l.sgw.Addr()
	if err := l.sgw.Close(); err != nil {
		t.Fatal(err)
	}
	sg, err := sgw.New(sgw.Config{Listen: addr.String(), UEPoolV4: netip.MustParsePrefix("10.45.0.0/16"), Logger: quiet,
		S11: s11.Config{RestartCounter: 77}})
	if err != nil {
		t.Fatal(err)
	}
	l.sgw = sg
	req := expect[*nas.DetachRequestUETerminated](u)
	if req.DetachType.Type != nas.ReattachRequired {
		t.Errorf("detach type %v, want re-attach required", req.DetachType.Type)
	}
	u.uplink(&nas.DetachAccept{}, nas.IntegrityProtectedCiphered)
	u.releaseComplete()
	l.waitState(u.imsi, "EMM-DEREGISTERED", "ECM-IDLE")
	if got := l.metric("mme_sgw_lost_total"); got < 1 {
		t.Errorf("SGW lost %v", got)
	}
}

// TS 36.413 §8.7.5: a configuration reload (SIGHUP) that changes the
// relative capacity or the served TAIs is announced to every eNodeB with
// MME CONFIGURATION UPDATE; changes that need a restart are refused.
func TestReloadSendsMMEConfigurationUpdate(t *testing.T) {
	l := newLab(t, nil)
	e := l.newENB(1)
	cfg := l.cfg
	capacity := 10
	cfg.RelativeCapacity = &capacity
	cfg.TAIs = append(cfg.TAIs, node.TAIConfig{TAC: 9})
	if err := l.n.Reload(cfg); err != nil {
		t.Fatal(err)
	}
	u, ok := e.recv(0).(*s1ap.MMEConfigurationUpdate)
	if !ok {
		t.Fatal("want MMEConfigurationUpdate")
	}
	if c, _ := u.RelativeMMECapacity.Get(); c != 10 {
		t.Errorf("relative capacity %d, want 10", c)
	}
	e.send(0, &s1ap.MMEConfigurationUpdateAcknowledge{})
	bad := cfg
	bad.MMEC = 7
	if err := l.n.Reload(bad); err == nil {
		t.Error("a new MME code was accepted without a restart")
	}
}

// Let it crash, only the one subscriber (docs/design/node.md "Restart and
// supervision"): a step that panics leaves a crash report (key, states,
// event; the IMSI redacted), the subscriber is reloaded from its stored
// record and keeps working; other subscribers are not affected.
func TestCrashOfAStepIsIsolated(t *testing.T) {
	faults := supervision.NewFaultInjector(nil, nil)
	l := newLab(t, nil, node.Options{Faults: faults})
	e := l.newENB(1)
	u, other := l.newUE(e, 1), l.newUE(e, 2)
	u.attach()
	other.attach()
	faults.CrashKey(supervision.Key(l.subscriber(u.imsi).Key))
	u.detach(false) // this step crashes: the DETACH REQUEST is lost
	l.eventually("crash report", func() bool { r, _ := l.n.Crashes().List(0); return len(r) == 1 })
	reps, _ := l.n.Crashes().List(0)
	r := reps[0]
	if r.Reason != supervision.ReasonFaultInjection || !strings.Contains(r.State, "EMM-REGISTERED") ||
		strings.Contains(r.State, u.imsi) || r.Event == "" {
		t.Errorf("crash report %+v", r)
	}
	l.waitState(u.imsi, "EMM-REGISTERED", "")
	u.detach(false) // the UE retransmits (T3421): the reloaded machine answers
	expect[*nas.DetachAccept](u)
	u.releaseComplete()
	l.waitState(u.imsi, "EMM-DEREGISTERED", "ECM-IDLE")
	other.detach(false)
	expect[*nas.DetachAccept](other)
	other.releaseComplete()
}

// Overload (TS 24.301 §5.5.1.2.5, TS 36.413 §8.7.6): with no admission
// headroom (a one-event mailbox) every ATTACH REQUEST is rejected with #22
// congestion and T3346, the connection released with
// control-processing-overload, and the eNodeBs get OVERLOAD START.
func TestOverloadRejectsAttachWithCongestion(t *testing.T) {
	l := newLab(t, func(c *node.Config) { c.Actors.Workers, c.Actors.Mailbox = 1, 1 })
	e := l.newENB(1)
	u := l.newUE(e, 1)
	seen, last := u.runAttach(u.encode(u.attachRequest(u.imsiIdentity(), nas.NoKeyAvailable), nas.Plain))
	rej, ok := last.(*nas.AttachReject)
	if !ok {
		t.Fatalf("got %v, want AttachReject", seen)
	}
	if rej.EMMCause != nas.EMMCauseCongestion || rej.T3346Value == nil {
		t.Errorf("ATTACH REJECT cause %v T3346 %v, want #22 with T3346", rej.EMMCause, rej.T3346Value)
	}
	m, _ := u.recv()
	rc, ok := m.(*s1ap.UEContextReleaseCommand)
	if !ok || rc.Cause.Misc != s1ap.CauseMiscControlProcessingOverload {
		t.Fatalf("got %s, want UEContextReleaseCommand (control-processing-overload)", m.MessageName())
	}
	e.send(1, &s1ap.UEContextReleaseComplete{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID})
	if _, ok := e.recv(0).(*s1ap.OverloadStart); !ok {
		t.Fatal("want OverloadStart")
	}
	if got := l.metric("mme_overload_rejects_total"); got != 1 {
		t.Errorf("overload rejects %v, want 1", got)
	}
}

// Overload (TS 24.301 §5.6.1.5, TS 36.413 §8.7.6): a SERVICE REQUEST (the
// short format, security header type 12) refused at admission gets SERVICE
// REJECT #22 congestion with T3346 before the connection is released with
// control-processing-overload; found by `mme demo --mix-rate 4000`, where
// such UEs saw only the release.
func TestOverloadRejectsServiceRequestWithCongestion(t *testing.T) {
	l := newLab(t, func(c *node.Config) { c.Actors.Workers, c.Actors.Mailbox = 1, 1 })
	e := l.newENB(1)
	u := l.newUE(e, 1)
	u.guti = &nas.GUTI{MMECode: 1, MTMSI: 0xc0000042}
	pdu, err := nas.AppendServiceRequest(nil, &nas.ServiceRequest{KSI: 0, SequenceNumber: 3, ShortMAC: [2]byte{0x12, 0x34}})
	if err != nil {
		t.Fatal(err)
	}
	u.initialSTMSI(pdu, s1ap.RRCEstablishmentCauseMoData)
	_, msg := u.recv()
	rej, ok := msg.(*nas.ServiceReject)
	if !ok {
		t.Fatalf("got %v, want ServiceReject", msg)
	}
	if rej.EMMCause != nas.EMMCauseCongestion || rej.T3346Value == nil {
		t.Errorf("SERVICE REJECT cause %v T3346 %v, want #22 with T3346", rej.EMMCause, rej.T3346Value)
	}
	m, _ := u.recv()
	rc, ok := m.(*s1ap.UEContextReleaseCommand)
	if !ok || rc.Cause.Misc != s1ap.CauseMiscControlProcessingOverload {
		t.Fatalf("got %s, want UEContextReleaseCommand (control-processing-overload)", m.MessageName())
	}
	e.send(1, &s1ap.UEContextReleaseComplete{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID})
}

// TS 36.413 §8.3.2 under overload: a UE CONTEXT RELEASE REQUEST whose
// subscriber's mailbox stays full is answered by the node itself with UE
// CONTEXT RELEASE COMMAND (the eNodeB's context is not stranded); the
// completion then reaches the subscriber, which goes ECM-IDLE and releases
// its S1-U tunnels at the SGW. Found by `mme demo --mix-rate 4000`, where
// such requests were dropped after 20 ms and never answered.
func TestReleaseRequestAnsweredWhileMailboxFull(t *testing.T) {
	l := newLab(t, func(c *node.Config) { c.Actors.Workers, c.Actors.Mailbox = 1, 16 })
	e := l.newENB(1)
	u := l.newUE(e, 1)
	u.attach()
	release, err := l.n.StallActorOf(u.imsi)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release) // before the lab stops the node, should the test fail
	cause := s1ap.Cause{Choice: s1ap.CauseChoiceRadioNetwork, RadioNetwork: s1ap.CauseRadioNetworkUserInactivity}
	e.send(1, &s1ap.UEContextReleaseRequest{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID, Cause: cause})
	m, _ := u.recv()
	rc, ok := m.(*s1ap.UEContextReleaseCommand)
	if !ok {
		t.Fatalf("got %s, want UEContextReleaseCommand", m.MessageName())
	}
	if rc.Cause != cause {
		t.Errorf("release command cause %+v, want the request's %+v", rc.Cause, cause)
	}
	if got := l.metric("mme_dropped_total", "reason", "s1_release_request_answered_by_node"); got != 1 {
		t.Errorf("releases answered by the node %v, want 1", got)
	}
	release()
	e.send(1, &s1ap.UEContextReleaseComplete{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID})
	l.waitState(u.imsi, "EMM-REGISTERED", "ECM-IDLE")
	l.eventually("bearers released at the SGW", func() bool { s, ok := l.sgw.UE(u.imsi); return ok && s.Idle })
}
