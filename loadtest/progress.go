package loadtest

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Progress is the run's state once per interval: the live progress line
// of `mme loadtest` on stderr.
type Progress struct {
	Elapsed time.Duration
	Phase   string
	// UEs per state: EMM-DEREGISTERED, EMM-REGISTERED idle and connected,
	// and in a procedure (any other EMM state).
	Deregistered, Idle, Connected, Busy int64
	Procedures                          []ProcedureProgress
}

// ProcedureProgress is one procedure's counters and completion rate over
// the last interval.
type ProcedureProgress struct {
	Name                          string
	Attempts, Successes, Failures uint64
	PerSecond                     float64
}

// String renders the progress line:
//
//	12s attach | UEs dereg 100 idle 800 conn 90 busy 10 | attach 950/s 9500 ok 0 fail | ...
func (p Progress) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%5.1fs %-8s | UEs dereg %d idle %d conn %d busy %d", p.Elapsed.Seconds(), p.Phase,
		p.Deregistered, p.Idle, p.Connected, p.Busy)
	for _, q := range p.Procedures {
		fmt.Fprintf(&b, " | %s %.0f/s %d ok %d fail", q.Name, q.PerSecond, q.Successes, q.Failures)
	}
	return b.String()
}

// snapshot reads the live counters (from any goroutine).
func (s *Sim) snapshot(prev map[Procedure]uint64, dt time.Duration) Progress {
	p := Progress{Elapsed: time.Duration(s.clock()), Phase: s.phaseName()}
	for _, w := range s.workers {
		for e := EMMState(1); e < emmEnd; e++ {
			idle, conn := w.counts[e][0].Load(), w.counts[e][1].Load()
			switch e {
			case EMMDeregistered:
				p.Deregistered += idle + conn
			case EMMRegistered:
				p.Idle += idle
				p.Connected += conn
			default:
				p.Busy += idle + conn
			}
		}
	}
	for q := Procedure(1); q < procEnd; q++ {
		lc := &s.live[q]
		a := lc.attempts.Load()
		if a == 0 {
			continue
		}
		ok := lc.successes.Load()
		pp := ProcedureProgress{Name: q.String(), Attempts: a, Successes: ok, Failures: lc.failures.Load()}
		if dt > 0 {
			pp.PerSecond = float64(ok-prev[q]) / dt.Seconds()
		}
		prev[q] = ok
		p.Procedures = append(p.Procedures, pp)
	}
	return p
}

// startProgress calls Config.Progress every interval until stopped.
func (s *Sim) startProgress(ctx context.Context) (stop func()) {
	if s.cfg.Progress == nil {
		return func() {}
	}
	every := s.cfg.ProgressInterval
	if every <= 0 {
		every = time.Second
	}
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		prev := map[Procedure]uint64{}
		last := time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-t.C:
				s.cfg.Progress(s.snapshot(prev, now.Sub(last)))
				last = now
			case <-s.phaseChanged:
				// A line as each phase starts (mme demo samples the MME
				// while its UEs are attached).
				now := time.Now()
				s.cfg.Progress(s.snapshot(prev, now.Sub(last)))
				last = now
			}
		}
	}()
	return func() { cancel(); <-done }
}
