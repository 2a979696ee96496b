package nas

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

// nasPDUsInS1AP finds the NAS-PDU IEs (TS 36.413 §9.2.3.5, protocol IE id
// 26) in an APER-encoded S1AP PDU without an S1AP decoder: a ProtocolIE-Field
// is the id (00 1a), the criticality octet, the open type length and, inside,
// the OCTET STRING length then the NAS PDU. Only short (one-octet) lengths
// are matched, which covers NAS PDUs up to 127 octets; the two lengths must
// agree, which rules out chance matches.
func nasPDUsInS1AP(pdu []byte) [][]byte {
	var out [][]byte
	for i := 0; i+5 <= len(pdu); i++ {
		if pdu[i] != 0x00 || pdu[i+1] != 0x1a || pdu[i+2]&0x3f != 0 {
			continue
		}
		open, n := int(pdu[i+3]), int(pdu[i+4])
		if open >= 0x80 || n >= 0x80 || open != n+1 || i+5+n > len(pdu) || n == 0 {
			continue
		}
		out = append(out, pdu[i+5:i+5+n])
	}
	return out
}

var carriedIn = regexp.MustCompile(`carried in S1AP row ([A-Za-z-]+#\d+)`)

// TestS1APCarriedNAS extracts the NAS PDUs of every s1ap.tsv row and
// decodes them; every nas.tsv row that names the S1AP row carrying it must
// be among the PDUs extracted from that row, or, where the NAS-PDU is a field
// of an E-RAB item rather than a protocol IE (INITIAL CONTEXT SETUP REQUEST),
// appear in it behind its APER length.
func TestS1APCarriedNAS(t *testing.T) {
	extracted := map[string][][]byte{}
	s1apRows := map[string][]byte{}
	total, decoded := 0, 0
	for _, r := range readVectors(t, "s1ap.tsv") {
		s1apRows[r.name] = r.b
		pdus := nasPDUsInS1AP(r.b)
		extracted[r.name] = pdus
		for _, p := range pdus {
			total++
			m, err := Decode(p)
			if err != nil {
				// Rows whose NAS-PDU is malformed on purpose (tests of
				// missing IEs): Wireshark's verdict in the notes must agree.
				if !strings.Contains(r.notes, "Malformed") && !strings.Contains(r.notes, "expert:") {
					t.Errorf("%s: NAS-PDU %x: %v", r.name, p, err)
				}
				if _, ok := err.(*Error); !ok {
					t.Errorf("%s: %v is not an *Error", r.name, err)
				}
				t.Logf("%s: malformed NAS-PDU as Wireshark says: %v", r.name, err)
				continue
			}
			decoded++
			if out, err := Encode(m); err != nil || !bytes.Equal(out, p) {
				t.Errorf("%s: NAS-PDU %x re-encodes as %x, %v", r.name, p, out, err)
			}
		}
	}
	linked := 0
	for _, r := range readVectors(t, "nas.tsv") {
		m := carriedIn.FindStringSubmatch(r.notes)
		if m == nil {
			continue
		}
		found := false
		for _, p := range extracted[m[1]] {
			found = found || bytes.Equal(p, r.b)
		}
		if !found {
			found = bytes.Contains(s1apRows[m[1]], aperOctetString(r.b))
		}
		if !found {
			t.Errorf("%s: not found among the NAS-PDUs of %s", r.name, m[1])
		}
		if found {
			linked++
		}
	}
	t.Logf("%d NAS-PDUs extracted from s1ap.tsv, %d decoded; %d nas.tsv rows matched to their S1AP row", total, decoded, linked)
	if decoded < 150 {
		t.Errorf("only %d NAS-PDUs decoded", decoded)
	}
}

// aperOctetString is b behind its APER length determinant (X.691 §11.9:
// one octet below 128, two octets 10xxxxxx xxxxxxxx below 16384).
func aperOctetString(b []byte) []byte {
	if len(b) < 128 {
		return append([]byte{byte(len(b))}, b...)
	}
	return append([]byte{0x80 | byte(len(b)>>8), byte(len(b))}, b...)
}
