package nas

import (
	"bytes"
	"errors"
	"net/netip"
	"testing"
	"time"
)

// ieCodec is what every octet-based IE value type implements.
type ieCodec interface {
	decode(v []byte) error
	appendTo(dst []byte) ([]byte, error)
}

// roundTrip decodes wire into v, checks it against want (via check) and
// encodes it back to wire.
func roundTrip(t *testing.T, name string, v ieCodec, wire string, check func() bool) {
	t.Helper()
	b := unhex(t, wire)
	if err := v.decode(b); err != nil {
		t.Fatalf("%s: decode %s: %v", name, wire, err)
	}
	if !check() {
		t.Errorf("%s: decode %s gave %+v", name, wire, v)
	}
	out, err := v.appendTo(nil)
	if err != nil || !bytes.Equal(out, b) {
		t.Errorf("%s: encode %x, %v, want %s", name, out, err, wire)
	}
}

func TestIdentities(t *testing.T) {
	var id EPSMobileIdentity
	// TS 24.301 figure 9.9.3.12.1: IMSI 001010000000001, odd, type 1.
	roundTrip(t, "IMSI", &id, "0910100000000010", func() bool {
		d, ok := id.IMSI()
		return ok && d == "001010000000001"
	})
	roundTrip(t, "GUTI", &id, "f600f110800101c0000123", func() bool { return id.Type == EPSIdentityGUTI && id.GUTI == testGUTI })
	if s := id.String(); s != "GUTI-00101-8001-01-c0000123" {
		t.Errorf("String %q", s)
	}
	var mi MobileIdentity
	// SECURITY MODE COMPLETE IMEISV of nas.tsv EMMSecurityModeComplete#01.
	roundTrip(t, "IMEISV", &mi, "3395684292874145f0", func() bool {
		return mi.Type == MobileIdentityIMEISV && mi.Digits == "3598624297814540"
	})
	roundTrip(t, "TMSI", &mi, "f4c0000123", func() bool { return mi.Type == MobileIdentityTMSI && mi.TMSI == 0xc0000123 })
	roundTrip(t, "TMSI with 0000 filler", &mi, "04e900a252", func() bool { return mi.TMSI == 0xe900a252 })
	roundTrip(t, "IMSI (mobile identity)", &mi, "0910100000000010", func() bool { return mi.Digits == "001010000000001" })
	for _, bad := range []string{"", "01", "0910a0", "09101000000000f0", "f6", "f400", "0b101010101010101010", "05"} {
		var a EPSMobileIdentity
		var b MobileIdentity
		if a.decode(unhex(t, bad)) == nil && b.decode(unhex(t, bad)) == nil {
			t.Errorf("identity %s decoded", bad)
		}
	}
	if _, err := (EPSMobileIdentity{Type: EPSIdentityIMSI, Digits: "12a"}).appendTo(nil); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("bad digits: %v", err)
	}
	if _, err := (EPSMobileIdentity{}).appendTo(nil); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("type 0: %v", err)
	}
}

func TestPLMN(t *testing.T) {
	p, err := NewPLMNID("001", "01")
	if err != nil || p != testPLMN || p.String() != "00101" {
		t.Fatalf("%v %v", p, err)
	}
	p, err = ParsePLMNID("310410")
	if err != nil || p != (PLMNID{0x13, 0x00, 0x14}) || p.MCC() != "310" || p.MNC() != "410" {
		t.Fatalf("%x %v", p, err)
	}
	for _, bad := range []string{"0010", "0010a", "1234567"} {
		if _, err := ParsePLMNID(bad); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("%q: %v", bad, err)
		}
	}
}

func TestTAIList(t *testing.T) {
	var l TAIList
	// Type 00: one PLMN, TACs 0x3039 (nas.tsv EMMAttachAccept#01 style).
	roundTrip(t, "type 00", &l, "0100f11030390001", func() bool {
		return len(l) == 1 && l[0].Type == TAIListNonConsecutive && l.Len() == 2 && l.Contains(TAI{testPLMN, 0x0001})
	})
	// Type 01: 3 consecutive TACs from 0xc4a0 (nas.tsv EMMTrackingAreaUpdateAccept#01).
	roundTrip(t, "type 01", &l, "2202f810c4a0", func() bool {
		return l[0].Type == TAIListConsecutive && l.Len() == 3 && l[0].TAIs[2].TAC == 0xc4a2
	})
	// Type 10 then type 00: two partial lists.
	roundTrip(t, "type 10 + 00", &l, "4100f110000100f1200002"+"0000f1100009", func() bool {
		return len(l) == 2 && l[0].Type == TAIListMultiplePLMNs && l.Len() == 3 && l[0].TAIs[1].PLMN == (PLMNID{0x00, 0xf1, 0x20})
	})
	for _, bad := range []string{"", "6000f1100001", "0100f1100001", "4100f1100001"} {
		if err := l.decode(unhex(t, bad)); err == nil {
			t.Errorf("TAI list %s decoded", bad)
		}
	}
	many := make([]TAI, 17)
	for _, bad := range []TAIList{
		{},
		{{Type: TAIListMultiplePLMNs, TAIs: many}},
		{{Type: TAIListNonConsecutive, TAIs: []TAI{testTAI, {PLMN: PLMNID{1, 2, 3}}}}},
		{{Type: TAIListConsecutive, TAIs: []TAI{testTAI, testTAI}}},
		{{Type: 3, TAIs: []TAI{testTAI}}},
		{{Type: TAIListMultiplePLMNs}},
	} {
		if _, err := bad.appendTo(nil); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("TAI list %+v encoded: %v", bad, err)
		}
	}
}

func TestESMValues(t *testing.T) {
	var a APN
	roundTrip(t, "APN", &a, "08696e7465726e6574", func() bool { return a == "internet" })
	roundTrip(t, "APN labels", &a, "03696d73"+"066d6e63303031"+"066d6363303031"+"0467707273", func() bool { return a == "ims.mnc001.mcc001.gprs" })
	for _, bad := range []string{"", "00", "09696e7465726e6574", "03612e62"} {
		if a.decode(unhex(t, bad)) == nil {
			t.Errorf("APN %s decoded", bad)
		}
	}
	for _, bad := range []APN{"", "a..b", "a.", APN(bytes.Repeat([]byte("x"), 64)), APN(bytes.Repeat([]byte("a."), 51)) + "a"} {
		if _, err := bad.appendTo(nil); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("APN %q encoded: %v", bad, err)
		}
	}

	var p PDNAddress
	roundTrip(t, "PDN address IPv4", &p, "010a2d0002", func() bool { return p.Type == PDNTypeIPv4 && p.IPv4 == netip.MustParseAddr("10.45.0.2") })
	roundTrip(t, "PDN address IPv4v6", &p, "0300000000000000010a2d0002", func() bool {
		return p.Type == PDNTypeIPv4v6 && p.IPv6InterfaceIdentifier[7] == 1 && p.IPv4 == netip.MustParseAddr("10.45.0.2")
	})
	roundTrip(t, "PDN address IPv6", &p, "020102030405060708", func() bool { return p.Type == PDNTypeIPv6 && p.IPv6InterfaceIdentifier[0] == 1 })
	for _, bad := range []string{"", "010a2d00", "0201", "09" + "0a2d0002"} {
		if p.decode(unhex(t, bad)) == nil {
			t.Errorf("PDN address %s decoded", bad)
		}
	}

	// EPS QoS, TS 24.301 §9.9.4.3: 128 kbps is 0x48, 64 kbps 0x40.
	q := NewEPSQoS(1, 128, 128, 64, 64)
	if b, _ := q.appendTo(nil); hexOf(b) != "0148484040" {
		t.Errorf("EPS QoS %x", b)
	}
	for _, kbps := range []uint64{0, 1, 63, 64, 568, 576, 8640, 8700, 16000, 17000, 128000, 130000, 256000, 260000, 500000, 510000, 1500000, 1600000, 10000000} {
		q := NewEPSQoS(1, kbps, kbps, kbps, kbps)
		if kbps == 0 {
			if q.BitRates != nil {
				t.Errorf("zero rates encoded %x", q.BitRates)
			}
			continue
		}
		if q.MaximumBitRateUplink() != kbps || q.GuaranteedBitRateDownlink() != kbps {
			t.Errorf("EPS QoS %d kbps read back %d", kbps, q.MaximumBitRateUplink())
		}
		var back EPSQoS
		b, _ := q.appendTo(nil)
		if err := back.decode(b); err != nil || back.MaximumBitRateDownlink() != kbps {
			t.Errorf("EPS QoS %d kbps: %x %v", kbps, b, err)
		}
	}
	var bad EPSQoS
	if bad.decode(unhex(t, "090000")) == nil {
		t.Error("EPS QoS of 3 octets decoded")
	}

	// APN-AMBR of nas.tsv EMMAttachAccept#02: fefe dddd 1010 is 198 Mbps
	// (extended) plus 16 x 256 Mbps (extended-2).
	ambr := APNAggregateMaximumBitRate(unhex(t, "fefedddd1010"))
	if ambr.Downlink() != 4294000 || ambr.Uplink() != 4294000 {
		t.Errorf("APN-AMBR %d/%d", ambr.Downlink(), ambr.Uplink())
	}
	if got := NewAPNAggregateMaximumBitRate(4294000, 4294000); !bytes.Equal(got, ambr) {
		t.Errorf("APN-AMBR encode %x", got)
	}
	for _, kbps := range []uint64{1, 64, 8640, 10000, 100000, 256000, 1000000} {
		a := NewAPNAggregateMaximumBitRate(kbps, kbps/2+1)
		if a.Downlink() != kbps {
			t.Errorf("APN-AMBR %d kbps read back %d (%x)", kbps, a.Downlink(), []byte(a))
		}
	}
}

func TestTimersAndSmallIEs(t *testing.T) {
	if s, ok := (GPRSTimer{Unit: TimerUnitDecihour, Value: 9}).Seconds(); !ok || s != 3240 {
		t.Errorf("GPRS timer %d", s)
	}
	if _, ok := (GPRSTimer{Unit: TimerDeactivated}).Seconds(); ok {
		t.Error("deactivated timer")
	}
	if s, ok := (GPRSTimer3{Unit: Timer3Unit1Hour, Value: 3}).Seconds(); !ok || s != 10800 {
		t.Errorf("GPRS timer 3 %d", s)
	}
	var d DRXParameter
	roundTrip(t, "DRX", &d, "0a0d", func() bool { return d.SplitPGCycleCode == 0x0a && d.SplitOnCCCH && d.NonDRXTimer == 5 })
	var sc UESecurityCapability
	roundTrip(t, "UE security capability", &sc, "e0e0c04060", func() bool { return sc.GERAN && sc.GEA == 0x60 && sc.EEA == 0xe0 })
	roundTrip(t, "UE security capability (E-UTRA only)", &sc, "f070", func() bool { return !sc.UTRAN && sc.EIA == 0x70 })
	if sc.decode(unhex(t, "f070c0")) == nil {
		t.Error("UE security capability of 3 octets decoded")
	}
	var s EPSBearerContextStatus
	roundTrip(t, "EPS bearer context status", &s, "2000", func() bool { return s.Active(5) && !s.Active(6) })
	var alg NASSecurityAlgorithms
	roundTrip(t, "NAS security algorithms", &alg, "21", func() bool { return alg.Ciphering == 2 && alg.Integrity == 1 })
	capab := UENetworkCapability(unhex(t, "f0f0c0c019"))
	if got := capab.SecurityCapability(0x60, true); got != (UESecurityCapability{EEA: 0xf0, EIA: 0xf0, UTRAN: true, UEA: 0xc0, UIA: 0x40, GERAN: true, GEA: 0x60}) {
		t.Errorf("security capability %+v", got)
	}
	var k NASKeySetIdentifier
	if k.setNibble(0x0b); k != (NASKeySetIdentifier{TSC: MappedSecurityContext, KSI: 3}) {
		t.Errorf("KSI %+v", k)
	}
	if _, err := (NASKeySetIdentifier{KSI: 8}).nibble(); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("KSI 8: %v", err)
	}
	if EPSAttachType(4).Effective() != EPSAttach || CombinedEPSIMSIAttach.Effective() != CombinedEPSIMSIAttach {
		t.Error("EPS attach type interpretation (TS 24.301 §9.9.3.11)")
	}
}

func TestNetworkNameAndTime(t *testing.T) {
	// nas.tsv EMMInformation#01: "Orange F" packed in 7 octets.
	n := NetworkName(unhex(t, "004f79d87d2e838c"))
	if s, err := n.Text(); err != nil || s != "Orange F" {
		t.Errorf("network name %q %v", s, err)
	}
	m, err := NewNetworkName("Orange F", false)
	if err != nil || hexOf(m) != "804f79d87d2e838c" {
		t.Errorf("NewNetworkName %x %v", []byte(m), err)
	}
	for _, s := range []string{"A", "Test Network", "TestNet", "0123456789 @$_!?"} {
		m, err := NewNetworkName(s, true)
		if err != nil {
			t.Fatal(err)
		}
		if back, _ := m.Text(); back != s {
			t.Errorf("GSM 7-bit round trip %q -> %q", s, back)
		}
	}
	if _, err := NewNetworkName("é", false); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("é: %v", err)
	}
	ucs2 := NetworkName(unhex(t, "90004f0070"))
	if s, _ := ucs2.Text(); s != "Op" {
		t.Errorf("UCS2 %q", s)
	}
	// Universal time and time zone of EMMInformation#01: 2017-10-19 09:16:16, +2:00.
	z := TimeZoneAndTime(unhex(t, "71019190616180"))
	tm, off := z.Time()
	if !tm.Equal(time.Date(2017, 10, 19, 9, 16, 16, 0, time.UTC)) || off != 7200 {
		t.Errorf("time %v %d", tm, off)
	}
	if NewTimeZoneAndTime(time.Date(2017, 10, 19, 11, 16, 16, 0, time.FixedZone("", 7200))) != z {
		t.Error("NewTimeZoneAndTime")
	}
	if NewTimeZone(-5*3600).OffsetSeconds() != -5*3600 {
		t.Error("negative time zone")
	}
}

func TestPCOAndTFT(t *testing.T) {
	// PCO of nas.tsv ESMPDNConnectivityRequest#01.
	p := ProtocolConfigurationOptions(unhex(t, "8080211001000010810600000000830600000000000d00000a00000500001000"))
	v, err := p.Parse()
	if err != nil {
		t.Fatal(err)
	}
	ids := []uint16{}
	for _, c := range v.Containers {
		ids = append(ids, c.ID)
	}
	if want := []uint16{PCOIPCP, PCODNSServerIPv4Address, PCOIPAddressAllocationViaNAS, PCOBearerControlMode, PCOIPv4LinkMTU}; !equalU16(ids, want) {
		t.Errorf("PCO containers %x, want %x", ids, want)
	}
	again, err := NewProtocolConfigurationOptions(v.Containers...)
	if err != nil || !bytes.Equal(again, p) {
		t.Errorf("PCO rebuild %x %v", []byte(again), err)
	}
	if _, err := ProtocolConfigurationOptions(unhex(t, "80000d05")).Parse(); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("truncated PCO: %v", err)
	}
	if _, err := NewProtocolConfigurationOptions(PCOContainer{ID: 1, Contents: make(Octets, 256)}); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("long container: %v", err)
	}
	if _, err := TrafficFlowTemplate(nil).Parse(); err == nil {
		t.Error("empty TFT parsed")
	}
	// Create new TFT with one bidirectional filter, identifier 1, precedence
	// 0, contents: protocol identifier UDP (0x30 0x11), single remote port
	// 5000 (0x50 0x1388).
	tv, err := TrafficFlowTemplate(unhex(t, "213100053011501388")).Parse()
	if err != nil || tv.Operation != TFTCreateNew || len(tv.PacketFilters) != 1 || tv.PacketFilters[0].Direction != 3 ||
		tv.PacketFilters[0].Identifier != 1 || hexOf(tv.PacketFilters[0].Components) != "3011501388" {
		t.Errorf("TFT %+v %v", tv, err)
	}
	del, err := TrafficFlowTemplate(unhex(t, "a20102")).Parse()
	if err != nil || del.Operation != TFTDeletePacketFilters || len(del.PacketFilters) != 2 || del.PacketFilters[1].Identifier != 2 {
		t.Errorf("TFT delete %+v %v", del, err)
	}
	if _, err := TrafficFlowTemplate(unhex(t, "2131000a30")).Parse(); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("truncated TFT: %v", err)
	}
}

func equalU16(a, b []uint16) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestEncodeErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		m    Message
		ie   string
	}{
		{"EBI over 4 bits", &ESMStatus{EBI: 16}, "EPS bearer identity"},
		{"UE network capability of 1 octet", &AttachRequest{EPSMobileIdentity: EPSMobileIdentity{Type: EPSIdentityGUTI}, UENetworkCapability: make(UENetworkCapability, 1), ESMMessageContainer: ESMMessageContainer{2, 1, 0xd0}}, "UE network capability"},
		{"LV over 255 octets", &DownlinkNASTransport{NASMessageContainer: make(Octets, 256)}, "NAS message container"},
		{"RES of 3 octets", &AuthenticationResponse{RES: Octets{1, 2, 3}}, "authentication response parameter"},
		{"empty ESM container", &AttachComplete{}, "ESM message container"},
		{"KSI over 3 bits", &AuthenticationRequest{NASKeySetIdentifierASME: NASKeySetIdentifier{KSI: 9}}, "NAS key set identifierASME"},
		{"linked EBI over 4 bits", &PDNDisconnectRequest{LinkedEPSBearerIdentity: 16}, "linked EPS bearer identity"},
		{"APN empty", &ActivateDefaultEPSBearerContextRequest{EPSQoS: EPSQoS{QCI: 9}}, "access point name"},
		{"TAI list empty", &AttachAccept{ESMMessageContainer: ESMMessageContainer{0x52, 1, 0xc1}}, "TAI list"},
		{"GPRS timer value over 5 bits", &AttachAccept{T3412Value: GPRSTimer{Value: 32}}, "T3412 value"},
		{"EPS QoS rates of 3 octets", &ActivateDedicatedEPSBearerContextRequest{EPSQoS: EPSQoS{QCI: 1, BitRates: Octets{1, 2, 3}}}, "EPS QoS"},
		{"half-octet TV over 4 bits", &AttachReject{ExtendedEMMCause: ptr(ExtendedEMMCause(16))}, "extended EMM cause"},
		{"service request sequence number over 5 bits", &ServiceRequest{SequenceNumber: 32}, "KSI and sequence number"},
		{"security protected with header type 0", &SecurityProtected{}, "security header type"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := []byte{0xaa}
			out, err := AppendEncode(dst, tc.m)
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, ErrInvalidValue) && !errors.Is(err, ErrNotSecurityProtected) || e.IE != tc.ie {
				t.Fatalf("err = %v (IE %q), want ErrInvalidValue naming %q", err, ieOf(e), tc.ie)
			}
			if len(out) != 1 {
				t.Errorf("dst grew to %x on error", out)
			}
			t.Log(err)
		})
	}
	if _, err := Encode(foreign{}); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("foreign message: %v", err)
	}
}

type foreign struct{}

func (foreign) MessageType() MessageType                     { return TypeAttachRequest }
func (foreign) ProtocolDiscriminator() ProtocolDiscriminator { return EPSMobilityManagement }

func TestErrorText(t *testing.T) {
	_, err := Decode(unhex(t, "07417100"))
	var e *Error
	if !errors.As(err, &e) || e.EMMCause() != EMMCauseInvalidMandatoryInformation || e.Ignore() {
		t.Fatalf("%v", err)
	}
	want := "nas: AttachRequest: EPS mobile identity: invalid mandatory information (#96): length 0, want 1 to 255"
	if err.Error() != want {
		t.Errorf("error text\n got %q\nwant %q", err.Error(), want)
	}
	_, err = Decode(unhex(t, "0201d9"[:4]))
	if !errors.As(err, &e) || !e.Ignore() {
		t.Errorf("short ESM: %v", err)
	}
	if EMMCauseIllegalUE.String() != "IllegalUE" || ESMCause(200).String() != "ESMCause(200)" || TypeAttachRequest.String() != "AttachRequest" ||
		MessageType(0x47).String() != "MessageType(0x47)" || IntegrityProtectedCiphered.String() != "IntegrityProtectedCiphered" || EPSSessionManagement.String() != "ESM" {
		t.Error("String methods")
	}
}

// TestCSServiceNotificationWire checks the IEs the tshark cross-check
// leaves out against TS 24.301 table 8.2.9.1 by hand: SS code TV 0x61, LCS
// indicator TV 0x62, LCS client identity TLV 0x63.
func TestCSServiceNotificationWire(t *testing.T) {
	m := &CSServiceNotification{PagingIdentity: 1, SSCode: ptr(SSCode(0x11)), LCSIndicator: ptr(LCSIndicator(1)), LCSClientIdentity: Octets{0x80, 0x00}}
	b := mustEncode(t, m)
	if hexOf(b) != "0764016111620163028000" {
		t.Fatalf("%x", b)
	}
	back, err := DecodeDownlink(b)
	if err != nil || *back.(*CSServiceNotification).LCSIndicator != 1 {
		t.Fatalf("%v %v", back, err)
	}
}
