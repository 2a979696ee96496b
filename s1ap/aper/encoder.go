package aper

import (
	"math/bits"
)

// Encoder appends an ALIGNED PER encoding to a byte slice. The zero value is
// ready to use; Reset(dst) makes it append to dst (whose length must be a
// whole number of octets, as a complete encoding starts octet-aligned).
//
// Encoder methods never fail: values are range-checked by the generated code
// before they reach these primitives (see the X.691 clause on each method).
type Encoder struct {
	buf  []byte
	used uint8 // bits used in the last octet of buf, 0 when octet-aligned
}

// Reset makes e append to dst.
func (e *Encoder) Reset(dst []byte) {
	e.buf = dst
	e.used = 0
}

// Bytes returns the encoding so far; the last octet is zero-padded.
func (e *Encoder) Bytes() []byte { return e.buf }

// Len returns the number of octets started so far.
func (e *Encoder) Len() int { return len(e.buf) }

// Aligned reports whether the next bit starts an octet.
func (e *Encoder) Aligned() bool { return e.used == 0 }

// PutBit appends one bit.
func (e *Encoder) PutBit(b bool) {
	if e.used == 0 {
		e.buf = append(e.buf, 0)
	}
	if b {
		e.buf[len(e.buf)-1] |= 0x80 >> e.used
	}
	e.used = (e.used + 1) & 7
}

// PutBits appends the n low-order bits of v, most significant first (n ≤ 64).
func (e *Encoder) PutBits(v uint64, n int) {
	for n > 0 {
		if e.used == 0 {
			e.buf = append(e.buf, 0)
		}
		free := 8 - int(e.used)
		take := n
		if take > free {
			take = free
		}
		chunk := byte((v >> uint(n-take)) & (1<<uint(take) - 1))
		e.buf[len(e.buf)-1] |= chunk << uint(free-take)
		e.used = uint8((int(e.used) + take) & 7)
		n -= take
	}
}

// Align pads with zero bits to the next octet boundary (X.691 §3.7.16 octet-aligned).
func (e *Encoder) Align() { e.used = 0 }

// PutOctets appends whole octets at an octet boundary (aligning first).
func (e *Encoder) PutOctets(p []byte) {
	e.used = 0
	e.buf = append(e.buf, p...)
}

// PutBitsFromBytes appends the first n bits of p (MSB first) without aligning.
func (e *Encoder) PutBitsFromBytes(p []byte, n int) {
	if e.used == 0 && n%8 == 0 {
		e.buf = append(e.buf, p[:n/8]...)
		return
	}
	i := 0
	for ; n >= 8; n -= 8 {
		e.PutBits(uint64(p[i]), 8)
		i++
	}
	if n > 0 {
		e.PutBits(uint64(p[i]>>uint(8-n)), n)
	}
}

// BitsFor returns the number of bits of a bit-field holding 0..r-1 (X.691 §10.5.7.1).
func BitsFor(r uint64) int {
	if r <= 1 {
		return 0
	}
	return bits.Len64(r - 1)
}

// OctetsFor returns the minimum number of octets holding v (at least 1).
func OctetsFor(v uint64) int {
	n := (bits.Len64(v) + 7) / 8
	if n == 0 {
		n = 1
	}
	return n
}

// PutConstrained appends v-lb as a constrained whole number with range
// ub-lb+1, per X.691 §10.5.7 (ALIGNED variant): bit-field for ranges up to
// 255, one aligned octet for 256, two aligned octets up to 64K, and above that
// a length (in octets, as a bit-field) followed by the minimum number of
// aligned octets. Requires lb ≤ v ≤ ub.
func (e *Encoder) PutConstrained(v, lb, ub int64) {
	off := uint64(v - lb)
	rng := uint64(ub-lb) + 1 // 0 means 2^64
	switch {
	case rng == 1:
	case rng != 0 && rng <= 255:
		e.PutBits(off, BitsFor(rng))
	case rng == 256:
		e.Align()
		e.PutBits(off, 8)
	case rng != 0 && rng <= 65536:
		e.Align()
		e.PutBits(off, 16)
	default:
		maxOctets := OctetsFor(uint64(ub - lb))
		n := OctetsFor(off)
		e.PutBits(uint64(n-1), BitsFor(uint64(maxOctets)))
		e.Align()
		e.PutBits(off, 8*n)
	}
}

// PutLength appends an unconstrained length determinant n < 16384
// (X.691 §10.9.3.6, §10.9.3.7). Longer lengths are fragmented by the caller
// (PutFragmented).
func (e *Encoder) PutLength(n int) {
	e.Align()
	if n < 128 {
		e.buf = append(e.buf, byte(n))
		return
	}
	e.buf = append(e.buf, 0x80|byte(n>>8), byte(n))
}

// PutConstrainedLength appends a length determinant for a size constraint
// lb..ub (X.691 §10.9.3.3): a constrained whole number when ub < 64K,
// otherwise an unconstrained length. For ub ≥ 64K the caller fragments
// lengths of 16K and more.
func (e *Encoder) PutConstrainedLength(n, lb, ub int) {
	if ub < 65536 {
		e.PutConstrained(int64(n), int64(lb), int64(ub))
		return
	}
	e.PutLength(n)
}

// PutSmallNumber appends a normally small non-negative whole number
// (X.691 §10.6): used for CHOICE and ENUMERATED extension indexes and the
// extension bitmap length of SEQUENCE.
func (e *Encoder) PutSmallNumber(n int) {
	if n <= 63 {
		e.PutBits(uint64(n), 7)
		return
	}
	e.PutBit(true)
	e.PutLength(OctetsFor(uint64(n)))
	e.PutBits(uint64(n), 8*OctetsFor(uint64(n)))
}

// PutUnconstrainedInt appends an unconstrained whole number: a length and
// the minimum two's-complement octets (X.691 §10.8). Used for the extension
// values of extensible INTEGER types.
func (e *Encoder) PutUnconstrainedInt(v int64) {
	n := 1
	for n < 8 {
		lo := int64(-1) << uint(8*n-1)
		if v >= lo && v < -lo {
			break
		}
		n++
	}
	e.PutLength(n)
	e.PutBits(uint64(v), 8*n)
}

// PutSemiConstrained appends v-lb as a semi-constrained whole number:
// a length and the minimum octets (X.691 §10.7).
func (e *Encoder) PutSemiConstrained(v, lb uint64) {
	off := v - lb
	n := OctetsFor(off)
	e.PutLength(n)
	e.PutBits(off, 8*n)
}

// PutFragmented appends an unconstrained-length octet string of any size,
// fragmenting at 16K octets (X.691 §10.9.3.8): used for open types and
// unbounded OCTET STRINGs.
func (e *Encoder) PutFragmented(p []byte) {
	e.Align()
	for {
		n := len(p)
		if n < 16384 {
			e.PutLength(n)
			e.buf = append(e.buf, p...)
			return
		}
		m := n / 16384
		if m > 4 {
			m = 4
		}
		e.buf = append(e.buf, 0xc0|byte(m))
		e.buf = append(e.buf, p[:m*16384]...)
		p = p[m*16384:]
	}
}

// OpenType is the state of an open type being encoded in place: see
// BeginOpenType.
type OpenType struct {
	start int
}

// BeginOpenType starts an open type (X.691 §11.2): it aligns, reserves one
// octet for the length and returns a mark for EndOpenType. The value encoded
// in between is a complete encoding of its own (it starts octet-aligned).
func (e *Encoder) BeginOpenType() OpenType {
	e.Align()
	e.buf = append(e.buf, 0)
	return OpenType{start: len(e.buf)}
}

// EndOpenType completes an open type started by BeginOpenType: pads the
// value to an octet, makes an empty encoding a single zero octet
// (X.691 §11.1) and writes the length, moving the value when the length
// needs two octets or fragmentation.
func (e *Encoder) EndOpenType(o OpenType) {
	e.used = 0
	n := len(e.buf) - o.start
	if n == 0 {
		e.buf = append(e.buf, 0)
		n = 1
	}
	switch {
	case n < 128:
		e.buf[o.start-1] = byte(n)
	case n < 16384:
		e.buf = append(e.buf, 0)
		copy(e.buf[o.start+1:], e.buf[o.start:o.start+n])
		e.buf[o.start-1] = 0x80 | byte(n>>8)
		e.buf[o.start] = byte(n)
	default:
		val := append([]byte(nil), e.buf[o.start:]...)
		e.buf = e.buf[:o.start-1]
		e.PutFragmented(val)
	}
}
