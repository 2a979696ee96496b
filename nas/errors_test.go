package nas

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

// TestTruncatedVectors cuts every nas.tsv row at every length: the decoder
// must never panic, every error must be an *Error naming a TS 24.301 §7
// verdict, and what does decode must re-encode to a prefix of the input
// (only trailing optional IEs may be lost).
func TestTruncatedVectors(t *testing.T) {
	for _, r := range readVectors(t, "nas.tsv") {
		for n := 0; n < len(r.b); n++ {
			in := r.b[:n]
			m, err := Decode(in)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("%s[:%d]: %v is not an *Error", r.name, n, err)
				}
				switch e.Cause {
				case 0:
					if !errors.Is(err, ErrTooShort) && !errors.Is(err, ErrUnknownProtocolDiscriminator) && !errors.Is(err, ErrReservedSecurityHeaderType) {
						t.Errorf("%s[:%d]: cause 0 with %v", r.name, n, err)
					}
				case 96:
					if e.IE == "" {
						t.Errorf("%s[:%d]: #96 without an IE: %v", r.name, n, err)
					}
				case 97:
					if !strings.HasPrefix(r.name, "EMMSecProtNASMessage") {
						t.Errorf("%s[:%d]: %v", r.name, n, err)
					}
				case 100:
					if e.MessageType != TypeAuthenticationFailure {
						t.Errorf("%s[:%d]: %v", r.name, n, err)
					}
				default:
					t.Errorf("%s[:%d]: cause #%d: %v", r.name, n, e.Cause, err)
				}
				if !strings.HasPrefix(err.Error(), "nas: ") {
					t.Errorf("error %q lacks the package prefix", err)
				}
				continue
			}
			out, err := Encode(m)
			if err != nil {
				t.Fatalf("%s[:%d]: re-encode: %v", r.name, n, err)
			}
			if !bytes.HasPrefix(in, out) && r.name != "EMMTrackingAreaUpdateRequest#09" {
				t.Errorf("%s[:%d]: re-encoded %x is not a prefix of %x", r.name, n, out, in)
			}
		}
	}
}

// TestDecodeErrors checks the verdict for crafted bad input: the sentinel,
// the cause value to answer with, and the IE named.
func TestDecodeErrors(t *testing.T) {
	attachAccept := mustEncode(t, sampleByName(t, "AttachAccept"))
	attachRequest := mustEncode(t, sampleByName(t, "AttachRequest"))
	for _, tc := range []struct {
		name  string
		hex   string
		dec   Decoder
		err   error
		cause uint8
		ie    string
	}{
		{"empty", "", Decoder{}, ErrTooShort, 0, ""},
		{"EMM without message type (§7.2)", "07", Decoder{}, ErrTooShort, 0, ""},
		{"ESM without message type (§7.2)", "0201", Decoder{}, ErrTooShort, 0, ""},
		{"unknown protocol discriminator", "0541", Decoder{}, ErrUnknownProtocolDiscriminator, 0, ""},
		{"reserved security header type", "670102030405060741", Decoder{}, ErrReservedSecurityHeaderType, 0, ""},
		{"unknown EMM message type (§7.4)", "0747", Decoder{}, ErrMessageTypeNonExistent, 97, ""},
		{"unknown ESM message type (§7.4)", "0201c4", Decoder{}, ErrMessageTypeNonExistent, 97, ""},
		{"downlink message received uplink", hexOf(attachAccept), Decoder{Direction: Uplink}, ErrMessageTypeNotCompatible, 98, ""},
		{"uplink message received downlink", hexOf(attachRequest), Decoder{Direction: Downlink}, ErrMessageTypeNotCompatible, 98, ""},
		{"service request received downlink", "c7450102", Decoder{Direction: Downlink}, ErrMessageTypeNotCompatible, 98, ""},
		{"imperative part missing", "0741", Decoder{}, ErrTooShort, 96, "EPS attach type"},
		{"EPS mobile identity of length 0", "07417100", Decoder{}, ErrInvalidMandatoryInformation, 96, "EPS mobile identity"},
		{"EPS mobile identity overruns", "0741710809101000001000", Decoder{}, ErrTooShort, 96, "EPS mobile identity"},
		{"IMSI digit not BCD", "074171080910a0000010001002e0e000040201d011", Decoder{}, ErrInvalidMandatoryInformation, 96, "EPS mobile identity"},
		{"reserved EPS identity type", "07417101f40202e0e000040201d011", Decoder{}, ErrInvalidMandatoryInformation, 96, "EPS mobile identity"},
		{"UE network capability of 1 octet", "074171" + "080910100000100010" + "01e0" + "0004" + "0201d011", Decoder{}, ErrInvalidMandatoryInformation, 96, "UE network capability"},
		{"ESM container missing", "07417108091010000010001002e0e0", Decoder{}, ErrTooShort, 96, "ESM message container"},
		{"AUTN of 15 octets", "075201" + strings.Repeat("00", 16) + "0f" + strings.Repeat("00", 15), Decoder{}, ErrInvalidMandatoryInformation, 96, "authentication parameter AUTN (EPS challenge)"},
		{"RAND truncated", "075201" + strings.Repeat("00", 10), Decoder{}, ErrTooShort, 96, "authentication parameter RAND (EPS challenge)"},
		{"GUTI reallocation with an IMSI", "07500809101000001000100154060000f110000101", Decoder{}, ErrInvalidMandatoryInformation, 96, "GUTI"},
		{"TAI list of reserved type 11", "07420109066000f1100001000352" + "01c1", Decoder{}, ErrInvalidMandatoryInformation, 96, "TAI list"},
		{"PDN address IPv4 of 3 octets", "5201c1" + "0109" + "0908696e7465726e6574" + "04010a2d00", Decoder{}, ErrInvalidMandatoryInformation, 96, "PDN address"},
		{"EPS QoS of 3 octets", "5201c103090000" + "08" + "08696e7465726e6574", Decoder{}, ErrInvalidMandatoryInformation, 96, "EPS QoS"},
		{"unknown comprehension-required IE (§7.5.1)", "0743000352" + "00c2" + "050100", Decoder{}, ErrInvalidMandatoryInformation, 96, "IEI 0x05"},
		{"synch failure without AUTS (§7.7.2)", "075c15", Decoder{}, ErrConditionalIE, 100, "authentication failure parameter"},
		{"AUTS of 13 octets (§7.7.2)", "075c15300d" + strings.Repeat("00", 13), Decoder{}, ErrConditionalIE, 100, "authentication failure parameter"},
		{"AUTS truncated (§7.7.2)", "075c15300e" + strings.Repeat("00", 5), Decoder{}, ErrConditionalIE, 100, "authentication failure parameter"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := tc.dec.Decode(unhex(t, tc.hex))
			if err == nil {
				t.Fatalf("decoded %#v, want %v", m, tc.err)
			}
			var e *Error
			if !errors.As(err, &e) || !errors.Is(err, tc.err) || e.Cause != tc.cause || e.IE != tc.ie {
				t.Fatalf("err = %v (IE %q cause %d), want %v IE %q cause #%d", err, ieOf(e), causeOf(e), tc.err, tc.ie, tc.cause)
			}
			if m != nil {
				t.Fatalf("message %#v returned with the error", m)
			}
			t.Log(err)
		})
	}
}

func hexOf(b []byte) string { return strings.ToLower(strings.TrimSpace(string(hexBytes(b)))) }

func hexBytes(b []byte) []byte {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return out
}

func ieOf(e *Error) string {
	if e == nil {
		return ""
	}
	return e.IE
}

func causeOf(e *Error) uint8 {
	if e == nil {
		return 0
	}
	return e.Cause
}

func sampleByName(t testing.TB, name string) Message {
	for _, s := range sampleMessages(t) {
		if s.name == name {
			return s.m
		}
	}
	t.Fatalf("no sample %s", name)
	return nil
}

// TestNonImperativeRules checks TS 24.301 §7.6 and §7.7.1: what is skipped,
// ignored or kept, and what the Irregular hook is told.
func TestNonImperativeRules(t *testing.T) {
	guti := "500bf600f110800101c0000123"
	gutiAsIMSI := "500b" + "0910100000100010" + "000000" // an IMSI in the GUTI IE
	base := "07420249060000f110000100035201c1"           // ATTACH ACCEPT, TAI list of one TAI, ESM container "5201c1"
	for _, tc := range []struct {
		name    string
		hex     string
		check   func(t *testing.T, m *AttachAccept)
		reasons []error
	}{
		{"unknown TLV-E skipped (§7.6.1)", base + "7f0002aaaa" + guti, func(t *testing.T, m *AttachAccept) {
			if m.GUTI == nil || *m.GUTI != testGUTI {
				t.Errorf("GUTI after unknown IE: %v", m.GUTI)
			}
		}, []error{ErrIENonExistent}},
		{"unknown TLV skipped (§7.6.1)", base + "2102aaaa" + guti, func(t *testing.T, m *AttachAccept) {
			if m.GUTI == nil {
				t.Error("GUTI lost")
			}
		}, []error{ErrIENonExistent}},
		{"unknown type 1 skipped (§7.6.1)", base + "a1" + guti, func(t *testing.T, m *AttachAccept) {
			if m.GUTI == nil {
				t.Error("GUTI lost")
			}
		}, []error{ErrIENonExistent}},
		{"repeated IE: first kept (§7.6.3)", base + guti + "500bf600f110800101c0000999", func(t *testing.T, m *AttachAccept) {
			if m.GUTI == nil || m.GUTI.MTMSI != 0xc0000123 {
				t.Errorf("GUTI %v, want the first one", m.GUTI)
			}
		}, []error{ErrRepeatedIE}},
		{"out of sequence IE accepted (§7.6.2)", base + "5310" + guti, func(t *testing.T, m *AttachAccept) {
			if m.GUTI == nil || m.EMMCause == nil || *m.EMMCause != EMMCauseMSCTemporarilyNotReachable {
				t.Errorf("GUTI %v cause %v", m.GUTI, m.EMMCause)
			}
		}, []error{ErrOutOfSequenceIE}},
		{"syntactically incorrect optional IE ignored (§7.7.1)", base + gutiAsIMSI + "5310", func(t *testing.T, m *AttachAccept) {
			if m.GUTI != nil || m.EMMCause == nil {
				t.Errorf("GUTI %v cause %v", m.GUTI, m.EMMCause)
			}
		}, []error{ErrInvalidOptionalIE}},
		{"optional IE shorter than its minimum ignored (§7.7.1)", base + "5005f600f11080", func(t *testing.T, m *AttachAccept) {
			if m.GUTI != nil {
				t.Errorf("GUTI %v", m.GUTI)
			}
		}, []error{ErrInvalidOptionalIE}},
		{"truncated trailing TV ignored (§7.7.1)", base + guti + "1300f1", func(t *testing.T, m *AttachAccept) {
			if m.GUTI == nil || m.LocationAreaIdentification != nil {
				t.Errorf("GUTI %v LAI %v", m.GUTI, m.LocationAreaIdentification)
			}
		}, []error{ErrInvalidOptionalIE}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []error
			m, err := Decoder{Irregular: func(i IrregularIE) { got = append(got, i.Reason); t.Logf("%+v", i) }}.Decode(unhex(t, tc.hex))
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, m.(*AttachAccept))
			if len(got) != len(tc.reasons) {
				t.Fatalf("irregular IEs %v, want %v", got, tc.reasons)
			}
			for i := range got {
				if !errors.Is(got[i], tc.reasons[i]) {
					t.Errorf("irregular IE %d: %v, want %v", i, got[i], tc.reasons[i])
				}
			}
		})
	}
}

func TestESMContainerAndInner(t *testing.T) {
	// An ESM message container holding an EMM message (#96).
	c := ESMMessageContainer(unhex(t, "074300035200c2"))
	if _, err := c.Decode(); !errors.Is(err, ErrInvalidMandatoryInformation) {
		t.Errorf("EMM in ESM container: %v", err)
	}
	// A nested security header inside a protected message.
	p := &SecurityProtected{Header: IntegrityProtected, Message: unhex(t, "2701020304050743000352")}
	if _, err := p.Inner(); !errors.Is(err, ErrSecurityProtected) {
		t.Errorf("nested header: %v", err)
	}
	// DETACH REQUEST forms told apart with AnyDirection.
	for hx, want := range map[string]string{
		"074502":                         "DetachRequestUETerminated",
		"0745025303":                     "DetachRequestUETerminated",
		"0745090bf600f110800101c0000123": "DetachRequestUEOriginating",
	} {
		m, err := Decode(unhex(t, hx))
		if err != nil || typeName(m) != want {
			t.Errorf("%s: %v %v, want %s", hx, m, err, want)
		}
	}
	// Octets after a SERVICE REQUEST are ignored.
	if m, err := Decode(unhex(t, "c7450102ffff")); err != nil || m.(*ServiceRequest).SequenceNumber != 5 {
		t.Errorf("service request with trailing octets: %v %v", m, err)
	}
	// NoCopy aliases the input; the default copies it.
	in := unhex(t, "0753083ec3a476f829b414")
	a, _ := Decoder{NoCopy: true}.Decode(in)
	b, _ := Decode(in)
	in[3] = 0
	if a.(*AuthenticationResponse).RES[0] != 0 || b.(*AuthenticationResponse).RES[0] != 0x3e {
		t.Error("NoCopy should alias and the default should copy")
	}
}

// TestMutatedVectors changes every octet of every nas.tsv row to 0x00,
// 0xff and its neighbours (wrong lengths, bad IEIs, reserved values where
// they land): no panic, every error an *Error with a §7 cause, and every
// message that decodes re-encodes to bytes that decode to the same value.
func TestMutatedVectors(t *testing.T) {
	n, failed := 0, 0
	for _, r := range readVectors(t, "nas.tsv") {
		for i := range r.b {
			for _, v := range []byte{0x00, 0xff, r.b[i] + 1, r.b[i] - 1} {
				b := append([]byte(nil), r.b...)
				b[i] = v
				n++
				m, err := Decode(b)
				if err != nil {
					failed++
					var e *Error
					if !errors.As(err, &e) {
						t.Fatalf("%s[%d]=%02x: %v is not an *Error", r.name, i, v, err)
					}
					switch e.Cause {
					case 0, 95, 96, 97, 100:
					default:
						t.Errorf("%s[%d]=%02x: cause #%d: %v", r.name, i, v, e.Cause, err)
					}
					continue
				}
				out, err := Encode(m)
				if err != nil {
					t.Fatalf("%s[%d]=%02x: re-encode: %v", r.name, i, v, err)
				}
				again, err := Decode(out)
				if err != nil || !reflect.DeepEqual(again, m) {
					t.Fatalf("%s[%d]=%02x: round trip: %v\n%#v\n%#v", r.name, i, v, err, m, again)
				}
			}
		}
	}
	t.Logf("%d mutations, %d rejected", n, failed)
}
