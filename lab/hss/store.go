package hss

import (
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Storage layout in badger (one key space, prefixes):
//
//	sub/<IMSI>  subscriber record (Subscriber.marshal), SQN included
//	loc/<IMSI>  serving MME and purge flag (location.marshal)
//
// Authentication reads and advances the SQN in one transaction; a
// conflicting concurrent transaction on the same IMSI is retried.
type store struct {
	db *badger.DB
}

func subKey(imsi string) []byte { return append([]byte("sub/"), imsi...) }
func locKey(imsi string) []byte { return append([]byte("loc/"), imsi...) }

const maxConflictRetries = 16

func openStore(dir string) (*store, error) {
	opts := badger.DefaultOptions(dir).
		WithLogger(nil).
		WithNumVersionsToKeep(1).
		WithMemTableSize(32 << 20).
		WithBlockCacheSize(64 << 20).
		WithIndexCacheSize(32 << 20)
	db, err := badger.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("hss: open store %s: %w", dir, err)
	}
	return &store{db: db}, nil
}

func (st *store) close() error { return st.db.Close() }

// update runs f in a read-write transaction, retrying on conflicts.
func (st *store) update(f func(txn *badger.Txn) error) error {
	for range maxConflictRetries {
		err := st.db.Update(f)
		if !errors.Is(err, badger.ErrConflict) {
			return err
		}
	}
	return fmt.Errorf("hss: store: %w after %d retries", badger.ErrConflict, maxConflictRetries)
}

func getSubscriber(txn *badger.Txn, imsi string) (Subscriber, error) {
	it, err := txn.Get(subKey(imsi))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return Subscriber{}, fmt.Errorf("%w: %s", ErrUnknownSubscriber, imsi)
	}
	if err != nil {
		return Subscriber{}, err
	}
	var s Subscriber
	err = it.Value(func(v []byte) error {
		var err error
		s, err = unmarshalSubscriber(imsi, v)
		return err
	})
	return s, err
}

func getLocation(txn *badger.Txn, imsi string) (location, bool, error) {
	it, err := txn.Get(locKey(imsi))
	if errors.Is(err, badger.ErrKeyNotFound) {
		return location{}, false, nil
	}
	if err != nil {
		return location{}, false, err
	}
	var l location
	err = it.Value(func(v []byte) error {
		var err error
		l, err = unmarshalLocation(v)
		return err
	})
	return l, err == nil, err
}

// put stores or replaces subscribers in one batch (fast bulk import).
func (st *store) put(subs []Subscriber) error {
	wb := st.db.NewWriteBatch()
	defer wb.Cancel()
	for i := range subs {
		if err := wb.Set(subKey(subs[i].IMSI), subs[i].marshal()); err != nil {
			return fmt.Errorf("hss: store: %w", err)
		}
	}
	if err := wb.Flush(); err != nil {
		return fmt.Errorf("hss: store: %w", err)
	}
	return nil
}

// get returns a subscriber and its serving MME (ok false if none).
func (st *store) get(imsi string) (s Subscriber, l location, ok bool, err error) {
	err = st.db.View(func(txn *badger.Txn) error {
		var err error
		if s, err = getSubscriber(txn, imsi); err != nil {
			return err
		}
		l, ok, err = getLocation(txn, imsi)
		return err
	})
	return s, l, ok, err
}

// remove deletes a subscriber and returns its serving MME, if any.
func (st *store) remove(imsi string) (l location, ok bool, err error) {
	err = st.update(func(txn *badger.Txn) error {
		if _, err := getSubscriber(txn, imsi); err != nil {
			return err
		}
		var err error
		if l, ok, err = getLocation(txn, imsi); err != nil {
			return err
		}
		if err := txn.Delete(subKey(imsi)); err != nil {
			return err
		}
		return txn.Delete(locKey(imsi))
	})
	return l, ok, err
}

// count returns the number of subscribers (a key-only scan).
func (st *store) count() (int, error) {
	n := 0
	err := st.db.View(func(txn *badger.Txn) error {
		opts := badger.DefaultIteratorOptions
		opts.PrefetchValues = false
		opts.Prefix = []byte("sub/")
		it := txn.NewIterator(opts)
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			n++
		}
		return nil
	})
	return n, err
}
