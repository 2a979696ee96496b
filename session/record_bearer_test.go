package session

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/nas"
)

// TestRecordBearerFields round-trips the fields of issue #9's bearer work
// (per-bearer bit rates and TFT, the ESM transaction) and checks that a
// truncated tail is corrupt, not silently zero.
func TestRecordBearerFields(t *testing.T) {
	s := fullRecord()
	s.PDNs[0].Bearers = append(s.PDNs[0].Bearers, Bearer{EBI: 6, State: BearerActive, QCI: 1,
		MBRUplink: 128, MBRDownlink: 256, GBRUplink: 64, GBRDownlink: 64, TFT: []byte{0x21, 0x31, 0, 2, 0x30, 0x11}})
	s.ESM = ESMTransaction{Proc: ProcBearerModify, Start: time.Unix(1700000000, 5).UTC(), PTI: 3, LBI: 5, EBI: 6, S11Req: 1 << 40,
		Txn: 9, ENB: AnswerPending, UE: AnswerOK, UECause: 31, ENBCause: gtp.CauseNoResourcesAvailable, Timer: T3486, Count: 2,
		Retx: []byte{0x62, 0, 0xc9}, Bearers: []uint8{6}, APN: "ims", PDNType: nas.PDNTypeIPv4, DowngradeCause: 50,
		Pending:    Bearer{EBI: 6, QCI: 2, ARP: ARP{Level: 3, Preemptable: true}, GBRUplink: 128, TFT: []byte{1}},
		AMBRUplink: 1000, AMBRDownlink: 2000, WholePDN: true,
		Items: []ESMItem{{EBI: 6, ENB: AnswerOK, UE: AnswerFailed, Cause: gtp.CauseUERefuses, ESMCause: 31}, {Cause: gtp.CauseNoResourcesAvailable}},
		// v4: the pending values of a multi-bearer modification's items.
		Modified: []Bearer{{EBI: 6, QCI: 1, ARP: ARP{Level: 2, MayPreempt: true}, MBRUplink: 512, GBRDownlink: 256, TFT: []byte{2, 3}}, {EBI: 9}}}
	b := s.AppendBinary(nil)
	got, err := UnmarshalRecord(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, s) {
		t.Fatalf("round trip differs:\n got %+v\nwant %+v", got.ESM, s.ESM)
	}
	var v1 enc
	appendBearersV2(&v1, fullRecord())
	for n := len(b) - len(v1.b) + 1; n < len(b); n++ {
		if _, err := UnmarshalRecord(b[:n]); !errors.Is(err, ErrCorruptRecord) {
			t.Fatalf("prefix of %d octets: err %v, want ErrCorruptRecord", n, err)
		}
	}
	bad := *s
	bad.ESM.Proc = ProcUEContextModification + 1
	if _, err := UnmarshalRecord(bad.AppendBinary(nil)); !errors.Is(err, ErrCorruptRecord) {
		t.Fatalf("unknown ESM procedure: err %v", err)
	}
}

// BenchmarkRecordWithDedicatedBearer encodes and decodes a record holding
// two PDN connections, a dedicated GBR bearer with its TFT and an ESM
// transaction in progress (what a VoLTE UE's record looks like mid-call
// setup); it reports the record size.
func BenchmarkRecordWithDedicatedBearer(b *testing.B) {
	s := fullRecord()
	s.PDNs = append(s.PDNs, PDN{APN: "ims", PDNType: nas.PDNTypeIPv4, LBI: 6, Bearers: []Bearer{{EBI: 6, State: BearerActive, QCI: 5}}})
	s.PDNs[1].Bearers = append(s.PDNs[1].Bearers, Bearer{EBI: 7, State: BearerActivePending, QCI: 1,
		MBRUplink: 128, MBRDownlink: 128, GBRUplink: 64, GBRDownlink: 64, TFT: []byte{0x21, 0x31, 0, 2, 0x30, 0x11}})
	s.ESM = ESMTransaction{Proc: ProcDedicatedBearer, Start: time.Unix(1700000000, 0).UTC(), LBI: 6, EBI: 7, S11Req: 42,
		ENB: AnswerOK, UE: AnswerPending, Timer: T3485, Retx: make([]byte, 40), Bearers: []uint8{7}}
	buf := s.AppendBinary(nil)
	b.ReportAllocs()
	for b.Loop() {
		buf = s.AppendBinary(buf[:0])
		if _, err := UnmarshalRecord(buf); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(buf)), "record-bytes")
}
