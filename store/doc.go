// Package store is the node's stable storage (issue #8 "Stable storage";
// docs/design/store.md): subscriber records with atomic secondary indexes,
// node metadata and the crash-report log, in badger (github.com/dgraph-io/
// badger/v4), sized for a 2-core / 24 GiB node holding millions of ~500 B
// records with bounded RAM.
//
// It is generic (layer "runtime"): records are opaque bytes. The subscriber
// record's schema, its version byte and migrations, and the NAS COUNT
// skip-ahead on recovery (a NAS COUNT is never reused with the same key,
// TS 24.301 §4.4.3) live in package session; the store guarantees that what
// was acknowledged is what is read back after any process kill.
//
// # Writes
//
// Put, PutAsync, Delete, PutMeta and CrashLog.Append queue to one writer
// goroutine. It takes whatever is queued (up to 256 writes or 1 MiB), applies
// it in order in one badger transaction, commits once (one fsync with
// SyncWrites) and acknowledges each write in order: group commit. A Put
// reads the previous envelope of its key in the same transaction, so the
// record, its per-key sequence and every index entry added or removed land
// atomically or not at all.
//
// # Envelope
//
// Each stored record carries a store-level envelope: format version, CRC-32C,
// per-key sequence (1, 2, 3, ... per Put) and the record's index list, then
// the record (see envelope.go). The sequence lets the pool's replication
// order and de-duplicate writes; the index list makes a record
// self-describing so indexes can be rebuilt from records alone.
//
// # Durability
//
// SyncWrites=false: an acknowledged write survives a process kill (kill -9,
// a panic, the OOM killer): it is in the kernel's page cache. It does not
// survive a kernel crash or power loss. SyncWrites=true: each group commit
// is fsynced before it is acknowledged, so it survives those too.
// TestCrashConsistencySIGKILL kills a writer at random points and checks
// that no acknowledged write is lost and no record or index is half-written.
//
// # Crash reports
//
// Store.CrashLog implements supervision.CrashLog: the newest CrashLogSize
// reports (default 1000), listable newest first.
package store
