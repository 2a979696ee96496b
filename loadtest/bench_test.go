package loadtest

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/lte-mme/mme/loadtest/mmetest"
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap"
)

// inproc connects a simulated eNodeB to the in-process MME: uplink
// messages go to the MME at once, its downlink ones wait in a queue that
// the test delivers from (so nothing re-enters the worker).
type inproc struct {
	m  *mmetest.MME
	mu sync.Mutex
	dl [][]byte
	ul int
	// track and lastUE let a test route answers to the right eNodeB.
	track  func(ue uint32)
	lastUE uint32
}

func (p *inproc) Send(_ uint16, _ uint32, b []byte) error {
	p.ul++
	p.m.Handle(mmePeer{p}, append([]byte(nil), b...))
	return nil
}

// mmePeer is the MME's view of the association: what it sends is queued.
type mmePeer struct{ p *inproc }

func (q mmePeer) Send(_ uint16, _ uint32, b []byte) error {
	q.p.mu.Lock()
	q.p.dl = append(q.p.dl, append([]byte(nil), b...))
	q.p.mu.Unlock()
	return nil
}

func (p *inproc) pop() ([]byte, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.dl) == 0 {
		return nil, false
	}
	b := p.dl[0]
	p.dl = p.dl[1:]
	return b, true
}

// attachFlows records, for n UEs, the MME's downlink messages of one
// attach each (AKA with EEA2/EIA2, SMC, initial context setup with ATTACH
// ACCEPT) from the in-process MME. It returns the sync run (S1 Setup done)
// and the flows.
func attachFlows(tb testing.TB, n int) (*Sim, [][][]byte) {
	tb.Helper()
	subs, err := GenerateSubscribers(n, DefaultIMSIStart, 7)
	if err != nil {
		tb.Fatal(err)
	}
	var ms []mmetest.Subscriber
	for _, s := range subs {
		ms = append(ms, mmetest.Subscriber{IMSI: s.IMSI, K: s.K, OPc: s.OPc, SQN: s.SQN})
	}
	plmn, _ := nas.ParsePLMNID("00101")
	m := mmetest.New(mmetest.Config{PLMN: plmn, TACs: []uint16{1}, MMEGI: 0x8001, MMEC: 1,
		FixedRAND: [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}}, ms)
	pipe := &inproc{m: m}
	sc := &Scenario{Name: "bench", UEs: n, file: "bench"}
	if err := sc.Validate(); err != nil {
		tb.Fatal(err)
	}
	s, _ := syncSim(tb, sc, subs, pipe, 1)
	l := s.enbs[0].links[0]
	if err := l.send(0, s.s1SetupRequest(s.enbs[0])); err != nil {
		tb.Fatal(err)
	}
	if b, ok := pipe.pop(); !ok {
		tb.Fatal("no S1 SETUP RESPONSE")
	} else if p, err := s1ap.Decode(b); err != nil || p.Message.MessageName() != "S1SetupResponse" {
		tb.Fatalf("S1 Setup: %v %v", p, err)
	}
	w := s.workers[0]
	flows := make([][][]byte, n)
	for i := 0; i < n; i++ {
		w.start(uint32(i), ProcAttach)
		for {
			b, ok := pipe.pop()
			if !ok {
				break
			}
			flows[i] = append(flows[i], b)
			l.deliver(bytes.Clone(b))
		}
	}
	if got := s.live[ProcAttach].successes.Load(); got != uint64(n) {
		tb.Fatalf("recording: %d of %d attaches succeeded; anomalies %v; MME errors %q", got, n, s.errorCounts(), m.ErrorList())
	}
	return s, flows
}

// discard is an uplink that drops what the eNodeB sends (after the
// encoding, which is the tester's cost).
type discard struct{ n int }

func (d *discard) Send(_ uint16, _ uint32, b []byte) error { d.n += len(b); return nil }

// BenchmarkAttachSequence measures the tester's own cost of one full
// attach on the UE and eNodeB side: INITIAL UE MESSAGE with ATTACH REQUEST;
// decoding AUTHENTICATION REQUEST, the USIM (Milenage, AUTN check, RES,
// K_ASME); SECURITY MODE COMMAND (NAS keys, MAC check) and SECURITY MODE
// COMPLETE (EIA2/EEA2); INITIAL CONTEXT SETUP REQUEST (E-RAB, K_eNB check
// against the UE's own derivation), its response and UE CAPABILITY INFO
// INDICATION; ATTACH ACCEPT (MAC check, deciphering, GUTI, TAI list,
// default bearer) and ATTACH COMPLETE. The MME's messages are recorded
// beforehand (their cost is BenchmarkResponderAttach's, not this one's),
// decoded from octets in the loop. One goroutine: ns/op is per core.
func BenchmarkAttachSequence(b *testing.B) {
	const n = 1024
	s, flows := attachFlows(b, n)
	sink := new(discard)
	for _, e := range s.enbs {
		for _, l := range e.links {
			l.out = sink
		}
	}
	w := s.workers[0]
	l := s.enbs[0].links[0]
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		ue := uint32(i % n)
		resetUE(w, ue)
		w.start(ue, ProcAttach)
		for _, dl := range flows[ue] {
			l.deliver(bytes.Clone(dl))
		}
	}
	el := time.Since(start)
	b.StopTimer()
	if got := s.live[ProcAttach].successes.Load(); got < uint64(b.N) {
		b.Fatalf("%d of %d attaches succeeded; anomalies %v", got, b.N+n, s.errorCounts())
	}
	b.ReportMetric(float64(b.N)/el.Seconds(), "attach/s")
}

// resetUE puts a UE back in EMM-DEREGISTERED with a fresh USIM, so that the
// recorded flow is valid for it again.
func resetUE(w *worker, ue uint32) {
	u := &w.sim.ues[ue]
	if u.conn >= 0 {
		w.releaseLocal(ue)
	}
	u.emm, u.proc, u.sqnMS, u.flags, u.pti = EMMDeregistered, 0, 0, 0, 0
	u.gen[slotGuard]++
	u.tkind = [timerSlots]timerKind{}
}

// BenchmarkResponderAttach is the in-process MME's cost of the same attach
// (vector generation, SMC, ICS), measured to show what
// BenchmarkAttachSequence leaves out.
func BenchmarkResponderAttach(b *testing.B) {
	const n = 256
	subs, _ := GenerateSubscribers(n, DefaultIMSIStart, 7)
	var ms []mmetest.Subscriber
	for _, s := range subs {
		ms = append(ms, mmetest.Subscriber{IMSI: s.IMSI, K: s.K, OPc: s.OPc, SQN: s.SQN})
	}
	plmn, _ := nas.ParsePLMNID("00101")
	sc := &Scenario{Name: "bench", UEs: n, file: "bench"}
	_ = sc.Validate()
	b.ReportAllocs()
	var mmeTime time.Duration
	for i := 0; i < b.N; i += n {
		m := mmetest.New(mmetest.Config{PLMN: plmn, TACs: []uint16{1}, MMEGI: 0x8001, MMEC: 1}, ms)
		pipe := &timedPipe{inproc: inproc{m: m}}
		s, _ := syncSim(b, sc, subs, pipe, 1)
		l := s.enbs[0].links[0]
		_ = l.send(0, s.s1SetupRequest(s.enbs[0]))
		pipe.pop()
		for j := 0; j < n && i+j < b.N; j++ {
			s.workers[0].start(uint32(j), ProcAttach)
			for {
				d, ok := pipe.pop()
				if !ok {
					break
				}
				l.deliver(d)
			}
		}
		mmeTime += pipe.spent
	}
	b.ReportMetric(float64(mmeTime.Nanoseconds())/float64(b.N), "mme-ns/attach")
}

type timedPipe struct {
	inproc
	spent time.Duration
}

func (p *timedPipe) Send(stream uint16, ppid uint32, b []byte) error {
	t := time.Now()
	err := p.inproc.Send(stream, ppid, b)
	p.spent += time.Since(t)
	return err
}
