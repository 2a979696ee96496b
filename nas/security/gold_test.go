package security

import (
	"bytes"
	"strings"
	"testing"
)

// The GOLD rows of the vectors (README "GOLD rows"): two Open5GS attach
// flows, attach_test1 and attach_test3, whose subscriber K, OPc, AMF, SQN and
// RAND are known. crypto.tsv o5gs-attach/<test>/* has the keys; nas.tsv and
// s1ap.tsv have the captured messages.

var goldTests = []string{"attach_test1", "attach_test3"}

func goldSet(t testing.TB, test string) cryptoSet {
	t.Helper()
	for _, s := range cryptoSets(t, "o5gs-attach/") {
		if s.Name == "o5gs-attach/"+test {
			return s
		}
	}
	t.Fatalf("crypto.tsv has no o5gs-attach/%s", test)
	return cryptoSet{}
}

// goldNAS returns the GOLD rows of nas.tsv for one test whose notes carry the
// given procedure tag (e.g. "DL expected authentication_request").
func goldNAS(t testing.TB, test, tag string) []tsvRow {
	t.Helper()
	var out []tsvRow
	for _, r := range readTSV(t, "nas.tsv") {
		i := strings.Index(r.Notes, "GOLD: Open5GS "+test+" ")
		if i >= 0 && strings.Contains(r.Notes[i:], tag) {
			out = append(out, r)
		}
	}
	if len(out) == 0 {
		t.Fatalf("nas.tsv: no GOLD row for %s %q", test, tag)
	}
	return out
}

// innerNAS strips a security protected header (TS 24.301 §9.1) when present;
// the captured uplink messages are integrity protected only or EEA0.
func innerNAS(b []byte) []byte {
	if b[0]&0x0f == 0x07 && b[0]>>4 != 0 {
		return b[6:]
	}
	return b
}

// TestGOLDAuthentication derives the captured AUTN from K, OPc, AMF, SQN and
// RAND, accepts the captured RES, and derives KASME and the NAS keys of both
// flows.
func TestGOLDAuthentication(t *testing.T) {
	for _, test := range goldTests {
		t.Run(test, func(t *testing.T) {
			s := goldSet(t, test)
			k, opc := [16]byte(s.get(t, "K")), [16]byte(s.get(t, "OPc"))
			amf, rand, snid := [2]byte(s.get(t, "AMF")), [16]byte(s.get(t, "RAND")), [3]byte(s.get(t, "SNID"))
			sqn := getSQN(s.get(t, "SQN"))

			v, err := GenerateEUTRANVector(k, opc, amf, sqn, rand, snid)
			if err != nil {
				t.Fatal(err)
			}
			// The captured AUTHENTICATION REQUEST (TS 24.301 §8.2.7): octets
			// 4-19 RAND, octet 20 the AUTN length (16), then AUTN.
			rows := goldNAS(t, test, "DL expected authentication_request")
			req := unhex(t, rows[0].Hex)
			if len(req) != 36 || req[1] != 0x52 || req[19] != 16 {
				t.Fatalf("unexpected AUTHENTICATION REQUEST %x", req)
			}
			if !bytes.Equal(req[3:19], rand[:]) {
				t.Fatalf("captured RAND %x, crypto.tsv RAND %x", req[3:19], rand)
			}
			if !bytes.Equal(req[20:36], v.AUTN[:]) {
				t.Errorf("AUTN = %x, captured %x", v.AUTN, req[20:36])
			}
			autn, err := ParseAUTN(req[20:36])
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(autn.SQNXorAK[:], xorBytes(s.get(t, "SQN"), s.get(t, "AK"))) {
				t.Errorf("AUTN SQN⊕AK %x differs from SQN %x ⊕ AK %x", autn.SQNXorAK, s.get(t, "SQN"), s.get(t, "AK"))
			}

			// The captured AUTHENTICATION RESPONSE (TS 24.301 §8.2.8): RES is
			// an LV after the message type.
			rows = goldNAS(t, test, "UL authentication_response")
			rsp := innerNAS(unhex(t, rows[0].Hex))
			if len(rsp) < 3 || rsp[1] != 0x53 || int(rsp[2]) != len(rsp)-3 {
				t.Fatalf("unexpected AUTHENTICATION RESPONSE %x", rsp)
			}
			if !bytes.Equal(rsp[3:], v.XRES) || !bytes.Equal(v.XRES, s.get(t, "RES")) {
				t.Errorf("XRES = %x, captured RES %x", v.XRES, rsp[3:])
			}

			// The UE side reaches the same RES and K_ASME from the captured
			// RAND and AUTN.
			u := NewUSIM(k, opc, USIMConfig{})
			r, err := u.Authenticate([16]byte(req[3:19]), [16]byte(req[20:36]), snid)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(r.RES, rsp[3:]) {
				t.Errorf("USIM RES = %x, captured %x", r.RES, rsp[3:])
			}
			if !bytes.Equal(r.CK[:], s.get(t, "CK")) || !bytes.Equal(r.IK[:], s.get(t, "IK")) {
				t.Errorf("CK/IK = %x/%x, want %x/%x", r.CK, r.IK, s.get(t, "CK"), s.get(t, "IK"))
			}
			if !bytes.Equal(v.KASME[:], s.get(t, "KASME")) || r.KASME != v.KASME {
				t.Errorf("KASME = %x (USIM %x), want %x", v.KASME, r.KASME, s.get(t, "KASME"))
			}
			eea, eia := EEA(s.get(t, "NAS_ALGS")[0]>>4), EIA(s.get(t, "NAS_ALGS")[0]&0x0f)
			enc, integ := DeriveNASKeys(v.KASME, eea, eia)
			if !bytes.Equal(enc[:], s.get(t, "KNASenc")) || !bytes.Equal(integ[:], s.get(t, "KNASint")) {
				t.Errorf("K_NASenc/K_NASint = %x/%x, want %x/%x", enc, integ, s.get(t, "KNASenc"), s.get(t, "KNASint"))
			}
		})
	}
}

func xorBytes(a, b []byte) []byte {
	out := make([]byte, len(a))
	for i := range a {
		out[i] = a[i] ^ b[i]
	}
	return out
}
