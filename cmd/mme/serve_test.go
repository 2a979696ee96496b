package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lte-mme/mme/node"
)

// TestServeConfigErrorsNameTheField: a bad configuration stops `mme serve`
// before anything is bound, with the field in the message.
func TestServeConfigErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct{ yaml, want string }{
		{"s1:\n  listen: [127.0.0.1, not-an-ip]\n", "config: s1.listen[1]:"},
		{"plmn: 0010\n", "config: plmn:"},
		{"security:\n  integrity: [EIA0]\n", "config: security.integrity[0]:"},
		{"runtime:\n  gc_percent: 0\n", "config: runtime.gc_percent:"},
		{"unknown_key: 1\n", "field unknown_key not found"},
	} {
		p := filepath.Join(t.TempDir(), "mme.yaml")
		if err := os.WriteFile(p, []byte(tc.yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		root := newRootCmd()
		root.SetArgs([]string{"serve", "--config", p})
		root.SetOut(new(bytes.Buffer))
		err := root.Execute()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want an error containing %q", tc.yaml, err, tc.want)
		}
	}
}

// TestServePrintConfigRoundTrip: --print-config writes the defaults as YAML
// that reads back to the same configuration (GOGC 400 included).
func TestServePrintConfigRoundTrip(t *testing.T) {
	root := newRootCmd()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"serve", "--print-config"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	cfg, err := node.ParseConfig(out.Bytes())
	if err != nil {
		t.Fatalf("printed config does not parse: %v\n%s", err, out.String())
	}
	def := node.DefaultConfig()
	if cfg.Runtime.GCPercent != 400 || cfg.S1.Listen[0] != "127.0.0.1" || *cfg.S1.UDPPort != 9899 ||
		cfg.S11.SGW != def.S11.SGW || cfg.S6a.Peers[0] != "127.0.0.1:3868" || cfg.Store.Dir != "./data" {
		t.Errorf("defaults changed by the round trip: %+v", cfg)
	}
}

// lineWriter hands each write to a channel (the readiness line).
type lineWriter chan string

func (w lineWriter) Write(b []byte) (int, error) { w <- string(b); return len(b), nil }

// TestServeReadyLineAndShutdown: `mme serve` on ephemeral loopback ports
// prints the readiness line in its documented format (docs/design/node.md
// "Readiness line") and shuts down in order when its context ends (as on
// SIGTERM), returning no error.
func TestServeReadyLineAndShutdown(t *testing.T) {
	cfg, err := node.ParseConfig([]byte(`
s1: {udp_port: 0, transport: udp}
s11: {local: "127.0.0.1:0", sgw: "127.0.0.1:9"}
s6a: {peers: ["127.0.0.1:9"]}
store: {dir: memory}
http: {listen: "127.0.0.1:0"}
log: {level: error}
`))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	out := make(lineWriter, 4)
	done := make(chan error, 1)
	go func() { done <- runServe(ctx, cfg, "", out, io.Discard) }()
	var line string
	select {
	case line = <-out:
	case err := <-done:
		t.Fatalf("serve ended before it was ready: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no readiness line")
	}
	fields := map[string]string{}
	if !strings.HasPrefix(line, "mme ready ") || !strings.HasSuffix(line, "\n") {
		t.Fatalf("readiness line %q", line)
	}
	for _, f := range strings.Fields(strings.TrimPrefix(line, "mme ready ")) {
		k, v, _ := strings.Cut(f, "=")
		fields[k] = v
	}
	if _, err := netip.ParseAddrPort(fields["s1"]); err != nil || fields["transport"] != "udp" || fields["http"] == "" || fields["s11"] == "" {
		t.Errorf("readiness fields %v", fields)
	}
	rsp, err := http.Get("http://" + fields["http"] + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	rsp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("serve: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("serve did not shut down")
	}
}
