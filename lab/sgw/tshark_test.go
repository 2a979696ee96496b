package sgw

import (
	"bytes"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/gtp/s11"
)

// needTool skips without the tool, but fails under CI (common brief).
func needTool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s not installed (CI is set): %v", name, err)
		}
		t.Skipf("%s not installed: %v", name, err)
	}
	return p
}

// datagram is one UDP payload one of our endpoints sent.
type datagram struct {
	from, to netip.AddrPort
	b        []byte
}

type capture struct {
	mu  sync.Mutex
	out []datagram
}

// tap returns an s11 Config.Tap recording what the endpoint at self sends.
func (c *capture) tap(self func() netip.AddrPort) func(bool, netip.AddrPort, []byte) {
	return func(out bool, peer netip.AddrPort, b []byte) {
		if !out {
			return
		}
		c.mu.Lock()
		c.out = append(c.out, datagram{from: self(), to: peer, b: append([]byte(nil), b...)})
		c.mu.Unlock()
	}
}

// writePcap writes the datagrams as Ethernet/IPv4/UDP frames.
func (c *capture) writePcap(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	ts := time.Unix(1_700_000_000, 0)
	for k, d := range c.out {
		eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2},
			EthernetType: layers.EthernetTypeIPv4}
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP,
			SrcIP: d.from.Addr().AsSlice(), DstIP: d.to.Addr().AsSlice()}
		udp := &layers.UDP{SrcPort: layers.UDPPort(d.from.Port()), DstPort: layers.UDPPort(d.to.Port())}
		udp.SetNetworkLayerForChecksum(ip)
		buf := gopacket.NewSerializeBuffer()
		opts := gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}
		if err := gopacket.SerializeLayers(buf, opts, eth, ip, udp, gopacket.Payload(d.b)); err != nil {
			t.Fatal(err)
		}
		data := buf.Bytes()
		ci := gopacket.CaptureInfo{Timestamp: ts.Add(time.Duration(k) * time.Millisecond), CaptureLength: len(data), Length: len(data)}
		if err := w.WritePacket(ci, data); err != nil {
			t.Fatal(err)
		}
	}
	return len(c.out)
}

// Our S11 traffic, both sides, every message type the MME side and the
// emulator send, dissected by tshark: no malformed packet, no expert
// warning or error.
func TestTsharkDissectsOurTraffic(t *testing.T) {
	tshark := needTool(t, "tshark")
	var capt capture
	var emu *Emulator
	var emuAddr, mmeAddr atomicAddr
	emu = newEmulator(t, Config{UEPoolV4: netip.MustParsePrefix("10.45.0.0/16"), UEPoolV6: netip.MustParsePrefix("2001:db8:45::/48"),
		S11: s11.Config{RestartCounter: 5, EchoInterval: 50 * time.Millisecond, Tap: capt.tap(emuAddr.load)}})
	emuAddr.store(emu.Addr())
	mme := newFakeMME(t, s11.Config{RestartCounter: 9, EchoInterval: 50 * time.Millisecond, Tap: capt.tap(mmeAddr.load)})
	mmeAddr.store(mme.ep.LocalAddr())
	sgw := emu.Addr()
	c := ctx(t)
	must := func(m gtp.Message, err error) gtp.Message {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	const imsi = "001010000000077"

	cs := must(mme.ep.RequestSync(c, sgw, 0, mme.csr(imsi, sgw, gtp.PDNTypeIPv4v6))).(*gtp.CreateSessionResponse)
	teid := cs.SenderFTEID.TEID
	must(mme.ep.RequestSync(c, sgw, teid, &gtp.ModifyBearerRequest{
		ULI:                        gtp.ULI{TAI: gtp.TAI{PLMN: gtp.PLMN{MCC: "001", MNC: "01"}, TAC: 7}, ECGI: gtp.ECGI{PLMN: gtp.PLMN{MCC: "001", MNC: "01"}, ECI: 0x1f00}},
		BearerContextsToBeModified: []gtp.BearerContext{{EBI: 5, S1UENodeBFTEID: enbU}}}))
	must(mme.ep.RequestSync(c, sgw, teid, &gtp.ReleaseAccessBearersRequest{}))
	if _, err := emu.DownlinkData(c, imsi); err != nil {
		t.Fatal(err)
	}
	mme.ep.Notify(sgw, teid, &gtp.DownlinkDataNotificationFailureIndication{Cause: gtp.Cause{Value: gtp.CauseUENotResponding}})
	must(mme.ep.RequestSync(c, sgw, teid, &gtp.ModifyBearerRequest{
		BearerContextsToBeModified: []gtp.BearerContext{{EBI: 5, S1UENodeBFTEID: enbU}}}))
	ebi, err := emu.CreateBearer(c, imsi, BearerRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if err := emu.UpdateBearer(c, imsi, ebi, gtp.BearerQoS{QCI: 2, ARP: gtp.ARP{PL: 3}, MBRUplink: 256, MBRDownlink: 256,
		GBRUplink: 128, GBRDownlink: 128}, &gtp.AMBR{Uplink: 1000, Downlink: 2000}); err != nil {
		t.Fatal(err)
	}
	if err := emu.DeleteBearer(c, imsi, ebi); err != nil {
		t.Fatal(err)
	}
	ebi, _ = emu.CreateBearer(c, imsi, BearerRequest{})
	must(mme.ep.RequestSync(c, sgw, teid, &gtp.DeleteBearerCommand{BearerContexts: []gtp.BearerContext{{EBI: ebi}}}))
	must(mme.ep.RequestSync(c, sgw, teid, &gtp.DeleteBearerCommand{BearerContexts: []gtp.BearerContext{{EBI: 15}}}))
	must(mme.ep.RequestSync(c, sgw, 0xdead, &gtp.ModifyBearerRequest{})) // Context Not Found
	// S1 handover with indirect forwarding (TS 23.401 §5.5.1.2.2 8a, 19b).
	fwdAddr := netip.MustParseAddr("127.0.0.10")
	must(mme.ep.RequestSync(c, sgw, teid, &gtp.CreateIndirectDataForwardingTunnelRequest{BearerContexts: []gtp.BearerContext{{EBI: 5,
		ENBDLForwardingFTEID: gtp.FTEID{Interface: gtp.IfENodeBDLForwarding, TEID: 0xd1, IPv4: fwdAddr},
		ENBULForwardingFTEID: gtp.FTEID{Interface: gtp.IfENodeBULForwarding, TEID: 0x71, IPv4: fwdAddr}}}}))
	must(mme.ep.RequestSync(c, sgw, teid, &gtp.DeleteIndirectDataForwardingTunnelRequest{}))
	must(mme.ep.RequestSync(c, sgw, teid, &gtp.DeleteSessionRequest{LinkedEBI: 5}))
	// What the emulator's endpoint answers to broken input: a request
	// without its RAT Type (#70 with the offending IE) and GTPv1 (Version
	// Not Supported Indication).
	raw, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	bad := attachCSR("001010000000078", 0x77, gtp.PDNTypeIPv4)
	b, _ := gtp.Encode(bad, 0, 0x123)
	raw.WriteToUDPAddrPort(withoutIE(b, gtp.IERATType), sgw)
	raw.WriteToUDPAddrPort([]byte{0x32, 1, 0, 4, 0, 0, 0, 0, 0, 9, 0, 0}, sgw)
	waitFor(t, "the emulator's rejections", func() bool {
		st := emu.Endpoint().Stats()
		return st.Rejected == 1 && st.VersionNotSupported == 1
	})
	// Path management both ways.
	mme.ep.Watch(sgw)
	emu.Endpoint().Watch(mme.ep.LocalAddr())
	waitFor(t, "echoes both ways", func() bool {
		a, b := mme.ep.Stats(), emu.Endpoint().Stats()
		return a.EchoRequestsSent > 0 && a.EchoResponsesSent > 0 && b.EchoRequestsSent > 0 && b.EchoResponsesSent > 0
	})

	dir := t.TempDir()
	pcap := filepath.Join(dir, "s11.pcap")
	n := capt.writePcap(t, pcap)
	decodeAs := []string{"-d", "udp.port==" + strconv.Itoa(int(sgw.Port())) + ",gtp",
		"-d", "udp.port==" + strconv.Itoa(int(mme.ep.LocalAddr().Port())) + ",gtp"}
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(tshark, append(append([]string{"-n", "-r", pcap}, decodeAs...), args...)...)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			t.Fatalf("tshark %v: %v\n%s", args, err, errb.String())
		}
		return out.String()
	}

	// Every frame is GTPv2; collect the message types.
	fields := run("-T", "fields", "-e", "frame.number", "-e", "gtpv2.message_type", "-e", "_ws.malformed", "-e", "_ws.expert.severity")
	lines := strings.Split(strings.TrimSpace(fields), "\n")
	if len(lines) != n {
		t.Fatalf("tshark read %d frames, we wrote %d", len(lines), n)
	}
	seen := map[int]bool{}
	for _, l := range lines {
		f := strings.Split(l, "\t")
		if len(f) < 2 || f[1] == "" {
			t.Errorf("frame not dissected as GTPv2: %q", l)
			continue
		}
		mt, _ := strconv.Atoi(strings.Split(f[1], ",")[0])
		seen[mt] = true
		if len(f) > 2 && f[2] != "" {
			t.Errorf("malformed frame: %q", l)
		}
	}
	for _, want := range []gtp.MessageType{
		gtp.TypeEchoRequest, gtp.TypeEchoResponse, gtp.TypeVersionNotSupportedIndication,
		gtp.TypeCreateSessionRequest, gtp.TypeCreateSessionResponse, gtp.TypeModifyBearerRequest, gtp.TypeModifyBearerResponse,
		gtp.TypeReleaseAccessBearersRequest, gtp.TypeReleaseAccessBearersResponse,
		gtp.TypeDownlinkDataNotification, gtp.TypeDownlinkDataNotificationAcknowledge, gtp.TypeDownlinkDataNotificationFailureIndication,
		gtp.TypeCreateBearerRequest, gtp.TypeCreateBearerResponse, gtp.TypeUpdateBearerRequest, gtp.TypeUpdateBearerResponse,
		gtp.TypeDeleteBearerRequest, gtp.TypeDeleteBearerResponse, gtp.TypeDeleteBearerCommand, gtp.TypeDeleteBearerFailureIndication,
		gtp.TypeDeleteSessionRequest, gtp.TypeDeleteSessionResponse,
		gtp.TypeCreateIndirectDataForwardingTunnelRequest, gtp.TypeCreateIndirectDataForwardingTunnelResponse,
		gtp.TypeDeleteIndirectDataForwardingTunnelRequest, gtp.TypeDeleteIndirectDataForwardingTunnelResponse,
	} {
		if !seen[int(want)] {
			t.Errorf("no %v in the capture", want)
		}
	}
	// No expert info at warning level or above, no malformed packet.
	expert := run("-q", "-z", "expert,warn")
	if strings.Contains(expert, "Errors (") || strings.Contains(expert, "Warns (") || strings.Contains(expert, "Malformed") {
		t.Errorf("tshark expert info:\n%s", expert)
	}
	if v := run("-V"); strings.Contains(v, "Malformed") || strings.Contains(v, "[Expert Info (Error") || strings.Contains(v, "[Expert Info (Warning") {
		t.Errorf("tshark -V reports problems:\n%s", grepContext(v, []string{"Malformed", "Expert Info (Error", "Expert Info (Warning"}))
	}
	types := make([]int, 0, len(seen))
	for k := range seen {
		types = append(types, k)
	}
	sort.Ints(types)
	t.Logf("%d frames, message types %v", n, types)
	if os.Getenv("S11_KEEP_PCAP") != "" {
		os.WriteFile(os.Getenv("S11_KEEP_PCAP"), mustRead(t, pcap), 0o644)
	}
}

func mustRead(t *testing.T, p string) []byte {
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func grepContext(s string, words []string) string {
	var out []string
	lines := strings.Split(s, "\n")
	for k, l := range lines {
		for _, w := range words {
			if strings.Contains(l, w) {
				out = append(out, strings.Join(lines[max(0, k-6):min(len(lines), k+2)], "\n"), "----")
			}
		}
	}
	return strings.Join(out, "\n")
}

// withoutIE removes the first top-level IE of type typ and fixes the length.
func withoutIE(b []byte, typ gtp.IEType) []byte {
	for k := 12; k+4 <= len(b); {
		l := int(b[k+1])<<8 | int(b[k+2])
		if gtp.IEType(b[k]) == typ {
			out := append(append([]byte(nil), b[:k]...), b[k+4+l:]...)
			n := len(out) - 4
			out[2], out[3] = byte(n>>8), byte(n)
			return out
		}
		k += 4 + l
	}
	return b
}

type atomicAddr struct {
	mu sync.Mutex
	a  netip.AddrPort
}

func (a *atomicAddr) load() netip.AddrPort {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.a
}

func (a *atomicAddr) store(v netip.AddrPort) {
	a.mu.Lock()
	a.a = v
	a.mu.Unlock()
}
