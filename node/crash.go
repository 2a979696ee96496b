package node

import (
	"reflect"
	"time"

	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/session"
	"github.com/lte-mme/mme/supervision"
)

// crashConns are the S1 connections a crashed step may leave without an
// owner that knows them: the connection the crashed event came on (an
// INITIAL UE MESSAGE opens one) and the one the machine had before the
// step. Restart reads them before it drops the cached machine.
func (n *Node) crashConns(w *worker, key supervision.Key, ev any) []session.ConnID {
	var ids []session.ConnID
	if id, ok := eventConn(ev); ok {
		ids = append(ids, id)
	}
	if ent := w.cache[key]; ent != nil {
		if _, _, _, conn, connected := ent.m.Indexes(); connected {
			ids = append(ids, conn)
		}
	}
	return ids
}

// eventConn is the S1 connection an S1-borne event names (every such
// session event has a Conn field).
func eventConn(ev any) (session.ConnID, bool) {
	v := reflect.ValueOf(ev)
	if v.Kind() != reflect.Pointer || v.IsNil() || v.Elem().Kind() != reflect.Struct {
		return 0, false
	}
	f := v.Elem().FieldByName("Conn")
	if !f.IsValid() || f.Type() != reflect.TypeFor[session.ConnID]() {
		return 0, false
	}
	return session.ConnID(f.Uint()), true
}

// releaseOrphanConns runs after a crash's restart (Restart). The
// restarted machine is reloaded from its last stored record, which may not
// know the S1 connection its UE is on (the crashed event opened it, or the
// procedure had not been stored yet): nothing would ever answer that UE,
// which would wait for T3410 (15 s). Such a connection, still owned by key
// but not the restarted machine's, is released instead (UE CONTEXT
// RELEASE COMMAND, cause nas:unspecified, TS 36.413 §8.3.3): the UE sees its
// procedure fail at once and retries (T3411, TS 24.301 §5.5.1.2.6). Runs on
// key's worker.
func (n *Node) releaseOrphanConns(w *worker, key supervision.Key, ids []session.ConnID) {
	var cur session.ConnID
	var curOK bool
	if ent := w.cache[key]; ent != nil {
		_, _, _, cur, curOK = ent.m.Indexes()
	}
	for i, id := range ids {
		if curOK && id == cur || i > 0 && id == ids[0] {
			continue
		}
		c := n.conns.get(uint32(id))
		if c == nil || c.owner() != key {
			continue
		}
		n.releaseConn(c, s1ap.Cause{Choice: s1ap.CauseChoiceNas, Nas: s1ap.CauseNasUnspecified})
	}
}

// rearmTimers starts again, after a crash's restart, every timer the
// reloaded machine has running: the expiry whose step crashed was consumed
// by the timing wheel, so without this a crashed S1 guard or T3450 would
// never fire again and the subscriber would wait forever (a release never
// completed, an attach never retransmitted). Start replaces a timer still
// in the wheel; the machine drops an expiry earlier than its deadline as
// stale.
func (n *Node) rearmTimers(key supervision.Key, ent *entry) {
	now := time.Now()
	ent.m.RunningTimers(func(id session.TimerID, d time.Time) {
		n.timers.Start(key, uint8(id), max(0, d.Sub(now)))
	})
}
