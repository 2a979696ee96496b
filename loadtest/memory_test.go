package loadtest

import (
	"flag"
	"runtime"
	"testing"
	"time"
	"unsafe"

	"github.com/lte-mme/mme/loadtest/mmetest"
	"github.com/lte-mme/mme/nas"
)

var idleUEs = flag.Int("idle-ues", 20000, "UEs for TestIdleUEMemory (docs/performance.md uses 1000000)")

// TestIdleUEMemory attaches UEs over 100 eNodeBs through the in-process
// MME (real NAS security, S1AP encode/decode), releases each to ECM-IDLE
// (UE CONTEXT RELEASE, T3412 running in the timing wheel, GUTI in the
// paging index, native security context stored), then drops the MME and
// the subscriber list and measures the live heap the tester keeps per idle
// UE. Issue #6: at most 500 B. Run with -idle-ues=1000000 for the number
// in docs/performance.md (about a minute and a half).
func TestIdleUEMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: attaches tens of thousands of UEs")
	}
	n := *idleUEs
	base := liveHeap() // nothing of the run exists yet
	subs, err := GenerateSubscribers(n, DefaultIMSIStart, 11)
	if err != nil {
		t.Fatal(err)
	}
	ms := make([]mmetest.Subscriber, n)
	for i, s := range subs {
		ms[i] = mmetest.Subscriber{IMSI: s.IMSI, K: s.K, OPc: s.OPc, SQN: s.SQN}
	}
	plmn, _ := nas.ParsePLMNID("00101")
	m := mmetest.New(mmetest.Config{PLMN: plmn, TACs: []uint16{1, 2, 3, 4}, MMEGI: 0x8001, MMEC: 1}, ms)
	ms = nil
	pipe := &inproc{m: m}
	sc := &Scenario{Name: "memory", UEs: n, Network: Network{ENBs: 100, CellsPerENB: 2, TACs: []int{1, 2, 3, 4}}, file: "memory"}
	if err := sc.Validate(); err != nil {
		t.Fatal(err)
	}

	s, now := syncSim(t, sc, subs, pipe, 1)
	subs = nil
	s.cfg.Subscribers = nil
	for _, e := range s.enbs {
		l := e.links[0]
		if err := l.send(0, s.s1SetupRequest(e)); err != nil {
			t.Fatal(err)
		}
		pipe.pop()
	}
	w := s.workers[0]
	drain := func() {
		for {
			b, ok := pipe.pop()
			if !ok {
				return
			}
			// The MME answers on the association it got the request on;
			// the eNodeB that owns the UE's connection takes it.
			s.enbs[s.ues[pipe.lastUE].enb].links[0].deliver(b)
		}
	}
	pipe.track = func(ue uint32) { pipe.lastUE = ue }
	for i := 0; i < n; i++ {
		pipe.track(uint32(i))
		w.start(uint32(i), ProcAttach)
		drain()
		w.startS1Release(uint32(i), ProcS1Release)
		drain()
		if i%4096 == 0 {
			*now += int64(time.Millisecond) // let the wheel turn
			w.wheel.advance(*now/int64(time.Millisecond), w.onTimer)
		}
	}
	// Past T3410 (15 s): stale guard timers leave the wheel.
	*now += int64(20 * time.Second)
	w.wheel.advance(*now/int64(time.Millisecond), w.onTimer)
	if a, r := s.live[ProcAttach].successes.Load(), s.live[ProcS1Release].successes.Load(); a != uint64(n) || r != uint64(n) {
		t.Fatalf("%d attaches and %d releases of %d; anomalies %v; MME errors %q", a, r, n, s.errorCounts(), m.ErrorList())
	}
	for i := range s.ues {
		u := &s.ues[i]
		if u.emm != EMMRegistered || u.ecm != ECMIdle || u.flags&hasSecurity == 0 || u.tkind[slotIdle] != tT3412 {
			t.Fatalf("UE %d: %v %v flags %b timer %v; want registered, idle, with a context and T3412", i, u.emm, u.ecm, u.flags, u.tkind[slotIdle])
		}
	}
	m, pipe.m = nil, nil
	heap := liveHeap() - base
	perUE := float64(heap) / float64(n)
	t.Logf("%d idle UEs over %d eNodeBs: live heap %.1f MB, %.0f B per idle UE (UE record %d B, wheel entries %d)",
		n, len(s.enbs), float64(heap)/1e6, perUE, unsafe.Sizeof(UE{}), w.wheel.pending())
	if perUE > 500 {
		t.Errorf("%.0f B per idle UE, want at most 500", perUE)
	}
	runtime.KeepAlive(s)
}

func liveHeap() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
