package s11

import (
	"errors"
	"math/rand/v2"
	"sync"
)

// SessionKey identifies the subscriber (or, in the SGW emulator, the
// session) a local TEID belongs to: the node's 64-bit subscriber key. The
// session's S11 data lives in the subscriber record, not here.
type SessionKey uint64

// PeerID is an Endpoint's compact index of a GTP-C peer address.
type PeerID uint32

// ErrTEIDSpace is returned when no free TEID is found.
var ErrTEIDSpace = errors.New("s11: no free TEID")

type teidEntry struct {
	key  SessionKey
	peer PeerID
}

// TEIDTable maps the local S11 control-plane TEIDs (TS 29.274 §5.5.2: the
// receiver's TEID in the header) to session keys and peers. It is the S11
// layer's only per-session state: one map entry per session (about 50
// octets, see BenchmarkTEIDTable), no goroutine. Safe for concurrent use.
type TEIDTable struct {
	mu      sync.RWMutex
	m       map[uint32]teidEntry
	perPeer map[PeerID]int
}

// NewTEIDTable returns an empty table sized for hint sessions.
func NewTEIDTable(hint int) *TEIDTable {
	return &TEIDTable{m: make(map[uint32]teidEntry, hint), perPeer: make(map[PeerID]int)}
}

// Alloc picks an unused non-zero TEID at random (TEID 0 is reserved,
// TS 29.274 §5.5.2; random values make blind spoofing harder), binds it to
// key and peer and returns it.
func (t *TEIDTable) Alloc(key SessionKey, peer PeerID) (uint32, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for range 64 {
		teid := rand.Uint32()
		if teid == 0 {
			continue
		}
		if _, used := t.m[teid]; used {
			continue
		}
		t.m[teid] = teidEntry{key: key, peer: peer}
		t.perPeer[peer]++
		return teid, nil
	}
	return 0, ErrTEIDSpace
}

// Bind records teid (chosen by the caller, e.g. restored from a stored
// record after a restart) for key and peer. It fails if teid is 0 or taken.
func (t *TEIDTable) Bind(teid uint32, key SessionKey, peer PeerID) error {
	if teid == 0 {
		return errors.New("s11: TEID 0 is reserved")
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, used := t.m[teid]; used {
		return errors.New("s11: TEID in use")
	}
	t.m[teid] = teidEntry{key: key, peer: peer}
	t.perPeer[peer]++
	return nil
}

// Release frees teid; it reports whether it was bound.
func (t *TEIDTable) Release(teid uint32) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	e, ok := t.m[teid]
	if !ok {
		return false
	}
	delete(t.m, teid)
	if t.perPeer[e.peer]--; t.perPeer[e.peer] <= 0 {
		delete(t.perPeer, e.peer)
	}
	return true
}

// Lookup returns the session key and peer of teid.
func (t *TEIDTable) Lookup(teid uint32) (SessionKey, PeerID, bool) {
	t.mu.RLock()
	e, ok := t.m[teid]
	t.mu.RUnlock()
	return e.key, e.peer, ok
}

// Len returns the number of bound TEIDs.
func (t *TEIDTable) Len() int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return len(t.m)
}

// Count returns the number of TEIDs bound to sessions with peer.
func (t *TEIDTable) Count(peer PeerID) int {
	t.mu.RLock()
	defer t.mu.RUnlock()
	return t.perPeer[peer]
}

// Sessions calls fn for every TEID bound to peer, under a read lock: fn must
// not call back into the table. It is what the node uses after a peer
// restart or path failure to find the sessions to clean up (TS 23.007 §16,
// §20); it walks the whole table.
func (t *TEIDTable) Sessions(peer PeerID, fn func(teid uint32, key SessionKey)) {
	t.mu.RLock()
	defer t.mu.RUnlock()
	if t.perPeer[peer] == 0 {
		return
	}
	for teid, e := range t.m {
		if e.peer == peer {
			fn(teid, e.key)
		}
	}
}
