package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

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
