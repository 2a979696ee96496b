package nas

import (
	"reflect"
	"testing"
)

// TestSampleRoundTrip encodes every sample and decodes it back, in its own
// direction and in any direction, expecting the same value.
func TestSampleRoundTrip(t *testing.T) {
	seen := map[MessageType]bool{}
	for _, s := range append(sampleMessages(t), fullSamples(t)...) {
		t.Run(s.name, func(t *testing.T) {
			b := mustEncode(t, s.m)
			for _, dir := range []Direction{s.dir, AnyDirection} {
				got, err := Decoder{Direction: dir, Irregular: func(i IrregularIE) { t.Errorf("irregular IE %+v", i) }}.Decode(b)
				if err != nil {
					t.Fatalf("decode %v: %v", dir, err)
				}
				if !reflect.DeepEqual(got, s.m) {
					t.Fatalf("decode %v:\n got %#v\nwant %#v", dir, got, s.m)
				}
			}
			// AppendEncode appends after existing content.
			pre := []byte{0xaa}
			out, err := AppendEncode(pre, s.m)
			if err != nil || string(out[1:]) != string(b) || out[0] != 0xaa {
				t.Fatalf("AppendEncode: %x, %v", out, err)
			}
		})
		seen[s.m.MessageType()] = true
	}
	for _, info := range [][]MessageType{keys(emmMessages), keys(esmMessages), {TypeServiceRequest, TypeSecurityProtected}} {
		for _, mt := range info {
			if !seen[mt] {
				t.Errorf("no sample of %v", mt)
			}
		}
	}
}

func keys(m map[MessageType]msgInfo) []MessageType {
	var out []MessageType
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestMessageTypeDirection(t *testing.T) {
	for _, s := range sampleMessages(t) {
		want := s.dir
		switch s.m.MessageType() {
		case TypeDetachRequest, TypeDetachAccept, TypeEMMStatus, TypeESMStatus, TypeESMDataTransport, TypeESMDummyMessage, TypeSecurityProtected:
			want = AnyDirection
		}
		if got := s.m.MessageType().Direction(); got != want {
			t.Errorf("%s: %v, want %v", s.name, got, want)
		}
	}
}
