package session

import "strconv"

// EMMState is the network-side EPS mobility management state of a UE
// (TS 24.301 §5.1.3.4; TS 23.401 §4.6.2).
type EMMState uint8

// EMM states of the MME (TS 24.301 §5.1.3.4.1-4).
const (
	// EMMDeregistered: no EMM context, or one marked detached; an attach
	// may be in progress (TS 24.301 §5.1.3.4.1).
	EMMDeregistered EMMState = iota + 1
	// EMMCommonProcedureInitiated: a common procedure (identification,
	// authentication, security mode control, or the GUTI allocation carried
	// by ATTACH ACCEPT) was started and its answer is awaited
	// (TS 24.301 §5.1.3.4.2).
	EMMCommonProcedureInitiated
	// EMMRegistered: the attach completed; the UE has an EMM context and a
	// default EPS bearer (TS 24.301 §5.1.3.4.3).
	EMMRegistered
	// EMMDeregisteredInitiated: the MME sent DETACH REQUEST and waits for
	// DETACH ACCEPT (TS 24.301 §5.1.3.4.4).
	EMMDeregisteredInitiated
)

var emmNames = [...]string{"", "EMM-DEREGISTERED", "EMM-COMMON-PROCEDURE-INITIATED", "EMM-REGISTERED", "EMM-DEREGISTERED-INITIATED"}

func (s EMMState) String() string {
	if s > 0 && int(s) < len(emmNames) {
		return emmNames[s]
	}
	return "EMMState(" + strconv.Itoa(int(s)) + ")"
}

// ECMState is the EPS connection management state (TS 23.401 §4.6.3): whether
// a NAS signalling connection (a UE-associated logical S1 connection) exists.
type ECMState uint8

// ECM states (TS 23.401 §4.6.3.1-2).
const (
	// ECMIdle: no NAS signalling connection; the MME knows the UE's TAI
	// list (TS 23.401 §4.6.3.1).
	ECMIdle ECMState = iota + 1
	// ECMConnected: a UE-associated logical S1 connection exists
	// (TS 23.401 §4.6.3.2).
	ECMConnected
)

func (s ECMState) String() string {
	switch s {
	case ECMIdle:
		return "ECM-IDLE"
	case ECMConnected:
		return "ECM-CONNECTED"
	}
	return "ECMState(" + strconv.Itoa(int(s)) + ")"
}

// BearerState is the network-side EPS bearer context state
// (TS 24.301 §6.1.3.3).
type BearerState uint8

// EPS bearer context states of the network (TS 24.301 §6.1.3.3).
const (
	BearerInactive        BearerState = iota + 1 // BEARER CONTEXT INACTIVE
	BearerActivePending                          // BEARER CONTEXT ACTIVE PENDING
	BearerActive                                 // BEARER CONTEXT ACTIVE
	BearerInactivePending                        // BEARER CONTEXT INACTIVE PENDING
	BearerModifyPending                          // BEARER CONTEXT MODIFY PENDING
)

var bearerNames = [...]string{"", "BEARER-CONTEXT-INACTIVE", "BEARER-CONTEXT-ACTIVE-PENDING", "BEARER-CONTEXT-ACTIVE", "BEARER-CONTEXT-INACTIVE-PENDING", "BEARER-CONTEXT-MODIFY-PENDING"}

func (s BearerState) String() string {
	if s > 0 && int(s) < len(bearerNames) {
		return bearerNames[s]
	}
	return "BearerState(" + strconv.Itoa(int(s)) + ")"
}

// Procedure names the EMM specific or connection management procedure in
// progress (TS 24.301 §5.1.2); common procedures run inside one of them.
type Procedure uint8

// Procedures. Attach and detach are issue #7; the others are named for the
// mobility work (issue #9) and for metrics.
const (
	ProcNone           Procedure = iota + 1
	ProcAttach                   // TS 24.301 §5.5.1, TS 23.401 §5.3.2.1
	ProcDetachUE                 // UE-initiated detach, TS 24.301 §5.5.2.2, TS 23.401 §5.3.8.2
	ProcDetachNetwork            // network-initiated detach, TS 24.301 §5.5.2.3, TS 23.401 §5.3.8.3-4
	ProcS1Release                // S1 release, TS 23.401 §5.3.5
	ProcDetachImplicit           // implicit detach, TS 24.301 §5.3.7, TS 23.401 §5.3.8.3
	// v2 (issue #9, idle mode)
	ProcServiceRequest   // (extended) service request, TS 24.301 §5.6.1, TS 23.401 §5.3.4.1
	ProcTAU              // tracking area update, TS 24.301 §5.5.3, TS 23.401 §5.3.3
	ProcGUTIReallocation // GUTI reallocation, TS 24.301 §5.4.1
	ProcPaging           // paging (an outcome only: paging runs beside the other procedures), TS 24.301 §5.6.2, TS 23.401 §5.3.4.3
	// v2 (issue #9, handover)
	ProcX2Handover // X2-based handover (path switch), TS 23.401 §5.5.1.1, TS 36.413 §8.4.4
	ProcS1Handover // intra-MME S1-based handover, TS 23.401 §5.5.1.2, TS 36.413 §8.4.1-3
	// ESM procedures (issue #9, bearers): they run in ESMTransaction,
	// beside the EMM procedure of Proc.
	ProcDedicatedBearer  // network-initiated dedicated bearer activation, TS 23.401 §5.4.1, TS 24.301 §6.4.2
	ProcBearerModify     // network-initiated bearer modification, TS 23.401 §5.4.2, TS 24.301 §6.4.3
	ProcBearerDeactivate // network-initiated bearer deactivation, TS 23.401 §5.4.4.1, TS 24.301 §6.4.4
	ProcPDNConnect       // UE-requested PDN connectivity, TS 23.401 §5.10.2, TS 24.301 §6.5.1
	ProcPDNDisconnect    // UE-requested PDN disconnection, TS 23.401 §5.10.3, TS 24.301 §6.5.2
	ProcERABRelease      // eNodeB-initiated bearer release, TS 23.401 §5.4.4.2
	// UE context modification after a UE-AMBR change, TS 23.401 §5.3.9.2,
	// TS 36.413 §8.3.4.
	ProcUEContextModification
	lastProcedure = ProcUEContextModification
)

var procNames = [...]string{"", "none", "attach", "detach_ue", "detach_network", "s1_release", "detach_implicit",
	"service_request", "tau", "guti_reallocation", "paging", "x2_handover", "s1_handover",
	"dedicated_bearer", "bearer_modify", "bearer_deactivate", "pdn_connect", "pdn_disconnect", "erab_release", "ue_context_modification"}

func (p Procedure) String() string {
	if p > 0 && int(p) < len(procNames) {
		return procNames[p]
	}
	return "Procedure(" + strconv.Itoa(int(p)) + ")"
}

// Wait is what the procedure in progress is waiting for. Exactly one
// answer is awaited at a time; an event that is not it is unexpected in
// the procedure (answered per the state's rules, counted).
type Wait uint8

// Waits of the attach and detach procedures.
const (
	WaitNone             Wait = iota + 1
	WaitIMSIResolution        // the node looks up an IMSI learnt from IDENTITY RESPONSE
	WaitIdentityResponse      // IDENTITY REQUEST sent, T3470 (TS 24.301 §5.4.4)
	WaitAIA                   // Authentication-Information-Request sent (TS 29.272 §5.2.3.1)
	WaitAuthResponse          // AUTHENTICATION REQUEST sent, T3460 (TS 24.301 §5.4.2)
	WaitSMComplete            // SECURITY MODE COMMAND sent, T3460 (TS 24.301 §5.4.3)
	WaitESMInfo               // ESM INFORMATION REQUEST sent, T3489 (TS 24.301 §6.6.1.2)
	WaitOldSessions           // Delete Session for a previous context (re-attach, TS 23.401 §5.3.2.1 step 12)
	WaitULA                   // Update-Location-Request sent (TS 29.272 §5.2.1.1)
	WaitCSR                   // Create Session Request sent (TS 29.274 §7.2.1)
	WaitAttachComplete        // ATTACH ACCEPT sent in INITIAL CONTEXT SETUP REQUEST, T3450
	WaitDSR                   // Delete Session Request(s) sent (detach, TS 23.401 §5.3.8)
	WaitDetachAccept          // DETACH REQUEST sent, T3422 (TS 24.301 §5.5.2.3)
	WaitRAB                   // Release Access Bearers Request sent (TS 23.401 §5.3.5)
	WaitReleaseComplete       // UE CONTEXT RELEASE COMMAND sent (TS 36.413 §8.3.3)
	// v2 (issue #9, idle mode)
	WaitServiceICS          // INITIAL CONTEXT SETUP REQUEST sent to restore the bearers (TS 23.401 §5.3.4.1 step 4)
	WaitServiceMBR          // Modify Bearer Request sent with the eNodeB F-TEIDs (TS 23.401 §5.3.4.1 step 8)
	WaitTAUComplete         // TRACKING AREA UPDATE ACCEPT with a new GUTI sent, T3450 (TS 24.301 §5.5.3.2.4)
	WaitGUTIReallocComplete // GUTI REALLOCATION COMMAND sent, T3450 (TS 24.301 §5.4.1.2)
	// issue #9, handover
	WaitPathSwitchMBR  // Modify Bearer Request for a PATH SWITCH REQUEST sent (TS 23.401 §5.5.1.1.2 step 2)
	WaitHORequestAck   // HANDOVER REQUEST sent to the target, TS1RELOCprep (TS 36.413 §8.4.2)
	WaitHONotify       // HANDOVER COMMAND sent to the source, TS1RELOCoverall (TS 36.413 §8.4.3)
	WaitHOModifyBearer // Modify Bearer Request after HANDOVER NOTIFY sent (TS 23.401 §5.5.1.2.2 step 17)
	// v4 (issue #9, indirect forwarding)
	WaitHOForwarding // Create Indirect Data Forwarding Tunnel Request sent, TS1RELOCprep (TS 23.401 §5.5.1.2.2 step 8a)
	lastWait         = WaitHOForwarding
)

var waitNames = [...]string{"", "none", "imsi_resolution", "identity_response", "aia", "authentication_response",
	"security_mode_complete", "esm_information_response", "old_sessions_deleted", "ula", "create_session_response",
	"attach_complete", "delete_session_response", "detach_accept", "release_access_bearers_response", "ue_context_release_complete",
	"initial_context_setup_response", "modify_bearer_response", "tau_complete", "guti_reallocation_complete",
	"path_switch_modify_bearer_response", "handover_request_acknowledge", "handover_notify", "handover_modify_bearer_response",
	"create_indirect_forwarding_response"}

func (w Wait) String() string {
	if w > 0 && int(w) < len(waitNames) {
		return waitNames[w]
	}
	return "Wait(" + strconv.Itoa(int(w)) + ")"
}
