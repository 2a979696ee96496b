package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/lte-mme/mme/node"
)

// version is the software version in crash reports (set with -ldflags).
var version = "dev"

func newServeCmd() *cobra.Command {
	var configPath string
	var printConfig bool
	c := &cobra.Command{
		Use:   "serve",
		Short: "Run the MME node (S1-MME, S11, S6a, store, /metrics and admin API)",
		Long: `Run one MME node (docs/design/node.md). Without --config it runs on loopback with the
lab peers' defaults: S1 over SCTP-over-UDP on 127.0.0.1:9899 (kernel SCTP where the kernel has
it), the SGW at 127.0.0.1:2123 (S11 from 127.0.0.1:2124), the HSS at 127.0.0.1:3868, the
subscriber store in ./data, HTTP (/metrics, /healthz, /readyz, admin API) on 127.0.0.1:8080.
The configuration is validated at start; errors name the field ("config: s1.listen[1]: ...").

When every socket is bound and the node runs, one line goes to standard output:
  mme ready s1=ADDR http=ADDR s11=ADDR transport=udp|kernel
SIGTERM or SIGINT shut down in order (S1 associations, sessions, S11, S6a, store);
SIGHUP reloads the served TAIs, relative capacity, NAS and security policy from --config
and sends MME CONFIGURATION UPDATE to the eNodeBs.`,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg := node.DefaultConfig()
			if configPath != "" {
				var err error
				if cfg, err = node.LoadConfig(configPath); err != nil {
					return err
				}
			} else if err := cfg.Validate(); err != nil {
				return err
			}
			if printConfig {
				return node.WriteConfig(cmd.OutOrStdout(), cfg)
			}
			return runServe(cmd.Context(), cfg, configPath, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	c.Flags().StringVar(&configPath, "config", "", "YAML configuration file (default: built-in loopback defaults)")
	c.Flags().BoolVar(&printConfig, "print-config", false, "print the effective configuration as YAML and exit")
	return c
}

// runServe runs the node until SIGTERM/SIGINT (or ctx ends).
func runServe(ctx context.Context, cfg node.Config, configPath string, stdout, stderr io.Writer) error {
	if ctx == nil {
		ctx = context.Background()
	}
	debug.SetGCPercent(cfg.Runtime.GCPercent)
	if cfg.Runtime.MemoryLimitMB > 0 {
		debug.SetMemoryLimit(int64(cfg.Runtime.MemoryLimitMB) << 20)
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(strings.ToLower(cfg.Log.Level))); err != nil {
		return fmt.Errorf("config: log.level: %w", err)
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	n, err := node.New(cfg, node.Options{Logger: log, Version: version})
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()

	s1 := "-"
	if a := n.S1Addrs(); len(a) > 0 {
		s1 = a[0].String()
	}
	httpAddr := n.HTTPAddr()
	if httpAddr == "" {
		httpAddr = "-"
	}
	fmt.Fprintf(stdout, "mme ready s1=%s http=%s s11=%s transport=%s\n", s1, httpAddr, n.S11Addr(), n.S1Mode())

	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	for {
		select {
		case err := <-done:
			if err != nil && !errors.Is(err, context.Canceled) {
				return fmt.Errorf("mme serve: %w", err)
			}
			log.Info("mme serve: stopped")
			return nil
		case <-hup:
			if configPath == "" {
				log.Warn("SIGHUP: no --config to reload")
				continue
			}
			nc, err := node.LoadConfig(configPath)
			if err == nil {
				err = n.Reload(nc)
			}
			if err != nil {
				log.Error("SIGHUP: configuration not reloaded", "err", err)
				continue
			}
			log.Info("SIGHUP: configuration reloaded")
		}
	}
}
