package s1ap

import (
	"bufio"
	"bytes"
	"errors"
	tv "github.com/lte-mme/mme/internal/vectors"
	"os"
	"strings"
	"testing"

	"github.com/lte-mme/mme/s1ap/aper"
)

// vector is one row of ../shared/vectors/s1ap.tsv.
type vector struct {
	name, hex, notes string
}

var vectorFile = tv.Path("s1ap.tsv")

func loadVectors(t testing.TB) []vector {
	t.Helper()
	f, err := os.Open(vectorFile)
	if err != nil {
		t.Fatalf("open vectors: %v", err)
	}
	defer f.Close()
	var out []vector
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 5 {
			t.Fatalf("short row %q", sc.Text())
		}
		out = append(out, vector{name: c[0], hex: c[1], notes: c[4]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func (v vector) negative() bool { return strings.HasPrefix(v.name, "NEG-") }
func (v vector) wiresharkOnly() bool {
	return strings.Contains(v.notes, "pycrate strict APER decode FAILS")
}
func (v vector) identical() bool { return strings.Contains(v.notes, "re-encode byte-identical") }
func (v vector) messageName() string {
	n := strings.TrimPrefix(v.name, "NEG-")
	return n[:strings.IndexByte(n, '#')]
}

// issue names one expected IE issue.
type issue struct {
	kind IssueKind
	id   ProtocolIEID
}

// expectation is what a decoder must answer for a vector.
type expectation struct {
	syntax   error   // a *SyntaxError wrapping this sentinel
	action   Action  // a *ProtocolError with this action (0: none)
	issues   []issue // ... reporting at least these issues
	accepted bool    // no error
}

func (x expectation) check(t *testing.T, mode string, p *PDU, err error) {
	t.Helper()
	switch {
	case x.syntax != nil:
		var se *SyntaxError
		if !errors.As(err, &se) || !errors.Is(err, x.syntax) || p != nil {
			t.Errorf("%s: got %v (PDU %v), want a transfer syntax error wrapping %q", mode, err, p != nil, x.syntax)
		}
	case x.action != 0:
		var pe *ProtocolError
		if !errors.As(err, &pe) || p == nil {
			t.Fatalf("%s: got %v (PDU %v), want a *ProtocolError with the PDU", mode, err, p != nil)
		}
		if pe.Action() != x.action {
			t.Errorf("%s: action %v, want %v (%v)", mode, pe.Action(), x.action, err)
		}
		for _, w := range x.issues {
			found := false
			for _, is := range pe.Issues {
				found = found || (is.Kind == w.kind && is.ID == w.id)
			}
			if !found {
				t.Errorf("%s: no %v for IE %d in %v", mode, w.kind, w.id, pe.Issues)
			}
		}
	case x.accepted:
		if err != nil || p == nil {
			t.Errorf("%s: %v, want the PDU decoded", mode, err)
		}
	}
}

var accepted = expectation{accepted: true}

// vectorVerdicts are the rows whose verdict is not the default (positive:
// accepted in both modes; NEG: an error in strict mode). docs/design/s1ap.md
// explains each.
var vectorVerdicts = map[string]struct {
	strict, lenient expectation
	why             string
}{
	// NEG rows and their faults.
	"NEG-E-RABModificationIndication#01": {
		expectation{syntax: aper.ErrPadding},
		expectation{action: ActionReject, issues: []issue{{IssueMissing, IDMMEUES1APID}, {IssueMissing, IDENBUES1APID}, {IssueMissing, IDERABToBeModifiedListBearerModInd}}},
		"3-octet message: padding bits 0001110 after the extension bit, 0 IEs; mandatory IEs missing"},
	"NEG-ENBConfigurationTransfer#03": {
		expectation{syntax: aper.ErrPadding}, accepted,
		"3-octet message with non-zero padding and no IE (all IEs of ENBConfigurationTransfer are optional)"},
	"NEG-InitialUEMessage#08": {
		expectation{syntax: aper.ErrPadding},
		expectation{action: ActionReject, issues: []issue{{IssueMissing, IDENBUES1APID}, {IssueMissing, IDNASPDU}, {IssueMissing, IDTAI}}},
		"3-octet message, non-zero padding, no IE: ENB-UE-S1AP-ID and the other mandatory IEs missing"},
	"NEG-S1SetupRequest#05": {
		expectation{action: ActionReject, issues: []issue{{IssueMissing, IDSupportedTAs}, {IssueDuplicate, IDDefaultPagingDRX}, {IssueNotComprehended, IDGlobalENBID}}},
		expectation{action: ActionReject, issues: []issue{{IssueMissing, IDSupportedTAs}}},
		"SupportedTAs (reject) missing; IEs repeated; PLMN identity with non-decimal digits"},
	"NEG-S1SetupRequest#06": {
		expectation{action: ActionReject, issues: []issue{{IssueUnknownIE, IDPagingDRX}, {IssueMissing, IDDefaultPagingDRX}}},
		expectation{action: ActionReject, issues: []issue{{IssueUnknownIE, IDPagingDRX}}},
		"id-pagingDRX (44, a Paging IE) with criticality reject instead of id-DefaultPagingDRX"},
	"NEG-UplinkNASTransport#17": {
		expectation{action: ActionReject, issues: []issue{{IssueDuplicate, IDENBUES1APID}}},
		expectation{action: ActionReject},
		"fuzzed: IEs repeated and out of order, mandatory IEs missing"},
	// NEG rows that are valid S1AP: Open5GS crash-test.c regression tests
	// for the MME's handling; the test itself asserts the decode succeeds.
	"NEG-ENBConfigurationTransfer#06": {accepted, accepted, "valid: Open5GS crash-test test2_func expects s1ap_decode_pdu to succeed"},
	"NEG-ENBConfigurationTransfer#07": {accepted, accepted, "valid: Open5GS crash-test test3_func expects s1ap_decode_pdu to succeed"},
	"NEG-UplinkNASTransport#112":      {accepted, accepted, "valid: Open5GS crash-test test4_func (unknown MME-UE-S1AP-ID 100 at the MME)"},
	"NEG-UplinkNASTransport#113":      {accepted, accepted, "valid: Open5GS crash-test test5_func (PSCellInformation extension)"},
	// Positive rows that are not valid S1AP.
	"E-RABSetupResponse#02": {
		expectation{syntax: aper.ErrTruncated}, expectation{syntax: aper.ErrTruncated},
		"not S1AP: a PFCP Association Setup (pycrate test_mobile.py); MME-UE-S1AP-ID open type is empty"},
	"InitialUEMessage#09": {
		expectation{syntax: aper.ErrPadding}, accepted,
		"magma MissingRRCEstablishmentCauseIE: non-zero padding in CellAccessMode; RRC-Establishment-Cause (ignore) missing"},
	"InitialUEMessage#10": {
		expectation{action: ActionReject, issues: []issue{{IssueNotComprehended, IDTAI}, {IssueDuplicate, IDCEModeBSupportIndicator}, {IssueMissing, IDNASPDU}}},
		expectation{action: ActionReject, issues: []issue{{IssueMissing, IDNASPDU}}},
		"magma CheckEUTRANCGIPLMNSize: TAI PLMN 9eca07, CE-mode-B repeated 4 times, NAS-PDU and EUTRAN-CGI missing"},
	"Reset#02": {
		expectation{syntax: aper.ErrPadding},
		expectation{action: ActionReject, issues: []issue{{IssueMissing, IDResetType}, {IssueMissing, IDCause}}},
		"magma ResetTypeS1apProtocolIEIDMissing: no IE, ResetType (reject) missing"},
}

// critOnlyRows re-encode differently only because the sender used another
// IE criticality than TS 36.413 assigns (our encoder sends the specified
// one); the strict decoder reports each as IssueWrongCriticality.
var critOnlyRows = map[string]bool{
	"E-RABReleaseCommand#01": true, "E-RABReleaseResponse#02": true, "ENBConfigurationTransfer#01": true,
	"ENBConfigurationTransfer#02": true, "NASNonDeliveryIndication#01": true,
}

// TestVectors decodes every row of s1ap.tsv in strict and lenient mode and
// re-encodes what decodes.
func TestVectors(t *testing.T) {
	vs := loadVectors(t)
	if len(vs) != 437 {
		t.Fatalf("%d vectors, want 437", len(vs))
	}
	var nStrict, nLenient, nIdentical, nWireshark int
	for _, v := range vs {
		t.Run(v.name, func(t *testing.T) {
			b := mustHex(v.hex)
			ps, errS := Decode(b)
			pl, errL := DecodeLenient(b)
			want, special := vectorVerdicts[v.name]
			switch {
			case special:
				want.strict.check(t, "strict", ps, errS)
				want.lenient.check(t, "lenient", pl, errL)
			case v.negative():
				t.Fatalf("NEG row without a verdict: strict %v, lenient %v", errS, errL)
			case v.wiresharkOnly():
				// X.691 §11.2: the open type holds octets after its value.
				expectation{syntax: aper.ErrTrailing}.check(t, "strict", ps, errS)
				accepted.check(t, "lenient", pl, errL)
				nWireshark++
			default:
				accepted.check(t, "strict", ps, errS)
				accepted.check(t, "lenient", pl, errL)
			}
			if errS == nil {
				nStrict++
			}
			if errL == nil {
				nLenient++
			}
			if pl != nil && pl.Message.MessageName() != v.messageName() {
				t.Errorf("message %s, want %s", pl.Message.MessageName(), v.messageName())
			}
			if !v.identical() || pl == nil || errL != nil {
				return
			}
			out, err := pl.Encode()
			if err != nil {
				t.Fatalf("re-encode: %v", err)
			}
			if critOnlyRows[v.name] {
				b = withSpecifiedCriticality(t, b, ps.Issues)
			}
			if !bytes.Equal(out, b) {
				t.Errorf("re-encode differs\n got %x\nwant %x", out, b)
			}
			nIdentical++
		})
	}
	t.Logf("strict decodes %d, lenient %d of %d rows; %d Wireshark-only rows need lenient; %d re-encode byte-identically",
		nStrict, nLenient, len(vs), nWireshark, nIdentical)
	if nWireshark != 41 || nIdentical < 355 {
		t.Errorf("counts changed: %d Wireshark-only, %d identical", nWireshark, nIdentical)
	}
}

// withSpecifiedCriticality rewrites the criticality field of each IE
// reported with a wrong criticality to the specified value.
func withSpecifiedCriticality(t *testing.T, b []byte, issues []IEIssue) []byte {
	t.Helper()
	out := append([]byte(nil), b...)
	n := 0
	for _, is := range issues {
		if is.Kind != IssueWrongCriticality {
			continue
		}
		bit := is.Offset + 16 // after the 16-bit IE id
		if bit%8 != 0 {
			t.Fatalf("IE %d criticality at bit %d: not octet-aligned", is.ID, bit)
		}
		out[bit/8] = out[bit/8]&0x3f | byte(is.Expected-1)<<6
		n++
	}
	if n == 0 {
		t.Fatal("no wrong criticality reported")
	}
	return out
}
