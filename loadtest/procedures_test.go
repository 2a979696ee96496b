package loadtest_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/lte-mme/mme/loadtest"
)

// mmeTrigger is the network side's trigger for the simulated MME.
type mmeTrigger struct{ m *testMME }

func (t mmeTrigger) DownlinkData(_ context.Context, imsi string) error {
	if !t.m.Page(imsi) {
		return errors.New("not registered")
	}
	return nil
}

func (t mmeTrigger) CreateBearer(_ context.Context, imsi string, _ uint8) error {
	if !t.m.CreateBearer(imsi) {
		return errors.New("not registered")
	}
	return nil
}

// Idle mode: eNodeB inactivity releases (s1_release), service requests
// (short and extended) with K_eNB from their uplink COUNT, TAU to a new TA
// with GUTI reallocation, periodic TAU, paging answered by a service
// request, then detach from idle.
func TestIdleModeProcedures(t *testing.T) {
	subs := subscribers(t, 24)
	cfg := mmeCfg()
	cfg.ReallocateGUTIOnTAU = true
	cfg.TACs = []uint16{1, 2, 3}
	m := startMME(t, cfg, subs)
	sc := scenario(t, `
name: idle
network: {enbs: 3, cells_per_enb: 1, tacs: [1, 2, 3]}
ues: 24
profiles: [{inactivity: 30ms}]
phases:
  - {procedure: attach, rate: 2000}
  - {wait: 200ms}
  - {procedure: service_request, rate: 2000}
  - {wait: 200ms}
  - {procedure: extended_service_request, rate: 2000}
  - {wait: 200ms}
  - {procedure: tau, rate: 2000}
  - {wait: 100ms}
  - {procedure: periodic_tau, rate: 2000}
  - {wait: 100ms}
  - {procedure: paging, rate: 2000}
  - {wait: 200ms}
  - {procedure: detach, rate: 2000}
`)
	r := runCfg(t, loadtest.Config{Scenario: sc, Subscribers: subs, Trigger: mmeTrigger{m}}, m)
	requirePassed(t, r)
	for _, p := range []string{"attach", "s1_release", "service_request", "extended_service_request", "tau", "periodic_tau", "paging", "detach"} {
		if r.Procedures[p] == nil || r.Procedures[p].Successes == 0 {
			t.Errorf("%s: no successes (%+v)", p, r.Procedures[p])
		}
	}
	if m.Count("Paging") == 0 || m.Count("TrackingAreaUpdateComplete") == 0 {
		t.Errorf("the MME paged %d times and saw %d TAU COMPLETE", m.Count("Paging"), m.Count("TrackingAreaUpdateComplete"))
	}
}

// Connected mode: X2 handover (Path Switch with NH/NCC checked against the
// UE's chain), S1 handover with status transfer, S1 handover cancelled,
// a second PDN connected and disconnected, a dedicated bearer.
func TestConnectedModeProcedures(t *testing.T) {
	subs := subscribers(t, 16)
	cfg := mmeCfg()
	cfg.SingleTAIList = true
	m := startMME(t, cfg, subs)
	sc := scenario(t, `
name: connected
network: {enbs: 3, cells_per_enb: 1, tacs: [1, 2]}
ues: 16
phases:
  - {procedure: attach, rate: 2000}
  - {procedure: x2_handover, rate: 2000}
  - {procedure: s1_handover, rate: 2000}
  - {procedure: s1_handover, rate: 2000, cancel: true}
  - {procedure: pdn_connect, rate: 2000}
  - {procedure: pdn_disconnect, rate: 2000}
  - {procedure: dedicated_bearer, rate: 2000}
  - {procedure: detach, rate: 2000}
expect:
  procedures:
    attach: {successes: all}
    x2_handover: {successes: all}
    s1_handover: {successes: all, failures: all, causes: [handover_cancelled]}
    pdn_connect: {successes: all}
    pdn_disconnect: {successes: all}
    dedicated_bearer: {successes: all}
    detach: {successes: all}
    tau: {min_success_ratio: 1}
`)
	r := runCfg(t, loadtest.Config{Scenario: sc, Subscribers: subs, Trigger: mmeTrigger{m}}, m)
	requirePassed(t, r)
	if m.Count("HandoverNotify") != 16 || m.Count("HandoverCancel") != 16 || m.Count("PathSwitchRequest") != 16 {
		t.Errorf("MME saw %d Handover Notify, %d Handover Cancel, %d Path Switch; want 16 each",
			m.Count("HandoverNotify"), m.Count("HandoverCancel"), m.Count("PathSwitchRequest"))
	}
}

// Authentication: a USIM whose K differs from the HSS's answers MAC
// failure and gets AUTHENTICATION REJECT (no retry: USIM invalid); one
// ahead in SQN answers synch failure with AUTS, the MME re-synchronises,
// and the attach succeeds.
func TestAuthenticationFailures(t *testing.T) {
	subs := subscribers(t, 20)
	m := startMME(t, mmeCfg(), subs)
	sc := scenario(t, `
name: auth
ues: 20
profiles: [{name: mac, auth: mac_failure}, {name: sync, auth: sync_failure}]
phases: [{procedure: attach, rate: 2000}]
expect:
  procedures:
    attach: {causes: [authentication_reject]}
`)
	r := run(t, sc, subs, m)
	requirePassed(t, r)
	a := r.Procedures["attach"]
	if a.Successes == 0 || a.Failures == 0 || a.Successes+a.Failures != 20 {
		t.Fatalf("attach: %d successes, %d failures; want both kinds, 20 in all", a.Successes, a.Failures)
	}
	if got := m.Count("Resynchronization"); got != int64(a.Successes) {
		t.Errorf("MME re-synchronised %d times, want %d (one per sync-failure UE)", got, a.Successes)
	}
	if got := m.Count("AuthenticationReject"); got != int64(a.Failures) {
		t.Errorf("MME rejected %d authentications, want %d", got, a.Failures)
	}
}

// Identity: an unknown GUTI makes the MME ask for the IMSI; a known GUTI
// (after attach and detach) attaches integrity protected with the stored
// context and no new AKA.
func TestAttachIdentities(t *testing.T) {
	subs := subscribers(t, 10)
	m := startMME(t, mmeCfg(), subs)
	sc := scenario(t, `
name: identities
ues: 10
profiles: [{identity: guti}]
phases:
  - {procedure: attach, rate: 2000}
  - {procedure: detach, rate: 2000}
  - {procedure: attach, rate: 2000}
expect:
  procedures: {attach: {successes: "20"}, detach: {successes: all}}
`)
	requirePassed(t, run(t, sc, subs, m))
	if got := m.Count("SecurityModeComplete"); got != 20 {
		t.Errorf("%d SMC, want 20", got)
	}
	sc2 := scenario(t, `
name: unknown-guti
ues: 10
profiles: [{identity: unknown_guti}]
phases: [{procedure: attach, rate: 2000}]
expect: {procedures: {attach: {successes: all}}}
`)
	m2 := startMME(t, mmeCfg(), subs)
	requirePassed(t, run(t, sc2, subs, m2))
	if got := m2.Count("IdentityResponse"); got != 10 {
		t.Errorf("%d IDENTITY RESPONSE, want 10", got)
	}
}

// S1 Setup: a foreign broadcast PLMN is refused with unknown-PLMN
// (TC_s1ap_setup_wrong_tac); a foreign Global eNB ID PLMN is accepted.
func TestS1Setup(t *testing.T) {
	m := startMME(t, mmeCfg(), nil)
	sc := scenario(t, `
name: wrong-plmn
network: {broadcast_plmn: "26242"}
expect:
  procedures: {s1_setup: {failures: all, causes: ["s1_setup_failure:misc:unknown-PLMN"]}}
  enb_sequence:
    - {dir: ul, s1ap: S1SetupRequest}
    - {dir: dl, s1ap: S1SetupFailure, ies: {cause: "misc:unknown-PLMN"}}
`)
	requirePassed(t, run(t, sc, nil, m))
	sc2 := scenario(t, `
name: foreign-enb-plmn
network: {global_enb_plmn: "26242", enbs: 3}
expect:
  procedures: {s1_setup: {successes: all}}
  enb_sequence: [{dir: ul, s1ap: S1SetupRequest}, {dir: dl, s1ap: S1SetupResponse}]
`)
	requirePassed(t, run(t, sc2, nil, m))
}

// Reset: an eNodeB-initiated reset releases its UEs' connections (their
// procedures fail with enb_reset); an MME-initiated reset too; service
// requests afterwards succeed.
func TestResets(t *testing.T) {
	subs := subscribers(t, 12)
	m := startMME(t, mmeCfg(), subs)
	sc := scenario(t, `
name: reset
network: {enbs: 2}
ues: 12
phases:
  - {procedure: attach, rate: 2000}
  - {wait: 100ms}
  - {procedure: reset, count: all}
  - {procedure: service_request, rate: 2000}
  - {procedure: detach, rate: 2000}
expect:
  procedures:
    reset: {successes: all}
    attach: {successes: all}
    service_request: {successes: all}
    detach: {successes: all}
`)
	requirePassed(t, run(t, sc, subs, m))
	if got := m.Count("Reset"); got != 2 {
		t.Errorf("MME saw %d RESET, want 2", got)
	}
}

// Initial Context Setup Failure and TAU with a GUTI the MME never
// allocated: the expected failures, with the MME's release in the trace.
func TestRejectionPaths(t *testing.T) {
	subs := subscribers(t, 4)
	m := startMME(t, mmeCfg(), subs)
	sc := scenario(t, `
name: ics-failure
ues: 2
profiles: [{ics: failure, retry: false}]
phases: [{procedure: attach}]
expect:
  procedures: {attach: {failures: all, causes: [initial_context_setup_failure_sent]}}
  ue_sequence:
    - {dir: ul, s1ap: InitialUEMessage, nas: AttachRequest, ies: {identity: imsi}}
    - {dir: dl, nas: AuthenticationRequest}
    - {dir: ul, nas: AuthenticationResponse}
    - {dir: dl, nas: SecurityModeCommand}
    - {dir: ul, nas: SecurityModeComplete}
    - {dir: ul, s1ap: InitialContextSetupFailure}
    - {dir: dl, s1ap: UEContextReleaseCommand}
    - {dir: ul, s1ap: UEContextReleaseComplete}
`)
	requirePassed(t, run(t, sc, subs[:2], m))
	sc2 := scenario(t, `
name: tau-unknown-guti
ues: 2
profiles: [{registered: true, retry: false}]
phases: [{procedure: tau}]
expect:
  procedures: {tau: {failures: all, causes: ["tau_reject:#9", "tau_reject:#10"]}}
  states: {EMM-DEREGISTERED: all}
  ue_sequence:
    - {dir: ul, s1ap: InitialUEMessage, nas: TrackingAreaUpdateRequest}
    - {dir: dl, s1ap: DownlinkNASTransport, nas: TrackingAreaUpdateReject, ies: {emm_cause: "#9|#10"}}
    - {dir: dl, s1ap: UEContextReleaseCommand}
    - {dir: ul, s1ap: UEContextReleaseComplete}
`)
	requirePassed(t, run(t, sc2, subs[2:], m))
}

// T3410 and T3411: an MME that never answers makes every UE try five times
// (TS 24.301 §5.5.1.2.6), then wait T3402.
func TestAttachRetries(t *testing.T) {
	subs := subscribers(t, 3)
	cfg := mmeCfg()
	cfg.IgnoreAttach = true
	m := startMME(t, cfg, subs)
	sc := scenario(t, `
name: retries
ues: 3
timers: {T3410: 40ms, T3411: 20ms, T3402: 1h}
phases:
  - {procedure: attach}
  - {wait: 600ms}
expect:
  procedures: {attach: {successes: "0", failures: "15", causes: [T3410_expiry]}}
`)
	requirePassed(t, run(t, sc, subs, m))
	if got := m.Count("IgnoredAttach"); got != 15 {
		t.Errorf("MME got %d ATTACH REQUEST, want 15 (5 per UE)", got)
	}
}

// NAS node selection in a pool (TS 23.401 §4.3.7.2): new UEs spread by
// relative capacity; a UE's later signalling goes to the MME whose MMEC is
// in its S-TMSI; with one MME gone, attaches re-route to the other.
func TestPoolNodeSelection(t *testing.T) {
	subs := subscribers(t, 200)
	c1, c2 := mmeCfg(), mmeCfg()
	c1.MMEC, c1.Capacity, c1.MMEGI = 1, 200, 0x8001
	c2.MMEC, c2.Capacity, c2.MMEGI, c2.FirstMMEUEID = 2, 50, 0x8001, 1<<20
	m1, m2 := startMME(t, c1, subs), startMME(t, c2, subs)
	sc := scenario(t, `
name: pool
network: {enbs: 4}
ues: 200
profiles: [{inactivity: 20ms}]
phases:
  - {procedure: attach, rate: 4000}
  - {wait: 100ms}
  - {procedure: service_request, rate: 4000}
expect: {procedures: {attach: {successes: all}, service_request: {successes: all}}}
`)
	requirePassed(t, run(t, sc, subs, m1, m2))
	a1, a2 := m1.Count("AttachComplete"), m2.Count("AttachComplete")
	if a1+a2 != 200 || a1 < 120 || a2 < 15 {
		t.Errorf("attaches split %d/%d, want about 160/40 (capacities 200:50)", a1, a2)
	}
	if errs := append(m1.ErrorList(), m2.ErrorList()...); len(errs) > 0 {
		// A service request routed to the wrong MME would be "unknown".
		t.Errorf("MME errors: %s", strings.Join(errs, "; "))
	}
	// MME 2 gone: every attach goes to MME 1.
	m3, m4 := startMME(t, c1, subs), startMME(t, c2, subs)
	m4.ep.Close()
	sc2 := scenario(t, `
name: pool-reroute
network: {enbs: 2}
ues: 50
phases: [{procedure: attach, rate: 4000}]
expect: {procedures: {attach: {successes: all}, s1_setup: {successes: "2", failures: "2"}}}
`)
	requirePassed(t, run(t, sc2, subs[:50], m3, m4))
	if got := m3.Count("AttachComplete"); got != 50 {
		t.Errorf("MME 1 completed %d attaches, want all 50", got)
	}
}
