package supervision

import (
	"errors"
	"fmt"
	"time"
)

// ErrRestartIntensity is returned (wrapped in an [*IntensityError]) by
// [Actors.Run] and [Supervisor.Run] when more restarts than the configured
// intensity happened within the period: the failure is escalated to the
// parent, as in OTP.
var ErrRestartIntensity = errors.New("supervision: restart intensity exceeded")

// IntensityError says who escalated, with which limits, and the last failure.
type IntensityError struct {
	Who       string        // "actors" or the supervisor's name
	Intensity int           // the limit: more than this many restarts...
	Period    time.Duration // ...within this period
	Last      string        // the last failure (child name and error, or crash reason)
}

func (e *IntensityError) Error() string {
	return fmt.Sprintf("supervision: %s: restart intensity exceeded (more than %d in %v; last: %s)", e.Who, e.Intensity, e.Period, e.Last)
}

// Unwrap returns ErrRestartIntensity.
func (e *IntensityError) Unwrap() error { return ErrRestartIntensity }

// window counts events in a sliding window of period; it keeps at most
// max+1 instants, so its memory is bounded by the intensity.
type window struct {
	max    int
	period time.Duration
	times  []time.Time
}

// add records an event at now and reports whether more than max events fall
// within (now-period, now].
func (w *window) add(now time.Time) bool {
	w.times = append(w.times, now)
	cut := 0
	for cut < len(w.times) && !w.times[cut].After(now.Add(-w.period)) {
		cut++
	}
	if cut > 0 {
		w.times = append(w.times[:0], w.times[cut:]...)
	}
	if len(w.times) > w.max+1 {
		w.times = append(w.times[:0], w.times[len(w.times)-w.max-1:]...)
	}
	return len(w.times) > w.max
}

func (w *window) reset() { w.times = w.times[:0] }

// crashTracker is the per-key restart intensity of one worker: it remembers
// only keys that crashed within the period, at most limit of them, so keys
// that never crash cost nothing. It is owned by its worker goroutine.
type crashTracker struct {
	max    int
	period time.Duration
	limit  int
	keys   map[Key][]time.Time
}

func newCrashTracker(max int, period time.Duration, limit int) *crashTracker {
	return &crashTracker{max: max, period: period, limit: limit, keys: make(map[Key][]time.Time)}
}

// add records a crash of key at now and reports whether the key exceeded its
// intensity (more than max crashes within period). An exceeded key is
// forgotten: after quarantine it starts afresh.
func (t *crashTracker) add(key Key, now time.Time) bool {
	times, ok := t.keys[key]
	if !ok && len(t.keys) >= t.limit {
		t.evict(now)
	}
	w := window{max: t.max, period: t.period, times: times}
	if w.add(now) {
		delete(t.keys, key)
		return true
	}
	t.keys[key] = w.times
	return false
}

// evict drops keys whose crashes all left the window; if none did (a crash
// storm over more than limit keys), it drops an arbitrary one: the pool-level
// intensity escalates such a storm anyway.
func (t *crashTracker) evict(now time.Time) {
	cut := now.Add(-t.period)
	for k, times := range t.keys {
		if len(times) == 0 || !times[len(times)-1].After(cut) {
			delete(t.keys, k)
		}
	}
	if len(t.keys) < t.limit {
		return
	}
	for k := range t.keys {
		delete(t.keys, k)
		return
	}
}

// remembered returns how many keys are tracked (tests and metrics).
func (t *crashTracker) remembered() int { return len(t.keys) }
