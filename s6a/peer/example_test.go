package peer_test

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/fiorix/go-diameter/v4/diam"
	"github.com/lte-mme/mme/s6a"
	"github.com/lte-mme/mme/s6a/peer"
)

// An MME-side Client sends an AIR to an HSS-side Server over loopback TCP
// and gets the AIA in its done callback.
func ExampleClient_Send() {
	hss, _ := peer.NewServer(peer.ServerConfig{
		Identity: peer.Identity{OriginHost: "hss.example", OriginRealm: "example"},
		Handler: func(r *peer.Request, answer func(*diam.Message)) {
			air, _ := s6a.DecodeAIR(r.Message)
			answer((&s6a.AIA{AnswerHeader: s6a.AnswerHeader{SessionID: air.SessionID, OriginHost: "hss.example",
				OriginRealm: "example", Result: s6a.ExperimentalResult(s6a.ExpErrorUserUnknown)}}).Encode())
		},
	})
	defer hss.Close()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	go hss.Serve(l)

	mme, _ := peer.NewClient(peer.ClientConfig{
		Identity:         peer.Identity{OriginHost: "mme.example", OriginRealm: "example"},
		DestinationRealm: "example",
		Peers:            []string{l.Addr().String()},
	})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	defer mme.Close(ctx)
	mme.WaitOpen(ctx)

	done := make(chan struct{})
	req := &s6a.AIR{RequestHeader: mme.Header(), IMSI: "001010000000001", VisitedPLMNID: [3]byte{0x00, 0xf1, 0x10},
		EUTRAN: &s6a.RequestedEUTRANAuthInfo{NumberOfRequestedVectors: 1}}
	mme.Send(req.Encode(), func(ans *diam.Message, err error) {
		defer close(done)
		if err != nil {
			fmt.Println(err)
			return
		}
		aia, _ := s6a.DecodeAIA(ans)
		cause, _ := s6a.EMMCauseFor(aia.Result)
		fmt.Println(aia.Result, "-> EMM cause", cause)
	})
	<-done
	// Output: experimental 5001 (vendor 10415) -> EMM cause 8
}
