package sgw

import (
	"fmt"
	"net/netip"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/gtp/s11"
)

// BenchmarkCreateSessionModifyBearer measures S11 transactions per second
// between an MME-side s11 endpoint and the emulator over loopback UDP: one
// op is a Create Session exchange followed by a Modify Bearer exchange for
// a new UE (2 transactions), with `window` UEs in flight, chained through
// the done callbacks as the MME's session actors would. Sessions are
// deleted between batches with the timer stopped.
func BenchmarkCreateSessionModifyBearer(b *testing.B) {
	for _, window := range []int{1, 16, 128} {
		b.Run(fmt.Sprintf("window=%d", window), func(b *testing.B) { benchCSMB(b, window) })
	}
}

func benchCSMB(b *testing.B, window int) {
	emu := newEmulator(b, Config{UEPoolV4: netip.MustParsePrefix("10.0.0.0/8"), S11: s11.Config{EchoInterval: -1}})
	mme := newFakeMME(b, s11.Config{EchoInterval: -1, MaxPending: 1 << 20})
	sgw := emu.Addr()
	const batch = 8192
	sem := make(chan struct{}, window)
	var failures atomic.Int64
	type sess struct{ mmeTEID, sgwTEID uint32 }
	sessions := make([]sess, batch)
	done := make(chan struct{}, batch)

	finish := func() {
		<-sem
		done <- struct{}{}
	}
	start := func(k int, base int) {
		mteid, err := mme.ep.AllocTEID(s11.SessionKey(base+k), sgw)
		if err != nil {
			b.Fatal(err)
		}
		req := attachCSR(imsiN(base+k), mteid, gtp.PDNTypeIPv4)
		err = mme.ep.Request(sgw, 0, req, func(m gtp.Message, err error) {
			cs, ok := m.(*gtp.CreateSessionResponse)
			if err != nil || !ok || !cs.Cause.Accepted() {
				failures.Add(1)
				finish()
				return
			}
			sessions[k] = sess{mteid, cs.SenderFTEID.TEID}
			mbr := &gtp.ModifyBearerRequest{BearerContextsToBeModified: []gtp.BearerContext{{EBI: 5, S1UENodeBFTEID: enbU}}}
			if err := mme.ep.Request(sgw, cs.SenderFTEID.TEID, mbr, func(m gtp.Message, err error) {
				if mb, ok := m.(*gtp.ModifyBearerResponse); err != nil || !ok || !mb.Cause.Accepted() {
					failures.Add(1)
				}
				finish()
			}); err != nil {
				failures.Add(1)
				finish()
			}
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	var cpu time.Duration
	for base := 0; base < b.N; base += batch {
		cpu0 := processCPU()
		n := min(batch, b.N-base)
		for k := range n {
			sem <- struct{}{}
			start(k, base)
		}
		for range n {
			<-done
		}
		cpu += processCPU() - cpu0
		b.StopTimer()
		dsem := make(chan struct{}, window)
		for k := range n {
			dsem <- struct{}{}
			s := sessions[k]
			mme.ep.Request(sgw, s.sgwTEID, &gtp.DeleteSessionRequest{LinkedEBI: 5}, func(gtp.Message, error) {
				mme.ep.ReleaseTEID(s.mmeTEID)
				<-dsem
			})
		}
		for range cap(dsem) {
			dsem <- struct{}{}
		}
		b.StartTimer()
	}
	b.StopTimer()
	if f := failures.Load(); f > 0 {
		b.Fatalf("%d failed transactions", f)
	}
	b.ReportMetric(float64(2*b.N)/b.Elapsed().Seconds(), "tx/s")
	// CPU of the whole process (both sides) per transaction: what the
	// machine's load does not change much, unlike tx/s.
	b.ReportMetric(float64(cpu.Microseconds())/float64(2*b.N), "cpu-µs/tx")
	st := mme.ep.Stats()
	if st.Retransmissions > 0 {
		b.Logf("%d retransmissions (loaded machine?)", st.Retransmissions)
	}
}

// processCPU is the user and system CPU time of this process.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func imsiN(n int) string {
	const digits = "0123456789"
	b := []byte("001010000000000")
	for k := len(b) - 1; n > 0; k-- {
		b[k] = digits[n%10]
		n /= 10
	}
	return string(b)
}
