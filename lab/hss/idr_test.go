package hss

import (
	"errors"
	"strings"
	"testing"
)

// TestChangeAMBRWithoutMME: the new UE-AMBR is stored; a subscriber no MME
// serves cannot be told (ErrNotRegistered), an unknown one is refused. The
// Insert-Subscriber-Data exchange itself runs against the MME in
// node.TestUEContextModificationAMBR.
func TestChangeAMBRWithoutMME(t *testing.T) {
	h, _ := startHSS(t, nil)
	in := SubscriberInput{IMSI: "001010000000004", K: strings.Repeat("11", 16), OPc: strings.Repeat("22", 16)}
	s, err := in.Subscriber("internet")
	if err != nil {
		t.Fatal(err)
	}
	if err := h.Put(s); err != nil {
		t.Fatal(err)
	}
	if err := h.ChangeAMBR(ctxT(t), s.IMSI, 1_000_000, 2_000_000); !errors.Is(err, ErrNotRegistered) {
		t.Fatalf("unregistered: %v", err)
	}
	if v, _ := h.Get(s.IMSI); v.AMBRUL != 1_000_000 || v.AMBRDL != 2_000_000 {
		t.Errorf("stored UE-AMBR %d/%d", v.AMBRUL, v.AMBRDL)
	}
	if err := h.ChangeAMBR(ctxT(t), "001019999999999", 1, 1); !errors.Is(err, ErrUnknownSubscriber) {
		t.Errorf("unknown: %v", err)
	}
	if err := h.ChangeAMBR(ctxT(t), s.IMSI, 0, 1); !errors.Is(err, ErrInvalidSubscriber) {
		t.Errorf("zero UE-AMBR: %v", err)
	}
}
