package loadtest_test

import (
	"context"
	"io"
	"log/slog"
	"net/netip"
	"testing"
	"time"

	"github.com/lte-mme/mme/loadtest"
	"github.com/lte-mme/mme/loadtest/mmetest"
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/s1ap/transport"
)

// testMME is a simulated MME listening on a loopback S1 association
// endpoint (SCTP over UDP).
type testMME struct {
	*mmetest.MME
	ep   *transport.Endpoint
	addr netip.AddrPort
}

func startMME(t testing.TB, cfg mmetest.Config, subs []loadtest.Subscriber) *testMME {
	t.Helper()
	if cfg.PLMN == (nas.PLMNID{}) {
		cfg.PLMN, _ = nas.ParsePLMNID("00101")
	}
	if cfg.TACs == nil {
		cfg.TACs = []uint16{1, 2}
	}
	if cfg.MMEGI == 0 {
		cfg.MMEGI, cfg.MMEC = 0x8001, 1
	}
	var ms []mmetest.Subscriber
	for _, s := range subs {
		ms = append(ms, mmetest.Subscriber{IMSI: s.IMSI, K: s.K, OPc: s.OPc, SQN: s.SQN})
	}
	m := mmetest.New(cfg, ms)
	tc := transport.DefaultConfig()
	tc.Mode = transport.ModeUDP
	tc.LocalAddrs = []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	tc.UDPPort = 0
	tc.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ep, err := transport.NewEndpoint(tc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	if err := ep.Listen(m); err != nil {
		t.Fatal(err)
	}
	return &testMME{MME: m, ep: ep, addr: ep.ListenAddrs()[0]}
}

func subscribers(t testing.TB, n int) []loadtest.Subscriber {
	t.Helper()
	subs, err := loadtest.GenerateSubscribers(n, loadtest.DefaultIMSIStart, 42)
	if err != nil {
		t.Fatal(err)
	}
	return subs
}

func scenario(t testing.TB, yaml string) *loadtest.Scenario {
	t.Helper()
	s, err := loadtest.ParseScenario([]byte(yaml), t.Name())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// run runs sc against the MMEs over UDP-mode S1 and fails the test on a
// run error; it returns the report.
func run(t testing.TB, sc *loadtest.Scenario, subs []loadtest.Subscriber, mmes ...*testMME) *loadtest.Report {
	t.Helper()
	return runCfg(t, loadtest.Config{Scenario: sc, Subscribers: subs}, mmes...)
}

func runCfg(t testing.TB, cfg loadtest.Config, mmes ...*testMME) *loadtest.Report {
	t.Helper()
	for _, m := range mmes {
		cfg.Targets = append(cfg.Targets, m.addr)
	}
	cfg.Transport = transport.ModeUDP
	if cfg.Workers == 0 {
		cfg.Workers = 2
	}
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	r, err := loadtest.Run(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range mmes {
		if errs := m.ErrorList(); len(errs) > 0 {
			t.Errorf("the test MME saw protocol errors: %q", errs)
		}
	}
	return r
}

func requirePassed(t testing.TB, r *loadtest.Report) {
	t.Helper()
	if !r.Passed {
		var b stringsBuilder
		_ = r.WriteSummary(&b)
		t.Fatalf("run failed:\n%s", b.String())
	}
}

type stringsBuilder struct{ b []byte }

func (s *stringsBuilder) Write(p []byte) (int, error) { s.b = append(s.b, p...); return len(p), nil }
func (s *stringsBuilder) String() string              { return string(s.b) }
