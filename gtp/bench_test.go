package gtp

import "testing"

// BenchmarkCodec measures Encode and Decode of the messages of an attach
// (Create Session and Modify Bearer, both ways).
func BenchmarkCodec(b *testing.B) {
	msgs := fullMessages()
	for _, m := range []Message{msgs[3], msgs[4], msgs[5], msgs[6]} {
		wire, err := Encode(m, 0x1234, 77)
		if err != nil {
			b.Fatal(err)
		}
		b.Run("Encode/"+m.MessageType().String(), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(wire)))
			for range b.N {
				if _, err := Encode(m, 0x1234, 77); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("Decode/"+m.MessageType().String(), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(wire)))
			for range b.N {
				if _, _, err := Decode(wire); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
