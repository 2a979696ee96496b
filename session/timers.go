package session

import (
	"strconv"
	"time"
)

// TimerID names a per-subscriber timer. The node runs them
// (supervision.Timers) and delivers their expiry as TimerExpired.
type TimerID uint8

// The MME's timers (TS 24.301 §10.2 table 10.2.2; TS 23.401 §4.3.5.2).
const (
	T3450            TimerID = iota + 1 // ATTACH ACCEPT / GUTI REALLOCATION COMMAND / TAU ACCEPT sent
	T3460                               // AUTHENTICATION REQUEST / SECURITY MODE COMMAND sent
	T3470                               // IDENTITY REQUEST sent
	T3422                               // DETACH REQUEST (network-initiated) sent
	T3489                               // ESM INFORMATION REQUEST sent
	TMobileReachable                    // UE entered ECM-IDLE (TS 24.301 §5.3.5, TS 23.401 §4.3.5.2)
	TImplicitDetach                     // mobile reachable expired (TS 24.301 §5.3.5)
	TS1Guard                            // S1AP answer awaited (INITIAL CONTEXT SETUP, UE CONTEXT RELEASE); implementation guard
	// v2 (issue #9, idle mode)
	T3413 // paging sent (TS 24.301 §5.6.2.2, table 10.2.2)
	// v2 (issue #9, handover)
	TS1RelocPrep    // HANDOVER REQUEST sent, HANDOVER REQUEST ACKNOWLEDGE or FAILURE awaited (TS 36.413 §8.4.1.2 TS1RELOCprep)
	TS1RelocOverall // HANDOVER COMMAND sent, HANDOVER NOTIFY awaited (TS 36.413 §8.4.1.2 TS1RELOCoverall)
	// ESM timers (issue #9, bearers; TS 24.301 table 10.3.1).
	T3485     // ACTIVATE DEFAULT/DEDICATED EPS BEARER CONTEXT REQUEST sent
	T3486     // MODIFY EPS BEARER CONTEXT REQUEST sent
	T3495     // DEACTIVATE EPS BEARER CONTEXT REQUEST sent
	numTimers = T3495
)

var timerNames = [...]string{"", "T3450", "T3460", "T3470", "T3422", "T3489", "mobile-reachable", "implicit-detach", "s1-guard", "T3413",
	"TS1RELOCprep", "TS1RELOCoverall", "T3485", "T3486", "T3495"}

func (t TimerID) String() string {
	if t > 0 && int(t) < len(timerNames) {
		return timerNames[t]
	}
	return "TimerID(" + strconv.Itoa(int(t)) + ")"
}

// TimerValues are the MME's timer lengths. DefaultTimerValues gives the
// values of TS 24.301 table 10.2.2 and TS 23.401 §4.3.5.2.
type TimerValues struct {
	T3450, T3460, T3470, T3422, T3489 time.Duration
	// MobileReachable runs while the UE is ECM-IDLE; default T3412 + 4 min
	// (TS 24.301 §5.3.5: "by default, 4 minutes greater than T3412").
	MobileReachable time.Duration
	// ImplicitDetach starts when mobile reachable expires; default 4 min
	// (TS 24.301 §5.3.5: "the implicit detach timer ... default 4 minutes").
	ImplicitDetach time.Duration
	// S1Guard bounds the wait for INITIAL CONTEXT SETUP RESPONSE/FAILURE
	// and UE CONTEXT RELEASE COMPLETE (TS 36.413 leaves it to the
	// implementation).
	S1Guard time.Duration
	// T3413 guards one paging attempt (TS 24.301 table 10.2.2: network
	// dependent); 0 takes DefaultT3413.
	T3413 time.Duration
	// S1RelocPrep bounds the handover preparation at the target and
	// S1RelocOverall the wait for HANDOVER NOTIFY (TS 36.413 §8.4.1.2
	// names TS1RELOCprep and TS1RELOCoverall; the MME keeps its own).
	S1RelocPrep, S1RelocOverall time.Duration
	// T3485, T3486, T3495 guard the network's ESM requests (TS 24.301
	// table 10.3.1: 8 s each).
	T3485, T3486, T3495 time.Duration
}

// DefaultT3413 is the paging timer used when TimerValues.T3413 is 0.
const DefaultT3413 = 4 * time.Second

// MaxRetransmissions is how many times a NAS message guarded by T3450,
// T3460, T3470, T3422 or T3489 is retransmitted: the procedure is aborted
// on the fifth expiry (TS 24.301 §5.4.2.7 b, §5.4.3.7 b, §5.4.4.6 b,
// §5.5.1.2.7 c, §5.5.2.3.4 b, §6.6.1.2.6 a).
const MaxRetransmissions = 4

// DefaultTimerValues returns the TS 24.301 §10.2 values for a T3412 of
// t3412 (TS 24.301 table 10.2.1 default: 54 min).
func DefaultTimerValues(t3412 time.Duration) TimerValues {
	return TimerValues{
		T3450: 6 * time.Second, T3460: 6 * time.Second, T3470: 6 * time.Second,
		T3422: 6 * time.Second, T3489: 4 * time.Second,
		MobileReachable: t3412 + 4*time.Minute,
		ImplicitDetach:  4 * time.Minute,
		S1Guard:         5 * time.Second,
		T3413:           DefaultT3413,
		S1RelocPrep:     5 * time.Second, S1RelocOverall: 10 * time.Second,
		T3485: 8 * time.Second, T3486: 8 * time.Second, T3495: 8 * time.Second,
	}
}

// timerTable is the timer table of STYLE.md "State machines": what each
// timer guards and what its expiry does. Expiries are handled in
// onTimer (machine.go) and the procedure files.
//
//	timer             started when                         expiry (TS 24.301 unless noted)
//	T3450             ATTACH ACCEPT sent                   retransmit ATTACH ACCEPT; 5th: abort attach (§5.5.1.2.7 c)
//	T3460             AUTH REQUEST / SMC sent              retransmit; 5th: abort the procedure, release (§5.4.2.7 b, §5.4.3.7 b)
//	T3470             IDENTITY REQUEST sent                retransmit; 5th: abort, release (§5.4.4.6 b)
//	T3422             DETACH REQUEST sent                  retransmit; 5th: abort, detach locally (§5.5.2.3.4 b)
//	T3489             ESM INFORMATION REQUEST sent         retransmit; 5th: reject the attach with #19/#53 (§6.6.1.2.6)
//	mobile reachable  UE enters ECM-IDLE                   start implicit detach (§5.3.5, TS 23.401 §4.3.5.2)
//	implicit detach   mobile reachable expired             detach implicitly, no NAS (§5.3.5, TS 23.401 §5.3.8.3)
//	S1 guard          ICS REQUEST / RELEASE COMMAND sent   treat as failure / release locally (TS 36.413 §8.3)
//	T3413             S1AP PAGING sent                     page again; last attempt: DDN Failure Indication (§5.6.2.2.2, TS 23.401 §5.3.4.3)
//	TS1RELOCprep      HANDOVER REQUEST sent                HANDOVER PREPARATION FAILURE, target released (TS 36.413 §8.4.1.2)
//	TS1RELOCoverall   HANDOVER COMMAND sent                target released, the UE stays at the source (TS 36.413 §8.4.1.2)
//	T3485             ACTIVATE DEFAULT/DEDICATED sent      retransmit; 5th: abort the activation, release the bearer (§6.4.1.6 a, §6.4.2.6 a)
//	T3486             MODIFY EPS BEARER CONTEXT sent       retransmit; 5th: abort the modification (§6.4.3.6 a)
//	T3495             DEACTIVATE EPS BEARER CONTEXT sent   retransmit; 5th: deactivate locally (§6.4.4.6 a)
var timerTable = [...]TimerID{T3450, T3460, T3470, T3422, T3489, TMobileReachable, TImplicitDetach, TS1Guard, T3413, TS1RelocPrep, TS1RelocOverall, T3485, T3486, T3495}

func (v TimerValues) of(t TimerID) time.Duration {
	switch t {
	case T3450:
		return v.T3450
	case T3460:
		return v.T3460
	case T3470:
		return v.T3470
	case T3422:
		return v.T3422
	case T3489:
		return v.T3489
	case TMobileReachable:
		return v.MobileReachable
	case TImplicitDetach:
		return v.ImplicitDetach
	case TS1Guard:
		return v.S1Guard
	case T3413:
		if v.T3413 == 0 {
			return DefaultT3413
		}
		return v.T3413
	case TS1RelocPrep:
		return v.S1RelocPrep
	case TS1RelocOverall:
		return v.S1RelocOverall
	case T3485:
		return v.T3485
	case T3486:
		return v.T3486
	case T3495:
		return v.T3495
	}
	return 0
}
