package s1ap

import (
	"bytes"
	"reflect"
	"testing"
)

// TestRoundTripRandom: random values of every message type survive
// encode → strict decode → encode unchanged, with no issue reported.
func TestRoundTripRandom(t *testing.T) {
	for i, p := range randomMessages(7, 20) {
		b, err := p.Encode()
		if err != nil {
			t.Fatalf("#%d %s: encode: %v", i, p.Message.MessageName(), err)
		}
		q, err := Decode(b)
		if err != nil {
			t.Fatalf("#%d %s: decode %x: %v", i, p.Message.MessageName(), b, err)
		}
		if len(q.Issues) != 0 {
			t.Errorf("#%d %s: issues %v", i, p.Message.MessageName(), q.Issues)
		}
		if q.Type != p.Type || q.ProcedureCode != p.ProcedureCode || q.Criticality != p.Criticality {
			t.Errorf("#%d %s: header %v/%d/%v, want %v/%d/%v", i, p.Message.MessageName(), q.Type, q.ProcedureCode, q.Criticality, p.Type, p.ProcedureCode, p.Criticality)
		}
		if !reflect.DeepEqual(q.Message, p.Message) {
			t.Errorf("#%d %s: decoded value differs\n got %+v\nwant %+v", i, p.Message.MessageName(), q.Message, p.Message)
		}
		b2, err := q.Encode()
		if err != nil || !bytes.Equal(b, b2) {
			t.Errorf("#%d %s: re-encode %x, %v; want %x", i, p.Message.MessageName(), b2, err, b)
		}
	}
}
