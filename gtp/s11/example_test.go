package s11_test

import (
	"fmt"
	"net/netip"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/gtp/s11"
)

// An SGW-side endpoint answers Create Session Requests; the MME-side
// endpoint sends one and gets the answer through its done callback.
func Example() {
	var sgw *s11.Endpoint
	ready := make(chan struct{})
	sgw, err := s11.Listen("127.0.0.1:0", s11.Config{RestartCounter: 1, Handler: func(in *s11.Incoming) {
		<-ready
		req, ok := in.Msg.(*gtp.CreateSessionRequest)
		if !ok {
			return
		}
		teid, _ := sgw.AllocTEID(s11.SessionKey(req.SenderFTEID.TEID), in.Peer)
		in.Respond(req.SenderFTEID.TEID, &gtp.CreateSessionResponse{
			Cause:                 gtp.Cause{Value: gtp.CauseRequestAccepted},
			SenderFTEID:           gtp.FTEID{Interface: gtp.IfS11S4SGWGTPC, TEID: teid, IPv4: netip.MustParseAddr("127.0.0.1")},
			BearerContextsCreated: []gtp.BearerContext{{EBI: 5, Cause: gtp.Cause{Value: gtp.CauseRequestAccepted}}},
		})
	}})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer sgw.Close()
	close(ready)

	mme, err := s11.Listen("127.0.0.1:0", s11.Config{RestartCounter: 9})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer mme.Close()

	done := make(chan struct{})
	req := &gtp.CreateSessionRequest{
		IMSI: "001010123456789", RATType: gtp.RATEUTRAN, APN: "internet",
		SenderFTEID:               gtp.FTEID{Interface: gtp.IfS11MMEGTPC, TEID: 0x100, IPv4: netip.MustParseAddr("127.0.0.1")},
		BearerContextsToBeCreated: []gtp.BearerContext{{EBI: 5, BearerQoS: gtp.BearerQoS{QCI: 9, ARP: gtp.ARP{PL: 8}}}},
	}
	err = mme.Request(sgw.LocalAddr(), 0, req, func(resp gtp.Message, err error) {
		defer close(done)
		if err != nil {
			fmt.Println("failed:", err)
			return
		}
		fmt.Println(resp.MessageType(), resp.(*gtp.CreateSessionResponse).Cause.Value)
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	<-done
	rec, _ := mme.PeerRecovery(sgw.LocalAddr())
	fmt.Println("SGW restart counter:", rec)
	// Output:
	// Create Session Response Request accepted (16)
	// SGW restart counter: 1
}
