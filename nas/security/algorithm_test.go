package security

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"testing"

	"github.com/emmansun/gmsm/zuc"
	"github.com/free5gc/nas/security/snow3g"
)

// TestEEA runs every 128-EEA1/2/3 set of crypto.tsv (TS 33.401 Annex C.1,
// C.3 and the EEA3 implementors' test data) both ways.
func TestEEA(t *testing.T) {
	for _, fam := range []struct {
		prefix string
		alg    EEA
		sets   int
	}{{"128-EEA1/", EEA1, 5}, {"128-EEA2/", EEA2, 6}, {"128-EEA3/", EEA3, 5}} {
		sets := cryptoSets(t, fam.prefix)
		if len(sets) != fam.sets {
			t.Fatalf("%s: %d sets, want %d", fam.prefix, len(sets), fam.sets)
		}
		for _, s := range sets {
			t.Run(s.Name, func(t *testing.T) {
				key := [16]byte(s.get(t, "KEY"))
				count, bearer, dir := s.u32(t, "COUNT"), uint8(s.u32(t, "BEARER")), Direction(s.u32(t, "DIRECTION"))
				bits := int(s.u32(t, "LENGTH"))
				n := (bits + 7) / 8
				plain, want := s.get(t, "PLAINTEXT")[:n], s.get(t, "CIPHERTEXT")[:n]

				data := bytes.Clone(plain)
				if err := CipherBits(fam.alg, key, count, bearer, dir, data, bits); err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(data, want) {
					t.Fatalf("ciphertext\n got %x\nwant %x", data, want)
				}
				if err := CipherBits(fam.alg, key, count, bearer, dir, data, bits); err != nil {
					t.Fatal(err)
				}
				wantPlain := bytes.Clone(plain)
				if r := bits % 8; r != 0 {
					wantPlain[n-1] &= ^byte(0xff >> r)
				}
				if !bytes.Equal(data, wantPlain) {
					t.Fatalf("deciphered\n got %x\nwant %x", data, wantPlain)
				}
				// The octet API agrees with the bit API on whole octets.
				if bits%8 == 0 {
					data = bytes.Clone(plain)
					if err := Cipher(fam.alg, key, count, bearer, dir, data); err != nil || !bytes.Equal(data, want) {
						t.Fatalf("Cipher: %x, %v", data, err)
					}
				}
			})
		}
	}
}

// TestEIA runs every 128-EIA1/2/3 set of crypto.tsv (TS 33.401 Annex C.2,
// C.4, OAI's EIA1 set 7 and the EIA3 implementors' test data).
func TestEIA(t *testing.T) {
	for _, fam := range []struct {
		prefix string
		alg    EIA
		sets   int
	}{{"128-EIA1/", EIA1, 7}, {"128-EIA2/", EIA2, 8}, {"128-EIA3/", EIA3, 5}} {
		sets := cryptoSets(t, fam.prefix)
		if len(sets) != fam.sets {
			t.Fatalf("%s: %d sets, want %d", fam.prefix, len(sets), fam.sets)
		}
		for _, s := range sets {
			t.Run(s.Name, func(t *testing.T) {
				key := [16]byte(s.get(t, "KEY"))
				count, bearer, dir := s.u32(t, "COUNT"), uint8(s.u32(t, "BEARER")), Direction(s.u32(t, "DIRECTION"))
				bits := int(s.u32(t, "LENGTH"))
				msg := s.get(t, "MESSAGE")
				mac, err := MACBits(fam.alg, key, count, bearer, dir, msg, bits)
				if err != nil {
					t.Fatal(err)
				}
				if want := s.get(t, "MAC"); !bytes.Equal(mac[:], want) {
					t.Fatalf("MAC = %x, want %x", mac, want)
				}
				// Bits past LENGTH do not count.
				if r := bits % 8; r != 0 {
					m := bytes.Clone(msg)
					m[bits/8] ^= 0xff >> r
					if again, _ := MACBits(fam.alg, key, count, bearer, dir, m, bits); again != mac {
						t.Errorf("bits past LENGTH changed the MAC: %x", again)
					}
				}
				// Any change of an input changes the MAC.
				for _, alt := range []struct {
					name string
					f    func() ([4]byte, error)
				}{
					{"count", func() ([4]byte, error) { return MACBits(fam.alg, key, count+1, bearer, dir, msg, bits) }},
					{"bearer", func() ([4]byte, error) { return MACBits(fam.alg, key, count, bearer^1, dir, msg, bits) }},
					{"direction", func() ([4]byte, error) { return MACBits(fam.alg, key, count, bearer, dir^1, msg, bits) }},
				} {
					if got, err := alt.f(); err != nil || got == mac {
						t.Errorf("%s changed, MAC unchanged (%x, %v)", alt.name, got, err)
					}
				}
			})
		}
	}
}

func TestNullAlgorithms(t *testing.T) {
	key := [16]byte{1, 2, 3}
	mac, err := MAC(EIA0, key, 5, 0, Uplink, []byte("anything"))
	if err != nil || mac != ([4]byte{}) {
		t.Fatalf("EIA0 MAC = %x, %v; want zeros", mac, err)
	}
	data := []byte("plain text")
	if err := Cipher(EEA0, key, 5, 0, Downlink, data); err != nil || string(data) != "plain text" {
		t.Fatalf("EEA0 changed the data: %q, %v", data, err)
	}
}

func TestAlgorithmErrors(t *testing.T) {
	var key [16]byte
	msg := make([]byte, 4)
	if _, err := MAC(EIA(4), key, 0, 0, Uplink, msg); !errors.Is(err, ErrUnknownAlgorithm) {
		t.Errorf("EIA4: %v", err)
	}
	if err := Cipher(EEA(7), key, 0, 0, Uplink, msg); !errors.Is(err, ErrUnknownAlgorithm) {
		t.Errorf("EEA7: %v", err)
	}
	if _, err := MAC(EIA2, key, 0, 32, Uplink, msg); !errors.Is(err, ErrBearerRange) {
		t.Errorf("bearer 32: %v", err)
	}
	if err := Cipher(EEA2, key, 0, 32, Uplink, msg); !errors.Is(err, ErrBearerRange) {
		t.Errorf("bearer 32: %v", err)
	}
	if _, err := MACBits(EIA1, key, 0, 0, Uplink, msg, 33); !errors.Is(err, ErrBitLength) {
		t.Errorf("33 bits of 4 octets: %v", err)
	}
	if err := CipherBits(EEA3, key, 0, 0, Uplink, msg, -1); !errors.Is(err, ErrBitLength) {
		t.Errorf("-1 bits: %v", err)
	}
	for _, a := range []EIA{EIA0, EIA1, EIA2, EIA3} {
		if _, err := MAC(a, key, 0, 0, Uplink, nil); err != nil {
			t.Errorf("%v over the empty message: %v", a, err)
		}
	}
}

// TestCMACRFC4493 checks the CMAC mode under EIA2 against the AES-128
// examples of RFC 4493 §4 (the 8-octet prefix is the first 8 octets of the
// example message, so only examples of at least 8 octets apply).
func TestCMACRFC4493(t *testing.T) {
	key := unhex(t, "2b7e151628aed2a6abf7158809cf4f3c")
	msg := unhex(t, "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710")
	var m macer
	if err := m.init(EIA2, [16]byte(key)); err != nil {
		t.Fatal(err)
	}
	if got, want := fmt.Sprintf("%x", m.cmac.k1), "fbeed618357133667c85e08f7236a8de"; got != want {
		t.Errorf("K1 = %s, want %s", got, want)
	}
	if got, want := fmt.Sprintf("%x", m.cmac.k2), "f7ddac306ae266ccf90bc11ee46d513b"; got != want {
		t.Errorf("K2 = %s, want %s", got, want)
	}
	for _, c := range []struct {
		n    int
		want string
	}{
		{16, "070a16b46b4d4144f79bdd9dd04a287c"},
		{40, "dfa66747de9ae63030ca32611497c827"},
		{64, "51f0bebf7e3b9d92fc49741779363cfe"},
	} {
		prefix := [8]byte(msg[:8])
		if got := m.cmac.sum(&prefix, msg[8:c.n], 8*(c.n-8)); fmt.Sprintf("%x", got) != c.want {
			t.Errorf("CMAC of %d octets = %x, want %s", c.n, got, c.want)
		}
	}
}

// TestSNOW3GKeystream checks the library's SNOW 3G generator against the
// keystream sets 1-4 of the SNOW 3G specification (crypto.tsv
// SNOW3G-keystream/*). Those sets list the key as k0..k3 and the IV as
// IV0..IV3, first word first, which is the generator's own word order (UEA2
// and UIA2, in contrast, put the first key word in k3: see eea1).
func TestSNOW3GKeystream(t *testing.T) {
	sets := cryptoSets(t, "SNOW3G-keystream/")
	if len(sets) != 4 {
		t.Fatalf("%d SNOW 3G keystream sets, want 4", len(sets))
	}
	words := func(b []byte) [4]uint32 {
		return [4]uint32{binary.BigEndian.Uint32(b[0:]), binary.BigEndian.Uint32(b[4:]), binary.BigEndian.Uint32(b[8:]), binary.BigEndian.Uint32(b[12:])}
	}
	for _, s := range sets {
		t.Run(s.Name, func(t *testing.T) {
			want := s.get(t, "KEYSTREAM")
			ks := snow3g.GetKeyStream(words(s.get(t, "KEY")), words(s.get(t, "IV")), len(want)/4)
			got := make([]byte, 0, len(want))
			for _, w := range ks {
				got = binary.BigEndian.AppendUint32(got, w)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("keystream %x, want %x", got, want)
			}
			// Set 4 also gives keystream octets 9996..9999 (word z2500).
			if m := regexp.MustCompile(`bytes 9996\.\.9999 = ([0-9a-f]{8})`).FindStringSubmatch(loadCrypto(t)[s.Name+"/KEYSTREAM"].Notes); m == nil && strings.HasSuffix(s.Name, "set4") {
				t.Fatal("set 4 notes lost their tail keystream value")
			} else if m != nil {
				ks := snow3g.GetKeyStream(words(s.get(t, "KEY")), words(s.get(t, "IV")), 2500)
				if got := fmt.Sprintf("%08x", ks[2499]); got != m[1] {
					t.Errorf("z2500 = %s, want %s", got, m[1])
				}
			}
		})
	}
}

// TestZUCKeystream checks the library's ZUC generator against the ZUC
// keystream sets 1-4 (crypto.tsv ZUC-keystream/*, TS 35.223 / GSMA).
func TestZUCKeystream(t *testing.T) {
	sets := cryptoSets(t, "ZUC-keystream/")
	if len(sets) != 4 {
		t.Fatalf("%d ZUC keystream sets, want 4", len(sets))
	}
	for _, s := range sets {
		t.Run(s.Name, func(t *testing.T) {
			c, err := zuc.NewCipher(s.get(t, "KEY"), s.get(t, "IV"))
			if err != nil {
				t.Fatal(err)
			}
			want := s.get(t, "KEYSTREAM")
			got := make([]byte, len(want))
			c.XORKeyStream(got, got)
			if !bytes.Equal(got, want) {
				t.Fatalf("keystream %x, want %x", got, want)
			}
			// Set 4 also gives the tail word z2000 of its 2000-word keystream.
			if m := regexp.MustCompile(`tail ([0-9a-f]{8})`).FindStringSubmatch(loadCrypto(t)[s.Name+"/KEYSTREAM"].Notes); m == nil && strings.HasSuffix(s.Name, "set4") {
				t.Fatal("set 4 notes lost their tail keystream value")
			} else if m != nil {
				c, _ := zuc.NewCipher(s.get(t, "KEY"), s.get(t, "IV"))
				ks := make([]byte, 4*2000)
				c.XORKeyStream(ks, ks)
				if got := fmt.Sprintf("%x", ks[len(ks)-4:]); got != m[1] {
					t.Errorf("z2000 = %s, want %s", got, m[1])
				}
			}
		})
	}
}
