package session

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// ErrCorruptRecord is wrapped by every error of record decoding: the bytes
// are not a subscriber record of a version this code reads.
var ErrCorruptRecord = errors.New("session: corrupt subscriber record")

// ErrRecordVersion is wrapped when the record's schema version is newer
// than this code knows (a mixed-version pool must not activate a version
// before every node reads it, DESIGN.md "Live upgrade").
var ErrRecordVersion = errors.New("session: unknown subscriber record version")

// enc appends the primitive encodings of the record: fixed-width big-endian
// integers, uvarint-length-prefixed byte strings.
type enc struct{ b []byte }

func (e *enc) u8(v uint8)   { e.b = append(e.b, v) }
func (e *enc) u16(v uint16) { e.b = binary.BigEndian.AppendUint16(e.b, v) }
func (e *enc) u32(v uint32) { e.b = binary.BigEndian.AppendUint32(e.b, v) }
func (e *enc) u64(v uint64) { e.b = binary.BigEndian.AppendUint64(e.b, v) }
func (e *enc) uv(v uint64)  { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) bytes(v []byte) {
	e.uv(uint64(len(v)))
	e.b = append(e.b, v...)
}
func (e *enc) str(v string) {
	e.uv(uint64(len(v)))
	e.b = append(e.b, v...)
}
func (e *enc) flag(v bool) {
	if v {
		e.u8(1)
	} else {
		e.u8(0)
	}
}
func (e *enc) time(t time.Time) {
	if t.IsZero() {
		e.uv(0)
		return
	}
	e.uv(uint64(t.UnixNano()))
}
func (e *enc) addr(a netip.Addr) {
	switch {
	case a.Is4():
		v := a.As4()
		e.u8(4)
		e.b = append(e.b, v[:]...)
	case a.Is6():
		v := a.As16()
		e.u8(16)
		e.b = append(e.b, v[:]...)
	default:
		e.u8(0)
	}
}
func (e *enc) prefix(p netip.Prefix) {
	e.addr(p.Addr())
	if p.IsValid() {
		e.u8(uint8(p.Bits()))
	}
}

// dec reads what enc wrote; the first error sticks and every later read
// returns zero values, so decoders check err once at the end.
type dec struct {
	b   []byte
	err error
}

func (d *dec) fail(what string) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: %s", ErrCorruptRecord, what)
	}
}

func (d *dec) take(n int, what string) []byte {
	if d.err != nil {
		return nil
	}
	if n < 0 || len(d.b) < n {
		d.fail("truncated " + what)
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}

func (d *dec) u8(what string) uint8 {
	v := d.take(1, what)
	if v == nil {
		return 0
	}
	return v[0]
}
func (d *dec) u16(what string) uint16 {
	v := d.take(2, what)
	if v == nil {
		return 0
	}
	return binary.BigEndian.Uint16(v)
}
func (d *dec) u32(what string) uint32 {
	v := d.take(4, what)
	if v == nil {
		return 0
	}
	return binary.BigEndian.Uint32(v)
}
func (d *dec) u64(what string) uint64 {
	v := d.take(8, what)
	if v == nil {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}
func (d *dec) uv(what string) uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad varint " + what)
		return 0
	}
	d.b = d.b[n:]
	return v
}

// maxField bounds one byte string of a record (a UE radio capability is the
// largest, a few KB).
const maxField = 64 << 10

func (d *dec) bytes(what string) []byte {
	n := d.uv(what)
	if n > maxField {
		d.fail(what + " too long")
		return nil
	}
	v := d.take(int(n), what)
	if len(v) == 0 {
		return nil
	}
	return append([]byte(nil), v...)
}
func (d *dec) str(what string) string {
	n := d.uv(what)
	if n > maxField {
		d.fail(what + " too long")
		return ""
	}
	return string(d.take(int(n), what))
}
func (d *dec) flag(what string) bool {
	switch d.u8(what) {
	case 0:
		return false
	case 1:
		return true
	}
	d.fail("bad flag " + what)
	return false
}
func (d *dec) time(what string) time.Time {
	v := d.uv(what)
	if v == 0 {
		return time.Time{}
	}
	if v > 1<<63-1 {
		d.fail("bad time " + what)
		return time.Time{}
	}
	return time.Unix(0, int64(v)).UTC()
}
func (d *dec) addr(what string) netip.Addr {
	switch d.u8(what) {
	case 0:
		return netip.Addr{}
	case 4:
		v := d.take(4, what)
		if v == nil {
			return netip.Addr{}
		}
		return netip.AddrFrom4([4]byte(v))
	case 16:
		v := d.take(16, what)
		if v == nil {
			return netip.Addr{}
		}
		return netip.AddrFrom16([16]byte(v))
	}
	d.fail("bad address length " + what)
	return netip.Addr{}
}
func (d *dec) prefix(what string) netip.Prefix {
	a := d.addr(what)
	if !a.IsValid() {
		return netip.Prefix{}
	}
	bits := int(d.u8(what))
	p, err := a.Prefix(bits)
	if err != nil || bits > a.BitLen() {
		d.fail("bad prefix " + what)
		return netip.Prefix{}
	}
	_ = p
	return netip.PrefixFrom(a, bits)
}
