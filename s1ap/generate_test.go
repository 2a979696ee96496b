package s1ap

import (
	"bytes"
	"os"
	"testing"

	"github.com/lte-mme/mme/s1ap/internal/gen"
)

// TestGeneratedUpToDate regenerates the codec from asn1/ and compares it
// with the committed files.
func TestGeneratedUpToDate(t *testing.T) {
	src, err := gen.ReadModules("asn1")
	if err != nil {
		t.Fatal(err)
	}
	files, err := gen.Generate(src)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Fatal("generator produced nothing")
	}
	for name, want := range files {
		got, err := os.ReadFile(name)
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("%s is stale (%v): run go generate ./s1ap/...", name, err)
		}
	}
}
