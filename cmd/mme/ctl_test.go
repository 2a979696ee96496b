package main

import (
	"bytes"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/lte-mme/mme/supervision"
)

//go:noinline
func ctlTestPanics(m map[string]int) { m["x"]++ }

// stackOfPanic is the stack debug.Stack gives inside a recover, as the
// actors capture it for a crash report.
func stackOfPanic() (stack string) {
	defer func() {
		if recover() != nil {
			stack = string(debug.Stack())
		}
	}()
	ctlTestPanics(nil)
	return ""
}

// The crash table's WHERE column is the function that panicked, not the
// runtime's or the recover's frames.
func TestCtlFirstStackLine(t *testing.T) {
	got := firstStackLine(stackOfPanic())
	if !strings.HasPrefix(got, "cmd/mme.ctlTestPanics ") || !strings.Contains(got, "mme/ctl_test.go:") {
		t.Errorf("firstStackLine = %q, want cmd/mme.ctlTestPanics with its file:line", got)
	}
	if got := firstStackLine(""); got != "" {
		t.Errorf("empty stack: %q", got)
	}
	var b bytes.Buffer
	writeCrashTable(&b, []supervision.CrashReport{{Time: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Key: "key-7",
		State: "EMM-REGISTERED ECM-IDLE none imsi=00101**********", Event: "UplinkNASTransport",
		Reason: supervision.ReasonFaultInjection, Stack: stackOfPanic()}})
	out := b.String()
	for _, want := range []string{"TIME", "KEY", "2026-01-02T03:04:05.000Z", "key-7", "imsi=00101**********", "UplinkNASTransport",
		"fault-injection", "cmd/mme.ctlTestPanics", "1 crash reports"} {
		if !strings.Contains(out, want) {
			t.Errorf("crash table lacks %q:\n%s", want, out)
		}
	}
}

// --admin must be an http URL.
func TestCtlAdminFlag(t *testing.T) {
	root := newRootCmd()
	root.SetArgs([]string{"ctl", "crashes", "--admin", "127.0.0.1:8080"})
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	if err := root.Execute(); err == nil || !strings.Contains(err.Error(), "--admin") {
		t.Errorf("error %v, want one naming --admin", err)
	}
}
