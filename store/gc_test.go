package store

import (
	dto "github.com/prometheus/client_model/go"
	"sync"
	"testing"
	"time"
)

// TestValueLogGC: after every record was overwritten several times, value-log
// GC rewrites the files that are mostly garbage and the value log shrinks;
// the GC loop runs on its own and ends with Close.
func TestValueLogGC(t *testing.T) {
	dir := t.TempDir()
	s := openDir(t, dir, Options{MemTableSize: 1 << 20, ValueLogFileSize: 1 << 20, GCInterval: 5 * time.Millisecond})
	const keys = 6000
	start := time.Now()
	var wg sync.WaitGroup
	for round := 0; round < 5; round++ {
		for k := uint64(1); k <= keys; k++ {
			rec, idx := benchRecord(k + uint64(round))
			wg.Add(1)
			s.PutAsync(k, rec, idx[:1], func(err error) {
				if err != nil {
					t.Error(err)
				}
				wg.Done()
			})
		}
	}
	wg.Wait()
	var m dto.Metric
	_ = s.m.batchOps.Write(&m)
	t.Logf("written in %v: %v writes in %d commits", time.Since(start), m.GetHistogram().GetSampleSum(), m.GetHistogram().GetSampleCount())
	if err := s.db.Flatten(1); err != nil { // push the overwritten versions through compaction
		t.Fatal(err)
	}
	deadline := time.Now().Add(15 * time.Second)
	for counter(t, s.m.gcRewrites) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // the GC loop runs every 5 ms; this only bounds the wait
	}
	if counter(t, s.m.gcRuns) == 0 || counter(t, s.m.gcRewrites) == 0 {
		t.Fatalf("GC runs %v, rewrites %v", counter(t, s.m.gcRuns), counter(t, s.m.gcRewrites))
	}
	for k := uint64(1); k <= keys; k += 97 {
		rec, _ := benchRecord(k + 4)
		if got, err := s.Get(k); err != nil || string(got) != string(rec) {
			t.Fatalf("key %d after GC: %v", k, err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
