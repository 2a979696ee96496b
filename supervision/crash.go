package supervision

import (
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"time"
)

// CrashReport is the fault-identification record written for every recovered
// panic (Armstrong's rule 4: a failure leaves a report that says why). The
// store keeps them (store.CrashLog), the admin API and `mme ctl crashes` list
// them.
type CrashReport struct {
	Time      time.Time `json:"time"`
	Node      string    `json:"node"`
	Version   string    `json:"version"`
	Subsystem string    `json:"subsystem"` // "actors", "actors.restart", "supervisor/<name>", ...
	// Key identifies the subscriber (or the supervisor child) as the node's
	// redaction policy prints it (ActorsConfig.RedactKey): never a raw IMSI
	// unless configured.
	Key    string `json:"key"`
	State  string `json:"state,omitempty"` // state of the actor when it crashed (ActorsConfig.Describe)
	Event  string `json:"event,omitempty"` // the event being handled
	Reason string `json:"reason"`          // metric label: "fault-injection", the panic value's type, "shutdown-timeout", ...
	Error  string `json:"error"`           // the panic value or error, printed
	Stack  string `json:"stack,omitempty"` // goroutine stack at the panic
}

// CrashLog is where crash reports go. The store implements it durably
// (capped and rotated); [MemoryCrashLog] is the bounded in-memory one.
type CrashLog interface {
	// Append records a report. It must be safe for concurrent use.
	Append(r CrashReport) error
	// List returns up to limit reports, newest first (limit <= 0: all kept).
	List(limit int) ([]CrashReport, error)
}

// ReasonFaultInjection is the reason of crashes caused by a [FaultInjector].
const ReasonFaultInjection = "fault-injection"

// ReasonShutdownTimeout is the reason of a report written when a supervisor
// abandons a child that did not end within its Shutdown time.
const ReasonShutdownTimeout = "shutdown-timeout"

// reasonOf classifies a recovered panic value for metrics: the injected
// fault, the runtime error kind, or the dynamic type of the value.
func reasonOf(v any) string {
	switch x := v.(type) {
	case InjectedFault:
		return ReasonFaultInjection
	case *InjectedFault:
		return ReasonFaultInjection
	case runtime.Error:
		// "runtime error: index out of range [3] with length 3" → keep the class only.
		msg := x.Error()
		for _, cls := range []string{"index out of range", "slice bounds out of range", "invalid memory address or nil pointer dereference", "integer divide by zero", "interface conversion", "assignment to entry in nil map"} {
			if strings.Contains(msg, cls) {
				return "runtime: " + cls
			}
		}
		return "runtime"
	case error:
		var f InjectedFault
		if errors.As(x, &f) {
			return ReasonFaultInjection
		}
		return fmt.Sprintf("%T", v)
	case nil:
		return "nil"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// MemoryCrashLog is a [CrashLog] that keeps the newest Cap reports in memory
// (a ring). It is what a node without a store uses, and what tests inspect.
// Its zero value is not usable: call [NewMemoryCrashLog].
type MemoryCrashLog struct {
	mu    sync.Mutex
	ring  []CrashReport
	next  int
	full  bool
	total uint64
}

// NewMemoryCrashLog returns a log keeping the newest capacity reports
// (capacity <= 0 selects 1000).
func NewMemoryCrashLog(capacity int) *MemoryCrashLog {
	if capacity <= 0 {
		capacity = 1000
	}
	return &MemoryCrashLog{ring: make([]CrashReport, capacity)}
}

// Append records r, dropping the oldest report when full. It never fails.
func (l *MemoryCrashLog) Append(r CrashReport) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.ring[l.next] = r
	l.next++
	l.total++
	if l.next == len(l.ring) {
		l.next, l.full = 0, true
	}
	return nil
}

// List returns up to limit reports, newest first.
func (l *MemoryCrashLog) List(limit int) ([]CrashReport, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := l.next
	if l.full {
		n = len(l.ring)
	}
	if limit <= 0 || limit > n {
		limit = n
	}
	out := make([]CrashReport, 0, limit)
	for i := 0; i < limit; i++ {
		j := (l.next - 1 - i + len(l.ring)) % len(l.ring)
		out = append(out, l.ring[j])
	}
	return out, nil
}

// Total returns how many reports were ever appended (including rotated ones).
func (l *MemoryCrashLog) Total() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total
}
