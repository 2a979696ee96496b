package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestS1ProbeSelftest: `mme s1probe --mode udp --selftest` associates over
// loopback and echoes one PPID 18 message.
func TestS1ProbeSelftest(t *testing.T) {
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"s1probe", "--mode", "udp", "--selftest"})
	if err := cmd.Execute(); err != nil {
		t.Fatalf("s1probe: %v\n%s", err, out.String())
	}
	for _, want := range []string{"mode udp resolves to: udp", "selftest: association up (streams in 32 out 32), 100-byte PPID 18 message echoed"} {
		if !strings.Contains(out.String(), want) {
			t.Fatalf("output lacks %q:\n%s", want, out.String())
		}
	}
}
