package nas

import (
	"errors"
	"reflect"
	"testing"
)

// seedFromVectors adds every nas.tsv row, the inner message of protected
// rows, and the encoded samples to a fuzz corpus.
func seedFromVectors(f *testing.F) {
	for _, r := range readVectors(f, "nas.tsv") {
		f.Add(r.b)
		if len(r.b) > SecurityProtectedHeaderLen && r.b[0]&0x0f == 7 && r.b[0]>>4 >= 1 && r.b[0]>>4 <= 4 {
			f.Add(r.b[SecurityProtectedHeaderLen:])
		}
	}
	for _, s := range append(sampleMessages(f), fullSamples(f)...) {
		f.Add(mustEncode(f, s.m))
	}
}

// FuzzDecode: Decode never panics, every error is an *Error, and whatever
// decodes re-encodes to bytes that decode to the same value (in each
// direction). Containers decode without panicking too.
func FuzzDecode(f *testing.F) {
	seedFromVectors(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		for _, dir := range []Direction{AnyDirection, Uplink, Downlink} {
			m, err := Decoder{Direction: dir, NoCopy: true}.Decode(b)
			if err != nil {
				var e *Error
				if !errors.As(err, &e) {
					t.Fatalf("%v: error %v is not an *Error", dir, err)
				}
				continue
			}
			out, err := Encode(m)
			if err != nil {
				t.Fatalf("%v: decoded %#v does not re-encode: %v", dir, m, err)
			}
			again, err := Decoder{Direction: dir}.Decode(out)
			if err != nil {
				t.Fatalf("%v: re-encoding %x does not decode: %v", dir, out, err)
			}
			if !reflect.DeepEqual(again, m) {
				t.Fatalf("%v: round trip changed the value:\n%#v\n%#v", dir, m, again)
			}
			switch m := m.(type) {
			case *SecurityProtected:
				_, _ = m.Inner()
			case *AttachRequest:
				_, _ = m.ESMMessageContainer.Decode()
			case *AttachAccept:
				_, _ = m.ESMMessageContainer.Decode()
			case *AttachComplete:
				_, _ = m.ESMMessageContainer.Decode()
			case *AttachReject:
				_, _ = m.ESMMessageContainer.Decode()
			case *ControlPlaneServiceRequest:
				_, _ = m.ESMMessageContainer.Decode()
			case *SecurityModeComplete:
				_, _ = m.ReplayedNASMessageContainer.Decode()
			case *PDNConnectivityRequest:
				_, _ = m.ProtocolConfigurationOptions.Parse()
			case *ActivateDedicatedEPSBearerContextRequest:
				_, _ = m.TFT.Parse()
			case *EMMInformation:
				_, _ = m.FullNameForNetwork.Text()
			}
		}
	})
}

// FuzzParseSecurityProtected: the header parser never panics, and what it
// accepts re-encodes byte-identically.
func FuzzParseSecurityProtected(f *testing.F) {
	seedFromVectors(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParseSecurityProtected(b)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v is not an *Error", err)
			}
			return
		}
		out, err := AppendSecurityProtected(nil, &p)
		if err != nil || string(out) != string(b) {
			t.Fatalf("re-encode %x %v, want %x", out, err, b)
		}
	})
}

// FuzzIEValues feeds arbitrary bytes to the parsed views of the opaque IEs
// (PCO, TFT, network name) and to the value decoders the message decoders
// use, which must never panic.
func FuzzIEValues(f *testing.F) {
	f.Add([]byte{0x80, 0x00, 0x0d, 0x00})
	f.Add([]byte{0x21, 0x31, 0x00, 0x05, 0x30, 0x11, 0x50, 0x13, 0x88})
	f.Add([]byte{0x00, 0x4f, 0x79, 0xd8, 0x7d, 0x2e, 0x83, 0x8c})
	f.Add([]byte{0x22, 0x02, 0xf8, 0x10, 0xc4, 0xa0})
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = ProtocolConfigurationOptions(b).Parse()
		_, _ = TrafficFlowTemplate(b).Parse()
		_, _ = NetworkName(b).Text()
		_ = EPSQoS{QCI: 1, BitRates: b}.MaximumBitRateDownlink()
		_ = APNAggregateMaximumBitRate(b).Downlink()
		for _, v := range []ieCodec{new(TAIList), new(PLMNList), new(EPSMobileIdentity), new(MobileIdentity), new(APN), new(PDNAddress),
			new(EPSQoS), new(UESecurityCapability), new(GUTI), new(TAI), new(TimeZoneAndTime), new(DRXParameter)} {
			if v.decode(b) == nil {
				if _, err := v.appendTo(nil); err != nil {
					t.Fatalf("%T decoded %x but does not encode: %v", v, b, err)
				}
			}
		}
	})
}
