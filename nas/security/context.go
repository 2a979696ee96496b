package security

import (
	"crypto/subtle"
	"errors"
	"fmt"

	"github.com/lte-mme/mme/nas"
)

// Errors of the NAS security context.
var (
	// ErrIntegrity: the NAS-MAC (or the short MAC of a SERVICE REQUEST)
	// does not verify with the estimated COUNT (TS 24.301 §4.4.3.3,
	// §4.4.4). A replayed message ends here too: its estimated COUNT is not
	// the one it was protected with (see Unprotect). Returned inside an
	// *IntegrityError.
	ErrIntegrity = errors.New("security: NAS-MAC does not verify")
	// ErrCountExhausted: the 24-bit NAS COUNT of a direction is used up; a
	// value is never reused under one K_ASME (it would reuse keystream), so
	// a new K_ASME from AKA is needed (TS 24.301 §4.4.3.1).
	ErrCountExhausted = errors.New("security: NAS COUNT exhausted, run AKA for a new K_ASME")
	// ErrHeaderType: the security header type cannot be used here (TS 24.301
	// §9.3.1): Protect takes types 1-4, Unprotect reads types 1-4.
	ErrHeaderType = errors.New("security: security header type not supported here")
	// ErrMalformed: the input is not a security protected NAS message
	// (TS 24.301 §9.1); it wraps the codec's *nas.Error.
	ErrMalformed = errors.New("security: malformed security protected message")
	// ErrKSIMismatch: a SERVICE REQUEST names another key set than the
	// context's (TS 24.301 §9.9.3.19); the MME handles it as a failed
	// integrity check (§4.4.4.3), typically by authenticating.
	ErrKSIMismatch = errors.New("security: KSI does not match the security context")
	// ErrInvalidKSI: a context needs a KSI value 0-6; 7 means "no key is
	// available" (TS 24.301 §9.9.3.21).
	ErrInvalidKSI = errors.New("security: KSI value must be 0-6")
	// ErrRole: the operation belongs to the other end (an MME context does
	// not build SERVICE REQUESTs, a UE context does not verify them).
	ErrRole = errors.New("security: operation not available in this role")
	// ErrEIA0NotAllowed: EIA0 was selected without AllowEIA0 (TS 33.401
	// §5.1.4.1: only for unauthenticated emergency bearer services).
	ErrEIA0NotAllowed = errors.New("security: EIA0 is allowed only for unauthenticated emergency bearer services")
	// ErrSkipTooLarge: a COUNT skip would leave the peer's estimation window
	// of TS 24.301 §4.4.3.1 (at most 255 ahead of its last accepted value).
	ErrSkipTooLarge = errors.New("security: COUNT skip must be below 256")
	// ErrCorruptContext: UnmarshalBinary got bytes that are not a stored
	// context of a known layout.
	ErrCorruptContext = errors.New("security: corrupt stored security context")
)

// Role is the end of the NAS signalling connection a context serves. It
// fixes the directions: the MME protects downlink and unprotects uplink
// messages, the UE the reverse (TS 33.401 B.1.1 DIRECTION).
type Role uint8

// Roles.
const (
	RoleMME Role = iota + 1 // protect downlink, unprotect uplink, verify SERVICE REQUEST
	RoleUE                  // protect uplink, unprotect downlink, build SERVICE REQUEST
)

// String returns "MME" or "UE".
func (r Role) String() string {
	switch r {
	case RoleMME:
		return "MME"
	case RoleUE:
		return "UE"
	}
	return fmt.Sprintf("Role(%d)", uint8(r))
}

// KSI is the NAS key set identifier of a context (TS 24.301 §9.9.3.21, TS
// 33.401 §6.1.1 eKSI): a 3-bit value (7 means "no key is available") and the
// type of security context flag (TSC): native (from EPS-AKA, KSI_ASME) or
// mapped (from a UTRAN/GERAN context, KSI_SGSN).
type KSI struct {
	Value  uint8 // 0-6; 7 "no key is available"
	Mapped bool  // TSC = 1
}

// NoKeyAvailable is the KSI value meaning no key is available (TS 24.301
// §9.9.3.21).
const NoKeyAvailable = 7

// HalfOctet returns the NAS key set identifier as it sits in its half octet:
// TSC in bit 4, the value in bits 3-1 (TS 24.301 §9.9.3.21).
func (k KSI) HalfOctet() uint8 {
	h := k.Value & 7
	if k.Mapped {
		h |= 8
	}
	return h
}

// KSIFromHalfOctet reads a NAS key set identifier half octet (the low 4 bits
// of h; TS 24.301 §9.9.3.21).
func KSIFromHalfOctet(h uint8) KSI { return KSI{Value: h & 7, Mapped: h&8 != 0} }

// Count is a NAS COUNT (TS 24.301 §4.4.3.1): 24 bits, a 16-bit overflow
// counter above the 8-bit sequence number carried in each message. As an
// algorithm input it is 32 bits with the top octet 0 (TS 33.401 §B.1.1).
type Count uint32

// MaxCount is the largest NAS COUNT (2^24 − 1).
const MaxCount Count = 1<<24 - 1

// Overflow returns the NAS overflow counter (16 bits).
func (c Count) Overflow() uint16 { return uint16(c >> 8) }

// SQN returns the NAS sequence number (8 bits).
func (c Count) SQN() uint8 { return uint8(c) }

// Params are what a new NAS security context is made from (TS 24.301
// §4.4.2, TS 33.401 §7.2.4).
type Params struct {
	Role  Role
	KSI   KSI
	KASME [32]byte
	EEA   EEA
	EIA   EIA
	// UL and DL are the starting NAS COUNTs: 0 for a context from a new
	// K_ASME (TS 24.301 §4.4.3.1: reset with the SECURITY MODE COMMAND after
	// AKA); the running values when only the algorithms change.
	UL, DL Count
	// AllowEIA0 permits EIA0 (TS 33.401 §5.1.4.1: only for unauthenticated
	// emergency bearer services; replay protection is then off).
	AllowEIA0 bool
}

// Context is an EPS NAS security context (TS 24.301 §4.4.2, TS 33.401
// §7.2.4): K_ASME and its key set identifier, the selected algorithms, the
// NAS keys derived from them (A.7), and the uplink and downlink NAS COUNTs.
// It protects and unprotects the NAS messages of one UE, in the MME or in a
// simulated UE (Role). A Context is not safe for concurrent use; the
// per-subscriber actor owns it.
//
// Counts: tx is the COUNT the next protected message gets; rx is the lowest
// COUNT the next received message may have (one more than the last
// accepted). For the MME, tx is the downlink COUNT and rx the uplink one.
type Context struct {
	role      Role
	ksi       KSI
	kasme     [32]byte
	eea       EEA
	eia       EIA
	allowEIA0 bool
	ul, dl    Count // next COUNT per direction (see the type's comment)
	knasEnc   [16]byte
	knasInt   [16]byte
	enc       cipherer
	integ     macer
}

// NewContext derives K_NASenc and K_NASint from p.KASME for the selected
// algorithms (TS 33.401 A.7) and returns the context. Errors: ErrInvalidKSI,
// ErrUnknownAlgorithm, ErrEIA0NotAllowed, ErrCountExhausted (starting COUNT
// above 2^24), ErrRole for an unknown role.
func NewContext(p Params) (*Context, error) {
	c := new(Context)
	if err := c.init(p); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Context) init(p Params) error {
	if p.Role != RoleMME && p.Role != RoleUE {
		return fmt.Errorf("%w: %v", ErrRole, p.Role)
	}
	if p.KSI.Value >= NoKeyAvailable {
		return fmt.Errorf("%w: %d", ErrInvalidKSI, p.KSI.Value)
	}
	if !p.EEA.Valid() {
		return fmt.Errorf("%w: %v", ErrUnknownAlgorithm, p.EEA)
	}
	if !p.EIA.Valid() {
		return fmt.Errorf("%w: %v", ErrUnknownAlgorithm, p.EIA)
	}
	// TS 33.401 §5.1.4.1: EIA0 only for unauthenticated emergency calls.
	if p.EIA == EIA0 && !p.AllowEIA0 {
		return ErrEIA0NotAllowed
	}
	if p.UL > MaxCount+1 || p.DL > MaxCount+1 {
		return fmt.Errorf("%w: starting COUNTs %#x/%#x", ErrCountExhausted, p.UL, p.DL)
	}
	*c = Context{role: p.Role, ksi: p.KSI, kasme: p.KASME,
		eea: p.EEA, eia: p.EIA, allowEIA0: p.AllowEIA0, ul: p.UL, dl: p.DL}
	c.knasEnc, c.knasInt = DeriveNASKeys(c.kasme, c.eea, c.eia)
	if err := c.enc.init(c.eea, c.knasEnc); err != nil {
		return err
	}
	return c.integ.init(c.eia, c.knasInt)
}

// Role returns the end the context serves.
func (c *Context) Role() Role { return c.role }

// KSI returns the key set identifier.
func (c *Context) KSI() KSI { return c.ksi }

// KASME returns K_ASME.
func (c *Context) KASME() [32]byte { return c.kasme }

// Algorithms returns the selected ciphering and integrity algorithms.
func (c *Context) Algorithms() (EEA, EIA) { return c.eea, c.eia }

// NASKeys returns K_NASenc and K_NASint (TS 33.401 A.7).
func (c *Context) NASKeys() (knasEnc, knasInt [16]byte) { return c.knasEnc, c.knasInt }

// ULCount returns the uplink NAS COUNT the next uplink message gets (UE) or
// the lowest the next one may have (MME).
func (c *Context) ULCount() Count { return c.ul }

// DLCount returns the downlink NAS COUNT the next downlink message gets
// (MME) or the lowest the next one may have (UE).
func (c *Context) DLCount() Count { return c.dl }

// Remaining returns how many more messages the direction with the fewest
// left can carry before ErrCountExhausted; the MME runs AKA well before 0
// (TS 24.301 §4.4.3.1).
func (c *Context) Remaining() uint32 {
	return uint32(MaxCount + 1 - max(c.ul, c.dl))
}

// KENB derives K_eNB from K_ASME and an uplink NAS COUNT (TS 33.401 A.3),
// e.g. the COUNT Unprotect or VerifyServiceRequest returned for the message
// that triggers the initial context setup.
func (c *Context) KENB(ulCount Count) [32]byte { return DeriveKENB(c.kasme, uint32(ulCount)) }

func (c *Context) txDir() Direction {
	if c.role == RoleMME {
		return Downlink
	}
	return Uplink
}

func (c *Context) rxDir() Direction {
	if c.role == RoleMME {
		return Uplink
	}
	return Downlink
}

func (c *Context) tx() *Count {
	if c.role == RoleMME {
		return &c.dl
	}
	return &c.ul
}

func (c *Context) rx() *Count {
	if c.role == RoleMME {
		return &c.ul
	}
	return &c.dl
}

// nasBearer is the BEARER input of the NAS algorithms: the constant 0 (TS
// 33.401 §8.1.1 and §8.2).
const nasBearer = 0

// Protect appends the security protected form of the plain NAS message plain
// (TS 24.301 §9.1) to dst and returns the extended slice: octet 1 the
// security header type sht and the EMM protocol discriminator, octets 2-5
// the NAS-MAC, octet 6 the sequence number, then the message, ciphered when
// sht is 2 or 4 (TS 24.301 §4.4.5). The MAC covers the sequence number and
// the (ciphered) message (§4.4.3.3, §9.5), with the transmit COUNT,
// BEARER 0 and this role's direction; the COUNT then advances by one
// (§4.4.3.1). It does not allocate when dst has room for len(plain)+6
// octets; plain must not overlap that room.
//
// sht: IntegrityProtected (1), IntegrityProtectedCiphered (2), and the
// new-context types 3 (SECURITY MODE COMMAND) and 4 (SECURITY MODE
// COMPLETE) of TS 24.301 §9.3.1. Errors: ErrHeaderType, ErrCountExhausted.
func (c *Context) Protect(dst, plain []byte, sht nas.SecurityHeaderType) ([]byte, error) {
	if sht < nas.IntegrityProtected || sht > nas.IntegrityProtectedCipheredNewContext {
		return dst, fmt.Errorf("%w: %v", ErrHeaderType, sht)
	}
	tx := c.tx()
	count := *tx
	if count > MaxCount {
		return dst, ErrCountExhausted
	}
	start := len(dst)
	dst = append(dst, byte(sht)<<4|byte(nas.EPSMobilityManagement), 0, 0, 0, 0, count.SQN())
	dst = append(dst, plain...)
	dir := c.txDir()
	body := dst[start+nas.SecurityProtectedHeaderLen:]
	// TS 24.301 §4.4.5: cipher first, then compute the MAC over the
	// ciphered message.
	if sht.IsCiphered() {
		c.enc.xorKeyStream(uint32(count), nasBearer, dir, body)
	}
	signed := dst[start+nas.SecurityProtectedHeaderLen-1:] // SQN || message
	mac := c.integ.mac(uint32(count), nasBearer, dir, signed, 8*len(signed))
	copy(dst[start+1:start+5], mac[:])
	// TS 24.301 §4.4.3.1: the sender increases the NAS COUNT by one after
	// each new or retransmitted message.
	*tx = count + 1
	return dst, nil
}

// Received describes a message Unprotect accepted.
type Received struct {
	Header nas.SecurityHeaderType
	Count  Count // the NAS COUNT the message was protected with
}

// IntegrityError is returned when a MAC does not verify. errors.Is(err,
// ErrIntegrity) holds. The context is unchanged. TS 24.301 §4.4.4.3 lists the
// uplink messages the MME still processes after an integrity failure (e.g.
// ATTACH REQUEST, which leads to authentication); nas.ParseSecurityProtected
// gives their plain message when the header type is 1.
type IntegrityError struct {
	Header    nas.SecurityHeaderType
	Count     Count // the estimated COUNT the check used
	Direction Direction
}

func (e *IntegrityError) Error() string {
	return fmt.Sprintf("%v: %v message, %v COUNT %#x", ErrIntegrity, e.Header, e.Direction, uint32(e.Count))
}

func (e *IntegrityError) Unwrap() error { return ErrIntegrity }

// estimate returns the NAS COUNT of a received message from the low bits
// of its COUNT (8 bits in a security protected message, 5 in a SERVICE
// REQUEST), per TS 24.301 §4.4.3.1: the receiver keeps its overflow counter
// and increments it when the received sequence number is lower than the
// one expected, i.e. next is the lowest acceptable COUNT and the estimate is
// the smallest COUNT ≥ next with the received low bits.
func estimate(next Count, sqn uint8, bits uint) Count {
	mask := Count(1)<<bits - 1
	est := next&^mask | Count(sqn)&mask
	if est < next {
		est += mask + 1
	}
	return est
}

// Unprotect checks and deciphers the security protected NAS message pdu
// (TS 24.301 §9.1, header types 1-4) and appends the plain NAS message to
// dst. It estimates the full COUNT from the 8-bit sequence number (TS 24.301
// §4.4.3.1), verifies the NAS-MAC over sequence number and message with the
// receive direction and BEARER 0 (§4.4.3.3), deciphers types 2 and 4, and
// then moves the receive COUNT past the message. It does not allocate on
// success when dst has room.
//
// Replay rule: the estimate is the smallest COUNT at or above the lowest
// acceptable one with the received sequence number, and acceptance moves
// the lowest acceptable COUNT past it; so accepted COUNTs strictly increase
// and no COUNT is accepted twice. A replayed message is estimated 256 higher
// than the COUNT it was protected with and fails the MAC check. With EIA0
// (emergency, TS 33.401 §5.1.4.1) there is no MAC and no replay protection.
//
// Errors: ErrMalformed (wrapping the codec's *nas.Error), ErrHeaderType for
// type 5 and for a new-context type in the wrong direction (3 uplink, 4
// downlink), *IntegrityError (ErrIntegrity), ErrCountExhausted. On error the
// context is unchanged and dst is returned as it was.
func (c *Context) Unprotect(dst, pdu []byte) ([]byte, Received, error) {
	p, err := nas.ParseSecurityProtected(pdu)
	if err != nil {
		return dst, Received{}, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	switch {
	case p.Header > nas.IntegrityProtectedCipheredNewContext:
		// Type 5 belongs to CONTROL PLANE SERVICE REQUEST (CIoT), which
		// this MME does not offer (TS 24.301 §9.3.1 NOTE 4).
		return dst, Received{}, fmt.Errorf("%w: %v", ErrHeaderType, p.Header)
	case p.Header == nas.IntegrityProtectedNewContext && c.role == RoleMME,
		p.Header == nas.IntegrityProtectedCipheredNewContext && c.role == RoleUE:
		// TS 24.301 §9.3.1 NOTE 1 and 2: type 3 is only for SECURITY MODE
		// COMMAND (downlink), type 4 only for SECURITY MODE COMPLETE
		// (uplink). The header octet is not covered by the MAC, so this
		// also stops a type 2 turned into 3 from passing unciphered.
		return dst, Received{}, fmt.Errorf("%w: %v in the %v direction", ErrHeaderType, p.Header, c.rxDir())
	}
	rx := c.rx()
	count := estimate(*rx, p.SequenceNumber, 8)
	if count > MaxCount {
		return dst, Received{}, ErrCountExhausted
	}
	dir := c.rxDir()
	if c.eia != EIA0 {
		signed := pdu[nas.SecurityProtectedHeaderLen-1:] // SQN || message
		mac := c.integ.mac(uint32(count), nasBearer, dir, signed, 8*len(signed))
		if subtle.ConstantTimeCompare(mac[:], p.MAC[:]) != 1 {
			return dst, Received{}, &IntegrityError{Header: p.Header, Count: count, Direction: dir}
		}
	}
	start := len(dst)
	dst = append(dst, p.Message...)
	if p.Header.IsCiphered() {
		c.enc.xorKeyStream(uint32(count), nasBearer, dir, dst[start:])
	}
	*rx = count + 1
	return dst, Received{Header: p.Header, Count: count}, nil
}

// ProtectServiceRequest appends a SERVICE REQUEST (TS 24.301 §8.2.25) for
// the UE role: KSI, the 5 least significant bits of the uplink COUNT, and
// the short MAC, the 2 least significant octets of the NAS-MAC computed over
// the first two octets with the uplink COUNT (§9.9.3.28, §4.4.3.1). It
// returns the COUNT used (the input of K_eNB, TS 33.401 A.3). Errors: ErrRole
// for an MME context, ErrCountExhausted.
func (c *Context) ProtectServiceRequest(dst []byte) ([]byte, Count, error) {
	if c.role != RoleUE {
		return dst, 0, ErrRole
	}
	count := c.ul
	if count > MaxCount {
		return dst, 0, ErrCountExhausted
	}
	start := len(dst)
	dst = append(dst, byte(nas.ServiceRequestHeader)<<4|byte(nas.EPSMobilityManagement), c.ksi.Value<<5|uint8(count)&0x1f, 0, 0)
	mac := c.integ.mac(uint32(count), nasBearer, Uplink, dst[start:start+2], 16)
	dst[start+2], dst[start+3] = mac[2], mac[3]
	c.ul = count + 1
	return dst, count, nil
}

// VerifyServiceRequest checks a SERVICE REQUEST (TS 24.301 §8.2.25) for the
// MME role: the KSI must be the context's, the COUNT is estimated from its 5
// sequence number bits (§4.4.3.1) and the short MAC (§9.9.3.28) must match
// the 2 least significant octets of the NAS-MAC over the first two octets.
// On success the uplink COUNT moves past the message and the COUNT is
// returned for the K_eNB derivation (TS 33.401 A.3). Errors: ErrRole,
// ErrMalformed, ErrKSIMismatch, *IntegrityError, ErrCountExhausted; the
// context is unchanged on error.
func (c *Context) VerifyServiceRequest(pdu []byte) (Count, error) {
	if c.role != RoleMME {
		return 0, ErrRole
	}
	sr, err := nas.ParseServiceRequest(pdu)
	if err != nil {
		return 0, fmt.Errorf("%w: %w", ErrMalformed, err)
	}
	// TS 24.301 §5.6.1.4 / §9.9.3.19: the KSI names the context to use.
	if sr.KSI != c.ksi.Value {
		return 0, fmt.Errorf("%w: KSI %d, context %d", ErrKSIMismatch, sr.KSI, c.ksi.Value)
	}
	count := estimate(c.ul, sr.SequenceNumber, 5)
	if count > MaxCount {
		return 0, ErrCountExhausted
	}
	if c.eia != EIA0 {
		mac := c.integ.mac(uint32(count), nasBearer, Uplink, pdu[:2], 16)
		if subtle.ConstantTimeCompare(mac[2:4], sr.ShortMAC[:]) != 1 {
			return 0, &IntegrityError{Header: nas.ServiceRequestHeader, Count: count, Direction: Uplink}
		}
	}
	c.ul = count + 1
	return count, nil
}

// SkipTx advances the transmit COUNT by n without sending, for a node that
// takes over a subscriber from a stored record that may lag the COUNTs the
// previous owner used (DESIGN.md "State": NAS COUNTs never go back). The
// peer accepts a COUNT at most 255 above the next one it expects (TS 24.301
// §4.4.3.1 estimation), so n must be below 256 and at least the number of
// messages that may have been sent since the record was stored.
// Errors: ErrSkipTooLarge, ErrCountExhausted.
func (c *Context) SkipTx(n uint32) error {
	if n >= 256 {
		return fmt.Errorf("%w: %d", ErrSkipTooLarge, n)
	}
	tx := c.tx()
	if *tx+Count(n) > MaxCount+1 {
		return ErrCountExhausted
	}
	*tx += Count(n)
	return nil
}
