package store

import (
	"bytes"
	"errors"
	"time"

	badger "github.com/dgraph-io/badger/v4"
)

// writer is the only goroutine that writes to badger. It takes every op
// queued (up to maxBatchOps / maxBatchBytes), applies them in order in one
// transaction and commits once — one fsync for the batch with SyncWrites —
// then acknowledges them in order. It ends when Close closes the queue and
// the queue is drained.
func (s *Store) writer() {
	defer close(s.writerDone)
	batch := make([]*op, 0, maxBatchOps)
	size, entries := 0, 0
	flush := func() {
		if len(batch) > 0 {
			s.commit(batch)
			clear(batch)
			batch, size, entries = batch[:0], 0, 0
		}
	}
	add := func(o *op) {
		if o.kind == opGC { // between commits: see gcOnce
			flush()
			o.done(s.gcStep())
			return
		}
		b, e := o.size()
		if len(batch) > 0 && (size+b > s.batchBytes || entries+e > s.batchEntries) {
			flush()
		}
		batch = append(batch, o)
		size += b
		entries += e
	}
	for o := range s.ops {
		add(o)
	fill:
		for len(batch) < maxBatchOps {
			select {
			case o, ok := <-s.ops:
				if !ok {
					break fill
				}
				add(o)
			default:
				break fill
			}
		}
		flush()
	}
}

// size estimates the bytes and badger entries a write adds to a
// transaction (a Put: the record, then an index entry set or deleted for
// each index value of the old and the new version).
func (o *op) size() (bytes, entries int) {
	switch o.kind {
	case opPut:
		return len(o.env) + 24 + len(o.idx)*(2*MaxIndexValue/8+40), 1 + 2*len(o.idx) + 2*maxIndexes/4
	case opDelete:
		return 64 + maxIndexes*(MaxIndexValue+40), 1 + maxIndexes
	}
	return len(o.val) + 64, 4
}

// commit applies batch in one transaction; if that fails as a whole (a
// transaction too big, an I/O error), each op is retried alone so that one
// bad op fails only itself.
func (s *Store) commit(batch []*op) {
	start := time.Now()
	err := s.apply(batch)
	if err != nil && len(batch) > 1 {
		s.opt.Logger.Warn("store: group commit failed, retrying one by one", "ops", len(batch), "err", err)
		for _, o := range batch {
			s.finish([]*op{o}, s.apply([]*op{o}))
		}
		return
	}
	s.m.commitSeconds.Observe(time.Since(start).Seconds())
	s.m.batchOps.Observe(float64(len(batch)))
	s.finish(batch, err)
}

func (s *Store) finish(batch []*op, err error) {
	for _, o := range batch {
		s.m.writes.WithLabelValues(o.kind.String(), result(err)).Inc()
		o.done(err)
	}
}

func result(err error) string {
	if err != nil {
		return "error"
	}
	return "ok"
}

func (k opKind) String() string {
	switch k {
	case opPut:
		return "put"
	case opDelete:
		return "delete"
	case opMeta:
		return "meta"
	case opCrash:
		return "crash"
	case opGC:
		return "gc"
	}
	return "unknown"
}

func (s *Store) apply(batch []*op) error {
	txn := s.db.NewTransaction(true)
	defer txn.Discard()
	crashNext, crashFirst, crashCount := s.crashNext, s.crashFirst, s.crashCount.Load()
	sync := false
	for _, o := range batch {
		var err error
		switch o.kind {
		case opPut:
			err = s.applyPut(txn, o)
		case opDelete:
			err = s.applyDelete(txn, o.key)
		case opMeta:
			err = txn.Set(metaKey(o.name), o.val)
			sync = true
		case opCrash:
			err = txn.Set(crashKey(crashNext), o.val)
			crashNext++
			crashCount++
			for err == nil && crashCount > int64(s.opt.CrashLogSize) {
				err = txn.Delete(crashKey(crashFirst))
				crashFirst++
				crashCount--
			}
		}
		if err != nil {
			return err
		}
	}
	if err := txn.Commit(); err != nil {
		return err
	}
	if sync && !s.opt.SyncWrites && !s.opt.InMemory {
		if err := s.db.Sync(); err != nil {
			return err
		}
	}
	s.crashNext, s.crashFirst = crashNext, crashFirst
	s.crashCount.Store(crashCount)
	return nil
}

// applyPut writes one record: the previous envelope gives the sequence and
// the index entries to remove.
func (s *Store) applyPut(txn *badger.Txn, o *op) error {
	rk := recKey(o.key)
	var seq uint64
	var old []IndexEntry
	item, err := txn.Get(rk)
	switch {
	case err == nil:
		err = item.Value(func(v []byte) error {
			sq, idx, _, err := parseEnvelope(v)
			seq, old = sq, cloneIndex(idx)
			return err
		})
		if err != nil {
			return err
		}
	case !errors.Is(err, badger.ErrKeyNotFound):
		return err
	}
	kb := u64(o.key)
	for _, e := range old {
		if !containsEntry(o.idx, e) {
			if err := s.removeIndex(txn, e, kb); err != nil {
				return err
			}
		}
	}
	for _, e := range o.idx {
		if containsEntry(old, e) {
			continue
		}
		ik := idxKey(e.Index, e.Value)
		if it, err := txn.Get(ik); err == nil {
			if err := it.Value(func(v []byte) error {
				if !bytes.Equal(v, kb) {
					s.m.takeovers.Inc()
				}
				return nil
			}); err != nil {
				return err
			}
		} else if !errors.Is(err, badger.ErrKeyNotFound) {
			return err
		}
		if err := txn.Set(ik, kb); err != nil {
			return err
		}
	}
	setSeq(o.env, seq+1)
	return txn.Set(rk, o.env)
}

// removeIndex deletes an index entry only if it still points to key kb
// (another key may have taken the value over).
func (s *Store) removeIndex(txn *badger.Txn, e IndexEntry, kb []byte) error {
	ik := idxKey(e.Index, e.Value)
	it, err := txn.Get(ik)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	mine := false
	if err := it.Value(func(v []byte) error { mine = bytes.Equal(v, kb); return nil }); err != nil {
		return err
	}
	if !mine {
		return nil
	}
	return txn.Delete(ik)
}

func (s *Store) applyDelete(txn *badger.Txn, key uint64) error {
	rk := recKey(key)
	item, err := txn.Get(rk)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	var old []IndexEntry
	if err := item.Value(func(v []byte) error {
		_, idx, _, err := parseEnvelope(v)
		old = cloneIndex(idx)
		return err
	}); err != nil {
		return err
	}
	kb := u64(key)
	for _, e := range old {
		if err := s.removeIndex(txn, e, kb); err != nil {
			return err
		}
	}
	return txn.Delete(rk)
}

// gcLoop asks for value-log GC every GCInterval until Close: each round
// rewrites value-log files, one at a time, while one has more than
// GCDiscardRatio of garbage (records overwritten or deleted since).
func (s *Store) gcLoop() {
	defer close(s.gcDone)
	tk := time.NewTicker(s.opt.GCInterval)
	defer tk.Stop()
	for {
		select {
		case <-s.gcStop:
			return
		case <-tk.C:
		}
		for s.gcOnce() == nil {
			select {
			case <-s.gcStop:
				return
			default:
			}
		}
	}
}

// gcOnce has the writer rewrite at most one value-log file. GC runs on the
// writer goroutine, between group commits, because badger 4.9.6 reads a
// memtable's max version without synchronisation when a rewrite starts
// (value.go rewrite → DB.MaxVersion) while a commit may be writing it: the
// race detector reports it whenever GC runs beside writes. Serialising them
// removes the race; the price is that writes wait while one file
// (ValueLogFileSize, 64 MiB) is rewritten. It returns nil if a file was
// rewritten.
func (s *Store) gcOnce() error {
	ch := make(chan error, 1)
	s.mu.RLock()
	if s.closed {
		s.mu.RUnlock()
		return ErrClosed
	}
	s.ops <- &op{kind: opGC, done: func(err error) { ch <- err }}
	s.mu.RUnlock()
	return <-ch
}

func (s *Store) gcStep() error {
	err := s.db.RunValueLogGC(s.opt.GCDiscardRatio)
	s.m.gcRuns.Inc()
	switch {
	case err == nil:
		s.m.gcRewrites.Inc()
	case !errors.Is(err, badger.ErrNoRewrite) && !errors.Is(err, badger.ErrRejected):
		s.opt.Logger.Warn("store: value-log GC", "err", err)
	}
	return err
}
