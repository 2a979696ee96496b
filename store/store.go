package store

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/prometheus/client_golang/prometheus"
)

// Key prefixes of the badger key space (docs/design/store.md "Key space").
const (
	prefixRecord = 'r' // 'r' + key (8 bytes BE)            → envelope
	prefixIndex  = 'x' // 'x' + index (1 byte) + value      → key (8 bytes BE)
	prefixMeta   = 'm' // 'm' + name                         → value
	prefixCrash  = 'c' // 'c' + sequence (8 bytes BE)        → crash report (JSON)
)

// Limits of a record; beyond them Put answers ErrTooLarge.
const (
	MaxRecordSize = 256 << 10 // a subscriber record is ~0.5–2 KB (UE radio capability included)
	MaxIndexValue = 255       // an IMSI is 8 BCD bytes, a GUTI 10
	maxIndexes    = 16
	maxBatchOps   = 1024 // writes per group commit (also bounded by bytes and entries: batchLimits)
	formatVersion = 1
	metaFormatKey = "store.format"
	// writeQueueDepth bounds the writes waiting for the writer: two full
	// batches, so one batch can queue while the previous one commits; past
	// it the submitting worker blocks (back-pressure) instead of memory
	// growing.
	writeQueueDepth = 2 * maxBatchOps
	valueThreshold  = 256
)

// Errors of the store.
var (
	ErrNotFound = errors.New("store: not found")
	ErrClosed   = errors.New("store: closed")
	ErrTooLarge = errors.New("store: record or index too large")
	ErrFormat   = errors.New("store: unsupported on-disk format")
)

// Options configures Open. Zero values select the defaults, sized for the
// project's node (2 cores, 24 GiB) holding millions of ~500 B records with
// bounded RAM; docs/design/store.md "Sizing" explains each.
type Options struct {
	Dir      string // the directory (created if absent); empty only with InMemory
	InMemory bool   // no files at all (tests, benchmarks): nothing survives Close
	// SyncWrites makes every group commit fsync before its writes are
	// acknowledged: acknowledged writes then survive power loss. Without it
	// they survive a process kill (kill -9: the data is in the kernel's page
	// cache) but not a kernel crash or power loss. docs/design/store.md.
	SyncWrites       bool
	MemTableSize     int64         // default 32 MiB (3 memtables at most)
	ValueLogFileSize int64         // default 64 MiB (the unit of value-log GC, which pauses writes while it rewrites one)
	BlockCacheSize   int64         // default 64 MiB
	IndexCacheSize   int64         // default 32 MiB (bounds table indexes and bloom filters)
	GCInterval       time.Duration // value-log GC period; default 1 min; negative disables
	GCDiscardRatio   float64       // rewrite a value-log file when this share is garbage; default 0.5
	// CrashLogSize is how many crash reports are kept (the oldest are
	// rotated out); default 1000.
	CrashLogSize int
	Logger       *slog.Logger          // default discards
	Metrics      prometheus.Registerer // nil = no metrics; never the global registry
}

func (o *Options) defaults() error {
	if o.InMemory == (o.Dir != "") {
		return errors.New("store: exactly one of Dir and InMemory is required")
	}
	if o.MemTableSize < 0 || o.ValueLogFileSize < 0 || o.BlockCacheSize < 0 || o.IndexCacheSize < 0 || o.GCDiscardRatio < 0 || o.GCDiscardRatio >= 1 || o.CrashLogSize < 0 {
		return errors.New("store: invalid value in Options")
	}
	if o.MemTableSize == 0 {
		o.MemTableSize = 32 << 20
	}
	if o.ValueLogFileSize == 0 {
		o.ValueLogFileSize = 64 << 20
	}
	if o.BlockCacheSize == 0 {
		o.BlockCacheSize = 64 << 20
	}
	if o.IndexCacheSize == 0 {
		o.IndexCacheSize = 32 << 20
	}
	if o.GCInterval == 0 {
		o.GCInterval = time.Minute
	}
	if o.GCDiscardRatio == 0 {
		o.GCDiscardRatio = 0.5
	}
	if o.CrashLogSize == 0 {
		o.CrashLogSize = 1000
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return nil
}

// Store is the node's stable storage: subscriber records with atomic
// secondary indexes, node metadata and the crash-report log, in badger.
// All writes go through one writer goroutine that group-commits them; reads
// run concurrently. Safe for concurrent use.
type Store struct {
	opt Options
	db  *badger.DB
	m   metrics

	mu     sync.RWMutex // closed and the ops channel
	closed bool
	ops    chan *op

	batchBytes, batchEntries int // per group commit, within badger's transaction limits

	writerDone chan struct{}
	gcStop     chan struct{}
	gcDone     chan struct{}

	// Crash log state, owned by the writer goroutine after Open.
	crashFirst, crashNext uint64
	crashCount            atomic.Int64
}

type opKind uint8

const (
	opPut opKind = iota + 1
	opDelete
	opMeta
	opCrash
	opGC // value-log GC step, run by the writer between commits
)

type op struct {
	kind opKind
	key  uint64
	env  []byte       // opPut: the envelope (seq patched by the writer)
	idx  []IndexEntry // opPut: the new index entries (aliasing env)
	name string       // opMeta
	val  []byte       // opMeta, opCrash
	done func(error)
}

// Open opens (or creates) the store.
func Open(o Options) (*Store, error) {
	if err := o.defaults(); err != nil {
		return nil, err
	}
	bo := badger.DefaultOptions(o.Dir).
		WithInMemory(o.InMemory).
		WithSyncWrites(o.SyncWrites).
		WithMemTableSize(o.MemTableSize).
		WithNumMemtables(3).
		WithNumLevelZeroTables(3).
		WithNumLevelZeroTablesStall(8).
		WithValueLogFileSize(o.ValueLogFileSize).
		WithBlockCacheSize(o.BlockCacheSize).
		WithIndexCacheSize(o.IndexCacheSize).
		WithNumCompactors(2).
		WithDetectConflicts(false). // one writer goroutine: no conflicts to detect
		WithMetricsEnabled(false).  // badger's metrics are process-global expvars
		WithLogger(badgerLogger{o.Logger})
	if o.InMemory {
		bo.Dir, bo.ValueDir = "", "" // no value log: values stay in the LSM (badger's default threshold)
	} else {
		// Key-value separation (WiscKey): records (> 256 B) go to the value
		// log, index entries and small values stay in the LSM tree, which
		// stays small enough to be mostly cached.
		bo = bo.WithValueThreshold(valueThreshold)
	}
	db, err := badger.Open(bo)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", o.Dir, err)
	}
	s := &Store{opt: o, db: db, ops: make(chan *op, writeQueueDepth), writerDone: make(chan struct{}),
		gcStop: make(chan struct{}), gcDone: make(chan struct{})}
	// Badger refuses a transaction above 15 % of a memtable in bytes, or
	// that size / its largest skiplist node (~100 B) in entries: stay at
	// two thirds of both.
	s.batchBytes = int(o.MemTableSize / 10)
	s.batchEntries = s.batchBytes / 160
	if err := s.checkFormat(); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.loadCrashBounds(); err != nil {
		db.Close()
		return nil, err
	}
	if err := s.m.init(s, o.Metrics); err != nil {
		db.Close()
		return nil, err
	}
	go pprof.Do(context.Background(), pprof.Labels("goroutine", "store.writer"), func(context.Context) { s.writer() })
	if o.GCInterval > 0 && !o.InMemory {
		go pprof.Do(context.Background(), pprof.Labels("goroutine", "store.gc"), func(context.Context) { s.gcLoop() })
	} else {
		close(s.gcDone)
	}
	return s, nil
}

// checkFormat writes the on-disk format version on a new store and refuses
// a store written by a newer, incompatible version.
func (s *Store) checkFormat() error {
	v, err := s.GetMeta(metaFormatKey)
	switch {
	case errors.Is(err, ErrNotFound):
		return s.db.Update(func(txn *badger.Txn) error {
			return txn.Set(metaKey(metaFormatKey), []byte{formatVersion})
		})
	case err != nil:
		return err
	case len(v) != 1 || v[0] > formatVersion:
		return fmt.Errorf("%w: version %v, this build reads up to %d", ErrFormat, v, formatVersion)
	}
	return nil
}

// Close stops accepting writes, commits what is queued, stops the GC loop
// and closes badger. Writes submitted after Close fail with ErrClosed.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closed = true
	close(s.ops)
	s.mu.Unlock()
	<-s.writerDone
	close(s.gcStop)
	<-s.gcDone
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("store: close: %w", err)
	}
	return nil
}

func recKey(k uint64) []byte {
	var b [9]byte
	b[0] = prefixRecord
	binary.BigEndian.PutUint64(b[1:], k)
	return b[:]
}

func idxKey(index uint8, value []byte) []byte {
	b := make([]byte, 2+len(value))
	b[0], b[1] = prefixIndex, index
	copy(b[2:], value)
	return b
}

func metaKey(name string) []byte { return append([]byte{prefixMeta}, name...) }

func crashKey(seq uint64) []byte {
	var b [9]byte
	b[0] = prefixCrash
	binary.BigEndian.PutUint64(b[1:], seq)
	return b[:]
}

func u64(k uint64) []byte { return binary.BigEndian.AppendUint64(nil, k) }

// validate checks a record and its indexes and drops exact duplicate
// index entries.
func validate(rec []byte, idx []IndexEntry) ([]IndexEntry, error) {
	if len(rec) > MaxRecordSize { // also keeps one write within the smallest batch limit
		return nil, fmt.Errorf("%w: record of %d bytes (max %d)", ErrTooLarge, len(rec), MaxRecordSize)
	}
	if len(idx) > maxIndexes {
		return nil, fmt.Errorf("%w: %d index entries (max %d)", ErrTooLarge, len(idx), maxIndexes)
	}
	out := idx[:0:0]
	for _, e := range idx {
		if len(e.Value) > MaxIndexValue {
			return nil, fmt.Errorf("%w: index %d value of %d bytes (max %d)", ErrTooLarge, e.Index, len(e.Value), MaxIndexValue)
		}
		if !containsEntry(out, e) {
			out = append(out, e)
		}
	}
	return out, nil
}

func containsEntry(list []IndexEntry, e IndexEntry) bool {
	for _, x := range list {
		if x.Index == e.Index && bytes.Equal(x.Value, e.Value) {
			return true
		}
	}
	return false
}

// Put writes the record of key and replaces its index entries atomically
// (one badger transaction): entries of the previous version absent from idx
// are removed. It returns once the write is durable to the configured level
// (see Options.SyncWrites). An index value owned by another key moves to key
// (counted in mme_store_index_takeovers_total); the other record is not
// changed, and its stale entry is never removed on its behalf. rec and idx
// are copied: the caller may reuse them on return.
func (s *Store) Put(key uint64, rec []byte, idx []IndexEntry) error {
	ch := make(chan error, 1)
	s.PutAsync(key, rec, idx, func(err error) { ch <- err })
	return <-ch
}

// PutAsync is Put with group commit: it queues the write and returns; done
// is called once the write is durable to the configured level (the node
// releases externally visible effects only then). Writes are applied and
// acknowledged in submission order. done runs on the store's writer
// goroutine: it must not block (hand the result off, e.g. with
// supervision.Actors.Send). PutAsync blocks while the write queue (1024
// writes) is full: back-pressure to the caller's worker. A Get issued before
// done may not see the write.
func (s *Store) PutAsync(key uint64, rec []byte, idx []IndexEntry, done func(error)) {
	idx, err := validate(rec, idx)
	if err != nil {
		done(err)
		return
	}
	env := appendEnvelope(make([]byte, 0, 16+len(rec)+len(idx)*12), 0, idx, rec)
	_, pidx, _, _ := parseEnvelope(env)
	s.submit(&op{kind: opPut, key: key, env: env, idx: pidx, done: done})
}

// Delete removes the record of key and its index entries, atomically.
// Deleting an absent key is not an error.
func (s *Store) Delete(key uint64) error {
	ch := make(chan error, 1)
	s.submit(&op{kind: opDelete, key: key, done: func(err error) { ch <- err }})
	return <-ch
}

func (s *Store) submit(o *op) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		o.done(ErrClosed)
		return
	}
	s.m.queued.Inc()
	s.ops <- o
}

// Get returns a copy of the record of key, or ErrNotFound.
func (s *Store) Get(key uint64) ([]byte, error) {
	e, err := s.GetEntry(key)
	if err != nil {
		return nil, err
	}
	return e.Rec, nil
}

// GetEntry returns the record of key with its envelope (sequence and index
// entries), or ErrNotFound.
func (s *Store) GetEntry(key uint64) (Entry, error) {
	var e Entry
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(recKey(key))
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			seq, idx, rec, err := parseEnvelope(v)
			if err != nil {
				return err
			}
			buf := make([]byte, len(rec))
			copy(buf, rec)
			e = Entry{Key: key, Seq: seq, Rec: buf, Index: cloneIndex(idx)}
			return nil
		})
	})
	switch {
	case errors.Is(err, badger.ErrKeyNotFound):
		s.m.gets.WithLabelValues("miss").Inc()
		return Entry{}, ErrNotFound
	case err != nil:
		s.m.gets.WithLabelValues("error").Inc()
		return Entry{}, fmt.Errorf("store: get %d: %w", key, err)
	}
	s.m.gets.WithLabelValues("hit").Inc()
	return e, nil
}

func cloneIndex(idx []IndexEntry) []IndexEntry {
	out := make([]IndexEntry, len(idx))
	for i, e := range idx {
		out[i] = IndexEntry{Index: e.Index, Value: bytes.Clone(e.Value)}
	}
	return out
}

// Lookup returns the key whose record holds value in index, or ErrNotFound.
func (s *Store) Lookup(index uint8, value []byte) (uint64, error) {
	var key uint64
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(idxKey(index, value))
		if err != nil {
			return err
		}
		return item.Value(func(v []byte) error {
			if len(v) != 8 {
				return fmt.Errorf("%w: index entry of %d bytes", ErrCorrupt, len(v))
			}
			key = binary.BigEndian.Uint64(v)
			return nil
		})
	})
	switch {
	case errors.Is(err, badger.ErrKeyNotFound):
		s.m.lookups.WithLabelValues("miss").Inc()
		return 0, ErrNotFound
	case err != nil:
		s.m.lookups.WithLabelValues("error").Inc()
		return 0, fmt.Errorf("store: lookup index %d: %w", index, err)
	}
	s.m.lookups.WithLabelValues("hit").Inc()
	return key, nil
}

// Scan calls fn for every record in key order (recovery at start). rec is
// valid only during the call (copy it to keep it). An error from fn stops
// the scan and is returned.
func (s *Store) Scan(fn func(key uint64, rec []byte) error) error {
	return s.ScanEntries(func(e Entry) error { return fn(e.Key, e.Rec) })
}

// ScanEntries is Scan with the envelope fields (replication and index
// rebuilds). e.Rec and e.Index are valid only during the call.
func (s *Store) ScanEntries(fn func(e Entry) error) error {
	return s.db.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Prefix = []byte{prefixRecord}
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			k := binary.BigEndian.Uint64(item.Key()[1:])
			err := item.Value(func(v []byte) error {
				seq, idx, rec, err := parseEnvelope(v)
				if err != nil {
					return fmt.Errorf("store: record %d: %w", k, err)
				}
				return fn(Entry{Key: k, Seq: seq, Index: idx, Rec: rec})
			})
			if err != nil {
				return err
			}
		}
		return nil
	})
}

// GetMeta returns the named node metadata value (e.g. the GTPv2-C restart
// counter of the Recovery IE, TS 29.274 §8.5, or an ID allocator's
// high-water mark), or ErrNotFound.
func (s *Store) GetMeta(name string) ([]byte, error) {
	var out []byte
	err := s.db.View(func(txn *badger.Txn) error {
		item, err := txn.Get(metaKey(name))
		if err != nil {
			return err
		}
		out, err = item.ValueCopy(nil)
		return err
	})
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("store: meta %q: %w", name, err)
	}
	return out, nil
}

// PutMeta durably sets a named metadata value: it is synced to disk before
// PutMeta returns whatever Options.SyncWrites says (restart counters and ID
// high-water marks must never go back).
func (s *Store) PutMeta(name string, value []byte) error {
	if len(name) == 0 || len(name) > 255 || len(value) > MaxRecordSize {
		return fmt.Errorf("%w: meta %q", ErrTooLarge, name)
	}
	ch := make(chan error, 1)
	s.submit(&op{kind: opMeta, name: name, val: bytes.Clone(value), done: func(err error) { ch <- err }})
	return <-ch
}

// Size returns the bytes of the LSM tree and of the value log (badger's
// estimate, refreshed about every minute).
func (s *Store) Size() (lsm, vlog int64) { return s.db.Size() }

type badgerLogger struct{ l *slog.Logger }

func (b badgerLogger) Errorf(f string, a ...any)   { b.l.Error("badger: " + trim(fmt.Sprintf(f, a...))) }
func (b badgerLogger) Warningf(f string, a ...any) { b.l.Warn("badger: " + trim(fmt.Sprintf(f, a...))) }
func (b badgerLogger) Infof(f string, a ...any)    { b.l.Debug("badger: " + trim(fmt.Sprintf(f, a...))) }
func (b badgerLogger) Debugf(f string, a ...any)   {}

func trim(s string) string { return strings.TrimRight(s, "\n") }
