package node

import (
	"bytes"
	"sync"

	"github.com/lte-mme/mme/store"
)

// recordStore is what the node needs of subscriber-record storage: the
// store (package store, badger) or, with store.persist false, the
// volatileRecords below. *store.Store implements it.
type recordStore interface {
	Get(key uint64) ([]byte, error)
	PutAsync(key uint64, rec []byte, idx []store.IndexEntry, done func(error))
	Delete(key uint64) error
	Lookup(index uint8, value []byte) (uint64, error)
	Scan(fn func(key uint64, rec []byte) error) error
}

var _ recordStore = (*store.Store)(nil)

// volatileRecords keeps subscriber records and their indexes in Go maps:
// persistence off (store.persist: false). There are no badger writes at
// all for records — no group-commit writer, no transaction, no LSM — so it
// measures what the store costs (docs/performance.md "Store on vs off"), and
// nothing survives a process exit. PutAsync applies the write at once and
// acknowledges it, in order, on an acknowledging goroutine, as the store's
// writer does: the effects of a step then run off the actor's worker in
// both modes, so that on and off differ only by the store's work. Unlike
// store.dir "memory" (badger in memory: the same write path as on disk,
// without the files) this is not the store at all. Safe for concurrent use.
type volatileRecords struct {
	acks chan func(error)
	done chan struct{}

	mu   sync.RWMutex
	recs map[uint64]volatileEntry
	idx  map[string]uint64 // index byte + value → key
}

type volatileEntry struct {
	rec []byte
	idx []store.IndexEntry
}

func newVolatileRecords() *volatileRecords {
	v := &volatileRecords{recs: map[uint64]volatileEntry{}, idx: map[string]uint64{},
		acks: make(chan func(error), 2048), done: make(chan struct{})}
	go func() {
		defer close(v.done)
		for f := range v.acks {
			f(nil)
		}
	}()
	return v
}

// close acknowledges what is queued and stops the acknowledging goroutine.
func (v *volatileRecords) close() {
	close(v.acks)
	<-v.done
}

func volatileIdxKey(index uint8, value []byte) string {
	return string(append([]byte{index}, value...))
}

func (v *volatileRecords) Get(key uint64) ([]byte, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	e, ok := v.recs[key]
	if !ok {
		return nil, store.ErrNotFound
	}
	return bytes.Clone(e.rec), nil
}

// PutAsync replaces key's record and index entries (entries another key
// took over are left to it, as the store does); done(nil) follows on the
// acknowledging goroutine, in submission order.
func (v *volatileRecords) PutAsync(key uint64, rec []byte, idx []store.IndexEntry, done func(error)) {
	if len(rec) > store.MaxRecordSize {
		done(store.ErrTooLarge)
		return
	}
	e := volatileEntry{rec: bytes.Clone(rec), idx: make([]store.IndexEntry, len(idx))}
	for i, x := range idx {
		e.idx[i] = store.IndexEntry{Index: x.Index, Value: bytes.Clone(x.Value)}
	}
	v.mu.Lock()
	v.dropIndexLocked(key)
	v.recs[key] = e
	for _, x := range e.idx {
		v.idx[volatileIdxKey(x.Index, x.Value)] = key
	}
	v.mu.Unlock()
	v.acks <- done
}

func (v *volatileRecords) dropIndexLocked(key uint64) {
	for _, x := range v.recs[key].idx {
		k := volatileIdxKey(x.Index, x.Value)
		if v.idx[k] == key {
			delete(v.idx, k)
		}
	}
}

func (v *volatileRecords) Delete(key uint64) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.dropIndexLocked(key)
	delete(v.recs, key)
	return nil
}

func (v *volatileRecords) Lookup(index uint8, value []byte) (uint64, error) {
	v.mu.RLock()
	defer v.mu.RUnlock()
	k, ok := v.idx[volatileIdxKey(index, value)]
	if !ok {
		return 0, store.ErrNotFound
	}
	return k, nil
}

// Scan has nothing to restore: a new process starts empty.
func (v *volatileRecords) Scan(func(key uint64, rec []byte) error) error { return nil }
