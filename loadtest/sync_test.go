package loadtest

import (
	"net/netip"
	"sync"
	"testing"

	"github.com/lte-mme/mme/s1ap"
)

// capture is an uplink that keeps what the eNodeB sends.
type capture struct {
	mu   sync.Mutex
	msgs [][]byte
}

func (c *capture) Send(_ uint16, _ uint32, b []byte) error {
	c.mu.Lock()
	c.msgs = append(c.msgs, append([]byte(nil), b...))
	c.mu.Unlock()
	return nil
}

// take returns and forgets the messages sent so far, decoded.
func (c *capture) take(t testing.TB) []*s1ap.PDU {
	t.Helper()
	c.mu.Lock()
	msgs := c.msgs
	c.msgs = nil
	c.mu.Unlock()
	var out []*s1ap.PDU
	for _, b := range msgs {
		p, err := s1ap.Decode(b)
		if err != nil {
			t.Fatalf("the eNodeB sent an undecodable PDU %x: %v", b, err)
		}
		out = append(out, p)
	}
	return out
}

// syncSim builds a run without sockets: one worker, every link "up" on
// out, dispatch on the caller's goroutine, a clock the test moves.
func syncSim(t testing.TB, sc *Scenario, subs []Subscriber, out uplink, servedMMEC uint8) (*Sim, *int64) {
	t.Helper()
	s, err := newSim(Config{Scenario: sc, Subscribers: subs, Workers: 1,
		Targets: []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:36412")}})
	if err != nil {
		t.Fatal(err)
	}
	s.sync = true
	now := new(int64)
	s.clockFn = func() int64 { return *now }
	for _, e := range s.enbs {
		for _, l := range e.links {
			l.out = out
			l.up.Store(true)
			l.setServed(s1ap.ServedGUMMEIs{{ServedPLMNs: s1ap.ServedPLMNs{s1ap.PLMNidentity(s.plmn)},
				ServedGroupIDs: s1ap.ServedGroupIDs{{0x80, 0x01}}, ServedMMECs: s1ap.ServedMMECs{{servedMMEC}}}}, 100, "sync")
		}
	}
	return s, now
}

// deliver hands one downlink S1AP message to the eNodeB as its
// association would.
func (s *Sim) deliverTest(b []byte) {
	s.enbs[0].links[0].deliver(append([]byte(nil), b...))
}

// nasOfUplink returns the NAS-PDU an uplink message carries.
func nasOfUplink(p *s1ap.PDU) []byte {
	switch m := p.Message.(type) {
	case *s1ap.InitialUEMessage:
		return m.NASPDU
	case *s1ap.UplinkNASTransport:
		return m.NASPDU
	}
	return nil
}
