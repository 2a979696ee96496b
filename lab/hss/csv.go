package hss

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

// CSV format of subscriber import: a header line naming the columns, then
// one subscriber per line:
//
//	imsi,k,opc,amf,sqn,msisdn,apn
//	001010000000001,465b5ce8b199b49faa5f0a2ee238a6bc,e8ed289deba952e4283b54e88e6183ca,8000,64,33600000001,internet
//
// Columns are matched by name, in any order; "op" may stand instead of
// "opc" (OPc is then derived, TS 35.206 §4.1). amf, sqn, msisdn and apn
// may be empty (defaults 8000, DefaultSQN, none, the HSS's default APN).
// sqn is decimal or 0x-hex and is the next SQN the HSS issues.

// ImportBatch is how many subscribers one badger write batch holds.
const ImportBatch = 10000

// ImportCSV reads subscribers from r and stores them in batches. It
// returns how many were stored; on a bad line it stops and names it.
func (h *HSS) ImportCSV(r io.Reader) (int, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err != nil {
		return 0, fmt.Errorf("hss: csv header: %w", err)
	}
	col := map[string]int{}
	for i, name := range head {
		col[strings.ToLower(strings.TrimSpace(strings.TrimPrefix(name, "\ufeff")))] = i
	}
	for _, need := range []string{"imsi", "k"} {
		if _, ok := col[need]; !ok {
			return 0, fmt.Errorf("hss: csv header has no %q column", need)
		}
	}
	if _, ok := col["opc"]; !ok {
		if _, ok := col["op"]; !ok {
			return 0, errors.New(`hss: csv header has neither "opc" nor "op"`)
		}
	}
	field := func(rec []string, name string) string {
		if i, ok := col[name]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	batch := make([]Subscriber, 0, ImportBatch)
	n, line := 0, 1
	for {
		rec, err := cr.Read()
		line++
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return n, fmt.Errorf("hss: csv line %d: %w", line, err)
		}
		in := SubscriberInput{IMSI: field(rec, "imsi"), K: field(rec, "k"), OPc: field(rec, "opc"), OP: field(rec, "op"),
			AMF: field(rec, "amf"), SQN: field(rec, "sqn"), MSISDN: field(rec, "msisdn"), APN: field(rec, "apn")}
		s, err := in.Subscriber(h.cfg.Profile.APN)
		if err != nil {
			return n, fmt.Errorf("hss: csv line %d: %w", line, err)
		}
		batch = append(batch, s)
		if len(batch) == ImportBatch {
			if err := h.st.put(batch); err != nil {
				return n, err
			}
			n += len(batch)
			batch = batch[:0]
		}
	}
	if len(batch) > 0 {
		if err := h.st.put(batch); err != nil {
			return n, err
		}
		n += len(batch)
	}
	return n, nil
}
