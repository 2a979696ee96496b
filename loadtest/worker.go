package loadtest

import (
	"context"
	"math"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/s1ap/transport"
)

// A worker owns a fixed share of the UEs (index mod the number of
// workers) and runs everything that touches them on one goroutine: the
// S1AP messages the transport hands over for them, their timers and the
// scenario's arrivals. One UE's events are therefore serial, and no lock
// guards UE state.
//
// The loop: wait for a mailbox event or the next 1 ms tick; on an event,
// handle it; on a tick, fire due timers and start the arrivals due.
type worker struct {
	sim  *Sim
	id   int
	now  int64 // ns since the run began, set before each event
	rng  *rand.Rand
	rec  *recorder
	mbox chan event

	wheel    wheel
	conns    []conn // connections of ECM-CONNECTED UEs
	free     []int32
	inflight int // procedures in progress on this worker's UEs

	ph *phaseState // the phase in progress, nil between phases

	// counts are this worker's UEs per EMM state and ECM state (0 idle,
	// 1 connected), refreshed every second for the progress line.
	counts    [emmEnd][2]atomic.Int64
	lastCount int64

	buf     []byte // S1AP encoding scratch
	nasBuf  []byte // NAS encoding scratch
	secBuf  []byte // deciphered NAS scratch
	pduBuf  []byte // protected NAS scratch (an uplink NAS-PDU until it is encoded)
	esmBuf  []byte // ESM container scratch
	ctxPool []*security.Context

	// Reused uplink messages: each is encoded at once by sendUE, so one
	// instance per worker serves every UE.
	ulNAS  s1ap.UplinkNASTransport
	ium    s1ap.InitialUEMessage
	icsRsp s1ap.InitialContextSetupResponse
	icsRes s1ap.ERABSetupListCtxtSURes
	ueCap  s1ap.UECapabilityInfoIndication
	// Reused uplink NAS messages (encoded at once, never kept).
	attachReq nas.AttachRequest
	pdn       nas.PDNConnectivityRequest
}

// eventKind says what a mailbox event carries.
type eventKind uint8

const (
	evS1AP    eventKind = iota + 1 // a UE-associated downlink S1AP message
	evPaging                       // the eNodeB enb heard the UE paged
	evRelease                      // release the UE's S1 connection on link (reset, association lost)
	evPhase                        // start a phase (ph)
	evTrigger                      // a network trigger for ue failed (cause)
)

type event struct {
	kind  eventKind
	ue    uint32
	enb   uint16
	link  uint8
	pdu   *s1ap.PDU
	cause string
	ph    *phaseState
}

// mailboxSize bounds a worker's queue: a burst of one association's
// messages (the transport's reader blocks beyond it, which closes the SCTP
// receive window: backpressure to the MME, not loss).
const mailboxSize = 4096

func newWorker(s *Sim, id int) *worker {
	return &worker{sim: s, id: id, rng: rand.New(rand.NewPCG(uint64(id)+1, s.seed)),
		rec: newRecorder(&s.live), mbox: make(chan event, mailboxSize)}
}

// loop runs until ctx ends. It is the only goroutine touching its UEs.
func (w *worker) loop(ctx context.Context) {
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case ev := <-w.mbox:
			w.now = w.sim.clock()
			w.handle(ev)
		case <-tick.C:
			w.now = w.sim.clock()
			w.tick()
		}
	}
}

// tick fires the timers due and starts the arrivals due.
func (w *worker) tick() {
	w.wheel.advance(w.now/int64(time.Millisecond), w.onTimer)
	if w.ph != nil {
		w.arrivals()
	}
	if w.now-w.lastCount >= w.sim.countEvery {
		w.lastCount = w.now
		w.count()
	}
}

// count publishes this worker's UEs per state.
func (w *worker) count() {
	var n [emmEnd][2]int64
	s := w.sim
	for i := w.id; i < len(s.ues); i += len(s.workers) {
		u := &s.ues[i]
		c := 0
		if u.ecm == ECMConnected {
			c = 1
		}
		n[u.emm][c]++
	}
	for e := range n {
		for c := range n[e] {
			w.counts[e][c].Store(n[e][c])
		}
	}
}

func (w *worker) handle(ev event) {
	switch ev.kind {
	case evS1AP:
		w.onS1AP(ev.ue, ev.link, ev.enb, ev.pdu)
	case evPaging:
		w.onPaging(ev.ue, ev.enb)
	case evRelease:
		w.onLinkRelease(ev.ue, ev.link, ev.enb, ev.cause)
	case evPhase:
		w.startPhase(ev.ph)
	case evTrigger:
		u := &w.sim.ues[ev.ue]
		if u.proc == ProcPaging || u.proc == ProcDedicatedBearer {
			w.fail(ev.ue, ev.cause)
		}
	}
}

// --- connections ---

// conn is a connected UE: its live NAS security context and the eNodeB's
// UE-associated logical S1 connection (TS 36.413 §3.1), kept apart from
// the UE record the way an eNodeB's context is apart from the UE's.
type conn struct {
	used    bool
	ue      uint32
	enb     uint16 // serving eNodeB
	cell    uint8
	link    uint8 // MME of the pool (index)
	hasMME  bool
	mmeUEID uint32
	secure  bool // secure exchange of NAS messages established (TS 24.301 §4.4.4.2)

	sec *security.Context // current EPS security context, nil before one exists

	// EPS-AKA result waiting for its SECURITY MODE COMMAND.
	kasme   [32]byte
	ksi     uint8
	haveAKA bool

	// AS security (TS 33.401 §7.2.8): K_eNB from the MME and the UE's own
	// derivation window, NH chain.
	kenb     [32]byte
	nh       [32]byte
	ncc      uint8
	haveKeNB bool
	ulFirst  security.Count // first uplink COUNT of the context in use
	trigger  security.Count // uplink COUNT of the initial NAS message (A.3)

	erabs      [8]erab
	nErabs     uint8
	lastAct    int64 // last signalling (for inactivity)
	pendingRel bool  // being released: UE CONTEXT RELEASE REQUEST sent, or a TAU from ECM-IDLE done (the MME releases)
	tauIdle    bool  // set up by a TAU from ECM-IDLE without the active flag
	ho         hoState
	ueCapSent  bool
}

// erab is one E-RAB as the eNodeB holds it (TS 36.413 §9.1.3.1): the
// SGW's uplink F-TEID and the eNodeB's downlink one.
type erab struct {
	id      uint8
	sgwAddr [16]byte
	sgwLen  uint8 // address length in bits (32 IPv4, 128 IPv6)
	sgwTEID [4]byte
	enbTEID [4]byte
	qci     uint8
}

func (w *worker) newConn(ue uint32, enb uint16, cellIdx uint8, link uint8) (*conn, int32) {
	var i int32
	if n := len(w.free); n > 0 {
		i = w.free[n-1]
		w.free = w.free[:n-1]
	} else {
		w.conns = append(w.conns, conn{})
		i = int32(len(w.conns) - 1)
	}
	c := &w.conns[i]
	*c = conn{used: true, ue: ue, enb: enb, cell: cellIdx, link: link, lastAct: w.now}
	return c, i
}

func (w *worker) connOf(u *UE) *conn {
	if u.conn < 0 {
		return nil
	}
	return &w.conns[u.conn]
}

// loadSecurity makes the UE's stored native context the connection's
// current one (TS 24.301 §4.4.2.3: it stays current across idle).
func (w *worker) loadSecurity(u *UE, c *conn) bool {
	if u.flags&hasSecurity == 0 {
		return false
	}
	var ctx *security.Context
	if n := len(w.ctxPool); n > 0 {
		ctx = w.ctxPool[n-1]
		w.ctxPool = w.ctxPool[:n-1]
	} else {
		ctx = new(security.Context)
	}
	if err := ctx.UnmarshalBinary(u.sec[:]); err != nil {
		w.sim.countError("loadtest: stored security context: " + err.Error())
		u.flags &^= hasSecurity
		return false
	}
	c.sec = ctx
	return true
}

// recycle keeps a released security context for reuse by loadSecurity;
// the pool is bounded (contexts are about 1 KB: an idle UE keeps only
// the 44-octet stored form).
func (w *worker) recycle(ctx *security.Context) {
	if len(w.ctxPool) < 64 {
		w.ctxPool = append(w.ctxPool, ctx)
	}
}

// storeSecurity keeps the connection's current context in the UE record.
func (w *worker) storeSecurity(u *UE, c *conn) {
	if c.sec == nil {
		return
	}
	b, err := c.sec.AppendBinary(u.sec[:0])
	if err != nil || len(b) != len(u.sec) {
		return
	}
	u.flags |= hasSecurity
}

// releaseLocal ends the UE's S1 connection on this side (after UE CONTEXT
// RELEASE COMMAND, a reset or a lost association): the UE goes ECM-IDLE,
// keeps its context, and runs T3412 when registered (TS 24.301 §5.3.5).
func (w *worker) releaseLocal(ue uint32) {
	u := &w.sim.ues[ue]
	c := w.connOf(u)
	if c == nil {
		return
	}
	w.storeSecurity(u, c)
	if c.sec != nil {
		w.recycle(c.sec)
	}
	if c.hasMME {
		w.sim.enbs[c.enb].links[c.link].byMMEID.del(c.mmeUEID, ue)
	}
	w.sim.dropHandover(ue, c)
	*c = conn{}
	w.free = append(w.free, u.conn)
	u.conn = -1
	u.ecm = ECMIdle
	w.stopTimer(u, slotIdle)
	if u.emm == EMMRegistered && u.t3412 > 0 {
		w.startTimer(ue, slotIdle, tT3412, time.Duration(u.t3412)*time.Second)
	}
}

// --- timers ---

func (w *worker) startTimer(ue uint32, slot int, k timerKind, d time.Duration) {
	u := &w.sim.ues[ue]
	u.gen[slot]++
	u.tkind[slot] = k
	at := (w.now + int64(d)) / int64(time.Millisecond)
	w.wheel.add(timerEntry{at: at, ue: ue, gen: u.gen[slot], slot: uint8(slot)})
}

func (w *worker) stopTimer(u *UE, slot int) {
	if u.tkind[slot] != tNone {
		u.gen[slot]++
		u.tkind[slot] = tNone
	}
}

func (w *worker) running(u *UE, slot int, k timerKind) bool { return u.tkind[slot] == k }

func (w *worker) onTimer(e timerEntry) {
	u := &w.sim.ues[e.ue]
	if u.gen[e.slot] != e.gen || u.tkind[e.slot] == tNone {
		return // stopped or restarted
	}
	k := u.tkind[e.slot]
	u.tkind[e.slot] = tNone
	w.onExpiry(e.ue, k)
}

// --- procedures ---

// begin starts procedure p on a UE (counting an attempt).
func (w *worker) begin(ue uint32, p Procedure) {
	u := &w.sim.ues[ue]
	if u.proc == 0 {
		w.inflight++
	}
	u.proc = p
	u.procStart = w.now
	w.rec.attempt(p, w.now)
}

// succeed ends the UE's procedure successfully; a procedure queued behind
// it (after a service request) starts.
func (w *worker) succeed(ue uint32) {
	u := &w.sim.ues[ue]
	if u.proc == 0 {
		return
	}
	w.rec.success(u.proc, u.procStart, w.now)
	w.done(ue)
}

// fail ends the UE's procedure with a cause.
func (w *worker) fail(ue uint32, cause string) {
	u := &w.sim.ues[ue]
	if u.proc == 0 {
		return
	}
	w.rec.failure(u.proc, cause, w.now)
	u.next = 0
	w.done(ue)
}

func (w *worker) done(ue uint32) {
	u := &w.sim.ues[ue]
	u.proc = 0
	w.inflight--
	w.stopTimer(u, slotGuard)
	w.stopTimer(u, slotAux)
	if u.emm == EMMServiceRequestInitiated || u.emm == EMMTrackingAreaUpdatingInitiated {
		u.emm = EMMRegistered
	}
	if c := w.connOf(u); c != nil {
		c.lastAct = w.now
		w.armInactivity(ue, u)
	}
	if next := u.next; next != 0 {
		if next == ProcX2Handover || next == ProcS1Handover {
			// The UE connected (a service request) to be handed over:
			// the radio side comes first (tHOPrep); u.next keeps it,
			// and the phase waits for it as for a procedure.
			w.inflight++
			w.startTimer(ue, slotGuard, tHOPrep, w.sim.timer(tHOPrep))
			return
		}
		u.next = 0
		w.start(ue, next)
	}
}

// armInactivity starts the eNodeB's user inactivity timer of the UE's
// profile (none when 0).
func (w *worker) armInactivity(ue uint32, u *UE) {
	if d := w.sim.profiles[u.profile].inactivity; d > 0 && u.conn >= 0 {
		w.startTimer(ue, slotIdle, tInactivity, d)
	}
}

// --- sending ---

// sendUE sends a UE-associated message on the UE's link, on the stream
// pinned to the UE (TS 36.412 §7), tracing it.
func (w *worker) sendUE(ue uint32, c *conn, m s1ap.Message, plain nas.Message) {
	l := w.sim.enbs[c.enb].links[c.link]
	w.sendOn(ue, l, m, plain)
}

func (w *worker) sendOn(ue uint32, l *link, m s1ap.Message, plain nas.Message) {
	var err error
	w.buf, err = s1ap.AppendEncode(w.buf[:0], m)
	if err != nil {
		w.sim.countError("loadtest: encode " + m.MessageName() + ": " + err.Error())
		return
	}
	if t := w.sim.ueTrace(ue); t != nil {
		t.add(traceFromS1AP("ul", m).withNAS(plain))
	}
	stream := transport.StreamForUE(uint64(ue), l.outStream)
	if err := l.out.Send(stream, transport.S1APPPID, w.buf); err != nil {
		w.sim.countError("s1: send " + m.MessageName() + ": " + err.Error())
	}
}

// encodeNAS encodes a plain NAS message into the worker's scratch.
func (w *worker) encodeNAS(m nas.Message) []byte {
	b, err := nas.AppendEncode(w.nasBuf[:0], m)
	if err != nil {
		w.sim.countError("loadtest: encode NAS " + nasName(m) + ": " + err.Error())
		return nil
	}
	w.nasBuf = b
	return b
}

// protectNAS returns the NAS-PDU for plain message m: security protected
// with the connection's current context when one is in use (ciphered
// unless initial, TS 24.301 §4.4.5), plain otherwise. The result is the
// worker's scratch: valid until the next call (it is encoded into an S1AP
// message at once).
func (w *worker) protectNAS(c *conn, m nas.Message, initial bool) []byte {
	plain := w.encodeNAS(m)
	if plain == nil {
		return nil
	}
	if c.sec == nil || (!c.secure && !initial) {
		return plain
	}
	sht := nas.IntegrityProtectedCiphered
	if initial {
		sht = nas.IntegrityProtected
	}
	return w.protectWith(c.sec, plain, sht)
}

// protectWith protects plain into the worker's PDU scratch.
func (w *worker) protectWith(ctx *security.Context, plain []byte, sht nas.SecurityHeaderType) []byte {
	out, err := ctx.Protect(w.pduBuf[:0], plain, sht)
	if err != nil {
		w.sim.countError("loadtest: protect: " + err.Error())
		return nil
	}
	w.pduBuf = out[:0]
	return out
}

// sendNAS sends an uplink NAS message of a connected UE in UPLINK NAS
// TRANSPORT (TS 36.413 §8.6.2.3).
func (w *worker) sendNAS(ue uint32, c *conn, m nas.Message) {
	pdu := w.protectNAS(c, m, false)
	if pdu == nil {
		return
	}
	w.sendUE(ue, c, w.uplinkNAS(c, pdu), m)
}

func (w *worker) uplinkNAS(c *conn, pdu []byte) *s1ap.UplinkNASTransport {
	e := w.sim.enbs[c.enb]
	w.ulNAS = s1ap.UplinkNASTransport{MMEUES1APID: s1ap.MMEUES1APID(c.mmeUEID), ENBUES1APID: s1ap.ENBUES1APID(c.ue),
		NASPDU: pdu, EUTRANCGI: w.sim.ecgi(e, c.cell), TAI: w.sim.tai(e, c.cell)}
	return &w.ulNAS
}

// --- arrivals ---

// phaseState is a phase as one worker runs it.
type phaseState struct {
	ph        *Phase
	procs     []Procedure
	cum       []float64 // cumulative weights
	quota     int64     // procedures this worker may start, -1 unbounded
	rate      float64   // this worker's arrival rate per second
	start     int64
	end       int64 // arrivals stop (ns), math.MaxInt64 none
	settle    int64
	started   int64
	nextAt    float64 // ns of the next arrival
	cursor    int     // scan position among this worker's UEs
	exhausted bool    // no eligible UE is left for a count "all" phase
	revisit   bool    // the walk passed busy UEs: walk again later
	revisitBy int64   // revisits end (ns), 0 before the first
	finished  bool
	done      chan<- int // this worker's id when its part is over
	skipped   int64
}

func (w *worker) startPhase(ps *phaseState) {
	ps.start = w.now
	if ps.ph.Duration > 0 {
		ps.end = w.now + int64(ps.ph.Duration)
	} else {
		ps.end = math.MaxInt64
	}
	ps.nextAt = float64(w.now) + w.interarrival(ps, 0)
	ps.cursor = w.id
	w.ph = ps
	w.arrivals()
}

// revisitEnd is when a count "all" phase stops walking again for busy
// UEs: its settle time after the first walk ended.
func (ps *phaseState) revisitEnd(now int64) int64 {
	if ps.revisitBy == 0 {
		ps.revisitBy = now + int64(ps.ph.Settle)
	}
	return ps.revisitBy
}

// interarrival returns the time to the next arrival in ns at the current
// rate (ramped linearly over Phase.Ramp): exponential for Poisson
// arrivals, constant for fixed.
func (w *worker) interarrival(ps *phaseState, elapsed int64) float64 {
	rate := ps.rate
	if r := int64(ps.ph.Ramp); r > 0 && elapsed < r {
		rate *= math.Max(float64(elapsed)/float64(r), 0.01)
	}
	if rate <= 0 {
		return math.Inf(1)
	}
	mean := 1e9 / rate
	if ps.ph.Arrival == "fixed" {
		return mean
	}
	return w.rng.ExpFloat64() * mean
}

// arrivals starts every arrival due by now (open loop: the schedule does
// not wait for procedures to finish).
func (w *worker) arrivals() {
	ps := w.ph
	for !ps.finished && !ps.exhausted && ps.nextAt <= float64(w.now) && float64(ps.end) > ps.nextAt &&
		(ps.quota < 0 || ps.started < ps.quota) {
		p := ps.procs[0]
		if len(ps.procs) > 1 {
			x := w.rng.Float64() * ps.cum[len(ps.cum)-1]
			for i, c := range ps.cum {
				if x < c {
					p = ps.procs[i]
					break
				}
			}
		}
		ps.started++
		if ue, ok := w.pick(ps, p); ok {
			w.start(ue, p)
		} else if ps.quota >= 0 && len(ps.procs) == 1 && ps.revisit && w.now < ps.revisitEnd(w.now) {
			// Some UEs were busy (a background procedure: inactivity
			// release, periodic TAU; a release the MME owes): walk them
			// again in 10 ms, for at most the phase's settle time.
			ps.started--
			ps.revisit = false
			ps.cursor = w.id
			ps.nextAt = float64(w.now) + float64(10*time.Millisecond)
			continue
		} else if ps.quota >= 0 && len(ps.procs) == 1 {
			ps.exhausted = true
		} else {
			ps.skipped++
			w.sim.countError("loadtest: no UE in a state for " + p.String())
		}
		ps.nextAt += w.interarrival(ps, int64(ps.nextAt)-ps.start)
	}
	arrivalsOver := ps.exhausted || float64(ps.end) <= ps.nextAt && w.now >= ps.end ||
		ps.quota >= 0 && ps.started >= ps.quota || math.IsInf(ps.nextAt, 1)
	if arrivalsOver && !ps.finished {
		if ps.settle == 0 {
			ps.settle = w.now + int64(ps.ph.Settle)
		}
		if w.inflight == 0 && (ps.ph.Name != "drain" || w.awaitingRelease() == 0) || w.now >= ps.settle {
			ps.finished = true
			ps.done <- w.id
			w.ph = nil
		}
	}
}

// awaitingRelease counts connections of deregistered UEs: the MME owes
// them a UE CONTEXT RELEASE COMMAND (after a detach, a reject, an initial
// context setup failure).
func (w *worker) awaitingRelease() int {
	n := 0
	for i := range w.conns {
		c := &w.conns[i]
		if c.used && w.sim.ues[c.ue].conn == int32(i) && w.sim.ues[c.ue].emm == EMMDeregistered {
			n++
		}
	}
	return n
}

// mixQuiet is how long a connected UE's connection must have carried no
// signalling before a mix picks it (pick).
const mixQuiet = 500 * time.Millisecond

// pick finds one of this worker's UEs in a state to run p.
func (w *worker) pick(ps *phaseState, p Procedure) (uint32, bool) {
	s := w.sim
	n := len(s.ues)
	nw := len(s.workers)
	mine := (n - w.id + nw - 1) / nw // UEs of this worker
	if mine <= 0 {
		return 0, false
	}
	ok := func(i int) bool { return w.eligible(&s.ues[i], p, ps.ph) }
	if ps.quota >= 0 && len(ps.procs) == 1 {
		// "count: all"-style phases walk the UEs in order: each UE once.
		for ; ps.cursor < n; ps.cursor += nw {
			if ok(ps.cursor) {
				i := ps.cursor
				ps.cursor += nw
				return uint32(i), true
			}
			u := &s.ues[ps.cursor]
			if c := w.connOf(u); u.proc != 0 && u.proc != p || u.next != 0 || c != nil && c.pendingRel {
				// Busy with another procedure (one the UE or its eNodeB
				// started on their own): it ends within its guard.
				ps.revisit = true
			}
		}
		return 0, false
	}
	// A mix picks a connected UE only once its connection has been quiet
	// for mixQuiet: the UE's side of a procedure ends before the MME's
	// (at INITIAL CONTEXT SETUP RESPONSE the MME still waits for the SGW;
	// after ACTIVATE DEFAULT EPS BEARER CONTEXT ACCEPT too), and a real
	// user's next action does not come in the same millisecond.
	ok = func(i int) bool {
		u := &s.ues[i]
		c := w.connOf(u)
		return w.eligible(u, p, ps.ph) && (c == nil || w.now-c.lastAct >= int64(mixQuiet))
	}
	for try := 0; try < 16; try++ {
		i := w.id + nw*w.rng.IntN(mine)
		if ok(i) {
			return uint32(i), true
		}
	}
	start := w.rng.IntN(mine)
	for k := 0; k < min(mine, 4096); k++ {
		i := w.id + nw*((start+k)%mine)
		if ok(i) {
			return uint32(i), true
		}
	}
	return 0, false
}

// eligible reports whether u can start p now.
func (w *worker) eligible(u *UE, p Procedure, ph *Phase) bool {
	if u.proc != 0 || u.next != 0 {
		return false
	}
	if k := u.tkind[slotGuard]; k != tNone && !(p == ProcDetach && (k == tT3411 || k == tT3402)) {
		// A UE waiting to retry a rejected TAU (#22 congestion, T3411 or
		// T3402) may still detach (TS 24.301 §5.5.2.2.1); without this the
		// detach phase skipped it and the run ended with UEs registered.
		return false
	}
	if c := w.connOf(u); c != nil && c.pendingRel {
		// The connection is going: the UE waits for the release (TS
		// 24.301 §5.5.3.2.4: after a TAU without the active flag the
		// network releases the NAS signalling connection).
		return false
	}
	switch p {
	case ProcAttach:
		return u.emm == EMMDeregistered || ph.Reattach && u.emm == EMMRegistered && u.conn < 0
	case ProcX2Handover, ProcS1Handover:
		// A connected UE is handed over only with its E-RABs up (not,
		// e.g., between a TAU ACCEPT and the release that follows it);
		// an idle one connects first.
		if u.emm != EMMRegistered {
			return false
		}
		if c := w.connOf(u); c != nil {
			return c.hasMME && c.nErabs > 0 && !c.pendingRel && !c.ho.active
		}
		return true
	case ProcDetach, ProcS1Release:
		return u.emm == EMMRegistered
	case ProcDedicatedBearer:
		// An idle UE is paged for it; a connected one gets its E-RAB
		// SETUP once the MME knows its connection (a handover or release
		// in progress at the MME is answered #110, and the SGW emulator
		// re-attempts).
		if u.emm != EMMRegistered {
			return false
		}
		if c := w.connOf(u); c != nil {
			return c.hasMME
		}
		return true
	case ProcTAU, ProcPeriodicTAU:
		return u.emm == EMMRegistered && u.flags&hasSecurity != 0 || u.emm == EMMRegistered && u.conn < 0
	case ProcServiceRequest, ProcExtendedServiceRequest, ProcPaging:
		return u.emm == EMMRegistered && u.conn < 0 && u.flags&hasSecurity != 0
	case ProcPDNConnect:
		return u.emm == EMMRegistered && u.flags&auxSecondPDN == 0
	case ProcPDNDisconnect:
		return u.emm == EMMRegistered && u.flags&auxSecondPDN != 0
	}
	return false
}

// start runs procedure p on a UE the arrival process (or a chain) picked.
func (w *worker) start(ue uint32, p Procedure) {
	u := &w.sim.ues[ue]
	if p.needsConnected() && u.conn < 0 {
		// Connect first with a service request (TS 24.301 §5.6.1.1: the
		// UE in EMM-IDLE with pending uplink signalling).
		u.next = p
		w.startServiceRequest(ue, ProcServiceRequest, s1ap.RRCEstablishmentCauseMoSignalling)
		return
	}
	switch p {
	case ProcAttach:
		w.startAttach(ue)
	case ProcDetach:
		w.startDetach(ue)
	case ProcTAU:
		w.startTAU(ue, ProcTAU)
	case ProcPeriodicTAU:
		w.startTAU(ue, ProcPeriodicTAU)
	case ProcServiceRequest, ProcExtendedServiceRequest:
		w.startServiceRequest(ue, p, s1ap.RRCEstablishmentCauseMoData)
	case ProcPaging, ProcDedicatedBearer:
		w.startNetworkTriggered(ue, p)
	case ProcX2Handover:
		w.startX2Handover(ue)
	case ProcS1Handover:
		w.startS1Handover(ue)
	case ProcS1Release:
		w.startS1Release(ue, ProcS1Release)
	case ProcPDNConnect:
		w.startPDNConnect(ue)
	case ProcPDNDisconnect:
		w.startPDNDisconnect(ue)
	}
}
