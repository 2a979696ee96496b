package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/raft"
)

// hraftNode is one member of a single hashicorp/raft group.
type hraftNode struct {
	r       *raft.Raft
	trans   *raft.NetworkTransport
	logs    *badgerLogStore
	records *recordStore
	changes atomic.Int64
	obs     *raft.Observer
	obsCh   chan raft.Observation
}

func (n *hraftNode) leaderChanges() int64 { return n.changes.Load() }

func startHraft(c nodeConfig) (node, error) {
	if c.shards != 1 {
		return nil, errors.New("replication: hraft runs one group: use -shards 1")
	}
	records, err := openRecordStore(filepath.Join(c.dir, "records"))
	if err != nil {
		return nil, err
	}
	logs, err := openBadgerLogStore(filepath.Join(c.dir, "raftlog"))
	if err != nil {
		records.close()
		return nil, err
	}
	n := &hraftNode{logs: logs, records: records}
	cache, err := raft.NewLogCache(1024, logs)
	if err != nil {
		n.close()
		return nil, err
	}
	snaps, err := raft.NewFileSnapshotStore(filepath.Join(c.dir, "snapshots"), 2, io.Discard)
	if err != nil {
		n.close()
		return nil, err
	}
	addr := c.addrs[c.id-1]
	tcpAddr, err := net.ResolveTCPAddr("tcp", addr)
	if err != nil {
		n.close()
		return nil, err
	}
	n.trans, err = raft.NewTCPTransport(addr, tcpAddr, 3, 10*time.Second, io.Discard)
	if err != nil {
		n.close()
		return nil, fmt.Errorf("replication: hraft transport: %w", err)
	}
	cfg := raft.DefaultConfig()
	cfg.LocalID = raft.ServerID(strconv.FormatUint(c.id, 10))
	cfg.Logger = hclog.New(&hclog.LoggerOptions{Name: "raft-" + string(cfg.LocalID), Level: hclog.Error, Output: os.Stderr})
	cfg.MaxAppendEntries = c.maxAppend
	cfg.BatchApplyCh = true // let Apply calls queue up to MaxAppendEntries for one disk write
	// No snapshots or log compaction within a measured window.
	cfg.SnapshotThreshold = 1 << 40
	cfg.SnapshotInterval = time.Hour
	cfg.NoLegacyTelemetry = true
	if c.lead {
		// Bootstrap a one-member group so this node leads, then add the
		// replicas: the owner-first placement of the pool.
		boot := raft.Configuration{Servers: []raft.Server{{ID: cfg.LocalID, Address: raft.ServerAddress(addr)}}}
		if err := raft.BootstrapCluster(cfg, cache, logs, snaps, n.trans, boot); err != nil {
			n.close()
			return nil, fmt.Errorf("replication: bootstrap: %w", err)
		}
	}
	n.r, err = raft.NewRaft(cfg, &hraftFSM{store: records}, cache, logs, snaps, n.trans)
	if err != nil {
		n.close()
		return nil, fmt.Errorf("replication: hraft: %w", err)
	}
	n.obsCh = make(chan raft.Observation, 16)
	n.obs = raft.NewObserver(n.obsCh, false, func(o *raft.Observation) bool {
		_, ok := o.Data.(raft.LeaderObservation)
		return ok
	})
	n.r.RegisterObserver(n.obs)
	go func() { // counts leader changes; ends when close closes obsCh
		for o := range n.obsCh {
			if lo := o.Data.(raft.LeaderObservation); lo.LeaderID != "" {
				n.changes.Add(1)
			}
		}
	}()
	if c.lead {
		select {
		case <-waitLeader(n.r):
		case <-time.After(time.Minute):
			n.close()
			return nil, errors.New("replication: hraft node 1 did not become leader")
		}
		for i, a := range c.addrs {
			if uint64(i+1) == c.id {
				continue
			}
			id := raft.ServerID(strconv.Itoa(i + 1))
			if err := n.r.AddVoter(id, raft.ServerAddress(a), 0, time.Minute).Error(); err != nil {
				n.close()
				return nil, fmt.Errorf("replication: add voter %s: %w", id, err)
			}
		}
	}
	return n, nil
}

func waitLeader(r *raft.Raft) <-chan struct{} {
	done := make(chan struct{})
	go func() { // ends when r leads or shuts down
		defer close(done)
		for r.State() != raft.Leader && r.State() != raft.Shutdown {
			time.Sleep(20 * time.Millisecond) // polling the engine's view, not a test wait
		}
	}()
	return done
}

func (n *hraftNode) propose(ctx context.Context, _ uint64, cmd []byte) error {
	timeout := 5 * time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = time.Until(d)
	}
	f := n.r.Apply(cmd, timeout)
	if err := f.Error(); err != nil {
		return err
	}
	if err, ok := f.Response().(error); ok {
		return err
	}
	return nil
}

func (n *hraftNode) retryable(err error) bool { return errors.Is(err, raft.ErrEnqueueTimeout) }

func (n *hraftNode) close() error {
	var errs []error
	if n.r != nil {
		errs = append(errs, n.r.Shutdown().Error())
		if n.obs != nil {
			n.r.DeregisterObserver(n.obs)
			close(n.obsCh)
		}
	}
	if n.trans != nil {
		errs = append(errs, n.trans.Close())
	}
	errs = append(errs, n.logs.db.Close(), n.records.close())
	return errors.Join(errs...)
}

// hraftFSM applies committed batches to the process's records store (shard 1).
type hraftFSM struct {
	store *recordStore
}

func (f *hraftFSM) Apply(l *raft.Log) any { return f.ApplyBatch([]*raft.Log{l})[0] }

func (f *hraftFSM) ApplyBatch(logs []*raft.Log) []any {
	out := make([]any, len(logs))
	var cmds [][]byte
	var at []int
	for i, l := range logs {
		if l.Type == raft.LogCommand {
			cmds = append(cmds, l.Data)
			at = append(at, i)
		}
	}
	if len(cmds) == 0 {
		return out
	}
	res, err := f.store.apply(1, logs[len(logs)-1].Index, cmds)
	for j, i := range at {
		if err != nil {
			out[i] = err
		} else {
			out[i] = res[j]
		}
	}
	return out
}

func (f *hraftFSM) Snapshot() (raft.FSMSnapshot, error) {
	return &hraftSnapshot{store: f.store, txn: f.store.db.NewTransaction(false)}, nil
}

func (f *hraftFSM) Restore(rc io.ReadCloser) error {
	defer rc.Close()
	return f.store.readSnapshot(1, rc)
}

type hraftSnapshot struct {
	store *recordStore
	txn   *badger.Txn
}

func (s *hraftSnapshot) Persist(sink raft.SnapshotSink) error {
	if err := s.store.writeSnapshot(s.txn, 1, sink); err != nil {
		sink.Cancel()
		return err
	}
	return sink.Close()
}

func (s *hraftSnapshot) Release() { s.txn.Discard() }

// badgerLogStore is a raft.LogStore and raft.StableStore on badger with
// synced writes: every StoreLogs is durable when it returns.
type badgerLogStore struct {
	db *badger.DB

	mu          sync.Mutex
	first, last uint64 // 0, 0 when empty
}

const (
	prefixLog    = 'l' // 'l' index(8) -> encoded raft.Log
	prefixStable = 's' // 's' key -> value
)

// errStableNotFound is the error text hashicorp/raft expects from a StableStore.
var errStableNotFound = errors.New("not found")

func openBadgerLogStore(dir string) (*badgerLogStore, error) {
	opts := badger.DefaultOptions(dir).
		WithLogger(nil).
		WithSyncWrites(true).
		WithDetectConflicts(false).
		WithMemTableSize(32 << 20).
		WithBlockCacheSize(16 << 20).
		WithNumCompactors(2)
	db, err := badger.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("replication: open raft log: %w", err)
	}
	s := &badgerLogStore{db: db}
	err = db.View(func(txn *badger.Txn) error {
		for _, reverse := range []bool{false, true} {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{prefixLog}, Reverse: reverse})
			seek := []byte{prefixLog}
			if reverse {
				seek = []byte{prefixLog, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
			}
			it.Seek(seek)
			if it.Valid() {
				idx := binary.BigEndian.Uint64(it.Item().Key()[1:])
				if reverse {
					s.last = idx
				} else {
					s.first = idx
				}
			}
			it.Close()
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

func logKey(index uint64) []byte {
	k := make([]byte, 9)
	k[0] = prefixLog
	binary.BigEndian.PutUint64(k[1:], index)
	return k
}

func (s *badgerLogStore) FirstIndex() (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.first, nil
}

func (s *badgerLogStore) LastIndex() (uint64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.last, nil
}

func (s *badgerLogStore) GetLog(index uint64, l *raft.Log) error {
	return s.db.View(func(txn *badger.Txn) error {
		it, err := txn.Get(logKey(index))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return raft.ErrLogNotFound
		}
		if err != nil {
			return err
		}
		return it.Value(func(v []byte) error { return decodeLog(v, l) })
	})
}

func (s *badgerLogStore) StoreLog(l *raft.Log) error { return s.StoreLogs([]*raft.Log{l}) }

func (s *badgerLogStore) StoreLogs(logs []*raft.Log) error {
	if len(logs) == 0 {
		return nil
	}
	txn := s.db.NewTransaction(true)
	defer func() { txn.Discard() }()
	for _, l := range logs {
		k, v := logKey(l.Index), encodeLog(l)
		err := txn.Set(k, v)
		if errors.Is(err, badger.ErrTxnTooBig) {
			// A prefix of the batch stored is a valid log for raft.
			if err := txn.Commit(); err != nil {
				return err
			}
			txn = s.db.NewTransaction(true)
			err = txn.Set(k, v)
		}
		if err != nil {
			return err
		}
	}
	if err := txn.Commit(); err != nil {
		return err
	}
	s.mu.Lock()
	if s.first == 0 {
		s.first = logs[0].Index
	}
	if last := logs[len(logs)-1].Index; last > s.last {
		s.last = last
	}
	s.mu.Unlock()
	return nil
}

func (s *badgerLogStore) DeleteRange(minIdx, maxIdx uint64) error {
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for i := minIdx; i <= maxIdx; i++ {
		if err := wb.Delete(logKey(i)); err != nil {
			return err
		}
	}
	if err := wb.Flush(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if minIdx <= s.first {
		s.first = maxIdx + 1
	}
	if maxIdx >= s.last {
		s.last = minIdx - 1
	}
	if s.first > s.last {
		s.first, s.last = 0, 0
	}
	return nil
}

func (s *badgerLogStore) Set(key, val []byte) error {
	return s.db.Update(func(txn *badger.Txn) error { return txn.Set(append([]byte{prefixStable}, key...), val) })
}

func (s *badgerLogStore) Get(key []byte) ([]byte, error) {
	var out []byte
	err := s.db.View(func(txn *badger.Txn) error {
		it, err := txn.Get(append([]byte{prefixStable}, key...))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return errStableNotFound
		}
		if err != nil {
			return err
		}
		out, err = it.ValueCopy(nil)
		return err
	})
	return out, err
}

func (s *badgerLogStore) SetUint64(key []byte, val uint64) error {
	v := make([]byte, 8)
	binary.BigEndian.PutUint64(v, val)
	return s.Set(key, v)
}

func (s *badgerLogStore) GetUint64(key []byte) (uint64, error) {
	v, err := s.Get(key)
	if errors.Is(err, errStableNotFound) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("replication: stable value of %d bytes", len(v))
	}
	return binary.BigEndian.Uint64(v), nil
}

// encodeLog lays out a raft.Log as index(8) term(8) type(1) appendedAt(8,
// Unix ns) then data and extensions, each uvarint-length-prefixed.
func encodeLog(l *raft.Log) []byte {
	b := make([]byte, 25, 25+2*binary.MaxVarintLen32+len(l.Data)+len(l.Extensions))
	binary.BigEndian.PutUint64(b[0:], l.Index)
	binary.BigEndian.PutUint64(b[8:], l.Term)
	b[16] = byte(l.Type)
	var at int64
	if !l.AppendedAt.IsZero() {
		at = l.AppendedAt.UnixNano()
	}
	binary.BigEndian.PutUint64(b[17:], uint64(at))
	b = binary.AppendUvarint(b, uint64(len(l.Data)))
	b = append(b, l.Data...)
	b = binary.AppendUvarint(b, uint64(len(l.Extensions)))
	return append(b, l.Extensions...)
}

var errBadLog = errors.New("replication: corrupt raft log entry")

func decodeLog(b []byte, l *raft.Log) error {
	if len(b) < 25 {
		return errBadLog
	}
	l.Index = binary.BigEndian.Uint64(b[0:])
	l.Term = binary.BigEndian.Uint64(b[8:])
	l.Type = raft.LogType(b[16])
	l.AppendedAt = time.Time{}
	if at := int64(binary.BigEndian.Uint64(b[17:])); at != 0 {
		l.AppendedAt = time.Unix(0, at)
	}
	rest := b[25:]
	var fields [2][]byte
	for i := range fields {
		n, w := binary.Uvarint(rest)
		if w <= 0 || uint64(len(rest)-w) < n {
			return errBadLog
		}
		fields[i] = append([]byte(nil), rest[w:w+int(n)]...)
		rest = rest[w+int(n):]
	}
	l.Data, l.Extensions = fields[0], fields[1]
	return nil
}
