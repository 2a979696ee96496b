package node

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/s1ap/transport"
	"github.com/lte-mme/mme/store"
	"github.com/lte-mme/mme/supervision"
)

// Store indexes of subscriber records (docs/design/node.md).
const (
	idxIMSI  uint8 = 1 // IMSI digits
	idxMTMSI uint8 = 2 // M-TMSI of the GUTI, 4 octets big endian
	idxConn  uint8 = 3 // MME-UE-S1AP-ID of the current S1 connection, 4 octets
)

// ueConn is one UE-associated logical S1 connection (TS 36.413 §3): the
// eNodeB side that the subscriber record does not hold.
type ueConn struct {
	mmeID  uint32
	enbID  s1ap.ENBUES1APID
	enb    *enb
	stream uint16
	// key is the subscriber the connection belongs to (0: none, e.g. a
	// connection the node rejected itself); atomic: an attach hand-over
	// re-routes it while the S1 reader reads it.
	key atomic.Uint64
	// hoPending: opened at the target of an S1 handover, the target's
	// eNB-UE-S1AP-ID not yet known (node/handover.go).
	hoPending bool
}

func (c *ueConn) owner() supervision.Key     { return supervision.Key(c.key.Load()) }
func (c *ueConn) setOwner(k supervision.Key) { c.key.Store(uint64(k)) }

const connShards = 64

// connTable maps MME-UE-S1AP-IDs to connections; it allocates the IDs
// (TS 36.413 §9.2.3.3: unique within the MME).
type connTable struct {
	next   atomic.Uint32
	count  atomic.Int64
	shards [connShards]struct {
		mu sync.Mutex
		m  map[uint32]*ueConn
		_  [40]byte
	}
}

func (t *connTable) init() {
	for i := range t.shards {
		t.shards[i].m = make(map[uint32]*ueConn)
	}
}

// add allocates an MME-UE-S1AP-ID for c and inserts it.
func (t *connTable) add(c *ueConn) {
	for {
		id := t.next.Add(1)
		s := &t.shards[id%connShards]
		s.mu.Lock()
		if _, used := s.m[id]; !used {
			c.mmeID = id
			s.m[id] = c
			s.mu.Unlock()
			t.count.Add(1)
			return
		}
		s.mu.Unlock()
	}
}

func (t *connTable) get(id uint32) *ueConn {
	s := &t.shards[id%connShards]
	s.mu.Lock()
	c := s.m[id]
	s.mu.Unlock()
	return c
}

// remove deletes id if it still maps to c (nil: whatever it maps to).
func (t *connTable) remove(id uint32, c *ueConn) *ueConn {
	s := &t.shards[id%connShards]
	s.mu.Lock()
	old := s.m[id]
	if old != nil && (c == nil || old == c) {
		delete(s.m, id)
		t.count.Add(-1)
	} else {
		old = nil
	}
	s.mu.Unlock()
	return old
}

// setKey re-routes connection id to key (an attach handed over between
// subscribers' actors).
func (t *connTable) setKey(id uint32, key supervision.Key) bool {
	s := &t.shards[id%connShards]
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.m[id]; c != nil {
		c.setOwner(key)
		return true
	}
	return false
}

// enb is one eNodeB association and what S1 Setup said about it.
type enb struct {
	assoc *transport.Association
	mu    sync.Mutex
	setup bool
	// globalID, name, supported TAs (TAC → broadcast PLMNs) and paging
	// DRX from S1 SETUP REQUEST / ENB CONFIGURATION UPDATE.
	globalID  s1ap.GlobalENBID
	name      string
	tacs      map[[2]byte][][3]byte
	pagingDRX s1ap.PagingDRX
	conns     map[uint32]*ueConn
}

// enbTable holds the associations by id.
type enbTable struct {
	mu sync.Mutex
	m  map[uint64]*enb
}

func (t *enbTable) init() { t.m = make(map[uint64]*enb) }

func (t *enbTable) get(id uint64) *enb {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.m[id]
}

func (t *enbTable) all() []*enb {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]*enb, 0, len(t.m))
	for _, e := range t.m {
		out = append(out, e)
	}
	return out
}

// pendingIMSIs remembers keys allocated for IMSIs whose first record is not
// yet stored, so that two INITIAL UE MESSAGEs with the same IMSI in quick
// succession reach the same key.
type pendingIMSIs struct {
	mu    sync.Mutex
	byID  map[string]supervision.Key
	byKey map[supervision.Key]string
}

func (p *pendingIMSIs) get(imsi string) (supervision.Key, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k, ok := p.byID[imsi]
	return k, ok
}

func (p *pendingIMSIs) put(imsi string, k supervision.Key) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.byID == nil {
		p.byID, p.byKey = make(map[string]supervision.Key), make(map[supervision.Key]string)
	}
	p.byID[imsi], p.byKey[k] = k, imsi
}

// stored forgets key's pending IMSI once a record of it is durable.
func (p *pendingIMSIs) stored(k supervision.Key) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if imsi, ok := p.byKey[k]; ok {
		delete(p.byKey, k)
		delete(p.byID, imsi)
	}
}

// keyForIMSI returns the subscriber key of imsi: a pending one, the
// store's, or a new one. No lock is held across the store calls: the
// store's writer takes pending.mu when a record becomes durable (stored),
// and a new block of keys waits for that writer (counterAlloc). Either
// pending or the store knows an IMSI at any time (pending forgets it only
// once its record is durable), so checking them in this order is enough;
// the re-check under the lock settles two first messages racing.
func (n *Node) keyForIMSI(imsi string) (supervision.Key, error) {
	k, err := n.keyForIMSI0(imsi)
	if err == nil {
		n.faults.keyedIMSI(imsi, k)
	}
	return k, err
}

func (n *Node) keyForIMSI0(imsi string) (supervision.Key, error) {
	if k, ok := n.pending.get(imsi); ok {
		return k, nil
	}
	k, err := n.records.Lookup(idxIMSI, []byte(imsi))
	if err == nil {
		return supervision.Key(k), nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return 0, err
	}
	nk, err := n.keys.next()
	if err != nil {
		return 0, err
	}
	n.pending.mu.Lock()
	defer n.pending.mu.Unlock()
	if k, ok := n.pending.byID[imsi]; ok {
		return k, nil // another message of the same IMSI won; nk is unused
	}
	key := supervision.Key(nk)
	if n.pending.byID == nil {
		n.pending.byID, n.pending.byKey = make(map[string]supervision.Key), make(map[supervision.Key]string)
	}
	n.pending.byID[imsi], n.pending.byKey[key] = key, imsi
	return key, nil
}

// keyForMTMSI returns the key whose record holds the M-TMSI (ours: the
// GUMMEI was checked by the caller).
func (n *Node) keyForMTMSI(mtmsi uint32) (supervision.Key, bool) {
	k, err := n.records.Lookup(idxMTMSI, binary.BigEndian.AppendUint32(nil, mtmsi))
	if err != nil {
		return 0, false
	}
	return supervision.Key(k), true
}

// newKey allocates a key for a subscriber not known yet.
func (n *Node) newKey() (supervision.Key, error) {
	k, err := n.keys.next()
	return supervision.Key(k), err
}

// counterAlloc hands out increasing 64-bit values, reserving blocks in the
// store's metadata so that no value is ever handed out twice, across
// restarts too (store.PutMeta is fsynced).
type counterAlloc struct {
	st    *store.Store
	name  string
	block uint64
	mu    sync.Mutex
	cur   uint64 // last value handed out
	limit uint64 // values up to limit are reserved
}

func newCounterAlloc(st *store.Store, name string, block uint64) (*counterAlloc, error) {
	a := &counterAlloc{st: st, name: name, block: block}
	v, err := st.GetMeta(name)
	switch {
	case errors.Is(err, store.ErrNotFound):
	case err != nil:
		return nil, fmt.Errorf("node: %s: %w", name, err)
	case len(v) != 8:
		return nil, fmt.Errorf("node: %s: corrupt meta value", name)
	default:
		a.cur = binary.BigEndian.Uint64(v)
		a.limit = a.cur
	}
	return a, nil
}

func (a *counterAlloc) next() (uint64, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.cur >= a.limit {
		lim := a.limit + a.block
		if err := a.st.PutMeta(a.name, binary.BigEndian.AppendUint64(nil, lim)); err != nil {
			return 0, fmt.Errorf("node: reserve %s: %w", a.name, err)
		}
		a.limit = lim
	}
	a.cur++
	return a.cur, nil
}

// permute32 is a bijection on 32-bit values (xorshift-multiply steps, each
// invertible): sequential counters become M-TMSIs that are unique but not
// sequential (TS 33.401 §5.2.1 asks that temporary identities do not make
// the UE trackable).
func permute32(x uint32) uint32 {
	x ^= x >> 16
	x *= 0x7feb352d
	x ^= x >> 15
	x *= 0x846ca68b
	x ^= x >> 16
	return x
}
