package s11

import (
	"net/netip"

	"github.com/lte-mme/mme/gtp"
)

// PeerEventKind says what happened to a peer.
type PeerEventKind int

const (
	// PeerRestarted: the peer's restart counter changed (TS 23.007 §18):
	// every session with it is lost; the MME deletes them (TS 23.007 §16.1).
	PeerRestarted PeerEventKind = iota + 1
	// PathFailed: N3-REQUESTS Echo Requests went unanswered (TS 23.007 §20):
	// the MME deletes the sessions with that peer.
	PathFailed
	// PathRestored: an Echo Response arrived after a path failure.
	PathRestored
)

func (k PeerEventKind) String() string {
	switch k {
	case PeerRestarted:
		return "peer restarted"
	case PathFailed:
		return "path failed"
	case PathRestored:
		return "path restored"
	}
	return "peer event"
}

// PeerEvent reports a peer restart or a path failure. The node finds the
// affected sessions with Endpoint.Sessions(Peer, ...) and cleans them up.
type PeerEvent struct {
	Kind PeerEventKind
	Peer netip.AddrPort
	ID   PeerID
	// OldRecovery and NewRecovery are the restart counters (PeerRestarted).
	OldRecovery, NewRecovery uint8
}

// peer is what the endpoint knows of one GTP-C peer (an IP address and UDP
// port): its restart counter and its path state.
type peer struct {
	id          PeerID
	addr        netip.AddrPort
	hasRecovery bool
	recovery    uint8 // the peer's restart counter, volatile (TS 23.007 §18)
	contacted   bool  // our restart counter has been sent to it
	watched     bool  // monitored by Echo even without sessions
	failed      bool  // path declared failed, not yet restored
	echoing     bool  // an Echo Request is outstanding or scheduled
	echo        timerEntry
}

func (p *peer) isContacted(e *Endpoint) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return p.contacted
}

func (p *peer) markContacted(e *Endpoint) {
	e.mu.Lock()
	p.contacted = true
	e.mu.Unlock()
}

// peerLocked returns the peer of addr, adding it if new.
func (e *Endpoint) peerLocked(addr netip.AddrPort) (*peer, error) {
	addr = netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())
	if p := e.peers[addr]; p != nil {
		return p, nil
	}
	if len(e.peers) >= e.cfg.MaxPeers {
		return nil, ErrTooManyPeers
	}
	p := &peer{id: PeerID(len(e.peerByID) + 1), addr: addr}
	p.echo = timerEntry{idx: -1, kind: tkEcho, peer: p}
	e.peers[addr] = p
	e.peerByID = append(e.peerByID, p)
	return p, nil
}

// peerFor is peerLocked for the reader; nil when the table is full.
func (e *Endpoint) peerFor(addr netip.AddrPort) *peer {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, err := e.peerLocked(addr)
	if err != nil {
		return nil
	}
	return p
}

// knownPeer returns the peer of addr if the table has it.
func (e *Endpoint) knownPeer(addr netip.AddrPort) *peer {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.peers[addr]
}

// Peer returns the PeerID of addr, registering the peer.
func (e *Endpoint) Peer(addr netip.AddrPort) (PeerID, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	p, err := e.peerLocked(addr)
	if err != nil {
		return 0, err
	}
	return p.id, nil
}

// PeerAddr returns the address of a PeerID.
func (e *Endpoint) PeerAddr(id PeerID) (netip.AddrPort, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if id == 0 || int(id) > len(e.peerByID) {
		return netip.AddrPort{}, false
	}
	return e.peerByID[id-1].addr, true
}

// AllocTEID allocates a local control-plane TEID for the session key with
// peer (the SGW for the MME, the MME for the SGW) and starts monitoring the
// peer with Echo Requests if it was not (TS 23.007 §20).
func (e *Endpoint) AllocTEID(key SessionKey, peer netip.AddrPort) (uint32, error) {
	id, err := e.Peer(peer)
	if err != nil {
		return 0, err
	}
	teid, err := e.teids.Alloc(key, id)
	if err != nil {
		return 0, err
	}
	e.monitor(id)
	return teid, nil
}

// BindTEID restores a TEID allocated before (a record reloaded after a
// restart or a takeover).
func (e *Endpoint) BindTEID(teid uint32, key SessionKey, peer netip.AddrPort) error {
	id, err := e.Peer(peer)
	if err != nil {
		return err
	}
	if err := e.teids.Bind(teid, key, id); err != nil {
		return err
	}
	e.monitor(id)
	return nil
}

// ReleaseTEID frees a local TEID when its session ends.
func (e *Endpoint) ReleaseTEID(teid uint32) bool { return e.teids.Release(teid) }

// Lookup returns the session of a local TEID.
func (e *Endpoint) Lookup(teid uint32) (SessionKey, bool) {
	k, _, ok := e.teids.Lookup(teid)
	return k, ok
}

// Sessions calls fn for every session with the peer at addr: what the node
// deletes after a PeerRestarted or PathFailed event (TS 23.007 §16.1, §20).
// fn must not call into the endpoint's TEID table.
func (e *Endpoint) Sessions(addr netip.AddrPort, fn func(teid uint32, key SessionKey)) {
	e.mu.Lock()
	p := e.peers[netip.AddrPortFrom(addr.Addr().Unmap(), addr.Port())]
	e.mu.Unlock()
	if p != nil {
		e.teids.Sessions(p.id, fn)
	}
}

// Watch monitors the peer at addr with Echo Requests even while it has no
// session (e.g. a configured SGW); Unwatch undoes it.
func (e *Endpoint) Watch(addr netip.AddrPort) error {
	e.mu.Lock()
	p, err := e.peerLocked(addr)
	if err == nil {
		p.watched = true
	}
	e.mu.Unlock()
	if err != nil {
		return err
	}
	e.monitor(p.id)
	return nil
}

// Unwatch stops the monitoring Watch started (sessions keep it running).
func (e *Endpoint) Unwatch(addr netip.AddrPort) {
	e.mu.Lock()
	if p := e.peers[addr]; p != nil {
		p.watched = false
	}
	e.mu.Unlock()
}

// monitor schedules Echo Requests to peer id if path management is on and
// none is scheduled.
func (e *Endpoint) monitor(id PeerID) {
	if e.cfg.EchoInterval < 0 {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.closed || int(id) > len(e.peerByID) {
		return
	}
	p := e.peerByID[id-1]
	if !p.echoing {
		p.echoing = true
		e.scheduleLocked(&p.echo, e.clock.Now().Add(e.cfg.EchoInterval))
	}
}

// monitoredLocked: a peer is probed while it has sessions or is watched.
func (e *Endpoint) monitoredLocked(p *peer) bool {
	return p.watched || e.teids.Count(p.id) > 0
}

// sendEcho starts an Echo Request transaction to p (timer goroutine).
func (e *Endpoint) sendEcho(p *peer) {
	e.mu.Lock()
	if e.closed || !e.monitoredLocked(p) {
		p.echoing = false
		e.mu.Unlock()
		return
	}
	seq := e.allocSeqLocked(p, false)
	b, err := gtp.Encode(&gtp.EchoRequest{Recovery: e.cfg.RestartCounter}, 0, seq)
	if err != nil {
		p.echoing = false
		e.mu.Unlock()
		e.log.Error("s11: cannot encode Echo Request", "err", err)
		return
	}
	t := &txn{key: keyOf(p.id, seq), peer: p, b: b, reqType: gtp.TypeEchoRequest, kind: txEcho, sends: 1}
	t.tm = timerEntry{idx: -1, kind: tkTxn, txn: t}
	e.txns[t.key] = t
	e.scheduleLocked(&t.tm, e.clock.Now().Add(e.cfg.T3))
	p.contacted = true
	e.mu.Unlock()
	e.st.echoRequestsSent.Add(1)
	e.send(b, p.addr)
}

// echoAnswered: the path is up; schedule the next probe.
func (e *Endpoint) echoAnswered(t *txn) {
	p := t.peer
	e.mu.Lock()
	restored := p.failed
	p.failed = false
	if !e.closed {
		e.scheduleLocked(&p.echo, e.clock.Now().Add(e.cfg.EchoInterval))
	}
	e.mu.Unlock()
	if restored {
		e.log.Info("s11: path restored", "peer", p.addr)
		e.event(PeerEvent{Kind: PathRestored, Peer: p.addr, ID: p.id})
	}
}

// echoFailed: N3-REQUESTS retransmissions of an Echo Request went
// unanswered: the path is down (TS 23.007 §20). Pending transactions to the
// peer end with ErrPathFailure; probing goes on, to see the path restored.
func (e *Endpoint) echoFailed(t *txn) {
	p := t.peer
	var pending []*txn
	e.mu.Lock()
	first := !p.failed
	p.failed = true
	for k, x := range e.txns {
		if x.peer == p && x.kind != txEcho {
			delete(e.txns, k)
			e.unscheduleLocked(&x.tm)
			pending = append(pending, x)
		}
	}
	if !e.closed {
		e.scheduleLocked(&p.echo, e.clock.Now().Add(e.cfg.EchoInterval))
	}
	e.mu.Unlock()
	for _, x := range pending {
		x.finish(nil, ErrPathFailure)
	}
	if first {
		e.st.pathFailures.Add(1)
		e.log.Warn("s11: path failure", "peer", p.addr, "echo_attempts", t.sends)
		e.event(PeerEvent{Kind: PathFailed, Peer: p.addr, ID: p.id})
	}
}

// answerEcho answers an Echo Request with our restart counter (TS 29.274
// §7.1.2); echoes are not cached: answering again is the same answer.
func (e *Endpoint) answerEcho(to netip.AddrPort, seq uint32) {
	b, err := gtp.Encode(&gtp.EchoResponse{Recovery: e.cfg.RestartCounter}, 0, seq)
	if err != nil {
		return
	}
	e.st.echoResponsesSent.Add(1)
	e.send(b, to)
}

// checkRecovery compares a received restart counter with the stored one
// (TS 23.007 §18): none stored, store it; a different one, the peer has
// restarted.
func (e *Endpoint) checkRecovery(p *peer, rec uint8) {
	e.mu.Lock()
	had, old := p.hasRecovery, p.recovery
	p.hasRecovery, p.recovery = true, rec
	e.mu.Unlock()
	if !had || old == rec {
		return
	}
	e.st.peerRestarts.Add(1)
	e.log.Warn("s11: peer restarted", "peer", p.addr, "old_recovery", old, "new_recovery", rec)
	e.event(PeerEvent{Kind: PeerRestarted, Peer: p.addr, ID: p.id, OldRecovery: old, NewRecovery: rec})
}

func (e *Endpoint) event(ev PeerEvent) {
	if e.cfg.OnPeerEvent != nil {
		e.cfg.OnPeerEvent(ev)
	}
}

// PeerRecovery returns the last restart counter received from addr.
func (e *Endpoint) PeerRecovery(addr netip.AddrPort) (uint8, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if p := e.peers[addr]; p != nil && p.hasRecovery {
		return p.recovery, true
	}
	return 0, false
}
