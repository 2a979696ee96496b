package security

import "fmt"

// EEA is an EPS encryption algorithm identifier (TS 33.401 §5.1.3.2), the
// 3-bit value of the "type of ciphering algorithm" field of the NAS security
// algorithms IE (TS 24.301 §9.9.3.23). The constants are the wire values, so
// EEA0 is 0 (an exception to the iota+1 house rule: 0 is a real algorithm).
type EEA uint8

// EPS encryption algorithms, TS 33.401 §5.1.3.2.
const (
	EEA0 EEA = 0 // null ciphering
	EEA1 EEA = 1 // 128-EEA1, SNOW 3G based (Annex B.1.2)
	EEA2 EEA = 2 // 128-EEA2, AES-128 in CTR mode (Annex B.1.3)
	EEA3 EEA = 3 // 128-EEA3, ZUC based (Annex B.1.4)
)

// String returns "EEA0" .. "EEA3" or "EEA(n)".
func (a EEA) String() string {
	if a <= EEA3 {
		return fmt.Sprintf("EEA%d", uint8(a))
	}
	return fmt.Sprintf("EEA(%d)", uint8(a))
}

// Valid reports whether a is one of EEA0-EEA3.
func (a EEA) Valid() bool { return a <= EEA3 }

// EIA is an EPS integrity algorithm identifier (TS 33.401 §5.1.4.2), the
// 3-bit value of the "type of integrity protection algorithm" field of the
// NAS security algorithms IE (TS 24.301 §9.9.3.23). The constants are the
// wire values, so EIA0 is 0.
type EIA uint8

// EPS integrity algorithms, TS 33.401 §5.1.4.2.
const (
	EIA0 EIA = 0 // null integrity; only for unauthenticated emergency calls (§5.1.4.1)
	EIA1 EIA = 1 // 128-EIA1, SNOW 3G based (Annex B.2.2)
	EIA2 EIA = 2 // 128-EIA2, AES-128 CMAC (Annex B.2.3)
	EIA3 EIA = 3 // 128-EIA3, ZUC based (Annex B.2.4)
)

// String returns "EIA0" .. "EIA3" or "EIA(n)".
func (a EIA) String() string {
	if a <= EIA3 {
		return fmt.Sprintf("EIA%d", uint8(a))
	}
	return fmt.Sprintf("EIA(%d)", uint8(a))
}

// Valid reports whether a is one of EIA0-EIA3.
func (a EIA) Valid() bool { return a <= EIA3 }

// Direction is the 1-bit DIRECTION input of the EEA and EIA algorithms (TS
// 33.401 §B.1.1, §B.2.1): 0 for uplink, 1 for downlink. The constants are the
// wire values.
type Direction uint8

// Directions, TS 33.401 §B.1.1.
const (
	Uplink   Direction = 0
	Downlink Direction = 1
)

// String returns "uplink" or "downlink".
func (d Direction) String() string {
	if d == Uplink {
		return "uplink"
	}
	return "downlink"
}
