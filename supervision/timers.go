package supervision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/bits"
	"runtime/pprof"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// TimerExpired is the event a [Timers] sends to a key's actor when one of
// its timers expires (T3450, T3460, T3470, T3413, T3422, mobile reachable,
// implicit detach: TS 24.301 §10.2 and TS 23.401 §4.3.5.2 name them; the
// session's timer table maps IDs to them).
type TimerExpired struct {
	ID uint8 // the id given to Start
	// Gen is the generation Start returned. A handler that restarts a timer
	// while an earlier expiry of the same id may still be queued compares it
	// with the generation it holds and drops a stale expiry.
	Gen uint32
	Due time.Time // the deadline's tick (also when delivery was retried after a full mailbox)
}

// TimersConfig configures [NewTimers]. Zero values select the defaults.
type TimersConfig struct {
	// Resolution is the tick of the wheel; a timer fires at the first tick at
	// or after its deadline (never early, at most one tick late plus
	// scheduling). Default 10 ms: the shortest NAS timers are seconds.
	Resolution time.Duration
	// RetryDelay is how long an expiry refused with ErrOverload waits before
	// it is sent again (it is never dropped). Default 5 ticks.
	RetryDelay time.Duration
	Clock      Clock                 // default SystemClock
	Logger     *slog.Logger          // default discards
	Metrics    prometheus.Registerer // nil = no metrics
}

// Timers is a hierarchical hashed timing wheel (4 levels × 256 slots over a
// 32-bit tick, as the classic Unix kernels' timer wheels) holding per-key
// timers identified by (key, id), and delivering expiries as [TimerExpired]
// events through a [Sender] (normally *Actors).
//
// The pending timers live in one open-addressed table of 24-byte slots that
// is at the same time the (key, id) index and the storage of the wheel's
// intrusive lists: Start, Stop and restart are O(1), no allocation per
// timer, about 32–64 B per pending timer depending on the table's fill
// (measured in BenchmarkTimersMemory), and a long timer (the ~1 h mobile
// reachable timer of every idle subscriber) is moved at most three times
// before it fires, so millions of them cost nothing while they wait.
//
// Start and Stop are safe for concurrent use (one mutex; O(1) under it). One
// goroutine, Run, owns the advance of time and the delivery.
type Timers struct {
	cfg   TimersConfig
	out   Sender
	epoch time.Time
	res   time.Duration
	retry uint64 // ticks
	wake  chan struct{}
	m     timerMetrics

	mu       sync.Mutex
	base     uint64 // next tick to process (ticks since epoch)
	awaiting uint64 // tick Run sleeps until (math.MaxUint64: idle)
	tab      []tslot
	n        int
	heads    [4 * 256]uint32 // first slot (index+1) of each wheel list; 0 = empty
	l0       [4]uint64       // bitmap of the non-empty level-0 lists
	gen      uint32
	fired    []firing
	// retryDue keeps the original deadline of expiries re-armed after a
	// full mailbox (rare), so that TimerExpired.Due stays the deadline.
	retryDue map[firingID]uint64
}

type firingID struct {
	key Key
	tag uint32
}

// tslot is one pending timer; tag == 0 marks an empty slot.
type tslot struct {
	key  uint64
	when uint32 // expiry tick, modulo 2^32
	tag  uint32 // id<<24 | generation (24 bits, never 0)
	next uint32 // next slot in its wheel list (index+1), 0 = none
	prev uint32 // previous slot (index+1), or headFlag|list for a list's first
}

type firing struct {
	key Key
	tag uint32
	due uint64
}

const (
	headFlag      = 1 << 31
	genMask       = 1<<24 - 1
	minTimerSlots = 1024
	maxTicks      = 1<<31 - 1 // placement uses signed 32-bit tick differences
)

// ErrTimerRunning is returned by [Timers.Run] when it is already running.
var ErrTimerRunning = errors.New("supervision: timers already running")

// NewTimers returns an empty wheel delivering expiries to out.
func NewTimers(cfg TimersConfig, out Sender) (*Timers, error) {
	if out == nil {
		return nil, errors.New("supervision: nil timer sender")
	}
	if cfg.Resolution < 0 || cfg.RetryDelay < 0 {
		return nil, errors.New("supervision: negative value in TimersConfig")
	}
	if cfg.Resolution == 0 {
		cfg.Resolution = 10 * time.Millisecond
	}
	if cfg.RetryDelay == 0 {
		cfg.RetryDelay = 5 * cfg.Resolution
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	t := &Timers{
		cfg:      cfg,
		out:      out,
		epoch:    cfg.Clock.Now(),
		res:      cfg.Resolution,
		retry:    uint64(max((cfg.RetryDelay+cfg.Resolution-1)/cfg.Resolution, 1)),
		wake:     make(chan struct{}, 1), // a pending wake-up is enough; more are redundant
		awaiting: math.MaxUint64,
		tab:      make([]tslot, minTimerSlots),
	}
	if err := t.m.init(t, cfg.Metrics); err != nil {
		return nil, err
	}
	return t, nil
}

// Start arms timer id of key to expire after d (clamped to [0, 2^31 ticks],
// about 248 days at the default resolution). A running timer with the same
// (key, id) is replaced. It returns the timer's generation, carried by its
// TimerExpired.
func (t *Timers) Start(key Key, id uint8, d time.Duration) uint32 {
	now := t.cfg.Clock.Now()
	d = max(d, 0)
	ticks := uint64(math.MaxUint64)
	if off := now.Sub(t.epoch) + d; off >= 0 {
		ticks = uint64((off + t.res - 1) / t.res)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if ticks == math.MaxUint64 || ticks < t.base {
		ticks = t.base
	}
	if ticks-t.base > maxTicks {
		ticks = t.base + maxTicks
	}
	if i := t.find(key, id); i >= 0 {
		t.forgetRetry(i)
		t.remove(i)
	}
	t.gen = (t.gen + 1) & genMask
	if t.gen == 0 {
		t.gen = 1
	}
	tag := uint32(id)<<24 | t.gen
	t.insert(uint64(key), uint32(ticks), tag)
	t.m.started.Inc()
	if ticks < t.awaiting {
		select {
		case t.wake <- struct{}{}:
		default:
		}
	}
	return t.gen
}

// Stop cancels timer id of key and reports whether it was pending. An
// expiry already handed to the Sender is not recalled (compare Gen).
func (t *Timers) Stop(key Key, id uint8) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	i := t.find(key, id)
	if i < 0 {
		return false
	}
	t.forgetRetry(i)
	t.remove(i)
	t.m.stopped.Inc()
	t.maybeShrink()
	return true
}

// StopAll cancels every timer of key (e.g. at detach or quarantine) and
// returns how many were pending.
func (t *Timers) StopAll(key Key) int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for id := 0; id < 256; id++ {
		if i := t.find(key, uint8(id)); i >= 0 {
			t.forgetRetry(i)
			t.remove(i)
			n++
		}
	}
	t.m.stopped.Add(float64(n))
	t.maybeShrink()
	return n
}

// Pending returns the number of pending timers.
func (t *Timers) Pending() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}

// TableBytes returns the memory held by the timer table (slots × 24 B).
func (t *Timers) TableBytes() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.tab) * 24
}

// Run advances the wheel with the clock and delivers expiries until ctx is
// done (then it returns nil; pending timers stay pending). It sleeps until
// the next tick that has work, and is woken by a Start that is due earlier.
// Usable as a supervisor child.
func (t *Timers) Run(ctx context.Context) error {
	var err error
	pprof.Do(ctx, pprof.Labels("goroutine", "timers"), func(ctx context.Context) { err = t.run(ctx) })
	return err
}

func (t *Timers) run(ctx context.Context) error {
	for {
		t.mu.Lock()
		next, ok := t.nextDue()
		if ok {
			t.awaiting = next
		} else {
			t.awaiting = math.MaxUint64
		}
		t.mu.Unlock()
		var tm ClockTimer
		var c <-chan time.Time
		if ok {
			tm = t.cfg.Clock.NewTimer(t.tickTime(next).Sub(t.cfg.Clock.Now()))
			c = tm.C()
		}
		select {
		case <-ctx.Done():
			if tm != nil {
				tm.Stop()
			}
			return nil
		case <-t.wake:
		case <-c:
		}
		if tm != nil {
			tm.Stop()
		}
		t.Advance(t.cfg.Clock.Now())
	}
}

// Advance processes every tick up to now and delivers the expiries, in
// deadline order. Run calls it; a test driving the wheel without Run may
// call it directly (never concurrently with Run).
func (t *Timers) Advance(now time.Time) {
	if now.Before(t.epoch) {
		return
	}
	target := uint64(now.Sub(t.epoch) / t.res)
	t.mu.Lock()
	for t.base <= target {
		if t.n == 0 {
			t.base = target + 1
			break
		}
		if s := uint32(t.base) & 255; s != 0 && t.heads[s] == 0 {
			// Nothing due at this tick and no cascade: skip to the next
			// non-empty level-0 list or the next cascade boundary.
			t.base = min(t.base+uint64(t.nextL0(s)-s), target+1)
			continue
		}
		t.process(t.base)
		t.base++
	}
	fired := t.fired
	t.fired = nil
	t.mu.Unlock()
	for _, f := range fired {
		ev := TimerExpired{ID: uint8(f.tag >> 24), Gen: f.tag & genMask, Due: t.tickTime(f.due)}
		err := t.out.Send(f.key, ev)
		switch {
		case err == nil:
			t.m.expired.Inc()
		case errors.Is(err, ErrOverload):
			t.requeue(f)
		default:
			t.m.dropped.Inc()
			t.cfg.Logger.Debug("timer expiry not delivered", "id", ev.ID, "err", err)
		}
	}
	t.mu.Lock()
	if t.fired == nil {
		t.fired = fired[:0]
	}
	t.maybeShrink()
	t.mu.Unlock()
}

// requeue re-arms an expiry the mailbox refused, unless the timer was
// restarted meanwhile (then the new one wins).
func (t *Timers) requeue(f firing) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.m.retries.Inc()
	if t.find(f.key, uint8(f.tag>>24)) >= 0 {
		return
	}
	t.insert(uint64(f.key), uint32(t.base+t.retry), f.tag)
	if t.retryDue == nil {
		t.retryDue = make(map[firingID]uint64)
	}
	t.retryDue[firingID{f.key, f.tag}] = f.due
}

func (t *Timers) forgetRetry(i int) {
	if len(t.retryDue) != 0 {
		delete(t.retryDue, firingID{Key(t.tab[i].key), t.tab[i].tag})
	}
}

func (t *Timers) tickTime(tick uint64) time.Time {
	return t.epoch.Add(time.Duration(tick) * t.res)
}

// nextDue returns the next tick Run must process: the first non-empty
// level-0 slot or the next cascade boundary, whichever comes first.
func (t *Timers) nextDue() (uint64, bool) {
	if t.n == 0 {
		return 0, false
	}
	s := uint32(t.base) & 255
	if s == 0 || t.heads[s] != 0 {
		return t.base, true
	}
	return t.base + uint64(t.nextL0(s)-s), true
}

// nextL0 returns the first non-empty level-0 list after s, or 256 (the
// next cascade boundary) if there is none.
func (t *Timers) nextL0(s uint32) uint32 {
	for i := s + 1; i < 256; {
		w := t.l0[i/64] >> (i % 64)
		if w != 0 {
			return i + uint32(bits.TrailingZeros64(w))
		}
		i = (i/64 + 1) * 64
	}
	return 256
}

// process runs tick: cascade the higher levels at their boundaries, then
// collect the level-0 list of the tick.
func (t *Timers) process(tick uint64) {
	w := uint32(tick)
	if w&255 == 0 {
		t.cascade(1, (w>>8)&255)
		if (w>>8)&255 == 0 {
			t.cascade(2, (w>>16)&255)
			if (w>>16)&255 == 0 {
				t.cascade(3, (w>>24)&255)
			}
		}
	}
	list := int(w & 255)
	for h := t.heads[list]; h != 0; h = t.heads[list] {
		i := int(h - 1)
		s := t.tab[i]
		due := tick
		if len(t.retryDue) != 0 {
			id := firingID{Key(s.key), s.tag}
			if d, ok := t.retryDue[id]; ok {
				due = d
				delete(t.retryDue, id)
			}
		}
		t.fired = append(t.fired, firing{key: Key(s.key), tag: s.tag, due: due})
		t.remove(i)
	}
}

// cascade re-places every timer of a higher-level slot relative to base.
func (t *Timers) cascade(level int, slot uint32) {
	list := level*256 + int(slot)
	h := t.heads[list]
	t.heads[list] = 0
	for h != 0 {
		i := int(h - 1)
		h = t.tab[i].next
		t.place(i)
	}
}

func (t *Timers) hash(key uint64, id uint8) int {
	return int(mix64(key^uint64(id)<<56^uint64(id)) & uint64(len(t.tab)-1))
}

func (t *Timers) find(key Key, id uint8) int {
	mask := len(t.tab) - 1
	for i := t.hash(uint64(key), id); ; i = (i + 1) & mask {
		s := &t.tab[i]
		if s.tag == 0 {
			return -1
		}
		if s.key == uint64(key) && uint8(s.tag>>24) == id {
			return i
		}
	}
}

// insert adds a timer known to be absent, growing the table past 3/4 full.
func (t *Timers) insert(key uint64, when, tag uint32) {
	if (t.n+1)*4 > len(t.tab)*3 {
		t.resize(len(t.tab) * 2)
	}
	mask := len(t.tab) - 1
	i := t.hash(key, uint8(tag>>24))
	for t.tab[i].tag != 0 {
		i = (i + 1) & mask
	}
	t.tab[i] = tslot{key: key, when: when, tag: tag}
	t.n++
	t.place(i)
}

// place links slot i into the wheel list its expiry falls in, relative to
// base.
func (t *Timers) place(i int) {
	when := t.tab[i].when
	b := uint32(t.base)
	var list int
	switch d := when - b; {
	case int32(d) < 0: // overdue: the next tick processed
		list = int(b & 255)
	case d < 1<<8:
		list = int(when & 255)
	case d < 1<<16:
		list = 256 + int((when>>8)&255)
	case d < 1<<24:
		list = 512 + int((when>>16)&255)
	default:
		list = 768 + int((when>>24)&255)
	}
	s := &t.tab[i]
	s.prev = headFlag | uint32(list)
	s.next = t.heads[list]
	if s.next != 0 {
		t.tab[s.next-1].prev = uint32(i + 1)
	}
	t.heads[list] = uint32(i + 1)
	if list < 256 {
		t.l0[list/64] |= 1 << (list % 64)
	}
}

func (t *Timers) unlink(i int) {
	s := &t.tab[i]
	if s.prev&headFlag != 0 {
		list := s.prev &^ headFlag
		t.heads[list] = s.next
		if s.next == 0 && list < 256 {
			t.l0[list/64] &^= 1 << (list % 64)
		}
	} else {
		t.tab[s.prev-1].next = s.next
	}
	if s.next != 0 {
		t.tab[s.next-1].prev = s.prev
	}
}

// remove unlinks slot i and closes the gap by backward-shift deletion
// (Knuth 6.4 Algorithm R), relinking every moved slot's neighbours.
func (t *Timers) remove(i int) {
	t.unlink(i)
	t.tab[i] = tslot{}
	t.n--
	mask := len(t.tab) - 1
	for j := (i + 1) & mask; t.tab[j].tag != 0; j = (j + 1) & mask {
		k := t.hash(t.tab[j].key, uint8(t.tab[j].tag>>24))
		if (i <= j && i < k && k <= j) || (i > j && (i < k || k <= j)) {
			continue // its home lies in (i, j]: it stays
		}
		t.move(j, i)
		i = j
	}
}

// move relocates slot from to the empty slot to.
func (t *Timers) move(from, to int) {
	s := t.tab[from]
	t.tab[to] = s
	t.tab[from] = tslot{}
	if s.prev&headFlag != 0 {
		t.heads[s.prev&^headFlag] = uint32(to + 1)
	} else {
		t.tab[s.prev-1].next = uint32(to + 1)
	}
	if s.next != 0 {
		t.tab[s.next-1].prev = uint32(to + 1)
	}
}

func (t *Timers) maybeShrink() {
	if len(t.tab) > minTimerSlots && t.n*8 < len(t.tab) {
		t.resize(len(t.tab) / 2)
	}
}

// resize rebuilds the table and the wheel lists (O(pending)).
func (t *Timers) resize(slots int) {
	old := t.tab
	t.tab = make([]tslot, slots)
	t.heads = [4 * 256]uint32{}
	t.l0 = [4]uint64{}
	t.n = 0
	for _, s := range old {
		if s.tag != 0 {
			mask := len(t.tab) - 1
			i := t.hash(s.key, uint8(s.tag>>24))
			for t.tab[i].tag != 0 {
				i = (i + 1) & mask
			}
			t.tab[i] = tslot{key: s.key, when: s.when, tag: s.tag}
			t.n++
			t.place(i)
		}
	}
}

type timerMetrics struct {
	started, stopped, expired, retries, dropped prometheus.Counter
}

func (m *timerMetrics) init(t *Timers, reg prometheus.Registerer) error {
	const ns, sub = "mme", "timers"
	m.started = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "started_total", Help: "Timers started (including restarts)."})
	m.stopped = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "stopped_total", Help: "Pending timers stopped."})
	m.expired = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "expired_total", Help: "Expiries delivered to actors."})
	m.retries = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "retries_total", Help: "Expiries refused by a full mailbox and re-armed."})
	m.dropped = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "dropped_total", Help: "Expiries not delivered because the actors stopped."})
	if reg == nil {
		return nil
	}
	pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "pending", Help: "Pending timers."}, func() float64 { return float64(t.Pending()) })
	bytes := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "table_bytes", Help: "Memory of the timer table."}, func() float64 { return float64(t.TableBytes()) })
	for _, c := range []prometheus.Collector{m.started, m.stopped, m.expired, m.retries, m.dropped, pending, bytes} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("supervision: register timer metrics: %w", err)
		}
	}
	return nil
}
