package s1ap_test

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/lte-mme/mme/s1ap"
)

// The load tester builds an InitialUEMessage; the MME decodes it and
// switches on the message type.
func Example() {
	msg := &s1ap.InitialUEMessage{
		ENBUES1APID:           1,
		NASPDU:                s1ap.NASPDU{0x07, 0x41, 0x71},
		TAI:                   s1ap.TAI{PLMNidentity: s1ap.PLMNidentity{0x00, 0xf1, 0x10}, TAC: s1ap.TAC{0x00, 0x01}},
		EUTRANCGI:             s1ap.EUTRANCGI{PLMNidentity: s1ap.PLMNidentity{0x00, 0xf1, 0x10}, CellID: 0x0019b01},
		RRCEstablishmentCause: s1ap.RRCEstablishmentCauseMoSignalling,
		STMSI:                 s1ap.Some(s1ap.STMSI{MMEC: s1ap.MMECode{0x01}, MTMSI: s1ap.MTMSI{0xc0, 0x00, 0x00, 0x01}}),
	}
	b, err := s1ap.Encode(msg)
	if err != nil {
		panic(err)
	}
	fmt.Println(hex.EncodeToString(b))

	p, err := s1ap.Decode(b)
	if err != nil {
		panic(err)
	}
	switch m := p.Message.(type) {
	case *s1ap.InitialUEMessage:
		if s, ok := m.STMSI.Get(); ok {
			fmt.Printf("%v %s procedure %d: eNB-UE-S1AP-ID %d, M-TMSI %x\n", p.Type, m.MessageName(), p.ProcedureCode, m.ENBUES1APID, s.MTMSI)
		}
	}
	// Output:
	// 000c4036000006000800020001001a000403074171004300060000f1100001006440080000f1100019b0100086400130006000060040c0000001
	// initiatingMessage InitialUEMessage procedure 12: eNB-UE-S1AP-ID 1, M-TMSI c0000001
}

// A message the MME must reject (TS 36.413 §10.3): the PDU comes with the
// error, which gives the cause and Criticality Diagnostics to answer with.
func ExampleProtocolError() {
	// NEG-S1SetupRequest#06 of shared/vectors/s1ap.tsv: id-pagingDRX (a Paging
	// IE) with criticality reject instead of id-DefaultPagingDRX
	b, _ := hex.DecodeString("00110021000003003b40080062f22400000170004000070000004062f224002c00030a0100")
	p, err := s1ap.Decode(b)
	var pe *s1ap.ProtocolError
	if errors.As(err, &pe) {
		fmt.Println(p.Message.MessageName(), pe.Action(), pe.Cause().Protocol)
		answer := &s1ap.S1SetupFailure{Cause: pe.Cause(), CriticalityDiagnostics: s1ap.Some(pe.CriticalityDiagnostics())}
		for _, item := range answer.CriticalityDiagnostics.Value.IEsCriticalityDiagnostics.Value {
			fmt.Println("IE", item.IEID, item.IECriticality, item.TypeOfError)
		}
	}
	// Output:
	// S1SetupRequest reject abstract-syntax-error-reject
	// IE 44 reject not-understood
	// IE 137 ignore missing
}
