package security

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/subtle"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/emmansun/gmsm/zuc"
	"github.com/free5gc/nas/security/snow3g"
)

// Errors of the algorithm functions.
var (
	// ErrUnknownAlgorithm: an EEA or EIA identifier other than 0-3.
	ErrUnknownAlgorithm = errors.New("security: unknown algorithm")
	// ErrBearerRange: BEARER does not fit its 5 bits (TS 33.401 B.1.1).
	ErrBearerRange = errors.New("security: BEARER exceeds 5 bits")
	// ErrBitLength: a bit length is negative or longer than the data.
	ErrBitLength = errors.New("security: bit length out of range")
)

// Cipher enciphers or deciphers data in place with EEA alg (TS 33.401
// Annex B.1): data ⊕= keystream(key, COUNT, BEARER, DIRECTION). The length is
// 8·len(data) bits. Errors: ErrUnknownAlgorithm, ErrBearerRange.
func Cipher(alg EEA, key [16]byte, count uint32, bearer uint8, dir Direction, data []byte) error {
	return CipherBits(alg, key, count, bearer, dir, data, 8*len(data))
}

// CipherBits is Cipher for a bit string of bits bits (TS 33.401 B.1.1
// LENGTH): data must hold ceil(bits/8) octets; the bits after the length in
// the last octet are set to 0, as in the test data of TS 33.401 Annex C.
// Octets after the last one are not touched. Errors: ErrUnknownAlgorithm,
// ErrBearerRange, ErrBitLength.
func CipherBits(alg EEA, key [16]byte, count uint32, bearer uint8, dir Direction, data []byte, bits int) error {
	if bearer > 31 {
		return fmt.Errorf("%w: %d", ErrBearerRange, bearer)
	}
	if bits < 0 || bits > 8*len(data) {
		return fmt.Errorf("%w: %d bits in %d octets", ErrBitLength, bits, len(data))
	}
	var c cipherer
	if err := c.init(alg, key); err != nil {
		return err
	}
	n := (bits + 7) / 8
	c.xorKeyStream(count, bearer, dir, data[:n])
	if r := bits % 8; r != 0 && alg != EEA0 {
		data[n-1] &= ^byte(0xff >> r)
	}
	return nil
}

// cipherer holds the EEA algorithm and key of one direction of a NAS
// security context, with the AES block prepared once for EEA2.
type cipherer struct {
	alg   EEA
	key   [16]byte
	block cipher.Block // EEA2 only
	// ctr and ks are EEA2 scratch blocks kept here so that they do not
	// escape on every message.
	ctr, ks [16]byte
}

func (c *cipherer) init(alg EEA, key [16]byte) error {
	*c = cipherer{alg: alg, key: key}
	switch alg {
	case EEA0, EEA1, EEA3:
	case EEA2:
		b, err := aes.NewCipher(key[:])
		if err != nil {
			return fmt.Errorf("security: EEA2: %w", err)
		}
		c.block = b
	default:
		return fmt.Errorf("%w: %v", ErrUnknownAlgorithm, alg)
	}
	return nil
}

// xorKeyStream applies the keystream to whole octets of data.
func (c *cipherer) xorKeyStream(count uint32, bearer uint8, dir Direction, data []byte) {
	if len(data) == 0 {
		return
	}
	switch c.alg {
	case EEA0:
		// TS 33.401 B.1.1 / §5.1.3.2: EEA0 generates a keystream of zeros.
	case EEA1:
		eea1(&c.key, count, bearer, dir, data)
	case EEA2:
		c.eea2(count, bearer, dir, data)
	case EEA3:
		// TS 33.401 B.1.4: 128-EEA3 is the EEA3 of the ETSI/SAGE
		// specification (ZUC); the library builds the IV from COUNT,
		// BEARER and DIRECTION.
		s, err := zuc.NewEEACipher(c.key[:], count, uint32(bearer), uint32(dir))
		if err != nil {
			// Unreachable: the key is 16 octets.
			panic(fmt.Sprintf("security: zuc.NewEEACipher: %v", err))
		}
		s.XORKeyStream(data, data)
	}
}

// eea1 is 128-EEA1 (TS 33.401 B.1.2): the UEA2 keystream of TS 35.215 §3
// with COUNT-C = COUNT, BEARER and DIRECTION, from the SNOW 3G generator of
// github.com/free5gc/nas/security/snow3g. The generator's words are indexed
// from the least significant: k[3] is the first 32 bits of the key and
// iv[3] the first of the IV (TS 35.216 §4.1; TS 35.215 §3.4: IV = COUNT ||
// BEARER || DIRECTION || 0^26 || COUNT || BEARER || DIRECTION || 0^26).
func eea1(key *[16]byte, count uint32, bearer uint8, dir Direction, data []byte) {
	k := snow3gKey(key)
	bd := uint32(bearer)<<27 | uint32(dir)<<26
	iv := [4]uint32{bd, count, bd, count}
	ks := snow3g.GetKeyStream(k, iv, (len(data)+3)/4)
	i := 0
	for ; i+4 <= len(data); i += 4 {
		binary.BigEndian.PutUint32(data[i:], binary.BigEndian.Uint32(data[i:])^ks[i/4])
	}
	for j := 0; i < len(data); i, j = i+1, j+1 {
		data[i] ^= byte(ks[len(ks)-1] >> (24 - 8*j))
	}
}

func snow3gKey(key *[16]byte) [4]uint32 {
	return [4]uint32{
		binary.BigEndian.Uint32(key[12:]), binary.BigEndian.Uint32(key[8:]),
		binary.BigEndian.Uint32(key[4:]), binary.BigEndian.Uint32(key[0:]),
	}
}

// eea2 is 128-EEA2 (TS 33.401 B.1.3): AES-128 in CTR mode with the first
// counter block T1 = COUNT || BEARER || DIRECTION || 0^26 || 0^64; the
// standard incrementing function acts on the 64 least significant bits.
// The mode is written out over the cached block instead of cipher.NewCTR,
// which allocates on each call (a NAS message is a few blocks).
func (c *cipherer) eea2(count uint32, bearer uint8, dir Direction, data []byte) {
	ctr, ks := &c.ctr, &c.ks
	binary.BigEndian.PutUint32(ctr[0:4], count)
	binary.BigEndian.PutUint32(ctr[4:8], uint32(bearer)<<27|uint32(dir)<<26)
	var i uint64
	for off := 0; off < len(data); off += 16 {
		binary.BigEndian.PutUint64(ctr[8:], i)
		c.block.Encrypt(ks[:], ctr[:])
		subtle.XORBytes(data[off:], data[off:], ks[:])
		i++
	}
}
