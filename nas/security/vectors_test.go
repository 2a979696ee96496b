package security

import (
	"encoding/hex"
	tv "github.com/lte-mme/mme/internal/vectors"
	"sort"
	"strings"
	"testing"
)

// tsvRow is one row of a vectors TSV file.
type tsvRow struct {
	Name, Hex, Notes string
}

// readTSV reads name -> row of one vectors file (header line skipped),
// through internal/vectors.
func readTSV(t testing.TB, file string) map[string]tsvRow {
	t.Helper()
	all, err := tv.Rows(file)
	if err != nil {
		t.Fatal(err)
	}
	rows := make(map[string]tsvRow, len(all))
	for _, r := range all {
		rows[r.Name] = tsvRow{Name: r.Name, Hex: r.Hex, Notes: r.Notes}
	}
	return rows
}

// cryptoSets groups crypto.tsv rows "<family>/<set>/<FIELD>" by
// "<family>/<set>", returning field -> bytes per set, for families with the
// given prefix.
type cryptoSet struct {
	Name   string
	Fields map[string][]byte
}

func (s cryptoSet) get(t testing.TB, field string) []byte {
	t.Helper()
	v, ok := s.Fields[field]
	if !ok {
		t.Fatalf("%s: field %s missing", s.Name, field)
	}
	return v
}

func (s cryptoSet) u32(t testing.TB, field string) uint32 {
	b := s.get(t, field)
	var v uint32
	for _, c := range b {
		v = v<<8 | uint32(c)
	}
	return v
}

var cryptoRows map[string]tsvRow

func loadCrypto(t testing.TB) map[string]tsvRow {
	if cryptoRows == nil {
		cryptoRows = readTSV(t, "crypto.tsv")
	}
	return cryptoRows
}

func cryptoSets(t testing.TB, prefix string) []cryptoSet {
	t.Helper()
	sets := map[string]*cryptoSet{}
	for name, r := range loadCrypto(t) {
		if !strings.HasPrefix(name, prefix) {
			continue
		}
		i := strings.LastIndexByte(name, '/')
		set, field := name[:i], name[i+1:]
		b, err := hex.DecodeString(r.Hex)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		s := sets[set]
		if s == nil {
			s = &cryptoSet{Name: set, Fields: map[string][]byte{}}
			sets[set] = s
		}
		s.Fields[field] = b
	}
	out := make([]cryptoSet, 0, len(sets))
	for _, s := range sets {
		out = append(out, *s)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	if len(out) == 0 {
		t.Fatalf("no sets with prefix %q in crypto.tsv", prefix)
	}
	return out
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
