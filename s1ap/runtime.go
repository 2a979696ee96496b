package s1ap

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lte-mme/mme/s1ap/aper"
)

// Optional holds an OPTIONAL component or IE: Present tells whether it is
// there. The value sits inline, so decoding an optional IE allocates
// nothing beyond what the value itself needs.
type Optional[T any] struct {
	Value   T
	Present bool
}

// Some returns a present Optional holding v.
func Some[T any](v T) Optional[T] { return Optional[T]{Value: v, Present: true} }

// Get returns the value and whether it is present.
func (o Optional[T]) Get() (T, bool) { return o.Value, o.Present }

// Set makes o present with value v.
func (o *Optional[T]) Set(v T) { o.Value, o.Present = v, true }

// Clear makes o absent.
func (o *Optional[T]) Clear() { *o = Optional[T]{} }

// IsZero reports absence (for encoding/json's omitzero).
func (o Optional[T]) IsZero() bool { return !o.Present }

// MarshalJSON writes the value, or null when absent.
func (o Optional[T]) MarshalJSON() ([]byte, error) {
	if !o.Present {
		return []byte("null"), nil
	}
	return json.Marshal(o.Value)
}

// BitString is a BIT STRING of variable size: Len bits, most significant
// bit of Bytes[0] first. Bits past Len in the last octet are zero when
// decoded and ignored when encoded.
type BitString struct {
	Bytes []byte
	Len   int
}

// MarshalJSON writes {"bits":"<hex>","len":n}.
func (b BitString) MarshalJSON() ([]byte, error) {
	n := (b.Len + 7) / 8
	if n > len(b.Bytes) {
		n = len(b.Bytes)
	}
	return []byte(`{"bits":"` + hex.EncodeToString(b.Bytes[:n]) + `","len":` + strconv.Itoa(b.Len) + `}`), nil
}

// ObjectIdentifier is an OBJECT IDENTIFIER as its arcs (X.680 §32), used
// by PrivateIE-ID global.
type ObjectIdentifier []uint64

// ProtocolIEField is a single IE kept raw: the choice-Extensions
// alternatives of TS 36.413 CHOICE types, whose object sets are empty in
// this release, so any IE there is unknown to this codec.
type ProtocolIEField struct {
	ID          ProtocolIEID
	Criticality Criticality
	Value       []byte // the open type's octets (one complete encoding)
}

// PrivateIEField is one IE of a PrivateMessage (TS 36.413 §9.1.8.x
// PrivateIE-Container), kept raw: its meaning is private to the peers.
type PrivateIEField struct {
	ID          PrivateIEID
	Criticality Criticality
	Value       []byte
}

func (v *ProtocolIEField) encodeAPER(e *aper.Encoder) error {
	if v.Criticality < CriticalityReject || v.Criticality > CriticalityNotify {
		return valueError("Criticality", int64(v.Criticality))
	}
	e.PutConstrained(int64(v.ID), 0, 65535)
	e.PutBits(uint64(v.Criticality-1), 2)
	if len(v.Value) == 0 {
		e.PutFragmented([]byte{0})
		return nil
	}
	e.PutFragmented(v.Value)
	return nil
}

func (v *ProtocolIEField) decodeAPER(d *aper.Decoder, c *decodeCtx) error {
	id, crit, sub, err := c.ieHeader(d)
	if err != nil {
		return err
	}
	v.ID, v.Criticality, v.Value = ProtocolIEID(id), crit, sub.Rest()
	return c.unknownIE(id, crit)
}

// ---- errors used by the generated code ----

// ErrValue is wrapped by encoding errors for values outside their type's
// constraint (a bug in the caller's message, reported instead of sent).
var ErrValue = errors.New("s1ap: value outside its ASN.1 constraint")

// errNotComprehended marks a value that is well-formed but not understood
// (TS 36.413 §10.3.1 cases 1 and 2: an unknown extension alternative or
// enumeration value, a value outside its logical range). The IE container
// turns it into an IEIssue handled by the IE's criticality.
var errNotComprehended = errors.New("s1ap: value not comprehended")

func valueError(name string, v int64) error {
	return fmt.Errorf("%w: %s = %d", ErrValue, name, v)
}

func sizeError(name string, n int) error {
	return fmt.Errorf("%w: %s has size %d", ErrValue, name, n)
}

func choiceError(name string, c uint8) error {
	return fmt.Errorf("%w: %s has no alternative chosen (Choice = %d)", ErrValue, name, c)
}

func notComprehended(name string, k int) error {
	return fmt.Errorf("%w: %s extension value %d is unknown to TS 36.413 V17.4.0", errNotComprehended, name, k)
}

func notComprehendedErr(err error) error { return fmt.Errorf("%w: %w", errNotComprehended, err) }

// pathError prefixes an error with the component path where it occurred.
type pathError struct {
	path string
	err  error
}

func (e *pathError) Error() string { return e.path + ": " + e.err.Error() }
func (e *pathError) Unwrap() error { return e.err }

func fieldError(name string, err error) error {
	if pe, ok := err.(*pathError); ok {
		return &pathError{path: name + "." + pe.path, err: pe.err}
	}
	return &pathError{path: name, err: err}
}

func indexError(i int, err error) error {
	return fieldError("["+strconv.Itoa(i)+"]", err)
}

func ieError(name string, id int, err error) error {
	return fieldError("IE "+name+" ("+strconv.Itoa(id)+")", err)
}

// ---- decoding context: §10 issues ----

// maxIssues bounds the issues one message can report (maxnoofErrors).
const maxIssues = MaxnoofErrors

var errTooManyIssues = errors.New("s1ap: more than 256 erroneous IEs in one message")

type decodeCtx struct {
	strict bool
	issues []IEIssue
	at     int // bit offset of the IE being decoded
}

func (c *decodeCtx) add(i IEIssue) error {
	if len(c.issues) >= maxIssues {
		return errTooManyIssues
	}
	if i.Kind != IssueMissing {
		i.Offset = c.at
	}
	c.issues = append(c.issues, i)
	return nil
}

// ieHeader reads the id and criticality of a ProtocolIE-Field or
// ProtocolExtensionField and opens its value.
func (c *decodeCtx) ieHeader(d *aper.Decoder) (int64, Criticality, aper.Decoder, error) {
	d.Align()
	c.at = d.Offset()
	id, err := d.Constrained(0, 65535)
	if err != nil {
		return 0, 0, aper.Decoder{}, err
	}
	crit, err := d.Constrained(0, 2)
	if err != nil {
		return 0, 0, aper.Decoder{}, err
	}
	sub, err := d.OpenType()
	if err != nil {
		return 0, 0, aper.Decoder{}, err
	}
	return id, Criticality(crit + 1), sub, nil
}

// unknownIE records an IE whose id is not in the object set
// (TS 36.413 §10.3.4.1: handled by the received criticality).
func (c *decodeCtx) unknownIE(id int64, crit Criticality) error {
	return c.add(IEIssue{Kind: IssueUnknownIE, ID: ProtocolIEID(id), Criticality: crit})
}

// missingIE records an absent mandatory IE (TS 36.413 §10.3.4.2: handled
// by the criticality this release gives the IE).
func (c *decodeCtx) missingIE(id int64, spec Criticality) {
	_ = c.add(IEIssue{Kind: IssueMissing, ID: ProtocolIEID(id), Criticality: spec})
}

// repeated checks one occurrence of a known IE: a second occurrence is
// "too many occurrences" and one before an IE that the object set lists
// earlier is "wrong order" (TS 36.413 §10.3.1 case 4, §10.3.6). It returns
// true when the occurrence must be skipped.
func (c *decodeCtx) repeated(seen *uint64, bit uint, last *int, idx int, id int64, crit Criticality) bool {
	if *seen&(1<<bit) != 0 {
		_ = c.add(IEIssue{Kind: IssueDuplicate, ID: ProtocolIEID(id), Criticality: crit})
		return true
	}
	*seen |= 1 << bit
	if idx < *last {
		if c.strict {
			_ = c.add(IEIssue{Kind: IssueWrongOrder, ID: ProtocolIEID(id), Criticality: crit})
		}
	} else {
		*last = idx
	}
	return false
}

// ieDone finishes one IE value: a value not comprehended becomes an issue
// (the IE is then absent), any other failure is a transfer syntax error; in
// strict mode trailing octets in the open type are an error and a
// criticality other than the spec's is reported. It returns whether the
// value is usable.
func (c *decodeCtx) ieDone(sub *aper.Decoder, derr error, at int, name string, id int64, crit, spec Criticality) (bool, error) {
	c.at = at
	if derr != nil {
		if errors.Is(derr, errNotComprehended) {
			return false, c.add(IEIssue{Kind: IssueNotComprehended, ID: ProtocolIEID(id), Criticality: crit, Err: derr})
		}
		return false, ieError(name, int(id), derr)
	}
	if err := sub.Finish(); err != nil {
		return false, ieError(name, int(id), err)
	}
	if crit != spec && c.strict {
		if err := c.add(IEIssue{Kind: IssueWrongCriticality, ID: ProtocolIEID(id), Criticality: crit, Expected: spec}); err != nil {
			return false, err
		}
	}
	return true, nil
}

// unknownExtensions reads a ProtocolExtensionContainer whose object set is
// empty in this release: every field is an unknown IE.
func (c *decodeCtx) unknownExtensions(d *aper.Decoder) error {
	n, err := d.Constrained(1, 65535)
	if err != nil {
		return err
	}
	for i := int64(0); i < n; i++ {
		id, crit, _, err := c.ieHeader(d)
		if err != nil {
			return err
		}
		if err := c.unknownIE(id, crit); err != nil {
			return err
		}
	}
	return nil
}

// extensionBitmap reads the presence bitmap of SEQUENCE extension
// additions (X.691 §19.8): bit i of the result at position 63-i.
func extensionBitmap(d *aper.Decoder) (uint64, int, error) {
	n, err := d.SmallNumber()
	if err != nil {
		return 0, 0, err
	}
	n++
	if n > 64 {
		return 0, 0, aper.ErrTooLarge
	}
	bm, err := d.Bits(n)
	if err != nil {
		return 0, 0, err
	}
	return bm << uint(64-n), n, nil
}

// skipExtensionAdditions skips the extension additions of a SEQUENCE that
// this release does not define (X.691 §19.9: decoders ignore them).
func skipExtensionAdditions(d *aper.Decoder) error {
	bm, n, err := extensionBitmap(d)
	if err != nil {
		return err
	}
	for i := 0; i < n; i++ {
		if bm&(1<<uint(63-i)) != 0 {
			if _, err := d.OpenTypeBytes(); err != nil {
				return err
			}
		}
	}
	return nil
}

// ---- character strings ----

// printableChars is the PrintableString alphabet (X.680 §41.4 Table 10).
const printableChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?"

// checkAlphabet checks the characters of a PrintableString or
// VisibleString (X.680 §41, Table 10).
func checkAlphabet(name, s string, printable bool) error {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if printable && strings.IndexByte(printableChars, c) < 0 || c < 0x20 || c > 0x7e {
			return fmt.Errorf("%w: %s has character %q outside its alphabet", ErrValue, name, s[i])
		}
	}
	return nil
}

// ---- OBJECT IDENTIFIER (X.691 §24: length and X.690 §8.19 contents) ----

func encodeOID(e *aper.Encoder, oid ObjectIdentifier) error {
	if len(oid) < 2 || oid[0] > 2 || (oid[0] < 2 && oid[1] > 39) {
		return fmt.Errorf("%w: OBJECT IDENTIFIER %v", ErrValue, []uint64(oid))
	}
	var buf [64]byte
	b := buf[:0]
	b = appendBase128(b, oid[0]*40+oid[1])
	for _, a := range oid[2:] {
		b = appendBase128(b, a)
	}
	e.PutFragmented(b)
	return nil
}

func appendBase128(b []byte, v uint64) []byte {
	var tmp [10]byte
	i := len(tmp)
	for {
		i--
		tmp[i] = byte(v & 0x7f)
		v >>= 7
		if v == 0 {
			break
		}
	}
	for j := i; j < len(tmp)-1; j++ {
		tmp[j] |= 0x80
	}
	return append(b, tmp[i:]...)
}

var errOID = errors.New("s1ap: malformed OBJECT IDENTIFIER")

func decodeOID(d *aper.Decoder) (ObjectIdentifier, error) {
	b, err := d.FragmentedOctets()
	if err != nil {
		return nil, err
	}
	if len(b) == 0 || len(b) > 64 {
		return nil, errOID
	}
	var arcs []uint64
	var v uint64
	for i, x := range b {
		if v > 1<<56 || (v == 0 && x == 0x80) {
			return nil, errOID
		}
		v = v<<7 | uint64(x&0x7f)
		if x&0x80 != 0 {
			if i == len(b)-1 {
				return nil, errOID
			}
			continue
		}
		if arcs == nil {
			switch {
			case v < 40:
				arcs = append(arcs, 0, v)
			case v < 80:
				arcs = append(arcs, 1, v-40)
			default:
				arcs = append(arcs, 2, v-80)
			}
		} else {
			arcs = append(arcs, v)
		}
		v = 0
	}
	return arcs, nil
}

// ---- PrivateIE-Container ----

func encodePrivateIEs(e *aper.Encoder, ies []PrivateIEField) error {
	if len(ies) < 1 || len(ies) > MaxPrivateIEs {
		return sizeError("PrivateIE-Container", len(ies))
	}
	e.PutConstrained(int64(len(ies)), 1, MaxPrivateIEs)
	for i := range ies {
		if err := ies[i].ID.encodeAPER(e); err != nil {
			return indexError(i, err)
		}
		if ies[i].Criticality < CriticalityReject || ies[i].Criticality > CriticalityNotify {
			return indexError(i, valueError("Criticality", int64(ies[i].Criticality)))
		}
		e.PutBits(uint64(ies[i].Criticality-1), 2)
		v := ies[i].Value
		if len(v) == 0 {
			v = []byte{0}
		}
		e.PutFragmented(v)
	}
	return nil
}

func decodePrivateIEs(d *aper.Decoder, c *decodeCtx) ([]PrivateIEField, error) {
	n, err := d.Constrained(1, MaxPrivateIEs)
	if err != nil {
		return nil, err
	}
	if int(n) > d.Remaining() {
		return nil, aper.ErrTruncated
	}
	out := make([]PrivateIEField, n)
	for i := range out {
		if err := out[i].ID.decodeAPER(d, c); err != nil {
			return nil, indexError(i, err)
		}
		crit, err := d.Constrained(0, 2)
		if err != nil {
			return nil, err
		}
		out[i].Criticality = Criticality(crit + 1)
		if out[i].Value, err = d.FragmentedOctets(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// ---- JSON helpers (off the hot path) ----

func hexJSON(b []byte) []byte {
	out := make([]byte, 0, 2*len(b)+2)
	out = append(out, '"')
	out = hex.AppendEncode(out, b)
	return append(out, '"')
}

func stringJSON(s string) []byte {
	b, _ := json.Marshal(s)
	return b
}

func choiceJSON(name string, v any) ([]byte, error) {
	inner, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	out := append(stringJSON(name), ':')
	return append(append([]byte{'{'}, append(out, inner...)...), '}'), nil
}
