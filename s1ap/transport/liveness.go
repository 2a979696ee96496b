package transport

import "time"

// livenessTick is the period of the endpoint's liveness scan: a quarter of
// the probe interval, at least 5 ms.
func livenessTick(l Liveness) time.Duration {
	return max(l.Interval/4, 5*time.Millisecond)
}

// livenessAction is what one scan decides for one association.
type livenessAction int

const (
	livenessNone livenessAction = iota
	livenessProbe
	livenessDead
)

// liveness is one association's dead-peer detector (UDP mode). It is pure:
// the scan passes the time and whether any packet from the peer was heard
// since the previous scan. Down is declared at most cfg.Timeout after the
// last packet actually heard: that packet is recorded at most one tick
// late and the verdict is taken at most one tick late, so the silence
// threshold is Timeout less two ticks. While silent for Interval or more
// it asks for a HEARTBEAT every Interval (RFC 4960 §8.3: the peer must
// answer with HEARTBEAT ACK whatever its application does), so a live but
// idle peer keeps being heard and is never declared dead.
type liveness struct {
	cfg       Liveness
	lastHeard time.Time
	lastProbe time.Time
}

func newLiveness(cfg Liveness, now time.Time) liveness {
	return liveness{cfg: cfg, lastHeard: now, lastProbe: now}
}

func (l *liveness) deadAfter() time.Duration {
	return l.cfg.Timeout - 2*livenessTick(l.cfg)
}

// reached reports whether d, a span between two scans, has reached
// threshold. Scan times are tick times with scheduling jitter, so a span
// of n ticks may measure a little under n × tick: without the half-tick
// tolerance a verdict due at 18 ticks (4.5 s) could come one tick later
// (4.75 s, seen under load), leaving no room within Timeout to report it.
func (l *liveness) reached(d, threshold time.Duration) bool {
	return d >= threshold-livenessTick(l.cfg)/2
}

func (l *liveness) tick(now time.Time, heard bool) livenessAction {
	if heard {
		l.lastHeard = now
	}
	silent := now.Sub(l.lastHeard)
	if l.reached(silent, l.deadAfter()) {
		return livenessDead
	}
	if l.reached(silent, l.cfg.Interval) && l.reached(now.Sub(l.lastProbe), l.cfg.Interval) {
		l.lastProbe = now
		return livenessProbe
	}
	return livenessNone
}
