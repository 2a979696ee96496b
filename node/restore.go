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
		for id, d := range s.Deadlines {
			if id == 0 || d.IsZero() {
				continue
			}
			n.timers.Start(supervision.Key(key), uint8(id), max(0, d.Sub(now)))
		}
		if s.EMM == session.EMMRegistered {
			n.m.attached.Inc()
		}
		if uint32(s.Conn) > maxConn {
			maxConn = uint32(s.Conn)
		}
		if s.ECM == session.ECMConnected || s.Proc != session.ProcNone || s.Releasing {
			n.recover = append(n.recover, supervision.Key(key))
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
func (n *Node) recoverConnected(ctx context.Context) error {
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

// timerSender delivers timer expiries to the actors.
type timerSender struct{ n *Node }

func (t timerSender) Send(key supervision.Key, ev any) error { return t.n.actors.Send(key, ev) }
