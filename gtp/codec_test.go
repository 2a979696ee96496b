package gtp

import (
	"bytes"
	"errors"
	"net/netip"
	"reflect"
	"testing"

	"github.com/wmnsk/go-gtp/gtpv2/ie"
)

func u8(v uint8) *uint8 { return &v }

var (
	mmeS11 = FTEID{Interface: IfS11MMEGTPC, TEID: 0x1001, IPv4: netip.MustParseAddr("127.0.0.10")}
	sgwS11 = FTEID{Interface: IfS11S4SGWGTPC, TEID: 0x2002, IPv4: netip.MustParseAddr("127.0.0.20"), IPv6: netip.MustParseAddr("2001:db8::20")}
	pgwS5  = FTEID{Interface: IfS5S8PGWGTPC, TEID: 0x3003, IPv4: netip.MustParseAddr("127.0.0.30")}
	enbU   = FTEID{Interface: IfS1UENodeB, TEID: 0x4004, IPv4: netip.MustParseAddr("127.0.0.40")}
	sgwU   = FTEID{Interface: IfS1USGW, TEID: 0x5005, IPv4: netip.MustParseAddr("127.0.0.50")}
	pgwU   = FTEID{Interface: IfS5S8PGWGTPU, TEID: 0x6006, IPv6: netip.MustParseAddr("2001:db8::60")}
	uli    = ULI{TAI: TAI{PLMN{"001", "01"}, 0x0102}, ECGI: ECGI{PLMN{"001", "01"}, 0x0abcdef}}
	qos    = BearerQoS{ARP: ARP{PCI: true, PL: 9, PVI: false}, QCI: 9}
	gbr    = BearerQoS{ARP: ARP{PL: 2, PVI: true}, QCI: 1, MBRUplink: 128, MBRDownlink: 1 << 39, GBRUplink: 64, GBRDownlink: 64}
	tft    = []byte{0x21, 0x10, 0x01, 0x0e, 0x30, 0x11, 0x10, 0xac, 0x16, 0x00, 0x14, 0xff, 0xff, 0xff, 0xff, 0x50, 0xc1, 0x33}
)

// fwdOf is f on forwarding interface i.
func fwdOf(f FTEID, i InterfaceType) FTEID { f.Interface = i; return f }

// fullMessages holds one fully populated value of every message type.
func fullMessages() []Message {
	tz := &UETimeZone{TimeZone: 0x40, DaylightSaving: 1}
	cc := uint16(0x0800)
	mme := NodeMME
	return []Message{
		&EchoRequest{Recovery: 7, SendingNodeFeatures: u8(1)},
		&EchoResponse{Recovery: 9},
		&VersionNotSupportedIndication{},
		&CreateSessionRequest{
			IMSI: "001010123456789", MSISDN: "46700000001", MEI: "3534900698733190",
			ULI: uli, ServingNetwork: PLMN{"001", "01"}, RATType: RATEUTRAN,
			Indication: []byte{0x00, 0x08, 0x00}, SenderFTEID: mmeS11, PGWS5S8FTEID: pgwS5,
			APN: "internet.mnc001.mcc001.gprs", SelectionMode: SelectionMSProvidedNotVerified,
			PDNType: PDNTypeIPv4v6,
			PAA: PAA{Type: PDNTypeIPv4v6, IPv4: netip.MustParseAddr("0.0.0.0"),
				IPv6: netip.PrefixFrom(netip.MustParseAddr("::"), 64)},
			APNRestriction: u8(0), AMBR: &AMBR{Uplink: 50000, Downlink: 100000}, PCO: []byte{0x80, 0x80, 0x21, 0x00},
			BearerContextsToBeCreated: []BearerContext{{EBI: 5, BearerQoS: qos}},
			Recovery:                  u8(3), UETimeZone: tz, ChargingCharacteristics: &cc,
		},
		&CreateSessionResponse{
			Cause: Cause{Value: CauseRequestAccepted}, SenderFTEID: sgwS11, PGWS5S8FTEID: pgwS5,
			PAA: PAA{Type: PDNTypeIPv4, IPv4: netip.MustParseAddr("10.45.0.2")}, APNRestriction: u8(1),
			AMBR: &AMBR{Uplink: 1000, Downlink: 2000}, PCO: []byte{0x80},
			BearerContextsCreated: []BearerContext{{EBI: 5, Cause: Cause{Value: CauseRequestAccepted},
				S1USGWFTEID: sgwU, S5S8UPGWFTEID: pgwU, BearerQoS: qos, ChargingID: 77, BearerFlags: u8(0)}},
			BearerContextsMarkedForRemoval: []BearerContext{{EBI: 6, Cause: Cause{Value: CauseNoResourcesAvailable}}},
			Recovery:                       u8(4),
		},
		&ModifyBearerRequest{
			MEI: "353490069873319", ULI: uli, ServingNetwork: PLMN{"310", "410"}, RATType: RATEUTRAN,
			Indication: []byte{0, 0, 0x10}, SenderFTEID: mmeS11, AMBR: &AMBR{1, 2}, DelayValue: u8(20),
			BearerContextsToBeModified: []BearerContext{{EBI: 5, S1UENodeBFTEID: enbU}, {EBI: 6, S1UENodeBFTEID: enbU}},
			BearerContextsToBeRemoved:  []BearerContext{{EBI: 7}}, Recovery: u8(5), UETimeZone: tz,
		},
		&ModifyBearerResponse{
			Cause: Cause{Value: CauseRequestAccepted}, MSISDN: "46700000001", LinkedEBI: 5, APNRestriction: u8(0),
			PCO: []byte{1, 2}, BearerContextsModified: []BearerContext{{EBI: 5, Cause: Cause{Value: CauseRequestAccepted},
				S1USGWFTEID: sgwU, ChargingID: 9}},
			BearerContextsMarkedForRemoval: []BearerContext{{EBI: 7, Cause: Cause{Value: CauseContextNotFound}}},
			Recovery:                       u8(6),
		},
		&DeleteSessionRequest{Cause: Cause{Value: CauseISRDeactivation}, LinkedEBI: 5, ULI: uli,
			Indication: []byte{0x08, 0, 0}, PCO: []byte{0x80}, SenderFTEID: mmeS11, UETimeZone: tz},
		&DeleteSessionResponse{Cause: Cause{Value: CauseRequestAccepted}, Recovery: u8(1), PCO: []byte{0x80}},
		&ReleaseAccessBearersRequest{EBIs: []uint8{5, 6}, OriginatingNode: &mme, Indication: []byte{0, 0}},
		&ReleaseAccessBearersResponse{Cause: Cause{Value: CauseRequestAccepted}, Recovery: u8(2)},
		&DownlinkDataNotification{Cause: Cause{Value: CauseErrorIndicationReceived}, EBI: 5,
			ARP: &ARP{PCI: true, PL: 15, PVI: true}, IMSI: "001010123456789", SenderFTEID: sgwS11, Indication: []byte{1}},
		&DownlinkDataNotificationAcknowledge{Cause: Cause{Value: CauseRequestAccepted}, DelayValue: u8(0),
			Recovery: u8(8), IMSI: "001010123456789"},
		&DownlinkDataNotificationFailureIndication{Cause: Cause{Value: CauseUENotResponding}, OriginatingNode: &mme,
			IMSI: "001010123456789"},
		&CreateBearerRequest{PTI: u8(3), LinkedEBI: 5, PCO: []byte{0x80},
			BearerContexts: []BearerContext{{EBI: 0, TFT: tft, S1USGWFTEID: sgwU, S5S8UPGWFTEID: pgwU,
				BearerQoS: gbr, ChargingID: 1234, BearerFlags: u8(1), PCO: []byte{0x80, 1}}}},
		&CreateBearerResponse{Cause: Cause{Value: CauseRequestAccepted},
			BearerContexts: []BearerContext{{EBI: 6, Cause: Cause{Value: CauseRequestAccepted}, S1UENodeBFTEID: enbU,
				S1USGWFTEID: sgwU, PCO: []byte{0x80}}},
			Recovery: u8(1), UETimeZone: tz, ULI: uli},
		&UpdateBearerRequest{BearerContexts: []BearerContext{{EBI: 6, TFT: tft, BearerQoS: gbr, BearerFlags: u8(0)}},
			PTI: u8(4), PCO: []byte{0x80}, AMBR: AMBR{Uplink: 10, Downlink: 20}, Indication: []byte{0, 1}},
		&UpdateBearerResponse{Cause: Cause{Value: CauseRequestAccepted},
			BearerContexts: []BearerContext{{EBI: 6, Cause: Cause{Value: CauseRequestAccepted}}}, Recovery: u8(1), ULI: uli},
		&DeleteBearerRequest{EBIs: []uint8{6, 7},
			FailedBearerContexts: []BearerContext{{EBI: 8, Cause: Cause{Value: CauseContextNotFound}}},
			PTI:                  u8(2), PCO: []byte{0x80}, Cause: Cause{Value: CauseReactivationRequested}},
		&DeleteBearerRequest{LinkedEBI: 5},
		&DeleteBearerResponse{Cause: Cause{Value: CauseRequestAccepted}, LinkedEBI: 5,
			BearerContexts: []BearerContext{{EBI: 6, Cause: Cause{Value: CauseRequestAccepted}, PCO: []byte{0x80}}},
			Recovery:       u8(1), UETimeZone: tz, ULI: uli},
		&DeleteBearerCommand{BearerContexts: []BearerContext{{EBI: 6, BearerFlags: u8(0)}, {EBI: 7}}, ULI: uli, UETimeZone: tz},
		&DeleteBearerFailureIndication{Cause: Cause{Value: CauseRequestAccepted},
			BearerContexts: []BearerContext{{EBI: 6, Cause: Cause{Value: CauseContextNotFound}}}, Recovery: u8(2)},
		&DeleteBearerFailureIndication{Cause: Cause{Value: CauseMandatoryIEMissing,
			Offending: IEID{IEBearerContext, 0}, HasOffending: true}},
		&CreateIndirectDataForwardingTunnelRequest{IMSI: "001010123456789", MEI: "3534900698733190",
			Indication: []byte{0, 0, 0}, SenderFTEID: mmeS11, Recovery: u8(3),
			BearerContexts: []BearerContext{
				{EBI: 5, ENBDLForwardingFTEID: fwdOf(enbU, IfENodeBDLForwarding), ENBULForwardingFTEID: fwdOf(enbU, IfENodeBULForwarding)},
				{EBI: 6, ENBDLForwardingFTEID: fwdOf(enbU, IfENodeBDLForwarding)}}},
		&CreateIndirectDataForwardingTunnelResponse{Cause: Cause{Value: CauseRequestAccepted}, SenderFTEID: sgwS11, Recovery: u8(4),
			BearerContexts: []BearerContext{
				{EBI: 5, Cause: Cause{Value: CauseRequestAccepted}, SGWDLForwardingFTEID: fwdOf(sgwU, IfSGWDLForwarding),
					SGWULForwardingFTEID: fwdOf(sgwU, IfSGWULForwarding)},
				{EBI: 6, Cause: Cause{Value: CauseNoResourcesAvailable}}}},
		&CreateIndirectDataForwardingTunnelResponse{Cause: Cause{Value: CauseDataForwardingNotSupported}},
		&DeleteIndirectDataForwardingTunnelRequest{},
		&DeleteIndirectDataForwardingTunnelResponse{Cause: Cause{Value: CauseRequestAccepted}, Recovery: u8(5)},
	}
}

func TestRoundTrip(t *testing.T) {
	for _, m := range fullMessages() {
		t.Run(m.MessageType().String(), func(t *testing.T) {
			b, err := Encode(m, 0xdeadbeef, 0x123456)
			if err != nil {
				t.Fatalf("Encode: %v", err)
			}
			h, got, err := Decode(b)
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if h.Type != m.MessageType() || h.Seq != 0x123456 || h.Length != len(b) {
				t.Fatalf("header %+v", h)
			}
			if hasTEIDField(h.Type) != h.HasTEID || (h.HasTEID && h.TEID != 0xdeadbeef) {
				t.Fatalf("TEID %v %#x", h.HasTEID, h.TEID)
			}
			if !reflect.DeepEqual(got, m) {
				t.Fatalf("round trip:\n got %+v\nwant %+v", got, m)
			}
			b2, err := Encode(got, 0xdeadbeef, 0x123456)
			if err != nil || !bytes.Equal(b, b2) {
				t.Fatalf("re-encode differs (%v)", err)
			}
		})
	}
}

func TestEncodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    Message
		ie   IEType
	}{
		{"CSR without RAT type", &CreateSessionRequest{IMSI: "1", SenderFTEID: mmeS11, APN: "a",
			BearerContextsToBeCreated: []BearerContext{{EBI: 5, BearerQoS: qos}}}, IERATType},
		{"CSR without sender F-TEID", &CreateSessionRequest{IMSI: "1", RATType: 6, APN: "a",
			BearerContextsToBeCreated: []BearerContext{{EBI: 5, BearerQoS: qos}}}, IEFTEID},
		{"CSR without bearer", &CreateSessionRequest{IMSI: "1", RATType: 6, SenderFTEID: mmeS11, APN: "a"}, IEBearerContext},
		{"CSR bearer without QoS", &CreateSessionRequest{IMSI: "1", RATType: 6, SenderFTEID: mmeS11, APN: "a",
			BearerContextsToBeCreated: []BearerContext{{EBI: 5}}}, IEBearerQoS},
		{"IMSI with letters", &CreateSessionRequest{IMSI: "00101abc", RATType: 6, SenderFTEID: mmeS11, APN: "a",
			BearerContextsToBeCreated: []BearerContext{{EBI: 5, BearerQoS: qos}}}, IEIMSI},
		{"APN empty label", &CreateSessionRequest{IMSI: "1", RATType: 6, SenderFTEID: mmeS11, APN: "a..b",
			BearerContextsToBeCreated: []BearerContext{{EBI: 5, BearerQoS: qos}}}, IEAPN},
		{"response without cause", &DeleteSessionResponse{}, IECause},
		{"EBI above 15", &DeleteBearerRequest{EBIs: []uint8{16}}, IEEBI},
		{"DBReq without EBI", &DeleteBearerRequest{}, IEEBI},
		{"bad PLMN", &ModifyBearerRequest{ServingNetwork: PLMN{"1", "01"}}, IEServingNetwork},
		{"ECI over 28 bits", &ModifyBearerRequest{ULI: ULI{ECGI: ECGI{PLMN{"001", "01"}, 1 << 28}}}, IEULI},
		{"QoS over 40 bits", &CreateBearerRequest{LinkedEBI: 5, BearerContexts: []BearerContext{{TFT: tft,
			BearerQoS: BearerQoS{QCI: 1, MBRUplink: 1 << 40}}}}, IEBearerQoS},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Encode(tc.m, 1, 1)
			var ee *EncodeError
			if !errors.As(err, &ee) || ee.IE != tc.ie {
				t.Fatalf("err %v, want an EncodeError on %v", err, tc.ie)
			}
		})
	}
	if _, err := Encode(&EchoRequest{}, 0, MaxSeq+1); err == nil {
		t.Fatal("sequence number over 24 bits accepted")
	}
}

func mustEncode(t *testing.T, m Message, teid, seq uint32) []byte {
	t.Helper()
	b, err := Encode(m, teid, seq)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func minimalCSR() *CreateSessionRequest {
	return &CreateSessionRequest{IMSI: "001010000000001", RATType: RATEUTRAN, SenderFTEID: mmeS11, APN: "internet",
		BearerContextsToBeCreated: []BearerContext{{EBI: 5, BearerQoS: qos}}}
}

// ies returns the IEs of an encoded message after its 12-octet header.
func withIEs(t *testing.T, typ MessageType, teid uint32, ies ...[]byte) []byte {
	t.Helper()
	body := bytes.Join(ies, nil)
	n := 8 + len(body)
	h := []byte{0x48, byte(typ), byte(n >> 8), byte(n), byte(teid >> 24), byte(teid >> 16), byte(teid >> 8), byte(teid), 0, 0, 9, 0}
	return append(h, body...)
}

func rawIE(typ IEType, inst uint8, v ...byte) []byte {
	return append([]byte{byte(typ), byte(len(v) >> 8), byte(len(v)), inst}, v...)
}

func TestDecodeErrors(t *testing.T) {
	csr := mustEncode(t, minimalCSR(), 0, 9)
	ieOf := func(b []byte, typ IEType) []byte { // first top-level IE of that type
		for k := 12; k+4 <= len(b); {
			l := int(b[k+1])<<8 | int(b[k+2])
			if IEType(b[k]) == typ {
				return b[k : k+4+l]
			}
			k += 4 + l
		}
		t.Fatalf("no %v", typ)
		return nil
	}
	imsi, rat, fteid, apn, bc := ieOf(csr, IEIMSI), ieOf(csr, IERATType), ieOf(csr, IEFTEID), ieOf(csr, IEAPN), ieOf(csr, IEBearerContext)
	ebi5 := rawIE(IEEBI, 0, 5)

	for _, tc := range []struct {
		name  string
		b     []byte
		err   error
		cause CauseValue
		ie    IEID
	}{
		{"empty", nil, ErrTooShort, 0, IEID{}},
		{"7 octets", csr[:7], ErrTooShort, 0, IEID{}},
		{"T flag, 11 octets", csr[:11], ErrTooShort, 0, IEID{}},
		{"GTPv1", append([]byte{0x32}, csr[1:]...), ErrVersionNotSupported, 0, IEID{}},
		{"length over datagram", csr[:len(csr)-1], ErrInvalidLength, CauseInvalidLength, IEID{}},
		{"trailing octets", append(append([]byte(nil), csr...), 0), ErrInvalidLength, CauseInvalidLength, IEID{}},
		{"length below header", append([]byte{0x48, 32, 0, 4}, csr[4:]...), ErrInvalidLength, CauseInvalidLength, IEID{}},
		{"IE overruns", withIEs(t, TypeCreateSessionRequest, 0, imsi, []byte{byte(IERATType), 0, 5, 0, 6}), ErrInvalidMessageFormat, CauseInvalidMessageFormat, IEID{}},
		{"unknown type", withIEs(t, 250, 0), ErrUnknownMessageType, 0, IEID{}},
		{"S10 type", withIEs(t, TypeContextRequest, 0), ErrServiceNotSupported, CauseServiceNotSupported, IEID{}},
		{"echo with T flag", withIEs(t, TypeEchoRequest, 0, rawIE(IERecovery, 0, 1)), ErrInvalidMessageFormat, CauseInvalidMessageFormat, IEID{}},
		{"missing RAT type", withIEs(t, TypeCreateSessionRequest, 0, imsi, fteid, apn, bc), ErrMandatoryIEMissing, CauseMandatoryIEMissing, IEID{IERATType, 0}},
		{"missing APN", withIEs(t, TypeCreateSessionRequest, 0, imsi, rat, fteid, bc), ErrMandatoryIEMissing, CauseMandatoryIEMissing, IEID{IEAPN, 0}},
		{"F-TEID at instance 1 only", withIEs(t, TypeCreateSessionRequest, 0, imsi, rat, append([]byte{87, 0, 9, 1}, fteid[4:]...), apn, bc),
			ErrMandatoryIEMissing, CauseMandatoryIEMissing, IEID{IEFTEID, 0}},
		{"short F-TEID", withIEs(t, TypeCreateSessionRequest, 0, imsi, rat, rawIE(IEFTEID, 0, 0x8a, 0, 0, 0, 1, 127), apn, bc),
			ErrMandatoryIEIncorrect, CauseMandatoryIEIncorrect, IEID{IEFTEID, 0}},
		{"F-TEID without address", withIEs(t, TypeCreateSessionRequest, 0, imsi, rat, rawIE(IEFTEID, 0, 0x0a, 0, 0, 0, 1), apn, bc),
			ErrMandatoryIEIncorrect, CauseMandatoryIEIncorrect, IEID{IEFTEID, 0}},
		{"empty RAT type", withIEs(t, TypeCreateSessionRequest, 0, imsi, rawIE(IERATType, 0), fteid, apn, bc),
			ErrMandatoryIEIncorrect, CauseMandatoryIEIncorrect, IEID{IERATType, 0}},
		{"bad APN label", withIEs(t, TypeCreateSessionRequest, 0, imsi, rat, fteid, rawIE(IEAPN, 0, 9, 'a'), bc),
			ErrMandatoryIEIncorrect, CauseMandatoryIEIncorrect, IEID{IEAPN, 0}},
		{"neither IMSI nor MEI", withIEs(t, TypeCreateSessionRequest, 0, rat, fteid, apn, bc),
			ErrConditionalIEMissing, CauseConditionalIEMissing, IEID{IEIMSI, 0}},
		{"bearer context without EBI", withIEs(t, TypeCreateSessionRequest, 0, imsi, rat, fteid, apn,
			rawIE(IEBearerContext, 0, bc[4+5:]...)), ErrMandatoryIEMissing, CauseMandatoryIEMissing, IEID{IEEBI, 0}},
		{"bearer context without QoS", withIEs(t, TypeCreateSessionRequest, 0, imsi, rat, fteid, apn,
			rawIE(IEBearerContext, 0, ebi5...)), ErrMandatoryIEMissing, CauseMandatoryIEMissing, IEID{IEBearerQoS, 0}},
		{"DBReq without EBIs", withIEs(t, TypeDeleteBearerRequest, 1, rawIE(IECause, 0, 16, 0)),
			ErrConditionalIEMissing, CauseConditionalIEMissing, IEID{IEEBI, 1}},
		{"accepted CSResp without bearers", withIEs(t, TypeCreateSessionResponse, 1, rawIE(IECause, 0, 16, 0)),
			ErrConditionalIEMissing, CauseConditionalIEMissing, IEID{IEBearerContext, 0}},
		{"cause 0", withIEs(t, TypeDeleteSessionResponse, 1, rawIE(IECause, 0, 0, 0)),
			ErrMandatoryIEIncorrect, CauseMandatoryIEIncorrect, IEID{IECause, 0}},
		{"echo without recovery", []byte{0x40, 1, 0, 4, 0, 0, 1, 0}, ErrMandatoryIEMissing, CauseMandatoryIEMissing, IEID{IERecovery, 0}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := Decode(tc.b)
			if !errors.Is(err, tc.err) {
				t.Fatalf("err %v, want %v", err, tc.err)
			}
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("%T is not a *DecodeError", err)
			}
			if de.Cause != tc.cause {
				t.Fatalf("cause %v, want %v", de.Cause, tc.cause)
			}
			if tc.ie != (IEID{}) && (!de.HasIE || de.IE != tc.ie) {
				t.Fatalf("IE %v (%v), want %v", de.IE, de.HasIE, tc.ie)
			}
			if de.Error() == "" || de.Error()[:5] != "gtp: " {
				t.Fatalf("error text %q", de.Error())
			}
		})
	}
}

func TestDecodeLeniency(t *testing.T) {
	csr := minimalCSR()
	b := mustEncode(t, csr, 0, 1)
	// TS 29.274 §7.7.10: of a repeated IE only the first one counts.
	dup := withIEs(t, TypeCreateSessionRequest, 0, b[12:], rawIE(IEAPN, 0, 3, 'x', 'y', 'z'))
	_, m, err := Decode(dup)
	if err != nil || m.(*CreateSessionRequest).APN != "internet" {
		t.Fatalf("repeated APN: %v %+v", err, m)
	}
	// §7.7.9: unknown IEs and unexpected instances are ignored.
	unk := withIEs(t, TypeCreateSessionRequest, 0, b[12:], rawIE(200, 0, 1, 2, 3), rawIE(IEIMSI, 5, 0x21))
	if _, m, err = Decode(unk); err != nil || !reflect.DeepEqual(m, csr) {
		t.Fatalf("unknown IE: %v", err)
	}
	// §7.7.8: an incorrect conditional IE is discarded.
	bad := withIEs(t, TypeCreateSessionRequest, 0, b[12:], rawIE(IEServingNetwork, 0, 0xff, 0xff))
	if _, m, err = Decode(bad); err != nil || !m.(*CreateSessionRequest).ServingNetwork.IsZero() {
		t.Fatalf("bad serving network: %v", err)
	}
	// A rejected response need not carry its other mandatory IEs.
	rej := withIEs(t, TypeCreateBearerResponse, 1, rawIE(IECause, 0, byte(CauseMandatoryIEMissing), 0, byte(IEBearerContext), 0, 0, 0))
	_, m, err = Decode(rej)
	if err != nil || m.(*CreateBearerResponse).Cause.Offending.Type != IEBearerContext {
		t.Fatalf("rejected CBResp: %v", err)
	}
	// A partly decoded request keeps its sender F-TEID, so the rejection
	// goes to the right TEID (TS 29.274 §5.5.2).
	noAPN := mustEncode(t, &CreateSessionRequest{IMSI: "1", RATType: 6, SenderFTEID: mmeS11, APN: "x",
		BearerContextsToBeCreated: []BearerContext{{EBI: 5, BearerQoS: qos}}}, 0, 1)
	noAPN = withIEs(t, TypeCreateSessionRequest, 0, bytes.ReplaceAll(noAPN[12:], []byte{71, 0, 2, 0, 1, 'x'}, nil))
	_, m, err = Decode(noAPN)
	if !errors.Is(err, ErrMandatoryIEMissing) || m == nil || m.(*CreateSessionRequest).SenderFTEID != mmeS11 {
		t.Fatalf("partial decode: %v %+v", err, m)
	}
}

func TestErrorResponse(t *testing.T) {
	_, _, err := Decode(withIEs(t, TypeCreateSessionRequest, 0, rawIE(IEIMSI, 0, 0x21, 0xf3)))
	var de *DecodeError
	if !errors.As(err, &de) {
		t.Fatal(err)
	}
	resp, ok := ErrorResponse(TypeCreateSessionRequest, de.CauseIE())
	if !ok || resp.MessageType() != TypeCreateSessionResponse {
		t.Fatalf("ErrorResponse %v %v", resp, ok)
	}
	_, m, err := Decode(mustEncode(t, resp, 0, 9))
	if err != nil {
		t.Fatal(err)
	}
	c := m.(*CreateSessionResponse).Cause
	if c.Value != CauseMandatoryIEMissing || !c.HasOffending || c.Offending != (IEID{IERATType, 0}) {
		t.Fatalf("cause %+v", c)
	}
	for _, typ := range []MessageType{TypeCreateBearerRequest, TypeUpdateBearerRequest, TypeDeleteBearerRequest,
		TypeDeleteBearerCommand, TypeDownlinkDataNotification, TypeModifyBearerRequest, TypeReleaseAccessBearersRequest,
		TypeDeleteSessionRequest, TypePGWRestartNotification} {
		r, ok := ErrorResponse(typ, Cause{Value: CauseContextNotFound})
		if !ok {
			t.Fatalf("no error response to %v", typ)
		}
		rt, _ := typ.ResponseType()
		h, m, err := Decode(mustEncode(t, r, 0, 1))
		if h.Type != rt {
			t.Fatalf("%v answered with %v", typ, h.Type)
		}
		if Supported(rt) && err != nil {
			t.Fatalf("rejection of %v does not decode: %v %v", typ, err, m)
		}
	}
	for _, typ := range []MessageType{TypeEchoRequest, TypeCreateSessionResponse, TypeDownlinkDataNotificationFailureIndication, 250} {
		if _, ok := ErrorResponse(typ, Cause{Value: CauseContextNotFound}); ok {
			t.Fatalf("error response to %v", typ)
		}
	}
}

func TestKinds(t *testing.T) {
	for typ, want := range map[MessageType]Kind{
		TypeEchoRequest: KindRequest, TypeEchoResponse: KindResponse, TypeCreateSessionRequest: KindRequest,
		TypeCreateSessionResponse: KindResponse, TypeDeleteBearerCommand: KindCommand,
		TypeDeleteBearerFailureIndication: KindResponse, TypeDownlinkDataNotification: KindRequest,
		TypeDownlinkDataNotificationAcknowledge: KindResponse, TypeDownlinkDataNotificationFailureIndication: KindNotification,
		TypeVersionNotSupportedIndication: KindNotification, 0: KindUnknown, 250: KindUnknown,
	} {
		if got := typ.Kind(); got != want {
			t.Errorf("%v: %v, want %v", typ, got, want)
		}
	}
}

func TestRecovery(t *testing.T) {
	for _, m := range fullMessages() {
		_, had := RecoveryOf(m)
		if had {
			continue
		}
		if SetRecovery(m, 42) {
			if v, ok := RecoveryOf(m); !ok || v != 42 {
				t.Errorf("%v: SetRecovery then RecoveryOf = %d %v", m.MessageType(), v, ok)
			}
		}
	}
	m := &CreateSessionResponse{Recovery: u8(3)}
	if SetRecovery(m, 4) || *m.Recovery != 3 {
		t.Fatal("SetRecovery overwrote a set value")
	}
	if SetRecovery(&DeleteSessionRequest{}, 1) {
		t.Fatal("Delete Session Request has no Recovery IE")
	}
}

func TestTBCDAndPLMN(t *testing.T) {
	for _, s := range []string{"1", "12", "001010123456789", "0000000000000000"} {
		b, err := encodeTBCD(s, 16)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := decodeTBCD(b); err != nil || got != s {
			t.Fatalf("%q -> %x -> %q %v", s, b, got, err)
		}
	}
	for _, b := range [][]byte{{0x1a}, {0xf1, 0x21}, {}} {
		if s, err := decodeTBCD(b); err == nil {
			t.Errorf("%x decoded as %q", b, s)
		}
	}
	for _, p := range []PLMN{{"001", "01"}, {"310", "410"}, {"999", "999"}} {
		b, err := encodePLMN(p)
		if err != nil {
			t.Fatal(err)
		}
		if got, err := decodePLMN(b[:]); err != nil || got != p {
			t.Fatalf("%v -> %x -> %v %v", p, b, got, err)
		}
	}
	// TS 24.008 Figure 10.5.13 example: MCC 246, MNC 81 -> 42 f6 18.
	if b, _ := encodePLMN(PLMN{"246", "81"}); !bytes.Equal(b[:], []byte{0x42, 0xf6, 0x18}) {
		t.Fatalf("PLMN 246/81 = %x", b)
	}
}

func TestSetSeq(t *testing.T) {
	for _, m := range []Message{&EchoRequest{Recovery: 1}, minimalCSR()} {
		b := mustEncode(t, m, 77, 0)
		if err := SetSeq(b, 0xabcdef); err != nil {
			t.Fatal(err)
		}
		h, got, err := Decode(b)
		if err != nil || h.Seq != 0xabcdef || !reflect.DeepEqual(got, m) {
			t.Fatalf("%v: %+v %v", m.MessageType(), h, err)
		}
	}
	if SetSeq(make([]byte, 12), MaxSeq+1) == nil || SetSeq([]byte{0x48, 1}, 1) == nil {
		t.Fatal("SetSeq accepted a bad input")
	}
}

// The lock-free predicate installed in go-gtp agrees with go-gtp's own
// default on every IE type.
func TestGroupedPredicate(t *testing.T) {
	want := map[uint8]bool{93: true, 109: true, 180: true, 181: true, 191: true, 195: true, 208: true, 209: true}
	setupGoGTP()
	for typ := 0; typ < 256; typ++ {
		if got := (&ie.IE{Type: uint8(typ)}).IsGrouped(); got != want[uint8(typ)] {
			t.Errorf("type %d grouped=%v", typ, got)
		}
	}
}

func TestCheckS11(t *testing.T) {
	msgs := fullMessages()
	for _, m := range msgs {
		if err := CheckS11(m); err != nil {
			t.Errorf("%v: %v", m.MessageType(), err)
		}
	}
	for _, tc := range []struct {
		m     Message
		cause CauseValue
	}{
		{&CreateSessionResponse{Cause: Cause{Value: CauseRequestAccepted}}, CauseConditionalIEMissing},
		{&CreateSessionResponse{Cause: Cause{Value: CauseRequestAccepted}, SenderFTEID: pgwS5}, CauseMandatoryIEIncorrect},
		{&CreateSessionResponse{Cause: Cause{Value: CauseRequestAccepted}, SenderFTEID: sgwS11,
			BearerContextsCreated: []BearerContext{{EBI: 5, Cause: Cause{Value: CauseRequestAccepted}}}}, CauseConditionalIEMissing},
		{&CreateBearerRequest{LinkedEBI: 5, BearerContexts: []BearerContext{{TFT: tft, BearerQoS: qos}}}, CauseConditionalIEMissing},
		{&CreateSessionRequest{SenderFTEID: sgwS11}, CauseMandatoryIEIncorrect},
	} {
		var de *DecodeError
		if err := CheckS11(tc.m); !errors.As(err, &de) || de.Cause != tc.cause {
			t.Errorf("%v: %v, want cause %v", tc.m.MessageType(), err, tc.cause)
		}
	}
	// The S5/S8 capture of the vectors: a PGW's answer has no S11 F-TEID.
	for _, v := range loadVectors(t) {
		if v.name == "CreateSessionResp#01" {
			_, m, err := Decode(v.b)
			if err != nil || !errors.Is(CheckS11(m), ErrConditionalIEMissing) {
				t.Errorf("S5/S8 response on S11: %v %v", err, CheckS11(m))
			}
		}
	}
}
