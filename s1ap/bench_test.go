package s1ap

import (
	"bytes"
	"testing"

	"github.com/free5gc/aper"
)

// Benchmark inputs: rows of ../shared/vectors/s1ap.tsv.
var benchVectors = []struct{ name, row string }{
	{"S1SetupRequest", "S1SetupRequest#01"},
	{"InitialUEMessage", "InitialUEMessage#01"},
	{"DownlinkNASTransport", "DownlinkNASTransport#01"},
	{"InitialContextSetupRequest", "InitialContextSetupRequest#01"},
	{"HandoverRequest", "HandoverRequest#01"},
}

func benchVector(b *testing.B, row string) []byte {
	for _, v := range loadVectors(b) {
		if v.name == row {
			return mustHex(v.hex)
		}
	}
	b.Fatalf("no row %s", row)
	return nil
}

func BenchmarkDecode(b *testing.B) {
	for _, bv := range benchVectors {
		in := benchVector(b, bv.row)
		b.Run(bv.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(in)))
			for b.Loop() {
				if _, err := Decode(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkEncode(b *testing.B) {
	for _, bv := range benchVectors {
		p, err := Decode(benchVector(b, bv.row))
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bv.name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 1024)
			for b.Loop() {
				if _, err := p.AppendEncode(buf[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkDecodeEncode is the round trip of one message (target for
// InitialUEMessage: 2 µs).
func BenchmarkDecodeEncode(b *testing.B) {
	for _, bv := range benchVectors {
		in := benchVector(b, bv.row)
		b.Run(bv.name, func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 1024)
			for b.Loop() {
				p, err := Decode(in)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := p.AppendEncode(buf[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// ---- github.com/free5gc/aper v1.1.1 (reflection) equivalents ----
//
// Go structs for the two messages, tagged for free5gc/aper, written for this
// comparison from the ASN.1 (S1AP-PDU-Descriptions, S1AP-PDU-Contents,
// S1AP-IEs): InitialUEMessage with ENB-UE-S1AP-ID, NAS-PDU, TAI, EUTRAN-CGI,
// RRC-Establishment-Cause and S-TMSI; DownlinkNASTransport with
// MME-UE-S1AP-ID, ENB-UE-S1AP-ID and NAS-PDU.

type f5PDU struct {
	Present           int
	InitiatingMessage *f5InitiatingMessage
}

type f5InitiatingMessage struct {
	ProcedureCode int64           `aper:"valueLB:0,valueUB:255"`
	Criticality   aper.Enumerated `aper:"valueLB:0,valueUB:2"`
	Value         f5Value         `aper:"openType,referenceFieldName:ProcedureCode"`
}

type f5Value struct {
	Present              int
	DownlinkNASTransport *f5Message `aper:"valueExt,referenceFieldValue:11"`
	InitialUEMessage     *f5Message `aper:"valueExt,referenceFieldValue:12"`
}

type f5Message struct {
	ProtocolIEs []f5IE `aper:"sizeLB:0,sizeUB:65535"`
}

type f5IE struct {
	ID          int64           `aper:"valueLB:0,valueUB:65535"`
	Criticality aper.Enumerated `aper:"valueLB:0,valueUB:2"`
	Value       f5IEValue       `aper:"openType,referenceFieldName:ID"`
}

type f5IEValue struct {
	Present               int
	MMEUES1APID           *int64            `aper:"valueLB:0,valueUB:4294967295,referenceFieldValue:0"`
	ENBUES1APID           *int64            `aper:"valueLB:0,valueUB:16777215,referenceFieldValue:8"`
	NASPDU                *aper.OctetString `aper:"referenceFieldValue:26"`
	TAI                   *f5TAI            `aper:"valueExt,referenceFieldValue:67"`
	STMSI                 *f5STMSI          `aper:"valueExt,referenceFieldValue:96"`
	EUTRANCGI             *f5EUTRANCGI      `aper:"valueExt,referenceFieldValue:100"`
	RRCEstablishmentCause *aper.Enumerated  `aper:"valueExt,valueLB:0,valueUB:7,referenceFieldValue:134"`
}

type f5TAI struct {
	PLMNidentity aper.OctetString `aper:"sizeLB:3,sizeUB:3"`
	TAC          aper.OctetString `aper:"sizeLB:2,sizeUB:2"`
	IEExtensions *f5NoExtensions  `aper:"optional"`
}

type f5EUTRANCGI struct {
	PLMNidentity aper.OctetString `aper:"sizeLB:3,sizeUB:3"`
	CellID       aper.BitString   `aper:"sizeLB:28,sizeUB:28"`
	IEExtensions *f5NoExtensions  `aper:"optional"`
}

type f5STMSI struct {
	MMEC         aper.OctetString `aper:"sizeLB:1,sizeUB:1"`
	MTMSI        aper.OctetString `aper:"sizeLB:4,sizeUB:4"`
	IEExtensions *f5NoExtensions  `aper:"optional"`
}

type f5NoExtensions struct {
	List []f5IE `aper:"sizeLB:1,sizeUB:65535"`
}

const f5PDUParams = "valueExt,valueLB:0,valueUB:2"

// f5Vectors are the two messages of the comparison: the InitialUEMessage
// has IEs 8, 26, 67, 100, 134, 96 (DownlinkNASTransport#01 is in
// benchVectors).
var f5Vectors = []struct{ name, row string }{
	{"InitialUEMessage", "InitialUEMessage#02"},
	{"DownlinkNASTransport", "DownlinkNASTransport#01"},
}

// TestFree5gcEquivalent: both codecs decode the two messages and encode
// them to the same octets (the vectors themselves).
func TestFree5gcEquivalent(t *testing.T) {
	for _, fv := range f5Vectors {
		in := benchVector2(t, fv.row)
		var p f5PDU
		if err := aper.UnmarshalWithParams(in, &p, f5PDUParams); err != nil {
			t.Fatalf("%s: free5gc decode: %v", fv.name, err)
		}
		theirs, err := aper.MarshalWithParams(p, f5PDUParams)
		if err != nil {
			t.Fatalf("%s: free5gc encode: %v", fv.name, err)
		}
		q, err := Decode(in)
		if err != nil {
			t.Fatal(err)
		}
		ours, err := q.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(ours, theirs) || !bytes.Equal(ours, in) {
			t.Errorf("%s:\n ours     %x\n free5gc  %x\n vector   %x", fv.name, ours, theirs, in)
		}
	}
}

func benchVector2(t testing.TB, row string) []byte {
	for _, v := range loadVectors(t) {
		if v.name == row {
			return mustHex(v.hex)
		}
	}
	t.Fatalf("no row %s", row)
	return nil
}

// BenchmarkVsFree5gc runs decode+encode of the same two messages through
// this codec and through free5gc/aper, side by side.
func BenchmarkVsFree5gc(b *testing.B) {
	for _, fv := range f5Vectors {
		in := benchVector2(b, fv.row)
		b.Run(fv.name+"/s1ap", func(b *testing.B) {
			b.ReportAllocs()
			buf := make([]byte, 0, 512)
			for b.Loop() {
				p, err := Decode(in)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := p.AppendEncode(buf[:0]); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(fv.name+"/free5gc-aper", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var p f5PDU
				if err := aper.UnmarshalWithParams(in, &p, f5PDUParams); err != nil {
					b.Fatal(err)
				}
				if _, err := aper.MarshalWithParams(p, f5PDUParams); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
