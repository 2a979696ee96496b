package loadtest

import (
	"math/rand/v2"
	"sort"
	"testing"
)

// The wheel fires every entry exactly at its tick, in tick order, across
// level-0 wrap-around, level-1 cascades and the overflow list.
func TestWheelFiresInOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var w wheel
	w.tick = 12345
	want := map[uint32]int64{}
	horizons := []int64{1, wheelL0 - 1, wheelL0, wheelL0 + 1, 3 * wheelL0, wheelL0 * wheelL1, wheelL0*wheelL1 + 7, 3 * wheelL0 * wheelL1}
	for i := uint32(0); i < 5000; i++ {
		at := w.tick + r.Int64N(horizons[i%uint32(len(horizons))]+1)
		want[i] = at
		w.add(timerEntry{at: at, ue: i})
	}
	var got []timerEntry
	end := w.tick + 3*wheelL0*wheelL1 + 10
	last := int64(-1)
	for step := w.tick; step <= end; step += 997 {
		w.advance(step, func(e timerEntry) {
			if e.at > step {
				t.Fatalf("entry %d due %d fired at or before %d", e.ue, e.at, step)
			}
			if e.at < last {
				t.Fatalf("out of order: %d after %d", e.at, last)
			}
			last = e.at
			got = append(got, e)
		})
		// Everything due before the previous step must have fired by now.
	}
	w.advance(end, func(e timerEntry) { got = append(got, e) })
	if len(got) != len(want) {
		t.Fatalf("fired %d of %d entries", len(got), len(want))
	}
	for _, e := range got {
		if want[e.ue] != e.at {
			t.Fatalf("entry %d fired with at %d, want %d", e.ue, e.at, want[e.ue])
		}
	}
	if w.pending() != 0 {
		t.Fatalf("pending = %d after all fired", w.pending())
	}
}

// Exact tick: with single-tick steps every entry fires at its own tick.
func TestWheelExactTick(t *testing.T) {
	var w wheel
	ats := []int64{0, 1, 5, wheelL0 - 1, wheelL0, 2*wheelL0 + 3, wheelL0*wheelL1 + 1}
	for i, at := range ats {
		w.add(timerEntry{at: at, ue: uint32(i)})
	}
	var fired []int64
	for tick := int64(0); tick <= wheelL0*wheelL1+2; tick++ {
		w.advance(tick, func(e timerEntry) {
			if e.at != tick {
				t.Fatalf("entry due %d fired at %d", e.at, tick)
			}
			fired = append(fired, tick)
		})
	}
	if !sort.SliceIsSorted(fired, func(i, j int) bool { return fired[i] < fired[j] }) || len(fired) != len(ats) {
		t.Fatalf("fired %v, want %v", fired, ats)
	}
}

// An entry added for a past tick fires at the next advance; one added
// while firing fires in the same advance when due.
func TestWheelPastAndReentrant(t *testing.T) {
	var w wheel
	w.advance(100, func(timerEntry) {})
	w.add(timerEntry{at: 5, ue: 1})
	n := 0
	w.advance(101, func(e timerEntry) {
		n++
		if e.ue == 1 {
			w.add(timerEntry{at: 101, ue: 2})
		}
	})
	if n != 2 {
		t.Fatalf("fired %d entries, want 2", n)
	}
}
