package transport

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
)

// param builds one INIT parameter TLV, padded (RFC 4960 §3.2.1).
func param(typ uint16, value []byte) []byte {
	p := make([]byte, 4+len(value), (4+len(value)+3)&^3)
	binary.BigEndian.PutUint16(p[0:], typ)
	binary.BigEndian.PutUint16(p[2:], uint16(4+len(value)))
	copy(p[4:], value)
	return p[:cap(p)]
}

// initWithParams builds an INIT like usrsctp's AF_INET mode sends: with
// IPv4 address and Supported Address Types parameters among known ones.
func initWithParams(os, mis uint16, params ...[]byte) []byte {
	p := initPacket()
	binary.BigEndian.PutUint16(p[commonHeaderLen+12:], os)
	binary.BigEndian.PutUint16(p[commonHeaderLen+14:], mis)
	for _, x := range params {
		p = append(p, x...)
	}
	// chunk length excludes the last parameter's padding
	last := params[len(params)-1]
	lastLen := int(binary.BigEndian.Uint16(last[2:]))
	binary.BigEndian.PutUint16(p[commonHeaderLen+2:], uint16(len(p)-commonHeaderLen-len(last)+lastLen))
	setChecksum(p)
	return p
}

func paramTypes(t *testing.T, p []byte) []uint16 {
	t.Helper()
	cl := int(binary.BigEndian.Uint16(p[commonHeaderLen+2:]))
	var out []uint16
	for r := commonHeaderLen + chunkHeaderLen + initFixedLen; r+4 <= commonHeaderLen+cl; {
		l := int(binary.BigEndian.Uint16(p[r+2:]))
		out = append(out, binary.BigEndian.Uint16(p[r:]))
		r += (l + 3) &^ 3
	}
	return out
}

func TestRewriteInit(t *testing.T) {
	ecn := param(0x8000, nil)
	fwdTSN := param(0xC000, nil)
	supAddr := param(paramSupportedAddrTypes, []byte{0, 5}) // IPv4; 2-byte value, padded
	ipv4 := param(paramIPv4Address, []byte{10, 0, 0, 1})
	ext := param(0x8008, []byte{0xc0, 0x82}) // supported extensions, 2 bytes
	for _, tc := range []struct {
		name      string
		in        []byte
		maxOS     uint16
		maxMIS    uint16
		wantTypes []uint16
		changed   bool
	}{
		{"usrsctp-like, params dropped", initWithParams(10, 10, ecn, supAddr, ipv4, fwdTSN, ext), 0, 0, []uint16{0x8000, 0xC000, 0x8008}, true},
		{"dropped last, padding recomputed", initWithParams(10, 10, ecn, ext, supAddr), 0, 0, []uint16{0x8000, 0x8008}, true},
		{"only droppable", initWithParams(10, 10, supAddr), 0, 0, nil, true},
		{"nothing to drop", initWithParams(10, 10, ecn, fwdTSN), 0, 0, []uint16{0x8000, 0xC000}, false},
		{"streams clamped", initWithParams(65535, 65535, ecn), 32, 16, []uint16{0x8000}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := append([]byte(nil), tc.in...)
			n, info, changed := rewriteInit(p, tc.maxOS, tc.maxMIS)
			if changed != tc.changed {
				t.Fatalf("changed = %v, want %v", changed, tc.changed)
			}
			p = p[:n]
			if !checksumOK(p) {
				t.Fatal("checksum wrong after rewrite")
			}
			if !isInitPacket(p) {
				t.Fatal("rewritten INIT no longer well-formed")
			}
			if got := paramTypes(t, p); !slicesEqual(got, tc.wantTypes) {
				t.Fatalf("parameters %x, want %x", got, tc.wantTypes)
			}
			after, _ := parseInit(p[commonHeaderLen:])
			wantOS, wantMIS := info.os, info.mis
			if tc.maxOS != 0 {
				wantOS = min(wantOS, tc.maxOS)
			}
			if tc.maxMIS != 0 {
				wantMIS = min(wantMIS, tc.maxMIS)
			}
			if after.os != wantOS || after.mis != wantMIS || after.tag != info.tag {
				t.Fatalf("after rewrite %+v, want os %d mis %d tag %x", after, wantOS, wantMIS, info.tag)
			}
			if n%4 != 0 {
				t.Fatalf("packet length %d not padded", n)
			}
		})
	}
	// A corrupted INIT is left for pion to discard, not repaired.
	bad := initWithParams(10, 10, supAddr)
	bad[len(bad)-1] ^= 0xff
	if _, _, changed := rewriteInit(bad, 0, 0); changed {
		t.Fatal("rewrote an INIT with a bad checksum")
	}
}

func slicesEqual(a, b []uint16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestIsInitPacket(t *testing.T) {
	good := initPacket()
	mut := func(f func(p []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	for _, tc := range []struct {
		name string
		p    []byte
		want bool
	}{
		{"INIT", good, true},
		{"bad checksum", mut(func(p []byte) []byte { p[20]++; return p }), false},
		{"nonzero tag", mut(func(p []byte) []byte { p[4] = 1; setChecksum(p); return p }), false},
		{"port zero", mut(func(p []byte) []byte { p[0], p[1] = 0, 0; setChecksum(p); return p }), false},
		{"not INIT", mut(func(p []byte) []byte { p[12] = chunkCookieEcho; setChecksum(p); return p }), false},
		{"bundled", mut(func(p []byte) []byte { p = append(p, 0, 0, 0, 4); setChecksum(p); return p }), false},
		{"truncated", good[:20], false},
		{"empty", nil, false},
	} {
		if got := isInitPacket(tc.p); got != tc.want {
			t.Errorf("%s: isInitPacket = %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestProbeAndAbortPackets(t *testing.T) {
	hb := buildProbe(36412, 36412, 0xdeadbeef, 7)
	if !checksumOK(hb) || vtagOf(hb) != 0xdeadbeef || hb[commonHeaderLen] != chunkHeartbeat {
		t.Fatalf("probe % x", hb)
	}
	// The peer echoes the chunk body as a HEARTBEAT ACK (RFC 4960 §8.3).
	ack := append([]byte(nil), hb...)
	ack[commonHeaderLen] = chunkHeartbeatAck
	if !isProbeAck(ack) {
		t.Fatal("echoed probe not recognised")
	}
	ack[commonHeaderLen+8] ^= 1
	if isProbeAck(ack) {
		t.Fatal("foreign HEARTBEAT ACK taken for ours")
	}
	ab := buildAbort(5000, 5000, 42, "bye")
	if !checksumOK(ab) || len(ab)%4 != 0 || ab[commonHeaderLen] != chunkAbort {
		t.Fatalf("abort % x", ab)
	}
	var types []byte
	if !chunks(ab, func(typ, _ byte, c []byte) bool {
		types = append(types, typ)
		if cause := binary.BigEndian.Uint16(c[4:]); cause != causeUserInitiatedAbort || string(c[8:]) != "bye" {
			t.Errorf("abort cause %d %q", cause, c[8:])
		}
		return true
	}) || !bytes.Equal(types, []byte{chunkAbort}) {
		t.Fatalf("abort chunks %v", types)
	}
}

// FuzzWireFilter: the packet filter never panics, never grows a packet,
// and whatever it rewrites carries a correct checksum.
func FuzzWireFilter(f *testing.F) {
	f.Add(initPacket())
	f.Add(initWithParams(10, 10, param(paramSupportedAddrTypes, []byte{0, 5}), param(0x8000, nil)))
	f.Add(buildProbe(1, 2, 3, 4))
	f.Add(buildAbort(1, 2, 3, "x"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, p []byte) {
		_ = isInitPacket(p)
		_ = isProbeAck(p)
		chunks(p, func(byte, byte, []byte) bool { return true })
		q := append([]byte(nil), p...)
		n, _, changed := rewriteInit(q, 3, 3)
		if n > len(p) {
			t.Fatalf("rewriteInit grew the packet: %d > %d", n, len(p))
		}
		if changed && !checksumOK(q[:n]) {
			t.Fatal("rewritten packet has a bad checksum")
		}
		for _, client := range []bool{false, true} {
			w := &wireConn{client: client, port: 36412}
			q := append([]byte(nil), p...)
			if m := w.inbound(q); m > len(p) {
				t.Fatalf("inbound grew the packet: %d > %d", m, len(p))
			}
		}
	})
}

func TestParseMode(t *testing.T) {
	for in, want := range map[string]Mode{"auto": ModeAuto, "": ModeAuto, "KERNEL": ModeKernel, " udp ": ModeUDP} {
		if got, err := ParseMode(in); err != nil || got != want {
			t.Errorf("ParseMode(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseMode("tcp"); err == nil {
		t.Error("ParseMode(tcp) succeeded")
	}
}

func TestStreamForUE(t *testing.T) {
	if StreamForUE(5, 1) != 0 || StreamForUE(5, 0) != 0 {
		t.Fatal("with one stream everything goes on stream 0")
	}
	seen := map[uint16]int{}
	for key := uint64(0); key < 3100; key++ {
		s := StreamForUE(key, 32)
		if s == 0 || s >= 32 {
			t.Fatalf("StreamForUE(%d, 32) = %d, want 1..31", key, s)
		}
		if StreamForUE(key, 32) != s {
			t.Fatal("not stable")
		}
		seen[s]++
	}
	for s := uint16(1); s < 32; s++ {
		if seen[s] != 100 {
			t.Fatalf("stream %d got %d of 3100 sequential keys, want 100", s, seen[s])
		}
	}
}

// captureHandler keeps log records for assertions.
type captureHandler struct {
	mu   sync.Mutex
	recs []slog.Record
}

func (h *captureHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h *captureHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	h.recs = append(h.recs, r)
	h.mu.Unlock()
	return nil
}
func (h *captureHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *captureHandler) WithGroup(string) slog.Handler      { return h }

// TestAutoMode: auto picks kernel SCTP when the probe succeeds, otherwise
// UDP with exactly one log line saying why.
func TestAutoMode(t *testing.T) {
	h := &captureHandler{}
	cfg := testConfig(ModeAuto)
	cfg.Logger = slog.New(h)
	e, err := NewEndpoint(cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	var lines []string
	for _, r := range h.recs {
		if strings.Contains(r.Message, "kernel SCTP unavailable") {
			lines = append(lines, r.Message)
		}
	}
	if ProbeKernelSCTP() == nil {
		if e.Mode() != ModeKernel || len(lines) != 0 {
			t.Fatalf("kernel has SCTP: mode %v, %d fallback lines", e.Mode(), len(lines))
		}
		return
	}
	if e.Mode() != ModeUDP || len(lines) != 1 {
		t.Fatalf("kernel lacks SCTP: mode %v, %d fallback lines, want udp and 1", e.Mode(), len(lines))
	}
}

// TestKernelModeRefusedWithoutKernelSCTP: asking for kernel mode where the
// kernel has no SCTP is an error naming the failed probe, not a fallback.
func TestKernelModeRefusedWithoutKernelSCTP(t *testing.T) {
	if ProbeKernelSCTP() == nil {
		t.Skip("the kernel has SCTP: nothing to refuse")
	}
	_, err := NewEndpoint(testConfig(ModeKernel))
	if !errors.Is(err, ErrKernelSCTPUnsupported) || !strings.Contains(err.Error(), "socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP) failed") {
		t.Fatalf("NewEndpoint(kernel) = %v", err)
	}
}
