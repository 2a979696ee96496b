package security

import (
	"fmt"
	"testing"

	"github.com/lte-mme/mme/nas"
)

// BenchmarkProtectUnprotect measures one downlink message protected by the
// MME and unprotected by the UE (integrity and ciphering, header type 2),
// 100-octet plain message. Target (issue #3): ≤ 2 µs for EIA2+EEA2.
func BenchmarkProtectUnprotect(b *testing.B) {
	for _, algs := range []struct {
		eea EEA
		eia EIA
	}{{EEA2, EIA2}, {EEA1, EIA1}, {EEA3, EIA3}, {EEA0, EIA2}} {
		b.Run(fmt.Sprintf("%v+%v/100B", algs.eia, algs.eea), func(b *testing.B) {
			mme, ue := pair(b, algs.eea, algs.eia, 0, 0)
			msg := plainMsg(100, 1)
			pduBuf := make([]byte, 0, 128)
			out := make([]byte, 0, 128)
			b.SetBytes(100)
			b.ReportAllocs()
			for b.Loop() {
				if mme.DLCount() == MaxCount {
					mme, ue = pair(b, algs.eea, algs.eia, 0, 0)
				}
				pdu, err := mme.Protect(pduBuf[:0], msg, nas.IntegrityProtectedCiphered)
				if err != nil {
					b.Fatal(err)
				}
				if _, _, err := ue.Unprotect(out[:0], pdu); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkGenerateEUTRANVector measures one authentication vector: Milenage
// f1-f5 and K_ASME. Target (issue #3): ≤ 3 µs.
func BenchmarkGenerateEUTRANVector(b *testing.B) {
	k := [16]byte{0x46, 0x5b, 0x5c, 0xe8}
	opc := [16]byte{0xe8, 0xed, 0x28, 0x9d}
	rand := [16]byte{0x20, 0x08, 0x0c, 0x38}
	snid := [3]byte{0x00, 0xf1, 0x10}
	b.ReportAllocs()
	sqn := uint64(0)
	for b.Loop() {
		sqn += 32
		if _, err := GenerateEUTRANVector(k, opc, [2]byte{0x80, 0}, sqn, rand, snid); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkUSIMAuthenticate measures the UE side of one EPS-AKA run (AUTN
// check, RES, CK, IK, K_ASME), the load tester's per-attach cost.
func BenchmarkUSIMAuthenticate(b *testing.B) {
	k, opc := [16]byte{0x46, 0x5b}, [16]byte{0xe8, 0xed}
	snid := [3]byte{0x00, 0xf1, 0x10}
	var vs []EUTRANVector
	for i := range 1024 {
		v, err := GenerateEUTRANVector(k, opc, [2]byte{0x80, 0}, uint64(i+1)<<5, [16]byte{byte(i), byte(i >> 8)}, snid)
		if err != nil {
			b.Fatal(err)
		}
		vs = append(vs, v)
	}
	b.ReportAllocs()
	i := 0
	u := NewUSIM(k, opc, USIMConfig{})
	for b.Loop() {
		if i == len(vs) {
			i, u = 0, NewUSIM(k, opc, USIMConfig{})
		}
		if _, err := u.Authenticate(vs[i].RAND, vs[i].AUTN, snid); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkDeriveKASMEAndNASKeys measures K_ASME (A.2) then K_NASenc and
// K_NASint (A.7): three HMAC-SHA-256. Target (issue #3): ≤ 3 µs.
func BenchmarkDeriveKASMEAndNASKeys(b *testing.B) {
	ck, ik := [16]byte{1}, [16]byte{2}
	snid := [3]byte{0x00, 0xf1, 0x10}
	sqnAK := [6]byte{1, 2, 3, 4, 5, 6}
	b.ReportAllocs()
	for b.Loop() {
		kasme := DeriveKASME(ck, ik, snid, sqnAK)
		enc, integ := DeriveNASKeys(kasme, EEA2, EIA2)
		ck[0], ik[0] = enc[0], integ[0]
	}
}

// BenchmarkDeriveKENB measures K_eNB (A.3), one HMAC-SHA-256.
func BenchmarkDeriveKENB(b *testing.B) {
	var kasme [32]byte
	b.ReportAllocs()
	for b.Loop() {
		k := DeriveKENB(kasme, 7)
		kasme[0] = k[0]
	}
}

// BenchmarkVerifyServiceRequest measures the MME's check of one SERVICE
// REQUEST short MAC with EIA2.
func BenchmarkVerifyServiceRequest(b *testing.B) {
	mme, ue := pair(b, EEA2, EIA2, 0, 0)
	srs := make([][]byte, 4096)
	for i := range srs {
		srs[i], _, _ = ue.ProtectServiceRequest(nil)
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == len(srs) {
			i, mme = 0, mustContext(b, Params{Role: RoleMME, KSI: KSI{Value: 3}, KASME: testKASME, EEA: EEA2, EIA: EIA2})
		}
		if _, err := mme.VerifyServiceRequest(srs[i]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkContextLoad measures restoring a stored context (UnmarshalBinary:
// K_NASenc/K_NASint derivation and the AES key schedules), the cost of
// loading a subscriber's security context from the store.
func BenchmarkContextLoad(b *testing.B) {
	c := mustContext(b, Params{Role: RoleMME, KASME: testKASME, EEA: EEA2, EIA: EIA2})
	stored, _ := c.MarshalBinary()
	var r Context
	b.ReportAllocs()
	for b.Loop() {
		if err := r.UnmarshalBinary(stored); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkContextStore measures MarshalBinary into a reused buffer.
func BenchmarkContextStore(b *testing.B) {
	c := mustContext(b, Params{Role: RoleMME, KASME: testKASME, EEA: EEA2, EIA: EIA2})
	buf := make([]byte, 0, StoredLen)
	b.ReportAllocs()
	for b.Loop() {
		buf, _ = c.AppendBinary(buf[:0])
	}
}

func mustContext(t testing.TB, p Params) *Context {
	t.Helper()
	c, err := NewContext(p)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
