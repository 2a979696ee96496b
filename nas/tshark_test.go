package nas

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// needTool returns the path of an external oracle, skipping the test when
// it is missing, or failing it when the CI environment variable is set.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed (required when CI is set): %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
	return p
}

// userDLT makes tshark hand link-layer type 147 (USER0) to the nas-eps
// dissector, so the pcap holds bare NAS PDUs.
const userDLT = `uat:user_dlts:"User 0 (DLT=147)","nas-eps","0","","0",""`

// TestTsharkDissectsEncoded encodes one instance of every message type
// (built from values, including the network-sent ones without third-party
// bytes) and has tshark's nas-eps dissector read them all in one run: each
// frame must dissect as the message we meant, with no malformed packet and
// no expert info.
func TestTsharkDissectsEncoded(t *testing.T) {
	tshark := needTool(t, "tshark")
	samples := append(sampleMessages(t), fullSamples(t)...)
	var pcap bytes.Buffer
	w := pcapgo.NewWriter(&pcap)
	if err := w.WriteFileHeader(65535, layers.LinkType(147)); err != nil {
		t.Fatal(err)
	}
	for i, s := range samples {
		b := mustEncode(t, s.m)
		if s.m.ProtocolDiscriminator() == EPSSessionManagement {
			// A standalone ESM message always travels in a security
			// protected EMM envelope (TS 24.301 §4.4.4); the dissector
			// insists. Header type 1 leaves it readable.
			b = mustEncode(t, &SecurityProtected{Header: IntegrityProtected, SequenceNumber: uint8(i), Message: b})
		}
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1700000000+int64(i), 0), CaptureLength: len(b), Length: len(b)}
		if err := w.WritePacket(ci, b); err != nil {
			t.Fatal(err)
		}
	}
	file := filepath.Join(t.TempDir(), "nas.pcap")
	if err := os.WriteFile(file, pcap.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(tshark, "-n", "-r", file, "-o", userDLT, "-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=;",
		"-e", "frame.number", "-e", "nas_eps.security_header_type", "-e", "nas_eps.nas_msg_emm_type", "-e", "nas_eps.nas_msg_esm_type",
		"-e", "_ws.malformed", "-e", "_ws.expert.message", "-e", "_ws.col.Info")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(samples) {
		t.Fatalf("tshark printed %d frames, want %d:\n%s", len(lines), len(samples), out)
	}
	for i, line := range lines {
		s := samples[i]
		f := strings.Split(line, "|")
		if len(f) != 7 {
			t.Fatalf("frame %d: %q", i+1, line)
		}
		if f[4] != "" || f[5] != "" {
			t.Errorf("%s (frame %d): malformed %q expert %q (%s)", s.name, i+1, f[4], f[5], f[6])
		}
		want, got := "", ""
		switch m := s.m.(type) {
		case *ServiceRequest:
			want, got = "12", first(f[1])
		case *SecurityProtected:
			want, got = strconv.Itoa(int(m.Header)), first(f[1])
		default:
			if m.ProtocolDiscriminator() == EPSSessionManagement && first(f[1]) != "1" {
				t.Errorf("%s (frame %d): outer security header %q, want 1", s.name, i+1, f[1])
			}
			want = fmt.Sprintf("0x%02x", uint8(m.MessageType()))
			got = f[2]
			if m.ProtocolDiscriminator() == EPSSessionManagement {
				got = f[3]
			}
			got = first(got)
		}
		if got != want {
			t.Errorf("%s (frame %d): tshark read type %q, want %q (%s)", s.name, i+1, got, want, f[6])
		}
		t.Logf("%-42s %s", s.name, f[6])
	}
}

func first(s string) string { v, _, _ := strings.Cut(s, ";"); return v }
