package s1ap

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzDecode: no input makes either decoder panic; what decodes and
// encodes again decodes strictly to a PDU that encodes to the same octets
// (the encoding is canonical). Seeds: every vector of s1ap.tsv
// (testdata/fuzz/FuzzDecode holds them and what fuzzing found).
func FuzzDecode(f *testing.F) {
	for _, v := range loadVectors(f) {
		f.Add(mustHex(v.hex))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, dec := range []Decoder{{}, {Lenient: true}} {
			p, err := dec.Decode(b)
			var se *SyntaxError
			var pe *ProtocolError
			switch {
			case err == nil:
				if p == nil {
					t.Fatal("nil PDU without error")
				}
			case errors.As(err, &se):
				if p != nil {
					t.Fatalf("PDU with a syntax error: %v", err)
				}
				_ = se.Error()
				continue
			case errors.As(err, &pe):
				if p == nil {
					t.Fatalf("no PDU with a protocol error: %v", err)
				}
				_ = pe.Error()
				_ = pe.CriticalityDiagnostics()
				_ = pe.Cause()
			default:
				t.Fatalf("error of type %T: %v", err, err)
			}
			if _, ok := p.Message.(*UnknownMessage); ok {
				continue
			}
			out, err := p.Encode()
			if err != nil {
				continue // a mandatory IE is missing or a value was not comprehended
			}
			q, err := dec.Decode(out)
			if err != nil {
				var pe *ProtocolError
				if !errors.As(err, &pe) {
					t.Fatalf("our encoding %x does not decode: %v (input %x)", out, err, b)
				}
			}
			if q == nil {
				t.Fatalf("our encoding %x: no PDU", out)
			}
			out2, err := q.Encode()
			if err != nil || !bytes.Equal(out, out2) {
				t.Fatalf("encoding not stable: %x then %x (%v)", out, out2, err)
			}
		}
	})
}
