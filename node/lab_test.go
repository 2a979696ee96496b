package node_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/lte-mme/mme/lab/hss"
	"github.com/lte-mme/mme/lab/sgw"
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/node"
	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/s1ap/transport"
	"github.com/lte-mme/mme/s6a/peer"
)

// The lab of the end-to-end tests: the node under test with the real lab
// HSS and SGW emulator in-process, over loopback sockets, and test-helper
// eNodeBs and UEs that speak real S1AP (SCTP over UDP) and real NAS with
// real keys (Milenage USIM, NAS security contexts).

var (
	labPLMN, _ = nas.ParsePLMNID("00101")
	labOPc     = [16]byte{0xe8, 0xed, 0x28, 0x9d, 0xeb, 0xa9, 0x52, 0xe4, 0x28, 0x3b, 0x54, 0xe8, 0x8e, 0x61, 0x83, 0xca}
)

// labK is subscriber i's key (distinct per subscriber).
func labK(i int) [16]byte {
	k := [16]byte{0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f, 0xaa, 0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc}
	k[15] ^= byte(i)
	return k
}

func labIMSI(i int) string { return fmt.Sprintf("0010100000%05d", i) }

const labSubscribers = 16

var quiet = slog.New(slog.DiscardHandler)

// testWait bounds every wait of the tests.
const testWait = 10 * time.Second

type lab struct {
	t    *testing.T
	hss  *hss.HSS
	sgw  *sgw.Emulator
	n    *node.Node
	cfg  node.Config
	opt  node.Options
	stop context.CancelFunc
	done chan error
}

// newLab starts the HSS (labSubscribers subscribers), the SGW emulator and
// the node; edit adjusts the node's configuration.
func newLab(t *testing.T, edit func(*node.Config), opts ...node.Options) *lab {
	t.Helper()
	l := &lab{t: t}
	if len(opts) > 0 {
		l.opt = opts[0]
	}
	h, err := hss.Open(hss.Config{
		Identity: peer.Identity{OriginHost: "hss.epc.mnc001.mcc001.3gppnetwork.org", OriginRealm: "epc.mnc001.mcc001.3gppnetwork.org"},
		Timers:   peer.Timers{Watchdog: 6 * time.Second},
		DataDir:  t.TempDir(), Profile: hss.Profile{APN: "internet", ExtraAPNs: []string{"ims"}}, Logger: quiet,
	})
	if err != nil {
		t.Fatal(err)
	}
	l.hss = h
	for i := 1; i <= labSubscribers; i++ {
		if err := h.Put(hss.Subscriber{IMSI: labIMSI(i), K: labK(i), OPc: labOPc, AMF: [2]byte{0x80, 0}, SQN: 32,
			MSISDN: fmt.Sprintf("3312345%04d", i), APN: "internet"}); err != nil {
			t.Fatal(err)
		}
	}
	hl, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	hssDone := make(chan struct{})
	go func() { defer close(hssDone); _ = h.Serve(hl) }()

	sg, err := sgw.New(sgw.Config{Listen: "127.0.0.1:0", UEPoolV4: netip.MustParsePrefix("10.45.0.0/16"), Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	l.sgw = sg

	cfg := node.DefaultConfig()
	udp := 0
	cfg.S1.Transport, cfg.S1.UDPPort = "udp", &udp
	cfg.S11.Local, cfg.S11.SGW = "127.0.0.1:0", sg.Addr().String()
	cfg.S6a.Peers = []string{hl.Addr().String()}
	cfg.S6a.Watchdog = 6 * time.Second
	cfg.Store.Dir = "memory"
	cfg.HTTP.Listen = "127.0.0.1:0"
	cfg.NAS.T3450, cfg.NAS.T3460, cfg.NAS.T3470, cfg.NAS.T3422 = 300*time.Millisecond, 300*time.Millisecond, 300*time.Millisecond, 300*time.Millisecond
	if edit != nil {
		edit(&cfg)
	}
	l.cfg = cfg
	l.startNode()
	t.Cleanup(func() {
		l.stopNode()
		_ = l.sgw.Close()
		_ = h.Close()
		_ = hl.Close()
		<-hssDone
	})
	return l
}

// startNode starts a node with l.cfg and waits until it is ready.
func (l *lab) startNode() {
	l.t.Helper()
	n, err := node.New(l.cfg, l.opt)
	if err != nil {
		l.t.Fatal(err)
	}
	l.n = n
	ctx, cancel := context.WithCancel(context.Background())
	l.stop, l.done = cancel, make(chan error, 1)
	go func() { l.done <- n.Run(ctx) }()
	l.eventually("node ready", func() bool { ok, _ := n.Ready(); return ok })
}

// stopNode stops the node in order (idempotent).
func (l *lab) stopNode() {
	if l.n == nil {
		return
	}
	l.stop()
	select {
	case err := <-l.done:
		if err != nil {
			l.t.Errorf("node.Run: %v", err)
		}
	case <-time.After(testWait):
		l.t.Errorf("node did not stop")
	}
	l.n = nil
}

// eventually waits for cond with a deadline (no fixed sleeps).
func (l *lab) eventually(what string, cond func() bool) {
	l.t.Helper()
	deadline := time.Now().Add(testWait)
	for !cond() {
		if time.Now().After(deadline) {
			l.t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond) // polling interval of the condition, not a wait for an event
	}
}

// subscriber returns the node's view of imsi.
func (l *lab) subscriber(imsi string) *node.SubscriberView {
	l.t.Helper()
	v, err := l.n.Subscriber(context.Background(), imsi)
	if err != nil {
		l.t.Fatalf("subscriber %s: %v", imsi, err)
	}
	return v
}

func (l *lab) waitState(imsi, emm, ecm string) {
	l.t.Helper()
	var last *node.SubscriberView
	l.eventually(fmt.Sprintf("%s in %s %s", imsi, emm, ecm), func() bool {
		v, err := l.n.Subscriber(context.Background(), imsi)
		if err != nil {
			return false
		}
		last = v
		return v.EMM == emm && (ecm == "" || v.ECM == ecm)
	})
	_ = last
}

// ---- eNodeB ----

type testENB struct {
	t  *testing.T
	ep *transport.Endpoint
	a  *transport.Association
	mu sync.Mutex
	// rx holds received PDUs by eNB-UE-S1AP-ID (0: non-UE-associated).
	rx     map[s1ap.ENBUES1APID]chan s1ap.Message
	nextID s1ap.ENBUES1APID
	id     uint32
	tac    uint16
	// captured holds every S1AP PDU received as sent, when capture is set
	// (tshark checks, node/bearer_tshark_test.go).
	capture  bool
	captured [][]byte
}

type enbHandler struct{ e *testENB }

func (h enbHandler) HandleEvent(transport.Event) {}

func (h enbHandler) HandleMessage(_ *transport.Association, m transport.Message) {
	h.e.mu.Lock()
	if h.e.capture {
		h.e.captured = append(h.e.captured, append([]byte(nil), m.Data...))
	}
	h.e.mu.Unlock()
	p, err := s1ap.Decode(append([]byte(nil), m.Data...))
	if err != nil {
		h.e.t.Errorf("eNB: MME sent an undecodable S1AP PDU: %v", err)
		return
	}
	var id s1ap.ENBUES1APID
	switch x := p.Message.(type) {
	case *s1ap.DownlinkNASTransport:
		id = x.ENBUES1APID
	case *s1ap.InitialContextSetupRequest:
		id = x.ENBUES1APID
	case *s1ap.UEContextReleaseCommand:
		if x.UES1APIDs.Choice == s1ap.UES1APIDsChoiceUES1APIDPair {
			id = x.UES1APIDs.UES1APIDPair.ENBUES1APID
		}
	default:
		id = hoENBUEID(p.Message)
	case *s1ap.ERABSetupRequest:
		id = x.ENBUES1APID
	case *s1ap.ERABModifyRequest:
		id = x.ENBUES1APID
	case *s1ap.ERABReleaseCommand:
		id = x.ENBUES1APID
	case *s1ap.UEContextModificationRequest:
		id = x.ENBUES1APID
	}
	select {
	case h.e.queue(id) <- p.Message:
	default:
		h.e.t.Errorf("eNB: receive queue of UE %d full", id)
	}
}

func (e *testENB) queue(id s1ap.ENBUES1APID) chan s1ap.Message {
	e.mu.Lock()
	defer e.mu.Unlock()
	q := e.rx[id]
	if q == nil {
		q = make(chan s1ap.Message, 64)
		e.rx[id] = q
	}
	return q
}

// dialENB associates an eNodeB with the node (no S1 Setup yet).
func (l *lab) dialENB(id uint32) *testENB {
	l.t.Helper()
	tc := transport.DefaultConfig()
	tc.Mode, tc.UDPPort, tc.LocalAddrs = transport.ModeUDP, 0, []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	ep, err := transport.NewEndpoint(tc)
	if err != nil {
		l.t.Fatal(err)
	}
	e := &testENB{t: l.t, ep: ep, rx: make(map[s1ap.ENBUES1APID]chan s1ap.Message), id: id, tac: 1}
	ctx, cancel := context.WithTimeout(context.Background(), testWait)
	defer cancel()
	a, err := ep.Dial(ctx, l.n.S1Addrs(), enbHandler{e})
	if err != nil {
		l.t.Fatal(err)
	}
	e.a = a
	l.t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = a.Shutdown(ctx)
		_ = ep.Close()
	})
	return e
}

// newENB associates and runs S1 Setup (accepted).
func (l *lab) newENB(id uint32) *testENB {
	l.t.Helper()
	e := l.dialENB(id)
	e.send(0, e.setupRequest(labPLMN, labPLMN, 1))
	if _, ok := e.recv(0).(*s1ap.S1SetupResponse); !ok {
		l.t.Fatal("S1 SETUP not accepted")
	}
	return e
}

func (e *testENB) setupRequest(global, broadcast nas.PLMNID, tac uint16) *s1ap.S1SetupRequest {
	return &s1ap.S1SetupRequest{
		GlobalENBID: s1ap.GlobalENBID{PLMNidentity: s1ap.PLMNidentity(global),
			ENBID: s1ap.ENBID{Choice: s1ap.ENBIDChoiceMacroENBID, MacroENBID: s1ap.ENBIDMacroENBID(e.id)}},
		ENBname:          s1ap.Some(s1ap.ENBname(fmt.Sprintf("enb%d", e.id))),
		SupportedTAs:     s1ap.SupportedTAs{{TAC: s1ap.TAC{byte(tac >> 8), byte(tac)}, BroadcastPLMNs: s1ap.BPLMNs{s1ap.PLMNidentity(broadcast)}}},
		DefaultPagingDRX: s1ap.PagingDRXV128,
	}
}

func (e *testENB) send(stream uint16, m s1ap.Message) {
	e.t.Helper()
	b, err := s1ap.Encode(m)
	if err != nil {
		e.t.Fatalf("eNB: encode %s: %v", m.MessageName(), err)
	}
	if err := e.a.Send(stream, transport.S1APPPID, b); err != nil {
		e.t.Fatalf("eNB: send %s: %v", m.MessageName(), err)
	}
}

// recv returns the next message for eNB-UE-S1AP-ID id (0: non-UE).
func (e *testENB) recv(id s1ap.ENBUES1APID) s1ap.Message {
	e.t.Helper()
	select {
	case m := <-e.queue(id):
		return m
	case <-time.After(testWait):
		e.t.Fatalf("eNB: nothing received for UE %d", id)
		return nil
	}
}

// none checks that nothing is queued for id.
func (e *testENB) none(id s1ap.ENBUES1APID) {
	e.t.Helper()
	select {
	case m := <-e.queue(id):
		e.t.Fatalf("eNB: unexpected %s for UE %d", m.MessageName(), id)
	default:
	}
}

func (e *testENB) tai() s1ap.TAI {
	return s1ap.TAI{PLMNidentity: s1ap.PLMNidentity(labPLMN), TAC: s1ap.TAC{byte(e.tac >> 8), byte(e.tac)}}
}

func (e *testENB) cgi() s1ap.EUTRANCGI {
	return s1ap.EUTRANCGI{PLMNidentity: s1ap.PLMNidentity(labPLMN), CellID: s1ap.CellIdentity(e.id<<8 | 1)}
}

// ---- UE ----

type testUE struct {
	t      *testing.T
	l      *lab
	enb    *testENB
	imsi   string
	usim   *security.USIM
	sec    *security.Context
	kasme  [32]byte
	ksi    uint8
	enbID  s1ap.ENBUES1APID
	mmeID  s1ap.MMEUES1APID
	guti   *nas.GUTI
	smcPDU []byte
	kenbUL security.Count
	// ics is the last INITIAL CONTEXT SETUP REQUEST.
	ics *s1ap.InitialContextSetupRequest
}

func (l *lab) newUE(e *testENB, i int) *testUE {
	return &testUE{t: l.t, l: l, enb: e, imsi: labIMSI(i), usim: security.NewUSIM(labK(i), labOPc, security.USIMConfig{})}
}

// initial sends INITIAL UE MESSAGE on a new connection.
func (u *testUE) initial(pdu []byte) {
	u.t.Helper()
	u.enb.mu.Lock()
	u.enb.nextID++
	u.enbID = u.enb.nextID
	u.enb.mu.Unlock()
	u.mmeID = 0
	u.enb.send(1, &s1ap.InitialUEMessage{ENBUES1APID: u.enbID, NASPDU: pdu, TAI: u.enb.tai(), EUTRANCGI: u.enb.cgi(),
		RRCEstablishmentCause: s1ap.RRCEstablishmentCauseMoSignalling})
}

// encode protects msg with the UE's context (or sends it plain).
func (u *testUE) encode(msg nas.Message, sht nas.SecurityHeaderType) []byte {
	u.t.Helper()
	plain, err := nas.Encode(msg)
	if err != nil {
		u.t.Fatal(err)
	}
	if sht == nas.Plain || u.sec == nil {
		return plain
	}
	out, err := u.sec.Protect(nil, plain, sht)
	if err != nil {
		u.t.Fatal(err)
	}
	return out
}

// uplink sends msg in UPLINK NAS TRANSPORT.
func (u *testUE) uplink(msg nas.Message, sht nas.SecurityHeaderType) {
	u.t.Helper()
	u.enb.send(1, &s1ap.UplinkNASTransport{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID, NASPDU: u.encode(msg, sht),
		EUTRANCGI: u.enb.cgi(), TAI: u.enb.tai()})
}

// recv returns the next S1AP message for the UE and the NAS message it
// carries (nil if none), decoded as the UE does.
func (u *testUE) recv() (s1ap.Message, nas.Message) {
	u.t.Helper()
	m := u.enb.recv(u.enbID)
	var pdu []byte
	switch x := m.(type) {
	case *s1ap.DownlinkNASTransport:
		u.mmeID, pdu = x.MMEUES1APID, x.NASPDU
	case *s1ap.InitialContextSetupRequest:
		u.mmeID, u.ics = x.MMEUES1APID, x
		for _, it := range x.ERABToBeSetupListCtxtSUReq {
			if p, ok := it.NASPDU.Get(); ok {
				pdu = p
			}
		}
	case *s1ap.UEContextReleaseCommand:
		return m, nil
	default:
		return m, nil
	}
	if pdu == nil {
		return m, nil
	}
	return m, u.decodeNAS(pdu)
}

func (u *testUE) decodeNAS(pdu []byte) nas.Message {
	u.t.Helper()
	_, sht, err := nas.PeekHeader(pdu)
	if err != nil {
		u.t.Fatalf("UE: bad NAS: %v", err)
	}
	plain := pdu
	switch sht {
	case nas.Plain:
	case nas.IntegrityProtectedNewContext:
		p, err := nas.ParseSecurityProtected(pdu)
		if err != nil {
			u.t.Fatal(err)
		}
		plain, u.smcPDU = p.Message, append([]byte(nil), pdu...)
	default:
		if u.sec == nil {
			u.t.Fatalf("UE: protected NAS (%v) without a context", sht)
		}
		out, _, err := u.sec.Unprotect(nil, pdu)
		if err != nil {
			u.t.Fatalf("UE: cannot unprotect downlink NAS: %v", err)
		}
		plain = out
	}
	msg, err := nas.DecodeDownlink(plain)
	if err != nil {
		u.t.Fatalf("UE: cannot decode downlink NAS: %v", err)
	}
	return msg
}

// expect receives the next NAS message and checks its type.
func expect[T nas.Message](u *testUE) T {
	u.t.Helper()
	m, msg := u.recv()
	v, ok := msg.(T)
	if !ok {
		var zero T
		u.t.Fatalf("UE %s: got %s / %T, want %T", u.imsi, m.MessageName(), msg, zero)
	}
	return v
}

// attachRequest builds ATTACH REQUEST by IMSI (or GUTI) with a PDN
// CONNECTIVITY REQUEST.
func (u *testUE) attachRequest(id nas.EPSMobileIdentity, ksi uint8) *nas.AttachRequest {
	esm, _ := nas.Encode(&nas.PDNConnectivityRequest{PTI: 1, RequestType: nas.InitialRequest, PDNType: nas.PDNTypeIPv4})
	return &nas.AttachRequest{EPSAttachType: nas.EPSAttach, NASKeySetIdentifier: nas.NASKeySetIdentifier{KSI: ksi},
		EPSMobileIdentity: id, UENetworkCapability: nas.UENetworkCapability{0xe0, 0xe0}, ESMMessageContainer: esm}
}

func (u *testUE) imsiIdentity() nas.EPSMobileIdentity {
	return nas.EPSMobileIdentity{Type: nas.EPSIdentityIMSI, Digits: u.imsi}
}

// authenticate answers AUTHENTICATION REQUEST with the USIM's result.
func (u *testUE) authenticate(req *nas.AuthenticationRequest) error {
	u.t.Helper()
	res, err := u.usim.Authenticate(req.RAND, req.AUTN, labPLMN)
	var sf *security.SynchFailureError
	switch {
	case err == nil:
		u.kasme, u.ksi = res.KASME, req.NASKeySetIdentifierASME.KSI
		u.uplink(&nas.AuthenticationResponse{RES: res.RES}, nas.Plain)
	case errors.Is(err, security.ErrMACFailure):
		u.uplink(&nas.AuthenticationFailure{EMMCause: nas.EMMCauseMACFailure}, nas.Plain)
	case errors.As(err, &sf):
		auts := sf.AUTS
		u.uplink(&nas.AuthenticationFailure{EMMCause: nas.EMMCauseSynchFailure, AuthenticationFailureParameter: &auts}, nas.Plain)
	default:
		u.t.Fatalf("USIM: %v", err)
	}
	return err
}

// securityMode verifies SECURITY MODE COMMAND and completes it.
func (u *testUE) securityMode(smc *nas.SecurityModeCommand) {
	u.t.Helper()
	ctx, err := security.NewContext(security.Params{Role: security.RoleUE, KSI: security.KSI{Value: smc.NASKeySetIdentifier.KSI},
		KASME: u.kasme, EEA: security.EEA(smc.SelectedNASSecurityAlgorithms.Ciphering), EIA: security.EIA(smc.SelectedNASSecurityAlgorithms.Integrity)})
	if err != nil {
		u.t.Fatal(err)
	}
	if _, _, err := ctx.Unprotect(nil, u.smcPDU); err != nil {
		u.t.Fatalf("UE: SECURITY MODE COMMAND MAC does not verify: %v", err)
	}
	if c := smc.ReplayedUESecurityCapabilities; c.EEA != 0xe0 || c.EIA != 0xe0 {
		u.t.Errorf("UE: replayed UE security capabilities %+v, sent EEA e0 EIA e0 (TS 24.301 §5.4.3.2)", c)
	}
	u.sec = ctx
	u.kenbUL = ctx.ULCount()
	cmp := &nas.SecurityModeComplete{}
	if smc.IMEISVRequest != nil {
		cmp.IMEISV = &nas.MobileIdentity{Type: nas.MobileIdentityIMEISV, Digits: "3534490000000101"}
	}
	u.uplink(cmp, nas.IntegrityProtectedCipheredNewContext)
}

// completeAttach answers the INITIAL CONTEXT SETUP REQUEST carrying ATTACH
// ACCEPT as the eNodeB and the UE do: ICS Response, then ATTACH COMPLETE.
func (u *testUE) completeAttach(acc *nas.AttachAccept) {
	u.t.Helper()
	if u.ics == nil {
		u.t.Fatal("ATTACH ACCEPT outside INITIAL CONTEXT SETUP REQUEST")
	}
	if got, want := u.ics.SecurityKey, u.sec.KENB(u.kenbUL); got != s1ap.SecurityKey(want) {
		u.t.Errorf("K_eNB in INITIAL CONTEXT SETUP REQUEST differs from the UE's (UL COUNT %d)", u.kenbUL)
	}
	u.guti = acc.GUTI
	rsp := &s1ap.InitialContextSetupResponse{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID}
	for _, it := range u.ics.ERABToBeSetupListCtxtSUReq {
		rsp.ERABSetupListCtxtSURes = append(rsp.ERABSetupListCtxtSURes, s1ap.ERABSetupItemCtxtSURes{ERABID: it.ERABID,
			TransportLayerAddress: s1ap.TransportLayerAddress{Bytes: []byte{127, 0, 0, 1}, Len: 32},
			GTPTEID:               s1ap.GTPTEID{0, 0, byte(u.enbID >> 8), byte(u.enbID)}})
	}
	u.enb.send(1, rsp)
	act, err := acc.ESMMessageContainer.Decode()
	if err != nil {
		u.t.Fatal(err)
	}
	ebi := act.(*nas.ActivateDefaultEPSBearerContextRequest).EBI
	esm, _ := nas.Encode(&nas.ActivateDefaultEPSBearerContextAccept{EBI: ebi})
	u.uplink(&nas.AttachComplete{ESMMessageContainer: esm}, nas.IntegrityProtectedCiphered)
}

// runAttach sends an initial ATTACH REQUEST and answers, as the UE and
// eNodeB do, whatever the network asks (identity, EPS-AKA with
// re-synchronisation, SMC, ESM information) until ATTACH ACCEPT (then
// completes the attach), a reject, or UE CONTEXT RELEASE COMMAND. It
// returns the NAS messages seen, in order, and the last one.
func (u *testUE) runAttach(first []byte) (seen []string, last nas.Message) {
	u.t.Helper()
	u.initial(first)
	for {
		m, msg := u.recv()
		if msg == nil {
			seen = append(seen, m.MessageName())
			return seen, nil
		}
		seen = append(seen, fmt.Sprintf("%T", msg)[len("*nas."):])
		switch x := msg.(type) {
		case *nas.IdentityRequest:
			u.uplink(&nas.IdentityResponse{MobileIdentity: nas.MobileIdentity{Type: nas.MobileIdentityIMSI, Digits: u.imsi}}, nas.Plain)
		case *nas.AuthenticationRequest:
			_ = u.authenticate(x)
		case *nas.SecurityModeCommand:
			u.securityMode(x)
		case *nas.ESMInformationRequest:
			apn := nas.APN("internet")
			u.uplink(&nas.ESMInformationResponse{PTI: x.PTI, AccessPointName: &apn}, nas.IntegrityProtectedCiphered)
		case *nas.AttachAccept:
			u.completeAttach(x)
			return seen, x
		default:
			return seen, msg
		}
	}
}

// attach runs a whole attach by IMSI and waits until the node has the UE
// registered with its bearer modified at the SGW.
func (u *testUE) attach() *nas.AttachAccept {
	u.t.Helper()
	seen, last := u.runAttach(u.encode(u.attachRequest(u.imsiIdentity(), nas.NoKeyAvailable), nas.Plain))
	acc, ok := last.(*nas.AttachAccept)
	if !ok {
		u.t.Fatalf("attach of %s: %v", u.imsi, seen)
	}
	u.waitAttached()
	return acc
}

// waitAttached waits until the node has the UE registered and connected
// with its default bearer's eNodeB F-TEID at the SGW (Modify Bearer done).
func (u *testUE) waitAttached() {
	u.t.Helper()
	u.l.waitState(u.imsi, "EMM-REGISTERED", "ECM-CONNECTED")
	u.l.eventually("bearer active at the SGW", func() bool {
		s, ok := u.l.sgw.UE(u.imsi)
		if !ok {
			return false
		}
		for _, p := range s.PDNs {
			for _, b := range p.Bearers {
				if b.ENodeB.TEID != 0 {
					return true
				}
			}
		}
		return false
	})
}

// releaseComplete answers UE CONTEXT RELEASE COMMAND.
func (u *testUE) releaseComplete() {
	u.t.Helper()
	m, _ := u.recv()
	if _, ok := m.(*s1ap.UEContextReleaseCommand); !ok {
		u.t.Fatalf("got %s, want UEContextReleaseCommand", m.MessageName())
	}
	u.enb.send(1, &s1ap.UEContextReleaseComplete{MMEUES1APID: u.mmeID, ENBUES1APID: u.enbID})
}

// metric returns the value of a counter or gauge of the node's registry
// whose labels include those given (name=value pairs); 0 if absent.
func (l *lab) metric(name string, labels ...string) float64 {
	l.t.Helper()
	mfs, err := l.n.Registry().Gather()
	if err != nil {
		l.t.Fatal(err)
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue next
				}
			}
			switch {
			case m.Counter != nil:
				sum += m.Counter.GetValue()
			case m.Gauge != nil:
				sum += m.Gauge.GetValue()
			case m.Histogram != nil:
				sum += float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return sum
}
