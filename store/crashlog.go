package store

import (
	"encoding/binary"
	"encoding/json"
	"fmt"

	badger "github.com/dgraph-io/badger/v4"

	"github.com/lte-mme/mme/supervision"
)

// CrashLog is the store's durable supervision.CrashLog: the newest
// Options.CrashLogSize reports (default 1000), older ones rotated out in the
// same transaction that appends a new one. Reports are JSON (rare, small,
// readable with any tool, tolerant of added fields).
//
// The store imports supervision (for the CrashReport type) rather than the
// reverse: supervision stays free of badger, so actors, timers and
// supervisors run and test without storage, and the node hands the store's
// log to ActorsConfig.Crashes.
type CrashLog struct{ s *Store }

var _ supervision.CrashLog = CrashLog{}

// CrashLog returns the crash-report log of the store.
func (s *Store) CrashLog() CrashLog { return CrashLog{s} }

// Append stores r durably (group-committed with the other writes).
func (l CrashLog) Append(r supervision.CrashReport) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("store: encode crash report: %w", err)
	}
	ch := make(chan error, 1)
	l.s.submit(&op{kind: opCrash, val: b, done: func(err error) { ch <- err }})
	return <-ch
}

// List returns up to limit reports, newest first (limit <= 0: all kept).
func (l CrashLog) List(limit int) ([]supervision.CrashReport, error) {
	var out []supervision.CrashReport
	err := l.s.db.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.Reverse = true
		opt.Prefix = []byte{prefixCrash}
		it := txn.NewIterator(opt)
		defer it.Close()
		for it.Seek([]byte{prefixCrash, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}); it.Valid(); it.Next() {
			if limit > 0 && len(out) == limit {
				break
			}
			var r supervision.CrashReport
			if err := it.Item().Value(func(v []byte) error { return json.Unmarshal(v, &r) }); err != nil {
				return fmt.Errorf("store: crash report %x: %w", it.Item().Key(), err)
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}

// Len returns how many reports are kept.
func (l CrashLog) Len() int { return int(l.s.crashCount.Load()) }

// loadCrashBounds finds the oldest and newest report sequence at Open.
func (s *Store) loadCrashBounds() error {
	return s.db.View(func(txn *badger.Txn) error {
		opt := badger.DefaultIteratorOptions
		opt.PrefetchValues = false
		opt.Prefix = []byte{prefixCrash}
		it := txn.NewIterator(opt)
		it.Rewind()
		if !it.Valid() {
			it.Close()
			return nil
		}
		s.crashFirst = binary.BigEndian.Uint64(it.Item().Key()[1:])
		it.Close()
		opt.Reverse = true
		rit := txn.NewIterator(opt)
		defer rit.Close()
		rit.Seek([]byte{prefixCrash, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff})
		if rit.Valid() {
			s.crashNext = binary.BigEndian.Uint64(rit.Item().Key()[1:]) + 1
		}
		s.crashCount.Store(int64(s.crashNext - s.crashFirst))
		return nil
	})
}
