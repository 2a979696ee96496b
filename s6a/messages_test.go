package s6a

import (
	"errors"
	"net/netip"
	"reflect"
	"testing"

	"github.com/fiorix/go-diameter/v4/diam"
)

func u32p(v uint32) *uint32 { return &v }
func boolp(v bool) *bool    { return &v }

var (
	testReq = RequestHeader{
		SessionID: "mme.epc;1;2;s6a", OriginHost: "mme.epc", OriginRealm: "epc",
		DestinationHost: "hss.epc", DestinationRealm: "epc",
		SupportedFeatures: []SupportedFeatures{{VendorID: Vendor3GPP, FeatureListID: 1, FeatureList: 0x0c000000}},
	}
	testAns = AnswerHeader{SessionID: "mme.epc;1;2;s6a", OriginHost: "hss.epc", OriginRealm: "epc", Result: Success}
	testSub = &SubscriptionData{
		SubscriberStatus:          u32p(ServiceGranted),
		MSISDN:                    "33612345678",
		NetworkAccessMode:         u32p(OnlyPacket),
		OperatorDeterminedBarring: u32p(0),
		AccessRestrictionData:     u32p(UTRANNotAllowed | GERANNotAllowed),
		ChargingCharacteristics:   "0800",
		AMBR:                      &AMBR{MaxRequestedBandwidthUL: 50_000_000, MaxRequestedBandwidthDL: 100_000_000},
		APNConfigurationProfile: &APNConfigurationProfile{
			ContextIdentifier: 1, AllAPNConfigurationsIncluded: true,
			APNConfigurations: []APNConfiguration{{
				ContextIdentifier: 1, PDNType: PDNTypeIPv4v6, ServiceSelection: "internet",
				ServedPartyIPAddress:       []netip.Addr{netip.MustParseAddr("10.45.0.7"), netip.MustParseAddr("2001:db8::7")},
				EPSSubscribedQoS:           &EPSSubscribedQoSProfile{QCI: 9, PriorityLevel: 8, PreemptionCapability: PreemptionCapabilityDisabled, PreemptionVulnerability: PreemptionVulnerabilityEnabled},
				VPLMNDynamicAddressAllowed: boolp(false),
				PDNGWAllocationType:        u32p(1),
				AMBR:                       &AMBR{MaxRequestedBandwidthUL: 20_000_000, MaxRequestedBandwidthDL: 40_000_000},
			}, {
				ContextIdentifier: 2, PDNType: PDNTypeIPv4, ServiceSelection: "ims",
				EPSSubscribedQoS: &EPSSubscribedQoSProfile{QCI: 5, PriorityLevel: 1},
			}},
		},
		SubscribedPeriodicTAUTimer: 3240,
	}
)

// roundTrip serialises m, parses the octets back and decodes them.
func roundTrip[T any](t *testing.T, m *diam.Message, decode func(*diam.Message) (T, error)) T {
	t.Helper()
	m.Header.HopByHopID, m.Header.EndToEndID = 0x1234, 0x5678
	b, err := m.Serialize()
	if err != nil {
		t.Fatal(err)
	}
	if int(m.Header.MessageLength) != len(b) {
		t.Fatalf("header length %d, serialised %d", m.Header.MessageLength, len(b))
	}
	p, err := Parse(b)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	v, err := decode(p)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	return v
}

func TestRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   any
		run  func(t *testing.T) any
	}{
		{"AIR", &AIR{RequestHeader: testReq, IMSI: "001010000000001", VisitedPLMNID: [3]byte{0x00, 0xf1, 0x10},
			EUTRAN: &RequestedEUTRANAuthInfo{NumberOfRequestedVectors: 3, ImmediateResponsePreferred: true, ResynchronizationInfo: make([]byte, 30)}}, nil},
		{"AIA", &AIA{AnswerHeader: testAns, Vectors: []EUTRANVector{
			{ItemNumber: 1, RAND: [16]byte{1}, XRES: []byte{1, 2, 3, 4, 5, 6, 7, 8}, AUTN: [16]byte{2}, KASME: [32]byte{3}},
			{ItemNumber: 2, RAND: [16]byte{4}, XRES: []byte{9, 9, 9, 9}, AUTN: [16]byte{5}, KASME: [32]byte{6}}}}, nil},
		{"AIA-failure", &AIA{AnswerHeader: AnswerHeader{SessionID: "s", OriginHost: "h", OriginRealm: "r", Result: ExperimentalResult(ExpErrorUserUnknown)}}, nil},
		{"ULR", &ULR{RequestHeader: testReq, IMSI: "001010000000001", RATType: RATTypeEUTRAN,
			ULRFlags: ULRS6aS6dIndicator | ULRInitialAttachIndicator, VisitedPLMNID: [3]byte{0x00, 0xf1, 0x10},
			IMEI: "3534900698733190", SoftwareVersion: "05", UESRVCCCapability: u32p(1)}, nil},
		{"ULA", &ULA{AnswerHeader: testAns, ULAFlags: ULASeparationIndication, SubscriptionData: testSub}, nil},
		{"PUR", &PUR{RequestHeader: testReq, IMSI: "001010000000001", PURFlags: PURUEPurgedInMME}, nil},
		{"PUA", &PUA{AnswerHeader: testAns, PUAFlags: PUAFreezeMTMSI}, nil},
		{"CLR", &CLR{RequestHeader: testReq, IMSI: "001010000000001", CancellationType: CancelSubscriptionWithdrawal, CLRFlags: CLRReattachRequired | CLRS6aS6dIndicator}, nil},
		{"CLA", &CLA{AnswerHeader: testAns}, nil},
		{"IDR", &IDR{RequestHeader: testReq, IMSI: "001010000000001", SubscriptionData: testSub, IDRFlags: IDREPSUserStateRequest}, nil},
		{"IDA", &IDA{AnswerHeader: testAns, IDAFlags: IDANetworkNodeAreaRestricted}, nil},
		{"DSR", &DSR{RequestHeader: testReq, IMSI: "001010000000001", DSRFlags: DSRPDNSubscriptionContextsWithdrawal, ContextIdentifiers: []uint32{2, 3}}, nil},
		{"DSA", &DSA{AnswerHeader: testAns, DSAFlags: DSANetworkNodeAreaRestricted}, nil},
		{"CER", &CER{Capabilities{OriginHost: "mme.epc", OriginRealm: "epc", HostIPAddresses: []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")},
			VendorID: Vendor3GPP, ProductName: "lte-mme", OriginStateID: 7, SupportedVendorIDs: []uint32{Vendor3GPP}, AuthApplicationIDs: []uint32{ApplicationID},
			VendorSpecificApps: []VendorSpecificApp{{VendorID: Vendor3GPP, AuthApplicationID: ApplicationID}}, FirmwareRevision: 1}}, nil},
		{"CEA", &CEA{Capabilities: Capabilities{OriginHost: "hss.epc", OriginRealm: "epc", HostIPAddresses: []netip.Addr{netip.MustParseAddr("127.0.0.2")}, VendorID: 0, ProductName: "hss"},
			Result: BaseResult(ResultNoCommonApplication), ErrorMessage: "no S6a"}, nil},
		{"DWR", &DWR{OriginHost: "mme.epc", OriginRealm: "epc", OriginStateID: 9}, nil},
		{"DWA", &DWA{Result: Success, OriginHost: "hss.epc", OriginRealm: "epc", OriginStateID: 3}, nil},
		{"DPR", &DPR{OriginHost: "mme.epc", OriginRealm: "epc", DisconnectCause: DisconnectBusy}, nil},
		{"DPA", &DPA{Result: Success, OriginHost: "hss.epc", OriginRealm: "epc"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got any
			switch in := tc.in.(type) {
			case *AIR:
				got = roundTrip(t, in.Encode(), DecodeAIR)
			case *AIA:
				got = roundTrip(t, in.Encode(), DecodeAIA)
			case *ULR:
				got = roundTrip(t, in.Encode(), DecodeULR)
			case *ULA:
				got = roundTrip(t, in.Encode(), DecodeULA)
			case *PUR:
				got = roundTrip(t, in.Encode(), DecodePUR)
			case *PUA:
				got = roundTrip(t, in.Encode(), DecodePUA)
			case *CLR:
				got = roundTrip(t, in.Encode(), DecodeCLR)
			case *CLA:
				got = roundTrip(t, in.Encode(), DecodeCLA)
			case *IDR:
				got = roundTrip(t, in.Encode(), DecodeIDR)
			case *IDA:
				got = roundTrip(t, in.Encode(), DecodeIDA)
			case *DSR:
				got = roundTrip(t, in.Encode(), DecodeDSR)
			case *DSA:
				got = roundTrip(t, in.Encode(), DecodeDSA)
			case *CER:
				got = roundTrip(t, in.Encode(), DecodeCER)
			case *CEA:
				got = roundTrip(t, in.Encode(), DecodeCEA)
			case *DWR:
				got = roundTrip(t, in.Encode(), DecodeDWR)
			case *DWA:
				got = roundTrip(t, in.Encode(), DecodeDWA)
			case *DPR:
				got = roundTrip(t, in.Encode(), DecodeDPR)
			case *DPA:
				got = roundTrip(t, in.Encode(), DecodeDPA)
			}
			if !reflect.DeepEqual(got, tc.in) {
				t.Errorf("round trip:\n got %+v\nwant %+v", got, tc.in)
			}
		})
	}
}

func TestDecodeMissingAVP(t *testing.T) {
	air := (&AIR{RequestHeader: testReq, IMSI: "001010000000001"}).Encode()
	// Drop Visited-PLMN-Id.
	air.DeleteAVP(codeVisitedPLMNID, Vendor3GPP)
	_, err := DecodeAIR(air)
	var ae *AVPError
	if !errors.As(err, &ae) || ae.Code != codeVisitedPLMNID || ae.ResultCode != ResultMissingAVP || !errors.Is(err, ErrMissingAVP) {
		t.Fatalf("DecodeAIR without Visited-PLMN-Id: %v", err)
	}
	if got, want := err.Error(), "s6a: AVP Visited-PLMN-Id (1407): missing"; got != want {
		t.Errorf("error %q, want %q", got, want)
	}
	if _, err := DecodeULA(air); !errors.Is(err, ErrWrongCommand) {
		t.Errorf("DecodeULA(AIR) = %v, want ErrWrongCommand", err)
	}
	bad := (&AIR{RequestHeader: testReq, IMSI: "1", EUTRAN: &RequestedEUTRANAuthInfo{NumberOfRequestedVectors: 1, ResynchronizationInfo: []byte{1, 2}}}).Encode()
	if _, err := DecodeAIR(bad); !errors.As(err, &ae) || ae.ResultCode != ResultInvalidAVPLength {
		t.Errorf("short Re-Synchronization-Info: %v", err)
	}
}

func TestParseErrors(t *testing.T) {
	good, _ := (&DWR{OriginHost: "a", OriginRealm: "b"}).Encode().Serialize()
	mut := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	for _, tc := range []struct {
		name   string
		b      []byte
		result uint32
	}{
		{"short", good[:10], ResultInvalidMessageLength},
		{"version", mut(func(b []byte) []byte { b[0] = 2; return b }), ResultUnsupportedVersion},
		{"length-mismatch", append(append([]byte(nil), good...), 0, 0, 0, 0), ResultInvalidMessageLength},
		{"reserved-flags", mut(func(b []byte) []byte { b[4] |= 0x01; return b }), ResultInvalidHdrBits},
		{"request-with-E", mut(func(b []byte) []byte { b[4] |= diam.ErrorFlag; return b }), ResultInvalidHdrBits},
		{"unknown-command", mut(func(b []byte) []byte { b[7] = 99; return b }), ResultCommandUnsupported},
		{"unknown-app", mut(func(b []byte) []byte { b[11] = 4; return b }), ResultApplicationUnsupported},
		{"avp-too-long", mut(func(b []byte) []byte { b[HeaderLength+7] = 200; return b }), ResultInvalidAVPLength},
		{"avp-too-short", mut(func(b []byte) []byte { b[HeaderLength+7] = 4; return b }), ResultInvalidAVPLength},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.b)
			var pe *ProtocolError
			if !errors.As(err, &pe) || pe.ResultCode != tc.result || !errors.Is(err, ErrMalformed) {
				t.Fatalf("Parse = %v, want result %d", err, tc.result)
			}
		})
	}
	// An Unsigned32 AVP of 3 octets is refused, not read as 0.
	m := newMessage(CmdDeviceWatchdog, diam.RequestFlag, 0, []*diam.AVP{
		ident(codeOriginHost, "a"), ident(codeOriginRealm, "b"),
		diam.NewAVP(codeOriginStateID, flagM, 0, datatypeOctets("abc"))})
	b, _ := m.Serialize()
	_, err := Parse(b)
	var pe *ProtocolError
	if !errors.As(err, &pe) || pe.ResultCode != ResultInvalidAVPLength || pe.FailedAVPCode != codeOriginStateID {
		t.Fatalf("3-octet Unsigned32: %v", err)
	}
}

func TestFailedAVP(t *testing.T) {
	for _, tc := range []struct {
		code, vendor uint32
		flags        uint8
	}{
		{codeVisitedPLMNID, Vendor3GPP, flagMV},
		{codeUserName, 0, flagM},
		{codeRATType, Vendor3GPP, flagV},
		{codeRequestedEUTRANAuthInfo, Vendor3GPP, flagMV},
		{99999, 0, 0},
	} {
		a := FailedAVP(tc.code)
		if a.Code != tc.code || a.VendorID != tc.vendor || a.Flags != tc.flags {
			t.Errorf("FailedAVP(%d) = code %d vendor %d flags %#x", tc.code, a.Code, a.VendorID, a.Flags)
		}
	}
	m := (&ErrorAnswer{SessionID: "s", OriginHost: "h", OriginRealm: "r", Result: BaseResult(ResultMissingAVP),
		FailedAVP: FailedAVP(codeVisitedPLMNID)}).Encode(&diam.Header{CommandCode: CmdAuthenticationInformation, ApplicationID: ApplicationID})
	b, _ := m.Serialize()
	p, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	fa, err := p.FindAVP(codeFailedAVP, 0)
	if err != nil || len(fa.Data.(*diam.GroupedAVP).AVP) != 1 || fa.Data.(*diam.GroupedAVP).AVP[0].Code != codeVisitedPLMNID {
		t.Fatalf("Failed-AVP %v %v", fa, err)
	}
}

func TestErrorAnswer(t *testing.T) {
	req := (&ULR{RequestHeader: testReq, IMSI: "1", RATType: RATTypeEUTRAN}).Encode()
	req.Header.HopByHopID, req.Header.EndToEndID = 11, 22
	a := (&ErrorAnswer{SessionID: testReq.SessionID, OriginHost: "hss", OriginRealm: "epc",
		Result: BaseResult(ResultUnableToDeliver), ErrorMessage: "no route"}).Encode(req.Header)
	if a.Header.CommandFlags&diam.ErrorFlag == 0 || a.Header.CommandFlags&diam.RequestFlag != 0 {
		t.Errorf("flags %#x: want E set, R clear", a.Header.CommandFlags)
	}
	if a.Header.HopByHopID != 11 || a.Header.EndToEndID != 22 {
		t.Error("ids not copied")
	}
	ula := roundTrip(t, a, DecodeULA)
	if ula.Result != BaseResult(ResultUnableToDeliver) || ula.SessionID != testReq.SessionID {
		t.Errorf("decoded %+v", ula.AnswerHeader)
	}
}

// TestEMMCauseFor is the table of TS 29.272 Annex A as implemented.
func TestEMMCauseFor(t *testing.T) {
	for _, tc := range []struct {
		result Result
		cause  EMMCause
		ok     bool
	}{
		{Success, 0, false},
		{BaseResult(ResultLimitedSuccess), 0, false},
		{ExperimentalResult(ExpErrorUserUnknown), EMMCauseEPSAndNonEPSServicesNotAllowed, true},
		{ExperimentalResult(ExpErrorUnknownEPSSubscription), EMMCauseNoSuitableCellsInTA, true},
		{ExperimentalResult(ExpErrorRATNotAllowed), EMMCauseNoSuitableCellsInTA, true},
		{ExperimentalResult(ExpErrorRoamingNotAllowed), EMMCausePLMNNotAllowed, true},
		{ExperimentalResult(ExpAuthenticationDataUnavailable), EMMCauseNetworkFailure, true},
		{ExperimentalResult(ExpErrorUnknownServingNode), EMMCauseNetworkFailure, true},
		{BaseResult(ResultUnableToComply), EMMCauseNetworkFailure, true},
		{BaseResult(ResultAuthorizationRejected), EMMCauseNetworkFailure, true},
		{BaseResult(ResultUnableToDeliver), EMMCauseNetworkFailure, true},
		{BaseResult(ResultMissingAVP), EMMCauseNetworkFailure, true},
		{BaseResult(ResultTooBusy), EMMCauseCongestion, true},
		// Base 5001 is DIAMETER_AVP_UNSUPPORTED, not "user unknown".
		{BaseResult(5001), EMMCauseNetworkFailure, true},
	} {
		cause, ok := EMMCauseFor(tc.result)
		if cause != tc.cause || ok != tc.ok {
			t.Errorf("EMMCauseFor(%v) = %d, %t; want %d, %t", tc.result, cause, ok, tc.cause, tc.ok)
		}
	}
}

func TestTBCD(t *testing.T) {
	for _, s := range []string{"", "1", "33612345678", "123456789012345"} {
		got, err := DecodeTBCD(EncodeTBCD(s))
		if err != nil || got != s {
			t.Errorf("TBCD(%q) round trip = %q, %v", s, got, err)
		}
	}
	if got := EncodeTBCD("123"); got[0] != 0x21 || got[1] != 0xf3 {
		t.Errorf("EncodeTBCD(123) = %x, want 21f3", got)
	}
	if _, err := DecodeTBCD([]byte{0x1a}); err == nil {
		t.Error("DecodeTBCD accepted a non-digit")
	}
}
