package nas_test

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/lte-mme/mme/nas"
)

// Decode an ATTACH REQUEST as the MME receives it, and the PDN CONNECTIVITY
// REQUEST in its ESM message container.
func ExampleDecodeUplink() {
	b, _ := hex.DecodeString("07417108091010000000001002202000040201d011")
	m, err := nas.DecodeUplink(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	ar := m.(*nas.AttachRequest)
	imsi, _ := ar.EPSMobileIdentity.IMSI()
	fmt.Println(m.MessageType(), ar.EPSAttachType, imsi, ar.NASKeySetIdentifier.KSI)
	esm, _ := ar.ESMMessageContainer.Decode()
	pdn := esm.(*nas.PDNConnectivityRequest)
	fmt.Println(esm.MessageType(), pdn.PTI, pdn.PDNType, pdn.RequestType)
	// Output:
	// AttachRequest EPSAttach 001010000000001 7
	// PDNConnectivityRequest 1 IPv4 InitialRequest
}

// A malformed message gives the cause to answer with (TS 24.301 §7).
func ExampleError() {
	b, _ := hex.DecodeString("07417100") // ATTACH REQUEST with an empty EPS mobile identity
	_, err := nas.DecodeUplink(b)
	var e *nas.Error
	if errors.As(err, &e) {
		fmt.Println(e.IE, e.EMMCause())
	}
	fmt.Println(errors.Is(err, nas.ErrInvalidMandatoryInformation))
	// Output:
	// EPS mobile identity InvalidMandatoryInformation
	// true
}

// Build a SECURITY MODE COMMAND from values and encode it.
func ExampleEncode() {
	m := &nas.SecurityModeCommand{
		SelectedNASSecurityAlgorithms:  nas.NASSecurityAlgorithms{Ciphering: 2, Integrity: 2}, // 128-EEA2, 128-EIA2
		NASKeySetIdentifier:            nas.NASKeySetIdentifier{KSI: 1},
		ReplayedUESecurityCapabilities: nas.UESecurityCapability{EEA: 0xf0, EIA: 0x70},
	}
	imeisv := nas.IMEISVRequested
	m.IMEISVRequest = &imeisv
	b, err := nas.Encode(m)
	fmt.Printf("%x %v\n", b, err)
	// Output: 075d220102f070c1 <nil>
}

// The envelope of a security protected message parses without keys; its
// message part is plain here (integrity protected only).
func ExampleParseSecurityProtected() {
	b, _ := hex.DecodeString("17f908e12d3c075308373f4dcdb2e7769b")
	p, err := nas.ParseSecurityProtected(b)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("%v MAC=%x SQN=%d\n", p.Header, p.MAC, p.SequenceNumber)
	inner, _ := p.Inner()
	fmt.Printf("%v RES=%x\n", inner.MessageType(), []byte(inner.(*nas.AuthenticationResponse).RES))
	// Output:
	// IntegrityProtected MAC=f908e12d SQN=60
	// AuthenticationResponse RES=373f4dcdb2e7769b
}

// AppendEncode writes into a caller's buffer without allocating.
func ExampleAppendEncode() {
	buf := make([]byte, 0, 64)
	buf, _ = nas.AppendEncode(buf[:0], &nas.IdentityRequest{IdentityType: nas.IdentityIMSI})
	fmt.Printf("%x\n", buf)
	// Output: 075501
}
