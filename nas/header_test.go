package nas

import (
	"encoding/hex"
	"errors"
	"testing"
)

func TestParseSecurityProtected(t *testing.T) {
	// nas.tsv SecProtCiphered-EMMAttachComplete(EEA0?)#01.
	b, _ := hex.DecodeString("2728e58e6d01074300035200c2")
	p, err := ParseSecurityProtected(b)
	if err != nil {
		t.Fatal(err)
	}
	if p.Header != IntegrityProtectedCiphered || p.MAC != [4]byte{0x28, 0xe5, 0x8e, 0x6d} || p.SequenceNumber != 1 || hex.EncodeToString(p.Message) != "074300035200c2" {
		t.Fatalf("got %+v", p)
	}
	out, err := AppendSecurityProtected(nil, &p)
	if err != nil || hex.EncodeToString(out) != hex.EncodeToString(b) {
		t.Fatalf("re-encode %x, %v", out, err)
	}
	for _, tc := range []struct {
		hex  string
		want error
	}{
		{"", ErrTooShort},
		{"27", ErrTooShort},
		{"2728e58e6d0107", ErrTooShort},
		{"0741", ErrNotSecurityProtected},
		{"c7000000", ErrNotSecurityProtected},
		{"6728e58e6d010743", ErrReservedSecurityHeaderType},
		{"2328e58e6d010743", ErrUnknownProtocolDiscriminator},
	} {
		b, _ := hex.DecodeString(tc.hex)
		if _, err := ParseSecurityProtected(b); !errors.Is(err, tc.want) {
			t.Errorf("%s: err %v, want %v", tc.hex, err, tc.want)
		}
	}
}

func TestPeekHeader(t *testing.T) {
	for _, tc := range []struct {
		b   []byte
		pd  ProtocolDiscriminator
		sht SecurityHeaderType
	}{
		{[]byte{0x07, 0x41}, EPSMobilityManagement, Plain},
		{[]byte{0x52, 0x01, 0xc1}, EPSSessionManagement, Plain},
		{[]byte{0x47}, EPSMobilityManagement, IntegrityProtectedCipheredNewContext},
		{[]byte{0xc7}, EPSMobilityManagement, ServiceRequestHeader},
		{[]byte{0xf7}, EPSMobilityManagement, ServiceRequestHeader}, // TS 24.301 table 9.3.1 NOTE 3
	} {
		pd, sht, err := PeekHeader(tc.b)
		if err != nil || pd != tc.pd || sht != tc.sht {
			t.Errorf("%x: %v %v %v", tc.b, pd, sht, err)
		}
	}
}

func TestServiceRequest(t *testing.T) {
	// nas.tsv EMMServiceRequest rows have this shape: c7 | KSI<<5|SQN | short MAC.
	b := []byte{0xc7, 0x45, 0xab, 0xcd}
	m, err := ParseServiceRequest(b)
	if err != nil || m.KSI != 2 || m.SequenceNumber != 5 || m.ShortMAC != [2]byte{0xab, 0xcd} {
		t.Fatalf("%+v %v", m, err)
	}
	out, _ := AppendServiceRequest(nil, &m)
	if hex.EncodeToString(out) != "c745abcd" {
		t.Fatalf("%x", out)
	}
	var e *Error
	if _, err := ParseServiceRequest(b[:3]); !errors.As(err, &e) || e.EMMCause() != EMMCauseInvalidMandatoryInformation {
		t.Fatalf("short: %v", err)
	}
	if _, err := AppendServiceRequest(nil, &ServiceRequest{KSI: 8}); !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("KSI 8: %v", err)
	}
}
