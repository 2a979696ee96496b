package nas

import (
	"encoding/json"
	"fmt"
	"time"
	"unicode/utf16"
)

// NetworkName is the value part of the network name IE of EMM INFORMATION
// (TS 24.301 §9.9.3.24, TS 24.008 §10.5.3.5a), kept as sent. Octet 1: bit 8
// extension (1), bits 7-5 coding scheme (0 GSM 7-bit default alphabet, 1
// UCS2), bit 4 add CI, bits 3-1 number of spare bits in the last octet; then
// the text.
type NetworkName []byte

// gsm7Basic is the GSM 7-bit default alphabet (TS 23.038 §6.2.1) for the
// characters this codec reads and writes; other codes read as '?'.
var gsm7Basic = func() (t [128]rune) {
	for i := range t {
		t[i] = '?'
	}
	for c := ' '; c <= 'z'; c++ {
		t[c] = c
	}
	t[0x00], t[0x02], t[0x11] = '@', '$', '_'
	t[0x24], t[0x40], t[0x5b], t[0x5c], t[0x5d], t[0x5e], t[0x5f], t[0x60] = '¤', '¡', 'Ä', 'Ö', 'Ñ', 'Ü', '§', '¿'
	t[0x7b], t[0x7c], t[0x7d], t[0x7e], t[0x7f] = 'ä', 'ö', 'ñ', 'ü', 'à'
	return
}()

// NewNetworkName encodes s in the GSM 7-bit default alphabet, packed (TS
// 23.038 §6.1.2.1), with "add CI" set as given. Only letters, digits, space
// and the punctuation that the default alphabet shares with ASCII (plus
// '@', '$', '_') are accepted; anything else is ErrInvalidValue.
func NewNetworkName(s string, addCI bool) (NetworkName, error) {
	septets := make([]byte, 0, len(s))
	for _, r := range s {
		code := -1
		switch {
		case r == '@':
			code = 0
		case r == '$':
			code = 2
		case r == '_':
			code = 0x11
		case r >= ' ' && r <= 'z' && r != '$' && r != '@' && !(r >= '[' && r <= '`'):
			code = int(r)
		}
		if code < 0 {
			return nil, fmt.Errorf("%w: network name character %q is not in the GSM 7-bit default alphabet subset", ErrInvalidValue, r)
		}
		septets = append(septets, byte(code))
	}
	packed := make([]byte, (len(septets)*7+7)/8)
	for i, c := range septets {
		bit := i * 7
		packed[bit/8] |= c << (bit % 8)
		if bit%8 > 1 {
			packed[bit/8+1] |= c >> (8 - bit%8)
		}
	}
	spare := byte(len(packed)*8 - len(septets)*7)
	first := byte(0x80) | spare&7
	if addCI {
		first |= 0x08
	}
	return append(NetworkName{first}, packed...), nil
}

// Text returns the name. GSM 7-bit text is unpacked with the default
// alphabet (codes outside the supported subset read as '?'); UCS2 is
// decoded as UTF-16BE.
func (n NetworkName) Text() (string, error) {
	if len(n) < 1 {
		return "", fmt.Errorf("%w: empty network name", ErrInvalidValue)
	}
	body := n[1:]
	switch n[0] >> 4 & 7 {
	case 0:
		count := (len(body)*8 - int(n[0]&7)) / 7
		if count < 0 {
			count = 0 // spare bits claimed in an empty text
		}
		out := make([]rune, 0, count)
		for i := 0; i < count; i++ {
			bit := i * 7
			c := body[bit/8] >> (bit % 8)
			if bit%8 > 1 && bit/8+1 < len(body) {
				c |= body[bit/8+1] << (8 - bit%8)
			}
			out = append(out, gsm7Basic[c&0x7f])
		}
		return string(out), nil
	case 1:
		u := make([]uint16, len(body)/2)
		for i := range u {
			u[i] = uint16(body[2*i])<<8 | uint16(body[2*i+1])
		}
		return string(utf16.Decode(u)), nil
	}
	return "", fmt.Errorf("%w: network name coding scheme %d", ErrInvalidValue, n[0]>>4&7)
}

// MarshalJSON shows the text when it decodes, and the octets.
func (n NetworkName) MarshalJSON() ([]byte, error) {
	t, _ := n.Text()
	return json.Marshal(struct {
		Text   string `json:",omitempty"`
		Octets Octets
	}{t, Octets(n)})
}

func (n *NetworkName) decode(v []byte) error {
	if len(v) < 1 {
		return lengthError(0, 1, 255)
	}
	*n = v
	return nil
}

func (n NetworkName) appendTo(dst []byte) ([]byte, error) { return append(dst, n...), nil }

// TimeZone is the time zone IE (TS 24.301 §9.9.3.29, TS 24.008 §10.5.3.8):
// the offset from UTC in quarters of an hour, as swapped BCD digits with the
// sign in bit 4 (TS 23.040 §9.2.3.11), kept as the wire octet.
type TimeZone uint8

// NewTimeZone encodes an offset from UTC in seconds (rounded to quarters of
// an hour, |offset| < 20 h).
func NewTimeZone(offsetSeconds int) TimeZone {
	q := offsetSeconds / 900
	neg := q < 0
	if neg {
		q = -q
	}
	q %= 80
	b := byte(q%10)<<4 | byte(q/10)
	if neg {
		b |= 0x08
	}
	return TimeZone(b)
}

// OffsetSeconds returns the offset from UTC in seconds.
func (z TimeZone) OffsetSeconds() int {
	q := int(z&0x07)*10 + int(z>>4)
	if z&0x08 != 0 {
		q = -q
	}
	return q * 900
}

func (z *TimeZone) decode(v []byte) error {
	b, err := oneOctet(v)
	*z = TimeZone(b)
	return err
}

func (z TimeZone) appendTo(dst []byte) ([]byte, error) { return append(dst, byte(z)), nil }

// TimeZoneAndTime is the time zone and time IE (TS 24.301 §9.9.3.30, TS
// 24.008 §10.5.3.9): year, month, day, hour, minute, second as swapped BCD
// octets, then a TimeZone octet.
type TimeZoneAndTime [7]byte

// NewTimeZoneAndTime encodes t (its UTC time fields, TS 24.008 §10.5.3.9
// "universal time") and its zone offset.
func NewTimeZoneAndTime(t time.Time) TimeZoneAndTime {
	_, off := t.Zone()
	u := t.UTC()
	bcd := func(v int) byte { return byte(v%10)<<4 | byte(v/10%10) }
	return TimeZoneAndTime{bcd(u.Year() % 100), bcd(int(u.Month())), bcd(u.Day()), bcd(u.Hour()), bcd(u.Minute()), bcd(u.Second()), byte(NewTimeZone(off))}
}

// Time returns the universal time and the zone offset (seconds). Years are
// taken in 2000-2099.
func (z TimeZoneAndTime) Time() (time.Time, int) {
	d := func(b byte) int { return int(b&0x0f)*10 + int(b>>4) }
	t := time.Date(2000+d(z[0]), time.Month(d(z[1])), d(z[2]), d(z[3]), d(z[4]), d(z[5]), 0, time.UTC)
	return t, TimeZone(z[6]).OffsetSeconds()
}

// MarshalText returns RFC 3339 universal time with the offset, e.g.
// "2024-05-01T12:00:00Z+02:00".
func (z TimeZoneAndTime) MarshalText() ([]byte, error) {
	t, off := z.Time()
	sign := '+'
	if off < 0 {
		sign, off = '-', -off
	}
	return []byte(fmt.Sprintf("%s%c%02d:%02d", t.Format(time.RFC3339), sign, off/3600, off%3600/60)), nil
}

func (z *TimeZoneAndTime) decode(v []byte) error {
	if len(v) != 7 {
		return lengthError(len(v), 7, 7)
	}
	*z = TimeZoneAndTime(v)
	return nil
}

func (z TimeZoneAndTime) appendTo(dst []byte) ([]byte, error) { return append(dst, z[:]...), nil }

// DaylightSavingTime is the daylight saving time IE (TS 24.301 §9.9.3.6, TS
// 24.008 §10.5.3.12): bits 2-1, 0 no adjustment, 1 +1 hour, 2 +2 hours.
type DaylightSavingTime uint8

func (d *DaylightSavingTime) decode(v []byte) error {
	if len(v) < 1 {
		return lengthError(0, 1, 1)
	}
	*d = DaylightSavingTime(v[0])
	return nil
}

func (d DaylightSavingTime) appendTo(dst []byte) ([]byte, error) { return append(dst, byte(d)), nil }
