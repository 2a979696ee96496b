package hss

import (
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/lte-mme/mme/s6a"
	"github.com/lte-mme/mme/s6a/peer"
)

// BenchmarkAIRULR measures S6a throughput between the MME-side peer and
// the HSS over loopback TCP: each iteration is one UE's AIR then ULR
// (two Diameter transactions, answers decoded by the MME side), with 256
// UEs in flight. Reported: transactions/s (AIR and ULR each count one)
// and attach pairs/s.
func BenchmarkAIRULR(b *testing.B) {
	const subs = 10000
	h, err := Open(Config{Identity: peer.Identity{OriginHost: "hss.bench", OriginRealm: "bench"}, DataDir: b.TempDir(), Workers: 64})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	batch := make([]Subscriber, subs)
	for i := range batch {
		batch[i] = Subscriber{IMSI: fmt.Sprintf("00101%010d", i), K: [16]byte{byte(i), byte(i >> 8)}, OPc: [16]byte{7},
			AMF: [2]byte{0x80}, SQN: DefaultSQN, APN: "internet"}
	}
	if err := h.Put(batch...); err != nil {
		b.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go h.Serve(l)
	c, err := peer.NewClient(peer.ClientConfig{Identity: peer.Identity{OriginHost: "mme.bench", OriginRealm: "bench"},
		DestinationRealm: "bench", Peers: []string{l.Addr().String()}, Timers: peer.Timers{RequestTimeout: 30 * time.Second}})
	if err != nil {
		b.Fatal(err)
	}
	defer c.Close(b.Context())
	if err := c.WaitOpen(b.Context()); err != nil {
		b.Fatal(err)
	}
	const window = 256
	tokens := make(chan struct{}, window)
	var failed atomic.Int64
	fail := func(err error) {
		if failed.Add(1) == 1 {
			b.Error(err)
		}
	}
	var inflight sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	for i := 0; i < b.N; i++ {
		tokens <- struct{}{}
		inflight.Add(1)
		imsi := batch[i%subs].IMSI
		hdr := c.Header()
		c.Send((&s6a.AIR{RequestHeader: hdr, IMSI: imsi, VisitedPLMNID: snid,
			EUTRAN: &s6a.RequestedEUTRANAuthInfo{NumberOfRequestedVectors: 1}}).Encode(), func(m *diam.Message, err error) {
			if err == nil {
				var aia *s6a.AIA
				if aia, err = s6a.DecodeAIA(m); err == nil && (aia.Result != s6a.Success || len(aia.Vectors) != 1) {
					err = fmt.Errorf("AIA %v", aia.Result)
				}
			}
			if err != nil {
				fail(err)
				<-tokens
				inflight.Done()
				return
			}
			c.Send((&s6a.ULR{RequestHeader: hdr, IMSI: imsi, RATType: s6a.RATTypeEUTRAN,
				ULRFlags: s6a.ULRS6aS6dIndicator, VisitedPLMNID: snid}).Encode(), func(m *diam.Message, err error) {
				if err == nil {
					var ula *s6a.ULA
					if ula, err = s6a.DecodeULA(m); err == nil && ula.Result != s6a.Success {
						err = fmt.Errorf("ULA %v", ula.Result)
					}
				}
				if err != nil {
					fail(err)
				}
				<-tokens
				inflight.Done()
			})
		})
	}
	inflight.Wait()
	el := time.Since(start)
	cpu := cpuTime() - cpu0
	b.StopTimer()
	// CPU time of both peers (one process) per transaction: what the
	// machine's load cannot inflate; 2 cores / this = the quiet capacity.
	b.ReportMetric(float64(cpu.Microseconds())/float64(2*b.N), "cpu-µs/tx")
	b.ReportMetric(float64(2*b.N)/el.Seconds(), "tx/s")
	b.ReportMetric(float64(b.N)/el.Seconds(), "AIR+ULR/s")
}

// cpuTime is the process's user + system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkImportCSV imports 100,000 subscribers from CSV into a fresh
// store per iteration (batched writes); reported as subscribers/s.
func BenchmarkImportCSV(b *testing.B) {
	const rows = 100_000
	var sb strings.Builder
	sb.WriteString("imsi,k,opc,amf,sqn,msisdn,apn\n")
	for i := range rows {
		fmt.Fprintf(&sb, "00101%010d,%032x,%032x,8000,32,336%08d,internet\n", i, i+1, i+2, i)
	}
	csv := sb.String()
	b.ReportAllocs()
	b.ResetTimer()
	var el, cpu time.Duration
	for range b.N {
		b.StopTimer()
		h, err := Open(Config{Identity: peer.Identity{OriginHost: "hss.bench", OriginRealm: "bench"}, DataDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime()
		n, err := h.ImportCSV(strings.NewReader(csv))
		el += time.Since(start)
		cpu += cpuTime() - cpu0
		b.StopTimer()
		if err != nil || n != rows {
			b.Fatal(n, err)
		}
		h.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(rows*b.N)/el.Seconds(), "subscribers/s")
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(rows*b.N), "cpu-ns/subscriber")
}

// BenchmarkGet looks up one of 100,000 subscribers with its location.
func BenchmarkGet(b *testing.B) {
	const subs = 100_000
	h, err := Open(Config{Identity: peer.Identity{OriginHost: "hss.bench", OriginRealm: "bench"}, DataDir: b.TempDir()})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	batch := make([]Subscriber, subs)
	imsis := make([]string, subs)
	for i := range batch {
		imsis[i] = fmt.Sprintf("00101%010d", i)
		batch[i] = Subscriber{IMSI: imsis[i], K: [16]byte{byte(i)}, OPc: [16]byte{7}, AMF: [2]byte{0x80}, SQN: DefaultSQN, APN: "internet"}
	}
	if err := h.Put(batch...); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if _, err := h.Get(imsis[i%subs]); err != nil {
			b.Fatal(err)
		}
		i += 7919
	}
}
