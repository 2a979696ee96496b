package security

import (
	"encoding/binary"
	"fmt"
)

// Stored layout of a Context (MarshalBinary), version 1, 44 octets, all
// integers big endian:
//
//	offset size field
//	0      1    layout version (1)
//	1      1    role (1 MME, 2 UE)
//	2      1    flags: bit 3 TSC (1 mapped), bits 2-0 KSI value (the NAS key
//	            set identifier half octet of TS 24.301 §9.9.3.21); bit 7
//	            AllowEIA0
//	3      1    algorithms: bits 6-4 EEA, bits 2-0 EIA (the NAS security
//	            algorithms octet of TS 24.301 §9.9.3.23)
//	4      32   K_ASME
//	36     4    uplink NAS COUNT (next to send or lowest acceptable, ≤ 2^24)
//	40     4    downlink NAS COUNT
//
// K_NASenc and K_NASint are not stored: UnmarshalBinary derives them again
// from K_ASME and the algorithms (TS 33.401 A.7), so the stored form cannot
// hold keys that disagree with K_ASME.
const (
	storedVersion = 1
	// StoredLen is the length of a stored Context.
	StoredLen = 44
)

// MarshalBinary returns the stored form of the context (layout above).
func (c *Context) MarshalBinary() ([]byte, error) {
	return c.AppendBinary(make([]byte, 0, StoredLen))
}

// AppendBinary appends the stored form of the context to b.
func (c *Context) AppendBinary(b []byte) ([]byte, error) {
	flags := c.ksi.HalfOctet()
	if c.allowEIA0 {
		flags |= 0x80
	}
	b = append(b, storedVersion, byte(c.role), flags, byte(c.eea)<<4|byte(c.eia))
	b = append(b, c.kasme[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(c.ul))
	b = binary.BigEndian.AppendUint32(b, uint32(c.dl))
	return b, nil
}

// UnmarshalBinary restores a context stored by MarshalBinary, deriving its
// NAS keys again. Errors: ErrCorruptContext (wrong length, version, role,
// algorithm or COUNT); c is unchanged on error.
func (c *Context) UnmarshalBinary(b []byte) error {
	if len(b) != StoredLen {
		return fmt.Errorf("%w: %d octets, want %d", ErrCorruptContext, len(b), StoredLen)
	}
	if b[0] != storedVersion {
		return fmt.Errorf("%w: layout version %d", ErrCorruptContext, b[0])
	}
	if b[2]&0x70 != 0 || b[3]&0x88 != 0 {
		return fmt.Errorf("%w: reserved bits set", ErrCorruptContext)
	}
	p := Params{
		Role:      Role(b[1]),
		KSI:       KSIFromHalfOctet(b[2]),
		AllowEIA0: b[2]&0x80 != 0,
		EEA:       EEA(b[3] >> 4),
		EIA:       EIA(b[3] & 0x07),
		KASME:     [32]byte(b[4:36]),
		UL:        Count(binary.BigEndian.Uint32(b[36:40])),
		DL:        Count(binary.BigEndian.Uint32(b[40:44])),
	}
	var n Context
	if err := n.init(p); err != nil {
		return fmt.Errorf("%w: %w", ErrCorruptContext, err)
	}
	*c = n
	return nil
}
