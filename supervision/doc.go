// Package supervision is the node's runtime for per-subscriber concurrency
// and failure handling: virtual actors on a bounded set of workers, timers
// delivered as events, an OTP-style supervisor tree, crash reports and fault
// injection (issues #7 and #8; docs/design/supervision.md).
//
// It is generic (layer "runtime"): it knows keys and events, not LTE. The
// node maps a subscriber to a [Key] and its S1AP/NAS/S11/S6a inputs to
// events; the session state machine (package session) runs inside
// [Handler.Handle].
//
// # Virtual actors
//
// A subscriber is a compact record plus events, not a goroutine (a goroutine
// per subscriber cannot reach 10 million per node; ../shared/DESIGN.md
// "Session actors for millions of subscribers"). [Actors] hashes each key to
// one of Workers goroutines; each worker has a bounded mailbox. The driving
// loop of a worker is:
//
//	for each event (key, ev) in the mailbox, in arrival order:
//	    recover scope {
//	        fault injection may panic here (FaultInjector)
//	        Handler.Handle(worker, key, ev)
//	    }
//	    on panic: crash report → CrashLog, crashes_total{reason}++,
//	              pool intensity (escalate: Run returns *IntensityError),
//	              key intensity exceeded ? Handler.Quarantine : Handler.Restart
//
// So the events of one key are handled in Send order and never in parallel,
// different keys run in parallel, a panic touches only the key whose event
// caused it, and a key that keeps crashing is quarantined instead of being
// restarted forever (Armstrong's rules 1, 3 and 4). Send never blocks: a full
// mailbox is answered with [ErrOverload] so the caller can answer overload
// per spec (TS 36.413 §8.7.6 Overload Start; TS 24.301 §5.5.1.2.5 cause #22
// with T3346).
//
// Per-key restart intensity costs nothing for keys that never crashed: each
// worker remembers only keys that crashed within the period, at most
// CrashHistory/Workers of them.
//
// # Timers
//
// [Timers] is a hierarchical hashed timing wheel whose expiries reach the
// actor as [TimerExpired] events through [Actors.Send]; a full mailbox delays
// an expiry (retry), never drops it. The NAS timers of TS 24.301 §10.2
// (T3450, T3460, T3470, T3422) and the mobile reachable and implicit detach
// timers of TS 23.401 §4.3.5.2 are the intended users; their values and
// meanings live in the session's timer table.
//
// # Supervisor tree
//
// [Supervisor] has OTP semantics: strategies [OneForOne], [OneForAll],
// [RestForOne]; restart types [Permanent], [Transient], [Temporary]; restart
// intensity (more than Intensity restarts within Period) escalates to the
// parent by returning an [*IntensityError]; dynamic children
// ([Supervisor.StartChild], [Supervisor.TerminateChild]: one per eNodeB
// association); orderly shutdown in reverse start order, each child given its
// Shutdown time and then abandoned with a crash report. [Actors.Run] and
// [Timers.Run] are children like any other.
//
// Goroutines: each worker, the timer loop and each supervised child is owned
// by the Run that started it, carries pprof labels ("goroutine", "worker",
// "supervisor", "child") and ends when that Run's context is done.
//
// # Crash reports and fault injection
//
// A [CrashReport] holds time, node, version, subsystem, the redacted key,
// the actor's state and event (ActorsConfig.Describe), reason, error and
// stack. It goes to a [CrashLog]: the store's (store.Store.CrashLog, capped
// and rotated) or a [MemoryCrashLog]. A [FaultInjector] (off by default)
// crashes a given key's next event or random events at a given rate, inside
// the same recover scope as a real bug.
package supervision
