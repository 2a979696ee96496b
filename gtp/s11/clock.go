package s11

import "time"

// Clock is the time source of an Endpoint; tests inject a manual one.
type Clock interface {
	Now() time.Time
	// NewTimer returns a timer that delivers on C once at the given time.
	NewTimer(at time.Time) Timer
}

// Timer is a one-shot timer with an absolute deadline.
type Timer interface {
	C() <-chan time.Time
	// ResetAt makes the timer fire at at (at once if at has passed);
	// a delivery not yet received is dropped.
	ResetAt(at time.Time)
	Stop()
}

// SystemClock is the wall clock.
type SystemClock struct{}

// Now implements Clock.
func (SystemClock) Now() time.Time { return time.Now() }

// NewTimer implements Clock.
func (SystemClock) NewTimer(at time.Time) Timer { return &sysTimer{time.NewTimer(time.Until(at))} }

type sysTimer struct{ t *time.Timer }

func (s *sysTimer) C() <-chan time.Time { return s.t.C }

// ResetAt implements Timer. Since Go 1.23 Reset drops an undelivered value.
func (s *sysTimer) ResetAt(at time.Time) { s.t.Reset(time.Until(at)) }

func (s *sysTimer) Stop() { s.t.Stop() }
