package aper

import (
	"bytes"
	"encoding/hex"
	"errors"
	"testing"
)

// TestConstrained checks constrained whole numbers against X.691 §10.5.7
// (ALIGNED) and the encodings S1AP relies on.
func TestConstrained(t *testing.T) {
	for _, tc := range []struct {
		v, lb, ub int64
		want      string
	}{
		{3, 0, 7, "60"},            // bit-field of 3 bits
		{255, 0, 255, "ff"},        // one aligned octet
		{300, 0, 65535, "012c"},    // two aligned octets
		{1, 0, 4294967295, "0001"}, // MME-UE-S1AP-ID: 2-bit length, 1 octet
		{0x80000108, 0, 4294967295, "c080000108"},
		{1, 0, 16777215, "0001"}, // ENB-UE-S1AP-ID
		{0x10000, 0, 16777215, "80010000"},
		{-1, 0, -1, "e0ffffffffffffffff"}, // 0..2^64-1 (usageCountUL)
	} {
		var e Encoder
		e.PutConstrained(tc.v, tc.lb, tc.ub)
		if got := hex.EncodeToString(e.Bytes()); got != tc.want {
			t.Errorf("%d in %d..%d: %s, want %s", tc.v, tc.lb, tc.ub, got, tc.want)
		}
		d := NewDecoder(e.Bytes(), true)
		if v, err := d.Constrained(tc.lb, tc.ub); err != nil || v != tc.v {
			t.Errorf("decode %s: %d, %v", tc.want, v, err)
		}
	}
	// non-minimal octets are accepted (Open5GS sent MME-UE-S1AP-ID 1 in 3)
	d := NewDecoder([]byte{0x80, 0, 0, 1}, true)
	if v, err := d.Constrained(0, 4294967295); err != nil || v != 1 {
		t.Errorf("non-minimal: %d %v", v, err)
	}
	// a value above the range is an error
	d = NewDecoder([]byte{0xff}, true)
	if _, err := d.Constrained(0, 200); !errors.Is(err, ErrRange) {
		t.Errorf("out of range: %v", err)
	}
}

// TestOpenTypeLengths: open types of 1, 200 (two-octet length) and 40000
// octets (fragmented, X.691 §10.9.3.8) encode and decode back.
func TestOpenTypeLengths(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 200, 16383, 16384, 40000, 70000} {
		val := bytes.Repeat([]byte{0xa5}, n)
		var e Encoder
		e.PutBit(true)
		o := e.BeginOpenType()
		e.PutOctets(val)
		e.EndOpenType(o)
		e.PutBits(0x5, 3)
		d := NewDecoder(e.Bytes(), true)
		if b, _ := d.Bit(); !b {
			t.Fatalf("%d: lost the leading bit", n)
		}
		got, err := d.OpenTypeBytes()
		want := val
		if n == 0 {
			want = []byte{0} // an empty encoding is one zero octet (X.691 §11.1)
		}
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%d octets: got %d octets, %v", n, len(got), err)
		}
		if v, err := d.Bits(3); err != nil || v != 5 {
			t.Fatalf("%d: trailing bits %d %v", n, v, err)
		}
	}
}

// TestFinish: trailing octets and non-zero padding inside an open type are
// errors only in strict mode.
func TestFinish(t *testing.T) {
	d := NewDecoder([]byte{0x80, 0x00}, true)
	if _, err := d.Bit(); err != nil {
		t.Fatal(err)
	}
	if err := d.Finish(); !errors.Is(err, ErrTrailing) {
		t.Errorf("strict trailing: %v", err)
	}
	d = NewDecoder([]byte{0x81}, true)
	_, _ = d.Bit()
	if err := d.Finish(); !errors.Is(err, ErrPadding) {
		t.Errorf("strict padding: %v", err)
	}
	d = NewDecoder([]byte{0x81, 0x00}, false)
	_, _ = d.Bit()
	if err := d.Finish(); err != nil {
		t.Errorf("lenient: %v", err)
	}
}

// TestTruncated: every primitive reports truncation instead of panicking.
func TestTruncated(t *testing.T) {
	for _, b := range [][]byte{nil, {0x80}, {0xc1}, {0x82, 0x00}} {
		d := NewDecoder(b, true)
		_, _, _ = d.Length()
		_, _ = d.Constrained(0, 4294967295)
		_, _ = d.SmallNumber()
		_, _ = d.UnconstrainedInt()
		_, _ = d.FragmentedOctets()
		_, _ = d.OctetsUnaligned(3)
		if _, err := d.Bits(64); err == nil && len(b) < 8 {
			t.Errorf("%x: 64 bits read", b)
		}
	}
}
