package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	tv "github.com/lte-mme/mme/internal/vectors"
	"os"
	"strings"
	"testing"
)

// runDecodeNAS runs `mme decode nas` with args and stdin and returns the
// decoded JSON lines and the command's error.
func runDecodeNAS(t *testing.T, stdin string, args ...string) ([]map[string]any, error) {
	t.Helper()
	root := newRootCmd()
	var out bytes.Buffer
	root.SetArgs(append([]string{"decode", "nas"}, args...))
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

func TestDecodeNASArgs(t *testing.T) {
	lines, err := runDecodeNAS(t, "", "--reencode",
		"0741710809101000000000100220200004020"+"1d011", // ATTACH REQUEST with IMSI, PDN CONNECTIVITY REQUEST inside
		"2728e58e6d01074300035200c2",                    // security protected ATTACH COMPLETE (EEA0)
		"c7a8640c")                                      // SERVICE REQUEST
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 {
		t.Fatalf("%d lines", len(lines))
	}
	ar := lines[0]
	if ar["ok"] != true || ar["type"] != "AttachRequest" || ar["reencoded"] != "07417108091010000000001002202000040201d011" {
		t.Errorf("attach request: %v", ar)
	}
	id := ar["pdu"].(map[string]any)["EPSMobileIdentity"].(map[string]any)
	if id["Type"] != "IMSI" || id["Digits"] != "001010000000001" {
		t.Errorf("identity %v", id)
	}
	if esm := ar["esm"].(map[string]any); esm["type"] != "PDNConnectivityRequest" {
		t.Errorf("esm %v", esm)
	}
	sp := lines[1]
	if sp["type"] != "SecurityProtected" || sp["pdu"].(map[string]any)["MAC"] != "28e58e6d" || sp["inner"].(map[string]any)["type"] != "AttachComplete" {
		t.Errorf("security protected: %v", sp)
	}
	if sr := lines[2]; sr["type"] != "ServiceRequest" || sr["pdu"].(map[string]any)["ShortMAC"] != "640c" {
		t.Errorf("service request: %v", sr)
	}
}

func TestDecodeNASErrorsExitOne(t *testing.T) {
	lines, err := runDecodeNAS(t, "0747\n\n# comment\nzz\n0741\n075300\n")
	var st exitStatusError
	if !errors.As(err, &st) || st.code != 1 {
		t.Fatalf("err = %v, want exit status 1", err)
	}
	want := []string{"#97", "hex", "#96", "authentication response parameter"}
	if len(lines) != len(want) {
		t.Fatalf("%d lines: %v", len(lines), lines)
	}
	for i, w := range want {
		l := lines[i]
		if l["ok"] != false || !strings.Contains(l["error"].(string), w) {
			t.Errorf("line %d: %v, want an error with %q", i, l, w)
		}
	}
	if _, err := runDecodeNAS(t, "", "--direction", "sideways", "0746"); err == nil || errors.As(err, &st) {
		t.Errorf("bad --direction: %v", err)
	}
	lines, err = runDecodeNAS(t, "", "--direction", "uplink", "07420249060000f110000100035201c1")
	if !errors.As(err, &st) || !strings.Contains(lines[0]["error"].(string), "#98") {
		t.Errorf("downlink message with --direction uplink: %v %v", lines, err)
	}
}

// TestDecodeNASVectors pipes every nas.tsv row through the command: all
// decode except the two rows that are not NAS (see nas.TestVectors), and
// plain ones re-encode identically.
func TestDecodeNASVectors(t *testing.T) {
	f, err := os.Open(tv.Path("nas.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var in strings.Builder
	var names []string
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if cols[0] == "name" {
			continue
		}
		names = append(names, cols[0])
		in.WriteString(cols[1] + "\n")
	}
	lines, err := runDecodeNAS(t, in.String(), "--reencode")
	var st exitStatusError
	if !errors.As(err, &st) {
		t.Fatalf("err = %v, want exit status 1 for the two non-NAS rows", err)
	}
	if len(lines) != len(names) {
		t.Fatalf("%d lines for %d rows", len(lines), len(names))
	}
	hexIn := strings.Split(strings.TrimSpace(in.String()), "\n")
	for i, l := range lines {
		bad := strings.HasPrefix(names[i], "EMMSecProtNASMessage")
		if (l["ok"] == true) == bad {
			t.Errorf("%s: %v", names[i], l)
			continue
		}
		if !bad && l["reencoded"] != hexIn[i] {
			t.Errorf("%s: reencoded %v", names[i], l["reencoded"])
		}
	}
}
