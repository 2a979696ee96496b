package session

import (
	"time"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/s1ap"
)

// Handover procedures (issue #9): X2-based handover (TS 23.401 §5.5.1.1,
// TS 36.413 §8.4.4 Path Switch) and intra-MME S1-based handover (TS 23.401
// §5.5.1.2, TS 36.413 §8.4.1-3, §8.4.5-7), with the NH/NCC key chaining
// of TS 33.401 §7.2.8.
//
// The node opens the connection a handover moves the UE to (for PATH SWITCH
// REQUEST, the target's; for HANDOVER REQUIRED, a connection at the target
// eNodeB for HANDOVER REQUEST) and names it in the event; the machine adopts
// it (the UE's connection moves there at the switch) or frees it.

// ENBID is a Global eNB ID (TS 36.413 §9.2.1.37): PLMN, the eNB ID
// alternative (s1ap.ENBIDChoice*) and its value.
type ENBID struct {
	PLMN nas.PLMNID
	Kind uint8
	ID   uint32
}

// Handover is the handover in progress (Proc ProcX2Handover or
// ProcS1Handover): the connections involved, the target eNodeB and the
// E-RABs pending until the switch.
type Handover struct {
	// Source is the UE's connection when the handover began; Target the one
	// it moves to (X2: opened by PATH SWITCH REQUEST; S1: the connection of
	// HANDOVER REQUEST at the target eNodeB).
	Source, Target ConnID
	// TargetENB is the target eNodeB.
	TargetENB ENBID
	// TargetLocation is where the UE is at the target: X2: the TAI and
	// ECGI of PATH SWITCH REQUEST; S1: the selected TAI of HANDOVER REQUIRED
	// (the ECGI comes with HANDOVER NOTIFY).
	TargetLocation Location
	// ERABs are the E-RABs switched (X2) or admitted (S1) with the target's
	// S1-U F-TEIDs; Released the EBIs the target did not take. Both apply at
	// the switch.
	ERABs    []ERABSetup
	Released []uint8
	// CapsMismatch: the UE security capabilities of PATH SWITCH REQUEST
	// differ from the MME's (TS 33.401 §7.2.4.4): the acknowledge carries
	// the MME's.
	CapsMismatch bool
	// DirectForwarding: HANDOVER REQUIRED said a direct forwarding path
	// to the target is available (TS 36.413 §9.2.3.15): HANDOVER COMMAND
	// names the target's forwarding tunnels (TS 23.401 §5.5.1.2.2 step 8).
	DirectForwarding bool
	// Container is the Target to Source Transparent Container of HANDOVER
	// REQUEST ACKNOWLEDGE, kept while the SGW is asked for indirect
	// forwarding tunnels (WaitHOForwarding) and sent in HANDOVER COMMAND.
	Container []byte
	// IndirectForwarding: the SGW holds (or may hold) indirect data
	// forwarding tunnels for this handover (TS 23.401 §5.5.1.2.2 step 8a);
	// they are deleted when the handover ends (step 21 of the same clause,
	// Delete Indirect Data Forwarding Tunnel Request).
	IndirectForwarding bool
}

// hoEvent is implemented by the handover events: Step hands them to
// handoverEvent.
type hoEvent interface {
	Event
	isHandover()
}

// PathSwitchRequest is S1AP PATH SWITCH REQUEST (TS 36.413 §8.4.4.2) from
// the target eNodeB of an X2 handover.
type PathSwitchRequest struct {
	Now time.Time
	// Conn is the source connection (Source MME-UE-S1AP-ID); NewConn the
	// connection the node opened at the target with its eNB-UE-S1AP-ID.
	Conn, NewConn ConnID
	TargetENB     ENBID
	// Switched are the E-RABs to be switched in downlink, with the target's
	// S1-U F-TEIDs.
	Switched []ERABSetup
	// SecurityCapabilities are the UE security capabilities the target
	// received from the source (TS 36.413 §9.2.1.40).
	SecurityCapabilities s1ap.UESecurityCapabilities
	Location
}

// HandoverRequired is S1AP HANDOVER REQUIRED (TS 36.413 §8.4.1.2) from the
// source eNodeB.
type HandoverRequired struct {
	Now  time.Time
	Conn ConnID
	// TargetConn is the connection the node opened at the target eNodeB
	// (0: the target eNodeB is not connected to this MME).
	TargetConn ConnID
	TargetENB  ENBID
	// SelectedTAI is the target's TAI of the Target ID IE.
	SelectedTAI nas.TAI
	Type        s1ap.HandoverType
	Cause       s1ap.Cause
	// Container is the Source to Target Transparent Container, passed on.
	Container []byte
	// DirectForwarding: Direct Forwarding Path Availability says a direct
	// path is available (TS 36.413 §9.2.3.15).
	DirectForwarding bool
}

// ERABForwarding is one E-RAB's data forwarding tunnels at the target
// eNodeB (HANDOVER REQUEST ACKNOWLEDGE, TS 36.413 §9.1.5.5: DL and UL
// transport layer address and GTP-TEID; a zero FTEID is absent).
type ERABForwarding struct {
	EBI    uint8
	DL, UL FTEID
}

// HandoverRequestAcknowledge is S1AP HANDOVER REQUEST ACKNOWLEDGE (TS
// 36.413 §8.4.2.2) from the target: Conn is the target connection, now
// with the target's eNB-UE-S1AP-ID.
type HandoverRequestAcknowledge struct {
	Now      time.Time
	Conn     ConnID
	Admitted []ERABSetup
	// NotAdmitted are the EBIs of E-RABs Failed to Setup.
	NotAdmitted []uint8
	// Container is the Target to Source Transparent Container, passed on.
	Container []byte
	// Forwarding are the data forwarding tunnels the target offers for
	// admitted E-RABs.
	Forwarding []ERABForwarding
}

// HandoverFailure is S1AP HANDOVER FAILURE (TS 36.413 §8.4.2.3) from the
// target: it cannot admit the UE.
type HandoverFailure struct {
	Now   time.Time
	Conn  ConnID
	Cause s1ap.Cause
}

// HandoverCancel is S1AP HANDOVER CANCEL (TS 36.413 §8.4.5) from the source.
type HandoverCancel struct {
	Now   time.Time
	Conn  ConnID
	Cause s1ap.Cause
}

// ENBStatusTransfer is S1AP eNB STATUS TRANSFER (TS 36.413 §8.4.6) from
// the source: the PDCP sequence numbers, relayed to the target.
type ENBStatusTransfer struct {
	Now       time.Time
	Conn      ConnID
	Container s1ap.ENBStatusTransferTransparentContainer
}

// HandoverNotify is S1AP HANDOVER NOTIFY (TS 36.413 §8.4.3) from the
// target: the UE arrived.
type HandoverNotify struct {
	Now  time.Time
	Conn ConnID
	Location
}

func (e *PathSwitchRequest) At() time.Time          { return e.Now }
func (e *HandoverRequired) At() time.Time           { return e.Now }
func (e *HandoverRequestAcknowledge) At() time.Time { return e.Now }
func (e *HandoverFailure) At() time.Time            { return e.Now }
func (e *HandoverCancel) At() time.Time             { return e.Now }
func (e *ENBStatusTransfer) At() time.Time          { return e.Now }
func (e *HandoverNotify) At() time.Time             { return e.Now }

func (*PathSwitchRequest) isHandover()          {}
func (*HandoverRequired) isHandover()           {}
func (*HandoverRequestAcknowledge) isHandover() {}
func (*HandoverFailure) isHandover()            {}
func (*HandoverCancel) isHandover()             {}
func (*ENBStatusTransfer) isHandover()          {}
func (*HandoverNotify) isHandover()             {}

// handoverEventName names the handover events (eventName).
func handoverEventName(ev Event) string {
	switch ev.(type) {
	case *PathSwitchRequest:
		return "PathSwitchRequest"
	case *HandoverRequired:
		return "HandoverRequired"
	case *HandoverRequestAcknowledge:
		return "HandoverRequestAcknowledge"
	case *HandoverFailure:
		return "HandoverFailure"
	case *HandoverCancel:
		return "HandoverCancel"
	case *ENBStatusTransfer:
		return "ENBStatusTransfer"
	case *HandoverNotify:
		return "HandoverNotify"
	}
	return ""
}

// handoverEvent runs a handover event.
func (m *Machine) handoverEvent(ev hoEvent) {
	switch e := ev.(type) {
	case *PathSwitchRequest:
		m.pathSwitchRequest(e)
	case *HandoverRequired:
		m.handoverRequired(e)
	case *HandoverRequestAcknowledge:
		m.handoverRequestAcknowledge(e)
	case *HandoverFailure:
		m.handoverFailure(e)
	case *HandoverCancel:
		m.handoverCancel(e)
	case *ENBStatusTransfer:
		m.enbStatusTransfer(e)
	case *HandoverNotify:
		m.handoverNotify(e)
	}
}

// canHandOver reports whether the UE's current connection conn may be
// handed over: attached, connected on conn (not being released), with a
// security context and no other procedure (TS 23.401 §5.5.1).
func (m *Machine) canHandOver(conn ConnID) (s1ap.Cause, bool) {
	if m.s.ECM == ECMConnected && m.s.Conn == conn && !m.s.Releasing {
		m.accessSideComplete(true)
	}
	switch {
	case m.s.ECM != ECMConnected || m.s.Conn != conn || m.s.Releasing:
		return radioCause(s1ap.CauseRadioNetworkUnknownMmeUeS1apId), false
	case m.s.EMM != EMMRegistered || m.sec == nil || len(m.s.PDNs) == 0:
		// TS 36.413 §8.4.1.3: the MME cannot hand over a UE that has no
		// EPS bearers to move.
		return radioCause(s1ap.CauseRadioNetworkUnspecified), false
	case m.s.Proc != ProcNone:
		// Another procedure holds the UE (an attach completing, a release
		// under way): TS 36.413 §8.4.1.3, §8.4.4.3 failure.
		return radioCause(s1ap.CauseRadioNetworkInteractionWithOtherProcedure), false
	}
	return s1ap.Cause{}, true
}

// nextHop moves the NH chain one step (TS 33.401 §7.2.8.4.3, A.4):
// NH = KDF(K_ASME, NH), NCC + 1 (3 bits).
func (m *Machine) nextHop() s1ap.SecurityContext {
	m.s.NH = security.DeriveNH(m.sec.KASME(), m.s.NH)
	m.s.NCC = (m.s.NCC + 1) & 7
	m.touch()
	return s1ap.SecurityContext{NextHopChainingCount: s1ap.SecurityContextNextHopChainingCount(m.s.NCC),
		NextHopParameter: s1ap.SecurityKey(m.s.NH)}
}

// ---- X2 handover ----

// pathSwitchRequest: TS 23.401 §5.5.1.1.2 steps 1-2: Modify Bearer
// Request with the target's F-TEIDs of the switched E-RABs; the others are
// removed (TS 29.274 §7.2.7 Bearer Contexts to be removed).
func (m *Machine) pathSwitchRequest(e *PathSwitchRequest) {
	m.rd.Started = append(m.rd.Started, ProcX2Handover)
	if cause, ok := m.canHandOver(e.Conn); !ok {
		m.anomaly(e, "PATH SWITCH REQUEST refused: "+causeString(cause))
		m.pathSwitchFailed(e.Conn, e.NewConn, cause, "refused:"+causeString(cause), false)
		return
	}
	m.begin(ProcX2Handover, WaitNone)
	h := Handover{Source: e.Conn, Target: e.NewConn, TargetENB: e.TargetENB, TargetLocation: e.Location}
	mbr := &gtp.ModifyBearerRequest{ULI: uliOf(e.Location)}
	defaults := 0
	for _, p := range m.s.PDNs {
		for _, b := range p.Bearers {
			if sw, ok := findERAB(e.Switched, b.EBI); ok {
				h.ERABs = append(h.ERABs, sw)
				mbr.BearerContextsToBeModified = append(mbr.BearerContextsToBeModified,
					gtp.BearerContext{EBI: b.EBI, S1UENodeBFTEID: fteid(gtp.IfS1UENodeB, sw.TEID, sw.Addr)})
				if b.EBI == p.LBI {
					defaults++
				}
				continue
			}
			// TS 23.401 §5.5.1.1.2 step 2: the bearers the target did not
			// switch are released.
			h.Released = append(h.Released, b.EBI)
			if b.EBI != p.LBI {
				mbr.BearerContextsToBeRemoved = append(mbr.BearerContextsToBeRemoved, gtp.BearerContext{EBI: b.EBI})
			}
		}
	}
	for _, sw := range e.Switched {
		if !m.hasBearer(sw.EBI) {
			m.anomaly(e, "PATH SWITCH REQUEST names E-RAB "+itoa(int(sw.EBI))+" the UE does not have")
		}
	}
	// TS 33.401 §7.2.4.4: the capabilities from the target must be the
	// MME's; if not, the MME's go back in the acknowledge (and it is logged).
	if !sameCapabilities(e.SecurityCapabilities, ueSecurityCapabilities(m.s.UENetworkCapability)) {
		h.CapsMismatch = true
		m.anomaly(e, "UE security capabilities in PATH SWITCH REQUEST differ from the MME's")
	}
	m.s.HO = h
	if defaults == 0 {
		// TS 23.401 §5.5.1.1.2 step 5: no default bearer switched: PATH
		// SWITCH REQUEST FAILURE, and the MME detaches the UE.
		m.pathSwitchFailed(e.Conn, e.NewConn, radioCause(s1ap.CauseRadioNetworkUnspecified), "no_default_bearer_switched", true)
		return
	}
	txn := m.nextTxn()
	m.effect(SendS11{Txn: txn, Peer: m.s.SGW, TEID: m.s.SGWTEID, Msg: mbr})
	m.await(WaitPathSwitchMBR, txn)
}

// pathSwitchModifyBearer: TS 23.401 §5.5.1.1.2 steps 4-5: the SGW
// switched the downlink path: PATH SWITCH REQUEST ACKNOWLEDGE with the
// next NH and NCC (TS 33.401 §7.2.8.4.2), the UE's connection is now the
// target's, the source connection is forgotten (its eNodeB releases the
// UE by X2 UE CONTEXT RELEASE, TS 36.423 §8.2.3).
func (m *Machine) pathSwitchModifyBearer(e *S11Response, resp *gtp.ModifyBearerResponse) {
	h := &m.s.HO
	if e.Err != nil || resp == nil || !resp.Cause.Accepted() {
		why := "s11:no_response"
		if resp != nil {
			why = "s11:" + resp.Cause.Value.String()
		} else if e.Err != nil {
			m.anomaly(e, "Modify Bearer for the path switch got no answer: "+e.Err.Error())
		}
		m.pathSwitchFailed(h.Source, h.Target, radioCause(s1ap.CauseRadioNetworkUnspecified), why, true)
		return
	}
	m.s.Pending = 0
	m.effect(FreeConn{Conn: h.Source})
	m.s.Conn, m.s.LastLocation = h.Target, h.TargetLocation
	m.applySwitch(h.ERABs, h.Released)
	ack := &s1ap.PathSwitchRequestAcknowledge{SecurityContext: m.nextHop()}
	if len(h.Released) > 0 {
		ack.ERABToBeReleasedList = s1ap.Some(erabList(h.Released, radioCause(s1ap.CauseRadioNetworkUnspecified)))
	}
	if h.CapsMismatch {
		ack.UESecurityCapabilities = s1ap.Some(ueSecurityCapabilities(m.s.UENetworkCapability))
	}
	m.effect(SendS1{Conn: m.s.Conn, Msg: ack})
	m.s.HO = Handover{}
	m.outcome(ProcX2Handover, true, "")
	m.end()
}

// pathSwitchFailed answers PATH SWITCH REQUEST FAILURE on the target's
// connection and frees it (TS 36.413 §8.4.4.3). With detach, the UE lost
// its user plane: the source connection is gone (released by X2) and the
// MME detaches the UE (TS 23.401 §5.5.1.1.2 step 5, locally: it has no
// connection to send DETACH REQUEST on).
func (m *Machine) pathSwitchFailed(source, target ConnID, cause s1ap.Cause, why string, detach bool) {
	m.effect(SendS1{Conn: target, Msg: &s1ap.PathSwitchRequestFailure{MMEUES1APID: s1ap.MMEUES1APID(source), Cause: cause}})
	m.effect(FreeConn{Conn: target})
	if m.s.Proc != ProcX2Handover {
		m.outcomeAt(ProcX2Handover, false, why)
		return
	}
	m.s.HO = Handover{}
	m.outcome(ProcX2Handover, false, why)
	m.end()
	if detach {
		if m.s.ECM == ECMConnected && m.s.Conn == source {
			m.connectionGone()
		}
		m.localDetach("path_switch_failed:" + why)
	}
}

// outcomeAt reports a procedure that failed at once (it never began).
func (m *Machine) outcomeAt(p Procedure, ok bool, why string) {
	m.rd.Outcomes = append(m.rd.Outcomes, Outcome{Proc: p, OK: ok, Cause: why, Start: m.now, End: m.now})
}

// ---- S1 handover ----

// handoverRequired: TS 23.401 §5.5.1.2.2 steps 1-5, TS 36.413 §8.4.1.2,
// §8.4.2.2: HANDOVER REQUEST to the target with the E-RABs, the UE
// security capabilities, the next NH/NCC (TS 33.401 §7.2.8.4.3) and the
// source's container; TS1RELOCprep runs.
func (m *Machine) handoverRequired(e *HandoverRequired) {
	m.rd.Started = append(m.rd.Started, ProcS1Handover)
	fail := func(cause s1ap.Cause, why string) {
		m.anomaly(e, "HANDOVER REQUIRED refused: "+why)
		if e.TargetConn != 0 {
			m.effect(FreeConn{Conn: e.TargetConn})
		}
		if m.s.ECM == ECMConnected && m.s.Conn == e.Conn || e.Conn != 0 {
			m.effect(SendS1{Conn: e.Conn, Msg: &s1ap.HandoverPreparationFailure{Cause: cause}})
		}
		m.outcomeAt(ProcS1Handover, false, why)
	}
	if cause, ok := m.canHandOver(e.Conn); !ok {
		fail(cause, "refused:"+causeString(cause))
		return
	}
	if e.TargetConn == 0 {
		// TS 36.413 §8.4.1.3: the target is not known to this MME.
		fail(radioCause(s1ap.CauseRadioNetworkUnknownTargetID), "unknown_target_enb")
		return
	}
	if e.Type != s1ap.HandoverTypeIntralte {
		// Inter-RAT handover needs an SGSN or MSC interface this MME does
		// not have.
		fail(radioCause(s1ap.CauseRadioNetworkHoTargetNotAllowed), "handover_type_not_supported")
		return
	}
	m.begin(ProcS1Handover, WaitHORequestAck)
	m.s.HO = Handover{Source: e.Conn, Target: e.TargetConn, TargetENB: e.TargetENB,
		TargetLocation: Location{TAI: e.SelectedTAI}, DirectForwarding: e.DirectForwarding}
	req := &s1ap.HandoverRequest{
		HandoverType: e.Type, Cause: e.Cause,
		UEaggregateMaximumBitrate: s1ap.UEAggregateMaximumBitrate{
			UEaggregateMaximumBitRateDL: s1ap.BitRate(m.s.Subscription.AMBRDownlink),
			UEaggregateMaximumBitRateUL: s1ap.BitRate(m.s.Subscription.AMBRUplink),
		},
		SourceToTargetTransparentContainer: s1ap.SourceToTargetTransparentContainer(e.Container),
		UESecurityCapabilities:             ueSecurityCapabilities(m.s.UENetworkCapability),
		SecurityContext:                    m.nextHop(),
	}
	for i := range m.s.PDNs {
		for j := range m.s.PDNs[i].Bearers {
			b := &m.s.PDNs[i].Bearers[j]
			req.ERABToBeSetupListHOReq = append(req.ERABToBeSetupListHOReq, s1ap.ERABToBeSetupItemHOReq{
				ERABID: s1ap.ERABID(b.EBI), TransportLayerAddress: transportAddress(b.SGWU.Addr), GTPTEID: teidBytes(b.SGWU.TEID),
				ERABlevelQosParameters: erabQoSGBR(b)})
		}
	}
	m.effect(SendS1{Conn: e.TargetConn, Msg: req})
	m.startTimer(TS1RelocPrep)
}

// handoverRequestAcknowledge: TS 23.401 §5.5.1.2.2 steps 5-11, TS 36.413
// §8.4.1.2: HANDOVER COMMAND to the source with the target's container and
// the E-RABs not admitted; TS1RELOCoverall runs until HANDOVER NOTIFY.
func (m *Machine) handoverRequestAcknowledge(e *HandoverRequestAcknowledge) {
	h := &m.s.HO
	if m.s.Proc != ProcS1Handover || m.s.Wait != WaitHORequestAck || e.Conn != h.Target {
		m.anomaly(e, "HANDOVER REQUEST ACKNOWLEDGE not awaited: target released")
		m.effect(SendS1{Conn: e.Conn, Msg: &s1ap.UEContextReleaseCommand{Cause: radioCause(s1ap.CauseRadioNetworkUnspecified)}})
		return
	}
	h.ERABs, h.Released = h.ERABs[:0], h.Released[:0]
	var defaults int
	for _, p := range m.s.PDNs {
		for _, b := range p.Bearers {
			if a, ok := findERAB(e.Admitted, b.EBI); ok {
				h.ERABs = append(h.ERABs, a)
				if b.EBI == p.LBI {
					defaults++
				}
				continue
			}
			h.Released = append(h.Released, b.EBI)
		}
	}
	if defaults == 0 {
		// TS 23.401 §5.5.1.2.2 step 5: no default bearer admitted: the
		// preparation fails; the target's resources are released.
		m.stopTimer(TS1RelocPrep)
		m.effect(SendS1{Conn: h.Source, Msg: &s1ap.HandoverPreparationFailure{Cause: radioCause(s1ap.CauseRadioNetworkNoRadioResourcesAvailableInTargetCell)}})
		m.releaseTarget(radioCause(s1ap.CauseRadioNetworkNoRadioResourcesAvailableInTargetCell), true)
		m.handoverDone(false, "no_default_bearer_admitted")
		return
	}
	if !h.DirectForwarding {
		if req := m.indirectForwardingRequest(e.Forwarding); req != nil {
			// TS 23.401 §5.5.1.2.2 step 8a: no direct path: the SGW (the
			// same one: intra-MME, no SGW relocation) is asked for
			// forwarding tunnels towards the target's; HANDOVER COMMAND
			// waits for its answer, TS1RELOCprep still running.
			h.Container = e.Container
			txn := m.nextTxn()
			m.effect(SendS11{Txn: txn, Peer: m.s.SGW, TEID: m.s.SGWTEID, Msg: req})
			m.await(WaitHOForwarding, txn)
			return
		}
	}
	m.handoverCommand(e.Container, m.forwardingList(e.Forwarding))
}

// handoverCommand ends the preparation (TS 36.413 §8.4.1.2): HANDOVER
// COMMAND to the source with the target's container, the E-RABs the target
// did not admit and those subject to data forwarding (fwd, may be empty);
// TS1RELOCoverall runs until HANDOVER NOTIFY.
func (m *Machine) handoverCommand(container []byte, fwd s1ap.ERABSubjecttoDataForwardingList) {
	h := &m.s.HO
	m.stopTimer(TS1RelocPrep)
	cmd := &s1ap.HandoverCommand{HandoverType: s1ap.HandoverTypeIntralte,
		TargetToSourceTransparentContainer: s1ap.TargetToSourceTransparentContainer(container)}
	if len(h.Released) > 0 {
		cmd.ERABtoReleaseListHOCmd = s1ap.Some(erabList(h.Released, radioCause(s1ap.CauseRadioNetworkNoRadioResourcesAvailableInTargetCell)))
	}
	if len(fwd) > 0 {
		cmd.ERABSubjecttoDataForwardingList = s1ap.Some(fwd)
	}
	h.Container = nil
	m.effect(SendS1{Conn: h.Source, Msg: cmd})
	m.await(WaitHONotify, 0)
	m.startTimer(TS1RelocOverall)
}

// indirectForwardingRequest is the Create Indirect Data Forwarding Tunnel
// Request (TS 29.274 §7.2.18) for the target's forwarding tunnels of
// admitted E-RABs: per bearer its EBI and the target eNodeB's DL (and UL)
// forwarding F-TEIDs. nil when the target offered none (no forwarding).
func (m *Machine) indirectForwardingRequest(fwd []ERABForwarding) *gtp.CreateIndirectDataForwardingTunnelRequest {
	var req gtp.CreateIndirectDataForwardingTunnelRequest
	for _, f := range fwd {
		if _, ok := findERAB(m.s.HO.ERABs, f.EBI); !ok || !f.DL.Addr.IsValid() && !f.UL.Addr.IsValid() {
			continue
		}
		bc := gtp.BearerContext{EBI: f.EBI}
		if f.DL.Addr.IsValid() {
			bc.ENBDLForwardingFTEID = fteid(gtp.IfENodeBDLForwarding, f.DL.TEID, f.DL.Addr)
		}
		if f.UL.Addr.IsValid() {
			bc.ENBULForwardingFTEID = fteid(gtp.IfENodeBULForwarding, f.UL.TEID, f.UL.Addr)
		}
		req.BearerContexts = append(req.BearerContexts, bc)
	}
	if len(req.BearerContexts) == 0 {
		return nil
	}
	return &req
}

// handoverForwardingResponse: TS 23.401 §5.5.1.2.2 step 8b: the SGW's
// forwarding F-TEIDs go into HANDOVER COMMAND's E-RABs Subject to Data
// Forwarding (TS 36.413 §9.1.5.2: the source forwards to the SGW, which
// relays to the target). If the SGW refuses or does not answer, the
// handover goes on without data forwarding rather than failing: the list
// is optional in HANDOVER COMMAND (TS 36.413 §9.1.5.2) and forwarding only
// makes the handover lossless (TS 23.401 §5.5.1.2.2 step 8: "if indirect
// forwarding applies"); failing the preparation would cost the UE its
// handover for want of an optimisation. The choice is the MME's: no
// clause mandates either.
func (m *Machine) handoverForwardingResponse(e *S11Response, resp *gtp.CreateIndirectDataForwardingTunnelResponse) {
	h := &m.s.HO
	m.s.Pending = 0
	var l s1ap.ERABSubjecttoDataForwardingList
	switch {
	case resp == nil:
		// No answer: the SGW may have created the tunnels; they are
		// deleted at the end all the same (Context Not Found is a fine
		// answer to that).
		h.IndirectForwarding = true
		why := "no answer"
		if e.Err != nil {
			why = e.Err.Error()
		}
		m.anomaly(e, "Create Indirect Data Forwarding Tunnel got no answer, handover without forwarding: "+why)
	case !resp.Cause.Accepted():
		m.anomaly(e, "Create Indirect Data Forwarding Tunnel refused ("+resp.Cause.Value.String()+"), handover without forwarding")
	default:
		h.IndirectForwarding = true
		for _, bc := range resp.BearerContexts {
			if _, ok := findERAB(h.ERABs, bc.EBI); !ok || !bc.Cause.Accepted() || bc.SGWDLForwardingFTEID.IsZero() && bc.SGWULForwardingFTEID.IsZero() {
				continue
			}
			it := s1ap.ERABDataForwardingItem{ERABID: s1ap.ERABID(bc.EBI)}
			if f := bc.SGWDLForwardingFTEID; !f.IsZero() {
				it.DLTransportLayerAddress, it.DLGTPTEID = s1ap.Some(transportAddress(addrOf(f))), s1ap.Some(teidBytes(f.TEID))
			}
			if f := bc.SGWULForwardingFTEID; !f.IsZero() {
				it.ULTransportLayerAddress, it.ULGTPTEID = s1ap.Some(transportAddress(addrOf(f))), s1ap.Some(teidBytes(f.TEID))
			}
			l = append(l, it)
		}
	}
	m.handoverCommand(h.Container, l)
}

// deleteIndirectForwarding: TS 23.401 §5.5.1.2.2 step 21: the SGW's
// temporary forwarding tunnels are released once the handover is over
// (completed, cancelled or failed). The answer is only checked
// (s11Response); nothing waits for it.
func (m *Machine) deleteIndirectForwarding() {
	m.effect(SendS11{Txn: m.nextTxn(), Peer: m.s.SGW, TEID: m.s.SGWTEID, Msg: &gtp.DeleteIndirectDataForwardingTunnelRequest{}})
}

// handoverFailure: TS 36.413 §8.4.2.3, §8.4.1.3: the target cannot admit
// the UE: HANDOVER PREPARATION FAILURE to the source with its cause; the
// target kept no context (the MME forgets the connection).
func (m *Machine) handoverFailure(e *HandoverFailure) {
	if m.s.Proc != ProcS1Handover || m.s.Wait != WaitHORequestAck || e.Conn != m.s.HO.Target {
		m.anomaly(e, "HANDOVER FAILURE not awaited")
		m.effect(FreeConn{Conn: e.Conn})
		return
	}
	m.stopTimer(TS1RelocPrep)
	m.effect(SendS1{Conn: m.s.HO.Source, Msg: &s1ap.HandoverPreparationFailure{Cause: e.Cause}})
	m.effect(FreeConn{Conn: m.s.HO.Target})
	m.handoverDone(false, "handover_failure:"+causeString(e.Cause))
}

// handoverCancel: TS 36.413 §8.4.5.2, TS 23.401 §5.5.1.2.3: the source
// cancels: HANDOVER CANCEL ACKNOWLEDGE, and the target's resources are
// released (UE CONTEXT RELEASE COMMAND, cause handover cancelled).
func (m *Machine) handoverCancel(e *HandoverCancel) {
	if m.s.Proc != ProcS1Handover || e.Conn != m.s.HO.Source || (m.s.Wait != WaitHORequestAck && m.s.Wait != WaitHOForwarding && m.s.Wait != WaitHONotify) {
		// Nothing to cancel (a late cancel after the switch, or a repeated
		// one): acknowledged all the same (TS 36.413 §8.4.5.2).
		m.anomaly(e, "HANDOVER CANCEL without a handover in preparation")
		m.effect(SendS1{Conn: e.Conn, Msg: &s1ap.HandoverCancelAcknowledge{}})
		return
	}
	m.stopTimer(TS1RelocPrep)
	m.stopTimer(TS1RelocOverall)
	m.effect(SendS1{Conn: m.s.HO.Source, Msg: &s1ap.HandoverCancelAcknowledge{}})
	m.releaseTarget(radioCause(s1ap.CauseRadioNetworkHandoverCancelled), m.s.Wait != WaitHORequestAck)
	m.handoverDone(false, "handover_cancelled")
}

// enbStatusTransfer relays the PDCP status to the target (TS 36.413
// §8.4.6, §8.4.7: MME STATUS TRANSFER).
func (m *Machine) enbStatusTransfer(e *ENBStatusTransfer) {
	if m.s.Proc != ProcS1Handover || m.s.Wait != WaitHONotify || e.Conn != m.s.HO.Source {
		// TS 36.413 §8.4.6: only meaningful during the execution phase.
		m.anomaly(e, "eNB STATUS TRANSFER outside a handover execution: ignored")
		return
	}
	m.effect(SendS1{Conn: m.s.HO.Target, Msg: &s1ap.MMEStatusTransfer{ENBStatusTransferTransparentContainer: e.Container}})
}

// handoverNotify: TS 23.401 §5.5.1.2.2 steps 16-17, TS 36.413 §8.4.3: the
// UE is at the target: the connection moves there; Modify Bearer Request
// with the target's F-TEIDs (the bearers not admitted removed).
func (m *Machine) handoverNotify(e *HandoverNotify) {
	h := &m.s.HO
	if m.s.Proc != ProcS1Handover || m.s.Wait != WaitHONotify || e.Conn != h.Target {
		m.anomaly(e, "HANDOVER NOTIFY not awaited")
		return
	}
	m.stopTimer(TS1RelocOverall)
	m.s.Conn, m.s.LastLocation = h.Target, e.Location
	m.touch()
	mbr := &gtp.ModifyBearerRequest{ULI: uliOf(e.Location)}
	for _, a := range h.ERABs {
		mbr.BearerContextsToBeModified = append(mbr.BearerContextsToBeModified,
			gtp.BearerContext{EBI: a.EBI, S1UENodeBFTEID: fteid(gtp.IfS1UENodeB, a.TEID, a.Addr)})
	}
	for _, ebi := range h.Released {
		if !m.isDefaultBearer(ebi) {
			mbr.BearerContextsToBeRemoved = append(mbr.BearerContextsToBeRemoved, gtp.BearerContext{EBI: ebi})
		}
	}
	txn := m.nextTxn()
	m.effect(SendS11{Txn: txn, Peer: m.s.SGW, TEID: m.s.SGWTEID, Msg: mbr})
	m.await(WaitHOModifyBearer, txn)
}

// handoverModifyBearer: TS 23.401 §5.5.1.2.2 steps 18-21: the downlink
// path is switched: the source is released (UE CONTEXT RELEASE COMMAND,
// cause successful handover; its completion frees it). A refused switch
// leaves the UE without a user plane: it is detached (as for X2).
func (m *Machine) handoverModifyBearer(e *S11Response, resp *gtp.ModifyBearerResponse) {
	h := m.s.HO
	m.s.Pending = 0
	m.effect(SendS1{Conn: h.Source, Msg: &s1ap.UEContextReleaseCommand{Cause: radioCause(s1ap.CauseRadioNetworkSuccessfulHandover)}})
	if e.Err != nil || resp == nil || !resp.Cause.Accepted() {
		why := "s11:no_response"
		if resp != nil {
			why = "s11:" + resp.Cause.Value.String()
		}
		m.handoverDone(false, why)
		m.localDetach("handover_modify_bearer_failed:" + why)
		return
	}
	m.applySwitch(h.ERABs, h.Released)
	m.handoverDone(true, "")
}

// releaseTarget releases the target connection of an S1 handover that did
// not complete (TS 36.413 §8.3.3, §8.4.5.2). Once the target acknowledged
// (bound), its UE CONTEXT RELEASE COMPLETE frees the connection; before, the
// command names only the MME-UE-S1AP-ID and the connection is freed at once
// (the completion cannot be matched to it).
func (m *Machine) releaseTarget(cause s1ap.Cause, bound bool) {
	m.effect(SendS1{Conn: m.s.HO.Target, Msg: &s1ap.UEContextReleaseCommand{Cause: cause}})
	if !bound {
		m.effect(FreeConn{Conn: m.s.HO.Target})
	}
}

// handoverDone ends the S1 handover; indirect forwarding tunnels the SGW
// holds (or is creating) for it are deleted.
func (m *Machine) handoverDone(ok bool, why string) {
	if m.s.HO.IndirectForwarding || m.s.Wait == WaitHOForwarding {
		m.deleteIndirectForwarding()
	}
	m.s.HO = Handover{}
	m.outcome(ProcS1Handover, ok, why)
	m.end()
}

// handoverTimer runs the expiry of TS1RELOCprep and TS1RELOCoverall
// (TS 36.413 §8.4.1.2 and §8.4.1.3 for the source's own timers; the MME
// ends the handover the same way).
func (m *Machine) handoverTimer(e *TimerExpired) {
	if m.s.Proc != ProcS1Handover {
		m.anomaly(e, e.ID.String()+" expired without a handover")
		return
	}
	switch {
	case e.ID == TS1RelocPrep && (m.s.Wait == WaitHORequestAck || m.s.Wait == WaitHOForwarding):
		// WaitHOForwarding: the target acknowledged but the SGW did not
		// answer within TS1RELOCprep; the target's context is released.
		m.effect(SendS1{Conn: m.s.HO.Source, Msg: &s1ap.HandoverPreparationFailure{Cause: radioCause(s1ap.CauseRadioNetworkTS1relocprepExpiry)}})
		m.releaseTarget(radioCause(s1ap.CauseRadioNetworkTS1relocprepExpiry), m.s.Wait == WaitHOForwarding)
		m.handoverDone(false, "ts1relocprep_expiry")
	case e.ID == TS1RelocOverall && m.s.Wait == WaitHONotify:
		// The UE did not arrive at the target: the target is released;
		// the source keeps the UE (or asks for its release itself).
		m.releaseTarget(radioCause(s1ap.CauseRadioNetworkTS1relocoverallExpiry), true)
		m.handoverDone(false, "ts1relocoverall_expiry")
	default:
		m.anomaly(e, e.ID.String()+" expired in "+m.s.Wait.String())
	}
}

// handoverS11Response takes the Modify Bearer answer (or its absence) of a
// handover; it reports whether the S11 event was the handover's.
func (m *Machine) handoverS11Response(e *S11Response) bool {
	if m.s.Wait == WaitHOForwarding && e.Txn == m.s.Pending && e.Txn != 0 {
		resp, _ := e.Msg.(*gtp.CreateIndirectDataForwardingTunnelResponse)
		if e.Msg != nil && resp == nil {
			return false
		}
		m.handoverForwardingResponse(e, resp)
		return true
	}
	if (m.s.Wait != WaitPathSwitchMBR && m.s.Wait != WaitHOModifyBearer) || e.Txn != m.s.Pending || e.Txn == 0 {
		return false
	}
	resp, _ := e.Msg.(*gtp.ModifyBearerResponse)
	if e.Msg != nil && resp == nil {
		return false
	}
	if m.s.Wait == WaitPathSwitchMBR {
		m.pathSwitchModifyBearer(e, resp)
	} else {
		m.handoverModifyBearer(e, resp)
	}
	return true
}

// abortHandover ends a handover in progress because the UE's connection
// went away (released, lost) or the machine restarted: the target's
// connection is released (S1) or freed (X2: the target gets PATH SWITCH
// REQUEST FAILURE).
func (m *Machine) abortHandover(why string) {
	h := m.s.HO
	switch m.s.Proc {
	case ProcX2Handover:
		m.effect(SendS1{Conn: h.Target, Msg: &s1ap.PathSwitchRequestFailure{MMEUES1APID: s1ap.MMEUES1APID(h.Source),
			Cause: radioCause(s1ap.CauseRadioNetworkUnspecified)}})
		m.effect(FreeConn{Conn: h.Target})
		m.s.HO = Handover{}
		m.outcome(ProcX2Handover, false, why)
		m.end()
	case ProcS1Handover:
		m.stopTimer(TS1RelocPrep)
		m.stopTimer(TS1RelocOverall)
		if h.Target != m.s.Conn {
			m.releaseTarget(radioCause(s1ap.CauseRadioNetworkUnspecified), m.s.Wait != WaitHORequestAck)
		}
		m.handoverDone(false, why)
	}
}

// applySwitch moves the bearers to the target's F-TEIDs and drops the
// ones the target did not take (PDNs left without a default bearer are
// deleted at the SGW, TS 23.401 §5.5.1.1.2 step 5 and §5.5.1.2.2 step 17).
func (m *Machine) applySwitch(switched []ERABSetup, released []uint8) {
	pdns := m.s.PDNs[:0]
	for _, p := range m.s.PDNs {
		keep := p.Bearers[:0]
		dropPDN := false
		for _, b := range p.Bearers {
			if a, ok := findERAB(switched, b.EBI); ok {
				b.ENBU = FTEID{Addr: a.Addr, TEID: a.TEID}
				keep = append(keep, b)
				continue
			}
			if b.EBI == p.LBI && containsEBI(released, b.EBI) {
				dropPDN = true
			}
		}
		p.Bearers = keep
		if dropPDN {
			// TS 23.401 §5.10.3: the PDN connection goes with its default
			// bearer (Delete Session; its answer is only counted).
			m.s.Outstanding++
			m.effect(SendS11{Txn: m.nextTxn(), Peer: m.s.SGW, TEID: m.s.SGWTEID,
				Msg: &gtp.DeleteSessionRequest{LinkedEBI: p.LBI}})
			continue
		}
		pdns = append(pdns, p)
	}
	m.s.PDNs = pdns
	m.touch()
}

func findERAB(l []ERABSetup, ebi uint8) (ERABSetup, bool) {
	for _, a := range l {
		if a.EBI == ebi {
			return a, true
		}
	}
	return ERABSetup{}, false
}

func containsEBI(l []uint8, ebi uint8) bool {
	for _, v := range l {
		if v == ebi {
			return true
		}
	}
	return false
}

func (m *Machine) hasBearer(ebi uint8) bool {
	for _, p := range m.s.PDNs {
		for _, b := range p.Bearers {
			if b.EBI == ebi {
				return true
			}
		}
	}
	return false
}

func (m *Machine) isDefaultBearer(ebi uint8) bool {
	for _, p := range m.s.PDNs {
		if p.LBI == ebi {
			return true
		}
	}
	return false
}

// erabList is an S1AP E-RAB List (TS 36.413 §9.2.1.36) of EBIs with a cause.
func erabList(ebis []uint8, cause s1ap.Cause) s1ap.ERABList {
	l := make(s1ap.ERABList, 0, len(ebis))
	for _, ebi := range ebis {
		l = append(l, s1ap.ERABItem{ERABID: s1ap.ERABID(ebi), Cause: cause})
	}
	return l
}

// sameCapabilities compares two UE security capabilities on their
// algorithm bits (TS 36.413 §9.2.1.40).
func sameCapabilities(a, b s1ap.UESecurityCapabilities) bool {
	bits := func(x []byte) uint16 {
		var v uint16
		if len(x) > 0 {
			v = uint16(x[0]) << 8
		}
		if len(x) > 1 {
			v |= uint16(x[1])
		}
		return v
	}
	return bits(a.EncryptionAlgorithms.Bytes) == bits(b.EncryptionAlgorithms.Bytes) &&
		bits(a.IntegrityProtectionAlgorithms.Bytes) == bits(b.IntegrityProtectionAlgorithms.Bytes)
}

// uliOf is the User Location Information of a Modify Bearer Request
// after a handover: the TAI and ECGI at the target (TS 29.274 §8.21).
func uliOf(l Location) gtp.ULI {
	var u gtp.ULI
	if l.TAI.PLMN != (nas.PLMNID{}) {
		u.TAI = gtp.TAI{PLMN: gtpPLMN(l.TAI.PLMN), TAC: l.TAI.TAC}
	}
	if l.ECGI.PLMN != (nas.PLMNID{}) {
		u.ECGI = gtp.ECGI{PLMN: gtpPLMN(l.ECGI.PLMN), ECI: l.ECGI.CellID}
	}
	return u
}

// ---- record (v2, issue #9, handover) ----

// forwardingList is the E-RABs Subject to Data Forwarding List of HANDOVER
// COMMAND (TS 36.413 §9.1.5.2, TS 23.401 §5.5.1.2.2 step 8) for direct
// forwarding: each admitted E-RAB for which the target offered a downlink
// (and perhaps uplink) forwarding tunnel. Without a direct path it is
// empty: indirect forwarding goes through the SGW's tunnels instead
// (indirectForwardingRequest, handoverForwardingResponse).
func (m *Machine) forwardingList(fwd []ERABForwarding) s1ap.ERABSubjecttoDataForwardingList {
	h := &m.s.HO
	if !h.DirectForwarding {
		return nil
	}
	var l s1ap.ERABSubjecttoDataForwardingList
	for _, f := range fwd {
		if _, ok := findERAB(h.ERABs, f.EBI); !ok || !f.DL.Addr.IsValid() {
			continue
		}
		it := s1ap.ERABDataForwardingItem{ERABID: s1ap.ERABID(f.EBI),
			DLTransportLayerAddress: s1ap.Some(transportAddress(f.DL.Addr)), DLGTPTEID: s1ap.Some(teidBytes(f.DL.TEID))}
		if f.UL.Addr.IsValid() {
			it.ULTransportLayerAddress, it.ULGTPTEID = s1ap.Some(transportAddress(f.UL.Addr)), s1ap.Some(teidBytes(f.UL.TEID))
		}
		l = append(l, it)
	}
	return l
}

// appendHandover encodes the handover in progress: a flag, then (if any)
// its connections, target eNodeB and location, the pending E-RABs, the
// released EBIs and the capability mismatch.
func appendHandover(e *enc, h *Handover) {
	if h.Source == 0 && h.Target == 0 {
		e.flag(false)
		return
	}
	e.flag(true)
	e.u32(uint32(h.Source))
	e.u32(uint32(h.Target))
	e.b = append(e.b, h.TargetENB.PLMN[:]...)
	e.u8(h.TargetENB.Kind)
	e.u32(h.TargetENB.ID)
	e.b = append(e.b, h.TargetLocation.TAI.PLMN[:]...)
	e.u16(h.TargetLocation.TAI.TAC)
	e.b = append(e.b, h.TargetLocation.ECGI.PLMN[:]...)
	e.u32(h.TargetLocation.ECGI.CellID)
	e.uv(uint64(len(h.ERABs)))
	for _, a := range h.ERABs {
		e.u8(a.EBI)
		e.addr(a.Addr)
		e.u32(a.TEID)
	}
	e.bytes(h.Released)
	e.flag(h.CapsMismatch)
	e.flag(h.DirectForwarding)
	// v4 (issue #9, indirect forwarding)
	e.bytes(h.Container)
	e.flag(h.IndirectForwarding)
}

// decodeHandover decodes appendHandover's encoding of a version v record
// (v ≥ 3: DirectForwarding present; v ≥ 4: Container and
// IndirectForwarding).
func decodeHandover(d *dec, h *Handover, v uint8) {
	if !d.flag("handover") {
		return
	}
	h.Source = ConnID(d.u32("handover source"))
	h.Target = ConnID(d.u32("handover target"))
	copy(h.TargetENB.PLMN[:], d.take(3, "target eNB PLMN"))
	h.TargetENB.Kind = d.u8("target eNB kind")
	h.TargetENB.ID = d.u32("target eNB ID")
	copy(h.TargetLocation.TAI.PLMN[:], d.take(3, "target TAI"))
	h.TargetLocation.TAI.TAC = d.u16("target TAC")
	copy(h.TargetLocation.ECGI.PLMN[:], d.take(3, "target ECGI"))
	h.TargetLocation.ECGI.CellID = d.u32("target cell")
	n := d.list("handover E-RABs")
	for i := 0; i < n; i++ {
		var a ERABSetup
		a.EBI = d.u8("E-RAB")
		a.Addr = d.addr("E-RAB address")
		a.TEID = d.u32("E-RAB TEID")
		h.ERABs = append(h.ERABs, a)
	}
	h.Released = d.bytes("released E-RABs")
	if len(h.Released) > maxList {
		d.fail("released E-RABs too long")
	}
	h.CapsMismatch = d.flag("capabilities mismatch")
	if v >= 3 {
		h.DirectForwarding = d.flag("direct forwarding")
	}
	if v >= 4 {
		h.Container = d.bytes("handover container")
		h.IndirectForwarding = d.flag("indirect forwarding")
	}
}
