package security

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/lte-mme/mme/nas"
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

// goldContexts returns the MME's and the UE's NAS security contexts of a GOLD
// flow after its SECURITY MODE COMMAND: K_ASME from the vector, KSI 0
// native, EEA0 and 128-EIA1 (the SMC's NAS security algorithms), COUNTs 0.
func goldContexts(t *testing.T, s cryptoSet) (mme, ue *Context) {
	t.Helper()
	k, opc := [16]byte(s.get(t, "K")), [16]byte(s.get(t, "OPc"))
	v, err := GenerateEUTRANVector(k, opc, [2]byte(s.get(t, "AMF")), getSQN(s.get(t, "SQN")), [16]byte(s.get(t, "RAND")), [3]byte(s.get(t, "SNID")))
	if err != nil {
		t.Fatal(err)
	}
	algs := s.get(t, "NAS_ALGS")[0]
	p := Params{Role: RoleMME, KSI: KSI{Value: 0}, KASME: v.KASME, EEA: EEA(algs >> 4), EIA: EIA(algs & 7)}
	if mme, err = NewContext(p); err != nil {
		t.Fatal(err)
	}
	p.Role = RoleUE
	if ue, err = NewContext(p); err != nil {
		t.Fatal(err)
	}
	return mme, ue
}

// TestGOLDNASMAC reproduces the downlink NAS-MACs and verifies the uplink
// ones of both GOLD flows (vectors README "GOLD rows"), in flow order so the
// COUNTs follow the captured sequence numbers, and derives the K_eNB of the
// captured INITIAL CONTEXT SETUP REQUEST.
func TestGOLDNASMAC(t *testing.T) {
	for _, test := range goldTests {
		t.Run(test, func(t *testing.T) {
			s := goldSet(t, test)
			mme, ue := goldContexts(t, s)
			one := func(tag string) []byte {
				t.Helper()
				rows := goldNAS(t, test, tag)
				if len(rows) != 1 {
					t.Fatalf("%d GOLD rows for %s %s", len(rows), test, tag)
				}
				return unhex(t, rows[0].Hex)
			}

			// The MME protects the captured plain DL messages and gets the
			// captured bytes (MAC included): SMC with the new-context header
			// type 3 at DL COUNT 0, ESM INFORMATION REQUEST at 1.
			for _, c := range []struct {
				tag   string
				sht   nas.SecurityHeaderType
				count Count
			}{
				{"DL expected security_mode_command", nas.IntegrityProtectedNewContext, 0},
				{"DL expected esm_information_request", nas.IntegrityProtectedCiphered, 1},
			} {
				want := one(c.tag)
				if mme.DLCount() != c.count || want[5] != byte(c.count) {
					t.Fatalf("%s: DL COUNT %d, captured SQN %d, want %d", c.tag, mme.DLCount(), want[5], c.count)
				}
				got, err := mme.Protect(nil, want[6:], c.sht)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(got, want) {
					t.Errorf("%s:\n got %x\nwant %x", c.tag, got, want)
				}
				// The UE accepts it.
				plain, r, err := ue.Unprotect(nil, want)
				if err != nil || !bytes.Equal(plain, want[6:]) || r.Count != c.count || r.Header != c.sht {
					t.Errorf("%s: UE Unprotect = %x %+v %v", c.tag, plain, r, err)
				}
			}

			// The ATTACH REQUEST and AUTHENTICATION RESPONSE come before the
			// new context. In attach_test1 they are integrity protected
			// (header type 1) with the UE's earlier context: the new one
			// rejects them and stays unchanged, which is where an MME
			// authenticates (TS 24.301 §4.4.4.3). In attach_test3 they are
			// plain, and Unprotect refuses them as not protected.
			for _, tag := range []string{"UL initial_ue_msg", "UL authentication_response"} {
				pdu := one(tag)
				_, _, err := mme.Unprotect(nil, pdu)
				if pdu[0]>>4 == 0 {
					if !errors.Is(err, ErrMalformed) || !errors.Is(err, nas.ErrNotSecurityProtected) {
						t.Errorf("plain %s: err = %v, want ErrMalformed/nas.ErrNotSecurityProtected", tag, err)
					}
				} else if !errors.Is(err, ErrIntegrity) {
					t.Errorf("%s with the new context: err = %v, want ErrIntegrity", tag, err)
				}
			}
			if mme.ULCount() != 0 {
				t.Fatalf("UL COUNT moved to %d on rejected messages", mme.ULCount())
			}

			// The UE's uplink messages verify at the MME, in order, with UL
			// COUNT = captured SQN: SECURITY MODE COMPLETE (type 4, new
			// context), ESM INFORMATION RESPONSE, ATTACH COMPLETE. The UE
			// context reproduces them byte for byte.
			var smcCompleteCount Count
			for _, c := range []struct {
				tag   string
				sht   nas.SecurityHeaderType
				count Count
			}{
				{"UL security_mode_complete", nas.IntegrityProtectedCipheredNewContext, 0},
				{"UL esm_information_response", nas.IntegrityProtectedCiphered, 1},
				{"UL attach_complete", nas.IntegrityProtectedCiphered, 2},
			} {
				pdu := one(c.tag)
				own, err := ue.Protect(nil, pdu[6:], c.sht)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(own, pdu) {
					t.Errorf("%s: UE Protect\n got %x\nwant %x", c.tag, own, pdu)
				}
				plain, r, err := mme.Unprotect(nil, pdu)
				if err != nil {
					t.Fatalf("%s: %v", c.tag, err)
				}
				if r.Count != c.count || r.Header != c.sht || !bytes.Equal(plain, pdu[6:]) {
					t.Errorf("%s: got COUNT %d header %v plain %x", c.tag, r.Count, r.Header, plain)
				}
				if c.sht == nas.IntegrityProtectedCipheredNewContext {
					smcCompleteCount = r.Count
				}
				// Accepted once only.
				if _, _, err := mme.Unprotect(nil, pdu); !errors.Is(err, ErrIntegrity) {
					t.Errorf("%s replayed: err = %v, want ErrIntegrity", c.tag, err)
				}
			}

			// K_eNB with the UL NAS COUNT of the SECURITY MODE COMPLETE (0)
			// equals the SecurityKey IE of the captured INITIAL CONTEXT SETUP
			// REQUEST (and crypto.tsv's KENB).
			kenb := mme.KENB(smcCompleteCount)
			if !bytes.Equal(kenb[:], s.get(t, "KENB")) {
				t.Errorf("K_eNB = %x, crypto.tsv %x", kenb, s.get(t, "KENB"))
			}
			ics := goldICS(t, test)
			key := s1apIE(t, ics, 73) // id-SecurityKey
			if !bytes.Equal(kenb[:], key) {
				t.Errorf("K_eNB = %x, captured SecurityKey IE %x", kenb, key)
			}

			// The DL ATTACH ACCEPT (inside that ICS Request, DL COUNT 2) and
			// EMM INFORMATION (DL COUNT 3) do NOT verify (vectors README,
			// "GOLD rows"): Open5GS's test compares those two expectations
			// with its MME's output only in part, so their hex was never
			// required to be what the MME protected; it holds per-run
			// contents (EMM INFORMATION carries the network's universal time)
			// under a MAC computed over other bytes. Our MAC over the
			// captured bytes must differ from the captured MAC, while the
			// header type and sequence number follow the flow.
			for _, c := range []struct {
				tag   string
				count Count
			}{
				{"DL expected initial_context_setup_request", 2},
				{"DL expected emm_information", 3},
			} {
				pdu := one(c.tag)
				if pdu[5] != byte(c.count) || mme.DLCount() != c.count {
					t.Fatalf("%s: captured SQN %d, DL COUNT %d, want %d", c.tag, pdu[5], mme.DLCount(), c.count)
				}
				got, err := mme.Protect(nil, pdu[6:], nas.SecurityHeaderType(pdu[0]>>4))
				if err != nil {
					t.Fatal(err)
				}
				if bytes.Equal(got[1:5], pdu[1:5]) {
					t.Errorf("%s: NAS-MAC %x verifies, but the README says it does not", c.tag, got[1:5])
				}
				if !bytes.Equal(got[5:], pdu[5:]) {
					t.Errorf("%s: differs outside the MAC", c.tag)
				}
				if _, _, err := ue.Unprotect(nil, pdu); !errors.Is(err, ErrIntegrity) {
					t.Errorf("%s: UE Unprotect err = %v, want ErrIntegrity", c.tag, err)
				}
			}
			// The ATTACH ACCEPT carried in the ICS Request is the nas.tsv row.
			if acc := one("DL expected initial_context_setup_request"); !bytes.Contains(ics, acc) {
				t.Errorf("ICS Request does not carry the ATTACH ACCEPT row")
			}
		})
	}
}

// goldICS returns the captured INITIAL CONTEXT SETUP REQUEST of a GOLD flow
// from s1ap.tsv.
func goldICS(t *testing.T, test string) []byte {
	t.Helper()
	for _, r := range readTSV(t, "s1ap.tsv") {
		if strings.HasPrefix(r.Name, "InitialContextSetupRequest#") && strings.Contains(r.Notes, "GOLD: Open5GS tests/epc/attach-test.c "+test+" ") {
			return unhex(t, r.Hex)
		}
	}
	t.Fatalf("s1ap.tsv: no GOLD InitialContextSetupRequest for %s", test)
	return nil
}

// s1apIE returns the value of protocol IE id in an S1AP initiating message
// (TS 36.413 §9.3, APER): a minimal walk of the IE container, enough to read
// the fixed-size SecurityKey (BIT STRING SIZE(256), 32 octets without a
// length) without the S1AP codec.
func s1apIE(t *testing.T, pdu []byte, id uint16) []byte {
	t.Helper()
	length := func(b []byte) (n, size int) {
		// APER length determinant (X.691 §11.9): one octet below 128,
		// two octets (10xxxxxx) up to 16383.
		if b[0]&0x80 == 0 {
			return int(b[0]), 1
		}
		return int(b[0]&0x3f)<<8 | int(b[1]), 2
	}
	// Octet 1: CHOICE index (initiatingMessage); octet 2: procedureCode;
	// octet 3: criticality; then the open type's length and value.
	if len(pdu) < 5 || pdu[0] != 0x00 {
		t.Fatalf("not an initiating message: %x", pdu[:min(len(pdu), 5)])
	}
	_, sz := length(pdu[3:])
	b := pdu[3+sz:]
	// The message SEQUENCE: extension bit (and padding) octet, then the
	// number of IEs (16 bits).
	count := int(b[1])<<8 | int(b[2])
	b = b[3:]
	for range count {
		ieID := uint16(b[0])<<8 | uint16(b[1])
		n, sz := length(b[3:])
		v := b[3+sz : 3+sz+n]
		if ieID == id {
			return v
		}
		b = b[3+sz+n:]
	}
	t.Fatalf("IE %d not found", id)
	return nil
}
