package loadtest

import (
	"bufio"
	crand "crypto/rand"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"
)

// Subscriber is one line of the HSS subscriber file (docs/design/s6a.md
// "CSV format"): the USIM's IMSI, K and OPc (TS 35.206 §4.1), the AMF of
// the authentication vectors, the next SQN the HSS issues (TS 33.102 Annex
// C), the MSISDN and the default APN.
type Subscriber struct {
	IMSI   string // 6-15 decimal digits (TS 23.003 §2.2)
	K, OPc [16]byte
	AMF    [2]byte
	SQN    uint64 // the next SQN the HSS issues (SEQ || IND, 48 bits)
	MSISDN string
	APN    string
}

// Defaults of generated subscribers (the lab HSS's own defaults, so a file
// written here and one written by hand mean the same).
const (
	DefaultIMSIStart = "001010000000001"
	DefaultAMF       = 0x8000 // separation bit set: EPS (TS 33.401 §6.1.1)
	DefaultSQN       = 32     // SEQ 1, IND 0 (TS 33.102 C.3.2)
	DefaultAPN       = "internet"
)

// Errors of the subscriber file.
var (
	// ErrSubscriberFile: a CSV subscriber file is not in the HSS format; the
	// wrapping error names the line and the column.
	ErrSubscriberFile = errors.New("loadtest: bad subscriber file")
	// ErrIMSIRange: the requested IMSIs do not fit the digits of the start
	// IMSI.
	ErrIMSIRange = errors.New("loadtest: IMSI range overflows its digits")
)

// GenerateSubscribers returns n subscribers with consecutive IMSIs from
// imsiStart (same number of digits) and distinct random K and OPc. A
// non-zero seed makes the keys reproducible (ChaCha8 seeded from it);
// seed 0 draws them from crypto/rand. SQN is DefaultSQN, AMF DefaultAMF,
// APN DefaultAPN and the MSISDN "336" followed by the IMSI's last 8 digits.
func GenerateSubscribers(n int, imsiStart string, seed uint64) ([]Subscriber, error) {
	subs := make([]Subscriber, 0, n)
	err := generateSubscribers(n, imsiStart, seed, func(s Subscriber) error {
		subs = append(subs, s)
		return nil
	})
	return subs, err
}

func generateSubscribers(n int, imsiStart string, seed uint64, emit func(Subscriber) error) error {
	if n < 0 {
		return fmt.Errorf("loadtest: negative subscriber count %d", n)
	}
	first, digits, err := parseIMSI(imsiStart)
	if err != nil {
		return err
	}
	if n > 0 && first+uint64(n-1) >= pow10(digits) {
		return fmt.Errorf("%w: %d subscribers from %s", ErrIMSIRange, n, imsiStart)
	}
	var src io.Reader = crand.Reader
	if seed != 0 {
		var s [32]byte
		binary.LittleEndian.PutUint64(s[:], seed)
		src = chachaReader{rand.NewChaCha8(s)}
	}
	r := bufio.NewReaderSize(src, 4096)
	seen := make(map[[16]byte]struct{}, 2*n)
	for i := 0; i < n; i++ {
		s := Subscriber{IMSI: formatIMSI(first+uint64(i), digits), AMF: [2]byte{DefaultAMF >> 8, DefaultAMF & 0xff},
			SQN: DefaultSQN, APN: DefaultAPN}
		// Distinct keys: a repeat (probability ~2^-128) is drawn again.
		for _, key := range []*[16]byte{&s.K, &s.OPc} {
			for {
				if _, err := io.ReadFull(r, key[:]); err != nil {
					return fmt.Errorf("loadtest: random keys: %w", err)
				}
				if _, dup := seen[*key]; !dup {
					seen[*key] = struct{}{}
					break
				}
			}
		}
		imsi := s.IMSI
		s.MSISDN = "336" + imsi[max(0, len(imsi)-8):]
		if err := emit(s); err != nil {
			return err
		}
	}
	return nil
}

type chachaReader struct{ c *rand.ChaCha8 }

func (c chachaReader) Read(p []byte) (int, error) { return c.c.Read(p) }

// csvHeader is the header line of the HSS subscriber file.
const csvHeader = "imsi,k,opc,amf,sqn,msisdn,apn"

// WriteSubscribersCSV writes subs in the HSS CSV format with its header
// line (docs/design/s6a.md): imsi,k,opc,amf,sqn,msisdn,apn; keys in
// lower-case hex, sqn in decimal.
func WriteSubscribersCSV(w io.Writer, subs []Subscriber) error {
	bw := bufio.NewWriter(w)
	if _, err := bw.WriteString(csvHeader + "\n"); err != nil {
		return err
	}
	for i := range subs {
		if err := appendCSVLine(bw, &subs[i]); err != nil {
			return err
		}
	}
	return bw.Flush()
}

// GenerateSubscribersCSV writes n generated subscribers (GenerateSubscribers)
// to w without holding them in memory, for files of millions of lines.
func GenerateSubscribersCSV(w io.Writer, n int, imsiStart string, seed uint64) error {
	bw := bufio.NewWriterSize(w, 1<<16)
	if _, err := bw.WriteString(csvHeader + "\n"); err != nil {
		return err
	}
	if err := generateSubscribers(n, imsiStart, seed, func(s Subscriber) error { return appendCSVLine(bw, &s) }); err != nil {
		return err
	}
	return bw.Flush()
}

func appendCSVLine(w *bufio.Writer, s *Subscriber) error {
	var line [160]byte
	b := append(line[:0], s.IMSI...)
	b = append(b, ',')
	b = hex.AppendEncode(b, s.K[:])
	b = append(b, ',')
	b = hex.AppendEncode(b, s.OPc[:])
	b = append(b, ',')
	b = hex.AppendEncode(b, s.AMF[:])
	b = append(b, ',')
	b = strconv.AppendUint(b, s.SQN, 10)
	b = append(b, ',')
	b = append(b, s.MSISDN...)
	b = append(b, ',')
	b = append(b, s.APN...)
	b = append(b, '\n')
	_, err := w.Write(b)
	return err
}

// ReadSubscribersCSV reads an HSS subscriber file: a header line naming the
// columns (any order; "op" is not accepted here because the UE needs OPc),
// then one subscriber per line. imsi, k and opc are required; amf defaults
// to 8000, sqn to 32, apn to "internet". Errors wrap ErrSubscriberFile and
// name the line.
func ReadSubscribersCSV(r io.Reader) ([]Subscriber, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: header: %w", ErrSubscriberFile, err)
	}
	col := map[string]int{}
	for i, name := range head {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")))] = i
	}
	for _, need := range []string{"imsi", "k", "opc"} {
		if _, ok := col[need]; !ok {
			return nil, fmt.Errorf("%w: header has no %q column", ErrSubscriberFile, need)
		}
	}
	field := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	var subs []Subscriber
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return subs, nil
		}
		if err != nil {
			return subs, fmt.Errorf("%w: line %d: %w", ErrSubscriberFile, line, err)
		}
		s := Subscriber{IMSI: field(rec, "imsi"), MSISDN: field(rec, "msisdn"), APN: field(rec, "apn"),
			AMF: [2]byte{DefaultAMF >> 8, DefaultAMF & 0xff}, SQN: DefaultSQN}
		if _, _, err := parseIMSI(s.IMSI); err != nil {
			return subs, fmt.Errorf("%w: line %d: %w", ErrSubscriberFile, line, err)
		}
		if err := hexField(s.K[:], field(rec, "k")); err != nil {
			return subs, fmt.Errorf("%w: line %d: k: %w", ErrSubscriberFile, line, err)
		}
		if err := hexField(s.OPc[:], field(rec, "opc")); err != nil {
			return subs, fmt.Errorf("%w: line %d: opc: %w", ErrSubscriberFile, line, err)
		}
		if v := field(rec, "amf"); v != "" {
			if err := hexField(s.AMF[:], v); err != nil {
				return subs, fmt.Errorf("%w: line %d: amf: %w", ErrSubscriberFile, line, err)
			}
		}
		if v := field(rec, "sqn"); v != "" {
			sqn, err := strconv.ParseUint(v, 0, 64)
			if err != nil || sqn >= 1<<48 {
				return subs, fmt.Errorf("%w: line %d: sqn %q: want a 48-bit number", ErrSubscriberFile, line, v)
			}
			s.SQN = sqn
		}
		if s.APN == "" {
			s.APN = DefaultAPN
		}
		subs = append(subs, s)
	}
}

func hexField(dst []byte, s string) error {
	if hex.DecodedLen(len(s)) != len(dst) {
		return fmt.Errorf("%q: want %d hex octets", s, len(dst))
	}
	_, err := hex.Decode(dst, []byte(s))
	return err
}

// parseIMSI returns the IMSI's value and number of digits (TS 23.003 §2.2:
// at most 15 digits; at least 6, MCC and MNC plus one MSIN digit).
func parseIMSI(s string) (v uint64, digits int, err error) {
	if len(s) < 6 || len(s) > 15 {
		return 0, 0, fmt.Errorf("loadtest: IMSI %q: want 6-15 digits", s)
	}
	for _, c := range []byte(s) {
		if c < '0' || c > '9' {
			return 0, 0, fmt.Errorf("loadtest: IMSI %q: not all digits", s)
		}
		v = v*10 + uint64(c-'0')
	}
	return v, len(s), nil
}

func formatIMSI(v uint64, digits int) string {
	var b [15]byte
	return string(appendIMSI(b[:0], v, digits))
}

func appendIMSI(dst []byte, v uint64, digits int) []byte {
	start := len(dst)
	for range digits {
		dst = append(dst, 0)
	}
	for i := len(dst) - 1; i >= start; i-- {
		dst[i] = byte('0' + v%10)
		v /= 10
	}
	return dst
}

func pow10(n int) uint64 {
	p := uint64(1)
	for range n {
		p *= 10
	}
	return p
}
