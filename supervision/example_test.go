package supervision_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lte-mme/mme/supervision"
)

// subscribers is a toy node handler: it counts events per key and crashes
// on a "bug" event.
type subscribers struct {
	mu     sync.Mutex
	events map[supervision.Key]int
	done   sync.WaitGroup
}

func (s *subscribers) Handle(worker int, key supervision.Key, ev any) {
	if ev == "bug" {
		panic("index out of range in a step")
	}
	s.mu.Lock()
	s.events[key]++
	s.mu.Unlock()
	s.done.Done()
}

func (s *subscribers) Restart(worker int, key supervision.Key, ev any, r supervision.CrashReport) {
	// The node reloads the subscriber's last stored record here and fails
	// its in-flight procedure (e.g. UE Context Release).
	fmt.Printf("restart key %s after %q (%s)\n", r.Key, r.Error, r.Event)
	s.done.Done()
}

func (s *subscribers) Quarantine(worker int, key supervision.Key, r supervision.CrashReport) {
	fmt.Printf("quarantine key %s\n", r.Key)
}

func ExampleActors() {
	h := &subscribers{events: map[supervision.Key]int{}}
	crashes := supervision.NewMemoryCrashLog(100)
	a, err := supervision.NewActors(supervision.ActorsConfig{
		Workers:   2,
		Crashes:   crashes,
		RedactKey: func(k supervision.Key) string { return fmt.Sprintf("ue-%d", k) },
		Describe:  func(k supervision.Key, ev any) (string, string) { return "EMM-REGISTERED", fmt.Sprint(ev) },
	}, h)
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	h.done.Add(4)
	for _, ev := range []struct {
		key supervision.Key
		ev  string
	}{{1, "attach"}, {2, "attach"}, {1, "bug"}, {1, "service request"}} {
		if err := a.Send(ev.key, ev.ev); errors.Is(err, supervision.ErrOverload) {
			fmt.Println("overload: answer with S1AP Overload Start / NAS back-off")
		}
	}
	h.done.Wait()
	cancel()
	<-done

	reports, _ := crashes.List(0)
	fmt.Println(len(reports), "crash report:", reports[0].Key, reports[0].State, reports[0].Event)
	fmt.Println("key 1 handled", h.events[1], "events; key 2 handled", h.events[2])
	// Output:
	// restart key ue-1 after "index out of range in a step" (bug)
	// 1 crash report: ue-1 EMM-REGISTERED bug
	// key 1 handled 2 events; key 2 handled 1
}

type printer struct{ got chan supervision.TimerExpired }

func (p printer) Send(key supervision.Key, ev any) error {
	p.got <- ev.(supervision.TimerExpired)
	return nil
}

func ExampleTimers() {
	clk := supervision.NewFakeClock(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC))
	out := printer{got: make(chan supervision.TimerExpired, 4)}
	tm, _ := supervision.NewTimers(supervision.TimersConfig{Clock: clk}, out)
	const t3450, mobileReachable = 1, 2
	tm.Start(7, t3450, 6*time.Second)            // TS 24.301 §10.2: T3450 = 6 s
	tm.Start(7, mobileReachable, 54*time.Minute) // TS 24.301 §10.2: default T3412 + 4 min
	tm.Start(7, t3450, 6*time.Second)            // restart replaces
	clk.Advance(6 * time.Second)
	tm.Advance(clk.Now()) // normally done by tm.Run(ctx)
	e := <-out.got
	fmt.Println("expired", e.ID, "due", e.Due.Format("15:04:05"), "pending", tm.Pending())
	// Output: expired 1 due 00:00:06 pending 1
}

func ExampleSupervisor() {
	s := &supervision.Supervisor{
		Name:      "node",
		Strategy:  supervision.OneForOne,
		Intensity: 3, Period: 5 * time.Second,
		Children: []supervision.ChildSpec{
			{Name: "s11", Run: func(ctx context.Context) error { <-ctx.Done(); return nil }},
		},
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	for {
		if _, err := s.Which(); err == nil {
			break
		}
		time.Sleep(time.Millisecond)
	}
	// One child per eNodeB association.
	_ = s.StartChild(supervision.ChildSpec{Name: "enb-001", Restart: supervision.Transient,
		Run: func(ctx context.Context) error { <-ctx.Done(); return nil }})
	names, _ := s.Which()
	fmt.Println(names)
	_ = s.TerminateChild("enb-001")
	cancel()
	fmt.Println(<-done)
	// Output:
	// [s11 enb-001]
	// <nil>
}
