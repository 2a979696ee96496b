package node

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/lte-mme/mme/gtp/s11"
	"github.com/lte-mme/mme/session"
	"github.com/lte-mme/mme/supervision"
)

// restore reads every stored subscriber at start-up (process restart):
// binds its S11 TEID again (answers and SGW requests find it), re-arms its
// timers from their stored deadlines, sets the gauges, and remembers the
// subscribers that had a connection or a procedure in progress: the
// recovery child tells them (session.Recovered) once the actors run.
func (n *Node) restore() error {
	now := time.Now()
	var maxConn uint32
	err := n.records.Scan(func(key uint64, rec []byte) error {
		s, err := session.UnmarshalRecord(rec)
		if err != nil {
			n.m.corrupt.Inc()
			n.log.Error("node: restore: unreadable record", "key", key, "err", err)
			return nil
		}
		if s.S11TEID != 0 && s.SGW.IsValid() {
			if err := n.s11.BindTEID(s.S11TEID, s11.SessionKey(key), s.SGW); err != nil {
				n.log.Warn("node: restore: S11 TEID not bound", "key", key, "err", err)
			}
		}
		if s.EMM == session.EMMRegistered {
			n.m.attached.Inc()
		}
		if uint32(s.Conn) > maxConn {
			maxConn = uint32(s.Conn)
		}
		if s.ECM == session.ECMConnected || s.Proc != session.ProcNone || s.Releasing {
			// Its timers are armed after its Recovered step (handler.go):
			// an expiry must not reach a machine that still believes in
			// its dead connection (an S1 guard would abort an attach that
			// recovery holds).
			n.recover = append(n.recover, supervision.Key(key))
			return nil
		}
		for id, d := range s.Deadlines {
			if id == 0 || d.IsZero() {
				continue
			}
			n.timers.Start(supervision.Key(key), uint8(id), max(0, d.Sub(now)))
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("node: restore: %w", err)
	}
	// MME-UE-S1AP-IDs of this run start above those the records name, so
	// that a stale ID in a record is never a new connection's.
	n.conns.next.Store(maxConn)
	if len(n.recover) > 0 {
		n.log.Info("node: restored subscribers with a connection or procedure in progress", "count", len(n.recover))
	}
	return nil
}

// recoverConnected is the recovery child: it delivers session.Recovered to
// the subscribers restore found connected or in a procedure (their S1
// connections went down with the old process's associations; the
// procedure in progress fails cleanly), then ends (transient child).
// Until it has queued them all, S1 SETUP waits (waitRecovered): an eNodeB
// sends UE messages only after S1 SETUP (TS 36.413 §8.7.3.1), so every
// such subscriber's Recovered is in its mailbox before any of this run's
// S1 messages, and a new connection is never taken for the dead one.
func (n *Node) recoverConnected(ctx context.Context) error {
	defer n.markRecovered()
	keys := n.recover
	n.recover = nil
	now := time.Now()
	for _, k := range keys {
		if ctx.Err() != nil {
			return nil
		}
		for {
			err := n.actors.Send(k, &session.Recovered{Now: now})
			if err == nil {
				break
			}
			if !errors.Is(err, supervision.ErrOverload) {
				return nil // the actors stopped: the node is stopping
			}
			// A full mailbox: wait for the workers (bounded by ctx).
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
	return nil
}

// markRecovered ends waitRecovered (once).
func (n *Node) markRecovered() { n.recoveredOnce.Do(func() { close(n.recovered) }) }

// recoveryWait bounds how long an S1 SETUP waits for the recovery child.
const recoveryWait = 30 * time.Second

// waitRecovered blocks (the association's reader) until the recovery child
// queued every Recovered, at most recoveryWait.
func (n *Node) waitRecovered() {
	select {
	case <-n.recovered:
		return
	default:
	}
	t := time.NewTimer(recoveryWait)
	defer t.Stop()
	select {
	case <-n.recovered:
	case <-t.C:
		n.log.Warn("node: S1 SETUP answered before the restored subscribers were all recovered", "waited", recoveryWait)
	}
}

// timerSender delivers timer expiries to the actors.
type timerSender struct{ n *Node }

func (t timerSender) Send(key supervision.Key, ev any) error { return t.n.actors.Send(key, ev) }
