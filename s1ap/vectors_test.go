package s1ap

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// vector is one row of ../shared/vectors/s1ap.tsv.
type vector struct {
	name, hex, notes string
}

const vectorFile = "../../shared/vectors/s1ap.tsv"

func loadVectors(t testing.TB) []vector {
	t.Helper()
	f, err := os.Open(vectorFile)
	if err != nil {
		t.Fatalf("open vectors: %v", err)
	}
	defer f.Close()
	var out []vector
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for first := true; sc.Scan(); first = false {
		if first {
			continue
		}
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 5 {
			t.Fatalf("short row %q", sc.Text())
		}
		out = append(out, vector{name: c[0], hex: c[1], notes: c[4]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func (v vector) negative() bool { return strings.HasPrefix(v.name, "NEG-") }
func (v vector) wiresharkOnly() bool {
	return strings.Contains(v.notes, "pycrate strict APER decode FAILS")
}
func (v vector) identical() bool { return strings.Contains(v.notes, "re-encode byte-identical") }
func (v vector) messageName() string {
	n := strings.TrimPrefix(v.name, "NEG-")
	return n[:strings.IndexByte(n, '#')]
}
