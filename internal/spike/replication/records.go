package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	badger "github.com/dgraph-io/badger/v4"
)

// Record layout inside a proposal: key (8 B, big endian), version (8 B),
// payload (payloadSize B). A proposal carries one or more records.
const (
	payloadSize = 500
	headerSize  = 16
	recordSize  = headerSize + payloadSize
)

// Key prefixes in a replica's badger database.
const (
	prefixRecord  = 'r' // 'r' shard(8) key(8) -> version(8) payload
	prefixApplied = 'a' // 'a' shard(8) -> last applied raft index(8)
)

// errBadCommand reports a proposal whose length is not a whole number of records.
var errBadCommand = errors.New("replication: command is not a whole number of records")

// recordStore is one process's badger database of subscriber records, shared
// by every shard that process replicates.
type recordStore struct {
	db *badger.DB
}

// openRecordStore opens the records database in dir. Writes are not synced:
// the raft log is the durable copy, and the applied index stored with each
// batch says where replay starts after a restart.
func openRecordStore(dir string) (*recordStore, error) {
	opts := badger.DefaultOptions(dir).
		WithLogger(nil).
		WithSyncWrites(false).
		WithDetectConflicts(false).
		WithMemTableSize(16 << 20).
		WithBlockCacheSize(32 << 20).
		WithNumCompactors(2)
	db, err := badger.Open(opts)
	if err != nil {
		return nil, fmt.Errorf("replication: open records: %w", err)
	}
	return &recordStore{db: db}, nil
}

func (s *recordStore) close() error { return s.db.Close() }

func recordKey(shard, key uint64) []byte {
	k := make([]byte, 17)
	k[0] = prefixRecord
	binary.BigEndian.PutUint64(k[1:], shard)
	binary.BigEndian.PutUint64(k[9:], key)
	return k
}

func appliedKey(shard uint64) []byte {
	k := make([]byte, 9)
	k[0] = prefixApplied
	binary.BigEndian.PutUint64(k[1:], shard)
	return k
}

// appliedIndex returns the last raft index applied to shard (0 if none).
func (s *recordStore) appliedIndex(shard uint64) (uint64, error) {
	var idx uint64
	err := s.db.View(func(txn *badger.Txn) error {
		it, err := txn.Get(appliedKey(shard))
		if errors.Is(err, badger.ErrKeyNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		return it.Value(func(v []byte) error {
			idx = binary.BigEndian.Uint64(v)
			return nil
		})
	})
	return idx, err
}

// apply applies the proposals cmds of shard, the last of which has raft
// index lastIndex, in one transaction (split only if badger finds it too
// big). For each command it returns how many of its records were newer than
// the stored version and so written.
func (s *recordStore) apply(shard, lastIndex uint64, cmds [][]byte) ([]uint64, error) {
	results := make([]uint64, len(cmds))
	txn := s.db.NewTransaction(true)
	defer func() { txn.Discard() }()
	set := func(k, v []byte) error {
		err := txn.Set(k, v)
		if errors.Is(err, badger.ErrTxnTooBig) {
			if err := txn.Commit(); err != nil {
				return err
			}
			txn = s.db.NewTransaction(true)
			err = txn.Set(k, v)
		}
		return err
	}
	for i, cmd := range cmds {
		if len(cmd)%recordSize != 0 {
			return nil, fmt.Errorf("%w: %d bytes", errBadCommand, len(cmd))
		}
		for off := 0; off < len(cmd); off += recordSize {
			rec := cmd[off : off+recordSize]
			key := binary.BigEndian.Uint64(rec[0:8])
			version := binary.BigEndian.Uint64(rec[8:16])
			k := recordKey(shard, key)
			var stored uint64
			it, err := txn.Get(k)
			switch {
			case errors.Is(err, badger.ErrKeyNotFound):
			case err != nil:
				return nil, err
			default:
				if err := it.Value(func(v []byte) error {
					stored = binary.BigEndian.Uint64(v[0:8])
					return nil
				}); err != nil {
					return nil, err
				}
			}
			if version <= stored {
				continue // stale or replayed record: the stored one wins
			}
			if err := set(k, rec[8:]); err != nil {
				return nil, err
			}
			results[i]++
		}
	}
	idx := make([]byte, 8)
	binary.BigEndian.PutUint64(idx, lastIndex)
	if err := set(appliedKey(shard), idx); err != nil {
		return nil, err
	}
	return results, txn.Commit()
}

// writeSnapshot streams shard's records and applied index as seen by txn,
// each as uvarint-length-prefixed key and value.
func (s *recordStore) writeSnapshot(txn *badger.Txn, shard uint64, w io.Writer) error {
	bw := bufio.NewWriter(w)
	put := func(b []byte) error {
		var l [binary.MaxVarintLen64]byte
		if _, err := bw.Write(l[:binary.PutUvarint(l[:], uint64(len(b)))]); err != nil {
			return err
		}
		_, err := bw.Write(b)
		return err
	}
	for _, prefix := range [][]byte{appliedKey(shard), recordKey(shard, 0)[:9]} {
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefix, PrefetchValues: true, PrefetchSize: 64})
		for it.Rewind(); it.Valid(); it.Next() {
			v, err := it.Item().ValueCopy(nil)
			if err == nil {
				err = put(it.Item().Key())
			}
			if err == nil {
				err = put(v)
			}
			if err != nil {
				it.Close()
				return err
			}
		}
		it.Close()
	}
	return bw.Flush()
}

// readSnapshot replaces shard's records with those of a snapshot written by writeSnapshot.
func (s *recordStore) readSnapshot(shard uint64, r io.Reader) error {
	if err := s.db.DropPrefix(recordKey(shard, 0)[:9], appliedKey(shard)); err != nil {
		return err
	}
	br := bufio.NewReader(r)
	get := func() ([]byte, error) {
		n, err := binary.ReadUvarint(br)
		if err != nil {
			return nil, err
		}
		if n > 1<<20 {
			return nil, fmt.Errorf("replication: snapshot item of %d bytes", n)
		}
		b := make([]byte, n)
		_, err = io.ReadFull(br, b)
		return b, err
	}
	wb := s.db.NewWriteBatch()
	defer wb.Cancel()
	for {
		k, err := get()
		if errors.Is(err, io.EOF) {
			return wb.Flush()
		}
		if err != nil {
			return fmt.Errorf("replication: read snapshot: %w", err)
		}
		v, err := get()
		if err != nil {
			return fmt.Errorf("replication: read snapshot: %w", err)
		}
		if err := wb.Set(k, v); err != nil {
			return err
		}
	}
}
