package transport

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	tv "github.com/lte-mme/mme/internal/vectors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/gopacket/gopacket/pcapgo"
)

// s1apVectors returns the S1AP PDUs of ../../../shared/vectors/s1ap.tsv
// that Wireshark decodes cleanly (not NEG rows, no malformed or expert
// note), with their names.
func s1apVectors(t *testing.T) (names []string, pdus [][]byte) {
	t.Helper()
	f, err := os.Open(tv.Path("s1ap.tsv"))
	if err != nil {
		t.Fatalf("shared test vectors: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	sc.Scan() // header
	for sc.Scan() {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) < 5 || strings.HasPrefix(cols[0], "NEG") || strings.Contains(cols[4], "Malformed") || strings.Contains(cols[4], "expert") {
			continue
		}
		b, err := hex.DecodeString(cols[1])
		if err != nil {
			t.Fatalf("%s: %v", cols[0], err)
		}
		names = append(names, cols[0])
		pdus = append(pdus, b)
	}
	if len(pdus) == 0 {
		t.Fatal("no S1AP vectors")
	}
	return names, pdus
}

// severityWarn is Wireshark's expert severity PI_WARN (epan/proto.h);
// PI_ERROR is above it.
const severityWarn = 0x00600000

// maxSeverity returns the highest of a comma-separated list of
// _ws.expert.severity values (0 when empty).
func maxSeverity(list string) int {
	m := 0
	for _, v := range strings.Split(list, ",") {
		if n, err := strconv.ParseInt(strings.TrimSpace(v), 0, 64); err == nil {
			m = max(m, int(n))
		}
	}
	return m
}

// nonUE lists the non-UE-associated procedures, sent on stream 0 (TS 36.412 §7).
var nonUE = map[string]bool{"S1SetupRequest": true, "S1SetupResponse": true, "S1SetupFailure": true, "Reset": true,
	"ResetAcknowledge": true, "ENBConfigurationUpdate": true, "ENBConfigurationUpdateAcknowledge": true,
	"ErrorIndication": true, "Paging": true, "ENBConfigurationTransfer": true, "MMEConfigurationTransfer": true,
	"ENBDirectInformationTransfer": true, "OverloadStart": true, "OverloadStop": true}

// startCapture captures UDP port on the loopback interface with dumpcap,
// writing pcap to a pipe that the test reads as it comes (gopacket pcapgo)
// and copies to a file. Marker datagrams to a second, unused port prove
// the capture runs before traffic starts and has caught everything sent
// before stop returns the file.
func startCapture(t *testing.T, port uint16) (stop func() string) {
	t.Helper()
	dumpcap, err := exec.LookPath("dumpcap")
	needTool(t, "dumpcap (Debian wireshark-common)", err)
	markerPort := freeUDPPort(t)
	file := filepath.Join(t.TempDir(), "s1.pcap")
	out, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(dumpcap, "-q", "-P", "-i", "lo", "-w", "-",
		"-f", "udp port "+strconv.Itoa(int(port))+" or udp port "+strconv.Itoa(int(markerPort)))
	pipe, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[string]bool{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		r, err := pcapgo.NewReader(io.TeeReader(pipe, out))
		if err != nil {
			return
		}
		for {
			data, _, err := r.ReadPacketData()
			if err != nil {
				return
			}
			for _, m := range []string{"start", "end"} {
				if bytes.Contains(data, []byte("s1-capture-marker-"+m)) {
					mu.Lock()
					seen[m] = true
					mu.Unlock()
				}
			}
		}
	}()
	mark := func(m string) {
		c, err := net.DialUDP("udp", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(markerPort)})
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, _ = c.Write([]byte("s1-capture-marker-" + m))
			mu.Lock()
			ok := seen[m]
			mu.Unlock()
			if ok {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("capture did not see the %s marker within 10 s", m)
			}
			select {
			case <-done:
				t.Fatalf("dumpcap ended before the %s marker", m)
			case <-time.After(20 * time.Millisecond):
			}
		}
	}
	mark("start")
	stopped := false
	stop = func() string {
		if !stopped {
			stopped = true
			mark("end")
			_ = cmd.Process.Signal(syscall.SIGTERM)
			<-done
			_ = cmd.Wait()
			_ = out.Close()
		}
		return file
	}
	t.Cleanup(func() { stop() })
	return stop
}

// TestTsharkDecodesS1OverUDP: a loopback capture of UDP-mode traffic
// carrying every clean S1AP vector of shared/vectors (both directions,
// bundled as pion bundles them), our HEARTBEAT probes and their ACKs, a
// graceful SHUTDOWN and an ABORT is decoded by tshark as SCTP over UDP
// carrying S1AP, with correct CRC32c checksums, no malformed packet and
// no expert warning or error. tshark 4.0 has no sctp.udp_port preference:
// the port is decoded as SCTP with -d udp.port==PORT,sctp.
func TestTsharkDecodesS1OverUDP(t *testing.T) {
	tshark, err := exec.LookPath("tshark")
	needTool(t, "tshark", err)
	names, pdus := s1apVectors(t)

	// The IANA port (RFC 6951) if free, else an ephemeral one.
	srvCfg := testConfig(ModeUDP)
	srvCfg.UDPPort = UDPEncapsulationPort
	if c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: UDPEncapsulationPort}); err != nil {
		srvCfg.UDPPort = freeUDPPort(t)
	} else {
		_ = c.Close()
	}
	fast := Liveness{Timeout: time.Second, Interval: 200 * time.Millisecond}
	srvCfg.Liveness = fast
	stop := startCapture(t, srvCfg.UDPPort)

	srv, err := NewEndpoint(srvCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	// The canary: an INIT with a broken checksum from another socket.
	canary, err := net.DialUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)}, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(srvCfg.UDPPort)})
	if err != nil {
		t.Fatal(err)
	}
	canaryPort := canary.LocalAddr().(*net.UDPAddr).Port
	bad := initPacket()
	bad[8] ^= 0xff
	if _, err := canary.Write(bad); err != nil {
		t.Fatal(err)
	}
	_ = canary.Close()
	srvRec := newRecorder()
	srvRec.echo = true
	if err := srv.Listen(srvRec); err != nil {
		t.Fatal(err)
	}
	cliCfg := testConfig(ModeUDP)
	cliCfg.Liveness = fast
	cli, err := NewEndpoint(cliCfg)
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	cliRec := newRecorder()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a, err := cli.Dial(ctx, srv.ListenAddrs(), cliRec)
	if err != nil {
		t.Fatal(err)
	}
	_, out := a.Streams()
	for i, pdu := range pdus {
		stream := StreamForUE(uint64(i), out)
		if nonUE[strings.Split(names[i], "#")[0]] {
			stream = 0
		}
		if err := a.Send(stream, S1APPPID, pdu); err != nil {
			t.Fatal(err)
		}
	}
	cliRec.waitFor(t, 10*time.Second, "every PDU echoed", func() bool { return len(cliRec.msgs) == len(pdus) })
	// Idle until both sides probed and heard the answers.
	srvA := srv.Associations()[0]
	cliRec.waitFor(t, 5*time.Second, "HEARTBEAT ACKs", func() bool {
		return a.Stats().HeartbeatAcks >= 1 && srvA.Stats().HeartbeatAcks >= 1
	})
	if err := a.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	b, err := cli.Dial(ctx, srv.ListenAddrs(), cliRec)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Send(0, S1APPPID, pdus[0]); err != nil {
		t.Fatal(err)
	}
	cliRec.waitFor(t, 5*time.Second, "echo on the second association", func() bool { return len(cliRec.msgs) == len(pdus)+1 })
	b.Abort("tshark test done")
	srvRec.waitFor(t, 5*time.Second, "both associations down", func() bool { return srvRec.count(EventDown) == 2 })
	pcap := stop()
	if os.Getenv("KEEP_PCAP") != "" {
		b, _ := os.ReadFile(pcap)
		_ = os.WriteFile(os.Getenv("KEEP_PCAP"), b, 0o644)
	}

	// tshark 4.0 has no sctp.udp_port preference: decode the port as SCTP.
	prefs := []string{"-d", "udp.port==" + strconv.Itoa(int(srvCfg.UDPPort)) + ",sctp", "-o", "sctp.checksum:CRC-32C"}
	// One tshark run (it takes seconds to load its dissectors) with the
	// expert severity of every frame. The canary's bad checksum proves the
	// checks are live: it must be flagged, and nothing else may be.
	outb, err := exec.Command(tshark, append([]string{"-r", pcap, "-n", "-Y", "udp.port==" + strconv.Itoa(int(srvCfg.UDPPort)),
		"-T", "fields", "-E", "separator=|", "-E", "occurrence=a", "-E", "aggregator=,",
		"-e", "frame.protocols", "-e", "sctp.chunk_type", "-e", "s1ap.procedureCode", "-e", "_ws.expert.severity",
		"-e", "udp.srcport", "-e", "_ws.col.Info"}, prefs...)...).CombinedOutput()
	if err != nil {
		t.Fatalf("tshark: %v\n%s", err, outb)
	}
	fields := outb
	var s1apPDUs, frames int
	canarySeen := false
	chunkTypes := map[string]int{}
	for _, line := range strings.Split(strings.TrimSpace(string(fields)), "\n") {
		f := strings.Split(line, "|")
		if len(f) < 6 {
			continue
		}
		if f[4] == strconv.Itoa(int(canaryPort)) {
			canarySeen = maxSeverity(f[3]) >= severityWarn
			continue
		}
		frames++
		if sev := maxSeverity(f[3]); sev >= severityWarn {
			t.Errorf("tshark expert warning or error (severity %#x): %s", sev, line)
		}
		if !strings.Contains(f[0], "udp:sctp") {
			t.Errorf("frame not decoded as SCTP over UDP: %s", line)
		}
		if strings.Contains(line, "Malformed") {
			t.Errorf("malformed: %s", line)
		}
		for _, c := range strings.Split(f[1], ",") {
			chunkTypes[c]++
		}
		if f[2] != "" {
			s1apPDUs += len(strings.Split(f[2], ","))
		}
	}
	want := 2*len(pdus) + 2
	t.Logf("%d frames, %d S1AP PDUs decoded (want %d), chunk types %v", frames, s1apPDUs, want, chunkTypes)
	if s1apPDUs != want {
		t.Errorf("tshark decoded %d S1AP PDUs, want %d", s1apPDUs, want)
	}
	// INIT, INIT ACK, COOKIE ECHO/ACK, DATA, SACK, HEARTBEAT/ACK, SHUTDOWN*, ABORT.
	for _, c := range []string{"1", "2", "10", "11", "0", "3", "4", "5", "7", "8", "14", "6"} {
		if chunkTypes[c] == 0 {
			t.Errorf("no chunk of type %s in the capture", c)
		}
	}
	if !canarySeen {
		t.Error("the canary's bad checksum was not flagged: tshark's expert checks are not working")
	}
}
