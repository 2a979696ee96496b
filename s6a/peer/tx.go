package peer

import (
	"time"

	"github.com/fiorix/go-diameter/v4/diam"
)

// pending is one request waiting for its answer. Entries live in a map by
// hop-by-hop id and in a list ordered by deadline: every request gets the
// same timeout, so the list is in sending order and expiry only looks at
// its head (no timer and no goroutine per request).
type pending struct {
	hbh, e2e   uint32
	frame      []byte // the serialised request, re-sent on failover
	conn       *conn  // where it was last sent; nil while stranded
	bound      bool   // belongs to its connection (base protocol, server-initiated): never failed over
	retransmit bool   // was re-sent with the T flag
	deadline   time.Time
	done       func(*diam.Message, error)
	prev, next *pending
}

// txTable is the set of pending requests of one endpoint; the endpoint's
// mutex guards it.
type txTable struct {
	byHBH      map[uint32]*pending
	head, tail *pending
	max        int
}

func newTxTable(max int) *txTable {
	return &txTable{byHBH: make(map[uint32]*pending, 1024), max: max}
}

// add registers p; false when the table is full (overload).
func (t *txTable) add(p *pending) bool {
	if len(t.byHBH) >= t.max {
		return false
	}
	t.byHBH[p.hbh] = p
	p.prev, p.next = t.tail, nil
	if t.tail != nil {
		t.tail.next = p
	} else {
		t.head = p
	}
	t.tail = p
	return true
}

// take removes and returns the entry of hbh, or nil (a late or doubled
// answer, or one we never asked for).
func (t *txTable) take(hbh uint32) *pending {
	p := t.byHBH[hbh]
	if p != nil {
		t.remove(p)
	}
	return p
}

func (t *txTable) remove(p *pending) {
	delete(t.byHBH, p.hbh)
	if p.prev != nil {
		p.prev.next = p.next
	} else {
		t.head = p.next
	}
	if p.next != nil {
		p.next.prev = p.prev
	} else {
		t.tail = p.prev
	}
	p.prev, p.next = nil, nil
}

// expired removes and returns the entries whose deadline is before now.
func (t *txTable) expired(now time.Time) []*pending {
	var out []*pending
	for t.head != nil && t.head.deadline.Before(now) {
		p := t.head
		t.remove(p)
		out = append(out, p)
	}
	return out
}

// each calls f on every entry (in deadline order); f may remove the entry
// it is given.
func (t *txTable) each(f func(p *pending)) {
	for p := t.head; p != nil; {
		next := p.next
		f(p)
		p = next
	}
}

func (t *txTable) len() int { return len(t.byHBH) }
