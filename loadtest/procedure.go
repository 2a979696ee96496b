package loadtest

import (
	"fmt"
	"strings"
)

// Procedure is a procedure the tester runs and measures, named as in the
// JSON report (the names `mme demo` reads are the first twelve).
type Procedure uint8

// Procedures. The UE-side clauses are those of TS 24.301 §5 and TS 23.401
// §5.3; the eNodeB-side ones those of TS 36.413 §8.
const (
	ProcAttach                 Procedure = iota + 1 // TS 24.301 §5.5.1.2, TS 23.401 §5.3.2.1
	ProcDetach                                      // UE-initiated, TS 24.301 §5.5.2.2
	ProcTAU                                         // normal TAU after a TA change, TS 24.301 §5.5.3.2
	ProcPeriodicTAU                                 // T3412 or scenario-triggered, §5.5.3.2.2
	ProcServiceRequest                              // TS 24.301 §5.6.1, TS 23.401 §5.3.4.1
	ProcPaging                                      // paging answered by a service request, §5.6.2
	ProcX2Handover                                  // Path Switch, TS 36.413 §8.4.4, TS 23.401 §5.5.1.1
	ProcS1Handover                                  // TS 36.413 §8.4.1-8.4.7, TS 23.401 §5.5.1.2
	ProcS1Release                                   // eNB-initiated UE Context Release, TS 36.413 §8.3.2
	ProcPDNConnect                                  // UE-requested PDN connectivity, TS 24.301 §6.5.1
	ProcPDNDisconnect                               // UE-requested PDN disconnect, TS 24.301 §6.5.2
	ProcDedicatedBearer                             // network-initiated, TS 24.301 §6.4.2
	ProcExtendedServiceRequest                      // packet services via S1, TS 24.301 §5.6.1
	ProcS1Setup                                     // TS 36.413 §8.7.3
	ProcReset                                       // eNB-initiated Reset, TS 36.413 §8.7.1
	procEnd
)

var procNames = [procEnd]string{"", "attach", "detach", "tau", "periodic_tau", "service_request", "paging",
	"x2_handover", "s1_handover", "s1_release", "pdn_connect", "pdn_disconnect", "dedicated_bearer",
	"extended_service_request", "s1_setup", "reset"}

// String returns the procedure's report name ("attach", "x2_handover", ...).
func (p Procedure) String() string {
	if p > 0 && p < procEnd {
		return procNames[p]
	}
	return fmt.Sprintf("Procedure(%d)", uint8(p))
}

// ParseProcedure parses a report name.
func ParseProcedure(s string) (Procedure, error) {
	for p := Procedure(1); p < procEnd; p++ {
		if procNames[p] == strings.TrimSpace(s) {
			return p, nil
		}
	}
	return 0, fmt.Errorf("loadtest: unknown procedure %q (one of %s)", s, strings.Join(procNames[1:], ", "))
}

// needsConnected reports whether the procedure runs on a UE in
// ECM-CONNECTED (a UE found idle first runs a service request).
func (p Procedure) needsConnected() bool {
	switch p {
	case ProcX2Handover, ProcS1Handover, ProcS1Release, ProcPDNConnect, ProcPDNDisconnect:
		return true
	}
	return false
}

// networkTriggered reports whether the MME side starts the procedure (the
// tester asks the SGW emulator's admin API to make it happen).
func (p Procedure) networkTriggered() bool { return p == ProcPaging || p == ProcDedicatedBearer }
