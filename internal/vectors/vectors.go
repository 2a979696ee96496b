// Package vectors locates the third-party test data of the project: the S1AP,
// NAS, GTPv2-C, Diameter and crypto vectors collected from public
// repositories (testdata/vectors/README.md gives every row's origin).
//
// The files are kept in the repository (testdata/vectors, a copy of the
// workplace's shared/vectors) so that a clean checkout tests the same way on
// any machine; TestCopyMatchesShared checks the copy against the shared
// original where one exists. Test code uses Path or Rows; nothing in the
// product imports this package.
package vectors

import (
	"bufio"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
)

// Dir returns the absolute directory holding the vector files. It is found
// from this source file's location, so it does not depend on the working
// directory of the test that asks. MME_VECTORS overrides it.
func Dir() string {
	if d := os.Getenv("MME_VECTORS"); d != "" {
		return d
	}
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return filepath.Join("testdata", "vectors")
	}
	return filepath.Join(filepath.Dir(file), "..", "..", "testdata", "vectors")
}

// Path returns the path of one vector file, e.g. Path("s1ap.tsv").
func Path(name string) string { return filepath.Join(Dir(), name) }

// Row is one row of a vectors TSV file (columns name, hex, source_repo,
// source_path, notes).
type Row struct {
	Name, Hex, Repo, Source, Notes string
	Bytes                          []byte // Hex decoded
}

// Rows reads every row of a vector file (without its header line). It fails
// on a missing file or a malformed hex column: vectors never go missing
// silently.
func Rows(name string) ([]Row, error) {
	f, err := os.Open(Path(name))
	if err != nil {
		return nil, fmt.Errorf("vectors: %w", err)
	}
	defer f.Close()
	var rows []Row
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	first := true
	for sc.Scan() {
		if first {
			first = false
			continue
		}
		cols := strings.Split(sc.Text(), "\t")
		for len(cols) < 5 {
			cols = append(cols, "")
		}
		b, err := hex.DecodeString(cols[1])
		if err != nil {
			return nil, fmt.Errorf("vectors: %s row %s: %w", name, cols[0], err)
		}
		rows = append(rows, Row{Name: cols[0], Hex: cols[1], Repo: cols[2], Source: cols[3], Notes: cols[4], Bytes: b})
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("vectors: %s: %w", name, err)
	}
	return rows, nil
}
