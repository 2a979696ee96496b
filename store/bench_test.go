package store

import (
	"bufio"
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// benchRecord is a ~500 B record with 3 index entries (IMSI, GUTI,
// MME-UE-S1AP-ID), the shape the node stores.
func benchRecord(k uint64) ([]byte, []IndexEntry) {
	rec := bytes.Repeat([]byte{byte(k)}, 500)
	return rec, []IndexEntry{
		{Index: 1, Value: []byte(fmt.Sprintf("00101%010d", k))},
		{Index: 2, Value: []byte(fmt.Sprintf("guti%012d", k))},
		{Index: 3, Value: []byte(strconv.FormatUint(k, 16))},
	}
}

func benchStore(b *testing.B, sync bool) *Store {
	b.Helper()
	s, err := Open(Options{Dir: b.TempDir(), SyncWrites: sync, GCInterval: -1})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkPut: synchronous Put from one goroutine (one commit per write)
// and from 64 goroutines (group commit), with and without fsync.
func BenchmarkPut(b *testing.B) {
	for _, fsync := range []bool{false, true} {
		for _, par := range []int{1, 64} {
			b.Run(fmt.Sprintf("sync=%v/writers=%d", fsync, par), func(b *testing.B) {
				s := benchStore(b, fsync)
				var next atomic.Uint64
				b.ReportAllocs()
				b.SetParallelism(par) // × GOMAXPROCS goroutines
				if par == 1 {
					for i := 0; i < b.N; i++ {
						rec, idx := benchRecord(uint64(i))
						if err := s.Put(uint64(i), rec, idx); err != nil {
							b.Fatal(err)
						}
					}
					return
				}
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						k := next.Add(1)
						rec, idx := benchRecord(k)
						if err := s.Put(k, rec, idx); err != nil {
							b.Error(err)
							return
						}
					}
				})
			})
		}
	}
}

// BenchmarkPutAsync: PutAsync from one goroutine, all in flight (group
// commit bounded by the 1024-write queue), with and without fsync.
func BenchmarkPutAsync(b *testing.B) {
	for _, fsync := range []bool{false, true} {
		b.Run(fmt.Sprintf("sync=%v", fsync), func(b *testing.B) {
			s := benchStore(b, fsync)
			var wg sync.WaitGroup
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				rec, idx := benchRecord(uint64(i))
				wg.Add(1)
				s.PutAsync(uint64(i), rec, idx, func(err error) {
					if err != nil {
						b.Error(err)
					}
					wg.Done()
				})
			}
			wg.Wait()
		})
	}
}

func loaded(b *testing.B, n int) *Store {
	s := benchStore(b, false)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		rec, idx := benchRecord(uint64(i))
		wg.Add(1)
		s.PutAsync(uint64(i), rec, idx, func(error) { wg.Done() })
	}
	wg.Wait()
	return s
}

// BenchmarkGet: random reads over 100,000 records, GOMAXPROCS readers.
func BenchmarkGet(b *testing.B) {
	const n = 100_000
	s := loaded(b, n)
	b.ReportAllocs()
	b.ResetTimer()
	var seed atomic.Uint64
	b.RunParallel(func(pb *testing.PB) {
		k := seed.Add(7919)
		for pb.Next() {
			k = (k*6364136223846793005 + 1442695040888963407)
			if _, err := s.Get(k % n); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkLookup: random index lookups (the IMSI index) over 100,000
// records, GOMAXPROCS readers.
func BenchmarkLookup(b *testing.B) {
	const n = 100_000
	s := loaded(b, n)
	b.ReportAllocs()
	b.ResetTimer()
	var seed atomic.Uint64
	b.RunParallel(func(pb *testing.PB) {
		k := seed.Add(7919)
		for pb.Next() {
			k = (k*6364136223846793005 + 1442695040888963407)
			_, idx := benchRecord(k % n)
			if _, err := s.Lookup(1, idx[0].Value); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkRSSPerRecord: resident memory added by 1,000,000 records of
// 500 B with 3 indexes (written, then all read back once), divided by the
// record count. Run with -benchtime 1x.
func BenchmarkRSSPerRecord(b *testing.B) {
	const n = 1_000_000
	for i := 0; i < b.N; i++ {
		runtime.GC()
		before, beforeAnon := rss(b, "VmRSS:"), rss(b, "RssAnon:")
		dir := b.TempDir()
		s, err := Open(Options{Dir: dir, GCInterval: -1})
		if err != nil {
			b.Fatal(err)
		}
		var wg sync.WaitGroup
		for k := 0; k < n; k++ {
			rec, idx := benchRecord(uint64(k))
			wg.Add(1)
			s.PutAsync(uint64(k), rec, idx, func(err error) {
				if err != nil {
					b.Error(err)
				}
				wg.Done()
			})
		}
		wg.Wait()
		for k := 0; k < n; k += 1 {
			if _, err := s.Get(uint64(k)); err != nil {
				b.Fatal(err)
			}
		}
		runtime.GC()
		after, afterAnon := rss(b, "VmRSS:"), rss(b, "RssAnon:")
		b.ReportMetric(float64(after-before)/n, "RSS-B/record")
		b.ReportMetric(float64(afterAnon-beforeAnon)/n, "anon-B/record")
		s.Close()
		b.ReportMetric(float64(dirBytes(b, dir))/n, "disk-B/record")
	}
}

func dirBytes(b *testing.B, dir string) int64 {
	var n int64
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err == nil {
			n += info.Size()
		}
		return err
	})
	if err != nil {
		b.Fatal(err)
	}
	return n
}

// rss reads a field of /proc/self/status (VmRSS: all resident memory;
// RssAnon: without file-backed pages such as badger's mmapped files), in
// bytes.
func rss(b *testing.B, field string) int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), field); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				b.Fatal(err)
			}
			return kb << 10
		}
	}
	b.Fatal("no " + field)
	return 0
}
