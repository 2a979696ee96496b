package loadtest

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/s1ap/transport"
)

// Run runs cfg's scenario against the MMEs of cfg.Targets over real S1
// associations and returns the report. The run:
//
//  1. builds the UEs (one per subscriber, up to the scenario's count) and
//     eNodeBs;
//  2. associates every eNodeB with every MME (S1-flex) and runs S1 Setup
//     on each association;
//  3. runs the phases in order, each an open-loop arrival process over
//     the workers, waiting for its procedures to finish (or its settle
//     time to pass);
//  4. shuts the associations down and evaluates the expectations.
//
// The error is for a run that could not take place (bad configuration, no
// endpoint); a run whose expectations failed returns a Report with Passed
// false and a nil error.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	s, err := newSim(cfg)
	if err != nil {
		return nil, err
	}
	return s.run(ctx)
}

func (s *Sim) run(ctx context.Context) (*Report, error) {
	if len(s.cfg.Targets) == 0 {
		return nil, errors.New("loadtest: no target MME")
	}
	tc := transport.DefaultConfig()
	tc.Mode = s.cfg.Transport
	if tc.Mode == 0 {
		tc.Mode = transport.ModeAuto
	}
	local := s.cfg.LocalAddr
	if !local.IsValid() {
		local = netip.IPv4Unspecified()
		if s.cfg.Targets[0].Addr().IsLoopback() {
			local = netip.MustParseAddr("127.0.0.1")
			if s.cfg.Targets[0].Addr().Is6() {
				local = netip.IPv6Loopback()
			}
		}
		s.cfg.LocalAddr = local
	}
	s.setGTPAddress()
	tc.LocalAddrs = []netip.Addr{local}
	tc.Port, tc.UDPPort = 0, 0
	tc.MaxAssociations = len(s.enbs)*len(s.cfg.Targets) + 16
	tc.MaxPendingHandshakes = 16
	tc.Logger = s.log
	ep, err := transport.NewEndpoint(tc)
	if err != nil {
		return nil, err
	}
	defer ep.Close()
	s.ep = ep

	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	s.ctxMu.Lock()
	s.ctx = runCtx
	s.ctxMu.Unlock()
	s.start = time.Now()
	var wwg sync.WaitGroup
	for _, w := range s.workers {
		wwg.Add(1)
		go func() { defer wwg.Done(); w.loop(runCtx) }()
	}
	if s.cfg.Trigger != nil {
		s.runTriggers(runCtx, 16)
	}
	if s.cfg.Metrics != nil {
		if err := s.registerMetrics(s.cfg.Metrics); err != nil {
			cancel()
			wwg.Wait()
			return nil, err
		}
	}
	stopProgress := s.startProgress(runCtx)

	s.associate(runCtx, ep)
	s.forLinks(32, func(l *link) {
		if l.out != nil {
			s.setupLink(runCtx, l)
		}
	})
	for i := range s.sc.Phases {
		if runCtx.Err() != nil {
			break
		}
		s.runPhase(runCtx, &s.sc.Phases[i])
	}
	// The scenario is over: no new background procedures (inactivity
	// releases, periodic TAU); wait for those in progress.
	s.stopping.Store(true)
	s.runPhase(runCtx, &Phase{Name: "drain", Procedure: "attach", Count: "0", Settle: Duration(10 * time.Second)})
	end := s.clock()
	stopProgress()
	cancel()
	wwg.Wait()
	s.wg.Wait()
	sctx, scancel := context.WithTimeout(context.Background(), 2*time.Second)
	_ = ep.Shutdown(sctx)
	scancel()
	r := s.report(end, ep.Mode())
	if ctx.Err() != nil {
		r.ExpectationsFailed = append(r.ExpectationsFailed, "run interrupted: "+ctx.Err().Error())
		r.Passed = false
	}
	return r, nil
}

// associate dials every link (16 at a time).
func (s *Sim) associate(ctx context.Context, ep *transport.Endpoint) {
	s.forLinks(16, func(l *link) {
		dctx, cancel := context.WithTimeout(ctx, s.cfg.SetupTimeout)
		defer cancel()
		a, err := ep.Dial(dctx, []netip.AddrPort{s.cfg.Targets[l.mme]}, l)
		if err != nil {
			s.drv.attempt(ProcS1Setup, s.clock())
			s.drv.failure(ProcS1Setup, "sctp_association_failed", s.clock())
			s.log.Warn("loadtest: association failed", "enb_id", l.enb.id, "mme", s.cfg.Targets[l.mme].String(), "err", err)
			return
		}
		_, out := a.Streams()
		l.outStream = out
		l.out = newAssocUplink(a)
	})
}

// forLinks runs f on every link, at most n at once.
func (s *Sim) forLinks(n int, f func(*link)) {
	sem := make(chan struct{}, n)
	var wg sync.WaitGroup
	for _, e := range s.enbs {
		for _, l := range e.links {
			wg.Add(1)
			sem <- struct{}{}
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				f(l)
			}()
		}
	}
	wg.Wait()
}

// setupLink runs S1 Setup on l (TS 36.413 §8.7.3): on success the link
// serves UEs; a failure with Time to wait is retried after it, twice at
// most (§8.7.3.3).
func (s *Sim) setupLink(ctx context.Context, l *link) {
	for try := 0; try < 3; try++ {
		start := s.clock()
		s.drv.attempt(ProcS1Setup, start)
		select {
		case <-l.setupDone: // a stale answer
		default:
		}
		if err := l.send(0, s.s1SetupRequest(l.enb)); err != nil {
			s.drv.failure(ProcS1Setup, "send_failed", s.clock())
			return
		}
		t := time.NewTimer(s.cfg.SetupTimeout)
		select {
		case <-ctx.Done():
			t.Stop()
			s.drv.failure(ProcS1Setup, "interrupted", s.clock())
			return
		case <-t.C:
			s.drv.failure(ProcS1Setup, "timeout", s.clock())
			return
		case pdu := <-l.setupDone:
			t.Stop()
			switch m := pdu.Message.(type) {
			case *s1ap.S1SetupResponse:
				name := ""
				if v, ok := m.MMEname.Get(); ok {
					name = string(v)
				}
				l.setServed(m.ServedGUMMEIs, m.RelativeMMECapacity, name)
				l.up.Store(true)
				s.drv.success(ProcS1Setup, start, s.clock())
				return
			case *s1ap.S1SetupFailure:
				s.drv.failure(ProcS1Setup, "s1_setup_failure:"+causeString(m.Cause), s.clock())
				ttw, ok := m.TimeToWait.Get()
				if !ok {
					return
				}
				wait := []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 20 * time.Second, 60 * time.Second}[min(int(ttw)-1, 5)]
				select {
				case <-ctx.Done():
					return
				case <-time.After(wait):
				}
			}
		}
	}
}

// resetup runs S1 Setup again on an association the MME restarted.
func (s *Sim) resetup(l *link) {
	ctx := s.runCtx()
	if ctx == nil {
		return
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.setupLink(ctx, l)
	}()
}

func (s *Sim) runCtx() context.Context {
	s.ctxMu.Lock()
	defer s.ctxMu.Unlock()
	return s.ctx
}

// completed is the number of procedures ended so far (successes and
// failures).
func (s *Sim) completed() uint64 {
	var n uint64
	for i := range s.live {
		n += s.live[i].successes.Load() + s.live[i].failures.Load()
	}
	return n
}

// runPhase runs one phase to completion and records it (Report.Phases).
func (s *Sim) runPhase(ctx context.Context, ph *Phase) {
	start, done0 := s.clock(), s.completed()
	s.runPhaseBody(ctx, ph)
	end := s.clock()
	pr := PhaseReport{Name: ph.Name, StartS: float64(start) / 1e9, EndS: float64(end) / 1e9, Completed: s.completed() - done0}
	if end > start {
		pr.PerS = float64(pr.Completed) / (float64(end-start) / 1e9)
	}
	s.phaseReports = append(s.phaseReports, pr)
}

func (s *Sim) runPhaseBody(ctx context.Context, ph *Phase) {
	s.setPhase(ph.Name)
	if ph.Procedure == "" && ph.Mix == nil {
		t := time.NewTimer(time.Duration(ph.Wait))
		defer t.Stop()
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		return
	}
	if ph.Procedure != "" {
		p, _ := ParseProcedure(ph.Procedure)
		switch p {
		case ProcS1Setup:
			if ph.Redial {
				s.redialLinks(ctx)
				return
			}
			s.forLinks(32, func(l *link) {
				if l.out != nil {
					s.setupLink(ctx, l)
				}
			})
			return
		case ProcReset:
			s.resetENBs(ctx, ph)
			return
		}
	}
	var procs []Procedure
	var cum []float64
	if ph.Procedure != "" {
		p, _ := ParseProcedure(ph.Procedure)
		procs, cum = []Procedure{p}, []float64{1}
	} else {
		names := make([]string, 0, len(ph.Mix))
		for n := range ph.Mix {
			names = append(names, n)
		}
		sort.Strings(names)
		var total float64
		for _, n := range names {
			if ph.Mix[n] == 0 {
				continue
			}
			p, _ := ParseProcedure(n)
			total += ph.Mix[n]
			procs, cum = append(procs, p), append(cum, total)
		}
		if len(procs) == 0 {
			return
		}
	}
	nw := len(s.workers)
	var total int64 = -1
	switch {
	case ph.Count == "all":
		total = int64(len(s.ues))
	case ph.Count != "":
		v, _ := strconv.Atoi(ph.Count)
		total = int64(v)
	}
	done := make(chan int, nw)
	for i, w := range s.workers {
		q := int64(-1)
		if total >= 0 {
			q = total / int64(nw)
			if int64(i) < total%int64(nw) {
				q++
			}
		}
		ps := &phaseState{ph: ph, procs: procs, cum: cum, quota: q, rate: ph.Rate / float64(nw), done: done}
		ev := event{kind: evPhase, ph: ps}
		if s.sync {
			w.handle(ev)
		} else {
			w.mbox <- ev
		}
	}
	for n := 0; n < nw; n++ {
		select {
		case <-ctx.Done():
			return
		case <-done:
		}
	}
}

// resetENBs is the eNodeB-initiated RESET of the whole S1 interface (TS
// 36.413 §8.7.1.2.2) on the first Count eNodeBs ("all": every one): the
// eNodeB releases its UE connections and waits for RESET ACKNOWLEDGE.
func (s *Sim) resetENBs(ctx context.Context, ph *Phase) {
	n := len(s.enbs)
	if ph.Count != "all" && ph.Count != "" {
		v, _ := strconv.Atoi(ph.Count)
		n = min(n, v)
	}
	var wg sync.WaitGroup
	for _, e := range s.enbs[:n] {
		for _, l := range e.links {
			if !l.up.Load() {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				start := s.clock()
				s.drv.attempt(ProcReset, start)
				s.linkLost(l, "enb_reset")
				select {
				case <-l.resetDone:
				default:
				}
				if err := l.send(0, &s1ap.Reset{Cause: s1ap.Cause{Choice: s1ap.CauseChoiceMisc, Misc: s1ap.CauseMiscOmIntervention},
					ResetType: s1ap.ResetType{Choice: s1ap.ResetTypeChoiceS1Interface, S1Interface: s1ap.ResetAllResetAll}}); err != nil {
					s.drv.failure(ProcReset, "send_failed", s.clock())
					return
				}
				t := time.NewTimer(s.cfg.SetupTimeout)
				defer t.Stop()
				select {
				case <-ctx.Done():
					s.drv.failure(ProcReset, "interrupted", s.clock())
				case <-t.C:
					s.drv.failure(ProcReset, "timeout", s.clock())
				case <-l.resetDone:
					s.drv.success(ProcReset, start, s.clock())
				}
			}()
		}
	}
	wg.Wait()
}

func (s *Sim) setPhase(name string) {
	s.ctxMu.Lock()
	s.phase = name
	s.ctxMu.Unlock()
	select {
	case s.phaseChanged <- struct{}{}:
	default:
	}
}

func (s *Sim) phaseName() string {
	s.ctxMu.Lock()
	defer s.ctxMu.Unlock()
	return s.phase
}

var _ = fmt.Sprint
