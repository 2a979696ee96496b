package store

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"

	badger "github.com/dgraph-io/badger/v4"
)

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}

// The crash-consistency child: it writes records in a loop and reports on
// stdout "I key version op" before submitting a write and "A key version"
// once the write is acknowledged. The parent kills it with SIGKILL.
const (
	envChildDir  = "STORE_CRASH_CHILD_DIR"
	envChildBase = "STORE_CRASH_CHILD_BASE"
	envChildSeed = "STORE_CRASH_CHILD_SEED"
	crashKeys    = 2000
)

func childMain() bool {
	dir := os.Getenv(envChildDir)
	if dir == "" {
		return false
	}
	base, _ := strconv.ParseUint(os.Getenv(envChildBase), 10, 64)
	seed, _ := strconv.ParseUint(os.Getenv(envChildSeed), 10, 64)
	s, err := Open(Options{Dir: dir, GCInterval: -1})
	if err != nil {
		fmt.Fprintln(os.Stderr, "child open:", err)
		os.Exit(2)
	}
	rng := rand.New(rand.NewPCG(seed, base))
	out := os.Stdout
	line := func(format string, a ...any) {
		if _, err := out.Write([]byte(fmt.Sprintf(format, a...))); err != nil {
			os.Exit(3)
		}
	}
	for v := base + 1; ; v++ {
		k := uint64(rng.IntN(crashKeys))
		if rng.IntN(10) == 0 {
			line("I %d %d d\n", k, v)
			if err := s.Delete(k); err != nil {
				os.Exit(4)
			}
			line("A %d %d\n", k, v)
			continue
		}
		rec, idx := crashRecord(k, v)
		line("I %d %d p\n", k, v)
		s.PutAsync(k, rec, idx, func(err error) {
			if err != nil {
				os.Exit(5)
			}
			line("A %d %d\n", k, v)
		})
	}
}

// crashRecord is version v of key k: 500 bytes naming both, and indexes
// that change with the version (so stale entries would show).
func crashRecord(k, v uint64) ([]byte, []IndexEntry) {
	rec := make([]byte, 500)
	copy(rec, fmt.Sprintf("k=%d v=%d ", k, v))
	for i := 40; i < len(rec); i++ {
		rec[i] = byte(k + v + uint64(i))
	}
	return rec, []IndexEntry{
		ix(idxIMSI, fmt.Sprintf("imsi-%d", k)),
		ix(idxGUTI, fmt.Sprintf("guti-%d-%d", k, v)),
		ix(idxS1AP, fmt.Sprintf("s1-%d-%d", v%7, k)),
	}
}

type keyOp struct {
	v   uint64
	del bool
}

// TestCrashConsistencySIGKILL: a child writing records (group commit,
// SyncWrites off) is killed with SIGKILL at random points, five times (three
// under the race detector); after
// each kill every acknowledged write is present (or superseded by a later
// submitted one), no record is half-written, and every index entry resolves
// to a record that lists it (none dangling), every record's entries resolve
// to it.
func TestCrashConsistencySIGKILL(t *testing.T) {
	dir := t.TempDir()
	seed := uint64(rand.Int64())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	// state[k]: what the store holds for k as last verified (v 0: absent).
	state := map[uint64]keyOp{}
	rounds := 5
	if raceEnabled {
		rounds = 3 // the race-instrumented child is several times slower
	}
	for round := 0; round < rounds; round++ {
		base := uint64(round+1) * 10_000_000
		cmd := exec.Command(os.Args[0], "-test.run=^$")
		cmd.Env = append(os.Environ(), envChildDir+"="+dir, fmt.Sprintf("%s=%d", envChildBase, base), fmt.Sprintf("%s=%d", envChildSeed, seed))
		cmd.Stderr = os.Stderr
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		killAfter := 200 + rng.IntN(5000)
		acked := map[uint64]keyOp{}    // last acknowledged op per key this round
		issued := map[uint64][]keyOp{} // ops submitted this round, in order
		pending := map[[2]uint64]bool{}
		acks := 0
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			if len(f) < 3 {
				continue // a line cut by the kill
			}
			k, _ := strconv.ParseUint(f[1], 10, 64)
			v, _ := strconv.ParseUint(f[2], 10, 64)
			switch f[0] {
			case "I":
				if len(f) != 4 {
					continue
				}
				issued[k] = append(issued[k], keyOp{v: v, del: f[3] == "d"})
				pending[[2]uint64{k, v}] = f[3] == "d"
			case "A":
				del, ok := pending[[2]uint64{k, v}]
				if !ok {
					t.Fatalf("ack of an unissued write %d/%d", k, v)
				}
				if prev, ok := acked[k]; ok && prev.v > v {
					t.Fatalf("acks out of order for key %d: %d after %d", k, v, prev.v)
				}
				acked[k] = keyOp{v: v, del: del}
				acks++
				if acks == killAfter {
					if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
						t.Fatal(err)
					}
				}
			}
		}
		err = cmd.Wait()
		if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); !ok || !ws.Signaled() || ws.Signal() != syscall.SIGKILL {
			t.Fatalf("round %d: child ended with %v, not by SIGKILL", round, err)
		}

		s := openDir(t, dir, Options{GCInterval: -1})
		for k := uint64(0); k < crashKeys; k++ {
			// Allowed states: the last acked one (or the verified state of the
			// previous round if nothing was acked), and any op issued after it.
			allowed := []keyOp{state[k]}
			if a, ok := acked[k]; ok {
				allowed = []keyOp{a}
			}
			for _, o := range issued[k] {
				if o.v > allowed[0].v {
					allowed = append(allowed, o)
				}
			}
			e, err := s.GetEntry(k)
			var got keyOp
			switch {
			case err == nil:
				var gk, gv uint64
				if _, err := fmt.Sscanf(string(e.Rec), "k=%d v=%d ", &gk, &gv); err != nil || gk != k {
					t.Fatalf("round %d key %d: bad record %q", round, k, e.Rec[:40])
				}
				want, idx := crashRecord(k, gv)
				if !bytes.Equal(e.Rec, want) {
					t.Fatalf("round %d key %d: half-written record v%d", round, k, gv)
				}
				for _, x := range idx {
					if owner, err := s.Lookup(x.Index, x.Value); err != nil || owner != k {
						t.Fatalf("round %d key %d v%d: index %d/%s → %d, %v", round, k, gv, x.Index, x.Value, owner, err)
					}
				}
				got = keyOp{v: gv}
			case err == ErrNotFound:
				got = keyOp{del: true}
			default:
				t.Fatalf("round %d key %d: %v", round, k, err)
			}
			ok := false
			for _, a := range allowed {
				if (got.del && (a.del || a.v == 0)) || (!got.del && !a.del && a.v == got.v) {
					ok = true
				}
			}
			if !ok {
				t.Fatalf("round %d key %d: store holds %+v, allowed %+v (acked %+v)", round, k, got, allowed, acked[k])
			}
			if got.del {
				got = keyOp{}
			}
			state[k] = got
		}
		if err := s.checkIndexes(); err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		t.Logf("round %d: killed after %d acks (%d writes issued)", round, acks, len(pending))
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// checkIndexes verifies that every index entry points to a record whose
// envelope lists it, and that every record's entries point to it.
func (s *Store) checkIndexes() error {
	return s.db.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte{prefixIndex}
		it := txn.NewIterator(opt)
		defer it.Close()
		n := 0
		for it.Rewind(); it.Valid(); it.Next() {
			n++
			ik := it.Item().KeyCopy(nil)
			v, err := it.Item().ValueCopy(nil)
			if err != nil {
				return err
			}
			k := binary.BigEndian.Uint64(v)
			e, err := s.GetEntry(k)
			if err != nil {
				return fmt.Errorf("dangling index entry %q → %d: %v", ik, k, err)
			}
			if !containsEntry(e.Index, IndexEntry{Index: ik[1], Value: ik[2:]}) {
				return fmt.Errorf("index entry %q → %d not listed by the record", ik, k)
			}
		}
		records, entries := 0, 0
		err := s.ScanEntries(func(e Entry) error {
			records++
			for _, x := range e.Index {
				entries++
				if k, err := s.Lookup(x.Index, x.Value); err != nil || k != e.Key {
					return fmt.Errorf("record %d: index %d/%q → %d, %v", e.Key, x.Index, x.Value, k, err)
				}
			}
			return nil
		})
		if err == nil && entries != n {
			return fmt.Errorf("%d index entries, records list %d", n, entries)
		}
		return err
	})
}
