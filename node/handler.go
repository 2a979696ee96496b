package node

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/session"
	"github.com/lte-mme/mme/store"
	"github.com/lte-mme/mme/supervision"
)

// handler is the node as the supervision.Handler of the subscriber actors:
// it loads a subscriber's machine, runs the step, stores the record and
// only then executes the step's effects (write before speak).
type handler Node

// worker is the per-worker state: the machines of the active subscribers
// handled by that worker (no lock: one goroutine), scratch buffers, and
// the queue that executes effects in order once their record is durable.
type worker struct {
	idx     int
	cache   map[supervision.Key]*entry
	rec     []byte
	effects effectQueue
}

type entry struct {
	m   *session.Machine
	gen uint64 // steps run since loaded (eviction checks)
}

func newWorker(i int) *worker {
	w := &worker{idx: i, cache: make(map[supervision.Key]*entry)}
	w.effects.cond = sync.NewCond(&w.effects.mu)
	return w
}

// Events the node sends to actors besides session events.
type (
	// evictCheck drops the machine from memory if nothing happened since
	// its last durable step made it evictable.
	evictCheck struct{ gen uint64 }
	// forceEvict drops the machine from memory whatever its state (its
	// record could not be stored: the store's is the truth).
	forceEvict struct{}
	// adminGet asks for a view of the subscriber (admin API).
	adminGet struct{ reply chan *SubscriberView }
)

// Handle implements supervision.Handler.
func (h *handler) Handle(worker int, key supervision.Key, ev any) {
	n := (*Node)(h)
	w := n.workers[worker]
	var sev session.Event
	switch e := ev.(type) {
	case evictCheck:
		if ent := w.cache[key]; ent != nil && ent.gen == e.gen && ent.m.Evictable() {
			delete(w.cache, key)
			n.m.cached.Dec()
		}
		return
	case forceEvict:
		if _, ok := w.cache[key]; ok {
			delete(w.cache, key)
			n.m.cached.Dec()
		}
		return
	case *adminGet:
		ent := n.machine(w, key)
		e.reply <- viewOf(ent.m)
		n.maybeEvict(w, key, ent)
		return
	case supervision.TimerExpired:
		sev = &session.TimerExpired{Now: time.Now(), ID: session.TimerID(e.ID), Due: e.Due}
	case session.Event:
		sev = e
	default:
		n.log.Error("node: unknown actor event", "type", fmt.Sprintf("%T", ev))
		return
	}
	ent := n.machine(w, key)
	n.step(w, key, ent, sev)
	if _, ok := sev.(*session.Recovered); ok {
		// restore left this subscriber's timers to its recovered
		// machine: those still running after the step (restore.go).
		n.rearmTimers(key, ent)
	}
}

// machine returns the key's machine: cached, loaded from the store, or new.
func (n *Node) machine(w *worker, key supervision.Key) *entry {
	if ent := w.cache[key]; ent != nil {
		ent.m.SetConfig(n.scfg.Load())
		return ent
	}
	var m *session.Machine
	rec, err := n.records.Get(uint64(key))
	switch {
	case err == nil:
		m, err = session.Load(n.scfg.Load(), n, uint64(key), rec)
		if err != nil {
			// A record this node cannot read: counted and logged; the
			// subscriber starts afresh (its UE will attach again).
			n.m.corrupt.Inc()
			n.log.Error("node: stored record unreadable", "key", uint64(key), "err", err)
			m = nil
		}
	case errors.Is(err, store.ErrNotFound):
	default:
		// The store failing is systemic: crash this step (the supervisor
		// counts it towards the pool's restart intensity).
		panic(fmt.Errorf("node: store get: %w", err))
	}
	if m == nil {
		m = session.New(n.scfg.Load(), n, uint64(key))
	}
	ent := &entry{m: m}
	w.cache[key] = ent
	n.m.cached.Inc()
	return ent
}

// step runs one event and flushes what it produced.
func (n *Node) step(w *worker, key supervision.Key, ent *entry, ev session.Event) {
	emm0, ecm0, _ := ent.m.State()
	if err := ent.m.Step(ev); err != nil {
		n.log.Error("node: step refused an event", "err", err)
		return
	}
	ent.gen++
	emm1, ecm1, _ := ent.m.State()
	n.gauges(emm0, ecm0, emm1, ecm1)
	n.flush(w, key, ent)
}

// gauges keeps the attached and connected UE gauges.
func (n *Node) gauges(emm0 session.EMMState, ecm0 session.ECMState, emm1 session.EMMState, ecm1 session.ECMState) {
	reg0, reg1 := emm0 == session.EMMRegistered, emm1 == session.EMMRegistered
	if reg0 != reg1 {
		if reg1 {
			n.m.attached.Inc()
		} else {
			n.m.attached.Dec()
		}
	}
	c0, c1 := ecm0 == session.ECMConnected, ecm1 == session.ECMConnected
	if c0 != c1 {
		if c1 {
			n.m.connected.Inc()
		} else {
			n.m.connected.Dec()
		}
	}
}

// batch is the effects of one step, executed in order after its record is
// durable.
type batch struct {
	key     supervision.Key
	effects []session.Effect
	// s1 holds, for each SendS1 effect, the encoded PDU and the connection
	// it goes on (resolved when the step ran).
	s1     map[int]s1Out
	ready  bool
	failed bool
	// evictGen is set when the step left the machine evictable: once
	// durable, an evictCheck with this generation drops it from memory.
	evictGen uint64
	evict    bool
	stored   bool // a record with an IMSI became durable (pending IMSI done)
}

type s1Out struct {
	conn *ueConn
	data []byte
	name string
}

// flush implements write before speak: the record goes to the store, and
// the effects run when the store acknowledged it (docs/design/node.md).
func (n *Node) flush(w *worker, key supervision.Key, ent *entry) {
	m := ent.m
	if !m.HasReady() {
		n.maybeEvict(w, key, ent)
		return
	}
	rd := m.Ready()
	n.observe(rd)
	b := &batch{key: key, effects: rd.Effects}
	for i, e := range rd.Effects {
		if s, ok := e.(session.SendS1); ok {
			if out, ok := n.encodeS1(s); ok {
				if b.s1 == nil {
					b.s1 = make(map[int]s1Out)
				}
				b.s1[i] = out
			}
		}
	}
	switch {
	case rd.Delete:
		m.Advance()
		delete(w.cache, key)
		n.m.cached.Dec()
		if err := n.records.Delete(uint64(key)); err != nil && !errors.Is(err, store.ErrNotFound) {
			n.m.persistFailures.Inc()
			n.log.Error("node: delete record", "key", uint64(key), "err", err)
		}
		b.evict = false
		w.effects.push(b)
		w.effects.complete(b, n.execute)
	case rd.Persist:
		imsi, mtmsi, hasGUTI, conn, connected := m.Indexes()
		w.rec = m.AppendRecord(w.rec[:0])
		idx := make([]store.IndexEntry, 0, 4)
		if imsi != "" {
			idx = append(idx, store.IndexEntry{Index: idxIMSI, Value: []byte(imsi)})
			b.stored = true
		}
		if hasGUTI {
			idx = append(idx, store.IndexEntry{Index: idxMTMSI, Value: binary.BigEndian.AppendUint32(nil, mtmsi)})
		}
		if old, ok := m.OldMTMSI(); ok {
			// The old GUTI, valid until the UE confirms the new one: a
			// second M-TMSI entry; the store drops it with the first write
			// without it (Store.Put replaces the entries).
			idx = append(idx, store.IndexEntry{Index: idxMTMSI, Value: binary.BigEndian.AppendUint32(nil, old)})
		}
		if connected {
			idx = append(idx, store.IndexEntry{Index: idxConn, Value: binary.BigEndian.AppendUint32(nil, uint32(conn))})
		}
		m.Advance()
		// Evictable only after Advance: the step's record is then the
		// one being stored (nothing dirty).
		b.evict, b.evictGen = m.Evictable(), ent.gen
		w.effects.push(b)
		n.m.persists.Inc()
		n.records.PutAsync(uint64(key), w.rec, idx, func(err error) {
			if err != nil {
				// Not durable: nothing of the step may be said (write
				// before speak). The machine in memory is ahead of the
				// store: it is dropped so the next event reloads it.
				b.failed = true
				n.m.persistFailures.Inc()
				n.log.Error("node: record not stored; the step's effects are dropped", "key", uint64(key), "err", err)
				_ = n.actors.Send(key, forceEvict{})
			}
			w.effects.complete(b, n.execute)
		})
	default:
		m.Advance()
		b.evict, b.evictGen = m.Evictable(), ent.gen
		w.effects.push(b)
		w.effects.complete(b, n.execute)
	}
}

// maybeEvict drops an idle machine whose state is durable.
func (n *Node) maybeEvict(w *worker, key supervision.Key, ent *entry) {
	if !ent.m.Evictable() {
		return
	}
	if w.effects.idle() {
		delete(w.cache, key)
		n.m.cached.Dec()
		return
	}
	b := &batch{key: key, evict: true, evictGen: ent.gen}
	w.effects.push(b)
	w.effects.complete(b, n.execute)
}

// effectQueue runs batches in the order they were pushed, each once it is
// complete (its record durable). Whoever completes the head drains what is
// ready; one drainer at a time keeps the order.
type effectQueue struct {
	mu       sync.Mutex
	cond     *sync.Cond
	q        []*batch
	draining bool
}

func (q *effectQueue) push(b *batch) {
	q.mu.Lock()
	q.q = append(q.q, b)
	q.mu.Unlock()
}

func (q *effectQueue) complete(b *batch, exec func(*batch)) {
	q.mu.Lock()
	b.ready = true
	if q.draining {
		q.mu.Unlock()
		return
	}
	q.draining = true
	for len(q.q) > 0 && q.q[0].ready {
		head := q.q[0]
		q.q[0] = nil
		q.q = q.q[1:]
		q.mu.Unlock()
		exec(head)
		q.mu.Lock()
	}
	if len(q.q) == 0 {
		q.q = nil // let the backing array go
	}
	q.draining = false
	q.cond.Broadcast()
	q.mu.Unlock()
}

func (q *effectQueue) idle() bool {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.q) == 0 && !q.draining
}

// waitIdle blocks until every pushed batch ran (a restart reloads a
// record only after the earlier writes of its worker are durable).
func (q *effectQueue) waitIdle() {
	q.mu.Lock()
	for len(q.q) > 0 || q.draining {
		q.cond.Wait()
	}
	q.mu.Unlock()
}

// Restart implements supervision.Handler: after a crash of key's step the
// machine is reloaded from its last durable record and its procedure in
// progress fails cleanly (session.Restarted).
func (h *handler) Restart(worker int, key supervision.Key, ev any, rep supervision.CrashReport) {
	n := (*Node)(h)
	w := n.workers[worker]
	conns := n.crashConns(w, key, ev)
	if _, ok := w.cache[key]; ok {
		delete(w.cache, key)
		n.m.cached.Dec()
	}
	w.effects.waitIdle()
	ent := n.machine(w, key)
	n.step(w, key, ent, &session.Restarted{Now: time.Now(), Reason: rep.Reason})
	n.releaseOrphanConns(w, key, conns)
	n.rearmTimers(key, ent)
}

// Quarantine implements supervision.Handler: a subscriber that crashed
// repeatedly is detached locally, without running its machine again: its
// S1 connection is released, its PDN connections deleted at the SGW, its
// timers stopped and its record deleted. The UE attaches again.
func (h *handler) Quarantine(worker int, key supervision.Key, rep supervision.CrashReport) {
	n := (*Node)(h)
	w := n.workers[worker]
	if _, ok := w.cache[key]; ok {
		delete(w.cache, key)
		n.m.cached.Dec()
	}
	w.effects.waitIdle()
	n.timers.StopAll(key)
	rec, err := n.records.Get(uint64(key))
	if err == nil {
		if s, err := session.UnmarshalRecord(rec); err == nil {
			if s.EMM == session.EMMRegistered {
				n.m.attached.Dec()
			}
			if s.ECM == session.ECMConnected {
				n.m.connected.Dec()
				if c := n.conns.get(uint32(s.Conn)); c != nil && c.owner() == key {
					n.releaseConn(c, s1ap.Cause{Choice: s1ap.CauseChoiceNas, Nas: s1ap.CauseNasUnspecified})
				}
			}
			for _, p := range s.PDNs {
				n.deleteSessionUnowned(s.SGW, s.SGWTEID, p.LBI)
			}
			if s.S11TEID != 0 {
				n.s11.ReleaseTEID(s.S11TEID)
			}
		}
	}
	if err := n.records.Delete(uint64(key)); err != nil && !errors.Is(err, store.ErrNotFound) {
		n.log.Error("node: quarantine: delete record", "key", uint64(key), "err", err)
	}
	n.m.quarantined.Inc()
	n.log.Warn("node: subscriber quarantined and detached locally", "key", n.redactKey(key), "reason", rep.Reason)
}

// MTMSI implements session.Allocator: a permuted, never-reused counter.
func (n *Node) MTMSI() uint32 {
	for {
		v, err := n.mtmsis.next()
		if err != nil {
			panic(err) // the store cannot reserve identifiers: systemic
		}
		if m := permute32(uint32(v)); m != 0xffffffff {
			return m
		}
	}
}
