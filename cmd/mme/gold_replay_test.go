package main

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
	"testing"
	"time"

	tv "github.com/lte-mme/mme/internal/vectors"
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/s1ap/transport"
)

// goldFlow is one captured Open5GS attach (testdata/vectors README,
// "GOLD" rows): its subscriber's keys in crypto.tsv and its captured
// uplink messages in s1ap.tsv.
type goldFlow struct {
	name                              string // crypto.tsv set: o5gs-attach/<name>/*
	initialUE                         string // INITIAL UE MESSAGE (ATTACH REQUEST)
	authResponse, smcComplete, esmRsp string // UPLINK NAS TRANSPORT rows
	ueCapability, attachComplete      string
}

var goldFlows = []goldFlow{
	{"attach_test1", "InitialUEMessage#11", "UplinkNASTransport#25", "UplinkNASTransport#42", "UplinkNASTransport#57",
		"UECapabilityInfoIndication#04", "UplinkNASTransport#68"},
	{"attach_test3", "InitialUEMessage#17", "UplinkNASTransport#27", "UplinkNASTransport#44", "UplinkNASTransport#61",
		"UECapabilityInfoIndication#06", "UplinkNASTransport#72"},
}

// TestGoldReplay replays the GOLD attach flows against the real MME: `mme
// hss` holds the captured subscriber (K, OPc, SQN) and issues the captured
// RAND (--fixed-rand); `mme serve` serves the captured PLMN and TAC with
// EIA1/EEA0 first. A test eNodeB sends the captured UE and eNodeB messages
// verbatim (only the MME-UE-S1AP-ID is ours): the MME's AUTHENTICATION
// REQUEST carries the captured RAND and AUTN, its SECURITY MODE COMMAND
// verifies under the captured K_ASME with EIA1/EEA0, the captured NAS-MACs
// of the UE are accepted, the INITIAL CONTEXT SETUP REQUEST carries the
// captured K_eNB, and the UE ends EMM-REGISTERED.
func TestGoldReplay(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs the lab as processes")
	}
	s1rows := goldRows(t, "s1ap.tsv")
	crypto := goldRows(t, "crypto.tsv")
	for _, f := range goldFlows {
		t.Run(f.name, func(t *testing.T) { replayGold(t, f, s1rows, crypto) })
	}
}

func goldRows(t *testing.T, file string) map[string][]byte {
	t.Helper()
	rs, err := tv.Rows(file)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, r := range rs {
		m[r.Name] = r.Bytes
	}
	return m
}

func replayGold(t *testing.T, f goldFlow, s1rows, crypto map[string][]byte) {
	row := func(m map[string][]byte, name string) []byte {
		t.Helper()
		b, ok := m[name]
		if !ok {
			t.Fatalf("vector %s missing", name)
		}
		return b
	}
	key := func(field string) []byte { return row(crypto, "o5gs-attach/"+f.name+"/"+field) }
	initial, err := s1ap.DecodeLenient(row(s1rows, f.initialUE))
	if err != nil {
		t.Fatal(err)
	}
	ium := initial.Message.(*s1ap.InitialUEMessage)
	ar, err := nas.Decode(ium.NASPDU)
	if err != nil {
		t.Fatal(err)
	}
	if sp, ok := ar.(*nas.SecurityProtected); ok {
		// Integrity protected with a context the network no longer has
		// (TS 24.301 §4.4.4.3): the MME authenticates again.
		if ar, err = nas.Decode(sp.Message); err != nil {
			t.Fatal(err)
		}
	}
	imsi := ar.(*nas.AttachRequest).EPSMobileIdentity.Digits
	plmn := nas.PLMNID(ium.TAI.PLMNidentity)
	tac := int(ium.TAI.TAC[0])<<8 | int(ium.TAI.TAC[1])
	sqn := key("SQN")
	var sqnVal uint64
	for _, b := range sqn {
		sqnVal = sqnVal<<8 | uint64(b)
	}
	csv := fmt.Sprintf("imsi,k,opc,amf,sqn,msisdn,apn\n%s,%x,%x,%x,%d,,internet\n", imsi, key("K"), key("OPc"), key("AMF"), sqnVal)
	l := startLab(t, labOptions{subscribersCSV: csv, hssArgs: []string{"--fixed-rand", hex.EncodeToString(key("RAND"))},
		plmn: plmn.String(), tacs: []int{tac}, integrity: []string{"EIA1"}, ciphering: []string{"EEA0"}, noIMEISV: true})

	enb := dialENB(t, l.s1)
	enb.send(t, &s1ap.S1SetupRequest{
		GlobalENBID: s1ap.GlobalENBID{PLMNidentity: ium.TAI.PLMNidentity,
			ENBID: s1ap.ENBID{Choice: s1ap.ENBIDChoiceMacroENBID, MacroENBID: s1ap.ENBIDMacroENBID(1)}},
		SupportedTAs:     s1ap.SupportedTAs{{TAC: ium.TAI.TAC, BroadcastPLMNs: s1ap.BPLMNs{ium.TAI.PLMNidentity}}},
		DefaultPagingDRX: s1ap.PagingDRXV128,
	})
	if _, ok := enb.recv(t).(*s1ap.S1SetupResponse); !ok {
		t.Fatal("S1 SETUP: no S1 SETUP RESPONSE")
	}
	enb.sendRaw(t, row(s1rows, f.initialUE))

	// AUTHENTICATION REQUEST: the captured RAND and AUTN.
	dl, mmeID := enb.recvNAS(t)
	auth, ok := dl.(*nas.AuthenticationRequest)
	if !ok {
		t.Fatalf("after ATTACH REQUEST: %T, want AuthenticationRequest", dl)
	}
	captured := capturedAuthRequest(t, s1rows, key("RAND"))
	if auth.RAND != captured.RAND || auth.AUTN != captured.AUTN {
		t.Fatalf("AUTHENTICATION REQUEST RAND %x AUTN %x, want the captured %x %x", auth.RAND, auth.AUTN, captured.RAND, captured.AUTN)
	}
	enb.sendCaptured(t, row(s1rows, f.authResponse), mmeID)

	// SECURITY MODE COMMAND: EIA1/EEA0, integrity-protected under the
	// captured K_ASME.
	pdu := enb.recvPDU(t)
	ue, err := security.NewContext(security.Params{Role: security.RoleUE, KASME: [32]byte(key("KASME")), EEA: security.EEA0, EIA: security.EIA1})
	if err != nil {
		t.Fatal(err)
	}
	plain, _, err := ue.Unprotect(nil, downlinkNAS(t, pdu))
	if err != nil {
		t.Fatalf("SECURITY MODE COMMAND does not verify under the captured K_ASME with EIA1: %v", err)
	}
	smc, err := nas.Decode(plain)
	if err != nil {
		t.Fatal(err)
	}
	if m, ok := smc.(*nas.SecurityModeCommand); !ok {
		t.Fatalf("after AUTHENTICATION RESPONSE: %T, want SecurityModeCommand", smc)
	} else if got := m.SelectedNASSecurityAlgorithms; got.Ciphering != 0 || got.Integrity != 1 {
		t.Fatalf("SECURITY MODE COMMAND selects %+v, want EEA0/EIA1", got)
	}
	enb.sendCaptured(t, row(s1rows, f.smcComplete), mmeID)

	// ESM INFORMATION REQUEST (the captured ATTACH REQUEST sets the ESM
	// information transfer flag).
	pdu = enb.recvPDU(t)
	if plain, _, err = ue.Unprotect(nil, downlinkNAS(t, pdu)); err != nil {
		t.Fatalf("ESM INFORMATION REQUEST: %v", err)
	}
	if m, err := nas.Decode(plain); err != nil {
		t.Fatal(err)
	} else if _, ok := m.(*nas.ESMInformationRequest); !ok {
		t.Fatalf("after SECURITY MODE COMPLETE: %T, want ESMInformationRequest", m)
	}
	enb.sendCaptured(t, row(s1rows, f.esmRsp), mmeID)

	// INITIAL CONTEXT SETUP REQUEST: the captured K_eNB.
	var ics *s1ap.InitialContextSetupRequest
	for ics == nil {
		switch m := enb.recv(t).(type) {
		case *s1ap.InitialContextSetupRequest:
			ics = m
		case *s1ap.DownlinkNASTransport:
			// EMM INFORMATION may come any time.
		default:
			t.Fatalf("before INITIAL CONTEXT SETUP REQUEST: %s", m.MessageName())
		}
	}
	if got, want := ics.SecurityKey[:], key("KENB"); !bytes.Equal(got, want) {
		t.Fatalf("INITIAL CONTEXT SETUP REQUEST K_eNB %x, want the captured %x", got, want)
	}
	var res s1ap.ERABSetupListCtxtSURes
	for i, it := range ics.ERABToBeSetupListCtxtSUReq {
		res = append(res, s1ap.ERABSetupItemCtxtSURes{ERABID: it.ERABID,
			TransportLayerAddress: s1ap.TransportLayerAddress{Bytes: []byte{127, 0, 0, 1}, Len: 32},
			GTPTEID:               s1ap.GTPTEID{0, 0, 0, byte(i + 1)}})
	}
	enb.send(t, &s1ap.InitialContextSetupResponse{MMEUES1APID: ics.MMEUES1APID, ENBUES1APID: ics.ENBUES1APID, ERABSetupListCtxtSURes: res})
	enb.sendCaptured(t, row(s1rows, f.ueCapability), mmeID)
	enb.sendCaptured(t, row(s1rows, f.attachComplete), mmeID)

	// ATTACH COMPLETE accepted (its captured NAS-MAC verified): the
	// subscriber is EMM-REGISTERED with no procedure running.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		v, err := l.adminSubscriber(ctx, imsi)
		if err == nil && registeredIdle(v) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("subscriber %s not EMM-REGISTERED after the captured ATTACH COMPLETE: %v %v", imsi, v, err)
		case <-tick.C:
		}
	}
}

// capturedAuthRequest is the captured AUTHENTICATION REQUEST with rand.
func capturedAuthRequest(t *testing.T, rows map[string][]byte, rand []byte) *nas.AuthenticationRequest {
	t.Helper()
	for name, b := range rows {
		if !strings.HasPrefix(name, "DownlinkNASTransport#") {
			continue
		}
		p, err := s1ap.DecodeLenient(b)
		if err != nil {
			continue
		}
		m, err := nas.Decode(p.Message.(*s1ap.DownlinkNASTransport).NASPDU)
		if a, ok := m.(*nas.AuthenticationRequest); err == nil && ok && bytes.Equal(a.RAND[:], rand) {
			return a
		}
	}
	t.Fatalf("no captured AUTHENTICATION REQUEST with RAND %x", rand)
	return nil
}

func downlinkNAS(t *testing.T, m s1ap.Message) []byte {
	t.Helper()
	d, ok := m.(*s1ap.DownlinkNASTransport)
	if !ok {
		t.Fatalf("%s, want DownlinkNASTransport", m.MessageName())
	}
	return d.NASPDU
}

// testENB is a bare eNodeB association for replays.
type testENB struct {
	ep  *transport.Endpoint
	a   *transport.Association
	in  chan []byte
	out uint16
}

func (e *testENB) HandleEvent(transport.Event) {}

func (e *testENB) HandleMessage(_ *transport.Association, m transport.Message) {
	e.in <- append([]byte(nil), m.Data...)
}

func dialENB(t *testing.T, mme netip.AddrPort) *testENB {
	t.Helper()
	cfg := transport.DefaultConfig()
	cfg.Mode = transport.ModeUDP
	cfg.LocalAddrs = []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	cfg.Port, cfg.UDPPort = 0, 0
	ep, err := transport.NewEndpoint(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ep.Close() })
	e := &testENB{ep: ep, in: make(chan []byte, 64)}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if e.a, err = ep.Dial(ctx, []netip.AddrPort{mme}, e); err != nil {
		t.Fatal(err)
	}
	_, e.out = e.a.Streams()
	return e
}

func (e *testENB) stream(m s1ap.Message) uint16 {
	// Non-UE-associated signalling on stream 0, UE-associated on 1
	// (TS 36.412 §7).
	switch m.(type) {
	case *s1ap.S1SetupRequest:
		return 0
	}
	if e.out > 1 {
		return 1
	}
	return 0
}

func (e *testENB) send(t *testing.T, m s1ap.Message) {
	t.Helper()
	b, err := s1ap.Encode(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.a.Send(e.stream(m), transport.S1APPPID, b); err != nil {
		t.Fatal(err)
	}
}

func (e *testENB) sendRaw(t *testing.T, b []byte) {
	t.Helper()
	if err := e.a.Send(min(1, e.out-1), transport.S1APPPID, b); err != nil {
		t.Fatal(err)
	}
}

// sendCaptured sends a captured UE-associated message with the MME's
// MME-UE-S1AP-ID in place of the captured one; every other octet (the
// NAS-PDU with its MAC) as captured.
func (e *testENB) sendCaptured(t *testing.T, b []byte, mmeID s1ap.MMEUES1APID) {
	t.Helper()
	p, err := s1ap.DecodeLenient(b)
	if err != nil {
		t.Fatal(err)
	}
	switch m := p.Message.(type) {
	case *s1ap.UplinkNASTransport:
		m.MMEUES1APID = mmeID
	case *s1ap.UECapabilityInfoIndication:
		m.MMEUES1APID = mmeID
	default:
		t.Fatalf("captured %s: not replayable", m.MessageName())
	}
	e.send(t, p.Message)
}

func (e *testENB) recvPDU(t *testing.T) s1ap.Message {
	t.Helper()
	for {
		m := e.recv(t)
		if d, ok := m.(*s1ap.DownlinkNASTransport); ok {
			return d
		}
		t.Fatalf("got %s, want DownlinkNASTransport", m.MessageName())
	}
}

func (e *testENB) recvNAS(t *testing.T) (nas.Message, s1ap.MMEUES1APID) {
	t.Helper()
	d := e.recvPDU(t).(*s1ap.DownlinkNASTransport)
	m, err := nas.Decode(d.NASPDU)
	if err != nil {
		t.Fatal(err)
	}
	return m, d.MMEUES1APID
}

func (e *testENB) recv(t *testing.T) s1ap.Message {
	t.Helper()
	select {
	case b := <-e.in:
		p, err := s1ap.Decode(b)
		if err != nil {
			t.Fatalf("from the MME: %v (%x)", err, b)
		}
		return p.Message
	case <-time.After(10 * time.Second):
		t.Fatal("no message from the MME in 10 s")
		return nil
	}
}
