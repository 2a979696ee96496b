package s6a

import (
	"testing"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/fiorix/go-diameter/v4/diam/datatype"
)

func datatypeOctets(s string) datatype.OctetString { return datatype.OctetString(s) }

// FuzzParse feeds arbitrary octets to Parse and, when they parse, to every
// typed decoder of their command: nothing may panic, and a message that
// decodes must serialise again.
func FuzzParse(f *testing.F) {
	for _, row := range loadVectors(f) {
		f.Add(row.pdu)
	}
	for _, m := range []*diam.Message{
		(&AIR{RequestHeader: testReq, IMSI: "001010000000001", EUTRAN: &RequestedEUTRANAuthInfo{NumberOfRequestedVectors: 1, ResynchronizationInfo: make([]byte, 30)}}).Encode(),
		(&ULA{AnswerHeader: testAns, SubscriptionData: testSub}).Encode(),
		(&IDR{RequestHeader: testReq, IMSI: "1", SubscriptionData: testSub}).Encode(),
		(&CLR{RequestHeader: testReq, IMSI: "1"}).Encode(),
		(&DSR{RequestHeader: testReq, IMSI: "1", ContextIdentifiers: []uint32{1}}).Encode(),
	} {
		b, _ := m.Serialize()
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			return
		}
		req := m.Header.CommandFlags&diam.RequestFlag != 0
		switch m.Header.CommandCode {
		case CmdAuthenticationInformation:
			if req {
				_, err = DecodeAIR(m)
			} else {
				_, err = DecodeAIA(m)
			}
		case CmdUpdateLocation:
			if req {
				_, err = DecodeULR(m)
			} else {
				_, err = DecodeULA(m)
			}
		case CmdPurgeUE:
			if req {
				_, err = DecodePUR(m)
			} else {
				_, err = DecodePUA(m)
			}
		case CmdCancelLocation:
			if req {
				_, err = DecodeCLR(m)
			} else {
				_, err = DecodeCLA(m)
			}
		case CmdInsertSubscriberData:
			if req {
				_, err = DecodeIDR(m)
			} else {
				_, err = DecodeIDA(m)
			}
		case CmdDeleteSubscriberData:
			if req {
				_, err = DecodeDSR(m)
			} else {
				_, err = DecodeDSA(m)
			}
		case CmdCapabilitiesExchange:
			if req {
				_, err = DecodeCER(m)
			} else {
				_, err = DecodeCEA(m)
			}
		case CmdDeviceWatchdog:
			if req {
				_, err = DecodeDWR(m)
			} else {
				_, err = DecodeDWA(m)
			}
		case CmdDisconnectPeer:
			if req {
				_, err = DecodeDPR(m)
			} else {
				_, err = DecodeDPA(m)
			}
		}
		_ = err
		if _, err := m.Serialize(); err != nil {
			t.Fatalf("parsed message does not serialise: %v", err)
		}
	})
}
