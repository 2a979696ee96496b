// Command s1apgen generates package s1ap from the TS 36.413 ASN.1 module:
//
//	go run ./internal/gen/cmd/s1apgen -asn1 asn1 -out .
//
// run from s1ap/ by `go generate ./s1ap/...`.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/lte-mme/mme/s1ap/internal/gen"
)

func main() {
	in := flag.String("asn1", "asn1", "directory of the .asn module files")
	out := flag.String("out", ".", "directory to write the generated Go files to")
	flag.Parse()
	if err := run(*in, *out); err != nil {
		fmt.Fprintln(os.Stderr, "s1apgen:", err)
		os.Exit(1)
	}
}

func run(in, out string) error {
	src, err := gen.ReadModules(in)
	if err != nil {
		return err
	}
	files, err := gen.Generate(src)
	if err != nil {
		return err
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(out, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
