package loadtest

import (
	"context"
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/lte-mme/mme/s1ap/transport"
)

// assocUplink is a link's S1 association, replaced in place when the
// eNodeB re-establishes S1 (redialLinks) while workers keep sending on it.
type assocUplink struct {
	a atomic.Pointer[transport.Association]
}

func newAssocUplink(a *transport.Association) *assocUplink {
	u := &assocUplink{}
	u.a.Store(a)
	return u
}

func (u *assocUplink) Send(stream uint16, ppid uint32, data []byte) error {
	return u.a.Load().Send(stream, ppid, data)
}

// redialWindow bounds how long an eNodeB keeps trying to reach an MME
// that is restarting.
const redialWindow = 60 * time.Second

// redialLinks is a phase `{procedure: s1_setup, redial: true}`: every
// eNodeB drops its S1 associations (the MME behind them restarted: they
// are dead even if no ABORT has arrived yet), dials the MMEs again —
// retrying while an MME is still starting, up to redialWindow — and runs
// S1 Setup (TS 36.413 §8.7.3). The UEs keep their state (registration,
// security context and NAS COUNTs, GUTI): those that were connected go
// ECM-IDLE as on any S1 loss (TS 36.413 §8.7.1.1), so a service request
// phase can follow.
func (s *Sim) redialLinks(ctx context.Context) {
	s.forLinks(16, func(l *link) {
		old, _ := l.out.(*assocUplink)
		l.up.Store(false)
		if old != nil {
			if a := old.a.Load(); a != nil {
				a.Abort("loadtest: S1 re-established after an MME restart")
			}
		}
		s.linkLost(l, "s1_link_redial")
		deadline := time.Now().Add(redialWindow)
		for {
			dctx, cancel := context.WithTimeout(ctx, s.cfg.SetupTimeout)
			a, err := s.ep.Dial(dctx, []netip.AddrPort{s.cfg.Targets[l.mme]}, l)
			cancel()
			if err == nil {
				_, out := a.Streams()
				if old != nil {
					if out != l.outStream {
						s.log.Warn("loadtest: the restarted MME negotiated other streams", "was", l.outStream, "now", out)
					}
					old.a.Store(a)
				} else {
					l.outStream = out
					l.out = newAssocUplink(a)
				}
				break
			}
			if ctx.Err() != nil || time.Now().After(deadline) {
				s.drv.attempt(ProcS1Setup, s.clock())
				s.drv.failure(ProcS1Setup, "sctp_association_failed", s.clock())
				s.log.Warn("loadtest: redial failed", "enb_id", l.enb.id, "err", err)
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
		s.setupLink(ctx, l)
	})
}
