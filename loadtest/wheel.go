package loadtest

// A two-level hashed timing wheel (Varghese and Lauck, "Hashed and
// hierarchical timing wheels", 1987) holding the UE timers of one worker.
// Entries are 16-octet values in per-slot slices, not pointers: a million
// idle UEs with a periodic TAU timer each cost 16 MB and no GC scanning.
// A stopped timer is not removed; its entry carries the generation of the
// UE's timer slot at start and is ignored when it no longer matches.
//
// Level 0 has wheelL0 slots of one tick (1 ms): about a second. Level 1 has
// wheelL1 slots of wheelL0 ticks: about 70 minutes, more than T3412's
// default 54 minutes. Entries beyond that wait in an overflow list that is
// re-sorted once per level-1 rotation.

const (
	wheelL0Bits = 10
	wheelL0     = 1 << wheelL0Bits
	wheelL1Bits = 12
	wheelL1     = 1 << wheelL1Bits
)

// timerEntry is one started timer: when it fires (tick), for which UE and
// which of its timer slots, and the slot's generation when started.
type timerEntry struct {
	at   int64
	ue   uint32
	gen  uint16
	slot uint8
}

type wheel struct {
	tick     int64 // the next tick to fire; every tick below it has fired
	l0       [wheelL0][]timerEntry
	l1       [wheelL1][]timerEntry
	overflow []timerEntry
	n        int // entries held, stale ones included
}

// add schedules e at e.at; a time in the past fires at the next advance.
func (w *wheel) add(e timerEntry) {
	if e.at < w.tick {
		e.at = w.tick
	}
	w.n++
	d := e.at - w.tick
	switch {
	case d < wheelL0:
		// In the current level-0 block at a slot not yet passed, or in
		// the next block at a slot already passed in this one: either
		// way the slot's next visit is at e.at.
		w.l0[e.at&(wheelL0-1)] = append(w.l0[e.at&(wheelL0-1)], e)
	case d < wheelL0*wheelL1:
		s := (e.at >> wheelL0Bits) & (wheelL1 - 1)
		w.l1[s] = append(w.l1[s], e)
	default:
		w.overflow = append(w.overflow, e)
	}
}

// advance fires every entry due at a tick up to and including to, in tick
// order, calling fire for each (stale ones too: the caller checks the
// generation). fire may add entries.
func (w *wheel) advance(to int64, fire func(timerEntry)) {
	for w.tick <= to {
		if w.tick&(wheelL0-1) == 0 {
			w.cascade()
		}
		slot := &w.l0[w.tick&(wheelL0-1)]
		for i := 0; i < len(*slot); i++ {
			e := (*slot)[i]
			if e.at > w.tick {
				continue // kept below for a later rotation
			}
			w.n--
			fire(e)
		}
		// Keep entries of a later rotation (none are expected with the
		// routing of add, but a defensive compaction costs nothing).
		kept := (*slot)[:0]
		for _, e := range *slot {
			if e.at > w.tick {
				kept = append(kept, e)
			}
		}
		clear((*slot)[len(kept):])
		*slot = kept
		if cap(*slot) > 4096 && len(*slot) == 0 {
			*slot = nil // give back a burst's memory
		}
		w.tick++
	}
}

// cascade moves the level-1 slot of the block starting at w.tick down to
// level 0 (and, once per level-1 rotation, re-sorts the overflow list).
func (w *wheel) cascade() {
	s := (w.tick >> wheelL0Bits) & (wheelL1 - 1)
	if s == 0 && len(w.overflow) > 0 {
		ov := w.overflow
		w.overflow = nil
		for _, e := range ov {
			w.n--
			w.add(e)
		}
	}
	es := w.l1[s]
	w.l1[s] = nil
	for _, e := range es {
		w.n--
		w.add(e)
	}
}

// pending returns the number of entries held, stale ones included.
func (w *wheel) pending() int { return w.n }
