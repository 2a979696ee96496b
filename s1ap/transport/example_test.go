package transport_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"

	"github.com/lte-mme/mme/s1ap/transport"
)

// mme answers every S1AP message on the stream it came on.
type mme struct{}

func (mme) HandleEvent(transport.Event) {}
func (mme) HandleMessage(a *transport.Association, m transport.Message) {
	_ = a.Send(m.Stream, m.PPID, append([]byte("re: "), m.Data...))
}

// enb prints what it receives.
type enb struct{ got chan string }

func (e enb) HandleEvent(ev transport.Event) {}
func (e enb) HandleMessage(_ *transport.Association, m transport.Message) {
	e.got <- fmt.Sprintf("stream %d ppid %d %q", m.Stream, m.PPID, m.Data)
}

// An MME endpoint listens; an eNodeB endpoint dials it and sends an S1AP
// message on the stream of its UE.
func Example() {
	cfg := transport.DefaultConfig()
	cfg.Mode = transport.ModeUDP // what this machine has; production uses auto
	cfg.LocalAddrs = []netip.Addr{netip.MustParseAddr("127.0.0.1")}
	cfg.UDPPort = 0 // ephemeral, for the example
	cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))

	node, err := transport.NewEndpoint(cfg)
	if err != nil {
		panic(err)
	}
	defer node.Close()
	if err := node.Listen(mme{}); err != nil {
		panic(err)
	}

	sim, err := transport.NewEndpoint(cfg)
	if err != nil {
		panic(err)
	}
	defer sim.Close()
	e := enb{got: make(chan string, 1)}
	a, err := sim.Dial(context.Background(), node.ListenAddrs(), e)
	if err != nil {
		panic(err)
	}
	_, out := a.Streams()
	stream := transport.StreamForUE(7, out) // MME-UE-S1AP-ID 7
	if err := a.Send(stream, transport.S1APPPID, []byte("initial UE message")); err != nil {
		panic(err)
	}
	fmt.Println(<-e.got)
	// Output: stream 8 ppid 18 "re: initial UE message"
}
