package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/lte-mme/mme/gtp/s11"
	"github.com/lte-mme/mme/lab/sgw"
)

// newSGWEmuCmd is `mme sgw-emu`: the lab SGW-C/PGW-C on S11 (TS 29.274)
// with its admin HTTP API.
func newSGWEmuCmd() *cobra.Command {
	var (
		s11Addr, adminAddr, mmeAddr, userPlane, poolV4, poolV6 string
		restartFile, logLevel                                  string
		ddnRate                                                float64
		t3, echo                                               time.Duration
		n3                                                     int
		logIMSI                                                bool
	)
	c := &cobra.Command{
		Use:   "sgw-emu",
		Short: "Run the lab SGW emulator (SGW-C/PGW-C on S11, admin HTTP API)",
		Long: `Run the lab SGW emulator: an SGW-C and PGW-C in one, on S11 (TS 29.274).
It allocates TEIDs, S1-U and S5/S8-U F-TEIDs, UE addresses from --ue-pool-v4/--ue-pool-v6,
authorises the MME's bearer QoS and APN-AMBR; handles Modify Bearer, Release Access
Bearers, Delete Session and Delete Bearer Command; sends Downlink Data Notifications to idle
UEs at --ddn-rate per second or on request, and Create/Update/Delete Bearer Requests on
request. Path management: Echo to the MME, restart counter in --restart-counter-file.

Admin API on --admin-listen (JSON):
  GET    /sessions, /sessions/{imsi}, /stats, /healthz
  POST   /sessions/{imsi}/ddn                   downlink data for an idle UE (waits for the Ack)
  POST   /sessions/{imsi}/bearers               dedicated bearer {"qci":1,"arp_pl":2,"gbr_ul":64,...}
  POST   /sessions/{imsi}/bearers/{ebi}/update  {"qci":..,"ambr_ul":..,"ambr_dl":..}
  DELETE /sessions/{imsi}/bearers/{ebi}

When both listeners are up, one line goes to standard output:
  sgw-emu ready s11=ADDR admin=ADDR restart_counter=N`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			cfg := sgw.Config{Listen: s11Addr, DDNRate: ddnRate, LogIMSI: logIMSI, Logger: log,
				S11: s11.Config{T3: t3, N3: n3, EchoInterval: echo}}
			var err error
			if mmeAddr != "" {
				if cfg.MME, err = netip.ParseAddrPort(mmeAddr); err != nil {
					return fmt.Errorf("--mme: %w", err)
				}
			}
			if userPlane != "" {
				if cfg.UserPlane, err = netip.ParseAddr(userPlane); err != nil {
					return fmt.Errorf("--user-plane: %w", err)
				}
			}
			if poolV4 != "" {
				if cfg.UEPoolV4, err = netip.ParsePrefix(poolV4); err != nil {
					return fmt.Errorf("--ue-pool-v4: %w", err)
				}
			}
			if poolV6 != "" {
				if cfg.UEPoolV6, err = netip.ParsePrefix(poolV6); err != nil {
					return fmt.Errorf("--ue-pool-v6: %w", err)
				}
			}
			// TS 23.007 §18: the restart counter is kept in non-volatile
			// memory and incremented on every start.
			if restartFile != "" {
				if cfg.S11.RestartCounter, err = s11.NextRestartCounter(s11.FileStore(restartFile)); err != nil {
					return err
				}
			} else {
				cfg.S11.RestartCounter = uint8(time.Now().Unix())
				log.Warn("no --restart-counter-file: restart counter taken from the clock")
			}
			return runSGWEmu(cmd.Context(), cfg, adminAddr, log)
		},
	}
	f := c.Flags()
	f.StringVar(&s11Addr, "s11-listen", "127.0.0.1:2123", "S11 GTP-C UDP listen address")
	f.StringVar(&adminAddr, "admin-listen", "127.0.0.1:8123", "admin HTTP API listen address")
	f.StringVar(&mmeAddr, "mme", "", "MME S11 address for network-initiated requests (default: learnt from each UE's Create Session Request)")
	f.StringVar(&userPlane, "user-plane", "", "address in the S1-U and S5/S8 F-TEIDs (default: the S11 address)")
	f.StringVar(&poolV4, "ue-pool-v4", "10.45.0.0/16", "UE IPv4 address pool (empty: none)")
	f.StringVar(&poolV6, "ue-pool-v6", "2001:db8:45::/48", "UE IPv6 pool, one /64 per PDN connection (empty: none)")
	f.Float64Var(&ddnRate, "ddn-rate", 0, "Downlink Data Notifications per second to idle UEs (0: on request only)")
	f.StringVar(&restartFile, "restart-counter-file", "", "file keeping the GTP-C restart counter (TS 23.007 §18)")
	f.DurationVar(&t3, "t3", s11.DefaultT3, "T3-RESPONSE (TS 29.274 §7.6)")
	f.IntVar(&n3, "n3", s11.DefaultN3, "N3-REQUESTS (TS 29.274 §7.6)")
	f.DurationVar(&echo, "echo-interval", s11.DefaultEchoInterval, "Echo Request interval to peers with sessions (negative: off)")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	f.BoolVar(&logIMSI, "log-imsi", false, "log IMSIs in clear")
	return c
}

// runSGWEmu runs the emulator until ctx ends or SIGINT/SIGTERM arrives.
func runSGWEmu(ctx context.Context, cfg sgw.Config, adminAddr string, log *slog.Logger) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	emu, err := sgw.New(cfg)
	if err != nil {
		return err
	}
	defer emu.Close()
	hl, err := net.Listen("tcp", adminAddr)
	if err != nil {
		return err
	}
	hs := &http.Server{Handler: emu.AdminHandler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(hl) }()
	fmt.Printf("sgw-emu ready s11=%s admin=%s restart_counter=%d\n", emu.Addr(), hl.Addr(), emu.Endpoint().RestartCounter())
	select {
	case <-ctx.Done():
		log.Info("sgw-emu stopping")
	case err = <-errc:
		log.Error("sgw-emu admin server failed", "err", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hs.Shutdown(sctx)
	return err
}
