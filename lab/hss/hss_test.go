package hss

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	tv "github.com/lte-mme/mme/internal/vectors"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/s6a"
	"github.com/lte-mme/mme/s6a/peer"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var timers = peer.Timers{Watchdog: time.Second, RequestTimeout: 5 * time.Second, Tick: 10 * time.Millisecond,
	ReconnectMin: 10 * time.Millisecond, ReconnectMax: 100 * time.Millisecond}

var snid = [3]byte{0x00, 0xf1, 0x10} // PLMN 001/01

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// startHSS runs an HSS on loopback with a fresh store.
func startHSS(t *testing.T, fixedRAND *[16]byte) (*HSS, string) {
	t.Helper()
	h, err := Open(Config{Identity: peer.Identity{OriginHost: "hss.epc", OriginRealm: "epc"}, Timers: timers,
		DataDir: t.TempDir(), FixedRAND: fixedRAND})
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go h.Serve(l)
	t.Cleanup(func() { h.Close() })
	return h, l.Addr().String()
}

// startMME connects an MME-side client; clr receives the CLRs it gets.
func startMME(t *testing.T, host, addr string, clr chan<- *s6a.CLR) *peer.Client {
	t.Helper()
	return startMMEWith(t, host, "epc", addr, timers, clr)
}

func startMMEWith(t *testing.T, host, realm, addr string, tm peer.Timers, clr chan<- *s6a.CLR) *peer.Client {
	t.Helper()
	c, err := peer.NewClient(peer.ClientConfig{Identity: peer.Identity{OriginHost: host, OriginRealm: realm}, DestinationRealm: realm,
		Peers: []string{addr}, Timers: tm,
		Handler: func(r *peer.Request, answer func(*diam.Message)) {
			m, err := s6a.DecodeCLR(r.Message)
			if err != nil {
				t.Errorf("MME %s got %v", host, err)
				return
			}
			if clr != nil {
				select { // never block the connection's reader
				case clr <- m:
				default:
					t.Errorf("MME %s: unexpected CLR %+v", host, m)
				}
			}
			answer((&s6a.CLA{AnswerHeader: s6a.AnswerHeader{SessionID: m.SessionID, OriginHost: host, OriginRealm: realm, Result: s6a.Success}}).Encode())
		}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(context.Background()) })
	if err := c.WaitOpen(ctxT(t)); err != nil {
		t.Fatal(err)
	}
	return c
}

func callAIR(t *testing.T, c *peer.Client, imsi string, n uint32, resync []byte) *s6a.AIA {
	t.Helper()
	req := &s6a.AIR{RequestHeader: c.Header(), IMSI: imsi, VisitedPLMNID: snid,
		EUTRAN: &s6a.RequestedEUTRANAuthInfo{NumberOfRequestedVectors: n, ResynchronizationInfo: resync}}
	m, err := c.Call(ctxT(t), req.Encode())
	if err != nil {
		t.Fatal(err)
	}
	aia, err := s6a.DecodeAIA(m)
	if err != nil {
		t.Fatal(err)
	}
	return aia
}

func callULR(t *testing.T, c *peer.Client, imsi string, flags uint32) *s6a.ULA {
	t.Helper()
	req := &s6a.ULR{RequestHeader: c.Header(), IMSI: imsi, RATType: s6a.RATTypeEUTRAN, ULRFlags: s6a.ULRS6aS6dIndicator | flags, VisitedPLMNID: snid}
	m, err := c.Call(ctxT(t), req.Encode())
	if err != nil {
		t.Fatal(err)
	}
	ula, err := s6a.DecodeULA(m)
	if err != nil {
		t.Fatal(err)
	}
	return ula
}

// vectorValues reads name → hex value rows of a vectors file.
func vectorValues(t *testing.T, file string) map[string]string {
	f, err := os.Open(tv.Path(file))
	if err != nil {
		t.Fatalf("third-party vectors: %v", err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) >= 2 {
			out[c[0]] = c[1]
		}
	}
	return out
}

func unhex(t *testing.T, s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestGoldAttachVectors replays the two GOLD attach flows of the shared
// vectors: with their K, OPc (or OP), AMF, SQN and fixed RAND, the HSS's
// AIA must carry the AUTN of the captured Authentication Request and the
// XRES of the captured Authentication Response, and the K_ASME derived
// for PLMN 001/01.
func TestGoldAttachVectors(t *testing.T) {
	crypto := vectorValues(t, "crypto.tsv")
	nas := vectorValues(t, "nas.tsv")
	for _, tc := range []struct{ test, authReq, authResp string }{
		{"attach_test1", "EMMAuthenticationRequest#07", "EMMAuthenticationResponse#07"},
		{"attach_test3", "EMMAuthenticationRequest#08", "EMMAuthenticationResponse#09"},
	} {
		t.Run(tc.test, func(t *testing.T) {
			v := func(f string) string { return crypto["o5gs-attach/"+tc.test+"/"+f] }
			rand := [16]byte(unhex(t, v("RAND")))
			h, addr := startHSS(t, &rand)
			in := SubscriberInput{IMSI: "001010000000001", K: v("K"), OPc: v("OPc"), OP: v("OP"), AMF: v("AMF"), SQN: "0x" + v("SQN")}
			if in.OP != "" {
				in.OPc = "" // attach_test3's subscriber has OP: the HSS derives OPc
			}
			sub, err := in.Subscriber("internet")
			if err != nil {
				t.Fatal(err)
			}
			if hex.EncodeToString(sub.OPc[:]) != v("OPc") {
				t.Fatalf("OPc %x, want %s", sub.OPc, v("OPc"))
			}
			if err := h.Put(sub); err != nil {
				t.Fatal(err)
			}
			if v := unhex(t, v("SNID")); [3]byte(v) != snid {
				t.Fatalf("SNID %x", v)
			}
			c := startMME(t, "mme.epc", addr, nil)
			aia := callAIR(t, c, sub.IMSI, 1, nil)
			if aia.Result != s6a.Success || len(aia.Vectors) != 1 {
				t.Fatalf("AIA %+v", aia)
			}
			vec := aia.Vectors[0]
			// Authentication Request: 07 52 ksi RAND(16) len(10) AUTN(16).
			req := unhex(t, nas[tc.authReq])
			if got, want := hex.EncodeToString(vec.AUTN[:]), hex.EncodeToString(req[len(req)-16:]); got != want {
				t.Errorf("AUTN %s, captured %s", got, want)
			}
			if got, want := hex.EncodeToString(vec.RAND[:]), hex.EncodeToString(req[3:19]); got != want {
				t.Errorf("RAND %s, captured %s", got, want)
			}
			// Authentication Response ends with RES (8 octets).
			resp := unhex(t, nas[tc.authResp])
			if got, want := hex.EncodeToString(vec.XRES), hex.EncodeToString(resp[len(resp)-8:]); got != want || want != v("RES") {
				t.Errorf("XRES %s, captured RES %s (crypto.tsv %s)", got, want, v("RES"))
			}
			if got := hex.EncodeToString(vec.KASME[:]); got != v("KASME") {
				t.Errorf("KASME %s, want %s", got, v("KASME"))
			}
			// The SQN advanced past the one used (SEQ+1, IND+1).
			view, _ := h.Get(sub.IMSI)
			if view.SQN != NextSQN(0x40) || view.SQN != 0x61 {
				t.Errorf("stored SQN %#x, want %#x", view.SQN, NextSQN(0x40))
			}
		})
	}
}

// TestVectorsAndResync: several vectors per AIR are all accepted by a USIM
// (TS 33.102 Annex C.3.2 profile), even used out of order; a USIM ahead of
// the HSS answers synch failure, and the AIR with RAND || AUTS
// re-synchronises the HSS so that the next vector is accepted.
func TestVectorsAndResync(t *testing.T) {
	h, addr := startHSS(t, nil)
	k := [16]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	opc := [16]byte{0xe8, 0xed, 0x28, 0x9d}
	sub := Subscriber{IMSI: "001010000000002", K: k, OPc: opc, AMF: [2]byte{0x80, 0}, SQN: DefaultSQN, APN: "internet"}
	if err := h.Put(sub); err != nil {
		t.Fatal(err)
	}
	c := startMME(t, "mme.epc", addr, nil)
	usim := security.NewUSIM(k, opc, security.USIMConfig{})

	aia := callAIR(t, c, sub.IMSI, 3, nil)
	if len(aia.Vectors) != 3 {
		t.Fatalf("%d vectors, want 3", len(aia.Vectors))
	}
	// Out of order: the third, then the first (another IND), then the second.
	for _, i := range []int{2, 0, 1} {
		v := aia.Vectors[i]
		if v.ItemNumber != uint32(i+1) {
			t.Errorf("Item-Number %d, want %d", v.ItemNumber, i+1)
		}
		r, err := usim.Authenticate(v.RAND, v.AUTN, snid)
		if err != nil {
			t.Fatalf("vector %d: %v", i+1, err)
		}
		if string(r.RES) != string(v.XRES) || r.KASME != v.KASME {
			t.Fatalf("vector %d: RES/KASME differ", i+1)
		}
	}
	// The USIM jumps ahead (e.g. it was used with another HSS).
	for i := range uint64(1 << INDBits) {
		usim.SetSQNMS(1000<<INDBits | i)
	}
	v := callAIR(t, c, sub.IMSI, 1, nil).Vectors[0]
	_, err := usim.Authenticate(v.RAND, v.AUTN, snid)
	var sf *security.SynchFailureError
	if !errors.As(err, &sf) {
		t.Fatalf("USIM ahead: %v, want synch failure", err)
	}
	resync := append(append([]byte(nil), v.RAND[:]...), sf.AUTS[:]...)
	aia = callAIR(t, c, sub.IMSI, 2, resync)
	if aia.Result != s6a.Success || len(aia.Vectors) != 2 {
		t.Fatalf("resync AIA %+v", aia)
	}
	for i, v := range aia.Vectors {
		if _, err := usim.Authenticate(v.RAND, v.AUTN, snid); err != nil {
			t.Fatalf("after resync, vector %d: %v", i+1, err)
		}
	}
	if got := h.Stats().Resync.Load(); got != 1 {
		t.Errorf("resync count %d", got)
	}
	// A forged AUTS (MAC-S fails) leaves the SQN alone, still answers.
	before, _ := h.Get(sub.IMSI)
	bad := append([]byte(nil), resync...)
	bad[29] ^= 0xff
	aia = callAIR(t, c, sub.IMSI, 1, bad)
	after, _ := h.Get(sub.IMSI)
	if aia.Result != s6a.Success || after.SQN != NextSQN(before.SQN) || h.Stats().ResyncMACSFailure.Load() != 1 {
		t.Fatalf("MAC-S failure: result %v SQN %#x → %#x", aia.Result, before.SQN, after.SQN)
	}
}

func TestUnknownUser(t *testing.T) {
	_, addr := startHSS(t, nil)
	c := startMME(t, "mme.epc", addr, nil)
	want := s6a.ExperimentalResult(s6a.ExpErrorUserUnknown)
	if aia := callAIR(t, c, "001019999999999", 1, nil); aia.Result != want || len(aia.Vectors) != 0 {
		t.Errorf("AIR unknown: %+v", aia)
	}
	if ula := callULR(t, c, "001019999999999", 0); ula.Result != want || ula.SubscriptionData != nil {
		t.Errorf("ULR unknown: %+v", ula)
	}
	if cause, _ := s6a.EMMCauseFor(want); cause != s6a.EMMCauseEPSAndNonEPSServicesNotAllowed {
		t.Errorf("cause %d", cause)
	}
}

// TestLocationManagement: ULR returns the subscription data and stores the
// MME; a ULR from a second MME cancels the first (CLR MME_UPDATE_PROCEDURE);
// PUR marks the UE purged; a REST delete sends CLR SUBSCRIPTION_WITHDRAWAL.
func TestLocationManagement(t *testing.T) {
	h, addr := startHSS(t, nil)
	in := SubscriberInput{IMSI: "001010000000003", K: strings.Repeat("11", 16), OPc: strings.Repeat("22", 16), MSISDN: "33600000003", APN: "ims"}
	s, err := in.Subscriber("internet")
	if err != nil {
		t.Fatal(err)
	}
	h.Put(s)
	clr1 := make(chan *s6a.CLR, 2)
	clr2 := make(chan *s6a.CLR, 2)
	mme1 := startMME(t, "mme1.epc", addr, clr1)
	mme2 := startMME(t, "mme2.epc", addr, clr2)

	ula := callULR(t, mme1, s.IMSI, 0)
	sd := ula.SubscriptionData
	if ula.Result != s6a.Success || sd == nil || sd.MSISDN != "33600000003" || *sd.NetworkAccessMode != s6a.OnlyPacket {
		t.Fatalf("ULA %+v", ula)
	}
	apn := sd.APNConfigurationProfile.DefaultAPN()
	if apn == nil || apn.ServiceSelection != "ims" || apn.EPSSubscribedQoS.QCI != 9 || sd.AMBR.MaxRequestedBandwidthDL != DefaultProfile.AMBRDL {
		t.Fatalf("APN %+v", apn)
	}
	if v, _ := h.Get(s.IMSI); v.ServingMME != "mme1.epc" {
		t.Fatalf("serving MME %q", v.ServingMME)
	}
	if ula := callULR(t, mme2, s.IMSI, s6a.ULRSkipSubscriberData); ula.Result != s6a.Success || ula.SubscriptionData != nil {
		t.Fatalf("ULR skip subscriber data: %+v", ula)
	}
	select {
	case clr := <-clr1:
		if clr.IMSI != s.IMSI || clr.CancellationType != s6a.CancelMMEUpdateProcedure || clr.DestinationHost != "mme1.epc" {
			t.Fatalf("CLR %+v", clr)
		}
	case <-ctxT(t).Done():
		t.Fatal("no CLR at the old MME")
	}
	// PUR from mme2 (the serving MME) marks it purged.
	m, err := mme2.Call(ctxT(t), (&s6a.PUR{RequestHeader: mme2.Header(), IMSI: s.IMSI, PURFlags: s6a.PURUEPurgedInMME}).Encode())
	if err != nil {
		t.Fatal(err)
	}
	if pua, err := s6a.DecodePUA(m); err != nil || pua.Result != s6a.Success {
		t.Fatalf("PUA %+v %v", pua, err)
	}
	if v, _ := h.Get(s.IMSI); !v.Purged {
		t.Fatal("not purged")
	}
	// Registered again, then deleted over REST: CLR SUBSCRIPTION_WITHDRAWAL.
	callULR(t, mme2, s.IMSI, 0)
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	defer http.DefaultClient.CloseIdleConnections()
	req, _ := http.NewRequest(http.MethodDelete, srv.URL+"/subscribers/"+s.IMSI, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %v %v", resp, err)
	}
	resp.Body.Close()
	select {
	case clr := <-clr2:
		if clr.CancellationType != s6a.CancelSubscriptionWithdrawal {
			t.Fatalf("CLR %+v", clr)
		}
	case <-ctxT(t).Done():
		t.Fatal("no CLR after delete")
	}
	if _, err := h.Get(s.IMSI); !errors.Is(err, ErrUnknownSubscriber) {
		t.Fatalf("Get after delete: %v", err)
	}
}

func TestRESTAndCSV(t *testing.T) {
	h, _ := startHSS(t, nil)
	srv := httptest.NewServer(h.Handler())
	defer srv.Close()
	defer http.DefaultClient.CloseIdleConnections()
	post := func(path, ctype, body string) (int, string) {
		resp, err := http.Post(srv.URL+path, ctype, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b := new(strings.Builder)
		bufio.NewReader(resp.Body).WriteTo(b)
		return resp.StatusCode, b.String()
	}
	var csv strings.Builder
	csv.WriteString("imsi,k,opc,amf,sqn,msisdn,apn\n")
	for i := range 2500 {
		fmt.Fprintf(&csv, "00101%010d,%032x,%032x,8000,%d,336%08d,internet\n", i, i+1, i+2, 32*(i+1), i)
	}
	if code, body := post("/subscribers/import", "text/csv", csv.String()); code != 200 || !strings.Contains(body, `"imported":2500`) {
		t.Fatalf("import: %d %s", code, body)
	}
	if code, body := post("/subscribers/import", "text/csv", "imsi,k,opc\n12,zz,00\n"); code != 400 || !strings.Contains(body, "line 2") {
		t.Fatalf("bad csv: %d %s", code, body)
	}
	if code, body := post("/subscribers", "application/json", `{"imsi":"001010000009999","k":"465b5ce8b199b49faa5f0a2ee238a6bc","op":"5f1d289c5d354d0a140c2548f5f3e3ba","sqn":"64"}`); code != 201 {
		t.Fatalf("POST: %d %s", code, body)
	}
	if code, _ := post("/subscribers", "application/json", `{"imsi":"12ab","k":"00"}`); code != 400 {
		t.Fatalf("POST invalid: %d", code)
	}
	resp, err := http.Get(srv.URL + "/subscribers/001010000009999")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("GET: %v %v", resp, err)
	}
	b := new(strings.Builder)
	bufio.NewReader(resp.Body).WriteTo(b)
	resp.Body.Close()
	if !strings.Contains(b.String(), `"opc":"e8ed289deba952e4283b54e88e6183ca"`) || !strings.Contains(b.String(), `"sqn":64`) {
		t.Fatalf("GET body %s", b)
	}
	resp, err = http.Get(srv.URL + "/subscribers/001010000008888")
	if err != nil || resp.StatusCode != 404 {
		t.Fatalf("GET unknown: %v %v", resp, err)
	}
	resp.Body.Close()
	if n, _ := h.Count(); n != 2501 {
		t.Fatalf("count %d", n)
	}
	v, err := h.Get("001010000001234")
	if err != nil || v.MSISDN != "33600001234" || v.SQN != 32*1235 || v.K != fmt.Sprintf("%032x", 1235) {
		t.Fatalf("imported %+v %v", v, err)
	}
}

func TestNextSQN(t *testing.T) {
	for _, tc := range []struct{ in, want uint64 }{
		{0x20, 0x41}, {0x40, 0x61}, {0x3f, 0x40}, {(1 << INDBits) - 1, 1 << INDBits}, {security.MaxSQN, 0},
	} {
		if got := NextSQN(tc.in); got != tc.want {
			t.Errorf("NextSQN(%#x) = %#x, want %#x", tc.in, got, tc.want)
		}
	}
}

func TestRecordEncoding(t *testing.T) {
	s := Subscriber{IMSI: "001010000000001", K: [16]byte{1}, OPc: [16]byte{2}, AMF: [2]byte{0x80, 1}, SQN: 1 << 40,
		MSISDN: "123", APN: "internet", AMBRUL: 5, AMBRDL: 6, QCI: 7, ARPPriority: 8, AccessRestrictionData: 9}
	got, err := unmarshalSubscriber(s.IMSI, s.marshal())
	if err != nil || got != s {
		t.Fatalf("round trip %+v %v", got, err)
	}
	b := s.marshal()
	for i := range b {
		if _, err := unmarshalSubscriber(s.IMSI, b[:i]); err == nil {
			t.Fatalf("truncated at %d accepted", i)
		}
	}
	l := location{Host: "mme.epc", Realm: "epc", Purged: true}
	if got, err := unmarshalLocation(l.marshal()); err != nil || got != l {
		t.Fatalf("location %+v %v", got, err)
	}
}

// TestMissingAVP: an AIR without Requested-EUTRAN-Authentication-Info gets
// DIAMETER_MISSING_AVP with the AVP in Failed-AVP (RFC 6733 §7.5).
func TestMissingAVP(t *testing.T) {
	_, addr := startHSS(t, nil)
	c := startMME(t, "mme.epc", addr, nil)
	m, err := c.Call(ctxT(t), (&s6a.AIR{RequestHeader: c.Header(), IMSI: "001010000000001", VisitedPLMNID: snid}).Encode())
	if err != nil {
		t.Fatal(err)
	}
	aia, err := s6a.DecodeAIA(m)
	if err != nil || aia.Result != s6a.BaseResult(s6a.ResultMissingAVP) {
		t.Fatalf("AIA %+v %v", aia, err)
	}
	fa, err := m.FindAVP(uint32(279), 0)
	if err != nil {
		t.Fatal(err)
	}
	if g := fa.Data.(*diam.GroupedAVP); len(g.AVP) != 1 || g.AVP[0].Code != 1408 || g.AVP[0].VendorID != s6a.Vendor3GPP {
		t.Fatalf("Failed-AVP %v", fa)
	}
}
