package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/lte-mme/mme/gtp/s11"
	"github.com/lte-mme/mme/s1ap/transport"
	"github.com/lte-mme/mme/s6a/peer"
	"github.com/lte-mme/mme/session"
	"github.com/lte-mme/mme/store"
	"github.com/lte-mme/mme/supervision"
)

// idBlock is how many subscriber keys or M-TMSIs one reservation in the
// store's metadata covers (a variable: the tests make it tiny so that
// reservations happen under load).
var idBlock uint64 = 1 << 14

// Options are what a Node takes besides its Config.
type Options struct {
	// Logger receives the node's logs (default: discard).
	Logger *slog.Logger
	// Version is the software version in crash reports.
	Version string
	// Faults is the fault injector (issue #8); nil: none.
	Faults *supervision.FaultInjector
	// S11Tap sees every S11 datagram (captures in tests).
	S11Tap func(out bool, peer netip.AddrPort, b []byte)
}

// Node is one MME: the S1 front end, the session actors, the S11 and S6a
// peers, the store and the operations endpoint, under one supervisor
// tree (docs/design/node.md). New binds every socket and loads the store;
// Run runs until its context ends and shuts down in order.
type Node struct {
	cfg   Config
	res   *resolved
	scfg  atomic.Pointer[session.Config]
	log   *slog.Logger
	opt   Options
	reg   *prometheus.Registry
	m     *metrics
	store *store.Store
	// records holds the subscriber records: the store, or volatile maps
	// with store.persist false.
	records recordStore
	crash   supervision.CrashLog
	actors  *supervision.Actors
	timers  *supervision.Timers
	s1      *transport.Endpoint
	s11     *s11.Endpoint
	s6a     *peer.Client
	http    *http.Server
	httpLn  net.Listener

	sup   *supervision.Supervisor
	s1sup *supervision.Supervisor

	conns   connTable
	enbs    enbTable
	keys    *counterAlloc
	mtmsis  *counterAlloc
	pending pendingIMSIs
	// ddns holds the SGWs' Downlink Data Notifications until their
	// subscriber answers them (paging.go).
	ddns ddnTable
	// s11reqs are the SGW requests awaiting their subscriber's answer
	// (node/bearer.go).
	s11reqs s11Pending
	workers []*worker
	// admitLimit is the queued events over all mailboxes beyond which
	// INITIAL UE MESSAGEs are rejected with congestion.
	admitLimit int
	// recover are the keys restore found connected or in a procedure.
	recover []supervision.Key
	// recovered is closed once the recovery child has queued Recovered
	// for every key of recover: S1 SETUP waits for it (restore.go).
	recovered     chan struct{}
	recoveredOnce sync.Once

	faults *faultSwitch

	sgwFailed atomic.Bool
	overload  overloadState
	cfgMu     sync.Mutex // Reload
	closeOnce sync.Once
}

// New validates cfg, opens the store, binds the S1, S11 and HTTP sockets,
// starts connecting to the HSS and restores the subscribers the store
// holds (their timers re-armed, their S11 TEIDs bound). Nothing is served
// until Run.
func New(cfg Config, opt Options) (_ *Node, err error) {
	res, err := cfg.resolve()
	if err != nil {
		return nil, err
	}
	if opt.Logger == nil {
		opt.Logger = slog.New(slog.DiscardHandler)
	}
	n := &Node{cfg: cfg, res: res, log: opt.Logger, opt: opt, reg: prometheus.NewRegistry(), recovered: make(chan struct{})}
	n.scfg.Store(cfg.sessionConfig(res))
	n.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	n.m = newMetrics(n.reg)
	n.conns.init()
	n.enbs.init()
	defer func() {
		if err != nil {
			n.closeAll()
		}
	}()

	// Store.
	so := store.Options{SyncWrites: cfg.Store.SyncWrites, CrashLogSize: cfg.Store.CrashReports,
		Metrics: n.reg, Logger: n.log.With("subsystem", "store")}
	if res.storeInMem || !cfg.Store.Persistent() {
		so.InMemory = true
	} else {
		if err := os.MkdirAll(cfg.Store.Dir, 0o755); err != nil {
			return nil, fmt.Errorf("node: store: %w", err)
		}
		so.Dir = filepath.Clean(cfg.Store.Dir)
	}
	if cfg.Store.MemTableMB > 0 {
		so.MemTableSize = int64(cfg.Store.MemTableMB) << 20
	}
	if cfg.Store.CacheMB > 0 {
		so.BlockCacheSize = int64(cfg.Store.CacheMB) << 20
	}
	if n.store, err = store.Open(so); err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	n.crash = n.store.CrashLog()
	n.records = n.store
	if !cfg.Store.Persistent() {
		n.records = newVolatileRecords()
		n.log.Warn("node: store.persist is false: subscriber records are not stored (nothing survives a restart)")
	}
	if n.keys, err = newCounterAlloc(n.store, "node.next_key", idBlock); err != nil {
		return nil, err
	}
	if n.mtmsis, err = newCounterAlloc(n.store, "node.next_mtmsi", idBlock); err != nil {
		return nil, err
	}

	// Actors and timers. The fault injector always exists (disarmed:
	// one atomic load per event) so that the admin API can arm it.
	if opt.Faults == nil {
		opt.Faults = supervision.NewFaultInjector(nil, nil)
		n.opt.Faults = opt.Faults
	}
	// The random rate crashes a subscriber at most once per restart
	// intensity period (the actors' default): it tests isolation and
	// restart, and the UE's retry is not crashed again; quarantine is
	// for keys that crash by themselves (or by faults.imsis, on purpose).
	opt.Faults.SpareFor(supervision.DefaultPeriod)
	workers := cfg.Actors.Workers
	if workers == 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	n.actors, err = supervision.NewActors(supervision.ActorsConfig{
		Workers: workers, MailboxSize: cfg.Actors.Mailbox, Crashes: n.crash, Faults: opt.Faults,
		Node: cfg.Name, Version: opt.Version, RedactKey: n.redactKey, Describe: n.describe,
		Logger: n.log.With("subsystem", "actors"), Metrics: n.reg,
	}, (*handler)(n))
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	mailbox := cfg.Actors.Mailbox
	if mailbox == 0 {
		mailbox = supervision.DefaultMailboxSize
	}
	n.admitLimit = n.actors.Workers() * mailbox / 2
	for i := 0; i < n.actors.Workers(); i++ {
		n.workers = append(n.workers, newWorker(i))
	}
	if n.timers, err = supervision.NewTimers(supervision.TimersConfig{Logger: n.log.With("subsystem", "timers"), Metrics: n.reg},
		timerSender{n}); err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}

	// S11.
	if err := n.openS11(); err != nil {
		return nil, err
	}
	// S6a.
	if err := n.openS6a(); err != nil {
		return nil, err
	}
	// Subscribers stored by an earlier run.
	if err := n.restore(); err != nil {
		return nil, err
	}
	// The fault-injection switch (IMSIs of restored subscribers get
	// their keys now).
	if err := n.initFaults(); err != nil {
		return nil, err
	}
	// S1.
	if err := n.openS1(); err != nil {
		return nil, err
	}
	// HTTP.
	if cfg.HTTP.Listen != "" {
		if n.httpLn, err = net.Listen("tcp", cfg.HTTP.Listen); err != nil {
			return nil, fmt.Errorf("node: http.listen: %w", err)
		}
		n.http = &http.Server{Handler: n.httpHandler(), ReadHeaderTimeout: 5 * time.Second}
	}
	n.buildTree()
	return n, nil
}

// buildTree makes the supervisor tree of docs/design/supervision.md "The
// node's tree". Children stop in reverse order: HTTP, S1 (associations shut
// down gracefully), the sessions (mailboxes drained), S11, S6a.
func (n *Node) buildTree() {
	sessions := &supervision.Supervisor{Name: "sessions", Strategy: supervision.RestForOne, Crashes: n.crash,
		Logger: n.log, Node: n.cfg.Name, Version: n.opt.Version,
		Children: []supervision.ChildSpec{
			{Name: "timers", Run: n.timers.Run},
			{Name: "actors", Run: n.actors.Run, Shutdown: 30 * time.Second},
			{Name: "recovery", Run: n.recoverConnected, Restart: supervision.Transient},
		}}
	n.s1sup = &supervision.Supervisor{Name: "s1", Strategy: supervision.OneForOne, Crashes: n.crash, Logger: n.log,
		Node: n.cfg.Name, Version: n.opt.Version,
		Children: []supervision.ChildSpec{{Name: "endpoint", Run: n.runS1, Shutdown: 10 * time.Second}}}
	children := []supervision.ChildSpec{
		{Name: "s6a", Run: n.runS6a, Shutdown: 10 * time.Second},
		{Name: "s11", Run: n.runS11},
		{Name: "sessions", Run: sessions.Run, Shutdown: -1},
		{Name: "s1", Run: n.s1sup.Run, Shutdown: -1},
		{Name: "overload", Run: n.runOverload},
	}
	if n.http != nil {
		children = append(children, supervision.ChildSpec{Name: "http", Run: n.runHTTP})
	}
	n.sup = &supervision.Supervisor{Name: "node", Strategy: supervision.OneForOne, Crashes: n.crash, Logger: n.log,
		Node: n.cfg.Name, Version: n.opt.Version, Children: children}
}

// Run serves until ctx is done, then shuts down in order and closes the
// store. It returns an error only when the supervisor tree gave up
// (restart intensity exceeded).
func (n *Node) Run(ctx context.Context) error {
	err := n.sup.Run(ctx)
	n.closeAll()
	return err
}

// closeAll releases what New opened (idempotent).
func (n *Node) closeAll() {
	n.closeOnce.Do(func() {
		if n.s1 != nil {
			_ = n.s1.Close()
		}
		if n.s11 != nil {
			_ = n.s11.Close()
		}
		if n.s6a != nil {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_ = n.s6a.Close(ctx)
			cancel()
		}
		if n.httpLn != nil {
			_ = n.httpLn.Close()
		}
		for _, w := range n.workers {
			w.effects.waitIdle()
		}
		if v, ok := n.records.(*volatileRecords); ok {
			v.close()
		}
		if n.store != nil {
			_ = n.store.Close()
		}
	})
}

// S1Addrs are the S1 endpoint's listening addresses (UDP address in UDP mode).
func (n *Node) S1Addrs() []netip.AddrPort { return n.s1.ListenAddrs() }

// S1Mode is the SCTP implementation in use.
func (n *Node) S1Mode() transport.Mode { return n.s1.Mode() }

// S11Addr is the S11 endpoint's address.
func (n *Node) S11Addr() netip.AddrPort { return n.s11.LocalAddr() }

// HTTPAddr is the operations endpoint's address ("" when disabled).
func (n *Node) HTTPAddr() string {
	if n.httpLn == nil {
		return ""
	}
	return n.httpLn.Addr().String()
}

// Registry is the node's Prometheus registry.
func (n *Node) Registry() *prometheus.Registry { return n.reg }

// Crashes is the crash-report log.
func (n *Node) Crashes() supervision.CrashLog { return n.crash }

// Ready reports what /readyz reports: the store is open, an HSS peer is
// OPEN and the SGW path has not failed.
func (n *Node) Ready() (bool, string) {
	open := false
	for _, p := range n.s6a.Peers() {
		if p.State == peer.StateOpen {
			open = true
		}
	}
	switch {
	case !open:
		return false, "no S6a peer open"
	case n.sgwFailed.Load():
		return false, "S11 path to the SGW failed"
	}
	return true, "ready"
}

// runHTTP serves the operations endpoint until ctx is done.
func (n *Node) runHTTP(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- n.http.Serve(n.httpLn) }()
	select {
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = n.http.Shutdown(sctx)
		<-errc
		return nil
	case err := <-errc:
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return err
	}
}

// sameStore compares store sections by value.
func sameStore(a, b StoreConfig) bool {
	pa, pb := a.Persistent(), b.Persistent()
	a.Persist, b.Persist = nil, nil
	return a == b && pa == pb
}

// Reload applies a new configuration's served TAIs and relative capacity
// (SIGHUP) and tells the eNodeBs with MME CONFIGURATION UPDATE
// (TS 36.413 §8.7.5). Other changes need a restart and are refused.
func (n *Node) Reload(cfg Config) error {
	res, err := cfg.resolve()
	if err != nil {
		return err
	}
	n.cfgMu.Lock()
	defer n.cfgMu.Unlock()
	old := n.cfg
	if cfg.PLMN != old.PLMN || cfg.MMEGI != old.MMEGI || cfg.MMEC != old.MMEC || !sameStore(cfg.Store, old.Store) ||
		cfg.S11.Local != old.S11.Local || cfg.HTTP != old.HTTP {
		return errors.New("node: reload: only tais, relative_capacity, nas, security, name and faults change without a restart")
	}
	n.cfg.TAIs, n.cfg.RelativeCapacity, n.cfg.NAS, n.cfg.Security, n.cfg.Name = cfg.TAIs, cfg.RelativeCapacity, cfg.NAS, cfg.Security, cfg.Name
	n.res = res
	n.scfg.Store(n.cfg.sessionConfig(res))
	n.mmeConfigurationUpdate()
	n.cfg.Faults = cfg.Faults
	n.SetFaults(cfg.Faults)
	return nil
}
