package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func runDecodeS1AP(t *testing.T, stdin string, args ...string) ([]map[string]any, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetArgs(append([]string{"decode", "s1ap"}, args...))
	root.SetIn(strings.NewReader(stdin))
	root.SetOut(&out)
	root.SetErr(&out)
	err := root.Execute()
	var lines []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if jerr := json.Unmarshal([]byte(l), &m); jerr != nil {
			t.Fatalf("output line %q: %v", l, jerr)
		}
		lines = append(lines, m)
	}
	return lines, err
}

// Vectors from ../shared/vectors/s1ap.tsv.
const (
	dlNASTransport = "000b4016000003000000020001000800020001001a0003020742"               // DownlinkNASTransport#05
	trailingENBID  = "2007001d00000300004005c080000108000840030001000045400600000f40010c" // E-RABReleaseResponse#05: Wireshark-only
)

func TestDecodeS1APArgs(t *testing.T) {
	lines, err := runDecodeS1AP(t, "", "--reencode", dlNASTransport)
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 {
		t.Fatalf("%d lines", len(lines))
	}
	l := lines[0]
	if l["ok"] != true || l["type"] != "DownlinkNASTransport" || l["reencoded"] != dlNASTransport {
		t.Fatalf("line %v", l)
	}
	ies := l["pdu"].(map[string]any)["initiatingMessage"].(map[string]any)["value"].(map[string]any)["DownlinkNASTransport"].(map[string]any)
	if ies["MME-UE-S1AP-ID"] != 1.0 || ies["eNB-UE-S1AP-ID"] != 1.0 || ies["NAS-PDU"] != "0742" {
		t.Errorf("IEs %v", ies)
	}
}

func TestDecodeS1APStdinAndExitStatus(t *testing.T) {
	in := "# comment\n" + dlNASTransport + "\n\n" + trailingENBID + "\nzz\n"
	lines, err := runDecodeS1AP(t, in)
	var es exitStatusError
	if !errors.As(err, &es) || es.code != 1 {
		t.Fatalf("error %v, want exit status 1", err)
	}
	if len(lines) != 3 {
		t.Fatalf("%d lines, want 3 (comment and blank line skipped)", len(lines))
	}
	if lines[0]["ok"] != true || lines[0]["reencoded"] != nil {
		t.Errorf("line 1: %v (no --reencode)", lines[0])
	}
	if lines[1]["ok"] != false || !strings.Contains(lines[1]["error"].(string), "octets after the value in an open type") {
		t.Errorf("line 2: %v, want the strict trailing-octets error", lines[1])
	}
	if lines[2]["ok"] != false || !strings.HasPrefix(lines[2]["error"].(string), "hex:") {
		t.Errorf("line 3: %v", lines[2])
	}
}

func TestDecodeS1APLenient(t *testing.T) {
	lines, err := runDecodeS1AP(t, "", "--lenient", "--reencode", trailingENBID)
	if err != nil {
		t.Fatal(err)
	}
	if lines[0]["ok"] != true || lines[0]["type"] != "E-RABReleaseResponse" {
		t.Fatalf("%v", lines[0])
	}
	// the canonical encoding: the eNB-UE-S1AP-ID open type without its
	// trailing octet (2 octets, the message one shorter)
	if got := lines[0]["reencoded"]; got != "2007001c00000300004005c0800001080008400200010045400600000f40010c" {
		t.Errorf("reencoded %v", got)
	}
}

func TestDecodeS1APProtocolError(t *testing.T) {
	// NEG-S1SetupRequest#06: id-pagingDRX (criticality reject) is unknown in S1SetupRequest
	lines, err := runDecodeS1AP(t, "", "00110021000003003b40080062f22400000170004000070000004062f224002c00030a0100")
	if err == nil {
		t.Fatal("exit status 0")
	}
	l := lines[0]
	if l["ok"] != false || l["type"] != "S1SetupRequest" || l["pdu"] == nil || !strings.Contains(l["error"].(string), "unknown IE 44") {
		t.Errorf("%v", l)
	}
}
