package s11

import (
	"runtime"
	"testing"
)

func TestTEIDTable(t *testing.T) {
	tb := NewTEIDTable(0)
	seen := map[uint32]bool{}
	for k := range 1000 {
		teid, err := tb.Alloc(SessionKey(k), PeerID(1+k%3))
		if err != nil || teid == 0 || seen[teid] {
			t.Fatalf("alloc %d: %#x %v", k, teid, err)
		}
		seen[teid] = true
	}
	if tb.Len() != 1000 || tb.Count(1) != 334 || tb.Count(2) != 333 {
		t.Fatalf("len %d counts %d %d", tb.Len(), tb.Count(1), tb.Count(2))
	}
	n := 0
	tb.Sessions(2, func(teid uint32, key SessionKey) {
		if k, p, ok := tb.m[teid].key, tb.m[teid].peer, seen[teid]; !ok || k != key || p != 2 || key%3 != 1 {
			t.Fatalf("session %#x %d", teid, key)
		}
		n++
	})
	if n != 333 {
		t.Fatalf("%d sessions of peer 2", n)
	}
	for teid := range seen {
		if !tb.Release(teid) {
			t.Fatal("release")
		}
	}
	if tb.Len() != 0 || len(tb.perPeer) != 0 || tb.Release(1) {
		t.Fatal("table not empty")
	}
	if err := tb.Bind(0, 1, 1); err == nil {
		t.Fatal("TEID 0 bound")
	}
	if err := tb.Bind(7, 1, 1); err != nil || tb.Bind(7, 2, 1) == nil {
		t.Fatal("Bind")
	}
	if k, p, ok := tb.Lookup(7); !ok || k != 1 || p != 1 {
		t.Fatal("Lookup")
	}
}

// The S11 layer's per-session state is one TEID-table entry: measured with
// a million sessions, it must stay under 200 octets (issue #5).
func TestTEIDTableMemoryPerSession(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("allocates a million sessions: skipped with -short and -race (figures are for the plain build)")
	}
	perSession := teidTableBytesPerSession(1_000_000)
	t.Logf("%.1f bytes/session with 1,000,000 sessions", perSession)
	if perSession > 200 {
		t.Fatalf("%.1f bytes/session, budget 200", perSession)
	}
}

// BenchmarkTEIDTable reports the memory of the S11 layer per session with a
// million sessions, and the cost of an allocation.
func BenchmarkTEIDTable(b *testing.B) {
	b.Run("1M-sessions", func(b *testing.B) {
		var per float64
		for range b.N {
			per = teidTableBytesPerSession(1_000_000)
		}
		b.ReportMetric(per, "B/session")
	})
	b.Run("alloc-release", func(b *testing.B) {
		tb := NewTEIDTable(1 << 20)
		for k := range 1 << 20 {
			tb.Alloc(SessionKey(k), 1)
		}
		b.ReportAllocs()
		b.ResetTimer()
		for k := range b.N {
			teid, _ := tb.Alloc(SessionKey(k), 1)
			tb.Release(teid)
		}
	})
}

func teidTableBytesPerSession(n int) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	tb := NewTEIDTable(0) // grown as sessions arrive: no pre-sizing credit
	for k := range n {
		if _, err := tb.Alloc(SessionKey(k), PeerID(1+k%8)); err != nil {
			panic(err)
		}
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	runtime.KeepAlive(tb)
	return float64(after.HeapAlloc-before.HeapAlloc) / float64(n)
}
