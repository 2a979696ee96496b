package gtp

import (
	"errors"
	"os"
	"reflect"
	"testing"
)

// FuzzDecode: no input makes Decode or DecodeRaw panic; what decodes
// re-encodes, and the re-encoded message decodes to the same value. The
// corpus under testdata/fuzz/FuzzDecode holds the rows of gtpv2.tsv.
func FuzzDecode(f *testing.F) {
	if _, err := os.Stat(vectorFile); err == nil {
		for _, v := range loadVectors(f) {
			f.Add(v.b)
		}
	}
	for _, m := range fullMessages() {
		b, err := Encode(m, 1, 2)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _ = DecodeRaw(b)
		h, m, err := Decode(b)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				t.Fatalf("error %T is not a *DecodeError: %v", err, err)
			}
			return
		}
		b2, err := Encode(m, h.TEID, h.Seq)
		if err != nil {
			t.Fatalf("decoded %v does not re-encode: %v", h.Type, err)
		}
		_, m2, err := Decode(b2)
		if err != nil {
			t.Fatalf("re-encoded %v does not decode: %v", h.Type, err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("unstable round trip of %v:\n%+v\n%+v", h.Type, m, m2)
		}
	})
}
