package security

import (
	"crypto/aes"
	"encoding/binary"
	"fmt"

	"github.com/emmansun/gmsm/zuc"
	"github.com/free5gc/nas/security/snow3g"
)

// MAC computes the 32-bit MAC (NAS-MAC, MAC-I) of msg with EIA alg (TS
// 33.401 Annex B.2) for key, COUNT, BEARER and DIRECTION; the length is
// 8·len(msg) bits. EIA0 gives 32 zero bits (§5.1.4.2). Errors:
// ErrUnknownAlgorithm, ErrBearerRange.
func MAC(alg EIA, key [16]byte, count uint32, bearer uint8, dir Direction, msg []byte) ([4]byte, error) {
	return MACBits(alg, key, count, bearer, dir, msg, 8*len(msg))
}

// MACBits is MAC over the first bits bits of msg (TS 33.401 B.2.1 LENGTH);
// the bits after the length are ignored. Errors: ErrUnknownAlgorithm,
// ErrBearerRange, ErrBitLength.
func MACBits(alg EIA, key [16]byte, count uint32, bearer uint8, dir Direction, msg []byte, bits int) ([4]byte, error) {
	if bearer > 31 {
		return [4]byte{}, fmt.Errorf("%w: %d", ErrBearerRange, bearer)
	}
	if bits < 0 || bits > 8*len(msg) {
		return [4]byte{}, fmt.Errorf("%w: %d bits in %d octets", ErrBitLength, bits, len(msg))
	}
	var m macer
	if err := m.init(alg, key); err != nil {
		return [4]byte{}, err
	}
	return m.mac(count, bearer, dir, msg, bits), nil
}

// macer holds the EIA algorithm and key of a NAS security context, with the
// AES block and CMAC subkeys prepared once for EIA2.
type macer struct {
	alg  EIA
	key  [16]byte
	cmac cmac // EIA2 only
}

func (m *macer) init(alg EIA, key [16]byte) error {
	*m = macer{alg: alg, key: key}
	switch alg {
	case EIA0, EIA1, EIA3:
	case EIA2:
		b, err := aes.NewCipher(key[:])
		if err != nil {
			return fmt.Errorf("security: EIA2: %w", err)
		}
		m.cmac.init(b)
	default:
		return fmt.Errorf("%w: %v", ErrUnknownAlgorithm, alg)
	}
	return nil
}

// mac computes the MAC of the first bits bits of msg; bits ≤ 8·len(msg).
func (m *macer) mac(count uint32, bearer uint8, dir Direction, msg []byte, bits int) [4]byte {
	switch m.alg {
	case EIA1:
		return eia1(&m.key, count, bearer, dir, msg, bits)
	case EIA2:
		// TS 33.401 B.2.3: M = COUNT || BEARER || DIRECTION || 0^26 ||
		// MESSAGE; the MAC is the 32 most significant bits of the CMAC.
		var prefix [8]byte
		binary.BigEndian.PutUint32(prefix[0:4], count)
		binary.BigEndian.PutUint32(prefix[4:8], uint32(bearer)<<27|uint32(dir)<<26)
		t := m.cmac.sum(&prefix, msg, bits)
		return [4]byte(t[:4])
	case EIA3:
		// TS 33.401 B.2.4: 128-EIA3 is the EIA3 of the ETSI/SAGE
		// specification (ZUC); the library builds the IV.
		h, err := zuc.NewEIAHash(m.key[:], count, uint32(bearer), uint32(dir))
		if err != nil {
			// Unreachable: the key is 16 octets.
			panic(fmt.Sprintf("security: zuc.NewEIAHash: %v", err))
		}
		return [4]byte(h.Finish(msg, bits))
	}
	// EIA0 (TS 33.401 §5.1.4.2): the MAC is 32 zero bits.
	return [4]byte{}
}

// eia1 is 128-EIA1 (TS 33.401 B.2.2): UIA2 of TS 35.215 §4 with COUNT-I =
// COUNT, FRESH = BEARER || 0^27 and DIRECTION, on the SNOW 3G generator of
// github.com/free5gc/nas/security/snow3g.
func eia1(key *[16]byte, count uint32, bearer uint8, dir Direction, msg []byte, bits int) [4]byte {
	fresh := uint32(bearer) << 27
	d := uint32(dir)
	// TS 35.215 §4.3: IV3 = COUNT-I, IV2 = FRESH, IV1 = DIRECTION ⊕ COUNT-I
	// (at bit 31), IV0 = DIRECTION ⊕ FRESH (at bit 15); the generator
	// indexes words from IV0.
	iv := [4]uint32{fresh ^ d<<15, count ^ d<<31, fresh, count}
	z := snow3g.GetKeyStream(snow3gKey(key), iv, 5)
	p := uint64(z[0])<<32 | uint64(z[1])
	q := uint64(z[2])<<32 | uint64(z[3])

	// TS 35.215 §4.4: D = ceil(LENGTH/64) + 1 blocks, the last LENGTH.
	var eval uint64
	blocks := (bits + 63) / 64
	for i := range blocks {
		var mb uint64
		if 64*(i+1) <= bits {
			mb = binary.BigEndian.Uint64(msg[8*i:])
		} else {
			// The last, partial block: zero padding after LENGTH.
			var b [8]byte
			copy(b[:], msg[8*i:(bits+7)/8])
			mb = binary.BigEndian.Uint64(b[:])
			if r := bits % 64; r != 0 {
				mb &= ^uint64(0) << (64 - r)
			}
		}
		eval = mul64(eval^mb, p)
	}
	eval ^= uint64(bits)
	eval = mul64(eval, q)
	mac := uint32(eval>>32) ^ z[4]
	var out [4]byte
	binary.BigEndian.PutUint32(out[:], mac)
	return out
}

// mul64 is MUL64(V, P, c) of TS 35.215 §4.3 with c = 0x1b: the product of V
// and P in GF(2^64) modulo x^64 + x^4 + x^3 + x + 1.
func mul64(v, p uint64) uint64 {
	var r uint64
	for range 64 {
		r ^= v & -(p & 1)
		// MUL64x: multiply v by x.
		v = v<<1 ^ 0x1b&-(v>>63)
		p >>= 1
	}
	return r
}
