package gtp_test

import (
	"errors"
	"fmt"
	"net/netip"

	"github.com/lte-mme/mme/gtp"
)

// The MME builds a Create Session Request as a plain value and encodes it
// with the TEID of the header (0: the SGW's TEID is not known yet) and a
// sequence number from its transaction layer.
func ExampleEncode() {
	csr := &gtp.CreateSessionRequest{
		IMSI:           "001010123456789",
		ServingNetwork: gtp.PLMN{MCC: "001", MNC: "01"},
		RATType:        gtp.RATEUTRAN,
		SenderFTEID: gtp.FTEID{Interface: gtp.IfS11MMEGTPC, TEID: 0x1001,
			IPv4: netip.MustParseAddr("192.0.2.1")},
		APN:     "internet",
		PDNType: gtp.PDNTypeIPv4,
		PAA:     gtp.PAA{Type: gtp.PDNTypeIPv4, IPv4: netip.IPv4Unspecified()},
		BearerContextsToBeCreated: []gtp.BearerContext{{
			EBI:       5,
			BearerQoS: gtp.BearerQoS{QCI: 9, ARP: gtp.ARP{PL: 8, PCI: true}},
		}},
	}
	b, err := gtp.Encode(csr, 0, 0x000101)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%d octets, type %d, sequence %x\n", len(b), b[1], b[8:11])
	// Output: 116 octets, type 32, sequence 000101
}

// A receiver decodes a request; a *DecodeError tells it which cause to
// answer with, and ErrorResponse builds the answer.
func ExampleDecode() {
	// A Modify Bearer Request whose bearer context lacks its EBI.
	b := []byte{0x48, 0x22, 0x00, 0x0c, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00, 0x07, 0x00,
		0x5d, 0x00, 0x00, 0x00}
	h, _, err := gtp.Decode(b)
	var de *gtp.DecodeError
	if errors.As(err, &de) && de.Cause != 0 {
		resp, _ := gtp.ErrorResponse(h.Type, de.CauseIE())
		fmt.Println(err)
		fmt.Println("answer:", resp.MessageType(), "with", de.Cause, "offending", de.IE.Type)
	}
	// Output:
	// gtp: mandatory IE missing in Modify Bearer Request: EBI (73) instance 0 within Bearer Context (93) instance 0
	// answer: Modify Bearer Response with Mandatory IE missing (70) offending EBI (73)
}
