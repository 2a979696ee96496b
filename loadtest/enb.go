package loadtest

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"

	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/s1ap/transport"
)

// uplink sends S1AP messages towards one MME: a *transport.Association in
// a run, an in-process pipe in tests and benchmarks.
type uplink interface {
	Send(stream uint16, ppid uint32, data []byte) error
}

// cell is one E-UTRAN cell of an eNodeB (TS 36.300 §8.2: ECGI = PLMN +
// 28-bit cell identity, 20 bits of eNB ID and 8 of cell).
type cell struct {
	eci uint32 // E-UTRAN cell identity (28 bits)
	tac uint16
	tai uint8 // index of the TAI in the run's TAI table
}

// enb is one simulated eNodeB: its identity, cells and S1 links (one per
// MME of the pool, S1-flex, TS 23.401 §4.3.7.2).
type enb struct {
	idx   uint16
	id    uint32  // macro eNB ID (20 bits, TS 36.413 §9.2.1.37)
	plmn  [3]byte // PLMN of the Global eNB ID
	cells []cell
	links []*link
	// rng picks among MMEs (NNSF); used by the workers under mu.
	mu  sync.Mutex
	rng *rand.Rand
}

// link is one eNodeB's S1 association with one MME (TS 36.412 §7) and what
// S1 Setup told about that MME (TS 36.413 §8.7.3.2).
type link struct {
	sim *Sim
	enb *enb
	mme uint8 // index of the MME in the pool (Config.Targets)

	out       uplink
	outStream uint16 // negotiated outbound streams
	up        atomic.Bool
	// overload is the Overload Action of the MME's OVERLOAD START (TS
	// 36.413 §8.7.6), 0 after OVERLOAD STOP.
	overload atomic.Uint32

	mu       sync.Mutex
	served   []servedGUMMEI
	capacity uint8
	name     string

	setupDone chan *s1ap.PDU // S1 Setup Response/Failure (size 1: one setup at a time)
	resetDone chan *s1ap.PDU // Reset Acknowledge

	// byMMEID finds a UE from its MME-UE-S1AP-ID for messages that carry
	// only that (UE CONTEXT RELEASE COMMAND with mME-UE-S1AP-ID).
	byMMEID shardedIndex

	trace *traceLog // non-UE signalling, when tracing
}

// servedGUMMEI is one ServedGUMMEIsItem (TS 36.413 §9.1.8.5).
type servedGUMMEI struct {
	plmns  [][3]byte
	groups []uint16
	codes  []uint8
}

func (l *link) serves(mmegi uint16, mmec uint8) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, g := range l.served {
		var gOK, cOK bool
		for _, v := range g.groups {
			gOK = gOK || v == mmegi
		}
		for _, v := range g.codes {
			cOK = cOK || v == mmec
		}
		if gOK && cOK {
			return true
		}
	}
	return false
}

// firstGUMMEI returns the first served PLMN, MMEGI and MMEC (for a GUTI the
// MME never allocated, as TC_s1ap_tau_unknown_guti builds).
func (l *link) firstGUMMEI() (plmn [3]byte, mmegi uint16, mmec uint8, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, g := range l.served {
		if len(g.plmns) > 0 && len(g.groups) > 0 && len(g.codes) > 0 {
			return g.plmns[0], g.groups[0], g.codes[0], true
		}
	}
	return plmn, 0, 0, false
}

func (l *link) setServed(s s1ap.ServedGUMMEIs, capacity s1ap.RelativeMMECapacity, name string) {
	served := make([]servedGUMMEI, 0, len(s))
	for _, it := range s {
		var g servedGUMMEI
		for _, p := range it.ServedPLMNs {
			g.plmns = append(g.plmns, [3]byte(p))
		}
		for _, id := range it.ServedGroupIDs {
			g.groups = append(g.groups, uint16(id[0])<<8|uint16(id[1]))
		}
		for _, c := range it.ServedMMECs {
			g.codes = append(g.codes, c[0])
		}
		served = append(served, g)
	}
	l.mu.Lock()
	l.served, l.capacity, l.name = served, uint8(capacity), name
	l.mu.Unlock()
}

// selectLink is the eNodeB's NAS node selection function (TS 23.401
// §4.3.7.2, TS 36.410 §5.3, TS 36.300 §19.2.1.8): a UE with an S-TMSI whose
// MMEC an MME of the pool serves goes to that MME; any other initial
// message goes to an MME picked at random weighted by the Relative MME
// Capacity it announced in S1 Setup. MMEs whose association is down, or
// that asked for overload reduction, are skipped, so UEs re-route when an
// MME goes away. nil when no MME is reachable.
func (e *enb) selectLink(hasSTMSI bool, mmegi uint16, mmec uint8, cause s1ap.RRCEstablishmentCause) *link {
	if hasSTMSI {
		for _, l := range e.links {
			if l.up.Load() && l.serves(mmegi, mmec) {
				if overloadRefuses(s1ap.OverloadAction(l.overload.Load()), cause) {
					return nil // the UE's MME asked to refuse it (no re-route)
				}
				return l
			}
		}
	}
	var total int
	var cands [16]*link
	n := 0
	for _, l := range e.links {
		if !l.up.Load() || overloadRefuses(s1ap.OverloadAction(l.overload.Load()), cause) || n == len(cands) {
			continue
		}
		cands[n] = l
		n++
		l.mu.Lock()
		total += int(l.capacity)
		l.mu.Unlock()
	}
	if n == 0 {
		return nil
	}
	if total == 0 {
		// TS 23.401 §4.3.7.2: capacity 0 asks for no new UEs; with no
		// other MME left, spread evenly rather than refuse service.
		e.mu.Lock()
		i := e.rng.IntN(n)
		e.mu.Unlock()
		return cands[i]
	}
	e.mu.Lock()
	r := e.rng.IntN(total)
	e.mu.Unlock()
	for _, l := range cands[:n] {
		l.mu.Lock()
		c := int(l.capacity)
		l.mu.Unlock()
		if r < c {
			return l
		}
		r -= c
	}
	return cands[n-1]
}

// send encodes m into a fresh buffer and sends it on stream (non-UE
// signalling: stream 0).
func (l *link) send(stream uint16, m s1ap.Message) error {
	b, err := s1ap.Encode(m)
	if err != nil {
		return fmt.Errorf("loadtest: encode %s: %w", m.MessageName(), err)
	}
	if l.trace != nil {
		l.trace.add(traceFromS1AP("ul", m))
	}
	return l.out.Send(stream, transport.S1APPPID, b)
}

// overloaded reports whether an MME the eNodeB is associated with is in
// overload (OVERLOAD START).
func (e *enb) overloaded() bool {
	for _, l := range e.links {
		if l.up.Load() && l.overload.Load() != 0 {
			return true
		}
	}
	return false
}

// overloadRefuses reports whether an eNodeB under the Overload Action a
// refuses an RRC connection established with cause c (TS 36.413
// §9.2.3.20, TS 36.331 §5.3.3.3: the RRC establishment causes each action
// rejects or permits); a is 0 when the MME is not in overload.
func overloadRefuses(a s1ap.OverloadAction, c s1ap.RRCEstablishmentCause) bool {
	switch a {
	case 0:
		return false
	case s1ap.OverloadActionRejectNonEmergencyMoDt:
		return c == s1ap.RRCEstablishmentCauseMoData || c == s1ap.RRCEstablishmentCauseDelayTolerantAccess
	case s1ap.OverloadActionRejectRrcCrSignalling:
		return c == s1ap.RRCEstablishmentCauseMoData || c == s1ap.RRCEstablishmentCauseMoSignalling ||
			c == s1ap.RRCEstablishmentCauseDelayTolerantAccess
	case s1ap.OverloadActionPermitEmergencySessionsAndMobileTerminatedServicesOnly:
		return c != s1ap.RRCEstablishmentCauseEmergency && c != s1ap.RRCEstablishmentCauseMtAccess
	case s1ap.OverloadActionPermitHighPrioritySessionsAndMobileTerminatedServicesOnly,
		s1ap.OverloadActionPermitHighPrioritySessionsAndExceptionReportingAndMobileTerminatedServicesOnly:
		return c != s1ap.RRCEstablishmentCauseHighPriorityAccess && c != s1ap.RRCEstablishmentCauseMtAccess
	case s1ap.OverloadActionRejectDelayTolerantAccess:
		return c == s1ap.RRCEstablishmentCauseDelayTolerantAccess
	}
	return true // an action this eNodeB does not know: be safe
}

// shardedIndex maps a 32-bit identifier (an M-TMSI, an MME-UE-S1AP-ID) to
// a UE index. Values have no pointers, so a million entries cost no GC
// scanning; sharding keeps the locks cold.
type shardedIndex struct {
	shards [64]struct {
		mu sync.Mutex
		m  map[uint32]uint32
	}
}

func (x *shardedIndex) put(k, ue uint32) {
	s := &x.shards[k%64]
	s.mu.Lock()
	if s.m == nil {
		s.m = make(map[uint32]uint32)
	}
	s.m[k] = ue
	s.mu.Unlock()
}

func (x *shardedIndex) get(k uint32) (uint32, bool) {
	s := &x.shards[k%64]
	s.mu.Lock()
	ue, ok := s.m[k]
	s.mu.Unlock()
	return ue, ok
}

// del removes k if it still maps to ue.
func (x *shardedIndex) del(k, ue uint32) {
	s := &x.shards[k%64]
	s.mu.Lock()
	if v, ok := s.m[k]; ok && v == ue {
		delete(s.m, k)
	}
	s.mu.Unlock()
}

// HandleEvent implements transport.Handler: a lost association releases
// every UE-associated logical S1 connection over it (TS 36.413 §8.7.1.1
// applies the same to a restart), and the UEs go ECM-IDLE.
func (l *link) HandleEvent(ev transport.Event) {
	switch ev.Kind {
	case transport.EventDown:
		l.up.Store(false)
		l.sim.linkLost(l, "s1_link_down")
	case transport.EventRestart:
		l.up.Store(false)
		l.sim.linkLost(l, "s1_link_restart")
		l.sim.resetup(l)
	}
}

// HandleMessage implements transport.Handler: decode (strict), answer what
// belongs to the eNodeB as a whole, hand UE-associated messages to the
// UE's worker.
func (l *link) HandleMessage(_ *transport.Association, m transport.Message) {
	if m.PPID != transport.S1APPPID {
		l.sim.countError("s1ap: message with PPID " + fmt.Sprint(m.PPID))
		return
	}
	l.deliver(bytes.Clone(m.Data)) // the PDU outlives the call: own the bytes
}

// deliver decodes one downlink S1AP message and dispatches it. data is not
// modified afterwards (the PDU aliases it).
func (l *link) deliver(data []byte) {
	s := l.sim
	pdu, err := s1ap.Decode(data)
	if err != nil {
		var pe *s1ap.ProtocolError
		if !errors.As(err, &pe) || pdu == nil {
			// TS 36.413 §10.2: a transfer syntax error is answered with
			// ERROR INDICATION (protocol cause transfer-syntax-error).
			s.countError("s1ap: undecodable PDU from the MME")
			_ = l.send(0, &s1ap.ErrorIndication{Cause: s1ap.Some(s1ap.Cause{Choice: s1ap.CauseChoiceProtocol,
				Protocol: s1ap.CauseProtocolTransferSyntaxError})})
			return
		}
		s.countError("s1ap: " + pe.Error())
		if pe.Action() == s1ap.ActionReject {
			return // §10.3.4: reject the procedure; the UE's guard timer ends it
		}
	}
	if l.trace != nil && !ueAssociated(pdu.Message) {
		l.trace.add(traceFromS1AP("dl", pdu.Message))
	}
	switch msg := pdu.Message.(type) {
	case *s1ap.S1SetupResponse, *s1ap.S1SetupFailure:
		select {
		case l.setupDone <- pdu:
		default:
			s.countError("s1ap: unsolicited " + msg.MessageName())
		}
	case *s1ap.ResetAcknowledge:
		select {
		case l.resetDone <- pdu:
		default:
			s.countError("s1ap: unsolicited ResetAcknowledge")
		}
	case *s1ap.Reset:
		l.onReset(msg)
	case *s1ap.Paging:
		s.onPaging(l, msg)
	case *s1ap.MMEConfigurationUpdate:
		// TS 36.413 §8.7.5.2: take the new served GUMMEIs and capacity,
		// then acknowledge.
		l.mu.Lock()
		served, capacity, name := l.served, l.capacity, l.name
		l.mu.Unlock()
		if v, ok := msg.RelativeMMECapacity.Get(); ok {
			capacity = uint8(v)
		}
		if v, ok := msg.MMEname.Get(); ok {
			name = string(v)
		}
		if v, ok := msg.ServedGUMMEIs.Get(); ok {
			l.setServed(v, s1ap.RelativeMMECapacity(capacity), name)
		} else {
			l.mu.Lock()
			l.served, l.capacity, l.name = served, capacity, name
			l.mu.Unlock()
		}
		_ = l.send(0, &s1ap.MMEConfigurationUpdateAcknowledge{})
	case *s1ap.OverloadStart:
		// TS 36.413 §8.7.6.2: reduce the signalling load as the Overload
		// Action says (steer new UEs elsewhere or refuse them).
		a := s1ap.OverloadActionRejectNonEmergencyMoDt
		if msg.OverloadResponse.Choice == s1ap.OverloadResponseChoiceOverloadAction {
			a = msg.OverloadResponse.OverloadAction
		}
		l.overload.Store(uint32(a))
	case *s1ap.OverloadStop:
		l.overload.Store(0)
	case *s1ap.ErrorIndication:
		if id, ok := msg.ENBUES1APID.Get(); ok {
			s.dispatchUE(l, uint32(id), pdu)
			return
		}
		if id, ok := msg.MMEUES1APID.Get(); ok {
			if ue, ok := l.byMMEID.get(uint32(id)); ok {
				s.dispatchUE(l, ue, pdu)
				return
			}
		}
		s.countError("s1ap: ErrorIndication from the MME: " + causeString(msg.Cause.Value))
	case *s1ap.HandoverRequest:
		s.onHandoverRequest(l, pdu, msg)
	case *s1ap.UEContextReleaseCommand:
		switch msg.UES1APIDs.Choice {
		case s1ap.UES1APIDsChoiceUES1APIDPair:
			s.dispatchUE(l, uint32(msg.UES1APIDs.UES1APIDPair.ENBUES1APID), pdu)
		default:
			id := uint32(msg.UES1APIDs.MMEUES1APID)
			if ue, ok := l.byMMEID.get(id); ok {
				s.dispatchUE(l, ue, pdu)
				return
			}
			// TS 36.413 §8.3.3.2: the eNodeB answers even when it has no
			// context left.
			_ = l.send(0, &s1ap.UEContextReleaseComplete{MMEUES1APID: s1ap.MMEUES1APID(id)})
		}
	default:
		if id, ok := enbUEID(pdu.Message); ok {
			s.dispatchUE(l, id, pdu)
			return
		}
		s.countError("s1ap: unexpected " + pdu.Message.MessageName() + " from the MME")
	}
}

// onReset handles an MME-initiated RESET (TS 36.413 §8.7.1.2.1): release
// the UE-associated logical S1 connections named (or all), then answer.
func (l *link) onReset(msg *s1ap.Reset) {
	s := l.sim
	var ack s1ap.ResetAcknowledge
	switch msg.ResetType.Choice {
	case s1ap.ResetTypeChoiceS1Interface:
		s.linkLost(l, "mme_reset")
	default:
		list := msg.ResetType.PartOfS1Interface
		var res s1ap.UEAssociatedLogicalS1ConnectionListResAck
		for _, c := range list {
			if id, ok := c.ENBUES1APID.Get(); ok {
				s.releaseUE(l, uint32(id), "mme_reset")
			} else if id, ok := c.MMEUES1APID.Get(); ok {
				if ue, ok := l.byMMEID.get(uint32(id)); ok {
					s.releaseUE(l, ue, "mme_reset")
				}
			}
			res = append(res, c)
		}
		if len(res) > 0 {
			ack.UEAssociatedLogicalS1ConnectionListResAck = s1ap.Some(res)
		}
	}
	_ = l.send(0, &ack)
}

// causeString renders an S1AP cause as "group:value" (the ASN.1 names).
func causeString(c s1ap.Cause) string {
	if n := c.Name(); n != "" {
		return n
	}
	return "none"
}

func radioCause(v s1ap.CauseRadioNetwork) s1ap.Cause {
	return s1ap.Cause{Choice: s1ap.CauseChoiceRadioNetwork, RadioNetwork: v}
}
