package supervision

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Key identifies one subscriber on this node: the stable key the node
// allocates when it first sees a subscriber (docs/design/node.md). All events
// of one key are handled by the same worker, in Send order.
type Key uint64

// Handler is implemented by the node. Handle is never called concurrently
// for the same key, and calls for one key happen in Send order. worker is the
// index of the worker goroutine (0..Workers-1), so the handler can keep
// per-worker scratch buffers without locks.
type Handler interface {
	// Handle runs one step of key's actor for event ev.
	Handle(worker int, key Key, ev any)
	// Restart is called (on the same worker) after Handle panicked and the
	// crash report was written: the handler restores the subscriber from its
	// last stored record and fails its in-flight procedure cleanly (e.g.
	// sends UE Context Release). ev is the event whose handling crashed. It
	// may itself panic: that is reported, counted, and counts as a crash of
	// the key.
	Restart(worker int, key Key, ev any, report CrashReport)
	// Quarantine is called instead of Restart when the key exceeded its
	// restart intensity (more than Intensity crashes within Period): the
	// handler detaches the subscriber locally with a cause and stops feeding
	// it. It may panic: that is reported and counted, nothing more.
	Quarantine(worker int, key Key, report CrashReport)
}

// Sender delivers an event to a key's actor; *Actors implements it, and
// [Timers] deliver expiries through it.
type Sender interface {
	Send(key Key, ev any) error
}

// ErrOverload is returned by [Actors.Send] when the key's worker mailbox is
// full. The caller answers overload per spec (S1AP Overload Start, NAS
// congestion with a back-off timer, TS 24.301 §5.5.1.2.5 cause #22 with
// T3346); the event is not queued.
var ErrOverload = errors.New("supervision: actor mailbox full")

// ErrStopped is returned by [Actors.Send] after an orderly shutdown began,
// and by [Actors.Run] when called after it.
var ErrStopped = errors.New("supervision: actors stopped")

// ErrRunning is returned by [Actors.Run] when it is already running.
var ErrRunning = errors.New("supervision: already running")

// Defaults of [ActorsConfig].
const (
	// DefaultMailboxSize is the per-worker mailbox bound. At the 1–10 µs a
	// step costs, 4096 queued events are 4–40 ms of work: queueing delay
	// stays two orders of magnitude below the shortest NAS timer (T3450,
	// 6 s), the burst of an S1 Reset or an eNodeB's paging storm fits, and
	// the memory is 4096 × 24 B ≈ 96 KiB per worker. Beyond it Send answers
	// ErrOverload rather than letting latency grow without bound.
	DefaultMailboxSize = 4096
	// DefaultIntensity and DefaultPeriod: a subscriber crashing more than 3
	// times in 5 minutes is quarantined rather than restarted again (its
	// record or its UE reliably triggers a bug; looping serves nobody).
	DefaultIntensity = 3
	DefaultPeriod    = 5 * time.Minute
	// DefaultPoolIntensity and DefaultPoolPeriod: more than 1000 crashes in
	// 1 s over all keys is systemic (store gone, bad release): escalate.
	// Fault injection at 100 crashes/s stays an order of magnitude below.
	DefaultPoolIntensity = 1000
	DefaultPoolPeriod    = time.Second
	// DefaultCrashHistory bounds the per-key intensity memory: at most this
	// many recently crashed keys are remembered (≈ 100 B each).
	DefaultCrashHistory = 65536
	maxStack            = 16 << 10
)

// ActorsConfig configures [NewActors]. Zero values select the defaults.
type ActorsConfig struct {
	Workers     int // worker goroutines; default runtime.GOMAXPROCS(0)
	MailboxSize int // per worker, bounded; default DefaultMailboxSize (see there why)

	// Per-key restart intensity: more than Intensity crashes of one key
	// within Period → Quarantine instead of Restart. Period 0 selects
	// DefaultIntensity and DefaultPeriod (so Intensity 0 with a Period means
	// "quarantine at the first crash").
	Intensity int
	Period    time.Duration
	// Pool-level intensity over all keys: exceeded → Run stops the workers
	// and returns an *IntensityError (escalation to the parent supervisor).
	// PoolPeriod 0 selects the defaults.
	PoolIntensity int
	PoolPeriod    time.Duration
	// CrashHistory bounds how many recently crashed keys are remembered for
	// the per-key intensity (default DefaultCrashHistory).
	CrashHistory int

	Clock   Clock          // default SystemClock
	Crashes CrashLog       // where reports go; default a MemoryCrashLog of 1000
	Faults  *FaultInjector // nil: no fault injection
	Node    string         // node name in crash reports
	Version string         // software version in crash reports
	// RedactKey prints a key in reports and logs (IMSI redaction is the
	// node's policy); default the decimal key.
	RedactKey func(Key) string
	// Describe names the actor's state and the event for a crash report;
	// default no state and the event's Go type. It runs after a panic, so it
	// must not trust the actor's state; if it panics, the default is used.
	Describe func(key Key, ev any) (state, event string)
	Logger   *slog.Logger          // default discards
	Metrics  prometheus.Registerer // nil = no metrics; never the global registry
}

// Actors runs virtual actors: per-key serial event handling on a bounded set
// of workers, with per-key crash isolation, restart intensity and
// quarantine, crash reports and pool-level escalation. See the package doc.
type Actors struct {
	cfg     ActorsConfig
	h       Handler
	workers []*worker
	stopped atomic.Bool
	running atomic.Bool
	m       actorMetrics

	poolMu sync.Mutex
	pool   window
	esc    chan string // size 1: the first escalation wins, others are moot
}

type envelope struct {
	key Key
	ev  any
}

// worker state; the counters are written by the worker only and padded so
// that workers do not share cache lines.
type worker struct {
	idx     int
	mbox    chan envelope
	senders atomic.Int64 // Sends in progress (an orderly stop waits for 0)
	handled atomic.Uint64
	crashes *crashTracker
	_       [64]byte
}

// NewActors validates cfg, applies defaults and returns actors ready to
// accept Sends (queued until Run starts the workers).
func NewActors(cfg ActorsConfig, h Handler) (*Actors, error) {
	if h == nil {
		return nil, errors.New("supervision: nil handler")
	}
	if cfg.Workers < 0 || cfg.MailboxSize < 0 || cfg.Intensity < 0 || cfg.PoolIntensity < 0 || cfg.CrashHistory < 0 || cfg.Period < 0 || cfg.PoolPeriod < 0 {
		return nil, errors.New("supervision: negative value in ActorsConfig")
	}
	if cfg.Workers == 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.MailboxSize == 0 {
		cfg.MailboxSize = DefaultMailboxSize
	}
	if cfg.Period == 0 {
		cfg.Intensity, cfg.Period = DefaultIntensity, DefaultPeriod
	}
	if cfg.PoolPeriod == 0 {
		cfg.PoolIntensity, cfg.PoolPeriod = DefaultPoolIntensity, DefaultPoolPeriod
	}
	if cfg.CrashHistory == 0 {
		cfg.CrashHistory = DefaultCrashHistory
	}
	if cfg.Clock == nil {
		cfg.Clock = SystemClock{}
	}
	if cfg.Crashes == nil {
		cfg.Crashes = NewMemoryCrashLog(0)
	}
	if cfg.RedactKey == nil {
		cfg.RedactKey = func(k Key) string { return strconv.FormatUint(uint64(k), 10) }
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	a := &Actors{cfg: cfg, h: h, esc: make(chan string, 1)}
	a.pool = window{max: cfg.PoolIntensity, period: cfg.PoolPeriod}
	perWorker := max(cfg.CrashHistory/cfg.Workers, 1)
	for i := 0; i < cfg.Workers; i++ {
		a.workers = append(a.workers, &worker{
			idx:     i,
			mbox:    make(chan envelope, cfg.MailboxSize),
			crashes: newCrashTracker(cfg.Intensity, cfg.Period, perWorker),
		})
	}
	if err := a.m.init(a, cfg.Metrics); err != nil {
		return nil, err
	}
	return a, nil
}

// Workers returns the number of workers.
func (a *Actors) Workers() int { return len(a.workers) }

// WorkerOf returns the index of the worker that handles key (a stable
// function of the key and the number of workers).
func (a *Actors) WorkerOf(key Key) int {
	return int(mix64(uint64(key)) % uint64(len(a.workers)))
}

// mix64 is the splitmix64 finalizer: sequential keys spread evenly.
func mix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}

// Send queues ev for key's actor without blocking. It returns ErrOverload
// when that worker's mailbox is full (nothing is queued: the caller answers
// overload) and ErrStopped once an orderly shutdown began. Events sent
// before Run starts are queued. Safe for concurrent use, including from
// inside Handle.
func (a *Actors) Send(key Key, ev any) error {
	w := a.workers[a.WorkerOf(key)]
	w.senders.Add(1)
	defer w.senders.Add(-1)
	if a.stopped.Load() {
		return ErrStopped
	}
	select {
	case w.mbox <- envelope{key: key, ev: ev}:
		return nil
	default:
		a.m.overload.Inc()
		return ErrOverload
	}
}

// Pending returns the number of events queued over all workers.
func (a *Actors) Pending() int {
	n := 0
	for _, w := range a.workers {
		n += len(w.mbox)
	}
	return n
}

// Run runs the workers until ctx is done or the pool-level restart intensity
// is exceeded, and is usable as a supervisor child (ChildSpec.Run).
//
// When ctx is done, Run shuts down in order: Send starts answering
// ErrStopped, Sends in progress complete, every worker handles what its
// mailbox holds, then Run returns nil. The Actors cannot run again.
//
// When the pool intensity is exceeded, the workers stop after their current
// event (queued events stay queued) and Run returns an *IntensityError
// wrapping ErrRestartIntensity; the parent may call Run again (restart),
// which starts a fresh intensity window.
func (a *Actors) Run(ctx context.Context) error {
	if a.stopped.Load() {
		return ErrStopped
	}
	if !a.running.CompareAndSwap(false, true) {
		return ErrRunning
	}
	defer a.running.Store(false)
	a.poolMu.Lock()
	a.pool.reset()
	a.poolMu.Unlock()
	select { // a stale escalation of the previous run
	case <-a.esc:
	default:
	}

	halt := make(chan struct{})  // stop after the current event
	drain := make(chan struct{}) // stop after handling what is queued
	var wg sync.WaitGroup
	for _, w := range a.workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			labels := pprof.Labels("goroutine", "actors.worker", "worker", strconv.Itoa(w.idx))
			pprof.Do(ctx, labels, func(context.Context) { a.loop(w, halt, drain) })
		}()
	}
	select {
	case <-ctx.Done():
		a.stopped.Store(true)
		for _, w := range a.workers {
			for w.senders.Load() != 0 { // a Send between its check and its enqueue
				runtime.Gosched()
			}
		}
		close(drain)
		wg.Wait()
		a.cfg.Logger.Info("actors stopped", "pending", a.Pending())
		return nil
	case last := <-a.esc:
		close(halt)
		wg.Wait()
		a.m.escalations.Inc()
		err := &IntensityError{Who: "actors", Intensity: a.cfg.PoolIntensity, Period: a.cfg.PoolPeriod, Last: last}
		a.cfg.Logger.Error("actors escalate", "err", err)
		return err
	}
}

func (a *Actors) loop(w *worker, halt, drain <-chan struct{}) {
	for {
		select {
		case <-halt:
			return
		default:
		}
		select {
		case env := <-w.mbox:
			a.step(w, env)
		case <-halt:
			return
		case <-drain:
			for {
				select {
				case env := <-w.mbox:
					a.step(w, env)
				default:
					return
				}
			}
		}
	}
}

// step handles one event inside the recover scope.
func (a *Actors) step(w *worker, env envelope) {
	defer func() {
		if r := recover(); r != nil {
			a.crashed(w, env, r, debug.Stack())
		}
	}()
	a.cfg.Faults.maybeCrash(env.key)
	a.h.Handle(w.idx, env.key, env.ev)
	w.handled.Add(1)
}

func (a *Actors) crashed(w *worker, env envelope, r any, stack []byte) {
	rep := a.report("actors", env.key, env.ev, r, stack)
	a.record(rep)
	now := rep.Time
	a.poolMu.Lock()
	poolExceeded := a.pool.add(now)
	a.poolMu.Unlock()
	if poolExceeded {
		select {
		case a.esc <- rep.Reason + ": " + rep.Error:
		default:
		}
	}
	if w.crashes.add(env.key, now) {
		a.quarantine(w, env.key, rep)
		return
	}
	a.restart(w, env, rep)
}

func (a *Actors) restart(w *worker, env envelope, rep CrashReport) {
	ok := false
	defer func() {
		if ok {
			return
		}
		r := recover()
		a.m.handlerPanics.WithLabelValues("restart").Inc()
		rr := a.report("actors.restart", env.key, env.ev, r, debug.Stack())
		a.record(rr)
		if w.crashes.add(env.key, rr.Time) {
			a.quarantine(w, env.key, rr)
		}
	}()
	a.m.restarts.Inc()
	a.h.Restart(w.idx, env.key, env.ev, rep)
	ok = true
}

func (a *Actors) quarantine(w *worker, key Key, rep CrashReport) {
	defer func() {
		if r := recover(); r != nil {
			a.m.handlerPanics.WithLabelValues("quarantine").Inc()
			a.record(a.report("actors.quarantine", key, nil, r, debug.Stack()))
		}
	}()
	a.m.quarantines.Inc()
	a.cfg.Logger.Warn("actor quarantined", "key", rep.Key, "reason", rep.Reason)
	a.h.Quarantine(w.idx, key, rep)
}

// report builds a crash report; Describe and RedactKey run guarded.
func (a *Actors) report(subsystem string, key Key, ev any, r any, stack []byte) CrashReport {
	if len(stack) > maxStack {
		stack = stack[:maxStack]
	}
	rep := CrashReport{
		Time:      a.cfg.Clock.Now(),
		Node:      a.cfg.Node,
		Version:   a.cfg.Version,
		Subsystem: subsystem,
		Reason:    reasonOf(r),
		Error:     fmt.Sprint(r),
		Stack:     string(stack),
	}
	rep.Key = guard(func() string { return a.cfg.RedactKey(key) }, "<redaction panicked>")
	rep.State, rep.Event = "", fmt.Sprintf("%T", ev)
	if a.cfg.Describe != nil && ev != nil {
		func() {
			defer func() { _ = recover() }()
			rep.State, rep.Event = a.cfg.Describe(key, ev)
		}()
	}
	return rep
}

func guard(f func() string, fallback string) (s string) {
	defer func() {
		if recover() != nil {
			s = fallback
		}
	}()
	return f()
}

// record writes rep to the crash log, counts it and logs it (never the
// stack: that is in the report).
func (a *Actors) record(rep CrashReport) {
	a.m.crashes.WithLabelValues(rep.Reason).Inc()
	if err := a.cfg.Crashes.Append(rep); err != nil {
		a.m.reportErrors.Inc()
		a.cfg.Logger.Error("crash report not stored", "err", err)
	}
	a.cfg.Logger.Warn("actor crashed", "subsystem", rep.Subsystem, "key", rep.Key, "state", rep.State, "event", rep.Event, "reason", rep.Reason, "error", rep.Error)
}

type actorMetrics struct {
	overload, restarts, quarantines, escalations, reportErrors prometheus.Counter
	crashes, handlerPanics                                     *prometheus.CounterVec
}

func (m *actorMetrics) init(a *Actors, reg prometheus.Registerer) error {
	const ns, sub = "mme", "actors"
	m.overload = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "overload_total", Help: "Events refused because the worker mailbox was full."})
	m.restarts = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "restarts_total", Help: "Actors restarted after a crash."})
	m.quarantines = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "quarantines_total", Help: "Actors quarantined after exceeding their restart intensity."})
	m.escalations = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "escalations_total", Help: "Pool restart intensity exceeded (Run returned to its supervisor)."})
	m.reportErrors = prometheus.NewCounter(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "crash_report_errors_total", Help: "Crash reports the crash log failed to store."})
	m.crashes = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "crashes_total", Help: "Crash reports written, by reason (fault-injection, runtime error class, panic value type)."}, []string{"reason"})
	m.handlerPanics = prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "handler_panics_total", Help: "Panics inside Restart or Quarantine."}, []string{"phase"})
	if reg == nil {
		return nil
	}
	events := prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: ns, Subsystem: sub, Name: "events_total", Help: "Events handled without a crash."}, func() float64 {
		var n uint64
		for _, w := range a.workers {
			n += w.handled.Load()
		}
		return float64(n)
	})
	pending := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "mailbox_events", Help: "Events queued in all worker mailboxes."}, func() float64 { return float64(a.Pending()) })
	capacity := prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: ns, Subsystem: sub, Name: "mailbox_capacity", Help: "Total mailbox capacity (workers × mailbox size)."}, func() float64 {
		return float64(len(a.workers) * a.cfg.MailboxSize)
	})
	for _, c := range []prometheus.Collector{m.overload, m.restarts, m.quarantines, m.escalations, m.reportErrors, m.crashes, m.handlerPanics, events, pending, capacity} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("supervision: register metrics: %w", err)
		}
	}
	return nil
}

// Handled returns how many events were handled without a crash.
func (a *Actors) Handled() uint64 {
	var n uint64
	for _, w := range a.workers {
		n += w.handled.Load()
	}
	return n
}
