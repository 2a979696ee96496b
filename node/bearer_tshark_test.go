package node_test

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/node"
	"github.com/lte-mme/mme/s1ap"
)

// needTool finds an external oracle: missing, the test fails under CI and
// is skipped with the reason elsewhere.
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not found and CI is set", name)
		}
		t.Skipf("%s not installed: skipping the tshark cross-check (set CI to make this fail)", name)
	}
	return p
}

// TestTsharkDissectsBearerProcedures: every S1AP PDU (with its NAS) and
// every S11 message the node sends during the bearer and PDN procedures
// (E-RAB SETUP/MODIFY/RELEASE, Create/Update/Delete Bearer Response,
// Create/Delete Session and Modify Bearer for a second PDN, UE CONTEXT
// MODIFICATION REQUEST after a UE-AMBR change) dissects in
// tshark with no malformed packet and no expert warning or error. NAS
// runs with EEA0 so that tshark dissects the ESM messages.
func TestTsharkDissectsBearerProcedures(t *testing.T) {
	text2pcap, tshark := needTool(t, "text2pcap"), needTool(t, "tshark")
	var mu sync.Mutex
	var s11 [][]byte
	tap := func(out bool, _ netip.AddrPort, b []byte) {
		if out {
			mu.Lock()
			s11 = append(s11, append([]byte(nil), b...))
			mu.Unlock()
		}
	}
	l := newLab(t, func(c *node.Config) { c.Security.Ciphering = []string{"EEA0"} }, node.Options{S11Tap: tap})
	e := l.newENB(1)
	e.mu.Lock()
	e.capture = true
	e.mu.Unlock()
	u := l.newUE(e, 1)
	u.attach()

	done := createBearer(l, u.imsi)
	ebi := u.activateDedicated(true)
	if err := wait(t, done); err != nil {
		t.Fatal(err)
	}
	upd := make(chan error, 1)
	go func() { upd <- l.sgw.UpdateBearer(context.Background(), u.imsi, ebi, sgwQoS(2), nil) }()
	_, msg := erabNAS[*s1ap.ERABModifyRequest](u)
	u.enb.send(1, &s1ap.ERABModifyResponse{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID,
		ERABModifyListBearerModRes: s1ap.Some(s1ap.ERABModifyListBearerModRes{{ERABID: s1ap.ERABID(ebi)}})})
	u.uplink(&nas.ModifyEPSBearerContextAccept{EBI: ebi, PTI: msg.(*nas.ModifyEPSBearerContextRequest).PTI}, nas.IntegrityProtectedCiphered)
	if err := wait(t, upd); err != nil {
		t.Fatal(err)
	}
	del := make(chan error, 1)
	go func() { del <- l.sgw.DeleteBearer(context.Background(), u.imsi, ebi) }()
	_, msg = erabNAS[*s1ap.ERABReleaseCommand](u)
	u.enb.send(1, &s1ap.ERABReleaseResponse{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID,
		ERABReleaseListBearerRelComp: s1ap.Some(s1ap.ERABReleaseListBearerRelComp{{ERABID: s1ap.ERABID(ebi)}})})
	u.uplink(&nas.DeactivateEPSBearerContextAccept{EBI: ebi, PTI: msg.(*nas.DeactivateEPSBearerContextRequest).PTI}, nas.IntegrityProtectedCiphered)
	if err := wait(t, del); err != nil {
		t.Fatal(err)
	}

	ims := nas.APN("ims")
	u.uplink(&nas.PDNConnectivityRequest{PTI: 2, RequestType: nas.InitialRequest, PDNType: nas.PDNTypeIPv4,
		AccessPointName: &ims}, nas.IntegrityProtectedCiphered)
	req, msg := erabNAS[*s1ap.ERABSetupRequest](u)
	u.erabSetupResponse(req)
	act := msg.(*nas.ActivateDefaultEPSBearerContextRequest)
	u.uplink(&nas.ActivateDefaultEPSBearerContextAccept{EBI: act.EBI, PTI: act.PTI}, nas.IntegrityProtectedCiphered)
	l.eventually("second PDN at the SGW", func() bool { b, ok := sgwBearer(l, u.imsi, act.EBI); return ok && b.ENodeB.TEID != 0 })
	u.uplink(&nas.PDNDisconnectRequest{PTI: 3, LinkedEPSBearerIdentity: act.EBI}, nas.IntegrityProtectedCiphered)
	_, msg = erabNAS[*s1ap.ERABReleaseCommand](u)
	u.enb.send(1, &s1ap.ERABReleaseResponse{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID,
		ERABReleaseListBearerRelComp: s1ap.Some(s1ap.ERABReleaseListBearerRelComp{{ERABID: s1ap.ERABID(act.EBI)}})})
	u.uplink(&nas.DeactivateEPSBearerContextAccept{EBI: act.EBI, PTI: 3}, nas.IntegrityProtectedCiphered)
	l.eventually("second PDN deleted", func() bool { return len(l.subscriber(u.imsi).PDNs) == 1 })
	nowhere := nas.APN("nowhere")
	u.uplink(&nas.PDNConnectivityRequest{PTI: 4, RequestType: nas.InitialRequest, PDNType: nas.PDNTypeIPv4,
		AccessPointName: &nowhere}, nas.IntegrityProtectedCiphered)
	expect[*nas.PDNConnectivityReject](u)
	idr := make(chan error, 1)
	go func() { idr <- l.hss.ChangeAMBR(context.Background(), u.imsi, 30_000_000, 60_000_000) }()
	if m := u.enb.recv(u.enbID); m.MessageName() != "UEContextModificationRequest" {
		t.Fatalf("got %s, want UEContextModificationRequest", m.MessageName())
	}
	if err := wait(t, idr); err != nil {
		t.Fatal(err)
	}

	e.mu.Lock()
	s1 := append([][]byte(nil), e.captured...)
	e.mu.Unlock()
	mu.Lock()
	gtpc := append([][]byte(nil), s11...)
	mu.Unlock()
	dir := t.TempDir()
	check := func(name string, pdus [][]byte, encap []string, proto string, want []string, extra ...string) {
		var text strings.Builder
		for _, b := range pdus {
			text.WriteString("0000")
			for _, x := range b {
				fmt.Fprintf(&text, " %02x", x)
			}
			text.WriteString("\n")
		}
		txt, pcap := filepath.Join(dir, name+".txt"), filepath.Join(dir, name+".pcap")
		if err := os.WriteFile(txt, []byte(text.String()), 0o644); err != nil {
			t.Fatal(err)
		}
		if out, err := exec.Command(text2pcap, append(append([]string{"-q"}, encap...), txt, pcap)...).CombinedOutput(); err != nil {
			t.Fatalf("text2pcap: %v\n%s", err, out)
		}
		out, err := exec.Command(tshark, append([]string{"-r", pcap, "-n", "-o", "nas-eps.null_decipher:TRUE"}, append(extra,
			"-T", "fields", "-E", "separator=|", "-e", "frame.protocols", "-e", "_ws.col.Info", "-e", "_ws.expert.severity",
			"-e", "_ws.expert.message", "-e", "_ws.malformed")...)...).Output()
		if err != nil {
			t.Fatalf("tshark: %v", err)
		}
		lines := strings.Split(strings.TrimSpace(string(out)), "\n")
		if len(lines) != len(pdus) {
			t.Fatalf("%s: tshark read %d packets, want %d", name, len(lines), len(pdus))
		}
		var info strings.Builder
		for i, line := range lines {
			f := strings.Split(line, "|")
			if !strings.Contains(f[0], proto) {
				t.Errorf("%s frame %d not dissected as %s: %s", name, i+1, proto, f[0])
			}
			severe := f[4] != ""
			for _, s := range strings.Split(f[2], ",") {
				var v int
				fmt.Sscanf(s, "%d", &v)
				if v >= 0x00600000 { // warning or error
					severe = true
				}
			}
			if severe {
				t.Errorf("%s frame %d (%s): expert %q malformed %q", name, i+1, f[1], f[3], f[4])
			}
			info.WriteString(f[1] + "\n")
		}
		for _, w := range want {
			if !strings.Contains(info.String(), w) {
				t.Errorf("%s: no %q among the dissected messages:\n%s", name, w, info.String())
			}
		}
	}
	check("s1ap", s1, []string{"-S", "36412,36412,18"}, "s1ap", []string{"E-RABSetupRequest", "E-RABModifyRequest",
		"E-RABReleaseCommand", "Activate dedicated EPS bearer context request", "Modify EPS bearer context request",
		"Deactivate EPS bearer context request", "Activate default EPS bearer context request", "PDN connectivity reject",
		"UEContextModificationRequest"})
	check("s11", gtpc, []string{"-u", "2123,2123"}, "gtpv2", []string{"Create Bearer Response", "Update Bearer Response",
		"Delete Bearer Response", "Create Session Request", "Delete Session Request", "Modify Bearer Request"})
}

// sgwQoS is a GBR bearer QoS of the given QCI.
func sgwQoS(qci uint8) gtp.BearerQoS {
	return gtp.BearerQoS{QCI: qci, ARP: gtp.ARP{PL: 3}, MBRUplink: 256, MBRDownlink: 256, GBRUplink: 128, GBRDownlink: 128}
}
