package s6a

import "testing"

// The S6a codec on its own: encode to wire octets, and parse + decode
// from them (what each side does per message).

func benchEncode(b *testing.B, enc func() []byte) {
	b.ReportAllocs()
	for b.Loop() {
		enc()
	}
}

func benchDecode(b *testing.B, wire []byte, dec func([]byte) error) {
	b.ReportAllocs()
	b.SetBytes(int64(len(wire)))
	for b.Loop() {
		if err := dec(wire); err != nil {
			b.Fatal(err)
		}
	}
}

var benchAIR = &AIR{RequestHeader: testReq, IMSI: "001010000000001", VisitedPLMNID: [3]byte{0, 0xf1, 0x10},
	EUTRAN: &RequestedEUTRANAuthInfo{NumberOfRequestedVectors: 1}}

var benchULA = &ULA{AnswerHeader: testAns, ULAFlags: ULASeparationIndication, SubscriptionData: testSub}

func wire(b *testing.B, m interface{ Serialize() ([]byte, error) }) []byte {
	w, err := m.Serialize()
	if err != nil {
		b.Fatal(err)
	}
	return w
}

func BenchmarkEncodeAIR(b *testing.B) {
	benchEncode(b, func() []byte { w, _ := benchAIR.Encode().Serialize(); return w })
}

func BenchmarkDecodeAIR(b *testing.B) {
	benchDecode(b, wire(b, benchAIR.Encode()), func(w []byte) error {
		m, err := Parse(w)
		if err == nil {
			_, err = DecodeAIR(m)
		}
		return err
	})
}

func BenchmarkEncodeULA(b *testing.B) {
	benchEncode(b, func() []byte { w, _ := benchULA.Encode().Serialize(); return w })
}

func BenchmarkDecodeULA(b *testing.B) {
	benchDecode(b, wire(b, benchULA.Encode()), func(w []byte) error {
		m, err := Parse(w)
		if err == nil {
			_, err = DecodeULA(m)
		}
		return err
	})
}
