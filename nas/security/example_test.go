package security_test

import (
	"errors"
	"fmt"

	"github.com/lte-mme/mme/nas"
	"github.com/lte-mme/mme/nas/security"
)

// The HSS computes a vector, the UE's USIM checks it, both reach K_ASME.
// Values of the Open5GS attach_test1 flow (vectors README, GOLD rows).
func ExampleGenerateEUTRANVector() {
	k := [16]byte{0x46, 0x5b, 0x5c, 0xe8, 0xb1, 0x99, 0xb4, 0x9f, 0xaa, 0x5f, 0x0a, 0x2e, 0xe2, 0x38, 0xa6, 0xbc}
	opc := [16]byte{0xe8, 0xed, 0x28, 0x9d, 0xeb, 0xa9, 0x52, 0xe4, 0x28, 0x3b, 0x54, 0xe8, 0x8e, 0x61, 0x83, 0xca}
	rand := [16]byte{0x20, 0x08, 0x0c, 0x38, 0x18, 0x18, 0x3b, 0x52, 0x26, 0x14, 0x16, 0x2c, 0x07, 0x60, 0x1d, 0x0d}
	snid := [3]byte{0x00, 0xf1, 0x10} // PLMN 001/01

	v, err := security.GenerateEUTRANVector(k, opc, [2]byte{0x80, 0x00}, 0x40, rand, snid)
	if err != nil {
		panic(err)
	}
	fmt.Printf("AUTN %x\nXRES %x\n", v.AUTN, v.XRES)

	usim := security.NewUSIM(k, opc, security.USIMConfig{})
	r, err := usim.Authenticate(v.RAND, v.AUTN, snid)
	if err != nil {
		panic(err)
	}
	fmt.Println("RES matches:", string(r.RES) == string(v.XRES), "KASME matches:", r.KASME == v.KASME)

	// The same AUTN again is not fresh: synch failure with AUTS, from
	// which the HSS recovers the USIM's SQN.
	_, err = usim.Authenticate(v.RAND, v.AUTN, snid)
	var sf *security.SynchFailureError
	if errors.As(err, &sf) {
		sqnMS, err := security.ResynchronizeSQN(k, opc, v.RAND, sf.AUTS)
		fmt.Printf("synch failure, SQN_MS %#x, %v\n", sqnMS, err)
	}
	// Output:
	// AUTN f11b89a2a8de8000ad0ccf7f55e8b20d
	// XRES 6a91970e838fd079
	// RES matches: true KASME matches: true
	// synch failure, SQN_MS 0x40, <nil>
}

// An MME and a UE context protect and unprotect NAS messages; a replayed
// message is rejected.
func ExampleContext_Protect() {
	kasme := [32]byte{1, 2, 3}
	p := security.Params{Role: security.RoleMME, KSI: security.KSI{Value: 1}, KASME: kasme, EEA: security.EEA2, EIA: security.EIA2}
	mme, err := security.NewContext(p)
	if err != nil {
		panic(err)
	}
	p.Role = security.RoleUE
	ue, err := security.NewContext(p)
	if err != nil {
		panic(err)
	}

	// UE → MME: SECURITY MODE COMPLETE with the new-context header type 4.
	smcComplete := []byte{0x07, 0x5e}
	buf := make([]byte, 0, 64)
	pdu, err := ue.Protect(buf, smcComplete, nas.IntegrityProtectedCipheredNewContext)
	if err != nil {
		panic(err)
	}
	plain, r, err := mme.Unprotect(nil, pdu)
	fmt.Printf("%x COUNT %d %v %v\n", plain, r.Count, r.Header, err)

	_, _, err = mme.Unprotect(nil, pdu)
	fmt.Println("replay rejected:", errors.Is(err, security.ErrIntegrity))

	// K_eNB for the initial context setup, from that uplink COUNT.
	kenb := mme.KENB(r.Count)
	fmt.Println(len(kenb), mme.ULCount())
	// Output:
	// 075e COUNT 0 IntegrityProtectedCipheredNewContext <nil>
	// replay rejected: true
	// 32 1
}

// The MME verifies a SERVICE REQUEST's short MAC and gets its uplink COUNT.
func ExampleContext_VerifyServiceRequest() {
	p := security.Params{Role: security.RoleUE, KSI: security.KSI{Value: 2}, KASME: [32]byte{9}, EEA: security.EEA0, EIA: security.EIA2, UL: 31}
	ue, _ := security.NewContext(p)
	p.Role = security.RoleMME
	mme, _ := security.NewContext(p)

	sr, _, _ := ue.ProtectServiceRequest(nil) // COUNT 31: sequence number 31
	count, err := mme.VerifyServiceRequest(sr)
	fmt.Println(count, err)
	sr, _, _ = ue.ProtectServiceRequest(nil) // COUNT 32: sequence number 0
	count, err = mme.VerifyServiceRequest(sr)
	fmt.Println(count, err)
	// Output:
	// 31 <nil>
	// 32 <nil>
}

// A context is stored in 44 octets and restored with its COUNTs.
func ExampleContext_MarshalBinary() {
	c, _ := security.NewContext(security.Params{Role: security.RoleMME, KASME: [32]byte{7}, EEA: security.EEA1, EIA: security.EIA2, UL: 5, DL: 9})
	b, _ := c.MarshalBinary()
	var r security.Context
	err := r.UnmarshalBinary(b)
	eea, eia := r.Algorithms()
	fmt.Println(len(b), err, eea, eia, r.ULCount(), r.DLCount())
	// Output: 44 <nil> EEA1 EIA2 5 9
}
