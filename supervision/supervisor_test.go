package supervision

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// probe is a controllable child: it counts starts, logs its terminations and
// ends with the error sent on fail.
type probe struct {
	name   string
	mu     *sync.Mutex
	log    *[]string
	starts int
	fail   chan error
}

type probes struct {
	mu  sync.Mutex
	log []string
	by  map[string]*probe
}

func newProbes(names ...string) *probes {
	ps := &probes{by: map[string]*probe{}}
	for _, n := range names {
		ps.by[n] = &probe{name: n, mu: &ps.mu, log: &ps.log, fail: make(chan error)}
	}
	return ps
}

func (p *probe) run(ctx context.Context) error {
	p.mu.Lock()
	p.starts++
	*p.log = append(*p.log, "start "+p.name)
	p.mu.Unlock()
	select {
	case err := <-p.fail:
		return err
	case <-ctx.Done():
		p.mu.Lock()
		*p.log = append(*p.log, "stop "+p.name)
		p.mu.Unlock()
		return nil
	}
}

func (ps *probes) spec(name string, r Restart) ChildSpec {
	return ChildSpec{Name: name, Run: ps.by[name].run, Restart: r}
}

func (ps *probes) starts(name string) int {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	return ps.by[name].starts
}

func (ps *probes) takeLog() []string {
	ps.mu.Lock()
	defer ps.mu.Unlock()
	l := ps.log
	ps.log = nil
	return l
}

// takeOrdered returns the log with each run of consecutive starts sorted:
// children start in order but their goroutines run in any order, while
// stops are sequential (each waits for the previous child to end).
func (ps *probes) takeOrdered() string {
	l := ps.takeLog()
	for i := 0; i < len(l); {
		j := i
		for j < len(l) && strings.HasPrefix(l[j], "start ") {
			j++
		}
		sort.Strings(l[i:j])
		i = max(j, i+1)
	}
	return fmt.Sprint(l)
}

func runSup(t *testing.T, s *Supervisor) (stop func() error, result func() error) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ended := make(chan struct{})
	var res error
	go func() { res = s.Run(ctx); close(ended) }()
	result = func() error { <-ended; return res }
	stop = func() error { cancel(); return result() }
	t.Cleanup(func() { _ = stop() })
	return stop, result
}

func TestSupervisorStrategies(t *testing.T) {
	for _, tc := range []struct {
		strategy Strategy
		starts   string
		log      string
	}{
		{OneForOne, "[1 2 1]", "[start b]"},
		{OneForAll, "[2 2 2]", "[stop c stop a start a start b start c]"},
		{RestForOne, "[1 2 2]", "[stop c start b start c]"},
	} {
		t.Run(tc.strategy.String(), func(t *testing.T) {
			ps := newProbes("a", "b", "c")
			s := &Supervisor{Name: "node", Strategy: tc.strategy, Clock: NewFakeClock(t0),
				Children: []ChildSpec{ps.spec("a", Permanent), ps.spec("b", Permanent), ps.spec("c", Permanent)}}
			stop, _ := runSup(t, s)
			waitFor(t, "children started", func() bool { return ps.starts("a")+ps.starts("b")+ps.starts("c") == 3 })
			ps.takeLog()
			ps.by["b"].fail <- errors.New("boom")
			want := map[Strategy]int{OneForOne: 4, OneForAll: 6, RestForOne: 5}[tc.strategy]
			waitFor(t, "restarts", func() bool { return ps.starts("a")+ps.starts("b")+ps.starts("c") == want })
			if got := fmt.Sprint([]int{ps.starts("a"), ps.starts("b"), ps.starts("c")}); got != tc.starts {
				t.Fatalf("starts %s, want %s", got, tc.starts)
			}
			if got := ps.takeOrdered(); got != tc.log {
				t.Fatalf("log %s, want %s", got, tc.log)
			}
			if err := stop(); err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprint(ps.takeLog()); got != "[stop c stop b stop a]" {
				t.Fatalf("shutdown order %s", got)
			}
		})
	}
}

// TestSupervisorIntensity: more than Intensity restarts within Period
// escalate; the same number spread beyond the period do not.
func TestSupervisorIntensity(t *testing.T) {
	clk := NewFakeClock(t0)
	ps := newProbes("x", "y")
	s := &Supervisor{Name: "s1", Intensity: 3, Period: 10 * time.Second, Clock: clk,
		Children: []ChildSpec{ps.spec("x", Permanent), ps.spec("y", Permanent)}}
	stop, result := runSup(t, s)
	for i := 1; i <= 6; i++ { // 6 failures 4 s apart: never more than 3 in 10 s
		waitFor(t, "x started", func() bool { return ps.starts("x") == i })
		clk.Advance(4 * time.Second)
		ps.by["x"].fail <- fmt.Errorf("failure %d", i)
	}
	waitFor(t, "x restarted", func() bool { return ps.starts("x") == 7 })
	clk.Advance(10 * time.Second) // the earlier restarts leave the window
	for i := 1; i <= 4; i++ {     // 4 failures at once: escalation
		ps.by["x"].fail <- fmt.Errorf("burst %d", i)
		if i < 4 {
			waitFor(t, "x restarted", func() bool { return ps.starts("x") == 7+i })
		}
	}
	err := result()
	var ie *IntensityError
	if !errors.Is(err, ErrRestartIntensity) || !errors.As(err, &ie) || ie.Who != "s1" || ie.Last != "x: burst 4" {
		t.Fatalf("Run = %v", err)
	}
	if ps.starts("y") != 1 {
		t.Fatalf("one-for-one restarted y %d times", ps.starts("y")-1)
	}
	if l := ps.takeLog(); fmt.Sprint(l[len(l)-2:]) != "[start x stop y]" {
		got := fmt.Sprint(l)
		t.Fatalf("escalation did not terminate the other children: %s", got)
	}
	_ = stop
}

func TestSupervisorRestartTypes(t *testing.T) {
	ps := newProbes("perm", "trans", "temp")
	crashes := NewMemoryCrashLog(10)
	s := &Supervisor{Name: "s", Clock: NewFakeClock(t0), Crashes: crashes, Node: "n1", Version: "v1",
		Children: []ChildSpec{ps.spec("perm", Permanent), ps.spec("trans", Transient), ps.spec("temp", Temporary)}}
	stop, _ := runSup(t, s)
	waitFor(t, "started", func() bool { return ps.starts("temp") == 1 })
	ps.by["perm"].fail <- nil // a permanent child is restarted even after a normal end
	waitFor(t, "perm restarted", func() bool { return ps.starts("perm") == 2 })
	ps.by["trans"].fail <- errors.New("abnormal")
	waitFor(t, "trans restarted", func() bool { return ps.starts("trans") == 2 })
	ps.by["trans"].fail <- nil // normal end: removed
	ps.by["temp"].fail <- errors.New("abnormal")
	waitFor(t, "removed", func() bool { w, _ := s.Which(); return fmt.Sprint(w) == "[perm]" })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	if ps.starts("trans") != 2 || ps.starts("temp") != 1 {
		t.Fatalf("starts trans %d temp %d", ps.starts("trans"), ps.starts("temp"))
	}
}

func TestSupervisorChildPanicReported(t *testing.T) {
	crashes := NewMemoryCrashLog(10)
	var mu sync.Mutex
	starts := 0
	s := &Supervisor{Name: "s1ap", Clock: NewFakeClock(t0), Crashes: crashes, Node: "n1", Version: "v1",
		Children: []ChildSpec{{Name: "enb-1", Run: func(ctx context.Context) error {
			mu.Lock()
			starts++
			n := starts
			mu.Unlock()
			if n == 1 {
				var p *probe
				_ = p.name // nil pointer dereference
			}
			<-ctx.Done()
			return nil
		}}}}
	stop, _ := runSup(t, s)
	waitFor(t, "restart after panic", func() bool { mu.Lock(); defer mu.Unlock(); return starts == 2 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	reps, _ := crashes.List(0)
	if len(reps) != 1 || reps[0].Subsystem != "supervisor/s1ap" || reps[0].Key != "enb-1" ||
		reps[0].Reason != "runtime: invalid memory address or nil pointer dereference" || reps[0].Stack == "" || reps[0].Node != "n1" {
		t.Fatalf("%+v", reps)
	}
}

func TestSupervisorDynamicChildren(t *testing.T) {
	ps := newProbes("enb-1", "enb-2")
	s := &Supervisor{Name: "s1", Clock: NewFakeClock(t0)}
	if err := s.StartChild(ps.spec("enb-1", Transient)); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("StartChild before Run: %v", err)
	}
	stop, _ := runSup(t, s)
	waitFor(t, "running", func() bool { _, err := s.Which(); return err == nil })
	if err := s.StartChild(ps.spec("enb-1", Transient)); err != nil {
		t.Fatal(err)
	}
	if err := s.StartChild(ps.spec("enb-2", Transient)); err != nil {
		t.Fatal(err)
	}
	if err := s.StartChild(ps.spec("enb-1", Transient)); !errors.Is(err, ErrChildExists) {
		t.Fatalf("duplicate: %v", err)
	}
	if err := s.StartChild(ChildSpec{Name: "x"}); err == nil {
		t.Fatal("spec without Run accepted")
	}
	if w, _ := s.Which(); fmt.Sprint(w) != "[enb-1 enb-2]" {
		t.Fatalf("which %v", w)
	}
	if err := s.TerminateChild("enb-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.TerminateChild("enb-1"); !errors.Is(err, ErrNoChild) {
		t.Fatalf("terminate twice: %v", err)
	}
	if w, _ := s.Which(); fmt.Sprint(w) != "[enb-2]" {
		t.Fatalf("which %v", w)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	// Starts run concurrently with later requests; stops are sequential.
	var starts, stops []string
	for _, l := range ps.takeLog() {
		if strings.HasPrefix(l, "start ") {
			starts = append(starts, l)
		} else {
			stops = append(stops, l)
		}
	}
	sort.Strings(starts)
	if fmt.Sprint(starts) != "[start enb-1 start enb-2]" || fmt.Sprint(stops) != "[stop enb-1 stop enb-2]" {
		t.Fatalf("starts %v stops %v", starts, stops)
	}
	if _, err := s.Which(); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("Which after Run: %v", err)
	}
}

// TestSupervisorShutdownTimeout: a child that ignores its context is
// abandoned after its Shutdown time, with a crash report, and the others
// are still stopped in reverse order.
func TestSupervisorShutdownTimeout(t *testing.T) {
	clk := NewFakeClock(t0)
	crashes := NewMemoryCrashLog(10)
	ps := newProbes("a", "c")
	release := make(chan struct{})
	defer close(release)
	s := &Supervisor{Name: "s", Clock: clk, Crashes: crashes, Children: []ChildSpec{
		ps.spec("a", Permanent),
		{Name: "stuck", Shutdown: 2 * time.Second, Run: func(ctx context.Context) error { <-release; return nil }},
		ps.spec("c", Permanent),
	}}
	stop, _ := runSup(t, s)
	waitFor(t, "started", func() bool { return ps.starts("a") == 1 && ps.starts("c") == 1 })
	stopped := make(chan error, 1)
	go func() { stopped <- stop() }()
	waitFor(t, "waiting for stuck", func() bool { return clk.Waiters() == 1 })
	clk.Advance(2 * time.Second)
	if err := <-stopped; err != nil {
		t.Fatal(err)
	}
	if got := ps.takeOrdered(); got != "[start a start c stop c stop a]" {
		t.Fatalf("log %s", got)
	}
	reps, _ := crashes.List(0)
	if len(reps) != 1 || reps[0].Reason != ReasonShutdownTimeout || reps[0].Key != "stuck" {
		t.Fatalf("%+v", reps)
	}
}

// TestSupervisorTree: an escalating child supervisor is restarted by its
// parent; Actors escalating their pool intensity are restarted the same way.
func TestSupervisorTree(t *testing.T) {
	clk := NewFakeClock(t0)
	ps := newProbes("leaf")
	inner := &Supervisor{Name: "inner", Intensity: 0, Period: time.Second, Clock: clk,
		Children: []ChildSpec{ps.spec("leaf", Permanent)}}
	h := newRecHandler()
	actors, err := NewActors(ActorsConfig{Workers: 1, Clock: clk, PoolIntensity: 0, PoolPeriod: time.Second}, h)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	actorRuns := 0
	outer := &Supervisor{Name: "outer", Intensity: 10, Period: time.Second, Clock: clk, Children: []ChildSpec{
		{Name: "inner", Run: inner.Run, Shutdown: -1},
		{Name: "actors", Run: func(ctx context.Context) error {
			mu.Lock()
			actorRuns++
			mu.Unlock()
			return actors.Run(ctx)
		}},
	}}
	stop, _ := runSup(t, outer)
	waitFor(t, "leaf started", func() bool { return ps.starts("leaf") == 1 })
	ps.by["leaf"].fail <- errors.New("leaf failed") // inner: 1 restart > 0 → escalates; outer restarts inner
	waitFor(t, "leaf restarted by the outer supervisor", func() bool { return ps.starts("leaf") == 2 })
	waitFor(t, "actors running", func() bool { mu.Lock(); defer mu.Unlock(); return actorRuns == 1 && actors.running.Load() })
	if err := actors.Send(1, ev{seq: 1, crash: true}); err != nil { // pool: 1 crash > 0 → escalates
		t.Fatal(err)
	}
	waitFor(t, "actors restarted", func() bool { mu.Lock(); defer mu.Unlock(); return actorRuns == 2 })
	if err := stop(); err != nil {
		t.Fatal(err)
	}
}

func TestSupervisorValidation(t *testing.T) {
	for _, s := range []*Supervisor{
		{Name: "dup", Children: []ChildSpec{{Name: "a", Run: func(context.Context) error { return nil }}, {Name: "a", Run: func(context.Context) error { return nil }}}},
		{Name: "norun", Children: []ChildSpec{{Name: "a"}}},
		{Name: "strategy", Strategy: 9},
		{Name: "neg", Intensity: -1},
	} {
		if err := s.Run(context.Background()); err == nil {
			t.Errorf("%s: accepted", s.Name)
		}
	}
}
