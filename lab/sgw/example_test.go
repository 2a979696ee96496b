package sgw_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/lte-mme/mme/gtp"
	"github.com/lte-mme/mme/gtp/s11"
	"github.com/lte-mme/mme/lab/sgw"
)

// An emulator on loopback answers an MME-side endpoint's Create Session
// Request with UE addresses from its pools.
func Example() {
	emu, err := sgw.New(sgw.Config{
		Listen:   "127.0.0.1:0",
		UEPoolV4: netip.MustParsePrefix("10.45.0.0/16"),
		UEPoolV6: netip.MustParsePrefix("2001:db8:45::/48"),
		Logger:   slog.New(slog.DiscardHandler),
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer emu.Close()
	mme, err := s11.Listen("127.0.0.1:0", s11.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer mme.Close()
	teid, _ := mme.AllocTEID(1, emu.Addr())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	resp, err := mme.RequestSync(ctx, emu.Addr(), 0, &gtp.CreateSessionRequest{
		IMSI: "001010123456789", RATType: gtp.RATEUTRAN, APN: "internet", PDNType: gtp.PDNTypeIPv4v6,
		SenderFTEID:               gtp.FTEID{Interface: gtp.IfS11MMEGTPC, TEID: teid, IPv4: netip.MustParseAddr("127.0.0.1")},
		BearerContextsToBeCreated: []gtp.BearerContext{{EBI: 5, BearerQoS: gtp.BearerQoS{QCI: 9, ARP: gtp.ARP{PL: 8}}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	cs := resp.(*gtp.CreateSessionResponse)
	fmt.Println(cs.Cause.Value)
	fmt.Println(cs.PAA.IPv4, cs.PAA.IPv6)
	ue, _ := emu.UE("001010123456789")
	fmt.Println("bearers:", len(ue.PDNs[5].Bearers), "idle:", ue.Idle)
	// Output:
	// Request accepted (16)
	// 10.45.0.2 2001:db8:45::1/64
	// bearers: 1 idle: false
}
