package s1ap

import (
	"encoding/hex"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

// TestTshark: what we encode dissects in Wireshark with no malformed
// packet and no expert error: one message of every type (random values
// made plausible for the dissectors Wireshark calls on S1AP contents,
// see plausible) plus a realistic set of the messages the MME and the
// load tester build, all in one capture (SCTP, PPID 18) read by one
// tshark run.
func TestTshark(t *testing.T) {
	needTool(t, "text2pcap")
	tshark := needTool(t, "tshark")
	real := harvest(t)
	var pdus []*PDU
	for _, p := range randomMessages(11, 2) {
		m := reflect.ValueOf(p.Message).Elem()
		for i := 0; i < m.NumField(); i++ { // optional IEs: absent
			if f := m.Field(i); f.Kind() == reflect.Struct && f.FieldByName("Present").IsValid() {
				f.Set(reflect.Zero(f.Type()))
			}
		}
		plausible(m, real)
		pdus = append(pdus, p)
	}
	// the MME's answers to a rejected S1 Setup (NEG-S1SetupRequest#06):
	// S1SetupFailure and ErrorIndication with Criticality Diagnostics
	_, err := Decode(mustHex("00110021000003003b40080062f22400000170004000070000004062f224002c00030a0100"))
	pe, ok := err.(*ProtocolError)
	if !ok {
		t.Fatalf("NEG-S1SetupRequest#06: %v", err)
	}
	pdus = append(pdus,
		NewPDU(&S1SetupFailure{Cause: pe.Cause(), TimeToWait: Some(TimeToWaitV10s), CriticalityDiagnostics: Some(pe.CriticalityDiagnostics())}),
		NewPDU(&ErrorIndication{Cause: Some(pe.Cause()), CriticalityDiagnostics: Some(pe.CriticalityDiagnostics())}))
	var text strings.Builder
	for _, p := range pdus {
		b, err := p.Encode()
		if err != nil {
			t.Fatalf("%s: %v", p.Message.MessageName(), err)
		}
		text.WriteString("0000")
		for _, x := range b {
			fmt.Fprintf(&text, " %02x", x)
		}
		text.WriteString("\n")
	}
	dir := t.TempDir()
	txt, pcap := filepath.Join(dir, "s1ap.txt"), filepath.Join(dir, "s1ap.pcap")
	if err := os.WriteFile(txt, []byte(text.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("text2pcap", "-q", "-S", "36412,36412,18", txt, pcap).CombinedOutput(); err != nil {
		t.Fatalf("text2pcap: %v\n%s", err, out)
	}
	// Payloads of other protocols carried opaquely (LPPa TS 36.455,
	// cdma2000 A21/GCSNA, RIM over BSSGP TS 48.018) are random here: their
	// dissectors are off, S1AP, NAS-EPS and LTE RRC stay on.
	out, err := exec.Command(tshark, "-r", pcap, "--disable-protocol", "lppa", "--disable-protocol", "a21",
		"--disable-protocol", "cdma2k", "--disable-protocol", "gcsna", "--disable-protocol", "bssgp", "-T", "fields", "-E", "separator=|",
		"-e", "frame.number", "-e", "s1ap.procedureCode", "-e", "_ws.expert.severity", "-e", "_ws.expert.message", "-e", "_ws.malformed").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(pdus) {
		t.Fatalf("tshark read %d packets, want %d", len(lines), len(pdus))
	}
	bad := 0
	for _, l := range lines {
		f := strings.Split(l, "|")
		n, _ := strconv.Atoi(f[0])
		p := pdus[n-1]
		if strings.Split(f[1], ",")[0] != strconv.Itoa(int(p.ProcedureCode)) { // RerouteNASRequest nests one
			t.Errorf("frame %d: procedure code %q, want %d", n, f[1], p.ProcedureCode)
		}
		severe := f[4] != ""
		for _, s := range strings.Split(f[2], ",") {
			if v, _ := strconv.Atoi(s); v >= 0x00600000 { // warning or error
				severe = true
			}
		}
		if severe {
			bad++
			b, _ := p.Encode()
			t.Errorf("frame %d %s: expert %q (severity %s) malformed %q\n%s", n, p.Message.MessageName(), f[3], f[2], f[4], hex.EncodeToString(b))
		}
	}
	t.Logf("%d PDUs of %d message types (+2) dissected by tshark, %d with warnings or errors", len(pdus), (len(pdus)-2)/2, bad)
}

// harvest collects, per octet string type, a value seen in the vectors
// (transparent containers, radio capabilities: real RRC content).
func harvest(t *testing.T) map[reflect.Type]reflect.Value {
	seen := map[reflect.Type]reflect.Value{}
	var walk func(v reflect.Value)
	walk = func(v reflect.Value) {
		switch v.Kind() {
		case reflect.Struct:
			for i := 0; i < v.NumField(); i++ {
				if v.Type().Field(i).IsExported() {
					walk(v.Field(i))
				}
			}
		case reflect.Slice:
			if v.Type().Elem().Kind() == reflect.Uint8 {
				if _, ok := seen[v.Type()]; !ok && v.Len() > 0 && v.Type().Name() != "" {
					seen[v.Type()] = v
				}
				return
			}
			for i := 0; i < v.Len(); i++ {
				walk(v.Index(i))
			}
		}
	}
	for _, vec := range loadVectors(t) {
		if strings.Contains(vec.notes, "[expert:") || strings.Contains(vec.notes, "Malformed") {
			continue
		}
		if p, err := DecodeLenient(mustHex(vec.hex)); err == nil {
			walk(reflect.ValueOf(p.Message).Elem())
		}
	}
	return seen
}

// plausible makes random values meaningful to the dissectors Wireshark
// runs on S1AP contents: a real NAS PDU, IPv4 transport addresses, intra-LTE
// handovers with containers and radio capabilities seen in real captures,
// an S1AP message where RerouteNASRequest carries one.
func plausible(v reflect.Value, real map[reflect.Type]reflect.Value) {
	if r, ok := real[v.Type()]; ok && v.Kind() == reflect.Slice {
		v.Set(r)
		return
	}
	switch v.Interface().(type) {
	case Cdma2000RATType: // HRPD: the sector ID is 16 opaque octets (3GPP2 C.S0024)
		v.Set(reflect.ValueOf(Cdma2000RATTypeHRPD))
		return
	case Cdma2000SectorID:
		v.Set(reflect.ValueOf(Cdma2000SectorID(make([]byte, 16))))
		return
	case HandoverType:
		v.Set(reflect.ValueOf(HandoverTypeIntralte))
		return
	case S1Message: // an InitialUEMessage (InitialUEMessage#01 of s1ap.tsv)
		v.Set(reflect.ValueOf(S1Message(mustHex("000c40809f000005000800020001001a00777617c0c8102d0b0741020bf61300148001010000000105e060c0401900240204d011d1271d8080211001000010810600000000830600000000000d00000a000010005213001400015c0a003103e5e03e13130014000111035758a6200b6014046f65230200243c2040080402600000021f005d0103e0c10043000600134001000100644008001340011a2d00100086400130"))))
		return
	case NASPDU:
		v.Set(reflect.ValueOf(NASPDU(mustHex("075200e80526e22caab2fc9a4dda558c612e6a109113c6e1085c9001df93421ca180ebe5"))))
		return
	case EUTRANTraceID: // TS 32.422 §5.6: PLMN identity, then the trace id
		v.Set(reflect.ValueOf(EUTRANTraceID{0x00, 0xf1, 0x10, 1, 2, 3, 0, 1}))
		return
	case TransportLayerAddress:
		v.Set(reflect.ValueOf(TransportLayerAddress{Bytes: []byte{192, 0, 2, 1}, Len: 32}))
		return
	}
	switch v.Kind() {
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				plausible(v.Field(i), real)
			}
		}
	case reflect.Slice:
		if v.Type().Elem().Kind() != reflect.Uint8 {
			for i := 0; i < v.Len(); i++ {
				plausible(v.Index(i), real)
			}
		}
	}
}
