package security

import (
	"bytes"
	"errors"
	"testing"
)

// TestKDF runs every kdf-* set of crypto.tsv (TS 33.401 Annex A; values from
// OAI and srsRAN, cross-checked by the vectors' authors).
func TestKDF(t *testing.T) {
	counts := map[string]int{}
	t.Run("kasme", func(t *testing.T) {
		for _, s := range cryptoSets(t, "kdf-kasme/") {
			counts["kasme"]++
			t.Run(s.Name, func(t *testing.T) {
				got := DeriveKASME([16]byte(s.get(t, "CK")), [16]byte(s.get(t, "IK")), [3]byte(s.get(t, "SNID")),
					[6]byte(xorBytes(s.get(t, "SQN"), s.get(t, "AK"))))
				if want := s.get(t, "KASME"); !bytes.Equal(got[:], want) {
					t.Fatalf("KASME = %x, want %x", got, want)
				}
			})
		}
	})
	t.Run("kenb", func(t *testing.T) {
		for _, s := range cryptoSets(t, "kdf-kenb/") {
			counts["kenb"]++
			t.Run(s.Name, func(t *testing.T) {
				got := DeriveKENB([32]byte(s.get(t, "KASME")), s.u32(t, "UL_NAS_COUNT"))
				if want := s.get(t, "KENB"); !bytes.Equal(got[:], want) {
					t.Fatalf("K_eNB = %x, want %x", got, want)
				}
			})
		}
	})
	t.Run("knas", func(t *testing.T) {
		for _, s := range cryptoSets(t, "kdf-knas/") {
			counts["knas"]++
			t.Run(s.Name, func(t *testing.T) {
				kasme := [32]byte(s.get(t, "KASME"))
				// The OAI sets use one algorithm id for both keys; the
				// srsRAN set names them (EEA0, EIA1) in the field.
				encAlg, intAlg := uint8(0), uint8(1)
				encWant, intWant := s.Fields["KNASENC_256_EEA0"], s.Fields["KNASINT_256_EIA1"]
				if id, ok := s.Fields["ALG_ID"]; ok {
					encAlg, intAlg = id[0], id[0]
					encWant, intWant = s.get(t, "KNASENC_256"), s.get(t, "KNASINT_256")
				}
				if encWant == nil || intWant == nil {
					t.Fatalf("set has neither ALG_ID nor named outputs: %v", s.Fields)
				}
				enc256 := DeriveAlgorithmKey(kasme, NASEncAlg, encAlg)
				int256 := DeriveAlgorithmKey(kasme, NASIntAlg, intAlg)
				if !bytes.Equal(enc256[:], encWant) || !bytes.Equal(int256[:], intWant) {
					t.Fatalf("256-bit K_NASenc/K_NASint = %x/%x, want %x/%x", enc256, int256, encWant, intWant)
				}
				enc, integ := DeriveNASKeys(kasme, EEA(encAlg), EIA(intAlg))
				if !bytes.Equal(enc[:], encWant[16:]) || !bytes.Equal(integ[:], intWant[16:]) {
					t.Fatalf("128-bit K_NASenc/K_NASint = %x/%x, want the last 16 octets of %x/%x", enc, integ, encWant, intWant)
				}
			})
		}
	})
	t.Run("as", func(t *testing.T) {
		for _, s := range cryptoSets(t, "kdf-as/") {
			counts["as"]++
			t.Run(s.Name, func(t *testing.T) {
				kenb := [32]byte(s.get(t, "KENB"))
				for _, c := range []struct {
					field string
					d     AlgorithmTypeDistinguisher
					alg   uint8
				}{
					{"KRRCENC_256_EEA0", RRCEncAlg, 0},
					{"KRRCINT_256_EIA2", RRCIntAlg, 2},
					{"KUPENC_256_EEA0", UPEncAlg, 0},
					{"KUPINT_256_EIA2", UPIntAlg, 2},
				} {
					if got := DeriveAlgorithmKey(kenb, c.d, c.alg); !bytes.Equal(got[:], s.get(t, c.field)) {
						t.Errorf("%s = %x, want %x", c.field, got, s.get(t, c.field))
					}
				}
				rrcEnc, rrcInt, upEnc := DeriveASKeys(kenb, EEA0, EIA2)
				if !bytes.Equal(rrcEnc[:], s.get(t, "KRRCENC_256_EEA0")[16:]) ||
					!bytes.Equal(rrcInt[:], s.get(t, "KRRCINT_256_EIA2")[16:]) ||
					!bytes.Equal(upEnc[:], s.get(t, "KUPENC_256_EEA0")[16:]) {
					t.Errorf("DeriveASKeys = %x %x %x", rrcEnc, rrcInt, upEnc)
				}
			})
		}
	})
	t.Run("kenbstar", func(t *testing.T) {
		for _, s := range cryptoSets(t, "kdf-kenbstar/") {
			counts["kenbstar"]++
			t.Run(s.Name, func(t *testing.T) {
				got, err := DeriveKENBStar([32]byte(s.get(t, "KENB")), uint16(s.u32(t, "PCI")), s.u32(t, "EARFCN_DL"))
				if err != nil {
					t.Fatal(err)
				}
				if want := s.get(t, "KENB_STAR"); !bytes.Equal(got[:], want) {
					t.Fatalf("K_eNB* = %x, want %x", got, want)
				}
			})
		}
	})
	t.Run("nh", func(t *testing.T) {
		for _, s := range cryptoSets(t, "kdf-nh/") {
			counts["nh"]++
			t.Run(s.Name, func(t *testing.T) {
				got := DeriveNH([32]byte(s.get(t, "KASME")), [32]byte(s.get(t, "SYNC_INPUT")))
				if want := s.get(t, "NH"); !bytes.Equal(got[:], want) {
					t.Fatalf("NH = %x, want %x", got, want)
				}
			})
		}
	})
	// README: kasme 7, kenb 7, knas 10, as 1, kenbstar 1, nh 1.
	for fam, want := range map[string]int{"kasme": 7, "kenb": 7, "knas": 10, "as": 1, "kenbstar": 1, "nh": 1} {
		if counts[fam] != want {
			t.Errorf("kdf-%s: %d sets, want %d", fam, counts[fam], want)
		}
	}
}

// TestDeriveKENBStarEARFCN checks the EARFCN-DL encoding of TS 33.401 A.5:
// 2 octets up to 65535, 3 above, an error past 262143.
func TestDeriveKENBStarEARFCN(t *testing.T) {
	var k [32]byte
	a, _ := DeriveKENBStar(k, 1, 65535)
	b, _ := DeriveKENBStar(k, 1, 65536)
	want2 := kdf(k[:], fcKENBStar, []byte{0, 1}, []byte{0xff, 0xff})
	want3 := kdf(k[:], fcKENBStar, []byte{0, 1}, []byte{0x01, 0x00, 0x00})
	if a != want2 || b != want3 {
		t.Fatalf("EARFCN encoding: %x %x", a, b)
	}
	if _, err := DeriveKENBStar(k, 1, MaxEARFCN+1); !errors.Is(err, ErrEARFCNRange) {
		t.Fatalf("EARFCN 262144: %v", err)
	}
}
