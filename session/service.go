package session

import (
	"time"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
)

// serviceRequest is SERVICE REQUEST (TS 24.301 §5.6.1, §8.2.25), the short
// format: the KSI must name the current native context, the uplink NAS
// COUNT is estimated from the 5 sequence number bits and the short MAC
// verified (§4.4.3.1, §9.9.3.28); the COUNT is then K_eNB's input
// (TS 33.401 §7.2.6.2, A.3) and the bearers are set up again
// (TS 23.401 §5.3.4.1).
func (m *Machine) serviceRequest(ev *nasEvent, pdu []byte) {
	if m.heldAttachServiceRequest(pdu) { // recovery.go
		m.startService()
		return
	}
	if !m.serviceAllowed(ev) {
		return
	}
	count, err := m.sec.VerifyServiceRequest(pdu)
	if err != nil {
		// KSI mismatch or short MAC failure: TS 24.301 §5.6.1.4,
		// §4.4.4.3: the MME authenticates the UE it knows by the S-TMSI
		// (reauth.go); the bearers are set up after SECURITY MODE COMPLETE.
		m.beginService()
		m.reauthenticate(ev, "SERVICE REQUEST ("+err.Error()+")")
		return
	}
	m.s.Secure, m.s.KeNBCount = true, uint32(count)
	m.touch()
	if ev.hasSTMSI {
		m.gutiUsed(ev.mtmsi) // guti.go: the short MAC verified
	}
	m.serviceVerified()
}

// serviceVerified goes on with a (extended) service request that passed
// its integrity check: the bearers are set up, after a re-authentication
// when the policy says one is due (reauth.go).
func (m *Machine) serviceVerified() {
	m.beginService()
	if m.reauthDue() {
		return
	}
	m.setUpBearers()
}

// extendedServiceRequest is EXTENDED SERVICE REQUEST (TS 24.301 §5.6.1,
// §8.2.15) for packet services via S1; its integrity was checked like any
// protected message and its COUNT is K_eNB's input. The CS fallback
// service types are refused: this MME has no SGs (§5.6.1.5 #18).
func (m *Machine) extendedServiceRequest(ev *nasEvent, msg *nas.ExtendedServiceRequest) {
	if !m.serviceAllowed(ev) {
		return
	}
	if msg.ServiceType != nas.PacketServicesViaS1 {
		m.serviceReject(ev, nas.EMMCauseCSDomainNotAvailable, "service_type:"+msg.ServiceType.String())
		return
	}
	if !ev.integrity {
		// TS 24.301 §5.6.1.4, §4.4.4.3: authentication and security mode
		// control first (reauth.go).
		m.beginService()
		m.reauthenticate(ev, "EXTENDED SERVICE REQUEST")
		return
	}
	if ev.hasSTMSI {
		m.gutiUsed(ev.mtmsi) // guti.go
	}
	m.serviceVerified()
}

// serviceAllowed applies TS 24.301 §5.6.1.5 before the service request is
// verified: SERVICE REJECT #9 when this MME has no context for the UE (an
// S-TMSI it cannot map, or no security context), #10 when the UE is known
// but not attached here (implicitly detached). A procedure the request
// supersedes is ended.
func (m *Machine) serviceAllowed(ev *nasEvent) bool {
	switch {
	case m.s.IMSI == "" || (m.sec == nil && m.s.EMM == EMMRegistered):
		m.serviceReject(ev, nas.EMMCauseUEIdentityCannotBeDerived, "unknown_ue")
		return false
	case m.s.Proc == ProcAttach:
		m.abortAttach("service_request_during_attach", false)
		m.serviceReject(ev, nas.EMMCauseImplicitlyDetached, "not_attached")
		return false
	case m.s.EMM == EMMDeregisteredInitiated:
		// TS 24.301 §5.5.2.3.4: the network detach in progress goes on.
		m.anomaly(ev, "SERVICE REQUEST during a network-initiated detach: ignored")
		return false
	case m.s.EMM != EMMRegistered:
		m.serviceReject(ev, nas.EMMCauseImplicitlyDetached, "not_attached")
		return false
	case m.s.Proc == ProcDetachUE || m.s.Proc == ProcDetachNetwork || m.s.Proc == ProcDetachImplicit:
		m.anomaly(ev, "SERVICE REQUEST while detaching: ignored")
		return false
	}
	m.supersede("service_request")
	return true
}

// supersede ends what a new service request or TAU replaces: an S1
// release still under way (the UE came back first) or an idle mode
// procedure of an older connection.
func (m *Machine) supersede(why string) {
	switch {
	case m.s.Proc == ProcS1Release:
		m.outcome(ProcS1Release, true, "")
		m.end()
	case m.accessSideComplete(false):
		// Done for the UE; only the SGW's answer was pending.
	case m.idleProc():
		m.abortIdleProc("superseded_by_" + why)
	}
}

// serviceReject sends SERVICE REJECT (TS 24.301 §5.6.1.5) and releases the
// connection; the attempt is counted as a failed service request.
func (m *Machine) serviceReject(ev *nasEvent, cause nas.EMMCause, why string) {
	m.rd.Started = append(m.rd.Started, ProcServiceRequest)
	m.outcomeFrom(ProcServiceRequest, false, "emm:#"+itoa(int(cause))+":"+why, m.now)
	m.sendNAS(&nas.ServiceReject{EMMCause: cause}, false)
	m.releaseConnection(nasCause(s1ap.CauseNasNormalRelease))
}

// startService begins the service request: the paging it answers ends,
// the bearers are set up (TS 23.401 §5.3.4.1 step 4).
func (m *Machine) startService() {
	m.beginService()
	m.setUpBearers()
}

// beginService starts the service request procedure; the paging it
// answers ends (TS 24.301 §5.6.2.2.1: T3413 stops).
func (m *Machine) beginService() {
	m.begin(ProcServiceRequest, WaitNone)
	m.rd.Started = append(m.rd.Started, ProcServiceRequest)
	m.s.ServiceRequests++
	m.pagingAnswered()
}

// setUpBearers sends INITIAL CONTEXT SETUP REQUEST with every EPS bearer
// of the UE (a GBR bearer with its GBR QoS information, TS 36.413
// §9.2.1.15, bit/s), K_eNB from the uplink NAS COUNT of the message that
// established this connection's security and the UE security capabilities
// (TS 23.401 §5.3.4.1 step 4, TS 36.413 §8.3.1, TS 33.401 §7.2.6.2). A
// UE without bearers has nothing to set up: the procedure ends.
func (m *Machine) setUpBearers() {
	var list s1ap.ERABToBeSetupListCtxtSUReq
	for i := range m.s.PDNs {
		for j := range m.s.PDNs[i].Bearers {
			b := &m.s.PDNs[i].Bearers[j]
			if b.State != BearerActive && b.State != BearerModifyPending {
				continue
			}
			list = append(list, s1ap.ERABToBeSetupItemCtxtSUReq{
				ERABID:                 s1ap.ERABID(b.EBI),
				ERABlevelQoSParameters: erabQoSGBR(b),
				TransportLayerAddress:  transportAddress(b.SGWU.Addr),
				GTPTEID:                teidBytes(b.SGWU.TEID),
			})
		}
	}
	if len(list) == 0 || m.sec == nil {
		m.outcome(m.s.Proc, true, "")
		m.endIdleProc()
		return
	}
	ics := &s1ap.InitialContextSetupRequest{
		UEaggregateMaximumBitrate: s1ap.UEAggregateMaximumBitrate{
			UEaggregateMaximumBitRateDL: s1ap.BitRate(m.s.Subscription.AMBRDownlink),
			UEaggregateMaximumBitRateUL: s1ap.BitRate(m.s.Subscription.AMBRUplink),
		},
		ERABToBeSetupListCtxtSUReq: list,
		UESecurityCapabilities:     ueSecurityCapabilities(m.s.UENetworkCapability),
		SecurityKey:                s1ap.SecurityKey(m.kENB()),
	}
	if len(m.s.UERadioCapability) > 0 {
		ics.UERadioCapability = s1ap.Some(s1ap.UERadioCapability(m.s.UERadioCapability))
	}
	m.await(WaitServiceICS, 0)
	m.effect(SendS1{Conn: m.s.Conn, Msg: ics})
	m.startTimer(TS1Guard)
}

// serviceICSResponse: TS 23.401 §5.3.4.1 steps 7-8: the eNodeB's S1-U
// F-TEIDs go to the SGW in Modify Bearer Request. Bearers the eNodeB
// could not set up keep no downlink path (they are not sent).
func (m *Machine) serviceICSResponse(e *InitialContextSetupResponse) {
	if e.Conn != m.s.Conn || m.s.ECM != ECMConnected {
		m.anomaly(e, "INITIAL CONTEXT SETUP RESPONSE on a connection that is not current")
		return
	}
	m.stopTimer(TS1Guard)
	mbr := &gtp.ModifyBearerRequest{}
	for _, s := range e.Setup {
		if b := m.bearer(s.EBI); b != nil {
			b.ENBU = FTEID{Addr: s.Addr, TEID: s.TEID}
			mbr.BearerContextsToBeModified = append(mbr.BearerContextsToBeModified,
				gtp.BearerContext{EBI: b.EBI, S1UENodeBFTEID: fteid(gtp.IfS1UENodeB, s.TEID, s.Addr)})
		}
	}
	if len(e.Failed) > 0 {
		m.anomaly(e, "bearers not set up by the eNodeB: "+ebiList(e.Failed))
	}
	if len(mbr.BearerContextsToBeModified) == 0 {
		// TS 23.401 §5.3.4.1: no user plane at all: the request fails.
		m.failIdleProc("ics:no_bearer_setup", nasCause(s1ap.CauseNasUnspecified))
		return
	}
	mbr.ULI = m.uli()
	txn := m.nextTxn()
	m.await(WaitServiceMBR, txn)
	m.effect(SendS11{Txn: txn, Peer: m.s.SGW, TEID: m.s.SGWTEID, Msg: mbr})
}

// serviceICSFailure: TS 36.413 §8.3.1.3: the user plane could not be set
// up; the procedure fails, the connection is released, the UE stays
// registered.
func (m *Machine) serviceICSFailure(e *InitialContextSetupFailure) {
	if e.Conn != m.s.Conn || m.s.ECM != ECMConnected {
		m.anomaly(e, "INITIAL CONTEXT SETUP FAILURE on a connection that is not current")
		return
	}
	m.stopTimer(TS1Guard)
	m.failIdleProc("ics_failure:"+causeString(e.Cause), nasCause(s1ap.CauseNasUnspecified))
}

// serviceMBRResponse ends the service request (or the TAU with active
// flag) when the SGW has the downlink path (TS 23.401 §5.3.4.1 step 11);
// then the GUTI reallocation policy may run.
func (m *Machine) serviceMBRResponse(e *S11Response, resp *gtp.ModifyBearerResponse) {
	m.s.Pending = 0
	m.touch()
	switch {
	case e.Err != nil:
		m.failIdleProc("s11:no_response", radioCause(s1ap.CauseRadioNetworkUnspecified))
		return
	case resp == nil || !resp.Cause.Accepted():
		// TS 23.401 §5.3.4.1: the SGW refused the new path (e.g. context
		// not found): the bearers cannot be used; the connection is
		// released and the UE stays registered.
		c := "s11:unexpected"
		if resp != nil {
			c = "s11:" + resp.Cause.Value.String()
		}
		m.failIdleProc(c, radioCause(s1ap.CauseRadioNetworkUnspecified))
		return
	}
	p := m.s.Proc
	m.outcome(p, true, "")
	m.endIdleProc()
	if p == ProcServiceRequest && m.cfg.GUTIReallocation > 0 && m.s.ServiceRequests >= m.cfg.GUTIReallocation {
		m.startGUTIReallocation()
	}
}

// bearer returns the bearer ebi, nil if none.
func (m *Machine) bearer(ebi uint8) *Bearer {
	for i := range m.s.PDNs {
		for j := range m.s.PDNs[i].Bearers {
			if m.s.PDNs[i].Bearers[j].EBI == ebi {
				return &m.s.PDNs[i].Bearers[j]
			}
		}
	}
	return nil
}

func ebiList(ebis []uint8) string {
	s := ""
	for i, e := range ebis {
		if i > 0 {
			s += ","
		}
		s += itoa(int(e))
	}
	return s
}

// accessSideComplete ends a service request (or a TAU with the active
// flag) that waits only for the SGW's Modify Bearer Response when the
// eNodeB starts a handover or releases the connection, or the UE starts a
// TAU or another service request: for the UE the
// procedure completed when its radio bearers were set up (TS 24.301
// §5.6.1.4, TS 23.401 §5.3.4.1 steps 4-7), and the newer S11 request
// (the handover's Modify Bearer with the target's F-TEIDs, Release Access
// Bearers) supersedes the update in flight, whose late answer is then
// stale. With handover, a procedure still waiting for the INITIAL
// CONTEXT SETUP RESPONSE ends too: an eNodeB hands over only a UE whose
// context it has (TS 36.413 §8.4.1.1, §8.4.4.1), so its response was
// sent and overtaken (for X2 the PATH SWITCH REQUEST comes on the
// target's association, not ordered with the source's). It reports
// whether it ended one. Without it the eNodeB's PATH SWITCH REQUEST
// right after the INITIAL CONTEXT SETUP RESPONSE was refused with
// interaction-with-other-procedure, leaving the UE at the target without
// a path (the realistic mix of issue #9 found it).
func (m *Machine) accessSideComplete(handover bool) bool {
	if !m.idleProc() || m.s.Wait != WaitServiceMBR && (!handover || m.s.Wait != WaitServiceICS) {
		return false
	}
	m.stopTimer(TS1Guard)
	m.outcome(m.s.Proc, true, "")
	m.end()
	m.s.TAUActive, m.s.TAURelease = false, false
	return true
}

// idleProc reports whether an idle mode procedure (service request, TAU,
// GUTI reallocation) is in progress.
func (m *Machine) idleProc() bool {
	switch m.s.Proc {
	case ProcServiceRequest, ProcTAU, ProcGUTIReallocation:
		return true
	}
	return false
}

// endIdleProc ends an idle mode procedure; a TAU that came from ECM-IDLE
// without the active flag releases the connection (TS 24.301 §5.5.3.2.4,
// TS 23.401 §5.3.3.2 step 21).
func (m *Machine) endIdleProc() {
	release := m.s.Proc == ProcTAU && m.s.TAURelease
	m.end()
	m.s.TAUActive, m.s.TAURelease = false, false
	if release {
		m.releaseConnection(nasCause(s1ap.CauseNasNormalRelease))
		return
	}
	// TS 23.401 §5.4.1 step 4, §5.4.2.1 step 4: a Create or Update Bearer
	// Request that waited for the paged UE goes on now that its bearers
	// are set up.
	m.esmResume() // dedicated.go
}

// abortIdleProc ends the idle mode procedure in progress as failed,
// without signalling (the connection is gone or replaced).
func (m *Machine) abortIdleProc(why string) {
	if m.s.EMM == EMMCommonProcedureInitiated {
		// A re-authentication ran (reauth.go): its pending context goes.
		m.stopTimer(T3460)
		m.s.NewSecurity, m.s.AuthVector = nil, Vector{}
		m.setEMM(EMMRegistered)
	}
	m.stopTimer(T3450)
	m.clearRetx()
	m.stopTimer(TS1Guard)
	m.outcome(m.s.Proc, false, why)
	m.end()
	m.s.TAUActive, m.s.TAURelease = false, false
}

// failIdleProc ends the idle mode procedure in progress as failed and
// releases the connection; the UE stays EMM-REGISTERED and goes ECM-IDLE.
func (m *Machine) failIdleProc(why string, cause s1ap.Cause) {
	m.abortIdleProc(why)
	m.releaseConnection(cause)
}

// outcomeFrom reports an outcome of p that began at start (procedures that
// do not hold Proc: a rejected request, paging).
func (m *Machine) outcomeFrom(p Procedure, ok bool, cause string, start time.Time) {
	m.rd.Outcomes = append(m.rd.Outcomes, Outcome{Proc: p, OK: ok, Cause: cause, Start: start, End: m.now})
}
