package security

import (
	"bytes"
	"errors"
	"testing"

	"github.com/lte-mme/mme/nas"
)

// fuzzContexts are fixed contexts for the fuzz targets: an MME and a UE with
// EEA2+EIA2, and an MME with EIA0 (no MAC check) so that arbitrary input
// reaches the deciphering path.
func fuzzContexts(t testing.TB) (mme, ue, mmeEIA0 *Context) {
	mme, ue = pair(t, EEA2, EIA2, 0x1fe, 0x1fe)
	mmeEIA0, err := NewContext(Params{Role: RoleMME, KASME: testKASME, EEA: EEA2, EIA: EIA0, AllowEIA0: true})
	if err != nil {
		t.Fatal(err)
	}
	return mme, ue, mmeEIA0
}

// FuzzUnprotect feeds arbitrary bytes to Unprotect and VerifyServiceRequest
// in both roles: no panic, errors leave the context unchanged, and accepted
// messages move the receive COUNT past their own. When the first octet is
// 0xff the rest is a plain message that the UE protects (header type from
// the second octet) and the MME must get back unchanged.
func FuzzUnprotect(f *testing.F) {
	for _, r := range readTSV(f, "nas.tsv") {
		f.Add(unhex(f, r.Hex))
	}
	f.Add([]byte{0xff, 0x02, 0x07, 0x5e})
	f.Add([]byte{0xff, 0x01, 0x07, 0x41, 0x71, 0x08, 0x09})
	f.Add([]byte{0xc7, 0x61, 0x12, 0x34})
	f.Fuzz(func(t *testing.T, b []byte) {
		mme, ue, mmeEIA0 := fuzzContexts(t)
		if len(b) >= 2 && b[0] == 0xff {
			sht := nas.SecurityHeaderType(b[1]%2*1 + 1) // 1 or 2
			if b[1]&0x80 != 0 {
				sht += 2 // 3 or 4
			}
			pdu, err := ue.Protect(nil, b[2:], sht)
			if err != nil {
				t.Fatal(err)
			}
			plain, r, err := mme.Unprotect(nil, pdu)
			if len(b[2:]) < 2 {
				// TS 24.301 §7.2: too short for a message type.
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("%d-octet message: %v", len(b)-2, err)
				}
				return
			}
			if sht == nas.IntegrityProtectedNewContext {
				// Type 3 is downlink only.
				if !errors.Is(err, ErrHeaderType) {
					t.Fatalf("uplink type 3: %v", err)
				}
				return
			}
			if err != nil || !bytes.Equal(plain, b[2:]) || r.Count != 0x1fe || r.Header != sht {
				t.Fatalf("round trip: %x %+v %v", plain, r, err)
			}
			return
		}
		for _, c := range []*Context{mme, ue, mmeEIA0} {
			before := *c
			out, r, err := c.Unprotect([]byte{0xaa}, b)
			if err != nil {
				if !sameState(c, &before) {
					t.Fatalf("%v: failed Unprotect changed the context", c.Role())
				}
				if len(out) != 1 {
					t.Fatalf("failed Unprotect returned %x", out)
				}
				continue
			}
			if len(out) != 1+len(b)-nas.SecurityProtectedHeaderLen || r.Count < *before.rx() || *c.rx() != r.Count+1 {
				t.Fatalf("%v accepted %x: out %d octets, COUNT %d, rx %d -> %d", c.Role(), b, len(out), r.Count, *before.rx(), *c.rx())
			}
			if c.eia != EIA0 {
				t.Logf("accepted a forged MAC? %x", b) // 2^-32 per try
			}
		}
		for _, c := range []*Context{mme, mmeEIA0} {
			before := *c
			count, err := c.VerifyServiceRequest(b)
			if err != nil {
				if !sameState(c, &before) {
					t.Fatal("failed VerifyServiceRequest changed the context")
				}
				continue
			}
			if count < before.ul || c.ul != count+1 || count&0x1f != Count(b[1]&0x1f) {
				t.Fatalf("SR %x accepted with COUNT %d (UL %d -> %d)", b, count, before.ul, c.ul)
			}
		}
	})
}

// FuzzParseAUTN: the AUTN parser takes any input without panicking, accepts
// exactly 16 octets and round-trips them; the USIM checks the parsed AUTN
// against a fixed RAND (a MAC failure almost always).
func FuzzParseAUTN(f *testing.F) {
	for _, s := range goldTests {
		for _, r := range goldNAS(f, s, "DL expected authentication_request") {
			f.Add(unhex(f, r.Hex)[20:])
		}
	}
	f.Add([]byte{})
	f.Add(make([]byte, 17))
	u := NewUSIM([16]byte{1}, [16]byte{2}, USIMConfig{})
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseAUTN(b)
		if len(b) != 16 {
			if !errors.Is(err, ErrAUTNLength) {
				t.Fatalf("%d octets: %v", len(b), err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := a.Bytes(); !bytes.Equal(got[:], b) {
			t.Fatalf("round trip %x", got)
		}
		_, err = u.Authenticate([16]byte{3}, a.Bytes(), [3]byte{0x00, 0xf1, 0x10})
		if err != nil && !errors.Is(err, ErrMACFailure) && !errors.Is(err, ErrNonEPSAuthentication) && !errors.Is(err, ErrSynchFailure) {
			t.Fatalf("Authenticate: %v", err)
		}
	})
}

// FuzzParseAUTS: the AUTS parser takes any input, accepts exactly 14 octets
// and round-trips them; the HSS side rejects a forged MAC-S.
func FuzzParseAUTS(f *testing.F) {
	f.Add(make([]byte, 14))
	f.Add([]byte{1, 2, 3})
	k, opc := [16]byte{1}, [16]byte{2}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := ParseAUTS(b)
		if len(b) != 14 {
			if !errors.Is(err, ErrAUTSLength) {
				t.Fatalf("%d octets: %v", len(b), err)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		if got := a.Bytes(); !bytes.Equal(got[:], b) {
			t.Fatalf("round trip %x", got)
		}
		sqn, err := ResynchronizeSQN(k, opc, [16]byte{3}, a.Bytes())
		if err == nil && sqn > MaxSQN {
			t.Fatalf("SQN_MS %#x exceeds 48 bits", sqn)
		}
		if err != nil && !errors.Is(err, ErrMACSFailure) {
			t.Fatalf("ResynchronizeSQN: %v", err)
		}
	})
}

// FuzzUnmarshalBinary: a stored context is either rejected with
// ErrCorruptContext or restored and marshals back to the same octets.
func FuzzUnmarshalBinary(f *testing.F) {
	mme, ue, e0 := fuzzContexts(f)
	for _, c := range []*Context{mme, ue, e0} {
		b, _ := c.MarshalBinary()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Context
		if err := c.UnmarshalBinary(b); err != nil {
			if !errors.Is(err, ErrCorruptContext) {
				t.Fatalf("error %v is not ErrCorruptContext", err)
			}
			return
		}
		out, err := c.MarshalBinary()
		if err != nil || !bytes.Equal(out, b) {
			t.Fatalf("round trip %x -> %x, %v", b, out, err)
		}
	})
}

// sameState compares what a context is (keys, algorithms, COUNTs), not its
// scratch buffers.
func sameState(a, b *Context) bool {
	return a.role == b.role && a.ksi == b.ksi && a.kasme == b.kasme && a.eea == b.eea && a.eia == b.eia &&
		a.allowEIA0 == b.allowEIA0 && a.ul == b.ul && a.dl == b.dl && a.knasEnc == b.knasEnc && a.knasInt == b.knasInt
}
