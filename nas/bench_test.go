package nas

import (
	"syscall"
	"testing"
	"time"
)

// cpuTime is the process's user plus system CPU time. The benchmarks report
// it per operation ("cpu-ns/op") besides the wall-clock ns/op, because the
// build machine is shared: on a loaded machine wall time mostly measures
// waiting for a core, CPU time what the code costs.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// reportCPU adds the cpu-ns/op metric for a loop that started at start.
func reportCPU(b *testing.B, start time.Duration) {
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

// benchCase is one message for the codec benchmarks: its wire form and the
// direction it is received in.
type benchCase struct {
	name string
	dir  Direction
	wire []byte
}

// benchCases uses third-party bytes where nas.tsv has them, samples built
// from values otherwise.
func benchCases(b *testing.B) []benchCase {
	var attachAccept []byte
	for _, r := range readVectors(b, "nas.tsv") {
		if r.name == "EMMAttachAccept#01" {
			attachAccept = r.b
		}
	}
	return []benchCase{
		// nas.tsv EMMAttachRequest#01 (GUTI, PDN CONNECTIVITY REQUEST inside).
		{"AttachRequest", Uplink, unhex(b, "0741020bf600f110000201030003e605f07000001000050215d011d15200f11030395c0a003103e5e0349011035758a65d0100e0c1")},
		// nas.tsv EMMAttachAccept#01 (ACTIVATE DEFAULT EPS BEARER CONTEXT REQUEST inside, with PCO).
		{"AttachAccept", Downlink, attachAccept},
		// nas.tsv EMMAuthenticationRequest#01, EMMAuthenticationResponse#04.
		{"AuthenticationRequest", Downlink, unhex(b, "075206905ada1e7da557ada1e72650e21ee5e3104bfb73f6b4558000b1903ab88a27237f")},
		{"AuthenticationResponse", Uplink, unhex(b, "075308333f7d3146a2c189")},
		// nas.tsv EMMSecurityModeCommand#01 without its security header.
		{"SecurityModeCommand", Downlink, unhex(b, "075d220605e060c04070c1")},
		// nas.tsv EMMServiceRequest#01.
		{"ServiceRequest", Uplink, unhex(b, "c7a8640c")},
		// nas.tsv EMMTrackingAreaUpdateRequest#01.
		{"TrackingAreaUpdateRequest", Uplink, unhex(b, "0748610bf602f8108003c8c2e65e9a5804e060c0405202f810c4c25c0a00570220003103e5e0341302f810040511035758a65d0100c1")},
	}
}

// BenchmarkDecode decodes each message as received (default Decoder: one
// copy of the input). AttachAccept and AttachRequest include decoding
// their ESM message container.
func BenchmarkDecode(b *testing.B) {
	for _, c := range benchCases(b) {
		dec := Decoder{Direction: c.dir}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			start := cpuTime()
			for b.Loop() {
				m, err := dec.Decode(c.wire)
				if err != nil {
					b.Fatal(err)
				}
				switch m := m.(type) {
				case *AttachAccept:
					if _, err := m.ESMMessageContainer.Decode(); err != nil {
						b.Fatal(err)
					}
				case *AttachRequest:
					if _, err := m.ESMMessageContainer.Decode(); err != nil {
						b.Fatal(err)
					}
				}
			}
			reportCPU(b, start)
		})
	}
}

// BenchmarkEncode encodes each message into a reused buffer. AttachAccept
// and AttachRequest include encoding their ESM message first.
func BenchmarkEncode(b *testing.B) {
	for _, c := range benchCases(b) {
		m, err := Decoder{Direction: c.dir}.Decode(c.wire)
		if err != nil {
			b.Fatal(err)
		}
		var inner Message
		switch x := m.(type) {
		case *AttachAccept:
			inner, _ = x.ESMMessageContainer.Decode()
		case *AttachRequest:
			inner, _ = x.ESMMessageContainer.Decode()
		}
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 256)
			esm := make([]byte, 0, 256)
			start := cpuTime()
			for b.Loop() {
				if inner != nil {
					var err error
					if esm, err = AppendEncode(esm[:0], inner); err != nil {
						b.Fatal(err)
					}
					switch x := m.(type) {
					case *AttachAccept:
						x.ESMMessageContainer = esm
					case *AttachRequest:
						x.ESMMessageContainer = esm
					}
				}
				var err error
				if buf, err = AppendEncode(buf[:0], m); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, start)
		})
	}
}

// BenchmarkAttachSequence encodes and decodes every NAS message of one
// attach (TS 23.401 §5.3.2.1 with authentication, security mode and ESM
// information): what the MME and a simulated UE together do per attach,
// without security protection.
func BenchmarkAttachSequence(b *testing.B) {
	msgs := []sample{}
	for _, s := range sampleMessages(b) {
		switch s.name {
		case "AttachRequest", "AuthenticationRequest", "AuthenticationResponse", "SecurityModeCommand", "SecurityModeComplete",
			"ESMInformationRequest", "ESMInformationResponse", "AttachAccept", "AttachComplete":
			msgs = append(msgs, s)
		}
	}
	if len(msgs) != 9 {
		b.Fatalf("%d messages", len(msgs))
	}
	b.ReportAllocs()
	buf := make([]byte, 0, 256)
	start := cpuTime()
	for b.Loop() {
		for _, s := range msgs {
			var err error
			if buf, err = AppendEncode(buf[:0], s.m); err != nil {
				b.Fatal(err)
			}
			if _, err := (Decoder{Direction: s.dir}).Decode(buf); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportCPU(b, start)
}
