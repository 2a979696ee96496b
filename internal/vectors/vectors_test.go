package vectors

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

func TestFilesPresent(t *testing.T) {
	for _, name := range []string{"s1ap.tsv", "nas.tsv", "gtpv2.tsv", "diameter.tsv", "crypto.tsv"} {
		rows, err := Rows(name)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) < 10 {
			t.Errorf("%s: %d rows, want at least 10", name, len(rows))
		}
	}
}

// TestCopyMatchesShared checks the in-repository copy against the
// workplace's shared original (../shared/vectors beside the checkout), where
// one exists: the copy must not drift.
func TestCopyMatchesShared(t *testing.T) {
	shared := filepath.Join(Dir(), "..", "..", "..", "shared", "vectors")
	entries, err := os.ReadDir(shared)
	if err != nil {
		t.Skipf("no shared vectors beside this checkout (%v): nothing to compare the copy with", err)
	}
	for _, e := range entries {
		want, err := os.ReadFile(filepath.Join(shared, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(Path(e.Name()))
		if err != nil {
			t.Errorf("%s is in shared/vectors but not in testdata/vectors: %v", e.Name(), err)
			continue
		}
		if !bytes.Equal(got, want) {
			t.Errorf("testdata/vectors/%s differs from shared/vectors/%s", e.Name(), e.Name())
		}
	}
}
