package main

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/lte-mme/mme/lab/hss"
	"github.com/lte-mme/mme/s6a/peer"
)

// newHSSCmd is `mme hss`: the lab HSS on S6a (TS 29.272) with its REST
// administration API.
func newHSSCmd() *cobra.Command {
	var (
		diameterAddr, httpAddr, dataDir, importCSV string
		originHost, originRealm, defaultAPN        string
		fixedRAND, logLevel                        string
		watchdog, requestTimeout                   time.Duration
		workers                                    int
		extraAPNs                                  []string
	)
	c := &cobra.Command{
		Use:   "hss",
		Short: "Run the lab HSS (S6a Diameter over TCP, subscribers in badger, REST admin API)",
		Long: `Run the lab HSS: S6a (TS 29.272) over TCP, EPS-AKA vectors with Milenage and
SQN management (TS 33.102 Annex C.3.2: SQN = SEQ || IND, 5-bit IND), re-synchronisation,
Update-Location with Cancel-Location to the previous MME, Purge-UE.

Subscribers live in badger under --data-dir; --import-csv loads a CSV with the header
imsi,k,opc,amf,sqn,msisdn,apn at start. The REST API on --http-listen adds, shows and
removes subscribers (GET/PUT/DELETE /subscribers/{imsi}, POST /subscribers,
POST /subscribers/import with a CSV body) and pushes a new UE-AMBR to the serving MME
(POST /subscribers/{imsi}/ambr: Insert-Subscriber-Data). Every subscriber has the APNs of
--extra-apns besides its own (additional PDN connectivity).

When both listeners are up, one line goes to standard output:
  hss ready diameter=ADDR http=ADDR subscribers=N`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
			cfg := hss.Config{
				Identity: peer.Identity{OriginHost: originHost, OriginRealm: originRealm, ProductName: "lte-mme hss",
					OriginStateID: uint32(time.Now().Unix())},
				Timers:  peer.Timers{Watchdog: watchdog, RequestTimeout: requestTimeout},
				DataDir: dataDir, Workers: workers, Logger: log,
				Profile: hss.Profile{APN: defaultAPN, ExtraAPNs: extraAPNs},
			}
			if fixedRAND != "" {
				b, err := hex.DecodeString(fixedRAND)
				if err != nil || len(b) != 16 {
					return errors.New("--fixed-rand: want 32 hex digits")
				}
				r := [16]byte(b)
				cfg.FixedRAND = &r
				log.Warn("fixed RAND in every vector: for replaying test flows only, never in service")
			}
			return runHSS(cmd.Context(), cfg, diameterAddr, httpAddr, importCSV, log)
		},
	}
	f := c.Flags()
	f.StringVar(&diameterAddr, "diameter-listen", "127.0.0.1:3868", "S6a Diameter TCP listen address")
	f.StringVar(&httpAddr, "http-listen", "127.0.0.1:8868", "REST API listen address")
	f.StringVar(&dataDir, "data-dir", "", "badger directory of the subscriber store (required)")
	f.StringVar(&importCSV, "import-csv", "", "CSV file of subscribers to import at start (imsi,k,opc,amf,sqn,msisdn,apn)")
	f.StringVar(&originHost, "origin-host", "hss.epc.mnc001.mcc001.3gppnetwork.org", "Diameter Origin-Host")
	f.StringVar(&originRealm, "origin-realm", "epc.mnc001.mcc001.3gppnetwork.org", "Diameter Origin-Realm")
	f.StringVar(&defaultAPN, "default-apn", "internet", "APN of subscribers imported without one")
	f.StringSliceVar(&extraAPNs, "extra-apns", []string{"ims"}, "APNs every subscriber has besides its default one (additional PDN connectivity)")
	f.StringVar(&fixedRAND, "fixed-rand", "", "TEST ONLY: use this RAND (32 hex digits) in every vector")
	f.StringVar(&logLevel, "log-level", "info", "debug, info, warn or error")
	f.DurationVar(&watchdog, "watchdog", 30*time.Second, "Diameter watchdog interval Tw (RFC 3539)")
	f.DurationVar(&requestTimeout, "request-timeout", 5*time.Second, "timeout of HSS-initiated requests (CLR)")
	f.IntVar(&workers, "workers", 0, "request workers (0: one per CPU)")
	c.MarkFlagRequired("data-dir")
	return c
}

// runHSS runs the HSS until ctx ends or SIGINT/SIGTERM arrives.
func runHSS(ctx context.Context, cfg hss.Config, diameterAddr, httpAddr, importCSV string, log *slog.Logger) error {
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	h, err := hss.Open(cfg)
	if err != nil {
		return err
	}
	defer h.Close()
	if importCSV != "" {
		f, err := os.Open(importCSV)
		if err != nil {
			return err
		}
		start := time.Now()
		n, err := h.ImportCSV(f)
		f.Close()
		if err != nil {
			return err
		}
		log.Info("subscribers imported", "file", importCSV, "count", n, "took", time.Since(start))
	}
	dl, err := net.Listen("tcp", diameterAddr)
	if err != nil {
		return err
	}
	hl, err := net.Listen("tcp", httpAddr)
	if err != nil {
		dl.Close()
		return err
	}
	hs := &http.Server{Handler: h.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 2)
	go func() { errc <- h.Serve(dl) }()
	go func() { errc <- hs.Serve(hl) }()
	n, _ := h.Count()
	fmt.Printf("hss ready diameter=%s http=%s subscribers=%d\n", dl.Addr(), hl.Addr(), n)
	select {
	case <-ctx.Done():
		log.Info("hss stopping")
	case err = <-errc:
		log.Error("hss server failed", "err", err)
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	hs.Shutdown(sctx)
	h.Close()
	return err
}
