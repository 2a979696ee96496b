package supervision

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"
)

// InjectedFault is the panic value of an injected crash. Recovered like any
// other panic, it is reported with reason [ReasonFaultInjection].
type InjectedFault struct {
	Key Key
}

func (f InjectedFault) Error() string {
	return fmt.Sprintf("supervision: injected fault (key %d)", uint64(f.Key))
}

// FaultInjector makes chosen or random actor events panic inside the
// recover scope of the worker, exactly where a real bug would, so that crash
// isolation, crash reports, restart and quarantine can be exercised on a
// running node (issue #8 "fault-injection switch"; `mme demo --chaos`).
//
// It is off by default and costs one atomic load per event while off. A nil
// *FaultInjector is valid and never injects. Safe for concurrent use.
type FaultInjector struct {
	armed atomic.Bool // any key marked or a rate set
	count atomic.Uint64

	mu    sync.Mutex
	keys  map[Key]struct{}
	rate  float64 // crashes per second, 0 = off
	next  time.Time
	rng   *rand.Rand
	clock Clock

	// spare: a key the random rate crashed is not chosen by the rate
	// again for this long (SpareFor); spared holds those keys with the end
	// of their spell, expires the same in order (the ends only grow).
	spare   time.Duration
	spared  map[Key]time.Time
	expires []sparedKey
	head    int // expires[:head] are spent
}

type sparedKey struct {
	key   Key
	until time.Time
}

// NewFaultInjector returns a disarmed injector. clock paces the random crash
// rate (nil: [SystemClock]); rng chooses the instants (nil: seeded from the
// runtime's random source). Pass a seeded rng for reproducible chaos.
func NewFaultInjector(clock Clock, rng *rand.Rand) *FaultInjector {
	if clock == nil {
		clock = SystemClock{}
	}
	if rng == nil {
		rng = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return &FaultInjector{keys: make(map[Key]struct{}), rng: rng, clock: clock}
}

// CrashKey makes the next event handled for key panic (once).
func (f *FaultInjector) CrashKey(key Key) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.keys[key] = struct{}{}
	f.armed.Store(true)
}

// SetRate makes events panic at about perSecond crashes per second, on
// whichever keys' events arrive at the chosen instants (exponentially
// distributed gaps, so crashes fall on random keys). An instant with no
// event within 1/perSecond after it is dropped: the rate is reached when
// events are denser than it, and sparse events are rarely hit. 0 turns it
// off.
// A negative, NaN or infinite rate is treated as 0.
func (f *FaultInjector) SetRate(perSecond float64) {
	if perSecond < 0 || math.IsNaN(perSecond) || math.IsInf(perSecond, 0) {
		perSecond = 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rate = perSecond
	if perSecond > 0 {
		f.next = f.clock.Now().Add(f.gapLocked())
	}
	f.armed.Store(f.rate > 0 || len(f.keys) > 0)
}

// SpareFor makes the random rate pass over a key it crashed for d
// afterwards (0, the default: never). A node sets it to its actors'
// restart-intensity period, so that the random rate never crashes one
// subscriber twice within that period: it exercises crash isolation and
// restart, not quarantine (CrashKey does that on purpose). Without it, a
// constant rate concentrates on whatever few keys are busy when the load
// ebbs (the tail of a load, a stall): a lone UE's every retry is crashed,
// and after five failed attempts the UE backs off for T3402 (12 minutes,
// TS 24.301 §5.5.1.2.6), or its key is quarantined. The memory is bounded
// by the rate times d (at most 500/s × 5 min: 150,000 keys).
func (f *FaultInjector) SpareFor(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.spare = max(0, d)
	if f.spare == 0 {
		f.spared, f.expires, f.head = nil, nil, 0
	}
}

// Rate returns the configured random crash rate (crashes per second).
func (f *FaultInjector) Rate() float64 {
	if f == nil {
		return 0
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.rate
}

// Injected returns how many faults were injected so far.
func (f *FaultInjector) Injected() uint64 {
	if f == nil {
		return 0
	}
	return f.count.Load()
}

// Marked reports whether key's next event will crash (CrashKey was called
// and that event has not come yet).
func (f *FaultInjector) Marked(key Key) bool {
	if f == nil {
		return false
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.keys[key]
	return ok
}

// Disarm clears every marked key and the rate.
func (f *FaultInjector) Disarm() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.keys)
	f.rate = 0
	f.armed.Store(false)
}

func (f *FaultInjector) gapLocked() time.Duration {
	return time.Duration(f.rng.ExpFloat64() / f.rate * float64(time.Second))
}

// maybeCrash panics with InjectedFault when key's event is chosen. It is
// called by the worker inside its recover scope, before Handle.
func (f *FaultInjector) maybeCrash(key Key) {
	if f == nil || !f.armed.Load() {
		return
	}
	if f.shouldCrash(key) {
		f.count.Add(1)
		panic(InjectedFault{Key: key})
	}
}

func (f *FaultInjector) shouldCrash(key Key) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.keys[key]; ok {
		delete(f.keys, key)
		f.armed.Store(f.rate > 0 || len(f.keys) > 0)
		return true
	}
	if f.rate > 0 {
		now := f.clock.Now()
		if !now.Before(f.next) {
			// The first event after a chosen instant crashes, unless it
			// comes more than one mean gap (1/rate) late: then the instant
			// is dropped. Without that, events sparser than the rate
			// (a quiet node, a UE's retransmissions) would all crash.
			//
			// A key spared after an earlier random crash (SpareFor) leaves
			// the instant due for the next other key's event.
			if f.sparedLocked(key, now) {
				return false
			}
			late := now.Sub(f.next)
			f.next = now.Add(f.gapLocked())
			if late > time.Duration(float64(time.Second)/f.rate) {
				return false
			}
			f.spareLocked(key, now)
			return true
		}
	}
	return false
}

// sparedLocked reports whether the random rate passes over key now
// (SpareFor), forgetting the spells that ended.
func (f *FaultInjector) sparedLocked(key Key, now time.Time) bool {
	if f.spare == 0 {
		return false
	}
	for f.head < len(f.expires) && !now.Before(f.expires[f.head].until) {
		if e := f.expires[f.head]; f.spared[e.key].Equal(e.until) {
			delete(f.spared, e.key)
		}
		f.head++
	}
	if f.head > 0 && f.head >= len(f.expires)/2 {
		// Compact once half is spent: amortised O(1) per spell.
		f.expires = append(f.expires[:0], f.expires[f.head:]...)
		f.head = 0
	}
	until, ok := f.spared[key]
	return ok && now.Before(until)
}

// spareLocked starts key's spell after a random crash.
func (f *FaultInjector) spareLocked(key Key, now time.Time) {
	if f.spare == 0 {
		return
	}
	if f.spared == nil {
		f.spared = make(map[Key]time.Time)
	}
	until := now.Add(f.spare)
	f.spared[key] = until
	f.expires = append(f.expires, sparedKey{key: key, until: until})
}
