package store

import (
	"bytes"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/goleak"

	"github.com/lte-mme/mme/supervision"
)

func TestMain(m *testing.M) {
	if childMain() {
		return
	}
	goleak.VerifyTestMain(m)
}

const (
	idxIMSI uint8 = iota + 1
	idxGUTI
	idxS1AP
)

func openMem(t testing.TB, reg prometheus.Registerer) *Store {
	t.Helper()
	s, err := Open(Options{InMemory: true, Metrics: reg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func openDir(t testing.TB, dir string, o Options) *Store {
	t.Helper()
	o.Dir = dir
	s, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func ix(i uint8, v string) IndexEntry { return IndexEntry{Index: i, Value: []byte(v)} }

func mustLookup(t testing.TB, s *Store, i uint8, v string, want uint64) {
	t.Helper()
	k, err := s.Lookup(i, []byte(v))
	if want == 0 {
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("lookup %d/%s = %d, %v; want not found", i, v, k, err)
		}
		return
	}
	if err != nil || k != want {
		t.Fatalf("lookup %d/%s = %d, %v; want %d", i, v, k, err, want)
	}
}

func TestPutGetLookup(t *testing.T) {
	s := openMem(t, nil)
	if _, err := s.Get(1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get absent: %v", err)
	}
	rec := []byte("record v1")
	idx := []IndexEntry{ix(idxIMSI, "001010000000001"), ix(idxGUTI, "guti-a"), ix(idxS1AP, "s1-7")}
	if err := s.Put(1, rec, idx); err != nil {
		t.Fatal(err)
	}
	rec[0] = 'X' // the store copied it
	e, err := s.GetEntry(1)
	if err != nil || string(e.Rec) != "record v1" || e.Seq != 1 || len(e.Index) != 3 {
		t.Fatalf("%+v %v", e, err)
	}
	mustLookup(t, s, idxIMSI, "001010000000001", 1)
	mustLookup(t, s, idxGUTI, "guti-a", 1)
	mustLookup(t, s, idxS1AP, "s1-7", 1)
	// New GUTI, S1 connection released: the old entries go, atomically.
	if err := s.Put(1, []byte("record v2"), []IndexEntry{ix(idxIMSI, "001010000000001"), ix(idxGUTI, "guti-b")}); err != nil {
		t.Fatal(err)
	}
	e, _ = s.GetEntry(1)
	if string(e.Rec) != "record v2" || e.Seq != 2 {
		t.Fatalf("%+v", e)
	}
	mustLookup(t, s, idxGUTI, "guti-a", 0)
	mustLookup(t, s, idxS1AP, "s1-7", 0)
	mustLookup(t, s, idxGUTI, "guti-b", 1)
	mustLookup(t, s, idxIMSI, "001010000000001", 1)
}

// TestTwoValuesOfOneIndex: a record indexed by two values of the same
// index (the old and the new GUTI while the UE has not confirmed the new
// one, docs/design/node.md "Old and new GUTI") is found by both; the
// write without the old value removes it, the other stays.
func TestTwoValuesOfOneIndex(t *testing.T) {
	s := openMem(t, nil)
	if err := s.Put(3, []byte("r1"), []IndexEntry{ix(idxIMSI, "001010000000003"), ix(idxGUTI, "guti-new"), ix(idxGUTI, "guti-old")}); err != nil {
		t.Fatal(err)
	}
	mustLookup(t, s, idxGUTI, "guti-new", 3)
	mustLookup(t, s, idxGUTI, "guti-old", 3)
	if err := s.Put(3, []byte("r2"), []IndexEntry{ix(idxIMSI, "001010000000003"), ix(idxGUTI, "guti-new")}); err != nil {
		t.Fatal(err)
	}
	mustLookup(t, s, idxGUTI, "guti-old", 0)
	mustLookup(t, s, idxGUTI, "guti-new", 3)
	mustLookup(t, s, idxIMSI, "001010000000003", 3)
}

func TestDeleteRemovesIndexes(t *testing.T) {
	s := openMem(t, nil)
	if err := s.Put(5, []byte("r"), []IndexEntry{ix(idxIMSI, "a"), ix(idxGUTI, "b")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(5); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(5); err != nil {
		t.Fatalf("delete of an absent key: %v", err)
	}
	if _, err := s.Get(5); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	mustLookup(t, s, idxIMSI, "a", 0)
	mustLookup(t, s, idxGUTI, "b", 0)
	if err := s.Put(5, []byte("again"), nil); err != nil {
		t.Fatal(err)
	}
	if e, _ := s.GetEntry(5); e.Seq != 1 {
		t.Fatalf("seq after delete %d", e.Seq)
	}
}

func TestIndexTakeover(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := openMem(t, reg)
	if err := s.Put(1, []byte("old owner"), []IndexEntry{ix(idxS1AP, "id-9")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Put(2, []byte("new owner"), []IndexEntry{ix(idxS1AP, "id-9")}); err != nil {
		t.Fatal(err)
	}
	mustLookup(t, s, idxS1AP, "id-9", 2)
	// Key 1 moves on: its stale entry is not removed on its behalf.
	if err := s.Put(1, []byte("old owner v2"), nil); err != nil {
		t.Fatal(err)
	}
	mustLookup(t, s, idxS1AP, "id-9", 2)
	if err := s.Delete(1); err != nil {
		t.Fatal(err)
	}
	mustLookup(t, s, idxS1AP, "id-9", 2)
	if v := counter(t, s.m.takeovers); v != 1 {
		t.Fatalf("takeovers %v", v)
	}
}

func TestValidation(t *testing.T) {
	s := openMem(t, nil)
	if err := s.Put(1, make([]byte, MaxRecordSize+1), nil); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("big record: %v", err)
	}
	if err := s.Put(1, nil, []IndexEntry{{Index: 1, Value: make([]byte, 256)}}); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("big index: %v", err)
	}
	if err := s.Put(1, nil, make([]IndexEntry, 17)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("many indexes: %v", err)
	}
	// Exact duplicates collapse; the same index number may hold two values.
	if err := s.Put(1, nil, []IndexEntry{ix(1, "a"), ix(1, "a"), ix(1, "b")}); err != nil {
		t.Fatal(err)
	}
	if e, _ := s.GetEntry(1); len(e.Index) != 2 {
		t.Fatalf("%+v", e.Index)
	}
	if _, err := Open(Options{}); err == nil {
		t.Fatal("Open without Dir or InMemory")
	}
}

// TestPutAsyncGroupCommit: concurrent writers' PutAsyncs are acknowledged
// in submission order per writer and committed in batches.
func TestPutAsyncGroupCommit(t *testing.T) {
	reg := prometheus.NewRegistry()
	s := openMem(t, reg)
	const writers, per = 4, 2000
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			last := -1
			var mu sync.Mutex
			var inner sync.WaitGroup
			for i := 0; i < per; i++ {
				inner.Add(1)
				k := uint64(w*per + i + 1)
				s.PutAsync(k, []byte(fmt.Sprint(k)), []IndexEntry{ix(idxIMSI, fmt.Sprint(k))}, func(err error) {
					defer inner.Done()
					mu.Lock()
					defer mu.Unlock()
					if err != nil || i != last+1 {
						t.Errorf("writer %d: ack %d after %d: %v", w, i, last, err)
					}
					last = i
				})
			}
			inner.Wait()
		}()
	}
	wg.Wait()
	for k := uint64(1); k <= writers*per; k += 997 {
		mustLookup(t, s, idxIMSI, fmt.Sprint(k), k)
	}
	var m dto.Metric
	if err := s.m.batchOps.Write(&m); err != nil {
		t.Fatal(err)
	}
	commits, ops := m.GetHistogram().GetSampleCount(), m.GetHistogram().GetSampleSum()
	if ops != writers*per || commits >= writers*per {
		t.Fatalf("%v ops in %d commits: no grouping", ops, commits)
	}
	t.Logf("%v writes in %d commits", ops, commits)
}

func TestScanAndReopen(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir, Options{})
	for k := uint64(1); k <= 100; k++ {
		if err := s.Put(k, bytes.Repeat([]byte{byte(k)}, 500), []IndexEntry{ix(idxIMSI, fmt.Sprint(k))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.PutMeta("gtp.restart", []byte{7}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); !errors.Is(err, ErrClosed) {
		t.Fatalf("second close: %v", err)
	}
	if err := s.Put(1, nil, nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("put after close: %v", err)
	}
	s = openDir(t, dir, Options{})
	defer s.Close()
	var n uint64
	if err := s.Scan(func(k uint64, rec []byte) error {
		n++
		if k != n || len(rec) != 500 || rec[0] != byte(k) {
			return fmt.Errorf("record %d: %d bytes", k, len(rec))
		}
		return nil
	}); err != nil || n != 100 {
		t.Fatalf("scan: %d records, %v", n, err)
	}
	stop := errors.New("stop")
	if err := s.Scan(func(uint64, []byte) error { return stop }); err != stop {
		t.Fatalf("scan error: %v", err)
	}
	if v, err := s.GetMeta("gtp.restart"); err != nil || !bytes.Equal(v, []byte{7}) {
		t.Fatalf("meta %v %v", v, err)
	}
	if _, err := s.GetMeta("nothing"); !errors.Is(err, ErrNotFound) {
		t.Fatal(err)
	}
	mustLookup(t, s, idxIMSI, "42", 42)
}

func TestFormatVersionGuard(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir, Options{})
	if err := s.PutMeta(metaFormatKey, []byte{formatVersion + 1}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	if _, err := Open(Options{Dir: dir}); !errors.Is(err, ErrFormat) {
		t.Fatalf("open of a newer format: %v", err)
	}
}

func TestCrashLogRotation(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir, Options{CrashLogSize: 5})
	var _ supervision.CrashLog = s.CrashLog()
	for i := 0; i < 12; i++ {
		if err := s.CrashLog().Append(supervision.CrashReport{Time: time.Unix(int64(i), 0).UTC(), Key: fmt.Sprint(i), Reason: "fault-injection"}); err != nil {
			t.Fatal(err)
		}
	}
	check := func(s *Store) {
		t.Helper()
		got, err := s.CrashLog().List(0)
		if err != nil || len(got) != 5 || got[0].Key != "11" || got[4].Key != "7" || s.CrashLog().Len() != 5 {
			t.Fatalf("%+v %v", got, err)
		}
		got, _ = s.CrashLog().List(2)
		if len(got) != 2 || got[1].Key != "10" {
			t.Fatalf("%+v", got)
		}
	}
	check(s)
	s.Close()
	s = openDir(t, dir, Options{CrashLogSize: 5})
	check(s)
	if err := s.CrashLog().Append(supervision.CrashReport{Key: "12"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.CrashLog().List(0); len(got) != 5 || got[0].Key != "12" || got[4].Key != "8" {
		t.Fatalf("%+v", got)
	}
	s.Close()
}

// TestActorsCrashReportsInStore: the store's log serves as the actors'
// crash log.
func TestActorsCrashReportsInStore(t *testing.T) {
	s := openMem(t, nil)
	h := &panicky{}
	a, err := supervision.NewActors(supervision.ActorsConfig{Workers: 1, Crashes: s.CrashLog(), Node: "mme-1"}, h)
	if err != nil {
		t.Fatal(err)
	}
	if err := a.Send(3, "boom"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := contextWithCancel()
	cancel()
	if err := a.Run(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := s.CrashLog().List(0)
	if err != nil || len(got) != 1 || got[0].Key != "3" || got[0].Node != "mme-1" || got[0].Error != "boom" || got[0].Reason != "string" {
		t.Fatalf("%+v %v", got, err)
	}
}

type panicky struct{}

func (panicky) Handle(_ int, _ supervision.Key, ev any)                    { panic(ev) }
func (panicky) Restart(int, supervision.Key, any, supervision.CrashReport) {}
func (panicky) Quarantine(int, supervision.Key, supervision.CrashReport)   {}

func TestEnvelopeCorruption(t *testing.T) {
	env := appendEnvelope(nil, 3, []IndexEntry{ix(1, "imsi")}, []byte("payload"))
	seq, idx, rec, err := parseEnvelope(env)
	if err != nil || seq != 3 || len(idx) != 1 || string(rec) != "payload" {
		t.Fatalf("%d %v %q %v", seq, idx, rec, err)
	}
	for i := range env {
		bad := bytes.Clone(env)
		bad[i] ^= 0x40
		if _, _, _, err := parseEnvelope(bad); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("flip at %d accepted", i)
		}
	}
	if _, _, _, err := parseEnvelope(env[:len(env)-1]); !errors.Is(err, ErrCorrupt) {
		t.Fatal("truncated envelope accepted")
	}
}

func FuzzParseEnvelope(f *testing.F) {
	f.Add(appendEnvelope(nil, 1, []IndexEntry{ix(1, "a"), ix(2, "bb")}, []byte("rec")))
	f.Add([]byte{1, 0, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		seq, idx, rec, err := parseEnvelope(b)
		if err != nil {
			return
		}
		seq2, idx2, rec2, err := parseEnvelope(appendEnvelope(nil, seq, idx, rec))
		if err != nil || seq2 != seq || len(idx2) != len(idx) || !bytes.Equal(rec2, rec) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

func counter(t testing.TB, c prometheus.Counter) float64 {
	t.Helper()
	var m dto.Metric
	if err := c.Write(&m); err != nil {
		t.Fatal(err)
	}
	return m.GetCounter().GetValue()
}
