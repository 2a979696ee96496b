package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sync/atomic"
	"time"

	badger "github.com/dgraph-io/badger/v4"
	"github.com/lni/dragonboat/v3"
	"github.com/lni/dragonboat/v3/client"
	"github.com/lni/dragonboat/v3/config"
	"github.com/lni/dragonboat/v3/logger"
	"github.com/lni/dragonboat/v3/raftio"
	sm "github.com/lni/dragonboat/v3/statemachine"
)

// dragonboatNode is one NodeHost replicating every shard (raft cluster IDs
// 1..shards) with three members, one per process.
type dragonboatNode struct {
	nh       *dragonboat.NodeHost
	store    *recordStore
	sessions []*client.Session // index shard-1
	changes  atomic.Int64
}

// LeaderUpdated implements raftio.IRaftEventListener.
func (n *dragonboatNode) LeaderUpdated(info raftio.LeaderInfo) {
	if info.LeaderID != 0 {
		n.changes.Add(1)
	}
}

func (n *dragonboatNode) leaderChanges() int64 { return n.changes.Load() }

func quietDragonboat() {
	for _, p := range []string{"config", "dragonboat", "logdb", "LogDB", "pebblekv", "raft", "raftpb", "rsm", "server", "settings", "grpc"} {
		logger.GetLogger(p).SetLevel(logger.ERROR)
	}
	// Its transport logs every refused dial while the three processes start
	// and every reset when one stops or is killed.
	logger.GetLogger("transport").SetLevel(logger.CRITICAL)
}

func startDragonboat(c nodeConfig) (node, error) {
	quietDragonboat()
	store, err := openRecordStore(filepath.Join(c.dir, "records"))
	if err != nil {
		return nil, err
	}
	n := &dragonboatNode{store: store}
	nhc := config.NodeHostConfig{
		RaftEventListener: n,
		DeploymentID:      1,
		WALDir:            filepath.Join(c.dir, "wal"),
		NodeHostDir:       filepath.Join(c.dir, "nodehost"),
		RTTMillisecond:    10,
		RaftAddress:       c.addrs[c.id-1],
	}
	// The default log DB sizes each of its 16 shards for 512 MiB of
	// memtables; the small profile (64 MiB each) suits a 24 GiB machine
	// running three nodes and everyone else's builds.
	nhc.Expert.LogDB = config.GetSmallMemLogDBConfig()
	if c.logDBShards != 0 {
		nhc.Expert.LogDB.Shards = c.logDBShards
	}
	if c.execShards != 0 {
		nhc.Expert.Engine = config.GetDefaultEngineConfig()
		nhc.Expert.Engine.ExecShards = c.execShards
	}
	nh, err := dragonboat.NewNodeHost(nhc)
	if err != nil {
		store.close()
		return nil, fmt.Errorf("replication: dragonboat node host: %w", err)
	}
	n.nh = nh
	members := map[uint64]string{}
	for i, a := range c.addrs {
		members[uint64(i+1)] = a
	}
	for shard := uint64(1); shard <= uint64(c.shards); shard++ {
		rc := config.Config{
			NodeID:       c.id,
			ClusterID:    shard,
			CheckQuorum:  true,
			ElectionRTT:  50, // 500 ms
			HeartbeatRTT: 5,  // 50 ms
			// No snapshots or log compaction within a measured window.
			SnapshotEntries:    0,
			CompactionOverhead: 0,
		}
		create := func(clusterID, _ uint64) sm.IOnDiskStateMachine {
			return &dragonboatSM{store: store, shard: clusterID}
		}
		if err := nh.StartOnDiskCluster(members, false, create, rc); err != nil {
			n.close()
			return nil, fmt.Errorf("replication: start shard %d: %w", shard, err)
		}
		n.sessions = append(n.sessions, nh.GetNoOPSession(shard))
	}
	if c.lead {
		if err := n.moveLeadership(c.id, c.shards, time.Minute); err != nil {
			n.close()
			return nil, err
		}
	}
	return n, nil
}

// moveLeadership waits for every shard to elect a leader and moves it to
// node id, as the owner-first placement of the pool would (the node that
// serves a subscriber leads its shard).
func (n *dragonboatNode) moveLeadership(id uint64, shards int, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for shard := uint64(1); shard <= uint64(shards); shard++ {
		for {
			leader, ok, err := n.nh.GetLeaderID(shard)
			if err != nil {
				return fmt.Errorf("replication: leader of shard %d: %w", shard, err)
			}
			if ok && leader == id {
				break
			}
			if ok {
				err := n.nh.RequestLeaderTransfer(shard, id)
				if err != nil && !errors.Is(err, dragonboat.ErrSystemBusy) {
					return fmt.Errorf("replication: transfer shard %d: %w", shard, err)
				}
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("replication: shard %d has no leader on node %d after %v", shard, id, limit)
			}
			time.Sleep(50 * time.Millisecond) // polling the engine's view, not a test wait
		}
	}
	return nil
}

// leader returns shard's leader as node n sees it (false while it knows none).
func (n *dragonboatNode) leader(shard uint64) (uint64, bool) {
	id, ok, err := n.nh.GetLeaderID(shard)
	return id, ok && err == nil
}

func (n *dragonboatNode) propose(ctx context.Context, shard uint64, cmd []byte) error {
	_, err := n.nh.SyncPropose(ctx, n.sessions[shard-1], cmd)
	return err
}

// retryable reports errors after which the proposer simply tries again.
func (n *dragonboatNode) retryable(err error) bool {
	return errors.Is(err, dragonboat.ErrSystemBusy) || errors.Is(err, dragonboat.ErrTimeout) ||
		errors.Is(err, dragonboat.ErrClusterNotReady)
}

func (n *dragonboatNode) close() error {
	n.nh.Stop()
	return n.store.close()
}

// dragonboatSM is one shard's on-disk state machine over the process's records store.
type dragonboatSM struct {
	store *recordStore
	shard uint64
}

func (m *dragonboatSM) Open(<-chan struct{}) (uint64, error) { return m.store.appliedIndex(m.shard) }

func (m *dragonboatSM) Update(ents []sm.Entry) ([]sm.Entry, error) {
	cmds := make([][]byte, len(ents))
	for i := range ents {
		cmds[i] = ents[i].Cmd
	}
	res, err := m.store.apply(m.shard, ents[len(ents)-1].Index, cmds)
	if err != nil {
		return nil, err
	}
	for i := range ents {
		ents[i].Result = sm.Result{Value: res[i]}
	}
	return ents, nil
}

func (m *dragonboatSM) Lookup(any) (any, error) {
	return nil, errors.New("replication: lookup is not part of the spike")
}

func (m *dragonboatSM) Sync() error { return m.store.db.Sync() }

func (m *dragonboatSM) PrepareSnapshot() (any, error) { return m.store.db.NewTransaction(false), nil }

func (m *dragonboatSM) SaveSnapshot(ctx any, w io.Writer, _ <-chan struct{}) error {
	txn := ctx.(*badger.Txn)
	defer txn.Discard()
	return m.store.writeSnapshot(txn, m.shard, w)
}

func (m *dragonboatSM) RecoverFromSnapshot(r io.Reader, _ <-chan struct{}) error {
	return m.store.readSnapshot(m.shard, r)
}

func (m *dragonboatSM) Close() error { return nil } // the store belongs to the node
