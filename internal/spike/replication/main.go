package main

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// node is this process's member of the replica set.
type node interface {
	// propose replicates cmd (whole records) to a majority of shard's
	// members and returns once it is applied on this node.
	propose(ctx context.Context, shard uint64, cmd []byte) error
	// retryable reports an error after which the proposer tries again
	// (overload or a timeout), as opposed to a failure of the run.
	retryable(err error) bool
	// leaderChanges counts the leader changes this node has seen (any shard).
	leaderChanges() int64
	close() error
}

type nodeConfig struct {
	engine                  string
	id                      uint64   // 1..3; node 1 leads every shard
	addrs                   []string // raft address of node i+1 at index i
	dir                     string
	shards                  int
	maxAppend               int    // hraft MaxAppendEntries
	execShards, logDBShards uint64 // dragonboat step workers and log DB shards (0: its defaults)
	lead                    bool
}

func startNode(c nodeConfig) (node, error) {
	switch c.engine {
	case "dragonboat":
		return startDragonboat(c)
	case "hraft":
		return startHraft(c)
	}
	return nil, fmt.Errorf("replication: unknown engine %q (dragonboat or hraft)", c.engine)
}

type options struct {
	nodeConfig
	role      string
	proposers int
	batch     int
	keys      int
	duration  time.Duration
	warmup    time.Duration
	runs      int
	timeout   time.Duration
	failover  bool
	profile   string
}

func main() {
	var o options
	var addrs string
	flag.StringVar(&o.engine, "engine", "dragonboat", "replication engine: dragonboat or hraft")
	flag.StringVar(&o.role, "role", "bench", "bench (node 1, runs the load and spawns the replicas) or replica")
	flag.Uint64Var(&o.id, "id", 1, "replica: node ID (2 or 3)")
	flag.StringVar(&addrs, "addrs", "", "replica: comma-separated raft addresses of nodes 1..3")
	flag.StringVar(&o.dir, "dir", "", "replica: data directory")
	flag.IntVar(&o.shards, "shards", 1, "raft groups, subscribers spread over them by key (dragonboat only)")
	flag.IntVar(&o.maxAppend, "maxappend", 64, "hraft MaxAppendEntries (its default is 64)")
	flag.Uint64Var(&o.execShards, "execshards", 0, "dragonboat step worker goroutines (0: its default, 16)")
	flag.Uint64Var(&o.logDBShards, "logdbshards", 0, "dragonboat log DB shards, each a pebble instance with its own WAL (0: its default, 16)")
	flag.IntVar(&o.proposers, "proposers", 64, "concurrent proposers on node 1")
	flag.IntVar(&o.batch, "batch", 1, "records per proposal (an owner coalescing several subscribers' writes)")
	flag.IntVar(&o.keys, "keys", 100000, "subscriber keys written")
	flag.DurationVar(&o.duration, "duration", 20*time.Second, "measured window of one run")
	flag.DurationVar(&o.warmup, "warmup", 5*time.Second, "load before the measured window")
	flag.IntVar(&o.runs, "runs", 3, "runs, each with fresh processes and directories; the median is reported")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Second, "proposal timeout (a timed-out proposal is counted and retried)")
	flag.StringVar(&o.profile, "cpuprofile", "", "write node 1's CPU profile of the last run's measured window to this file")
	flag.BoolVar(&o.failover, "failover", false, "dragonboat: node 2 leads, is SIGKILLed after the warm-up; measures re-election and write availability")
	flag.Parse()
	if addrs != "" {
		o.addrs = strings.Split(addrs, ",")
	}
	var err error
	switch o.role {
	case "replica":
		err = runReplica(o.nodeConfig)
	case "bench":
		if o.failover {
			err = runFailover(o)
		} else {
			err = runBench(o)
		}
	default:
		err = fmt.Errorf("replication: unknown role %q", o.role)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

// runReplica serves as node c.id until its standard input closes (the bench
// process ended) or it is signalled.
func runReplica(c nodeConfig) error {
	n, err := startNode(c)
	if err != nil {
		return err
	}
	fmt.Println("ready")
	stdin := make(chan struct{})
	go func() { // ends at EOF on stdin
		io.Copy(io.Discard, os.Stdin)
		close(stdin)
	}()
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, syscall.SIGINT)
	select {
	case <-stdin:
	case <-sig:
	}
	return n.close()
}

type result struct {
	writes     float64 // records/s committed and applied on the leader
	p50, p99   time.Duration
	p999       time.Duration
	errors     int64
	elections  int64   // leader changes node 1 saw in the window
	cpu        float64 // cores used by the three processes in the window
	leaderCPU  float64 // cores used by node 1
	loadBefore string
	loadAfter  string
	diskMB     float64 // node 1 data directory at the end (allocated blocks)
}

func runBench(o options) error {
	if o.engine == "hraft" && o.shards != 1 {
		return errors.New("replication: hraft runs one group: use -shards 1")
	}
	fmt.Printf("# engine=%s shards=%d proposers=%d batch=%d record=%dB window=%v warmup=%v runs=%d",
		o.engine, o.shards, o.proposers, o.batch, recordSize, o.duration, o.warmup, o.runs)
	if o.engine == "hraft" {
		fmt.Printf(" maxappend=%d", o.maxAppend)
	}
	if o.execShards != 0 || o.logDBShards != 0 {
		fmt.Printf(" execshards=%d logdbshards=%d", o.execShards, o.logDBShards)
	}
	fmt.Println()
	var rs []result
	failed := 0
	for i := 0; i < o.runs; i++ {
		r, err := benchOnce(o)
		if err != nil {
			// A failed run (e.g. node 1 lost leadership of the one hraft
			// group) is a finding: report it and go on with the next run.
			fmt.Printf("run %d: FAILED: %v  load %s\n", i+1, err, loadavg())
			failed++
			continue
		}
		fmt.Printf("run %d: %8.0f records/s  p50 %7.2f ms  p99 %7.2f ms  p99.9 %7.2f ms  errors %d  leader changes %d  cpu %.2f cores (node1 %.2f) = %.0f µs/record  node1 disk %.0f MB  load %s -> %s\n",
			i+1, r.writes, ms(r.p50), ms(r.p99), ms(r.p999), r.errors, r.elections, r.cpu, r.leaderCPU, cpuPerRecord(r), r.diskMB, r.loadBefore, r.loadAfter)
		rs = append(rs, r)
	}
	if len(rs) == 0 {
		return errors.New("replication: every run failed")
	}
	med := func(f func(result) float64) float64 {
		v := make([]float64, len(rs))
		for i, r := range rs {
			v[i] = f(r)
		}
		slices.Sort(v)
		return v[len(v)/2]
	}
	fmt.Printf("median of %d runs (%d failed): %s shards=%d proposers=%d batch=%d: %.0f records/s, p50 %.2f ms, p99 %.2f ms, cpu %.2f cores, %.0f µs/record\n",
		len(rs), failed, o.engine, o.shards, o.proposers, o.batch,
		med(func(r result) float64 { return r.writes }),
		med(func(r result) float64 { return ms(r.p50) }),
		med(func(r result) float64 { return ms(r.p99) }),
		med(func(r result) float64 { return r.cpu }),
		med(cpuPerRecord))
	return nil
}

// cpuPerRecord is the CPU time the three processes spent per replicated
// record: unlike records/s it hardly depends on how busy the machine is.
func cpuPerRecord(r result) float64 {
	if r.writes == 0 {
		return 0
	}
	return r.cpu / r.writes * 1e6
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// cluster is a fresh three-process replica set: this process is node 1.
type cluster struct {
	n        node
	dir      string // node 1's data directory
	base     string
	replicas []*replicaProc // nodes 2 and 3
}

// startCluster spawns nodes 2 and 3 and starts node 1; leadership of every
// shard goes to node 1 (o.lead) unless the caller moves it.
func startCluster(o options) (c *cluster, err error) {
	c = &cluster{}
	defer func() {
		if err != nil {
			c.close()
		}
	}()
	if c.base, err = os.MkdirTemp("", "replspike-*"); err != nil {
		return c, err
	}
	addrs, err := freeAddrs(3)
	if err != nil {
		return c, err
	}
	exe, err := os.Executable()
	if err != nil {
		return c, err
	}
	for id := 2; id <= 3; id++ {
		p, err := spawnReplica(exe, o, uint64(id), addrs, filepath.Join(c.base, "n"+strconv.Itoa(id)))
		if err != nil {
			return c, err
		}
		c.replicas = append(c.replicas, p)
	}
	nc := o.nodeConfig
	nc.id, nc.addrs, nc.dir, nc.lead = 1, addrs, filepath.Join(c.base, "n1"), true
	c.dir = nc.dir
	c.n, err = startNode(nc)
	return c, err
}

func (c *cluster) pids() []int {
	out := []int{os.Getpid()}
	for _, p := range c.replicas {
		out = append(out, p.cmd.Process.Pid)
	}
	return out
}

// close stops node 1, then the replicas, and removes the directories.
func (c *cluster) close() {
	if c.n != nil {
		c.n.close()
	}
	for _, p := range c.replicas {
		p.stop()
	}
	if c.base != "" {
		os.RemoveAll(c.base)
	}
}

// proposers runs o.proposers goroutines proposing o.batch records each time
// until ctx ends, and calls done (from proposer p's goroutine) after every
// successful proposal. It returns the count of retryable errors, or the first
// other error.
func proposers(ctx context.Context, n node, o options, timeout time.Duration, done func(p int, t0, t1 time.Time)) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg     sync.WaitGroup
		mu     sync.Mutex
		errCnt int64
		fatal  error
	)
	pool := make([]byte, 1<<20)
	for i := range pool {
		pool[i] = byte(rand.Uint32()) // incompressible payloads
	}
	perProposer := max(1, o.keys/(o.proposers*o.shards))
	for p := 0; p < o.proposers; p++ {
		wg.Add(1)
		go func() { // proposer p; ends when ctx is cancelled or the run fails
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(p), 1))
			// versions[s][j] is the version of key (p + P*j)*S + s, which
			// this proposer alone writes, so versions only grow.
			versions := make([][]uint64, o.shards)
			for s := range versions {
				versions[s] = make([]uint64, perProposer)
			}
			var e0 int64
			defer func() {
				mu.Lock()
				errCnt += e0
				mu.Unlock()
			}()
			for ctx.Err() == nil {
				s := rng.IntN(o.shards)
				cmd := make([]byte, o.batch*recordSize) // fresh: the engine keeps it
				for b := 0; b < o.batch; b++ {
					j := rng.IntN(perProposer)
					versions[s][j]++
					key := uint64((p+o.proposers*j)*o.shards + s)
					rec := cmd[b*recordSize:]
					binary.BigEndian.PutUint64(rec[0:], key)
					binary.BigEndian.PutUint64(rec[8:], versions[s][j])
					off := rng.IntN(len(pool) - payloadSize)
					copy(rec[headerSize:recordSize], pool[off:off+payloadSize])
				}
				pctx, pcancel := context.WithTimeout(ctx, timeout)
				t0 := time.Now()
				err := n.propose(pctx, uint64(s+1), cmd)
				t1 := time.Now()
				pcancel()
				if err != nil {
					if d, ok := ctx.Deadline(); ctx.Err() != nil || ok && time.Until(d) < 50*time.Millisecond {
						return // the run is ending: too little time left for the engine to accept a proposal
					}
					if n.retryable(err) || errors.Is(err, context.DeadlineExceeded) {
						e0++
						continue
					}
					mu.Lock()
					if fatal == nil {
						fatal = err
					}
					mu.Unlock()
					cancel()
					return
				}
				done(p, t0, t1)
			}
		}()
	}
	wg.Wait()
	return errCnt, fatal
}

// benchOnce forms a fresh three-process replica set and measures one window.
func benchOnce(o options) (result, error) {
	c, err := startCluster(o)
	if err != nil {
		return result{}, err
	}
	defer c.close()
	pids := c.pids()
	r := result{loadBefore: loadavg()}
	start := time.Now()
	winStart, winEnd := start.Add(o.warmup), start.Add(o.warmup+o.duration)
	hists := make([]*hdrhistogram.Histogram, o.proposers)
	counts := make([]int64, o.proposers)
	for i := range hists {
		hists[i] = hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 3)
	}
	ctx, cancel := context.WithDeadline(context.Background(), winEnd)
	defer cancel()
	type outcome struct {
		errs int64
		err  error
	}
	out := make(chan outcome, 1)
	go func() { // ends at winEnd, when the proposers have returned
		errs, err := proposers(ctx, c.n, o, o.timeout, func(p int, t0, t1 time.Time) {
			if !t0.Before(winStart) && t1.Before(winEnd) {
				hists[p].RecordValue(t1.Sub(t0).Microseconds())
				counts[p] += int64(o.batch)
			}
		})
		out <- outcome{errs, err}
	}()
	time.Sleep(time.Until(winStart)) // the harness's own schedule, not a wait for a condition
	cpu0 := cpuTicks(pids)
	lc0 := c.n.leaderChanges()
	if o.profile != "" {
		f, err := os.Create(o.profile)
		if err != nil {
			return result{}, err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return result{}, err
		}
	}
	time.Sleep(time.Until(winEnd))
	if o.profile != "" {
		pprof.StopCPUProfile()
	}
	cpu1 := cpuTicks(pids)
	r.elections = c.n.leaderChanges() - lc0
	r.loadAfter = loadavg()
	res := <-out
	if res.err != nil {
		return result{}, res.err
	}
	total := hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 3)
	var count int64
	for i := range hists {
		total.Merge(hists[i])
		count += counts[i]
	}
	secs := o.duration.Seconds()
	r.writes = float64(count) / secs
	r.p50 = time.Duration(total.ValueAtQuantile(50)) * time.Microsecond
	r.p99 = time.Duration(total.ValueAtQuantile(99)) * time.Microsecond
	r.p999 = time.Duration(total.ValueAtQuantile(99.9)) * time.Microsecond
	r.errors = res.errs
	for i := range pids {
		d := float64(cpu1[i]-cpu0[i]) / clockTicks / secs
		r.cpu += d
		if i == 0 {
			r.leaderCPU = d
		}
	}
	r.diskMB = float64(dirSize(c.dir)) / (1 << 20)
	return r, nil
}

// freeAddrs returns n loopback TCP addresses whose ports were free a moment
// ago (the engines need every member's address before any of them starts).
func freeAddrs(n int) ([]string, error) {
	var out []string
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		ls = append(ls, l)
		out = append(out, l.Addr().String())
	}
	return out, nil
}

type replicaProc struct {
	cmd   *exec.Cmd
	stdin io.WriteCloser
	done  chan error
}

func spawnReplica(exe string, o options, id uint64, addrs []string, dir string) (*replicaProc, error) {
	cmd := exec.Command(exe, "-role", "replica", "-engine", o.engine, "-id", strconv.FormatUint(id, 10),
		"-addrs", strings.Join(addrs, ","), "-dir", dir, "-shards", strconv.Itoa(o.shards),
		"-maxappend", strconv.Itoa(o.maxAppend),
		"-execshards", strconv.FormatUint(o.execShards, 10), "-logdbshards", strconv.FormatUint(o.logDBShards, 10))
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &replicaProc{cmd: cmd, stdin: stdin, done: make(chan error, 1)}
	ready := make(chan error, 1)
	go func() { // ends when the replica closes its stdout (it exits)
		sc := bufio.NewScanner(stdout)
		ok := false
		for sc.Scan() {
			if !ok && sc.Text() == "ready" {
				ok = true
				ready <- nil
			}
		}
		if !ok {
			ready <- fmt.Errorf("replication: replica %d exited before it was ready", id)
		}
		p.done <- cmd.Wait()
	}()
	select {
	case err := <-ready:
		if err != nil {
			return nil, err
		}
	case <-time.After(time.Minute):
		p.stop()
		return nil, fmt.Errorf("replication: replica %d not ready after a minute", id)
	}
	return p, nil
}

// stop closes the replica's stdin and waits for it to exit, killing it after 30 s.
func (p *replicaProc) stop() {
	p.stdin.Close()
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

// clockTicks is USER_HZ, the unit of utime and stime in /proc/PID/stat (100 on Linux).
const clockTicks = 100

// cpuTicks returns utime+stime of each process.
func cpuTicks(pids []int) []int64 {
	out := make([]int64, len(pids))
	for i, pid := range pids {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
		// Fields after the command: state is [0], utime [11], stime [12].
		u, _ := strconv.ParseInt(f[11], 10, 64)
		st, _ := strconv.ParseInt(f[12], 10, 64)
		out[i] = u + st
	}
	return out
}

func loadavg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	return strings.Join(f[:3], "/")
}

func dirSize(dir string) int64 {
	var n int64
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if fi, err := d.Info(); err == nil {
				if st, ok := fi.Sys().(*syscall.Stat_t); ok {
					n += st.Blocks * 512 // allocated, not apparent: badger preallocates sparse files
				}
			}
		}
		return nil
	})
	return n
}
