package sgw

import (
	"context"
	"encoding/json"
	"errors"

	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/gtp/s11"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var quiet = slog.New(slog.DiscardHandler)

// fakeMME is the MME side of the tests: an s11 endpoint that answers the
// SGW's requests the way an MME with cooperative UEs would.
type fakeMME struct {
	t        testing.TB
	ep       *s11.Endpoint
	nextEBI  atomic.Uint32
	ddnCause atomic.Uint32 // cause of DDN Acks (0: accepted)
	// cbrBusy: that many Create Bearer Requests are refused first with
	// #110 (a mobility procedure in progress).
	cbrBusy atomic.Int32
	mu      sync.Mutex
	got     map[gtp.MessageType]int
	inbox   chan *s11.Incoming
}

func newFakeMME(t testing.TB, cfg s11.Config) *fakeMME {
	t.Helper()
	f := &fakeMME{t: t, got: map[gtp.MessageType]int{}, inbox: make(chan *s11.Incoming, 64)}
	f.nextEBI.Store(5)
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	cfg.Handler = f.handle
	ep, err := s11.Listen("127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	f.ep = ep
	t.Cleanup(func() { ep.Close() })
	return f
}

var enbU = gtp.FTEID{Interface: gtp.IfS1UENodeB, TEID: 0xe0b0, IPv4: netip.MustParseAddr("127.0.0.9")}

func (f *fakeMME) handle(in *s11.Incoming) {
	f.mu.Lock()
	f.got[in.Header.Type]++
	f.mu.Unlock()
	select {
	case f.inbox <- in:
	default:
	}
	teid := uint32(0x5e5e0000)
	switch m := in.Msg.(type) {
	case *gtp.DownlinkDataNotification:
		c := gtp.CauseValue(f.ddnCause.Load())
		if c == 0 {
			c = gtp.CauseRequestAccepted
		}
		in.Respond(teid, &gtp.DownlinkDataNotificationAcknowledge{Cause: gtp.Cause{Value: c}})
	case *gtp.CreateBearerRequest:
		if f.cbrBusy.Add(-1) >= 0 {
			in.Respond(teid, &gtp.CreateBearerResponse{Cause: gtp.Cause{Value: gtp.CauseTemporarilyRejectedDueToMobility}})
			return
		}
		resp := &gtp.CreateBearerResponse{Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}}
		for _, bc := range m.BearerContexts {
			resp.BearerContexts = append(resp.BearerContexts, gtp.BearerContext{
				EBI: uint8(f.nextEBI.Add(1)), Cause: gtp.Cause{Value: gtp.CauseRequestAccepted},
				S1UENodeBFTEID: enbU, S1USGWFTEID: bc.S1USGWFTEID})
		}
		in.Respond(teid, resp)
	case *gtp.UpdateBearerRequest:
		resp := &gtp.UpdateBearerResponse{Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}}
		for _, bc := range m.BearerContexts {
			resp.BearerContexts = append(resp.BearerContexts, gtp.BearerContext{EBI: bc.EBI, Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}})
		}
		in.Respond(teid, resp)
	case *gtp.DeleteBearerRequest:
		resp := &gtp.DeleteBearerResponse{Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}, LinkedEBI: m.LinkedEBI}
		for _, ebi := range m.EBIs {
			resp.BearerContexts = append(resp.BearerContexts, gtp.BearerContext{EBI: ebi, Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}})
		}
		in.Respond(teid, resp)
	}
}

// csr is a Create Session Request for a new UE, with an S11 TEID of the
// fake MME's table (so that the SGW's requests find their context).
func (f *fakeMME) csr(imsi string, sgw netip.AddrPort, pdn gtp.PDNType) *gtp.CreateSessionRequest {
	teid, err := f.ep.AllocTEID(s11.SessionKey(len(imsi)), sgw)
	if err != nil {
		f.t.Fatal(err)
	}
	return attachCSR(imsi, teid, pdn)
}

func (f *fakeMME) count(t gtp.MessageType) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.got[t]
}

func newEmulator(t testing.TB, cfg Config) *Emulator {
	t.Helper()
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	if !cfg.UEPoolV4.IsValid() && !cfg.UEPoolV6.IsValid() {
		cfg.UEPoolV4 = netip.MustParsePrefix("10.45.0.0/16")
		cfg.UEPoolV6 = netip.MustParsePrefix("2001:db8:45::/48")
	}
	if cfg.Logger == nil {
		cfg.Logger = quiet
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

func attachCSR(imsi string, mmeTEID uint32, pdn gtp.PDNType) *gtp.CreateSessionRequest {
	return &gtp.CreateSessionRequest{
		IMSI: imsi, MSISDN: "46700000001", MEI: "3534900698733190",
		ULI:            gtp.ULI{TAI: gtp.TAI{PLMN: gtp.PLMN{MCC: "001", MNC: "01"}, TAC: 1}, ECGI: gtp.ECGI{PLMN: gtp.PLMN{MCC: "001", MNC: "01"}, ECI: 0x1234}},
		ServingNetwork: gtp.PLMN{MCC: "001", MNC: "01"}, RATType: gtp.RATEUTRAN,
		SenderFTEID:  gtp.FTEID{Interface: gtp.IfS11MMEGTPC, TEID: mmeTEID, IPv4: netip.MustParseAddr("127.0.0.1")},
		PGWS5S8FTEID: gtp.FTEID{Interface: gtp.IfS5S8PGWGTPC, IPv4: netip.MustParseAddr("127.0.0.1")},
		APN:          "internet", SelectionMode: gtp.SelectionSubscribedVerified, PDNType: pdn,
		PAA:  gtp.PAA{Type: gtp.PDNTypeIPv4, IPv4: netip.IPv4Unspecified()},
		AMBR: &gtp.AMBR{Uplink: 20000, Downlink: 40000},
		BearerContextsToBeCreated: []gtp.BearerContext{{EBI: 5,
			BearerQoS: gtp.BearerQoS{QCI: 9, ARP: gtp.ARP{PL: 8, PCI: true}}}},
	}
}

func ctx(t testing.TB) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return c
}

// The procedures of an attached UE's life, with the admin API driving the
// network-initiated ones.
func TestSessionLifecycle(t *testing.T) {
	emu := newEmulator(t, Config{})
	mme := newFakeMME(t, s11.Config{})
	admin := httptest.NewServer(emu.AdminHandler())
	defer admin.Close()
	sgw := emu.Addr()
	const imsi = "001010000000042"

	// Create Session: addresses, F-TEIDs, QoS and APN-AMBR echoed.
	req := mme.csr(imsi, sgw, gtp.PDNTypeIPv4v6)
	m, err := mme.ep.RequestSync(ctx(t), sgw, 0, req)
	if err != nil {
		t.Fatal(err)
	}
	cs := m.(*gtp.CreateSessionResponse)
	if cs.Cause.Value != gtp.CauseRequestAccepted || cs.SenderFTEID.Interface != gtp.IfS11S4SGWGTPC || cs.SenderFTEID.TEID == 0 {
		t.Fatalf("CSResp %+v", cs)
	}
	if cs.PAA.Type != gtp.PDNTypeIPv4v6 || cs.PAA.IPv4.String() != "10.45.0.2" || cs.PAA.IPv6.String() != "2001:db8:45::1/64" {
		t.Fatalf("PAA %+v", cs.PAA)
	}
	if cs.AMBR == nil || *cs.AMBR != (gtp.AMBR{Uplink: 20000, Downlink: 40000}) || cs.LinkedEBI != 5 {
		t.Fatalf("AMBR %v LBI %d", cs.AMBR, cs.LinkedEBI)
	}
	bc := cs.BearerContextsCreated[0]
	if bc.EBI != 5 || !bc.Cause.Accepted() || bc.S1USGWFTEID.Interface != gtp.IfS1USGW || bc.BearerQoS.QCI != 9 || bc.ChargingID == 0 {
		t.Fatalf("bearer %+v", bc)
	}
	sgwTEID := cs.SenderFTEID.TEID

	// Modify Bearer: eNodeB F-TEID recorded, UE active.
	m, err = mme.ep.RequestSync(ctx(t), sgw, sgwTEID, &gtp.ModifyBearerRequest{
		BearerContextsToBeModified: []gtp.BearerContext{{EBI: 5, S1UENodeBFTEID: enbU}}})
	if err != nil {
		t.Fatal(err)
	}
	if mb := m.(*gtp.ModifyBearerResponse); !mb.Cause.Accepted() || mb.BearerContextsModified[0].S1USGWFTEID != bc.S1USGWFTEID {
		t.Fatalf("MBResp %+v", mb)
	}
	ue, _ := emu.UE(imsi)
	if ue.Idle || ue.PDNs[5].Bearers[5].ENodeB != enbU {
		t.Fatalf("UE after MBR %+v", ue)
	}
	// DDN for an active UE: 409.
	if code, _ := post(t, admin.URL+"/sessions/"+imsi+"/ddn", ""); code != http.StatusConflict {
		t.Fatalf("DDN to an active UE: %d", code)
	}

	// Release Access Bearers: idle.
	m, err = mme.ep.RequestSync(ctx(t), sgw, sgwTEID, &gtp.ReleaseAccessBearersRequest{})
	if err != nil || !m.(*gtp.ReleaseAccessBearersResponse).Cause.Accepted() {
		t.Fatalf("RAB %v %v", m, err)
	}
	if ue, _ = emu.UE(imsi); !ue.Idle || !ue.PDNs[5].Bearers[5].ENodeB.IsZero() {
		t.Fatalf("UE after RAB %+v", ue)
	}

	// Downlink data: DDN, Ack.
	code, body := post(t, admin.URL+"/sessions/"+imsi+"/ddn", "")
	if code != http.StatusOK || !strings.Contains(body, `"cause": 16`) {
		t.Fatalf("DDN: %d %s", code, body)
	}
	in := <-mme.inbox
	ddn := in.Msg.(*gtp.DownlinkDataNotification)
	if ddn.EBI != 5 || ddn.ARP == nil || ddn.ARP.PL != 8 || in.Header.TEID != req.SenderFTEID.TEID {
		t.Fatalf("DDN %+v header TEID %#x", ddn, in.Header.TEID)
	}
	if ue, _ = emu.UE(imsi); !ue.DDNPending {
		t.Fatal("DDN not pending")
	}
	// Paging fails: Failure Indication.
	if err := mme.ep.Notify(sgw, sgwTEID, &gtp.DownlinkDataNotificationFailureIndication{Cause: gtp.Cause{Value: gtp.CauseUENotResponding}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "DDN failure handled", func() bool { ue, _ := emu.UE(imsi); return !ue.DDNPending })
	// The MME refusing to page: 502 with the cause.
	mme.ddnCause.Store(uint32(gtp.CauseUnableToPageUE))
	if code, body = post(t, admin.URL+"/sessions/"+imsi+"/ddn", ""); code != http.StatusBadGateway || !strings.Contains(body, `"cause": 90`) {
		t.Fatalf("rejected DDN: %d %s", code, body)
	}
	<-mme.inbox
	mme.ddnCause.Store(0)
	// Service request: Modify Bearer makes it active again.
	mme.ep.RequestSync(ctx(t), sgw, sgwTEID, &gtp.ModifyBearerRequest{
		BearerContextsToBeModified: []gtp.BearerContext{{EBI: 5, S1UENodeBFTEID: enbU}}})

	// Dedicated bearer: Create Bearer Request via the admin API.
	code, body = post(t, admin.URL+"/sessions/"+imsi+"/bearers", `{"qci":1,"arp_pl":2,"mbr_ul":128,"mbr_dl":128,"gbr_ul":64,"gbr_dl":64}`)
	if code != http.StatusOK || !strings.Contains(body, `"ebi": 6`) {
		t.Fatalf("create bearer: %d %s", code, body)
	}
	cb := (<-mme.inbox).Msg.(*gtp.CreateBearerRequest)
	if cb.LinkedEBI != 5 || cb.BearerContexts[0].EBI != 0 || cb.BearerContexts[0].BearerQoS.QCI != 1 ||
		cb.BearerContexts[0].BearerQoS.GBRUplink != 64 || cb.BearerContexts[0].S1USGWFTEID.IsZero() || len(cb.BearerContexts[0].TFT) == 0 {
		t.Fatalf("CBReq %+v", cb)
	}
	if ue, _ = emu.UE(imsi); ue.PDNs[5].Bearers[6] == nil || ue.PDNs[5].Bearers[6].ENodeB != enbU {
		t.Fatalf("dedicated bearer not recorded: %+v", ue.PDNs[5])
	}
	// Update it, then delete it.
	if code, body = post(t, admin.URL+"/sessions/"+imsi+"/bearers/6/update", `{"qci":2,"ambr_ul":1000,"ambr_dl":2000}`); code != http.StatusOK {
		t.Fatalf("update bearer: %d %s", code, body)
	}
	ub := (<-mme.inbox).Msg.(*gtp.UpdateBearerRequest)
	if ub.BearerContexts[0].EBI != 6 || ub.BearerContexts[0].BearerQoS.QCI != 2 || ub.AMBR != (gtp.AMBR{Uplink: 1000, Downlink: 2000}) {
		t.Fatalf("UBReq %+v", ub)
	}
	if code, body = do(t, http.MethodDelete, admin.URL+"/sessions/"+imsi+"/bearers/6", ""); code != http.StatusOK {
		t.Fatalf("delete bearer: %d %s", code, body)
	}
	if db := (<-mme.inbox).Msg.(*gtp.DeleteBearerRequest); len(db.EBIs) != 1 || db.EBIs[0] != 6 || db.LinkedEBI != 0 {
		t.Fatalf("DBReq %+v", db)
	}
	if ue, _ = emu.UE(imsi); ue.PDNs[5].Bearers[6] != nil {
		t.Fatal("bearer 6 still there")
	}

	// Delete Bearer Command for a dedicated bearer: triggered DBReq.
	post(t, admin.URL+"/sessions/"+imsi+"/bearers", `{"qci":1}`)
	<-mme.inbox
	m, err = mme.ep.RequestSync(ctx(t), sgw, sgwTEID, &gtp.DeleteBearerCommand{BearerContexts: []gtp.BearerContext{{EBI: 7}}})
	if err != nil {
		t.Fatal(err)
	}
	if db := m.(*gtp.DeleteBearerRequest); len(db.EBIs) != 1 || db.EBIs[0] != 7 {
		t.Fatalf("triggered %+v", db)
	}
	if in := <-mme.inbox; !in.Triggered {
		t.Fatal("DBReq not flagged as triggered")
	}
	waitFor(t, "bearer 7 deleted", func() bool { ue, _ := emu.UE(imsi); return ue.PDNs[5].Bearers[7] == nil })
	// For an unknown bearer: Failure Indication.
	m, err = mme.ep.RequestSync(ctx(t), sgw, sgwTEID, &gtp.DeleteBearerCommand{BearerContexts: []gtp.BearerContext{{EBI: 9}}})
	if err != nil || m.(*gtp.DeleteBearerFailureIndication).Cause.Value != gtp.CauseContextNotFound {
		t.Fatalf("DBC for an unknown bearer: %v %v", m, err)
	}

	// Admin views.
	code, body = do(t, http.MethodGet, admin.URL+"/sessions/"+imsi, "")
	var uj ueJSON
	if code != http.StatusOK || json.Unmarshal([]byte(body), &uj) != nil || uj.PDNs[0].IPv4 != "10.45.0.2" {
		t.Fatalf("GET session: %d %s", code, body)
	}
	if code, _ = do(t, http.MethodGet, admin.URL+"/sessions/001019999999999", ""); code != http.StatusNotFound {
		t.Fatalf("unknown IMSI: %d", code)
	}
	if code, body = do(t, http.MethodGet, admin.URL+"/stats", ""); code != http.StatusOK || !strings.Contains(body, "create_session") {
		t.Fatalf("stats: %d %s", code, body)
	}

	// Delete Session: everything released.
	m, err = mme.ep.RequestSync(ctx(t), sgw, sgwTEID, &gtp.DeleteSessionRequest{LinkedEBI: 5})
	if err != nil || !m.(*gtp.DeleteSessionResponse).Cause.Accepted() {
		t.Fatalf("DSR %v %v", m, err)
	}
	if _, ok := emu.UE(imsi); ok || emu.Endpoint().TEIDs().Len() != 0 {
		t.Fatal("UE left after Delete Session")
	}
	// Its TEID is gone: Context Not Found.
	m, _ = mme.ep.RequestSync(ctx(t), sgw, sgwTEID, &gtp.ModifyBearerRequest{})
	if m.(*gtp.ModifyBearerResponse).Cause.Value != gtp.CauseContextNotFound {
		t.Fatalf("MBR after delete: %+v", m)
	}
}

func TestAddressAllocation(t *testing.T) {
	emu := newEmulator(t, Config{UEPoolV4: netip.MustParsePrefix("10.1.0.0/30")}) // one usable address
	mme := newFakeMME(t, s11.Config{EchoInterval: -1})
	csResp := func(imsi string, pdn gtp.PDNType) *gtp.CreateSessionResponse {
		m, err := mme.ep.RequestSync(ctx(t), emu.Addr(), 0, mme.csr(imsi, emu.Addr(), pdn))
		if err != nil {
			t.Fatal(err)
		}
		return m.(*gtp.CreateSessionResponse)
	}
	// IPv4v6 without an IPv6 pool: IPv4 with cause #18.
	r := csResp("001010000000001", gtp.PDNTypeIPv4v6)
	if r.Cause.Value != gtp.CauseNewPDNTypeDueToNetworkPreference || r.PAA.Type != gtp.PDNTypeIPv4 || r.PAA.IPv4.String() != "10.1.0.2" {
		t.Fatalf("v4v6: %+v", r)
	}
	// The pool is now empty: #84.
	if r = csResp("001010000000002", gtp.PDNTypeIPv4); r.Cause.Value != gtp.CauseAllDynamicAddressesAreOccupied {
		t.Fatalf("exhausted: %+v", r.Cause)
	}
	// IPv6 only without a pool: #83.
	if r = csResp("001010000000003", gtp.PDNTypeIPv6); r.Cause.Value != gtp.CausePreferredPDNTypeNotSupported {
		t.Fatalf("v6: %+v", r.Cause)
	}
	// A re-attach of the first UE replaces its context and reuses its address.
	if r = csResp("001010000000001", gtp.PDNTypeIPv4); !r.Cause.Accepted() || r.PAA.IPv4.String() != "10.1.0.2" {
		t.Fatalf("re-attach: %+v", r)
	}
	if n := emu.Endpoint().TEIDs().Len(); n != 1 {
		t.Fatalf("%d TEIDs bound", n)
	}
}

func TestDDNRate(t *testing.T) {
	emu := newEmulator(t, Config{DDNRate: 200})
	mme := newFakeMME(t, s11.Config{EchoInterval: -1})
	for _, imsi := range []string{"001010000000011", "001010000000012"} {
		m, err := mme.ep.RequestSync(ctx(t), emu.Addr(), 0, mme.csr(imsi, emu.Addr(), gtp.PDNTypeIPv4))
		if err != nil {
			t.Fatal(err)
		}
		mme.ep.RequestSync(ctx(t), emu.Addr(), m.(*gtp.CreateSessionResponse).SenderFTEID.TEID, &gtp.ReleaseAccessBearersRequest{})
	}
	// Both idle UEs get a DDN; a pending one gets no second.
	waitFor(t, "DDNs to both UEs", func() bool { return mme.count(gtp.TypeDownlinkDataNotification) >= 2 })
	got := map[string]bool{}
	for range 2 {
		got[(<-mme.inbox).Msg.(*gtp.DownlinkDataNotification).IMSI] = true
	}
	if len(got) != 2 || mme.count(gtp.TypeDownlinkDataNotification) != 2 {
		t.Fatalf("DDNs to %v, %d sent", got, mme.count(gtp.TypeDownlinkDataNotification))
	}
}

func TestBadConfig(t *testing.T) {
	for _, c := range []Config{
		{Listen: "127.0.0.1:0"},
		{Listen: "127.0.0.1:0", UEPoolV4: netip.MustParsePrefix("2001:db8::/64")},
		{Listen: "127.0.0.1:0", UEPoolV6: netip.MustParsePrefix("2001:db8::/96")},
	} {
		if e, err := New(c); err == nil {
			e.Close()
			t.Errorf("config %+v accepted", c)
		}
	}
}

func post(t *testing.T, url, body string) (int, string) { return do(t, http.MethodPost, url, body) }

func do(t *testing.T, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.NewTimer(5 * time.Second)
	defer deadline.Stop()
	poll := time.NewTicker(time.Millisecond)
	defer poll.Stop()
	for !cond() {
		select {
		case <-deadline.C:
			t.Fatalf("timed out waiting for %s", what)
		case <-poll.C:
		}
	}
}

// Indirect data forwarding (TS 23.401 §5.5.1.2.2 steps 8a, 19b): the SGW
// allocates a DL (and UL) forwarding F-TEID per known bearer, refuses an
// unknown one, releases them on delete, and answers #106 when it has no
// forwarding.
func TestIndirectDataForwarding(t *testing.T) {
	emu := newEmulator(t, Config{})
	mme := newFakeMME(t, s11.Config{})
	sgw := emu.Addr()
	const imsi = "001010000000043"
	m, err := mme.ep.RequestSync(ctx(t), sgw, 0, mme.csr(imsi, sgw, gtp.PDNTypeIPv4))
	if err != nil {
		t.Fatal(err)
	}
	sgwTEID := m.(*gtp.CreateSessionResponse).SenderFTEID.TEID
	dl := gtp.FTEID{Interface: gtp.IfENodeBDLForwarding, TEID: 0xd1, IPv4: netip.MustParseAddr("127.0.0.10")}
	ul := gtp.FTEID{Interface: gtp.IfENodeBULForwarding, TEID: 0x71, IPv4: netip.MustParseAddr("127.0.0.10")}
	req := &gtp.CreateIndirectDataForwardingTunnelRequest{BearerContexts: []gtp.BearerContext{
		{EBI: 5, ENBDLForwardingFTEID: dl, ENBULForwardingFTEID: ul}, {EBI: 9, ENBDLForwardingFTEID: dl}}}
	m, err = mme.ep.RequestSync(ctx(t), sgw, sgwTEID, req)
	if err != nil {
		t.Fatal(err)
	}
	r := m.(*gtp.CreateIndirectDataForwardingTunnelResponse)
	if r.Cause.Value != gtp.CauseRequestAcceptedPartially || len(r.BearerContexts) != 2 {
		t.Fatalf("response %+v", r)
	}
	b5, b9 := r.BearerContexts[0], r.BearerContexts[1]
	if b5.EBI != 5 || !b5.Cause.Accepted() || b5.SGWDLForwardingFTEID.Interface != gtp.IfSGWDLForwarding ||
		b5.SGWULForwardingFTEID.Interface != gtp.IfSGWULForwarding || b5.SGWDLForwardingFTEID.TEID == b5.SGWULForwardingFTEID.TEID {
		t.Fatalf("bearer 5 %+v", b5)
	}
	if b9.EBI != 9 || b9.Cause.Value != gtp.CauseContextNotFound {
		t.Fatalf("bearer 9 %+v", b9)
	}
	ue, _ := emu.UE(imsi)
	if ft := ue.Forwarding[5]; ft.ENBDL != dl || ft.ENBUL != ul || ft.SGWDL != b5.SGWDLForwardingFTEID {
		t.Fatalf("tunnel kept %+v", ue.Forwarding)
	}
	del := func() gtp.CauseValue {
		m, err := mme.ep.RequestSync(ctx(t), sgw, sgwTEID, &gtp.DeleteIndirectDataForwardingTunnelRequest{})
		if err != nil {
			t.Fatal(err)
		}
		return m.(*gtp.DeleteIndirectDataForwardingTunnelResponse).Cause.Value
	}
	if c := del(); c != gtp.CauseRequestAccepted {
		t.Fatalf("delete: %v", c)
	}
	if ue, _ := emu.UE(imsi); len(ue.Forwarding) != 0 {
		t.Fatalf("tunnels left %+v", ue.Forwarding)
	}
	if c := del(); c != gtp.CauseContextNotFound {
		t.Fatalf("second delete: %v", c)
	}
	emu.SetDataForwarding(false)
	m, err = mme.ep.RequestSync(ctx(t), sgw, sgwTEID, req)
	if err != nil {
		t.Fatal(err)
	}
	if c := m.(*gtp.CreateIndirectDataForwardingTunnelResponse).Cause.Value; c != gtp.CauseDataForwardingNotSupported {
		t.Fatalf("without forwarding: %v", c)
	}
	if n := emu.Counts()["create_indirect_forwarding"]; n != 2 {
		t.Fatalf("counted %d", n)
	}
}

// UpdateBearers sends one Update Bearer Request with a bearer context per
// bearer and applies the QoS of those the MME accepted.
func TestUpdateBearers(t *testing.T) {
	emu := newEmulator(t, Config{})
	mme := newFakeMME(t, s11.Config{})
	const imsi = "001010000000044"
	if _, err := mme.ep.RequestSync(ctx(t), emu.Addr(), 0, mme.csr(imsi, emu.Addr(), gtp.PDNTypeIPv4)); err != nil {
		t.Fatal(err)
	}
	ebi, err := emu.CreateBearer(ctx(t), imsi, BearerRequest{})
	if err != nil {
		t.Fatal(err)
	}
	q := gtp.BearerQoS{QCI: 3, ARP: gtp.ARP{PL: 4}, MBRUplink: 64, MBRDownlink: 64, GBRUplink: 32, GBRDownlink: 32}
	r, err := emu.UpdateBearers(ctx(t), imsi, []BearerUpdate{{EBI: 5}, {EBI: ebi, QoS: q}}, &gtp.AMBR{Uplink: 7, Downlink: 8})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Cause.Accepted() || len(r.BearerContexts) != 2 {
		t.Fatalf("response %+v", r)
	}
	in := <-mme.inbox
	for in.Header.Type != gtp.TypeUpdateBearerRequest {
		in = <-mme.inbox
	}
	if req := in.Msg.(*gtp.UpdateBearerRequest); len(req.BearerContexts) != 2 || req.BearerContexts[1].EBI != ebi || req.AMBR.Uplink != 7 {
		t.Fatalf("request %+v", req)
	}
	ue, _ := emu.UE(imsi)
	if b := ue.PDNs[5].Bearers[ebi]; b.QoS != q || ue.PDNs[5].AMBR != (gtp.AMBR{Uplink: 7, Downlink: 8}) {
		t.Fatalf("bearer %+v, AMBR %+v", b.QoS, ue.PDNs[5].AMBR)
	}
	if _, err := emu.UpdateBearers(ctx(t), imsi, []BearerUpdate{{EBI: 14}}, nil); err != ErrNoBearer {
		t.Fatalf("unknown bearers only: %v", err)
	}
}

// A Create Bearer Request refused with #110 (the MME is in a handover, TAU
// or release) is sent again, as a PGW does (TS 23.401 §5.4.1 NOTE 2), up to
// MobilityRetries attempts; then the refusal is returned.
func TestCreateBearerReattemptsAfterMobility(t *testing.T) {
	emu := newEmulator(t, Config{})
	mme := newFakeMME(t, s11.Config{})
	const imsi = "001010000000045"
	if _, err := mme.ep.RequestSync(ctx(t), emu.Addr(), 0, mme.csr(imsi, emu.Addr(), gtp.PDNTypeIPv4)); err != nil {
		t.Fatal(err)
	}
	mme.cbrBusy.Store(2)
	ebi, err := emu.CreateBearer(ctx(t), imsi, BearerRequest{})
	if err != nil || ebi == 0 {
		t.Fatalf("after two #110: EBI %d, %v", ebi, err)
	}
	if n := mme.count(gtp.TypeCreateBearerRequest); n != 3 {
		t.Fatalf("%d Create Bearer Requests, want 3", n)
	}
	if n := emu.Counts()["create_bearer_reattempt"]; n != 2 {
		t.Fatalf("%d re-attempts counted, want 2", n)
	}
	mme.cbrBusy.Store(MobilityRetries)
	_, err = emu.CreateBearer(ctx(t), imsi, BearerRequest{})
	var rej *RejectedError
	if !errors.As(err, &rej) || rej.Cause != gtp.CauseTemporarilyRejectedDueToMobility {
		t.Fatalf("always #110: %v, want the refusal", err)
	}
	if n := mme.count(gtp.TypeCreateBearerRequest); n != 3+MobilityRetries {
		t.Fatalf("%d Create Bearer Requests, want %d", n, 3+MobilityRetries)
	}
}
