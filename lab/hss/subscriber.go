package hss

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lte-mme/mme/nas/security"
)

// Errors of subscriber management.
var (
	ErrUnknownSubscriber = errors.New("hss: unknown subscriber")
	ErrInvalidSubscriber = errors.New("hss: invalid subscriber")
)

// Subscriber is one HSS subscription: the USIM's secrets and sequence
// number (TS 33.102 §6.3) and the EPS subscription data the HSS sends in
// Update-Location-Answer (TS 29.272 §7.3.2, §7.3.35).
type Subscriber struct {
	IMSI string   // 6 to 15 digits
	K    [16]byte // subscriber key
	OPc  [16]byte // operator variant, derived from OP when OP is given (TS 35.206 §4.1)
	AMF  [2]byte  // authentication management field; the HSS sets the separation bit (TS 33.401 §6.1.1)
	// SQN is the next sequence number the HSS issues, SEQ || IND with a
	// 5-bit IND (TS 33.102 Annex C.3.2 profile; see NextSQN).
	SQN    uint64
	MSISDN string // digits, "" for none
	APN    string // the default APN (Service-Selection of context 1)
	// Optional profile values; zero takes the HSS default.
	AMBRUL, AMBRDL        uint32 // UE-AMBR and APN-AMBR, bit/s
	QCI                   uint8  // default bearer QCI (TS 23.203 §6.1.7)
	ARPPriority           uint8  // ARP priority level 1..15
	AccessRestrictionData uint32 // TS 29.272 §7.3.31 bit mask
}

// INDBits is the length of IND in SQN = SEQ || IND (TS 33.102 Annex C.3.2:
// 5 bits, a = 32).
const INDBits = 5

// NextSQN returns the sequence number that follows sqn: SEQ incremented
// by one, IND advanced cyclically (TS 33.102 C.1.1, C.3.2, C.3.4: each
// vector of a batch gets its own IND, so vectors used out of order by
// different serving nodes stay acceptable to the USIM's SEQ_MS array).
func NextSQN(sqn uint64) uint64 {
	seq, ind := sqn>>INDBits, sqn&(1<<INDBits-1)
	return ((seq+1)<<INDBits | (ind+1)&(1<<INDBits-1)) & security.MaxSQN
}

// validate checks the fields a subscriber must have.
func (s *Subscriber) validate() error {
	if n := len(s.IMSI); n < 6 || n > 15 || !digits(s.IMSI) {
		return fmt.Errorf("%w: IMSI %q is not 6 to 15 digits", ErrInvalidSubscriber, s.IMSI)
	}
	if s.MSISDN != "" && (len(s.MSISDN) > 15 || !digits(s.MSISDN)) {
		return fmt.Errorf("%w: MSISDN %q is not up to 15 digits", ErrInvalidSubscriber, s.MSISDN)
	}
	if s.SQN > security.MaxSQN {
		return fmt.Errorf("%w: SQN %d exceeds 48 bits", ErrInvalidSubscriber, s.SQN)
	}
	if s.APN == "" || len(s.APN) > 100 {
		return fmt.Errorf("%w: APN %q", ErrInvalidSubscriber, s.APN)
	}
	if s.ARPPriority > 15 {
		return fmt.Errorf("%w: ARP priority %d", ErrInvalidSubscriber, s.ARPPriority)
	}
	return nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// SubscriberInput is a subscriber as the REST API and the CSV import give
// it: hex strings for the keys, OP or OPc.
type SubscriberInput struct {
	IMSI   string `json:"imsi"`
	K      string `json:"k"`
	OPc    string `json:"opc,omitempty"`
	OP     string `json:"op,omitempty"`
	AMF    string `json:"amf,omitempty"` // default 8000
	SQN    string `json:"sqn,omitempty"` // decimal or 0x-hex; default 32 (SEQ 1, IND 0)
	MSISDN string `json:"msisdn,omitempty"`
	APN    string `json:"apn,omitempty"`

	AMBRUL                uint32 `json:"ambr_ul,omitempty"`
	AMBRDL                uint32 `json:"ambr_dl,omitempty"`
	QCI                   uint8  `json:"qci,omitempty"`
	ARPPriority           uint8  `json:"arp_priority,omitempty"`
	AccessRestrictionData uint32 `json:"access_restriction_data,omitempty"`
}

// DefaultSQN is the first SQN of a subscriber given none: SEQ 1, IND 0.
const DefaultSQN = 1 << INDBits

// Subscriber parses and validates the input; defaultAPN fills an empty APN.
func (in *SubscriberInput) Subscriber(defaultAPN string) (Subscriber, error) {
	s := Subscriber{IMSI: strings.TrimSpace(in.IMSI), MSISDN: strings.TrimSpace(in.MSISDN), APN: strings.TrimSpace(in.APN),
		AMBRUL: in.AMBRUL, AMBRDL: in.AMBRDL, QCI: in.QCI, ARPPriority: in.ARPPriority, AccessRestrictionData: in.AccessRestrictionData}
	if s.APN == "" {
		s.APN = defaultAPN
	}
	var err error
	if s.K, err = hex16("k", in.K); err != nil {
		return s, err
	}
	switch {
	case strings.TrimSpace(in.OPc) != "":
		if s.OPc, err = hex16("opc", in.OPc); err != nil {
			return s, err
		}
	case strings.TrimSpace(in.OP) != "":
		op, err := hex16("op", in.OP)
		if err != nil {
			return s, err
		}
		s.OPc = security.DeriveOPc(s.K, op)
	default:
		return s, fmt.Errorf("%w: neither opc nor op given", ErrInvalidSubscriber)
	}
	amf := strings.TrimSpace(in.AMF)
	if amf == "" {
		amf = "8000"
	}
	b, err := hex.DecodeString(amf)
	if err != nil || len(b) != 2 {
		return s, fmt.Errorf("%w: amf %q is not 4 hex digits", ErrInvalidSubscriber, in.AMF)
	}
	s.AMF = [2]byte(b)
	s.SQN = DefaultSQN
	if v := strings.TrimSpace(in.SQN); v != "" {
		if s.SQN, err = strconv.ParseUint(v, 0, 64); err != nil {
			return s, fmt.Errorf("%w: sqn %q", ErrInvalidSubscriber, in.SQN)
		}
	}
	return s, s.validate()
}

func hex16(name, v string) ([16]byte, error) {
	b, err := hex.DecodeString(strings.TrimSpace(v))
	if err != nil || len(b) != 16 {
		return [16]byte{}, fmt.Errorf("%w: %s is not 32 hex digits", ErrInvalidSubscriber, name)
	}
	return [16]byte(b), nil
}

// SubscriberView is a subscriber as the REST API shows it.
type SubscriberView struct {
	IMSI                  string `json:"imsi"`
	K                     string `json:"k"`
	OPc                   string `json:"opc"`
	AMF                   string `json:"amf"`
	SQN                   uint64 `json:"sqn"`
	MSISDN                string `json:"msisdn,omitempty"`
	APN                   string `json:"apn"`
	AMBRUL                uint32 `json:"ambr_ul,omitempty"`
	AMBRDL                uint32 `json:"ambr_dl,omitempty"`
	QCI                   uint8  `json:"qci,omitempty"`
	ARPPriority           uint8  `json:"arp_priority,omitempty"`
	AccessRestrictionData uint32 `json:"access_restriction_data,omitempty"`
	ServingMME            string `json:"serving_mme,omitempty"`
	ServingMMERealm       string `json:"serving_mme_realm,omitempty"`
	Purged                bool   `json:"purged,omitempty"`
}

// recordVersion is the version of the stored subscriber encoding.
const recordVersion = 1

// marshal encodes the subscriber compactly for badger:
// version, K, OPc, AMF, SQN (8), AMBR UL/DL (4+4), QCI, ARP, ARD (4),
// then MSISDN and APN with one-octet lengths.
func (s *Subscriber) marshal() []byte {
	b := make([]byte, 0, 64+len(s.MSISDN)+len(s.APN))
	b = append(b, recordVersion)
	b = append(b, s.K[:]...)
	b = append(b, s.OPc[:]...)
	b = append(b, s.AMF[:]...)
	b = binary.BigEndian.AppendUint64(b, s.SQN)
	b = binary.BigEndian.AppendUint32(b, s.AMBRUL)
	b = binary.BigEndian.AppendUint32(b, s.AMBRDL)
	b = append(b, s.QCI, s.ARPPriority)
	b = binary.BigEndian.AppendUint32(b, s.AccessRestrictionData)
	b = append(b, byte(len(s.MSISDN)))
	b = append(b, s.MSISDN...)
	b = append(b, byte(len(s.APN)))
	b = append(b, s.APN...)
	return b
}

const fixedRecordLen = 1 + 16 + 16 + 2 + 8 + 4 + 4 + 1 + 1 + 4

func unmarshalSubscriber(imsi string, b []byte) (Subscriber, error) {
	s := Subscriber{IMSI: imsi}
	if len(b) < fixedRecordLen+2 || b[0] != recordVersion {
		return s, fmt.Errorf("hss: stored record of %s: bad version or length", imsi)
	}
	p := b[1:]
	copy(s.K[:], p[0:16])
	copy(s.OPc[:], p[16:32])
	copy(s.AMF[:], p[32:34])
	s.SQN = binary.BigEndian.Uint64(p[34:42])
	s.AMBRUL = binary.BigEndian.Uint32(p[42:46])
	s.AMBRDL = binary.BigEndian.Uint32(p[46:50])
	s.QCI, s.ARPPriority = p[50], p[51]
	s.AccessRestrictionData = binary.BigEndian.Uint32(p[52:56])
	p = p[56:]
	n := int(p[0])
	if len(p) < 1+n+1 {
		return s, fmt.Errorf("hss: stored record of %s: truncated", imsi)
	}
	s.MSISDN = string(p[1 : 1+n])
	p = p[1+n:]
	m := int(p[0])
	if len(p) != 1+m {
		return s, fmt.Errorf("hss: stored record of %s: truncated", imsi)
	}
	s.APN = string(p[1:])
	return s, nil
}

// location is the serving node the HSS stores at Update-Location
// (TS 29.272 §5.2.1.1.3) and the purge flag of Purge-UE (§5.2.1.3).
type location struct {
	Host, Realm string
	Purged      bool
}

func (l *location) marshal() []byte {
	b := []byte{recordVersion, 0, byte(len(l.Host))}
	if l.Purged {
		b[1] = 1
	}
	b = append(b, l.Host...)
	b = append(b, byte(len(l.Realm)))
	return append(b, l.Realm...)
}

func unmarshalLocation(b []byte) (location, error) {
	var l location
	if len(b) < 4 || b[0] != recordVersion {
		return l, errors.New("hss: stored location: bad version or length")
	}
	l.Purged = b[1] == 1
	n := int(b[2])
	if len(b) < 3+n+1 {
		return l, errors.New("hss: stored location: truncated")
	}
	l.Host = string(b[3 : 3+n])
	r := b[3+n:]
	if len(r) != 1+int(r[0]) {
		return l, errors.New("hss: stored location: truncated")
	}
	l.Realm = string(r[1:])
	return l, nil
}
