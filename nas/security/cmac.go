package security

import "crypto/cipher"

// cmac is AES-CMAC (NIST SP 800-38B, RFC 4493) over a bit string, the mode
// 128-EIA2 uses (TS 33.401 B.2.3). The standard library has AES but no
// public CMAC; this is the short mode of RFC 4493 §2.4 on crypto/cipher.
// The message is an 8-octet prefix (COUNT, BEARER, DIRECTION) followed by
// msg, so callers need not copy the message behind the prefix.
type cmac struct {
	block  cipher.Block
	k1, k2 [16]byte
	// x and y are scratch blocks kept here so that Encrypt, an interface
	// call, does not make them escape on every MAC.
	x, y [16]byte
}

// init computes the subkeys K1 and K2 (RFC 4493 §2.3).
func (c *cmac) init(block cipher.Block) {
	c.block = block
	var l [16]byte
	block.Encrypt(l[:], l[:])
	double(&c.k1, &l)
	double(&c.k2, &c.k1)
}

// double is the doubling in GF(2^128) of RFC 4493 §2.3 (shift left one
// bit, xor Rb = 0x87 when the most significant bit was set).
func double(dst, src *[16]byte) {
	msb := src[0] >> 7
	for i := range 15 {
		dst[i] = src[i]<<1 | src[i+1]>>7
	}
	dst[15] = src[15]<<1 ^ 0x87*msb
}

// sum returns the 128-bit CMAC of prefix || msg[:bits] (bit length 64 +
// bits). msg must hold at least ceil(bits/8) octets; bits past the length are
// ignored.
func (c *cmac) sum(prefix *[8]byte, msg []byte, bits int) [16]byte {
	total := 64 + bits        // message length in bits
	n := (total + 127) / 128  // number of blocks, at least 1
	nbytes := (total + 7) / 8 // octets of prefix || msg that carry bits
	x, y := &c.x, &c.y
	*x = [16]byte{}
	for i := range n - 1 {
		c.fill(y, prefix, msg, 16*i, 16)
		for j := range 16 {
			y[j] ^= x[j]
		}
		c.block.Encrypt(x[:], y[:])
	}
	// RFC 4493 §2.4 step 4: the last block, complete (xor K1) or padded
	// with 10* (xor K2).
	off := 16 * (n - 1)
	rem := total - 8*off // bits in the last block, 1..128
	c.fill(y, prefix, msg, off, nbytes-off)
	k := &c.k1
	if rem < 128 {
		// Clear the bits past the length, then pad with a single 1 bit.
		y[rem/8] &= ^byte(0xff >> (rem % 8))
		y[rem/8] |= 0x80 >> (rem % 8)
		for j := rem/8 + 1; j < 16; j++ {
			y[j] = 0
		}
		k = &c.k2
	}
	for j := range 16 {
		y[j] ^= x[j] ^ k[j]
	}
	c.block.Encrypt(x[:], y[:])
	return *x
}

// fill copies n octets at offset off of the virtual string prefix || msg
// into dst, zeroing the rest of dst.
func (c *cmac) fill(dst *[16]byte, prefix *[8]byte, msg []byte, off, n int) {
	*dst = [16]byte{}
	d := 0
	for ; off < 8 && d < n; off, d = off+1, d+1 {
		dst[d] = prefix[off]
	}
	if d < n {
		copy(dst[d:n], msg[off-8:])
	}
}
