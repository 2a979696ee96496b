package sgw

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
)

// errPoolExhausted maps to cause All dynamic addresses are occupied (#84).
var errPoolExhausted = errors.New("sgw: address pool exhausted")

// v4Pool hands out UE IPv4 addresses from a prefix, skipping the network
// address, the first host (the PGW's own side) and the broadcast address.
type v4Pool struct {
	base  uint32
	size  uint32 // usable addresses
	next  uint32
	free  []uint32
	inUse map[uint32]bool
}

func newV4Pool(p netip.Prefix) (*v4Pool, error) {
	p = p.Masked()
	if !p.Addr().Is4() || p.Bits() > 30 {
		return nil, fmt.Errorf("sgw: IPv4 pool %v: want an IPv4 prefix of /30 or wider", p)
	}
	a := p.Addr().As4()
	n := uint32(1) << (32 - p.Bits())
	return &v4Pool{base: binary.BigEndian.Uint32(a[:]) + 2, size: n - 3, inUse: map[uint32]bool{}}, nil
}

func (p *v4Pool) alloc() (netip.Addr, error) {
	var off uint32
	switch {
	case len(p.free) > 0:
		off = p.free[len(p.free)-1]
		p.free = p.free[:len(p.free)-1]
	case p.next < p.size:
		off = p.next
		p.next++
	default:
		return netip.Addr{}, errPoolExhausted
	}
	p.inUse[off] = true
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], p.base+off)
	return netip.AddrFrom4(b), nil
}

func (p *v4Pool) release(a netip.Addr) {
	if !a.Is4() {
		return
	}
	b := a.As4()
	off := binary.BigEndian.Uint32(b[:]) - p.base
	if p.inUse[off] {
		delete(p.inUse, off)
		p.free = append(p.free, off)
	}
}

// v6Pool hands out /64 prefixes from a wider IPv6 prefix (TS 23.401
// §5.3.1.2.2: the UE gets a /64 and builds its addresses from it).
type v6Pool struct {
	hi    uint64 // upper 64 bits of the pool's first /64
	size  uint64 // number of /64s
	next  uint64
	free  []uint64
	inUse map[uint64]bool
}

func newV6Pool(p netip.Prefix) (*v6Pool, error) {
	p = p.Masked()
	if !p.Addr().Is6() || p.Addr().Is4In6() || p.Bits() > 64 {
		return nil, fmt.Errorf("sgw: IPv6 pool %v: want an IPv6 prefix of /64 or wider", p)
	}
	a := p.Addr().As16()
	size := uint64(1) << min(64-p.Bits(), 32)
	return &v6Pool{hi: binary.BigEndian.Uint64(a[:8]), size: size, inUse: map[uint64]bool{}}, nil
}

// alloc returns a /64 with interface identifier ::1, as the PAA carries it
// (TS 29.274 §8.14).
func (p *v6Pool) alloc() (netip.Prefix, error) {
	var off uint64
	switch {
	case len(p.free) > 0:
		off = p.free[len(p.free)-1]
		p.free = p.free[:len(p.free)-1]
	case p.next < p.size:
		off = p.next
		p.next++
	default:
		return netip.Prefix{}, errPoolExhausted
	}
	p.inUse[off] = true
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], p.hi+off)
	b[15] = 1
	return netip.PrefixFrom(netip.AddrFrom16(b), 64), nil
}

func (p *v6Pool) release(pfx netip.Prefix) {
	if !pfx.IsValid() {
		return
	}
	a := pfx.Addr().As16()
	off := binary.BigEndian.Uint64(a[:8]) - p.hi
	if p.inUse[off] {
		delete(p.inUse, off)
		p.free = append(p.free, off)
	}
}
