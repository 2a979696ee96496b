package security

import (
	"bytes"
	"errors"
	"testing"
)

// TestMilenageTS35208 checks every Milenage function against TS 35.208 test
// sets 1-20 (crypto.tsv milenage/*): OPc from OP, f1, f1*, f2, f3, f4, f5,
// f5*, and the composed APIs (vector generation, resynchronisation, USIM).
func TestMilenageTS35208(t *testing.T) {
	sets := cryptoSets(t, "milenage/")
	if len(sets) != 20 {
		t.Fatalf("%d Milenage sets in crypto.tsv, want 20", len(sets))
	}
	for _, s := range sets {
		t.Run(s.Name, func(t *testing.T) {
			k := [16]byte(s.get(t, "K"))
			op := [16]byte(s.get(t, "OP"))
			rand := [16]byte(s.get(t, "RAND"))
			sqn := getSQN(s.get(t, "SQN"))
			amf := [2]byte(s.get(t, "AMF"))

			opc := DeriveOPc(k, op)
			if want := s.get(t, "OPc"); !bytes.Equal(opc[:], want) {
				t.Fatalf("OPc = %x, want %x", opc, want)
			}
			out, err := ComputeMilenage(k, opc, rand, sqn, amf)
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct {
				field string
				got   []byte
			}{
				{"f1_MAC-A", out.MACA[:]},
				{"f1star_MAC-S", out.MACS[:]},
				{"f2_RES", out.RES[:]},
				{"f3_CK", out.CK[:]},
				{"f4_IK", out.IK[:]},
				{"f5_AK", out.AK[:]},
				{"f5star_AK-S", out.AKS[:]},
			} {
				if want := s.get(t, c.field); !bytes.Equal(c.got, want) {
					t.Errorf("%s = %x, want %x", c.field, c.got, want)
				}
			}

			// The AUTS a USIM with SQN_MS = sqn would send, per TS 33.102
			// §6.3.3: f1* here used the set's AMF, so recompute MAC-S with
			// AMF 0 through the USIM and check the HSS side recovers SQN.
			var auts AUTS
			for i := range 6 {
				auts.SQNMSXorAKS[i] = s.get(t, "SQN")[i] ^ out.AKS[i]
			}
			// With the set's own AMF, MAC-S is the vector's f1*; ResynchronizeSQN
			// uses AMF 0, so it must reject unless AMF is 0.
			copy(auts.MACS[:], out.MACS[:])
			_, err = ResynchronizeSQN(k, opc, rand, auts.Bytes())
			if amf == ([2]byte{}) {
				if err != nil {
					t.Errorf("ResynchronizeSQN with AMF 0: %v", err)
				}
			} else if !errors.Is(err, ErrMACSFailure) {
				t.Errorf("ResynchronizeSQN with f1* over AMF %x: err = %v, want ErrMACSFailure", amf, err)
			}

			// Vector generation where the AMF separation bit allows it.
			if amf[0]&AMFSeparationBit != 0 {
				snid := [3]byte{0x00, 0xf1, 0x10}
				v, err := GenerateEUTRANVector(k, opc, amf, sqn, rand, snid)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(v.XRES, out.RES[:]) {
					t.Errorf("XRES = %x, want %x", v.XRES, out.RES)
				}
				var sqnAK [6]byte
				for i := range 6 {
					sqnAK[i] = s.get(t, "SQN")[i] ^ out.AK[i]
				}
				if !bytes.Equal(v.AUTN[:6], sqnAK[:]) || !bytes.Equal(v.AUTN[6:8], amf[:]) || !bytes.Equal(v.AUTN[8:], out.MACA[:]) {
					t.Errorf("AUTN = %x, want %x|%x|%x", v.AUTN, sqnAK, amf, out.MACA)
				}
				if want := DeriveKASME(out.CK, out.IK, snid, sqnAK); v.KASME != want {
					t.Errorf("KASME = %x, want %x", v.KASME, want)
				}
				u := NewUSIM(k, opc, USIMConfig{})
				r, err := u.Authenticate(rand, v.AUTN, snid)
				if err != nil {
					t.Fatalf("USIM: %v", err)
				}
				if !bytes.Equal(r.RES, out.RES[:]) || r.CK != out.CK || r.IK != out.IK || r.KASME != v.KASME || r.SQN != sqn {
					t.Errorf("USIM result %+v differs from the vector", r)
				}
			}
		})
	}
}

func TestDeriveOPcMatchesGOLD(t *testing.T) {
	s := goldSet(t, "attach_test3")
	opc := DeriveOPc([16]byte(s.get(t, "K")), [16]byte(s.get(t, "OP")))
	if !bytes.Equal(opc[:], s.get(t, "OPc")) {
		t.Fatalf("OPc = %x, want %x", opc, s.get(t, "OPc"))
	}
}

func TestGenerateEUTRANVectorErrors(t *testing.T) {
	var k, opc, rand [16]byte
	snid := [3]byte{0x00, 0xf1, 0x10}
	if _, err := GenerateEUTRANVector(k, opc, [2]byte{0x80, 0}, MaxSQN+1, rand, snid); !errors.Is(err, ErrSQNRange) {
		t.Errorf("SQN 2^48: err = %v, want ErrSQNRange", err)
	}
	if _, err := GenerateEUTRANVector(k, opc, [2]byte{0x7f, 0xff}, 1, rand, snid); !errors.Is(err, ErrAMFSeparationBit) {
		t.Errorf("AMF 7fff: err = %v, want ErrAMFSeparationBit", err)
	}
	if _, err := ComputeMilenage(k, opc, rand, 1<<48, [2]byte{}); !errors.Is(err, ErrSQNRange) {
		t.Errorf("ComputeMilenage SQN 2^48: err = %v, want ErrSQNRange", err)
	}
}

// TestUSIMSequenceNumbers exercises TS 33.102 Annex C: freshness per IND,
// the Δ and L checks, synch failure with AUTS that the HSS side accepts, and
// MAC failure.
func TestUSIMSequenceNumbers(t *testing.T) {
	k := [16]byte{0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f, 0xaa, 0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc}
	opc := [16]byte{0xe8, 0xed, 0x28, 0x9d, 0xeb, 0xa9, 0x52, 0xe4, 0x28, 0x3b, 0x54, 0xe8, 0x8e, 0x61, 0x83, 0xca}
	snid := [3]byte{0x00, 0xf1, 0x10}
	amf := [2]byte{0x80, 0x00}
	vec := func(sqn uint64, r byte) EUTRANVector {
		t.Helper()
		v, err := GenerateEUTRANVector(k, opc, amf, sqn, [16]byte{r, 1, 2, 3}, snid)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	auth := func(u *USIM, v EUTRANVector) error {
		t.Helper()
		r, err := u.Authenticate(v.RAND, v.AUTN, snid)
		if err == nil && (!bytes.Equal(r.RES, v.XRES) || r.KASME != v.KASME) {
			t.Fatalf("RES/KASME differ from the vector")
		}
		return err
	}

	u := NewUSIM(k, opc, USIMConfig{})
	// SEQ 2, IND 0 then SEQ 1, IND 1: different array elements, both fresh.
	if err := auth(u, vec(2<<5|0, 1)); err != nil {
		t.Fatal(err)
	}
	if err := auth(u, vec(1<<5|1, 2)); err != nil {
		t.Fatalf("older SEQ in another IND slot: %v", err)
	}
	if got := u.SQNMS(); got != 2<<5 {
		t.Fatalf("SQN_MS = %#x, want %#x", got, 2<<5)
	}
	// Replaying SEQ 2 IND 0 is a synch failure; the HSS recovers SQN_MS.
	v := vec(2<<5|0, 3)
	err := auth(u, v)
	var sf *SynchFailureError
	if !errors.As(err, &sf) || !errors.Is(err, ErrSynchFailure) {
		t.Fatalf("replayed SQN: err = %v, want *SynchFailureError", err)
	}
	sqnMS, err := ResynchronizeSQN(k, opc, v.RAND, sf.AUTS)
	if err != nil || sqnMS != 2<<5 {
		t.Fatalf("ResynchronizeSQN = %#x, %v; want %#x", sqnMS, err, 2<<5)
	}
	bad := sf.AUTS
	bad[13] ^= 1
	if _, err := ResynchronizeSQN(k, opc, v.RAND, bad); !errors.Is(err, ErrMACSFailure) {
		t.Fatalf("tampered AUTS: err = %v, want ErrMACSFailure", err)
	}
	// The wrong RAND breaks MAC-S too (it depends on RAND).
	if _, err := ResynchronizeSQN(k, opc, [16]byte{9}, sf.AUTS); !errors.Is(err, ErrMACSFailure) {
		t.Fatalf("AUTS with another RAND: err = %v, want ErrMACSFailure", err)
	}

	// A tampered MAC-A is a MAC failure and changes nothing.
	v = vec(3<<5, 4)
	v.AUTN[15] ^= 0x80
	if err := auth(u, v); !errors.Is(err, ErrMACFailure) {
		t.Fatalf("tampered AUTN: err = %v, want ErrMACFailure", err)
	}
	if err := auth(u, vec(3<<5, 5)); err != nil {
		t.Fatalf("SQN after a MAC failure: %v", err)
	}
	// AMF separation bit 0: the ME rejects before the USIM.
	v = vec(4<<5, 6)
	v.AUTN[6] &^= AMFSeparationBit
	if err := auth(u, v); !errors.Is(err, ErrNonEPSAuthentication) {
		t.Fatalf("AMF separation bit 0: err = %v, want ErrNonEPSAuthentication", err)
	}

	// Δ (C.2.1) and L (C.2.2).
	u = NewUSIM(k, opc, USIMConfig{Delta: 100, L: 10})
	if err := u.SetSQNMS(50 << 5); err != nil {
		t.Fatal(err)
	}
	if err := u.SetSQNMS(MaxSQN + 1); !errors.Is(err, ErrSQNRange) {
		t.Fatalf("SetSQNMS 2^48: %v", err)
	}
	if err := auth(u, vec(151<<5, 7)); !errors.Is(err, ErrSynchFailure) {
		t.Errorf("SEQ jump 101 > Δ 100: err = %v, want synch failure", err)
	}
	if err := auth(u, vec(150<<5, 8)); err != nil {
		t.Errorf("SEQ jump 100 = Δ: %v", err)
	}
	if err := auth(u, vec(140<<5|1, 9)); !errors.Is(err, ErrSynchFailure) {
		t.Errorf("SEQ 10 behind with L 10: err = %v, want synch failure", err)
	}
	if err := auth(u, vec(141<<5|1, 10)); err != nil {
		t.Errorf("SEQ 9 behind with L 10: %v", err)
	}

	// IND of 3 bits: 8 slots, SQN_MS names the slot of the highest SEQ.
	u = NewUSIM(k, opc, USIMConfig{INDBits: 3})
	if err := auth(u, vec(9<<3|7, 13)); err != nil {
		t.Fatal(err)
	}
	if err := auth(u, vec(4<<3|2, 14)); err != nil {
		t.Fatal(err)
	}
	if got := u.SQNMS(); got != 9<<3|7 {
		t.Fatalf("SQN_MS with IND 3 = %#x", got)
	}

	// Without IND, SQN must strictly increase.
	u = NewUSIM(k, opc, USIMConfig{INDBits: NoIND})
	if err := auth(u, vec(7, 11)); err != nil {
		t.Fatal(err)
	}
	if err := auth(u, vec(6, 12)); !errors.As(err, &sf) || sf.SQNMS != 7 {
		t.Fatalf("lower SQN without IND: err = %v, want synch failure with SQN_MS 7", err)
	}
}

func TestParseAUTNAUTS(t *testing.T) {
	b := make([]byte, 16)
	for i := range b {
		b[i] = byte(i)
	}
	a, err := ParseAUTN(b)
	if err != nil {
		t.Fatal(err)
	}
	if got := a.Bytes(); !bytes.Equal(got[:], b) || a.AMF != [2]byte{6, 7} {
		t.Fatalf("AUTN round trip %x", got)
	}
	if _, err := ParseAUTN(b[:15]); !errors.Is(err, ErrAUTNLength) {
		t.Fatalf("15-octet AUTN: err = %v", err)
	}
	s, err := ParseAUTS(b[:14])
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Bytes(); !bytes.Equal(got[:], b[:14]) {
		t.Fatalf("AUTS round trip %x", got)
	}
	if _, err := ParseAUTS(b); !errors.Is(err, ErrAUTSLength) {
		t.Fatalf("16-octet AUTS: err = %v", err)
	}
}
