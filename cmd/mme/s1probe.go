package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"time"

	"github.com/spf13/cobra"

	"github.com/lte-mme/mme/s1ap/transport"
)

// newS1ProbeCmd is `mme s1probe`: which S1 transport this host gets, and
// optionally a loopback association that proves it works.
func newS1ProbeCmd() *cobra.Command {
	var (
		modeFlag string
		selftest bool
	)
	c := &cobra.Command{
		Use:   "s1probe",
		Short: "Show which S1 SCTP transport this host uses (kernel or SCTP over UDP) and test it",
		Long: `Probe the S1 transport (TS 36.412): whether the kernel has SCTP (by opening an SCTP
socket) and which mode --mode (auto, kernel, udp) resolves to. With --selftest, listen on
127.0.0.1, associate with it, send an S1AP-sized PPID 18 message on a UE stream and wait for
its echo; prints the negotiated streams and the round trip.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			mode, err := transport.ParseMode(modeFlag)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			if err := transport.ProbeKernelSCTP(); err != nil {
				fmt.Fprintf(out, "kernel SCTP: unavailable (%v)\n", err)
			} else {
				fmt.Fprintln(out, "kernel SCTP: available")
			}
			cfg := transport.DefaultConfig()
			cfg.Mode = mode
			cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
			cfg.LocalAddrs = []netip.Addr{netip.MustParseAddr("127.0.0.1")}
			cfg.Port, cfg.UDPPort = 0, 0 // ephemeral: the probe must not take the service ports
			srv, err := transport.NewEndpoint(cfg)
			if err != nil {
				return err
			}
			defer srv.Close()
			fmt.Fprintf(out, "mode %s resolves to: %s\n", mode, srv.Mode())
			if !selftest {
				return nil
			}
			if err := srv.Listen(echoHandler{}); err != nil {
				return err
			}
			cli, err := transport.NewEndpoint(cfg)
			if err != nil {
				return err
			}
			defer cli.Close()
			got := make(chan transport.Message, 1)
			ctx, cancel := context.WithTimeout(cmd.Context(), 5*time.Second)
			defer cancel()
			a, err := cli.Dial(ctx, srv.ListenAddrs(), probeHandler{got})
			if err != nil {
				return err
			}
			in, outStreams := a.Streams()
			stream := transport.StreamForUE(1, outStreams)
			start := time.Now()
			if err := a.Send(stream, transport.S1APPPID, make([]byte, 100)); err != nil {
				return err
			}
			select {
			case m := <-got:
				fmt.Fprintf(out, "selftest: association up (streams in %d out %d), %d-byte PPID %d message echoed on stream %d in %v\n",
					in, outStreams, len(m.Data), m.PPID, m.Stream, time.Since(start).Round(time.Microsecond))
			case <-ctx.Done():
				return errors.New("s1probe: no echo within 5 s")
			}
			return a.Shutdown(ctx)
		},
	}
	c.Flags().StringVar(&modeFlag, "mode", "auto", "transport mode: auto, kernel or udp")
	c.Flags().BoolVar(&selftest, "selftest", false, "associate over loopback and echo one message")
	return c
}

type echoHandler struct{}

func (echoHandler) HandleEvent(transport.Event) {}
func (echoHandler) HandleMessage(a *transport.Association, m transport.Message) {
	_ = a.Send(m.Stream, m.PPID, m.Data)
}

type probeHandler struct{ got chan transport.Message }

func (probeHandler) HandleEvent(transport.Event) {}
func (p probeHandler) HandleMessage(_ *transport.Association, m transport.Message) {
	m.Data = append([]byte(nil), m.Data...)
	select {
	case p.got <- m:
	default:
	}
}
