package gtp

import (
	"bufio"
	"encoding/hex"
	"errors"
	tv "github.com/lte-mme/mme/internal/vectors"
	"os"
	"reflect"
	"strings"
	"testing"
)

var vectorFile = tv.Path("gtpv2.tsv")

type vector struct {
	name, source string
	b            []byte
}

func loadVectors(t testing.TB) []vector {
	t.Helper()
	f, err := os.Open(vectorFile)
	if err != nil {
		t.Fatalf("open vectors: %v", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	var out []vector
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 4 {
			t.Fatalf("short row %q", sc.Text())
		}
		b, err := hex.DecodeString(c[1])
		if err != nil {
			t.Fatalf("%s: hex: %v", c[0], err)
		}
		out = append(out, vector{name: c[0], source: c[2] + "/" + c[3], b: b})
	}
	if len(out) != 100 {
		t.Fatalf("%d vectors, want the 100 of README.md", len(out))
	}
	return out
}

// vectorVerdicts lists the rows of gtpv2.tsv of the messages this package
// covers that do not decode cleanly, with the error a conformant S11
// receiver returns and why. Every other row of a covered type must decode
// and survive a semantic round trip.
var vectorVerdicts = map[string]struct {
	err error
	ie  IEID
	why string
}{
	"CreateSessionReq#06": {ErrMandatoryIEMissing, IEID{IERATType, 0},
		"go-gtp header test: a Create Session Request with only an IMSI (RAT Type is M, Table 7.2.1-1)"},
	"DeleteBearerCommand#01": {ErrMandatoryIEMissing, IEID{IEBearerContext, 0},
		"otc codec test: no Bearer Context, which is M in Table 7.2.17.1-1"},
	"CreateBearerResp#02": {ErrMandatoryIEMissing, IEID{IECause, 0},
		"go-gtp test: accepted, with bearer contexts lacking their M Cause (Table 7.2.4-2)"},
	"DeleteBearerFailureInd#02": {ErrMandatoryIEMissing, IEID{IECause, 0},
		"go-gtp test: bearer contexts lacking their M Cause (Table 7.2.17.2-2)"},
	"DeleteBearerResp#02": {ErrMandatoryIEMissing, IEID{IECause, 0},
		"go-gtp test: accepted, with bearer contexts lacking their M Cause (Table 7.2.10.2-2)"},
	"UpdateBearerReq#02": {ErrMandatoryIEMissing, IEID{IEAMBR, 0},
		"go-gtp test: no APN-AMBR, which is M in Table 7.2.15-1"},
	"EchoReq#03": {ErrInvalidMessageFormat, IEID{},
		"go-gtp generic-message test sets the T flag; Echo Request has no TEID (TS 29.274 §5.5.1)"},
	"VersionNotSupportedInd#01": {ErrInvalidMessageFormat, IEID{},
		"go-gtp test sets the T flag; Version Not Supported Indication has no TEID (§5.5.1)"},
}

func TestVectors(t *testing.T) {
	covered, foreign := 0, 0
	for _, v := range loadVectors(t) {
		t.Run(v.name, func(t *testing.T) {
			if strings.HasPrefix(v.name, "CreateSessionReq-IEsOnly") {
				// Open5GS feeds its decoder the IEs without a header: give
				// them one and decode them as a Create Session Request.
				n := 8 + len(v.b)
				b := append([]byte{0x48, byte(TypeCreateSessionRequest), byte(n >> 8), byte(n), 0, 0, 0, 0, 0, 0, 1, 0}, v.b...)
				_, m, err := Decode(b)
				if err != nil {
					t.Fatalf("IEs-only body in a header: %v", err)
				}
				if csr := m.(*CreateSessionRequest); csr.IMSI != "555103114300014" {
					t.Errorf("IMSI %q", csr.IMSI)
				}
				covered++
				return
			}
			h, m, err := Decode(v.b)
			verdict, hasVerdict := vectorVerdicts[v.name]
			if !Supported(h.Type) {
				foreign++
				// Not an S11 message of this package: the header and the
				// IEs still parse, and the answer is Service not supported
				// (or nothing, for a type this package does not know).
				if _, _, rerr := DecodeRaw(v.b); rerr != nil {
					t.Fatalf("DecodeRaw: %v", rerr)
				}
				var de *DecodeError
				if !errors.As(err, &de) {
					t.Fatalf("Decode of unsupported %v: %v", h.Type, err)
				}
				want := ErrServiceNotSupported
				if h.Type.Kind() == KindUnknown {
					want = ErrUnknownMessageType
				}
				if !errors.Is(err, want) {
					t.Fatalf("Decode of unsupported %v: %v, want %v", h.Type, err, want)
				}
				return
			}
			covered++
			if hasVerdict {
				if !errors.Is(err, verdict.err) {
					t.Fatalf("err %v, want %v (%s)", err, verdict.err, verdict.why)
				}
				var de *DecodeError
				errors.As(err, &de)
				if verdict.ie != (IEID{}) && (!de.HasIE || de.IE != verdict.ie) {
					t.Fatalf("offending IE %v, want %v (%s)", de.IE, verdict.ie, verdict.why)
				}
				if de.Cause != causeFor(verdict.err) {
					t.Fatalf("cause %v", de.Cause)
				}
				return
			}
			if err != nil {
				t.Fatalf("Decode: %v", err)
			}
			if h.Length != len(v.b) {
				t.Fatalf("header length %d, datagram %d", h.Length, len(v.b))
			}
			// Semantic round trip: what we decoded encodes to a message
			// that decodes to the same value.
			b2, err := Encode(m, h.TEID, h.Seq)
			if err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			h2, m2, err := Decode(b2)
			if err != nil {
				t.Fatalf("decode re-encoded: %v", err)
			}
			if h2.TEID != h.TEID || h2.Seq != h.Seq || h2.Type != h.Type {
				t.Fatalf("header %+v, re-encoded %+v", h, h2)
			}
			if !reflect.DeepEqual(m, m2) {
				t.Fatalf("round trip differs:\n%+v\n%+v", m, m2)
			}
		})
	}
	// 57 rows of covered types plus the header-less body; 42 rows of the
	// S3/S4/S5/S10/S16 messages S11 does not carry.
	if covered != 58 || foreign != 42 {
		t.Errorf("%d covered and %d foreign rows: the vector file changed?", covered, foreign)
	}
}

// Values read by hand from the hex of some rows (TS 29.274 coding), so that
// the table test above does not only compare us with ourselves.
func TestVectorValues(t *testing.T) {
	byName := map[string][]byte{}
	for _, v := range loadVectors(t) {
		byName[v.name] = v.b
	}
	dec := func(name string) (Header, Message) {
		t.Helper()
		h, m, err := Decode(byName[name])
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return h, m
	}

	// 0100 0800 10214365871932f4: IMSI 011234567891234; 4c0005 0004 9304000000 ...
	h, m := dec("CreateSessionReq#01")
	csr := m.(*CreateSessionRequest)
	if h.Seq != 22 || h.TEID != 0 {
		t.Errorf("CSR#01 header %+v", h)
	}
	if csr.IMSI != "011234567891234" || csr.MSISDN != "4039400000" || csr.MEI != "3588110500000000" {
		t.Errorf("CSR#01 identities %q %q %q", csr.IMSI, csr.MSISDN, csr.MEI)
	}
	// 5700 0900 8a 00000007 0a010a0b: S11 MME GTP-C, TEID 7, 10.1.10.11.
	if f := csr.SenderFTEID; f.Interface != IfS11MMEGTPC || f.TEID != 7 || f.IPv4.String() != "10.1.10.11" {
		t.Errorf("CSR#01 sender F-TEID %+v", f)
	}
	if f := csr.PGWS5S8FTEID; f.Interface != IfS5S8PGWGTPC || f.IPv4.String() != "192.168.1.105" {
		t.Errorf("CSR#01 PGW F-TEID %+v", f)
	}
	if csr.APN != "apn1" || csr.RATType != RATEUTRAN || csr.PDNType != PDNTypeIPv4 {
		t.Errorf("CSR#01 APN %q RAT %d PDN %v", csr.APN, csr.RATType, csr.PDNType)
	}
	// 5300 0300 04f550: MCC 405 MNC 05.
	if csr.ServingNetwork != (PLMN{"405", "05"}) || csr.ULI.TAI.TAC != 9 || csr.ULI.ECGI.ECI != 20 {
		t.Errorf("CSR#01 location %+v %+v", csr.ServingNetwork, csr.ULI)
	}
	// 4800 0800 00003e80 00003e80: APN-AMBR 16000/16000 kbit/s.
	if csr.AMBR == nil || *csr.AMBR != (AMBR{16000, 16000}) {
		t.Errorf("CSR#01 AMBR %v", csr.AMBR)
	}
	// Bearer context: EBI 5, QoS 0809...: PL 2, QCI 9.
	if len(csr.BearerContextsToBeCreated) != 1 {
		t.Fatalf("CSR#01 bearer contexts %d", len(csr.BearerContextsToBeCreated))
	}
	if bc := csr.BearerContextsToBeCreated[0]; bc.EBI != 5 || bc.BearerQoS.QCI != 9 || bc.BearerQoS.ARP.PL != 2 {
		t.Errorf("CSR#01 bearer %+v", bc)
	}

	// Create Session Response from an OAI SPGW: cause 16, S11 SGW F-TEID
	// TEID 1 at 192.168.65.5, PAA 192.168.29.2, S1-U SGW TEID 1 at 192.168.65.6.
	_, m = dec("CreateSessionResp#03")
	cs := m.(*CreateSessionResponse)
	if !cs.Cause.Accepted() || cs.SenderFTEID.Interface != IfS11S4SGWGTPC || cs.SenderFTEID.TEID != 1 ||
		cs.SenderFTEID.IPv4.String() != "192.168.65.5" || cs.PAA.IPv4.String() != "192.168.29.2" {
		t.Errorf("CSResp#03 %+v", cs)
	}
	if bc := cs.BearerContextsCreated[0]; bc.EBI != 5 || bc.S1USGWFTEID.TEID != 1 || bc.S1USGWFTEID.IPv4.String() != "192.168.65.6" {
		t.Errorf("CSResp#03 bearer %+v", bc)
	}

	// Delete Bearer Failure Indication rejecting with Mandatory IE missing,
	// offending IE Bearer Context (0200 0600 46 00 5d000000).
	_, m = dec("DeleteBearerFailureInd#01")
	fi := m.(*DeleteBearerFailureIndication)
	if fi.Cause.Value != CauseMandatoryIEMissing || !fi.Cause.HasOffending || fi.Cause.Offending.Type != IEBearerContext {
		t.Errorf("DBFI#01 cause %+v", fi.Cause)
	}

	// Delete Bearer Request with EBIs (instance 1) 5 and 6 and cause 5.
	_, m = dec("DeleteBearerReq#03")
	db := m.(*DeleteBearerRequest)
	if !reflect.DeepEqual(db.EBIs, []uint8{5, 6}) || db.LinkedEBI != 0 || db.Cause.Value != CauseISRDeactivation {
		t.Errorf("DBReq#03 %+v", db)
	}

	// DDN Acknowledge: cause 16, Delay Value 10 (×50 ms), Recovery 255.
	_, m = dec("DownlinkDataNotifAck#01")
	ack := m.(*DownlinkDataNotificationAcknowledge)
	if ack.DelayValue == nil || *ack.DelayValue != 10 || ack.Recovery == nil || *ack.Recovery != 255 || ack.IMSI != "123451234567890" {
		t.Errorf("DDN Ack %+v", ack)
	}

	// Echo Request: Recovery 128 (0300 0100 80), Node Features 1.
	_, m = dec("EchoReq#02")
	if e := m.(*EchoRequest); e.Recovery != 128 || e.SendingNodeFeatures == nil || *e.SendingNodeFeatures != 1 {
		t.Errorf("Echo %+v", e)
	}
}
