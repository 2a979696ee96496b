package supervision

import (
	"context"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

type countHandler struct{ n []atomic.Uint64 }

func (h *countHandler) Handle(w int, _ Key, _ any)         { h.n[w*8].Add(1) }
func (h *countHandler) Restart(int, Key, any, CrashReport) {}
func (h *countHandler) Quarantine(int, Key, CrashReport)   {}

// BenchmarkActorsSendHandle: events/s through Send and Handle with
// GOMAXPROCS senders and GOMAXPROCS workers (the handler only counts: this
// is the runtime's own cost per event).
func BenchmarkActorsSendHandle(b *testing.B) {
	workers := runtime.GOMAXPROCS(0)
	h := &countHandler{n: make([]atomic.Uint64, workers*8)}
	a, err := NewActors(ActorsConfig{Workers: workers}, h)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	var next atomic.Uint64
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		k := Key(next.Add(1) << 32)
		for pb.Next() {
			k++
			for a.Send(k, nil) != nil {
				runtime.Gosched() // mailbox full: let the workers run
			}
		}
	})
	for a.Handled() < uint64(b.N) {
		runtime.Gosched()
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "events/s")
	b.StopTimer()
	cancel()
	<-done
}

// BenchmarkTimersStartStop: one Start and one Stop with 100,000 other
// timers pending.
func BenchmarkTimersStartStop(b *testing.B) {
	tm, _, _ := newTestTimers(b, 10*time.Millisecond)
	for i := 0; i < 100_000; i++ {
		tm.Start(Key(i), 1, time.Hour)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := Key(1_000_000 + i%1024)
		tm.Start(k, 2, 6*time.Second)
		tm.Stop(k, 2)
	}
}

// BenchmarkTimersRestart: restarting a running timer (the common case of
// T3412-style supervision timers re-armed at every contact).
func BenchmarkTimersRestart(b *testing.B) {
	tm, _, _ := newTestTimers(b, 10*time.Millisecond)
	for i := 0; i < 100_000; i++ {
		tm.Start(Key(i), 1, time.Hour)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tm.Start(Key(i%100_000), 1, time.Hour)
	}
}

// BenchmarkTimersMemory: heap bytes per pending timer at 1,000,000 pending
// (issue #7 target: ≤ 64 B). Run with -benchtime 1x.
func BenchmarkTimersMemory(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.ReportMetric(timersHeapPerTimer(b, 1_000_000), "B/timer")
	}
}

// BenchmarkTimersExpire: cost of delivering expiries (fire 100,000 timers
// per advance).
func BenchmarkTimersExpire(b *testing.B) {
	tm, clk, out := newTestTimers(b, 10*time.Millisecond)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		tm.Start(Key(i), 1, time.Duration(i%1000)*10*time.Millisecond)
		if i%100_000 == 99_999 {
			step(tm, clk, 10*time.Second)
			out.take()
		}
	}
}
