package aper

import (
	"errors"
	"fmt"
)

// Transfer-syntax errors of the primitives. The s1ap package wraps them with
// the path of the value being decoded.
var (
	// ErrTruncated: the encoding ends before the value does.
	ErrTruncated = errors.New("aper: truncated encoding")
	// ErrRange: a decoded number lies outside its constraint (for example a
	// constrained whole number whose range is not a power of two, or a
	// length outside the SIZE constraint).
	ErrRange = errors.New("aper: value outside its constraint")
	// ErrFragment: a fragmented length determinant (≥ 16K) where the type
	// does not allow it or a fragment is malformed.
	ErrFragment = errors.New("aper: bad fragmented length")
	// ErrTrailing: an open type holds octets after the complete encoding of
	// its value (X.691 §11.2). Reported only when Strict is set.
	ErrTrailing = errors.New("aper: octets after the value in an open type")
	// ErrTooLarge: a whole number needs more than 64 bits.
	ErrTooLarge = errors.New("aper: whole number too large")
	// ErrPadding: padding bits of the outermost complete encoding are not zero.
	ErrPadding = errors.New("aper: non-zero padding bits")
)

// Decoder reads an ALIGNED PER encoding. Decoded octet strings alias the
// input where they are octet-aligned: the caller must not modify the input
// while the decoded values are in use.
type Decoder struct {
	buf  []byte
	pos  int  // bit position
	base int  // octet offset of buf in the outermost encoding
	pad  bool // a non-zero padding bit was skipped (strict mode)
	// Strict reports trailing octets in open types (X.691 §11.2); when
	// false they are skipped, as Wireshark does.
	Strict bool
}

// NewDecoder returns a decoder over b.
func NewDecoder(b []byte, strict bool) Decoder { return Decoder{buf: b, Strict: strict} }

// Reset makes d read b from its start.
func (d *Decoder) Reset(b []byte) {
	d.buf = b
	d.pos = 0
}

// BitPos returns the number of bits read so far.
func (d *Decoder) BitPos() int { return d.pos }

// Remaining returns the number of unread bits.
func (d *Decoder) Remaining() int { return len(d.buf)*8 - d.pos }

// Bit reads one bit.
func (d *Decoder) Bit() (bool, error) {
	if d.pos >= len(d.buf)*8 {
		return false, ErrTruncated
	}
	b := d.buf[d.pos>>3]&(0x80>>uint(d.pos&7)) != 0
	d.pos++
	return b, nil
}

// Bits reads n ≤ 64 bits, most significant first.
func (d *Decoder) Bits(n int) (uint64, error) {
	if n == 0 {
		return 0, nil
	}
	if n > 64 || d.pos+n > len(d.buf)*8 {
		return 0, ErrTruncated
	}
	var v uint64
	for n > 0 {
		off := d.pos & 7
		avail := 8 - off
		take := n
		if take > avail {
			take = avail
		}
		b := uint64(d.buf[d.pos>>3]) >> uint(avail-take) & (1<<uint(take) - 1)
		v = v<<uint(take) | b
		d.pos += take
		n -= take
	}
	return v, nil
}

// Align skips to the next octet boundary. In strict mode it notes
// non-zero padding bits (X.691 §3.7.16: padding is zero bits), reported by
// Finish.
func (d *Decoder) Align() {
	if r := d.pos & 7; r != 0 {
		if d.Strict && d.pos>>3 < len(d.buf) && d.buf[d.pos>>3]&(0xff>>uint(r)) != 0 {
			d.pad = true
		}
		d.pos += 8 - r
	}
}

// Offset returns the bit position in the outermost encoding (for reports).
func (d *Decoder) Offset() int { return d.base*8 + d.pos }

// Octets reads n octets at an octet boundary (aligning first) and returns a
// slice aliasing the input.
func (d *Decoder) Octets(n int) ([]byte, error) {
	d.Align()
	start := d.pos >> 3
	if n < 0 || start+n > len(d.buf) {
		return nil, ErrTruncated
	}
	d.pos += 8 * n
	return d.buf[start : start+n : start+n], nil
}

// BitsToBytes reads n bits without aligning into dst (MSB first, unused
// trailing bits zero); dst must hold (n+7)/8 octets.
func (d *Decoder) BitsToBytes(dst []byte, n int) error {
	if d.pos+n > len(d.buf)*8 {
		return ErrTruncated
	}
	i := 0
	for ; n >= 8; n -= 8 {
		v, _ := d.Bits(8)
		dst[i] = byte(v)
		i++
	}
	if n > 0 {
		v, _ := d.Bits(n)
		dst[i] = byte(v << uint(8-n))
	}
	return nil
}

// Constrained reads a constrained whole number lb..ub (X.691 §10.5.7).
func (d *Decoder) Constrained(lb, ub int64) (int64, error) {
	rng := uint64(ub-lb) + 1
	var off uint64
	var err error
	switch {
	case rng == 1:
		return lb, nil
	case rng != 0 && rng <= 255:
		off, err = d.Bits(BitsFor(rng))
	case rng == 256:
		d.Align()
		off, err = d.Bits(8)
	case rng != 0 && rng <= 65536:
		d.Align()
		off, err = d.Bits(16)
	default:
		maxOctets := OctetsFor(uint64(ub - lb))
		var n uint64
		n, err = d.Bits(BitsFor(uint64(maxOctets)))
		if err != nil {
			return 0, err
		}
		n++
		if int(n) > maxOctets {
			return 0, ErrRange
		}
		d.Align()
		// A value in more octets than the minimum (X.691 §10.5.7.4 asks the
		// encoder for the minimum) is accepted: it is unambiguous, and
		// Open5GS's old asn1c sent MME-UE-S1AP-ID 1 as 3 octets.
		off, err = d.Bits(8 * int(n))
	}
	if err != nil {
		return 0, err
	}
	if off > uint64(ub-lb) {
		return 0, ErrRange
	}
	return lb + int64(off), nil
}

// Length reads an unconstrained length determinant (X.691 §10.9.3.6-8).
// more reports a fragment (the length is a multiple of 16K and another
// length follows the fragment).
func (d *Decoder) Length() (n int, more bool, err error) {
	d.Align()
	b, err := d.Bits(8)
	if err != nil {
		return 0, false, err
	}
	switch {
	case b&0x80 == 0:
		return int(b), false, nil
	case b&0x40 == 0:
		lo, err := d.Bits(8)
		if err != nil {
			return 0, false, err
		}
		return int(b&0x3f)<<8 | int(lo), false, nil
	default:
		m := int(b & 0x3f)
		if m < 1 || m > 4 {
			return 0, false, ErrFragment
		}
		return m * 16384, true, nil
	}
}

// ConstrainedLength reads a length determinant for a size constraint lb..ub
// (X.691 §10.9.3.3). Lengths of types with ub ≥ 64K that need fragments
// return ErrFragment; octet strings use FragmentedOctets instead.
func (d *Decoder) ConstrainedLength(lb, ub int) (int, error) {
	if ub < 65536 {
		v, err := d.Constrained(int64(lb), int64(ub))
		return int(v), err
	}
	n, more, err := d.Length()
	if err != nil {
		return 0, err
	}
	if more {
		return 0, ErrFragment
	}
	if n < lb || n > ub {
		return 0, ErrRange
	}
	return n, nil
}

// FragmentedOctets reads an unconstrained-length octet string, joining
// fragments (X.691 §10.9.3.8). An unfragmented value aliases the input.
func (d *Decoder) FragmentedOctets() ([]byte, error) {
	n, more, err := d.Length()
	if err != nil {
		return nil, err
	}
	p, err := d.Octets(n)
	if err != nil || !more {
		return p, err
	}
	out := append([]byte(nil), p...)
	for more {
		n, more, err = d.Length()
		if err != nil {
			return nil, err
		}
		p, err = d.Octets(n)
		if err != nil {
			return nil, err
		}
		out = append(out, p...)
		if len(out) > 1<<24 {
			return nil, ErrFragment
		}
	}
	return out, nil
}

// SmallNumber reads a normally small non-negative whole number (X.691 §10.6).
func (d *Decoder) SmallNumber() (int, error) {
	big, err := d.Bit()
	if err != nil {
		return 0, err
	}
	if !big {
		v, err := d.Bits(6)
		return int(v), err
	}
	n, more, err := d.Length()
	if err != nil {
		return 0, err
	}
	if more || n < 1 || n > 4 {
		return 0, ErrTooLarge
	}
	v, err := d.Bits(8 * n)
	return int(v), err
}

// UnconstrainedInt reads an unconstrained whole number (X.691 §10.8).
func (d *Decoder) UnconstrainedInt() (int64, error) {
	n, more, err := d.Length()
	if err != nil {
		return 0, err
	}
	if more || n < 1 || n > 8 {
		return 0, ErrTooLarge
	}
	v, err := d.Bits(8 * n)
	if err != nil {
		return 0, err
	}
	shift := uint(64 - 8*n)
	return int64(v<<shift) >> shift, nil
}

// SemiConstrained reads a semi-constrained whole number with lower bound lb
// (X.691 §10.7).
func (d *Decoder) SemiConstrained(lb uint64) (uint64, error) {
	n, more, err := d.Length()
	if err != nil {
		return 0, err
	}
	if more || n < 1 || n > 8 {
		return 0, ErrTooLarge
	}
	v, err := d.Bits(8 * n)
	return lb + v, err
}

// OpenType reads an open type (X.691 §11.2) and returns a decoder over its
// octets; the caller decodes the value with it and then calls Finish.
func (d *Decoder) OpenType() (Decoder, error) {
	p, err := d.FragmentedOctets()
	if err != nil {
		return Decoder{}, err
	}
	// unfragmented, p ends where d now stands (fragmented: approximate)
	return Decoder{buf: p, Strict: d.Strict, base: d.base + d.pos>>3 - len(p)}, nil
}

// OpenTypeBytes reads an open type and returns its octets (aliasing the
// input when not fragmented), for values that are skipped or kept raw.
func (d *Decoder) OpenTypeBytes() ([]byte, error) { return d.FragmentedOctets() }

// Finish checks, after an open type's value was decoded, that nothing but
// padding follows it: in strict mode trailing octets are ErrTrailing
// (X.691 §11.2: the octets are the complete encoding of the value).
func (d *Decoder) Finish() error {
	if !d.Strict {
		return nil
	}
	used := (d.pos + 7) >> 3
	if used == 0 {
		used = 1 // an empty encoding is one zero octet (X.691 §11.1)
	}
	if used < len(d.buf) {
		return fmt.Errorf("%w (%d of %d octets used)", ErrTrailing, used, len(d.buf))
	}
	d.Align()
	if d.pad {
		return ErrPadding
	}
	return nil
}

// PaddingError returns ErrPadding when a non-zero padding bit was skipped
// so far (strict mode), for the outermost encoding, which has no Finish.
func (d *Decoder) PaddingError() error {
	if d.pad {
		return ErrPadding
	}
	return nil
}

// TrailingOctets returns how many whole octets follow the value decoded so
// far (for reports).
func (d *Decoder) TrailingOctets() int {
	used := (d.pos + 7) >> 3
	if used == 0 {
		used = 1
	}
	if used >= len(d.buf) {
		return 0
	}
	return len(d.buf) - used
}

// Rest returns the unread octets from the next octet boundary (aliasing the
// input).
func (d *Decoder) Rest() []byte {
	i := (d.pos + 7) >> 3
	if i > len(d.buf) {
		i = len(d.buf)
	}
	return d.buf[i:]
}

// OctetsUnaligned reads n octets from the current bit position; aligned
// reads alias the input, unaligned ones are copied.
func (d *Decoder) OctetsUnaligned(n int) ([]byte, error) {
	if d.pos&7 == 0 {
		return d.Octets(n)
	}
	if n < 0 || d.pos+8*n > len(d.buf)*8 {
		return nil, ErrTruncated
	}
	out := make([]byte, n)
	err := d.BitsToBytes(out, 8*n)
	return out, err
}
