package loadtest

import (
	"fmt"
	"time"

	"github.com/lte-mme/mme/nas/security"
)

// EMMState is the EMM state of a simulated UE (TS 24.301 §5.1.3.2, the UE
// side; substates are not modelled).
type EMMState uint8

// EMM states (TS 24.301 §5.1.3.2.1).
const (
	EMMDeregistered                  EMMState = iota + 1 // EMM-DEREGISTERED
	EMMRegisteredInitiated                               // EMM-REGISTERED-INITIATED (attach)
	EMMRegistered                                        // EMM-REGISTERED
	EMMDeregisteredInitiated                             // EMM-DEREGISTERED-INITIATED (UE detach)
	EMMTrackingAreaUpdatingInitiated                     // EMM-TRACKING-AREA-UPDATING-INITIATED
	EMMServiceRequestInitiated                           // EMM-SERVICE-REQUEST-INITIATED
	emmEnd
)

var emmNames = [emmEnd]string{"", "EMM-DEREGISTERED", "EMM-REGISTERED-INITIATED", "EMM-REGISTERED",
	"EMM-DEREGISTERED-INITIATED", "EMM-TRACKING-AREA-UPDATING-INITIATED", "EMM-SERVICE-REQUEST-INITIATED"}

func (s EMMState) String() string {
	if s > 0 && s < emmEnd {
		return emmNames[s]
	}
	return fmt.Sprintf("EMMState(%d)", uint8(s))
}

// ECMState is the EPS connection management state (TS 23.401 §4.6.3).
type ECMState uint8

// ECM states.
const (
	ECMIdle      ECMState = iota + 1 // no NAS signalling connection
	ECMConnected                     // S1 connection with an MME
)

func (s ECMState) String() string {
	switch s {
	case ECMIdle:
		return "ECM-IDLE"
	case ECMConnected:
		return "ECM-CONNECTED"
	}
	return fmt.Sprintf("ECMState(%d)", uint8(s))
}

// UE is one simulated UE: its USIM, its EMM/ECM state and what it keeps
// while idle. It is a compact value with no pointers, held in one slice per
// run (a million of them are one allocation the GC does not scan); what a
// connected UE needs besides (its live NAS security context, the eNodeB's
// view of its S1 connection) sits in its worker's connection table, indexed
// by conn.
type UE struct {
	imsi   uint64   // IMSI digits as a number (imsiDigits of them)
	k, opc [16]byte // USIM keys (TS 35.206)
	sqnMS  uint64   // the USIM's highest accepted SQN (TS 33.102 C.2, no IND)

	// sec is the stored native EPS security context (TS 24.301 §4.4.2.1,
	// nas/security's 44-octet layout); sec[0] == 0 means none.
	sec [security.StoredLen]byte

	mtmsi      uint32 // GUTI (TS 23.003 §2.8): M-TMSI
	mmegi      uint16 //   MMEGI
	gutiPLMN   [3]byte
	mmec       uint8 //   MMEC
	imsiDigits uint8

	emm      EMMState
	ecm      ECMState
	proc     Procedure // procedure in progress, 0 none
	next     Procedure // procedure to run once connected (after a service request)
	profile  uint8     // index into the run's UE profiles
	flags    ueFlags
	attempts uint8     // attach or TAU attempt counter (TS 24.301 §5.5.1.2.6, §5.5.3.2.6)
	retx     uint8     // retransmissions of the pending message (T3421)
	pti      uint8     // last procedure transaction identity used (TS 24.007 §11.2.3.1a)
	defEBI   uint8     // default bearer of the first PDN
	auxEBI   uint8     // default bearer of a second PDN
	retry    Procedure // what T3411/T3402 restart
	cell     uint8     // serving cell of the serving eNodeB
	enb      uint16
	bearers  uint16 // active EPS bearers, bit n = EBI n (TS 24.301 §9.9.2.1)
	conn     int32  // index in the worker's connection table, -1 when ECM-IDLE
	taiMask  uint64 // registered TAI list, bit i = the run's TAI i (TS 24.301 §5.3.3)
	t3412    uint32 // periodic TAU timer in seconds (TS 24.301 §10.2), 0 deactivated

	procStart int64 // start of the procedure in progress (ns since the run began)

	// Timer slots: each runs one timer at a time; gen invalidates entries
	// of stopped timers still in the wheel.
	gen   [timerSlots]uint16
	tkind [timerSlots]timerKind
}

type ueFlags uint8

const (
	hasGUTI      ueFlags = 1 << iota // a valid GUTI is stored
	hasSecurity                      // sec holds a native security context
	everAttached                     // attached at least once in this run
	auxSecondPDN                     // a second PDN is connected
	dedicated                        // a dedicated bearer is active
	usimInvalid                      // the USIM is invalid until switched off (TS 24.301 §5.4.2.5)
)

// Timer slots of a UE.
const (
	slotGuard = iota // the procedure's guard timer (T3410, T3417, T3421, T3430, T3411, T3402)
	slotAux          // T3418/T3420 during authentication failures
	slotIdle         // periodic TAU (T3412) while idle, inactivity while connected
	timerSlots
)

// timerKind names the timer a slot runs.
type timerKind uint8

// UE timers (TS 24.301 §10.2, table 10.2.2) and the tester's own.
const (
	tNone timerKind = iota
	tT3402
	tT3410
	tT3411
	tT3417
	tT3418
	tT3420
	tT3421
	tT3430
	tT3412
	tInactivity // the eNodeB's user inactivity (TS 36.413 §8.3.2: UE Context Release Request)
	tProcGuard  // the tester's bound on network procedures (paging, handover, bearers)
	tHOPrep     // the radio side of a handover before its first S1 message
	tT3440      // waiting for the network to release the connection
)

// timerSpec is the TS 24.301 §10.2 table: the default value and what its
// expiry does (handled by worker.onTimer).
var timerSpec = [...]struct {
	name  string
	value time.Duration
	on    string
}{
	tNone:       {"none", 0, ""},
	tT3402:      {"T3402", 12 * time.Minute, "attach or TAU again after five failed attempts"},
	tT3410:      {"T3410", 15 * time.Second, "abort the attach, T3411 or T3402 (§5.5.1.2.6 c)"},
	tT3411:      {"T3411", 10 * time.Second, "restart the attach or TAU (§5.5.1.2.6)"},
	tT3417:      {"T3417", 5 * time.Second, "abort the service request (§5.6.1.6)"},
	tT3418:      {"T3418", 20 * time.Second, "network failed the MAC-failure check: abort (§5.4.2.7 c)"},
	tT3420:      {"T3420", 15 * time.Second, "network failed the synch-failure check: abort (§5.4.2.7 d)"},
	tT3421:      {"T3421", 15 * time.Second, "retransmit DETACH REQUEST, local detach on the 5th expiry (§5.5.2.2.4 c)"},
	tT3430:      {"T3430", 15 * time.Second, "abort the TAU, T3411 or T3402 (§5.5.3.2.6 c)"},
	tT3412:      {"T3412", 54 * time.Minute, "periodic TAU (§5.3.5)"},
	tInactivity: {"inactivity", 0, "eNodeB asks the MME to release (TS 36.413 §8.3.2)"},
	tProcGuard:  {"guard", 30 * time.Second, "network procedure did not complete"},
	// An eNodeB hands a UE over only after a measurement report (TS
	// 36.331 §5.5.4: an entry condition held for timeToTrigger, 40 ms to
	// 5.12 s) and, for X2, after the preparation with the target and the
	// UE's random access there (TS 36.300 §10.1.2.1.1): a just-connected
	// UE is not handed over in the same millisecond, and the eNodeB's
	// messages on two associations cannot overtake each other.
	tHOPrep: {"handover_prep", 100 * time.Millisecond, "start the handover the UE connected for"},
	tT3440:  {"T3440", 10 * time.Second, "release the NAS signalling connection locally (§5.5.3.2.4)"},
}

// timerByName returns the timer a scenario names (tNone if unknown).
func timerByName(name string) timerKind {
	for k := tT3402; int(k) < len(timerSpec); k++ {
		if timerSpec[k].name == name && k != tT3412 && k != tInactivity {
			return k
		}
	}
	return tNone
}

func (k timerKind) String() string {
	if int(k) < len(timerSpec) {
		return timerSpec[k].name
	}
	return fmt.Sprintf("timer(%d)", uint8(k))
}

// maxAttempts is the attach and TAU attempt limit (TS 24.301 §5.5.1.2.6:
// five).
const maxAttempts = 5

// maxDetachRetx is the number of DETACH REQUEST retransmissions before a
// local detach (TS 24.301 §5.5.2.2.4 c: on the fifth expiry of T3421).
const maxDetachRetx = 4

// IMSI returns the UE's IMSI digits.
func (u *UE) IMSI() string { return formatIMSI(u.imsi, int(u.imsiDigits)) }

// EMM returns the UE's EMM state.
func (u *UE) EMM() EMMState { return u.emm }

// ECM returns the UE's ECM state.
func (u *UE) ECM() ECMState { return u.ecm }
