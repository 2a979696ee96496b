package transport

import (
	"errors"
	"testing"
	"time"
)

// TestLivenessDecisions drives the pure detector with injected times.
func TestLivenessDecisions(t *testing.T) {
	cfg := Liveness{Timeout: 5 * time.Second, Interval: time.Second}
	tick := livenessTick(cfg) // 250 ms
	t0 := time.Unix(1000, 0)
	l := newLiveness(cfg, t0)
	var probes []time.Duration
	var dead time.Duration
	for now := t0.Add(tick); dead == 0; now = now.Add(tick) {
		switch l.tick(now, false) {
		case livenessProbe:
			probes = append(probes, now.Sub(t0))
		case livenessDead:
			dead = now.Sub(t0)
		}
		if now.Sub(t0) > time.Minute {
			t.Fatal("never declared dead")
		}
	}
	want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second, 4 * time.Second}
	if len(probes) != len(want) {
		t.Fatalf("probes at %v, want %v", probes, want)
	}
	for i := range want {
		if probes[i] != want[i] {
			t.Fatalf("probes at %v, want %v", probes, want)
		}
	}
	// Silence is observed at most one tick late and judged at most one
	// tick late: the verdict comes no later than Timeout after the last
	// packet heard.
	if dead > cfg.Timeout-tick || dead < cfg.Timeout-2*tick {
		t.Fatalf("declared dead %v after the last packet, want within (%v, %v]", dead, cfg.Timeout-2*tick, cfg.Timeout)
	}

	// Scan times jitter: the scan that heard the peer ran 3 ms late, the
	// later ones on time, so 18 ticks of silence measure 4.497 s. The
	// verdict still comes at the 18th tick, not one tick later.
	l = newLiveness(cfg, t0)
	heardAt := t0.Add(tick + 3*time.Millisecond)
	l.tick(heardAt, true)
	dead = 0
	for now := t0.Add(2 * tick); dead == 0 && now.Sub(t0) < time.Minute; now = now.Add(tick) {
		if l.tick(now, false) == livenessDead {
			dead = now.Sub(heardAt)
		}
	}
	if want := cfg.Timeout - 2*tick - 3*time.Millisecond; dead != want {
		t.Fatalf("with jittered scans declared dead %v after the scan that heard the peer, want %v", dead, want)
	}

	// A peer heard at every probe is never declared dead.
	l = newLiveness(cfg, t0)
	heardNext := false
	for now := t0.Add(tick); now.Sub(t0) < time.Minute; now = now.Add(tick) {
		a := l.tick(now, heardNext)
		heardNext = a == livenessProbe // the HEARTBEAT ACK arrives before the next scan
		if a == livenessDead {
			t.Fatalf("answering peer declared dead at %v", now.Sub(t0))
		}
	}
}

// TestLivenessConfigValidated: a timeout without room for two probes is refused.
func TestLivenessConfigValidated(t *testing.T) {
	cfg := testConfig(ModeUDP)
	cfg.Liveness = Liveness{Timeout: time.Second, Interval: time.Second}
	if _, err := NewEndpoint(cfg); !errors.Is(err, ErrConfig) {
		t.Fatalf("NewEndpoint = %v, want ErrConfig", err)
	}
}

// TestSilentPeerStaysUp: an idle but live peer answers the HEARTBEATs and
// stays up well past the liveness timeout, on both sides.
func TestSilentPeerStaysUp(t *testing.T) {
	p := newPair(t, ModeUDP, func(c *Config) {
		c.Liveness = Liveness{Timeout: time.Second, Interval: 200 * time.Millisecond}
	})
	a := p.dial(t, nil)
	p.srvRec.waitFor(t, 5*time.Second, "up", func() bool { return p.srvRec.count(EventUp) == 1 })
	srvA := p.srv.Associations()[0]
	// Wait until each side has probed for 6 intervals: 1.2 s of silence, beyond the 1 s timeout.
	p.cliRec.waitFor(t, 10*time.Second, "6 client heartbeats", func() bool {
		return a.Stats().HeartbeatsSent >= 6 || a.Err() != nil
	})
	p.srvRec.waitFor(t, 10*time.Second, "6 server heartbeats", func() bool {
		return srvA.Stats().HeartbeatsSent >= 6 || srvA.Err() != nil
	})
	if a.Err() != nil || srvA.Err() != nil {
		t.Fatalf("idle association declared down: client %v, server %v", a.Err(), srvA.Err())
	}
	if len(p.cliRec.eventsOf(EventDown))+len(p.srvRec.eventsOf(EventDown)) != 0 {
		t.Fatal("EventDown reported for a live peer")
	}
	// The peer's SCTP stack answered the probes (RFC 4960 §8.3).
	if a.Stats().HeartbeatAcks == 0 || srvA.Stats().HeartbeatAcks == 0 {
		t.Fatalf("no HEARTBEAT ACK: client %+v server %+v", a.Stats(), srvA.Stats())
	}
}
