// Command replication is a measured spike, not product code: it compares the
// two candidate replication engines for the MME pool (docs/design/pool.md)
// under the pool's write pattern, subscriber records of ~500 B with a per-key
// version written at procedure boundaries and replicated to a replica set of
// three nodes with majority writes.
//
// One run is three operating-system processes on loopback:
//
//	bench process (node 1, leader of every shard)   replica processes (nodes 2, 3)
//	  N proposer goroutines ── propose ──► engine ◄══ TCP (engine's own transport) ══► engine
//	  latency histogram (commit + local apply)         on-disk raft log + badger records
//	  on-disk raft log + badger records
//
// The bench process re-executes its own binary as the two replicas (they
// stop when their standard input closes), forms the group, makes itself the
// leader, runs the proposers for a warm-up and then a measured window, and
// prints records/s (committed by a majority and applied on the leader),
// commit latency percentiles, the leader changes node 1 saw, the CPU the
// three processes used and that CPU per replicated record (the figure that
// hardly depends on how busy the shared machine is).
//
// With -failover (dragonboat), node 2 leads every shard and is killed with
// SIGKILL after the warm-up while node 1's proposals are forwarded to it; the
// run reports how long until every shard has a new leader and takes a write.
//
// Engines:
//
//   - dragonboat: github.com/lni/dragonboat/v3 v3.3.8, multi-raft; its own TCP
//     transport and sharded pebble log (fsync per write batch); each shard
//     is an IOnDiskStateMachine over one badger database per process.
//   - hraft: github.com/hashicorp/raft v1.8.0, one group; its TCP transport
//     with pipelining, a badger-backed LogStore/StableStore (SyncWrites)
//     written for this spike behind raft's LogCache, and a BatchingFSM over
//     badger.
//
// Both state machines do the same work per record: read the stored version
// of the key and write the record only if its version is newer (the store's
// per-key record version), in one badger transaction per applied batch.
//
// Usage (see docs/design/pool.md for the measured matrix):
//
//	go build -o /tmp/replspike ./internal/spike/replication
//	/tmp/replspike -engine dragonboat -shards 1 -proposers 64 -batch 1 -duration 20s -runs 3
//	/tmp/replspike -engine hraft -proposers 64 -batch 1 -duration 20s -runs 3
//
// The spike disables snapshots and log compaction (a 20 s window never needs
// them); everything else is each engine's default except memory sizing and,
// where -execshards/-logdbshards say so, dragonboat's worker and log shards.
// Raw output of the measured rounds is in results/.
package main
