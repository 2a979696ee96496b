package session

import (
	"encoding/hex"
	"fmt"
	"net/netip"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/nas/security"
	"github.com/lte-mme/mme/s1ap"
	"github.com/lte-mme/mme/s6a"
)

// The scenario harness: a Machine between test peers that speak real NAS
// with real keys (a USIM and a UE-side security context), an HSS that
// computes real vectors, and SGW/eNodeB stand-ins that answer what the
// machine asked. Effects are printed as decoded summaries.

var (
	testPLMN, _ = nas.ParsePLMNID("00101")
	testK       = [16]byte{0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f, 0xaa, 0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc}
	testOPc     = [16]byte{0xe8, 0xed, 0x28, 0x9d, 0xeb, 0xa9, 0x52, 0xe4, 0x28, 0x3b, 0x54, 0xe8, 0x8e, 0x61, 0x83, 0xca}
	testEpoch   = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	testSGW     = netip.MustParseAddrPort("127.0.0.1:2123")
	testMME     = netip.MustParseAddr("127.0.0.1")
)

func testConfig() Config {
	t3412 := 54 * time.Minute
	return Config{
		PLMN: testPLMN, MMEGroupID: 0x8001, MMECode: 1,
		TAIs:        []nas.TAI{{PLMN: testPLMN, TAC: 1}, {PLMN: testPLMN, TAC: 2}},
		EIA:         []security.EIA{security.EIA2, security.EIA1},
		EEA:         []security.EEA{security.EEA0, security.EEA2},
		AuthVectors: 1, T3412: t3412, T3346: 30 * time.Minute,
		Timers: DefaultTimerValues(t3412), MMES11: testMME, SGW: testSGW,
	}
}

// fakeAlloc hands out predictable identifiers.
type fakeAlloc struct{ mtmsi, teid uint32 }

func (a *fakeAlloc) MTMSI() uint32 { a.mtmsi++; return 0xc0000000 | a.mtmsi }
func (a *fakeAlloc) S11TEID(key uint64, _ netip.AddrPort) (uint32, error) {
	a.teid++
	return 0x1000 + a.teid, nil
}

// testUE is the UE side: USIM, NAS security context, identity.
type testUE struct {
	imsi    string
	usim    *security.USIM
	netCap  nas.UENetworkCapability
	sec     *security.Context // current (UE role)
	kasme   [32]byte          // from the last successful AKA
	ksi     uint8
	haveAKA bool
	guti    *nas.GUTI
	inbox   []nas.Message // downlink NAS as decoded by the UE, newest last
	smcPDU  []byte        // the last SECURITY MODE COMMAND as received
	pti     uint8
	apn     string
	firstUL security.Count
	// dlProtected: the last downlink NAS message came security protected
	// with the current context (the secure exchange is established on the
	// connection: the UE protects its answers, TS 24.301 §4.4.4.2).
	dlProtected bool
}

type world struct {
	t      *testing.T
	cfg    Config
	alloc  *fakeAlloc
	key    uint64
	m      *Machine
	now    time.Time
	conn   ConnID
	ue     *testUE
	hssK   [16]byte
	hssSQN uint64
	rand   byte
	// persisted is the last record the machine asked to store.
	persisted []byte
	// requests the machine sent that peers have not answered, oldest first.
	s6a []SendS6a
	s11 []SendS11
	// transfer is the last Transfer effect.
	transfer *Transfer
	// the eNodeB side of the last INITIAL CONTEXT SETUP REQUEST.
	icsEBIs []uint8
	// ddn numbers the Downlink Data Notifications the SGW sent.
	ddn     uint64
	deleted bool
	saved   []byte
	// bearer: the test peers of the bearer procedures (scenario_bearer_test.go).
	bearer bearerPeers
}

func newWorld(t *testing.T) *world {
	w := &world{t: t, cfg: testConfig(), alloc: &fakeAlloc{}, key: 1, now: testEpoch, hssK: testK, hssSQN: 32}
	w.m = New(&w.cfg, w.alloc, w.key)
	return w
}

func (w *world) tick() { w.now = w.now.Add(10 * time.Millisecond) }

// step runs an event and prints its Ready.
func (w *world) step(ev Event, out *strings.Builder) {
	if err := w.m.Step(ev); err != nil {
		fmt.Fprintf(out, "error: %v\n", err)
		return
	}
	w.drain(out)
}

func (w *world) drain(out *strings.Builder) {
	if !w.m.HasReady() {
		fmt.Fprintf(out, "(nothing)\n")
		w.state(out)
		return
	}
	rd := w.m.Ready()
	if rd.Persist {
		rec := w.m.AppendRecord(nil)
		// Every stored record must load back to the same bytes.
		back, err := Load(&w.cfg, w.alloc, w.key, rec)
		if err != nil {
			w.t.Fatalf("record does not load: %v", err)
		}
		if again := back.AppendRecord(nil); string(again) != string(rec) {
			w.t.Fatalf("record does not round-trip")
		}
		w.persisted = rec
		fmt.Fprintf(out, "persist\n")
	}
	if rd.Delete {
		w.deleted = true
		fmt.Fprintf(out, "delete record\n")
	}
	for _, p := range rd.Started {
		fmt.Fprintf(out, "started %v\n", p)
	}
	for _, e := range rd.Effects {
		fmt.Fprintf(out, "> %s\n", w.effect(e))
	}
	for _, o := range rd.Outcomes {
		res := "ok"
		if !o.OK {
			res = "failed " + o.Cause
		}
		fmt.Fprintf(out, "outcome %v %s (%v)\n", o.Proc, res, o.Latency())
	}
	for _, a := range rd.Anomalies {
		fmt.Fprintf(out, "anomaly in %v on %s: %s\n", a.State, a.Event, a.What)
	}
	w.m.Advance()
	w.state(out)
}

func (w *world) state(out *strings.Builder) {
	s := w.m.Subscriber()
	fmt.Fprintf(out, "state %v %v proc=%v wait=%v", s.EMM, s.ECM, s.Proc, s.Wait)
	if s.Outstanding > 0 {
		fmt.Fprintf(out, " outstanding=%d", s.Outstanding)
	}
	fmt.Fprintln(out)
}

// effect prints one effect and lets the test peers take note of it.
func (w *world) effect(e Effect) string {
	switch e := e.(type) {
	case SendS1:
		return fmt.Sprintf("S1 conn=%d %s", e.Conn, w.s1(e.Msg))
	case FreeConn:
		return fmt.Sprintf("free conn=%d", e.Conn)
	case SendS11:
		w.s11 = append(w.s11, e)
		return fmt.Sprintf("S11 txn=%d teid=%#x %s", e.Txn, e.TEID, gtpSummary(e.Msg))
	case SendS6a:
		w.s6a = append(w.s6a, e)
		return fmt.Sprintf("S6a txn=%d %s", e.Txn, s6aSummary(e.Msg))
	case StartTimer:
		return fmt.Sprintf("timer start %v %v", e.ID, e.After)
	case StopTimer:
		return fmt.Sprintf("timer stop %v", e.ID)
	case ReleaseTEID:
		return fmt.Sprintf("release TEID %#x", e.TEID)
	case ResolveIMSI:
		return fmt.Sprintf("resolve IMSI %s", e.IMSI)
	case Transfer:
		w.transfer = &e
		return fmt.Sprintf("transfer to key %d: conn=%d imsi=%s", e.To, e.Event.Conn, e.Event.IMSI)
	case AnswerDDN:
		return fmt.Sprintf("S11 answer DDN id=%d teid=%#x cause=%v", e.ID, e.TEID, e.Cause)
	case NotifyS11:
		return fmt.Sprintf("S11 notify teid=%#x %s", e.TEID, gtpSummary(e.Msg))
	case Page:
		return fmt.Sprintf("page imsi=%s s-tmsi=%d/%#x tais=%v", e.IMSI, e.MMEC, e.MTMSI, e.TAIs)
	case RespondS11:
		return w.respondS11(e) // scenario_bearer_test.go
	}
	return fmt.Sprintf("%T", e)
}

func (w *world) s1(m s1ap.Message) string {
	switch m := m.(type) {
	case *s1ap.DownlinkNASTransport:
		return "DownlinkNASTransport " + w.ueReceive(m.NASPDU)
	case *s1ap.InitialContextSetupRequest:
		var b strings.Builder
		fmt.Fprintf(&b, "InitialContextSetupRequest ue-ambr=%d/%d", m.UEaggregateMaximumBitrate.UEaggregateMaximumBitRateUL, m.UEaggregateMaximumBitrate.UEaggregateMaximumBitRateDL)
		w.icsEBIs = w.icsEBIs[:0]
		for _, e := range m.ERABToBeSetupListCtxtSUReq {
			w.icsEBIs = append(w.icsEBIs, uint8(e.ERABID))
			fmt.Fprintf(&b, " erab=%d qci=%d", e.ERABID, e.ERABlevelQoSParameters.QCI)
			if g, ok := e.ERABlevelQoSParameters.GbrQosInformation.Get(); ok {
				fmt.Fprintf(&b, " gbr=%d/%d mbr=%d/%d", g.ERABGuaranteedBitrateUL, g.ERABGuaranteedBitrateDL,
					g.ERABMaximumBitrateUL, g.ERABMaximumBitrateDL)
			}
			fmt.Fprintf(&b, " sgw=%x/%x", e.TransportLayerAddress.Bytes, e.GTPTEID)
		}
		fmt.Fprintf(&b, " eea=%x eia=%x kenb=%x…", m.UESecurityCapabilities.EncryptionAlgorithms.Bytes,
			m.UESecurityCapabilities.IntegrityProtectionAlgorithms.Bytes, m.SecurityKey[:4])
		if w.ue != nil && w.ue.sec != nil {
			// The UE derives K_eNB too (TS 33.401 A.3): they must agree.
			want := w.ue.sec.KENB(w.ue.kenbCount())
			if want != [32]byte(m.SecurityKey) {
				fmt.Fprintf(&b, " KENB-MISMATCH")
			}
		}
		if e := m.ERABToBeSetupListCtxtSUReq; len(e) > 0 && e[0].NASPDU.Present {
			b.WriteString(" nas: " + w.ueReceive(e[0].NASPDU.Value))
		}
		return b.String()
	case *s1ap.UEContextReleaseCommand:
		return "UEContextReleaseCommand cause=" + causeString(m.Cause)
	}
	if s, ok := w.s1Handover(m); ok {
		return s
	}
	if s, ok := w.s1Bearer(m); ok { // scenario_bearer_test.go
		return s
	}
	return m.MessageName()
}

// kenbCount is the UL COUNT the UE expects K_eNB from: that of the message
// that established security on the connection (the UE's first uplink
// message after SMC or the protected initial message).
func (u *testUE) kenbCount() security.Count { return u.firstUL }

// ueReceive decodes a downlink NAS PDU as the UE does and queues it.
func (w *world) ueReceive(pdu []byte) string {
	u := w.ue
	_, sht, err := nas.PeekHeader(pdu)
	if err != nil {
		return "bad NAS: " + err.Error()
	}
	var plain []byte
	tag := "plain"
	switch sht {
	case nas.Plain:
		plain = pdu
	case nas.IntegrityProtectedNewContext:
		p, err := nas.ParseSecurityProtected(pdu)
		if err != nil {
			return "bad NAS: " + err.Error()
		}
		plain, tag = p.Message, "sht3"
		u.smcPDU = append([]byte(nil), pdu...)
	default:
		if u == nil || u.sec == nil {
			return fmt.Sprintf("protected (%v) but the UE has no context", sht)
		}
		out, rcv, err := u.sec.Unprotect(nil, pdu)
		if err != nil {
			return "UE cannot unprotect: " + err.Error()
		}
		plain, tag = out, fmt.Sprintf("sht%d dl=%d", sht, rcv.Count)
	}
	msg, err := nas.DecodeDownlink(plain)
	if err != nil {
		return "UE cannot decode: " + err.Error()
	}
	if u != nil {
		u.dlProtected = sht != nas.Plain && sht != nas.IntegrityProtectedNewContext
		u.inbox = append(u.inbox, msg)
	}
	return "[" + tag + "] " + nasSummary(msg)
}

func nasSummary(m nas.Message) string {
	switch m := m.(type) {
	case *nas.AuthenticationRequest:
		return fmt.Sprintf("AuthenticationRequest ksi=%d", m.NASKeySetIdentifierASME.KSI)
	case *nas.SecurityModeCommand:
		s := fmt.Sprintf("SecurityModeCommand EEA%d EIA%d ksi=%d replayed=%02x%02x", m.SelectedNASSecurityAlgorithms.Ciphering,
			m.SelectedNASSecurityAlgorithms.Integrity, m.NASKeySetIdentifier.KSI, m.ReplayedUESecurityCapabilities.EEA, m.ReplayedUESecurityCapabilities.EIA)
		if m.IMEISVRequest != nil {
			s += " imeisv-request"
		}
		return s
	case *nas.AttachAccept:
		t3412, _ := m.T3412Value.Seconds()
		s := fmt.Sprintf("AttachAccept result=%v t3412=%ds tais=%d", m.EPSAttachResult, t3412, m.TAIList.Len())
		if m.GUTI != nil {
			s += " guti=" + m.GUTI.String()
		}
		if m.EMMCause != nil {
			s += " cause=" + m.EMMCause.String()
		}
		s += fmt.Sprintf(" nfs=%x", []byte(m.EPSNetworkFeatureSupport))
		if esm, err := m.ESMMessageContainer.Decode(); err == nil {
			s += " esm: " + nasSummary(esm)
		}
		return s
	case *nas.ActivateDefaultEPSBearerContextRequest:
		s := fmt.Sprintf("ActivateDefaultEPSBearerContextRequest ebi=%d pti=%d qci=%d apn=%s addr=%v", m.EBI, m.PTI, m.EPSQoS.QCI, m.AccessPointName, m.PDNAddress.IPv4)
		if m.ESMCause != nil {
			s += " cause=" + m.ESMCause.String()
		}
		return s
	case *nas.AttachReject:
		s := "AttachReject cause=" + m.EMMCause.String()
		if m.T3346Value != nil {
			sec, _ := m.T3346Value.Seconds()
			s += fmt.Sprintf(" t3346=%ds", sec)
		}
		if esm, err := m.ESMMessageContainer.Decode(); err == nil && len(m.ESMMessageContainer) > 0 {
			s += " esm: " + nasSummary(esm)
		}
		return s
	case *nas.PDNConnectivityReject:
		return "PDNConnectivityReject cause=" + m.ESMCause.String()
	case *nas.EMMStatus:
		return "EMMStatus cause=" + m.EMMCause.String()
	case *nas.ESMStatus:
		return "ESMStatus cause=" + m.ESMCause.String()
	case *nas.IdentityRequest:
		return fmt.Sprintf("IdentityRequest type=%v", m.IdentityType)
	case *nas.ESMInformationRequest:
		return fmt.Sprintf("ESMInformationRequest pti=%d", m.PTI)
	case *nas.DetachRequestUETerminated:
		return fmt.Sprintf("DetachRequest (UE terminated) type=%d", m.DetachType.Type)
	case *nas.EMMInformation:
		return "EMMInformation"
	case *nas.TrackingAreaUpdateReject:
		return "TrackingAreaUpdateReject cause=" + m.EMMCause.String()
	case *nas.ServiceReject:
		return "ServiceReject cause=" + m.EMMCause.String()
	}
	if s, ok := nasSummaryBearer(m); ok { // scenario_bearer_test.go
		return s
	}
	return m.MessageType().String()
}

func gtpSummary(m gtp.Message) string {
	switch m := m.(type) {
	case *gtp.CreateSessionRequest:
		return fmt.Sprintf("CreateSessionRequest imsi=%s apn=%s pdn=%v ebi=%d qci=%d sender=%#x", m.IMSI, m.APN, m.PDNType,
			m.BearerContextsToBeCreated[0].EBI, m.BearerContextsToBeCreated[0].BearerQoS.QCI, m.SenderFTEID.TEID)
	case *gtp.ModifyBearerRequest:
		s := "ModifyBearerRequest"
		for _, b := range m.BearerContextsToBeModified {
			s += fmt.Sprintf(" ebi=%d enb=%v/%#x", b.EBI, b.S1UENodeBFTEID.IPv4, b.S1UENodeBFTEID.TEID)
		}
		return s
	case *gtp.DeleteSessionRequest:
		return fmt.Sprintf("DeleteSessionRequest lbi=%d", m.LinkedEBI)
	case *gtp.ReleaseAccessBearersRequest:
		return "ReleaseAccessBearersRequest"
	case *gtp.DownlinkDataNotificationFailureIndication:
		return "DownlinkDataNotificationFailureIndication cause=" + m.Cause.Value.String()
	case *gtp.CreateIndirectDataForwardingTunnelRequest:
		s := "CreateIndirectDataForwardingTunnelRequest"
		for _, b := range m.BearerContexts {
			s += fmt.Sprintf(" ebi=%d dl=%v/%#x(%d) ul=%v/%#x(%d)", b.EBI, b.ENBDLForwardingFTEID.IPv4, b.ENBDLForwardingFTEID.TEID,
				b.ENBDLForwardingFTEID.Interface, b.ENBULForwardingFTEID.IPv4, b.ENBULForwardingFTEID.TEID, b.ENBULForwardingFTEID.Interface)
		}
		return s
	case *gtp.DeleteIndirectDataForwardingTunnelRequest:
		return "DeleteIndirectDataForwardingTunnelRequest"
	}
	return fmt.Sprintf("%T", m)
}

func s6aSummary(m any) string {
	switch m := m.(type) {
	case *s6a.AIR:
		s := fmt.Sprintf("AIR imsi=%s vectors=%d", m.IMSI, m.EUTRAN.NumberOfRequestedVectors)
		if m.EUTRAN.ResynchronizationInfo != nil {
			s += fmt.Sprintf(" resync=%d octets", len(m.EUTRAN.ResynchronizationInfo))
		}
		return s
	case *s6a.ULR:
		return fmt.Sprintf("ULR imsi=%s flags=%#x", m.IMSI, m.ULRFlags)
	case *s6a.PUR:
		return fmt.Sprintf("PUR imsi=%s", m.IMSI)
	}
	return fmt.Sprintf("%T", m)
}

// ---- UE actions ----

func (w *world) newUE(imsi string, k [16]byte, netCap nas.UENetworkCapability) {
	w.ue = &testUE{imsi: imsi, usim: security.NewUSIM(k, testOPc, security.USIMConfig{}), netCap: netCap, apn: ""}
}

// uplink protects msg as the UE would: with its current context
// (integrity and ciphering, header type 2), or plain without one.
func (u *testUE) uplink(msg nas.Message, sht nas.SecurityHeaderType) []byte {
	plain, err := nas.Encode(msg)
	if err != nil {
		panic(err)
	}
	if sht == nas.Plain || u.sec == nil {
		return plain
	}
	out, err := u.sec.Protect(nil, plain, sht)
	if err != nil {
		panic(err)
	}
	return out
}

// last returns the newest downlink message of type T the UE received.
func last[T nas.Message](u *testUE) (T, bool) {
	for i := len(u.inbox) - 1; i >= 0; i-- {
		if m, ok := u.inbox[i].(T); ok {
			return m, true
		}
	}
	var zero T
	return zero, false
}

// ---- peers' answers ----

func (w *world) popS6a() (SendS6a, bool) {
	if len(w.s6a) == 0 {
		return SendS6a{}, false
	}
	r := w.s6a[0]
	w.s6a = w.s6a[1:]
	return r, true
}

func (w *world) popS11(kind string) SendS11 {
	for i, r := range w.s11 {
		if strings.Contains(fmt.Sprintf("%T", r.Msg), kind) {
			w.s11 = append(w.s11[:i], w.s11[i+1:]...)
			return r
		}
	}
	w.t.Fatalf("no S11 %s pending", kind)
	return SendS11{}
}

func (w *world) vector() s6a.EUTRANVector {
	w.rand++
	var r [16]byte
	for i := range r {
		r[i] = w.rand
	}
	v, err := security.GenerateEUTRANVector(w.hssK, testOPc, [2]byte{0x80, 0}, w.hssSQN, r, testPLMN)
	if err != nil {
		w.t.Fatal(err)
	}
	w.hssSQN += 32 + 1 // SEQ+1, IND+1 (TS 33.102 C.3.2)
	return s6a.EUTRANVector{RAND: v.RAND, XRES: v.XRES, AUTN: v.AUTN, KASME: v.KASME}
}

func subscription(apn string, pdnType uint32) *s6a.SubscriptionData {
	ambr := &s6a.AMBR{MaxRequestedBandwidthUL: 50_000_000, MaxRequestedBandwidthDL: 100_000_000}
	return &s6a.SubscriptionData{
		MSISDN: "33600000001", AMBR: ambr,
		APNConfigurationProfile: &s6a.APNConfigurationProfile{ContextIdentifier: 1, APNConfigurations: []s6a.APNConfiguration{{
			ContextIdentifier: 1, ServiceSelection: apn, PDNType: pdnType,
			EPSSubscribedQoS: &s6a.EPSSubscribedQoSProfile{QCI: 9, PriorityLevel: 8,
				PreemptionCapability: s6a.PreemptionCapabilityDisabled, PreemptionVulnerability: s6a.PreemptionVulnerabilityEnabled},
			AMBR: &s6a.AMBR{MaxRequestedBandwidthUL: 10_000_000, MaxRequestedBandwidthDL: 20_000_000},
		}}},
	}
}

func resultOf(arg string) s6a.Result {
	n, _ := strconv.Atoi(strings.TrimPrefix(arg, "exp"))
	if strings.HasPrefix(arg, "exp") {
		return s6a.ExperimentalResult(uint32(n))
	}
	return s6a.BaseResult(uint32(n))
}

func hexBytes(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func sortedKeys(m map[string]string) []string {
	k := make([]string, 0, len(m))
	for x := range m {
		k = append(k, x)
	}
	sort.Strings(k)
	return k
}
