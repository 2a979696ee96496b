package main

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync/atomic"
	"time"
)

// leaderMover is a node that can place and report shard leadership.
type leaderMover interface {
	node
	moveLeadership(id uint64, shards int, limit time.Duration) error
	leader(shard uint64) (uint64, bool)
}

type failoverResult struct {
	reElect    time.Duration // SIGKILL of the leader to every shard led again (as node 1 sees it)
	writable   time.Duration // SIGKILL to a probe write committed on every shard
	before     float64       // records/s in the second before the kill
	after      float64       // records/s from 1 s to 3 s after the kill
	longestGap time.Duration // longest time without any load write completing
	errors     int64
}

// runFailover measures how long the replica set takes to accept writes again
// after the process leading every shard (node 2) is killed with SIGKILL
// under load from node 1 (whose proposals dragonboat forwards to the leader).
func runFailover(o options) error {
	if o.engine != "dragonboat" {
		return errors.New("replication: -failover needs a follower that forwards proposals: dragonboat only")
	}
	fmt.Printf("# failover engine=%s shards=%d proposers=%d batch=%d timeout=%v runs=%d\n",
		o.engine, o.shards, o.proposers, o.batch, o.timeout, o.runs)
	var rs []failoverResult
	for i := 0; i < o.runs; i++ {
		r, err := failoverOnce(o)
		if err != nil {
			return fmt.Errorf("run %d: %w", i+1, err)
		}
		fmt.Printf("run %d: re-elected %6.0f ms  writable %6.0f ms  longest load gap %6.0f ms  records/s before %6.0f after %6.0f  errors %d  load %s\n",
			i+1, ms(r.reElect), ms(r.writable), ms(r.longestGap), r.before, r.after, r.errors, loadavg())
		rs = append(rs, r)
	}
	med := func(f func(failoverResult) time.Duration) float64 {
		v := make([]time.Duration, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return ms(v[len(v)/2])
	}
	fmt.Printf("median: re-elected %.0f ms, writable %.0f ms, longest load gap %.0f ms\n",
		med(func(r failoverResult) time.Duration { return r.reElect }),
		med(func(r failoverResult) time.Duration { return r.writable }),
		med(func(r failoverResult) time.Duration { return r.longestGap }))
	return nil
}

func failoverOnce(o options) (failoverResult, error) {
	c, err := startCluster(o)
	if err != nil {
		return failoverResult{}, err
	}
	defer c.close()
	n, ok := c.n.(leaderMover)
	if !ok {
		return failoverResult{}, errors.New("replication: engine cannot move leadership")
	}
	if err := n.moveLeadership(2, o.shards, time.Minute); err != nil {
		return failoverResult{}, err
	}
	const bucket = 10 * time.Millisecond
	start := time.Now()
	end := start.Add(o.warmup + o.duration)
	buckets := make([]atomic.Int64, int((o.warmup+o.duration)/bucket)+1)
	ctx, cancel := context.WithDeadline(context.Background(), end)
	defer cancel()
	type outcome struct {
		errs int64
		err  error
	}
	out := make(chan outcome, 1)
	go func() { // ends at end, when the proposers have returned
		errs, err := proposers(ctx, n, o, o.timeout, func(_ int, _, t1 time.Time) {
			if i := int(t1.Sub(start) / bucket); i < len(buckets) {
				buckets[i].Add(int64(o.batch))
			}
		})
		out <- outcome{errs, err}
	}()
	time.Sleep(time.Until(start.Add(o.warmup))) // the harness's own schedule
	if err := c.replicas[0].cmd.Process.Kill(); err != nil {
		return failoverResult{}, err
	}
	kill := time.Now()
	var r failoverResult
	// Re-election as node 1 sees it: every shard led by a live node.
	for r.reElect == 0 {
		all := true
		for s := uint64(1); s <= uint64(o.shards); s++ {
			if id, ok := n.leader(s); !ok || id == 2 {
				all = false
			}
		}
		if all {
			r.reElect = time.Since(kill)
		} else if time.Now().After(end) {
			return r, errors.New("replication: no new leader before the end of the run")
		} else {
			time.Sleep(time.Millisecond) // polling the engine's view
		}
	}
	// Write availability: a probe record committed on every shard, the
	// shards probed in parallel (each retrying every 10 ms, with a 100 ms timeout).
	probeErrs := make(chan error, o.shards)
	for s := uint64(1); s <= uint64(o.shards); s++ {
		go func() { // ends when shard s took a write or the run ended
			rec := make([]byte, recordSize)
			binary.BigEndian.PutUint64(rec[0:], 1<<62+s)
			for v := uint64(1); ; v++ {
				binary.BigEndian.PutUint64(rec[8:], v)
				pctx, pcancel := context.WithTimeout(ctx, 100*time.Millisecond)
				err := n.propose(pctx, s, append([]byte(nil), rec...))
				pcancel()
				if err == nil {
					probeErrs <- nil
					return
				}
				time.Sleep(10 * time.Millisecond) // a dropped proposal fails at once: do not spin
				if time.Now().After(end) {
					probeErrs <- fmt.Errorf("replication: shard %d not writable before the end of the run: %w", s, err)
					return
				}
			}
		}()
	}
	for range o.shards {
		if err := <-probeErrs; err != nil {
			return r, err
		}
	}
	r.writable = time.Since(kill)
	res := <-out
	if res.err != nil {
		return r, res.err
	}
	r.errors = res.errs
	k := int(kill.Sub(start) / bucket)
	sum := func(from, to int) float64 {
		var t int64
		for i := max(from, 0); i < min(to, len(buckets)); i++ {
			t += buckets[i].Load()
		}
		return float64(t) / (float64(to-from) * bucket.Seconds())
	}
	perSec := int(time.Second / bucket)
	r.before = sum(k-perSec, k)
	r.after = sum(k+perSec, k+3*perSec)
	gap := 0
	for i := k - perSec; i < len(buckets)-1; i++ {
		if i >= 0 && buckets[i].Load() == 0 {
			gap++
			r.longestGap = max(r.longestGap, time.Duration(gap)*bucket)
		} else {
			gap = 0
		}
	}
	return r, nil
}
