package transport

import (
	"context"
	"encoding/hex"
	"fmt"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// benchPDU is a real 115-byte S1AP PDU (E-RABSetupRequest#01 of
// shared/vectors/s1ap.tsv): the "≈100 B S1AP message" of issue #4.
var benchPDU = func() []byte {
	b, err := hex.DecodeString("0005006f000003000000020064000800020001001000605c00003c4014000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000000")
	if err != nil {
		panic(err)
	}
	return b[:115]
}()

// window is the per-association number of messages a benchmark sender
// keeps in flight: the receiver's handler returns the tokens.
const window = 512

type benchSink struct {
	tokens map[uint64]chan struct{} // by server-side association id
	mu     sync.Mutex
	got    atomic.Int64
	target int64         // messages to receive before done closes
	done   chan struct{} // closed when target messages arrived
	ups    chan struct{} // one per EventUp
}

func (s *benchSink) HandleEvent(ev Event) {
	if ev.Kind == EventUp {
		s.ups <- struct{}{}
	}
}

func (s *benchSink) HandleMessage(a *Association, m Message) {
	if s.got.Add(1) == s.target {
		close(s.done)
	}
	s.mu.Lock()
	ch := s.tokens[a.ID()]
	s.mu.Unlock()
	if ch != nil {
		<-ch
	}
}

// BenchmarkThroughput: several associations on loopback, both ends in this
// process, each streaming ≈100-byte S1AP messages (PPID 18, UE streams)
// from the eNodeB side to the MME side with a bounded window. b.N is the
// total number of messages; msgs/s is the figure of docs/performance.md.
func BenchmarkThroughput(b *testing.B) {
	for _, n := range []int{1, 4, 16} {
		b.Run(fmt.Sprintf("assocs=%d", n), func(b *testing.B) { benchThroughput(b, n) })
	}
}

func benchThroughput(b *testing.B, assocs int) {
	cli, err := NewEndpoint(testConfig(ModeUDP))
	if err != nil {
		b.Fatal(err)
	}
	defer cli.Close()
	sink := &benchSink{tokens: map[uint64]chan struct{}{}, target: int64(b.N), done: make(chan struct{}), ups: make(chan struct{}, assocs)}
	srv, err := NewEndpoint(testConfig(ModeUDP))
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	if err := srv.Listen(sink); err != nil {
		b.Fatal(err)
	}
	type lane struct {
		a      *Association
		tokens chan struct{}
	}
	lanes := make([]lane, assocs)
	for i := range lanes {
		a, err := cli.Dial(context.Background(), srv.ListenAddrs(), newRecorder())
		if err != nil {
			b.Fatal(err)
		}
		lanes[i] = lane{a: a, tokens: make(chan struct{}, window)}
	}
	// Give each server-side association its lane's tokens (matched by address).
	for range assocs {
		<-sink.ups
	}
	for _, sa := range srv.Associations() {
		for _, l := range lanes {
			if l.a.LocalAddrs()[0] == sa.PeerAddrs()[0] {
				sink.mu.Lock()
				sink.tokens[sa.ID()] = l.tokens
				sink.mu.Unlock()
			}
		}
	}
	b.SetBytes(int64(len(benchPDU)))
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	var wg sync.WaitGroup
	for i, l := range lanes {
		count := b.N / assocs
		if i < b.N%assocs {
			count++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, out := l.a.Streams()
			for k := range count {
				l.tokens <- struct{}{}
				if err := l.a.Send(StreamForUE(uint64(k), out), S1APPPID, benchPDU); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	<-sink.done // the last window, inside the timed region
	elapsed := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "msgs/s")
	// CPU time of the whole process (both ends) per message: what the
	// rate would be on idle cores is cores / cpu-ns/msg, whatever else
	// runs on the machine.
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/msg")
}

// cpuTime is the process's user plus system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
