package s6a_test

import (
	"fmt"

	"github.com/lte-mme/mme/s6a"
)

// An MME asks for two authentication vectors; the HSS side parses the
// request from the wire and reads it back as a typed AIR.
func ExampleAIR() {
	air := &s6a.AIR{
		RequestHeader: s6a.RequestHeader{
			SessionID: "mme.epc.example;1;1", OriginHost: "mme.epc.example", OriginRealm: "epc.example",
			DestinationRealm: "epc.example",
		},
		IMSI:          "001010123456789",
		VisitedPLMNID: [3]byte{0x00, 0xf1, 0x10},
		EUTRAN:        &s6a.RequestedEUTRANAuthInfo{NumberOfRequestedVectors: 2},
	}
	wire, _ := air.Encode().Serialize()

	m, err := s6a.Parse(wire)
	if err != nil {
		fmt.Println(err)
		return
	}
	got, err := s6a.DecodeAIR(m)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(got.IMSI, got.EUTRAN.NumberOfRequestedVectors, len(wire))
	// Output: 001010123456789 2 224
}

// A ULA with DIAMETER_ERROR_USER_UNKNOWN makes the MME reject the attach
// with EMM cause #8 (TS 29.272 Annex A).
func ExampleEMMCauseFor() {
	cause, reject := s6a.EMMCauseFor(s6a.ExperimentalResult(s6a.ExpErrorUserUnknown))
	fmt.Println(cause, reject)
	// Output: 8 true
}
