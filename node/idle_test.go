package node_test

import (
	"context"
	"testing"
	"time"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/node"
	"github.com/lte-mme/mme/s1ap"
)

// Idle mode over real sockets (issue #9): S1 release, service request,
// paging, TAU, GUTI reallocation, S1 Reset and restart followed by a
// service request.

// sTMSI is the S-TMSI of the UE's GUTI (TS 23.003 §2.9).
func (u *testUE) sTMSI() s1ap.STMSI {
	g := u.guti
	return s1ap.STMSI{MMEC: s1ap.MMECode{g.MMECode}, MTMSI: s1ap.MTMSI{byte(g.MTMSI >> 24), byte(g.MTMSI >> 16), byte(g.MTMSI >> 8), byte(g.MTMSI)}}
}

// initialSTMSI sends INITIAL UE MESSAGE with the UE's S-TMSI on a new
// connection (TS 36.413 §9.1.7.1: present when the UE is registered).
func (u *testUE) initialSTMSI(pdu []byte, cause s1ap.RRCEstablishmentCause) {
	u.t.Helper()
	u.enb.mu.Lock()
	u.enb.nextID++
	u.enbID = u.enb.nextID
	u.enb.mu.Unlock()
	u.mmeID = 0
	u.enb.send(1, &s1ap.InitialUEMessage{ENBUES1APID: u.enbID, NASPDU: pdu, TAI: u.enb.tai(), EUTRANCGI: u.enb.cgi(),
		RRCEstablishmentCause: cause, STMSI: s1ap.Some(u.sTMSI())})
}

// inactivityRelease runs the eNodeB-initiated S1 release (TS 23.401
// §5.3.5): the UE ends ECM-IDLE with its bearers released at the SGW.
func (u *testUE) inactivityRelease() {
	u.t.Helper()
	u.enb.send(1, &s1ap.UEContextReleaseRequest{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID,
		Cause: s1ap.Cause{Choice: s1ap.CauseChoiceRadioNetwork, RadioNetwork: s1ap.CauseRadioNetworkUserInactivity}})
	u.releaseComplete()
	u.l.waitState(u.imsi, "EMM-REGISTERED", "ECM-IDLE")
	u.l.eventually("bearers released at the SGW", func() bool { s, ok := u.l.sgw.UE(u.imsi); return ok && s.Idle })
}

// serviceRequest sends SERVICE REQUEST (short format) from ECM-IDLE and,
// as the eNodeB, sets up what INITIAL CONTEXT SETUP REQUEST asks, checking
// K_eNB against the UE's (TS 33.401 A.3: from the request's UL COUNT).
func (u *testUE) serviceRequest(cause s1ap.RRCEstablishmentCause) {
	u.t.Helper()
	pdu, count, err := u.sec.ProtectServiceRequest(nil)
	if err != nil {
		u.t.Fatal(err)
	}
	u.initialSTMSI(pdu, cause)
	u.kenbUL = count
	u.answerICS()
}

// answerICS receives INITIAL CONTEXT SETUP REQUEST (no NAS), checks
// K_eNB, answers with an S1-U F-TEID per E-RAB, and waits until the SGW
// has the downlink path.
func (u *testUE) answerICS() { u.t.Helper(); u.answerICSWith(nil) }

// answerICSWith is answerICS with check run on the request first.
func (u *testUE) answerICSWith(check func(*s1ap.InitialContextSetupRequest)) {
	u.t.Helper()
	m, _ := u.recv()
	ics, ok := m.(*s1ap.InitialContextSetupRequest)
	if !ok {
		u.t.Fatalf("got %s, want InitialContextSetupRequest", m.MessageName())
	}
	if check != nil {
		check(ics)
	}
	if got, want := ics.SecurityKey, u.sec.KENB(u.kenbUL); got != s1ap.SecurityKey(want) {
		u.t.Errorf("K_eNB differs from the UE's (UL COUNT %d)", u.kenbUL)
	}
	rsp := &s1ap.InitialContextSetupResponse{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID}
	for _, it := range ics.ERABToBeSetupListCtxtSUReq {
		rsp.ERABSetupListCtxtSURes = append(rsp.ERABSetupListCtxtSURes, s1ap.ERABSetupItemCtxtSURes{ERABID: it.ERABID,
			TransportLayerAddress: s1ap.TransportLayerAddress{Bytes: []byte{127, 0, 0, 1}, Len: 32},
			GTPTEID:               s1ap.GTPTEID{0, 1, byte(u.enbID >> 8), byte(u.enbID)}})
	}
	u.enb.send(1, rsp)
	u.waitAttached()
	u.l.eventually("SGW out of idle", func() bool { s, ok := u.l.sgw.UE(u.imsi); return ok && !s.Idle })
}

// tau sends TRACKING AREA UPDATE REQUEST from ECM-IDLE (integrity
// protected, S-TMSI in INITIAL UE MESSAGE).
func (u *testUE) tau(typ nas.EPSUpdateTypeValue, active bool) {
	u.t.Helper()
	u.kenbUL = u.sec.ULCount()
	u.initialSTMSI(u.encode(&nas.TrackingAreaUpdateRequest{EPSUpdateType: nas.EPSUpdateType{Active: active, Value: typ},
		NASKeySetIdentifier: nas.NASKeySetIdentifier{KSI: u.ksi}, OldGUTI: *u.guti,
		UENetworkCapability: nas.UENetworkCapability{0xe0, 0xe0}}, nas.IntegrityProtected), s1ap.RRCEstablishmentCauseMoSignalling)
}

// TS 36.413 §8.3.2, TS 23.401 §5.3.5 then §5.3.4.1: S1 release for user
// inactivity (Release Access Bearers), then SERVICE REQUEST: ICS with the
// bearer and K_eNB from the request's COUNT, Modify Bearer with the
// eNodeB F-TEID; then again with EXTENDED SERVICE REQUEST.
func TestIdleThenServiceRequest(t *testing.T) {
	l := newLab(t, nil)
	e := l.newENB(1)
	u := l.newUE(e, 1)
	u.attach()
	u.inactivityRelease()
	u.serviceRequest(s1ap.RRCEstablishmentCauseMoData)
	u.inactivityRelease()

	u.kenbUL = u.sec.ULCount()
	u.initialSTMSI(u.encode(&nas.ExtendedServiceRequest{ServiceType: nas.PacketServicesViaS1, NASKeySetIdentifier: nas.NASKeySetIdentifier{KSI: u.ksi},
		MTMSI: nas.MobileIdentity{Type: nas.MobileIdentityTMSI, TMSI: u.guti.MTMSI}}, nas.IntegrityProtected), s1ap.RRCEstablishmentCauseMoData)
	u.answerICS()
	l.eventually("second service request done", func() bool {
		return l.metric("mme_procedure_successes_total", "procedure", "service_request") == 2
	})
	for _, c := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"mme_procedure_successes_total", []string{"procedure", "service_request"}, 2},
		{"mme_procedure_successes_total", []string{"procedure", "s1_release"}, 2},
		{"mme_s11_messages_total", []string{"direction", "out", "message", "Release Access Bearers Request"}, 2},
		{"mme_s11_messages_total", []string{"direction", "out", "message", "Modify Bearer Request"}, 3},
	} {
		if got := l.metric(c.name, c.labels...); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
}

// TS 24.301 §5.6.1.5: SERVICE REJECT #9 for an S-TMSI the MME does not
// know; the connection is released.
func TestServiceReject(t *testing.T) {
	l := newLab(t, nil)
	e := l.newENB(1)
	stranger := l.newUE(e, 2)
	stranger.guti = &nas.GUTI{PLMN: labPLMN, MMEGroupID: 0x8001, MMECode: 1, MTMSI: 0x0badcafe}
	stranger.initialSTMSI([]byte{0xc7, 0x05, 0x12, 0x34}, s1ap.RRCEstablishmentCauseMoData)
	if rej := expect[*nas.ServiceReject](stranger); rej.EMMCause != nas.EMMCauseUEIdentityCannotBeDerived {
		t.Errorf("unknown S-TMSI: cause %v, want #9", rej.EMMCause)
	}
	stranger.releaseComplete()
	if got := l.metric("mme_procedure_failures_total", "procedure", "service_request"); got != 1 {
		t.Errorf("service request failures %v, want 1", got)
	}
}

// reauthenticate answers the AUTHENTICATION REQUEST and SECURITY MODE
// COMMAND of a re-authentication (TS 24.301 §5.4.2, §5.4.3) with the
// UE's USIM; afterwards the UE uses the new context.
func (u *testUE) reauthenticate() {
	u.t.Helper()
	if err := u.authenticate(expect[*nas.AuthenticationRequest](u)); err != nil {
		u.t.Fatalf("AKA: %v", err)
	}
	u.securityMode(expect[*nas.SecurityModeCommand](u))
}

// TS 24.301 §5.6.1.4, §4.4.4.3: a SERVICE REQUEST whose short MAC does not
// verify, from a UE known by its S-TMSI: the MME authenticates it (AIR to
// the HSS, AUTHENTICATION REQUEST, SECURITY MODE COMMAND) and then sets up
// the bearers with K_eNB from the new context (the SMC COMPLETE's COUNT).
func TestServiceRequestReauthentication(t *testing.T) {
	l := newLab(t, nil)
	u := l.newUE(l.newENB(1), 1)
	u.attach()
	u.inactivityRelease()
	pdu, _, err := u.sec.ProtectServiceRequest(nil)
	if err != nil {
		t.Fatal(err)
	}
	pdu[3] ^= 0x5a // short MAC
	oldKSI := u.ksi
	u.initialSTMSI(pdu, s1ap.RRCEstablishmentCauseMoData)
	u.reauthenticate()
	if u.ksi == oldKSI {
		t.Errorf("re-authentication kept eKSI %d", u.ksi)
	}
	u.answerICS()
	l.eventually("service request done", func() bool {
		return l.metric("mme_procedure_successes_total", "procedure", "service_request") == 1
	})
	// The new context is the one the MME keeps: the next (valid) service
	// request verifies with it.
	u.inactivityRelease()
	u.serviceRequest(s1ap.RRCEstablishmentCauseMoData)
}

// TS 24.301 §5.5.3.2.4: a TRACKING AREA UPDATE REQUEST that fails the
// integrity check (sent without protection here): authentication and
// security mode control, then TAU ACCEPT protected with the new context;
// TAU COMPLETE, and the MME releases the connection (no active flag).
func TestTAUReauthentication(t *testing.T) {
	l := newLab(t, nil)
	u := l.newUE(l.newENB(1), 1)
	u.attach()
	u.inactivityRelease()
	u.initialSTMSI(u.encode(&nas.TrackingAreaUpdateRequest{EPSUpdateType: nas.EPSUpdateType{Value: nas.PeriodicUpdating},
		NASKeySetIdentifier: nas.NASKeySetIdentifier{KSI: u.ksi}, OldGUTI: *u.guti,
		UENetworkCapability: nas.UENetworkCapability{0xe0, 0xe0}}, nas.Plain), s1ap.RRCEstablishmentCauseMoSignalling)
	u.reauthenticate()
	acc := expect[*nas.TrackingAreaUpdateAccept](u)
	if acc.GUTI == nil {
		t.Fatal("TAU ACCEPT without a GUTI")
	}
	u.guti = acc.GUTI
	u.uplink(&nas.TrackingAreaUpdateComplete{}, nas.IntegrityProtectedCiphered)
	u.releaseComplete()
	l.waitState(u.imsi, "EMM-REGISTERED", "ECM-IDLE")
	if got := l.metric("mme_procedure_successes_total", "procedure", "tau"); got != 1 {
		t.Errorf("TAU successes %v, want 1", got)
	}
	u.serviceRequest(s1ap.RRCEstablishmentCauseMoData)
}

// TS 23.401 §5.3.4.3: downlink data for an idle UE: the SGW's Downlink
// Data Notification is acknowledged, the MME pages (S-TMSI, TAI list, CN
// domain PS) every eNodeB serving the UE's TAIs; the UE's SERVICE REQUEST
// (mt-Access) ends the paging and the bearers come back.
func TestPagingThenServiceRequest(t *testing.T) {
	l := newLab(t, nil)
	e := l.newENB(1)
	other := l.newENB(2)
	u := l.newUE(e, 1)
	u.attach()
	u.inactivityRelease()
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	if c, err := l.sgw.DownlinkData(ctx, u.imsi); err != nil {
		t.Fatalf("DDN: cause %v, %v", c, err)
	}
	for _, enb := range []*testENB{e, other} {
		p, ok := enb.recv(0).(*s1ap.Paging)
		if !ok {
			t.Fatal("want Paging")
		}
		if p.UEPagingID.Choice != s1ap.UEPagingIDChoiceSTMSI || p.UEPagingID.STMSI != u.sTMSI() || p.CNDomain != s1ap.CNDomainPs {
			t.Errorf("paging identity %+v domain %v", p.UEPagingID, p.CNDomain)
		}
		if len(p.TAIList) == 0 || p.TAIList[0].TAI != e.tai() {
			t.Errorf("paging TAI list %+v", p.TAIList)
		}
	}
	u.serviceRequest(s1ap.RRCEstablishmentCauseMtAccess)
	if s, _ := l.sgw.UE(u.imsi); s.DDNPending {
		t.Error("the SGW still waits for the UE")
	}
	if got := l.metric("mme_procedure_successes_total", "procedure", "paging"); got != 1 {
		t.Errorf("paging successes %v, want 1", got)
	}
}

// TS 24.301 §5.6.2.2.2, TS 29.274 §7.2.11.3: a UE that does not answer is
// paged again on T3413, then the SGW gets Downlink Data Notification
// Failure Indication (UE not responding).
func TestPagingNoAnswerFailureIndication(t *testing.T) {
	l := newLab(t, func(c *node.Config) { c.NAS.T3413, c.NAS.PagingAttempts = 100*time.Millisecond, 2 })
	e := l.newENB(1)
	u := l.newUE(e, 1)
	u.attach()
	u.inactivityRelease()
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	if _, err := l.sgw.DownlinkData(ctx, u.imsi); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		if _, ok := e.recv(0).(*s1ap.Paging); !ok {
			t.Fatalf("paging %d: want Paging", i+1)
		}
	}
	l.eventually("failure indication at the SGW", func() bool { s, ok := l.sgw.UE(u.imsi); return ok && !s.DDNPending })
	l.eventually("paging failure counted", func() bool {
		return l.metric("mme_procedure_failures_total", "procedure", "paging") == 1
	})
	e.none(0)
}

// TS 24.301 §5.5.3.2, TS 23.401 §5.3.3.2: periodic TAU after attach, from
// ECM-IDLE: TAU ACCEPT with a new GUTI and TAI list, TAU COMPLETE, and the
// MME releases the connection; the UE stays registered with the new GUTI.
// Then a normal TAU with the active flag sets the bearers up.
func TestPeriodicTAUAfterAttach(t *testing.T) {
	l := newLab(t, nil)
	e := l.newENB(1)
	u := l.newUE(e, 1)
	u.attach()
	u.inactivityRelease()
	old := *u.guti
	u.tau(nas.PeriodicUpdating, false)
	acc := expect[*nas.TrackingAreaUpdateAccept](u)
	if acc.GUTI == nil || *acc.GUTI == old || acc.T3412Value == nil || len(acc.TAIList) == 0 {
		t.Fatalf("TAU ACCEPT %+v: want a new GUTI, T3412 and a TAI list", acc)
	}
	u.guti = acc.GUTI
	u.uplink(&nas.TrackingAreaUpdateComplete{}, nas.IntegrityProtectedCiphered)
	u.releaseComplete()
	l.waitState(u.imsi, "EMM-REGISTERED", "ECM-IDLE")
	l.eventually("new GUTI stored", func() bool {
		return l.subscriber(u.imsi).GUTI != "" && l.subscriber(u.imsi).GUTI != l.subscriberGUTI(old)
	})

	u.tau(nas.TAUpdating, true)
	acc = expect[*nas.TrackingAreaUpdateAccept](u)
	u.guti = acc.GUTI
	u.uplink(&nas.TrackingAreaUpdateComplete{}, nas.IntegrityProtectedCiphered)
	u.answerICS()
	l.eventually("two TAUs done", func() bool { return l.metric("mme_procedure_successes_total", "procedure", "tau") == 2 })
	// The new GUTI routes: a service request with its S-TMSI works.
	u.inactivityRelease()
	u.serviceRequest(s1ap.RRCEstablishmentCauseMoData)
}

// subscriberGUTI renders a GUTI as the admin view does.
func (l *lab) subscriberGUTI(g nas.GUTI) string { return g.String() }

// TS 24.301 §5.5.3.2.5: TAU with a GUTI this MME never allocated: TAU
// REJECT #9 (UE identity cannot be derived) and the connection released.
func TestTAUUnknownGUTIRejected(t *testing.T) {
	l := newLab(t, nil)
	e := l.newENB(1)
	u := l.newUE(e, 3)
	u.guti = &nas.GUTI{PLMN: labPLMN, MMEGroupID: 0x8001, MMECode: 1, MTMSI: 0x0badf00d}
	u.initialSTMSI(u.encode(&nas.TrackingAreaUpdateRequest{EPSUpdateType: nas.EPSUpdateType{Value: nas.PeriodicUpdating},
		NASKeySetIdentifier: nas.NASKeySetIdentifier{KSI: nas.NoKeyAvailable}, OldGUTI: *u.guti}, nas.Plain), s1ap.RRCEstablishmentCauseMoSignalling)
	if rej := expect[*nas.TrackingAreaUpdateReject](u); rej.EMMCause != nas.EMMCauseUEIdentityCannotBeDerived {
		t.Errorf("cause %v, want #9", rej.EMMCause)
	}
	u.releaseComplete()
	if got := l.metric("mme_procedure_failures_total", "procedure", "tau"); got != 1 {
		t.Errorf("TAU failures %v, want 1", got)
	}
}

// TS 24.301 §5.4.1: GUTI reallocation by policy (every service request
// here): GUTI REALLOCATION COMMAND after the service request, T3450
// retransmits it once, GUTI REALLOCATION COMPLETE ends it.
func TestGUTIReallocationAfterServiceRequest(t *testing.T) {
	l := newLab(t, func(c *node.Config) { c.NAS.GUTIReallocation = 1 })
	e := l.newENB(1)
	u := l.newUE(e, 1)
	u.attach()
	u.inactivityRelease()
	u.serviceRequest(s1ap.RRCEstablishmentCauseMoData)
	cmd := expect[*nas.GUTIReallocationCommand](u)
	again := expect[*nas.GUTIReallocationCommand](u) // T3450 (300 ms in the lab)
	if cmd.GUTI == *u.guti || again.GUTI != cmd.GUTI {
		t.Fatalf("GUTI %v then %v (old %v)", cmd.GUTI, again.GUTI, *u.guti)
	}
	u.guti = &cmd.GUTI
	u.uplink(&nas.GUTIReallocationComplete{}, nas.IntegrityProtectedCiphered)
	l.eventually("reallocation done", func() bool {
		return l.metric("mme_procedure_successes_total", "procedure", "guti_reallocation") == 1
	})
	u.inactivityRelease()
	u.serviceRequest(s1ap.RRCEstablishmentCauseMoData) // by the new S-TMSI
}

// TS 36.413 §8.7.1, TS 23.401 §5.3.5: S1 RESET while UEs are connected:
// they go ECM-IDLE and stay registered; their service requests then
// succeed.
func TestS1ResetThenServiceRequests(t *testing.T) {
	l := newLab(t, nil)
	e := l.newENB(1)
	var ues []*testUE
	for i := 1; i <= 3; i++ {
		u := l.newUE(e, i)
		u.attach()
		ues = append(ues, u)
	}
	e.send(0, &s1ap.Reset{Cause: s1ap.Cause{Choice: s1ap.CauseChoiceMisc, Misc: s1ap.CauseMiscOmIntervention},
		ResetType: s1ap.ResetType{Choice: s1ap.ResetTypeChoiceS1Interface, S1Interface: s1ap.ResetAllResetAll}})
	if _, ok := e.recv(0).(*s1ap.ResetAcknowledge); !ok {
		t.Fatal("want ResetAcknowledge")
	}
	for _, u := range ues {
		l.waitState(u.imsi, "EMM-REGISTERED", "ECM-IDLE")
		l.eventually("bearers released at the SGW", func() bool { s, ok := l.sgw.UE(u.imsi); return ok && s.Idle })
	}
	for _, u := range ues {
		u.serviceRequest(s1ap.RRCEstablishmentCauseMoData)
	}
}

// DESIGN.md "State": after a restart on the same store, an idle
// subscriber restored from its record (DL COUNT skipped ahead) does a
// TAU (protected downlink the UE accepts) and a service request without
// re-authentication.
func TestRestartThenTAUAndServiceRequest(t *testing.T) {
	dir := t.TempDir()
	l := newLab(t, func(c *node.Config) { c.Store.Dir = dir })
	e := l.newENB(1)
	u := l.newUE(e, 1)
	u.attach()
	u.inactivityRelease()
	airs := l.metric("mme_s6a_messages_total", "direction", "out", "message", "AIR")
	if airs != 1 {
		t.Fatalf("%v AIRs for the attach", airs)
	}
	l.stopNode()
	l.startNode()
	l.waitState(u.imsi, "EMM-REGISTERED", "ECM-IDLE")
	u.enb = l.newENB(2)
	u.tau(nas.PeriodicUpdating, false)
	m, msg := u.recv()
	acc, ok := msg.(*nas.TrackingAreaUpdateAccept)
	if !ok {
		t.Fatalf("after restart: got %s / %T, want TAU ACCEPT", m.MessageName(), msg)
	}
	u.guti = acc.GUTI
	u.uplink(&nas.TrackingAreaUpdateComplete{}, nas.IntegrityProtectedCiphered)
	u.releaseComplete()
	l.waitState(u.imsi, "EMM-REGISTERED", "ECM-IDLE")
	u.serviceRequest(s1ap.RRCEstablishmentCauseMoData)
	if got := l.metric("mme_s6a_messages_total", "direction", "out", "message", "AIR"); got != 0 {
		t.Errorf("%v AIRs after the restart: the stored context should serve", got)
	}
}

// TS 24.301 §5.5.3.2.4, §5.5.3.2.7 c: TAU ACCEPT with a new GUTI never
// reaches the UE (the radio connection is lost first). The MME keeps the
// old GUTI valid and indexed beside the new one, so the UE's SERVICE
// REQUEST by its old S-TMSI finds it (not SERVICE REJECT #9); that use
// makes the new GUTI, which the UE never had, invalid: its S-TMSI is then
// unknown. The next TAU, confirmed, leaves only its new GUTI valid.
func TestTAUAcceptLostThenServiceRequestByOldSTMSI(t *testing.T) {
	// T3450 long enough that no retransmission crosses the release.
	l := newLab(t, func(c *node.Config) { c.NAS.T3450 = 10 * time.Second })
	e := l.newENB(1)
	u := l.newUE(e, 1)
	u.attach()
	u.inactivityRelease()
	old := *u.guti
	u.tau(nas.PeriodicUpdating, false)
	acc := expect[*nas.TrackingAreaUpdateAccept](u)
	if acc.GUTI == nil || *acc.GUTI == old {
		t.Fatalf("TAU ACCEPT GUTI %v, old %v: want a new one", acc.GUTI, old)
	}
	lost := *acc.GUTI // the UE keeps old: it never saw this one
	u.enb.send(1, &s1ap.UEContextReleaseRequest{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID,
		Cause: s1ap.Cause{Choice: s1ap.CauseChoiceRadioNetwork, RadioNetwork: s1ap.CauseRadioNetworkRadioConnectionWithUeLost}})
	u.releaseComplete()
	l.waitState(u.imsi, "EMM-REGISTERED", "ECM-IDLE")
	if got := l.metric("mme_procedure_failures_total", "procedure", "tau"); got != 1 {
		t.Errorf("TAU failures %v, want 1 (aborted by the release)", got)
	}

	u.serviceRequest(s1ap.RRCEstablishmentCauseMoData) // by the old S-TMSI
	l.eventually("service request by the old S-TMSI done", func() bool {
		return l.metric("mme_procedure_successes_total", "procedure", "service_request") == 1
	})
	if got := l.subscriber(u.imsi).GUTI; got != old.String() {
		t.Errorf("stored GUTI %s, want the old %s (the new one never reached the UE)", got, old)
	}
	u.inactivityRelease()

	// The GUTI of the lost TAU ACCEPT is no longer indexed.
	ghost := l.newUE(e, 2)
	ghost.guti = &lost
	ghost.initialSTMSI([]byte{0xc7, 0x05, 0x12, 0x34}, s1ap.RRCEstablishmentCauseMoData)
	if rej := expect[*nas.ServiceReject](ghost); rej.EMMCause != nas.EMMCauseUEIdentityCannotBeDerived {
		t.Errorf("S-TMSI of the lost TAU ACCEPT: cause %v, want #9", rej.EMMCause)
	}
	ghost.releaseComplete()

	// A TAU confirmed by TAU COMPLETE: the new GUTI routes, the old not.
	u.tau(nas.PeriodicUpdating, false)
	acc = expect[*nas.TrackingAreaUpdateAccept](u)
	u.guti = acc.GUTI
	u.uplink(&nas.TrackingAreaUpdateComplete{}, nas.IntegrityProtectedCiphered)
	u.releaseComplete()
	l.waitState(u.imsi, "EMM-REGISTERED", "ECM-IDLE")
	ghost.guti = &old
	ghost.initialSTMSI([]byte{0xc7, 0x05, 0x12, 0x34}, s1ap.RRCEstablishmentCauseMoData)
	if rej := expect[*nas.ServiceReject](ghost); rej.EMMCause != nas.EMMCauseUEIdentityCannotBeDerived {
		t.Errorf("old S-TMSI after TAU COMPLETE: cause %v, want #9", rej.EMMCause)
	}
	ghost.releaseComplete()
	u.serviceRequest(s1ap.RRCEstablishmentCauseMoData) // by the new S-TMSI
}

// TS 24.301 §5.4.1.6 b: GUTI REALLOCATION COMMAND unanswered, the fifth
// T3450 expiry aborts the procedure; the old and the new GUTI both stay
// valid, so the UE's SERVICE REQUEST by its old S-TMSI finds it.
func TestGUTIReallocationLostThenServiceRequestByOldSTMSI(t *testing.T) {
	l := newLab(t, func(c *node.Config) { c.NAS.GUTIReallocation = 1 })
	e := l.newENB(1)
	u := l.newUE(e, 1)
	u.attach()
	u.inactivityRelease()
	u.serviceRequest(s1ap.RRCEstablishmentCauseMoData)
	for i := 0; i < 5; i++ { // the command and four retransmissions (T3450: 300 ms in the lab)
		if cmd := expect[*nas.GUTIReallocationCommand](u); cmd.GUTI == *u.guti {
			t.Fatalf("GUTI REALLOCATION COMMAND with the UE's GUTI %v", cmd.GUTI)
		}
	}
	l.eventually("reallocation aborted", func() bool {
		return l.metric("mme_procedure_failures_total", "procedure", "guti_reallocation") == 1
	})
	u.inactivityRelease()
	u.serviceRequest(s1ap.RRCEstablishmentCauseMoData) // by the old S-TMSI
	expect[*nas.GUTIReallocationCommand](u)            // the policy tries again
}

// TS 24.301 §5.4.2.1 with the policy nas.reauthentication: 2: the first
// service request after the attach is served at once; the second (it
// passed its integrity check) runs EPS-AKA first — AUTHENTICATION REQUEST
// protected with the current context, the UE's answer protected too
// (§4.4.4.2), SECURITY MODE COMMAND with a new eKSI — then INITIAL CONTEXT
// SETUP with K_eNB from the new context; the count starts again, so the
// third is served at once.
func TestReauthenticationPolicy(t *testing.T) {
	l := newLab(t, func(c *node.Config) { c.NAS.Reauthentication = 2 })
	u := l.newUE(l.newENB(1), 1)
	u.attach()
	u.inactivityRelease()
	u.serviceRequest(s1ap.RRCEstablishmentCauseMoData) // 1: no AKA (answerICS checks K_eNB)
	u.inactivityRelease()
	pdu, _, err := u.sec.ProtectServiceRequest(nil)
	if err != nil {
		t.Fatal(err)
	}
	oldKSI := u.ksi
	u.initialSTMSI(pdu, s1ap.RRCEstablishmentCauseMoData) // 2: AKA by policy
	req := expect[*nas.AuthenticationRequest](u)
	res, err := u.usim.Authenticate(req.RAND, req.AUTN, labPLMN)
	if err != nil {
		t.Fatalf("USIM: %v", err)
	}
	u.kasme, u.ksi = res.KASME, req.NASKeySetIdentifierASME.KSI
	u.uplink(&nas.AuthenticationResponse{RES: res.RES}, nas.IntegrityProtectedCiphered)
	u.securityMode(expect[*nas.SecurityModeCommand](u))
	if u.ksi == oldKSI {
		t.Errorf("re-authentication kept eKSI %d", u.ksi)
	}
	u.answerICS()
	l.eventually("two service requests done", func() bool {
		return l.metric("mme_procedure_successes_total", "procedure", "service_request") == 2
	})
	u.inactivityRelease()
	u.serviceRequest(s1ap.RRCEstablishmentCauseMoData) // 1 again: no AKA
	l.eventually("three service requests done", func() bool {
		return l.metric("mme_procedure_successes_total", "procedure", "service_request") == 3
	})
}
