package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/spf13/cobra"

	"github.com/lte-mme/mme/loadtest"
	"github.com/lte-mme/mme/s1ap/transport"
)

// newLoadtestCmd is `mme loadtest`: simulated eNodeBs and UEs against an
// MME or a pool, and `mme loadtest gen-subscribers`.
func newLoadtestCmd() *cobra.Command {
	var (
		targets, transportMode, scenario, subsFile    string
		reportFile, plotFile, metricsAddr, plmn, tacs string
		sgwAdmin, logLevel, cpuProfile                string
		ues, enbs, workers                            int
		rate, mixRate                                 float64
		duration, hold, progressEvery                 time.Duration
		quiet, list                                   bool
		seed                                          uint64
	)
	c := &cobra.Command{
		Use:   "loadtest",
		Short: "Run simulated eNodeBs and UEs against an MME (or a pool) and report",
		Long: `Run a load or conformance scenario: simulated eNodeBs associate with every MME of
--target (S1-flex) over SCTP (kernel, or SCTP over UDP), run S1 Setup, and simulated UEs run
the scenario's procedures with real S1AP, NAS and NAS security, at open-loop arrival rates.

--scenario is a named scenario of the embedded library (--list shows them) or a YAML file;
--ues, --enbs, --rate, --mix-rate, --duration, --hold, --plmn and --tac override it. UEs take the subscribers of
--subscribers (the HSS CSV: imsi,k,opc,amf,sqn,msisdn,apn) in order.

A progress line goes to standard error every second (not with --quiet), the summary table to
standard output. --report writes the JSON report, --plot an HTML page of throughput and
latency over time, --metrics serves the tester's own Prometheus metrics. Paging and
dedicated-bearer procedures need --sgw-admin (the SGW emulator's admin API) to start them.

Exit status: 0 when every expectation of the scenario held, 1 when one failed, 2 when the
run could not take place.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if list {
				for _, n := range loadtest.NamedScenarios() {
					sc, err := loadtest.LoadScenario(n)
					if err != nil {
						return err
					}
					line := fmt.Sprintf("%-40s %s", n, loadtestFirstLine(sc.Description))
					if sc.Pending != "" {
						line += " [pending: " + sc.Pending + "]"
					}
					fmt.Fprintln(cmd.OutOrStdout(), line)
				}
				return nil
			}
			if _, ok := os.LookupEnv("GOGC"); !ok {
				// docs/performance.md: the S1 transport keeps up only with
				// fewer collections (GOGC=400 measured); GOGC still wins.
				debug.SetGCPercent(400)
			}
			var level slog.Level
			if err := level.UnmarshalText([]byte(logLevel)); err != nil {
				return fmt.Errorf("--log-level: %w", err)
			}
			log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
			mode, err := transport.ParseMode(transportMode)
			if err != nil {
				return fmt.Errorf("--transport: %w", err)
			}
			sc, err := loadtest.LoadScenario(scenario)
			if err != nil {
				return err
			}
			o := loadtest.Overrides{UEs: ues, ENBs: enbs, Rate: rate, MixRate: mixRate, Duration: duration, Hold: hold, PLMN: plmn}
			if tacs != "" {
				for _, f := range strings.Split(tacs, ",") {
					v, err := strconv.ParseUint(strings.TrimSpace(f), 0, 16)
					if err != nil {
						return fmt.Errorf("--tac %q: want comma-separated TACs (0-65535)", tacs)
					}
					o.TACs = append(o.TACs, int(v))
				}
			}
			if err := sc.Apply(o); err != nil {
				return err
			}
			var subs []loadtest.Subscriber
			if sc.UEs > 0 {
				if subsFile == "" {
					return errors.New("--subscribers: the scenario has UEs; give the HSS's subscriber CSV")
				}
				f, err := os.Open(subsFile)
				if err != nil {
					return fmt.Errorf("--subscribers: %w", err)
				}
				subs, err = loadtest.ReadSubscribersCSV(f)
				f.Close()
				if err != nil {
					return err
				}
			}
			addrs, err := parseTargets(targets, mode)
			if err != nil {
				return err
			}
			cfg := loadtest.Config{Targets: addrs, Transport: mode, Scenario: sc, Subscribers: subs,
				Workers: workers, Logger: log, Seed: seed, ProgressInterval: progressEvery}
			if sgwAdmin != "" {
				cfg.Trigger = loadtest.SGWAdmin{BaseURL: sgwAdmin}
			}
			if !quiet {
				errw := cmd.ErrOrStderr()
				cfg.Progress = func(p loadtest.Progress) { fmt.Fprintln(errw, p.String()) }
			}
			if metricsAddr != "" {
				reg := prometheus.NewRegistry()
				reg.MustRegister(prometheus.NewGoCollector(), prometheus.NewProcessCollector(prometheus.ProcessCollectorOpts{}))
				cfg.Metrics = reg
				ln, err := net.Listen("tcp", metricsAddr)
				if err != nil {
					return fmt.Errorf("--metrics: %w", err)
				}
				mux := http.NewServeMux()
				mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
				srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
				go func() { _ = srv.Serve(ln) }() // ended by Shutdown below
				defer func() {
					sctx, cancel := context.WithTimeout(context.Background(), time.Second)
					defer cancel()
					_ = srv.Shutdown(sctx)
				}()
				log.Info("loadtest: metrics", "addr", ln.Addr().String())
			}
			if cpuProfile != "" {
				f, err := os.Create(cpuProfile)
				if err != nil {
					return fmt.Errorf("--cpuprofile: %w", err)
				}
				defer f.Close()
				if err := pprof.StartCPUProfile(f); err != nil {
					return fmt.Errorf("--cpuprofile: %w", err)
				}
				defer pprof.StopCPUProfile()
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			r, err := loadtest.Run(ctx, cfg)
			if err != nil {
				return err
			}
			if err := r.WriteSummary(cmd.OutOrStdout()); err != nil {
				return err
			}
			if reportFile != "" {
				if err := writeLoadtestFile(reportFile, r.WriteJSON); err != nil {
					return fmt.Errorf("--report: %w", err)
				}
			}
			if plotFile != "" {
				if ext := strings.ToLower(filepath.Ext(plotFile)); ext != ".html" && ext != ".htm" {
					return fmt.Errorf("--plot %s: the plot is an HTML page (name it .html)", plotFile)
				}
				if err := writeLoadtestFile(plotFile, r.WritePlotHTML); err != nil {
					return fmt.Errorf("--plot: %w", err)
				}
			}
			if !r.Passed {
				return exitStatusError{1}
			}
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&targets, "target", "127.0.0.1:"+strconv.Itoa(transport.UDPEncapsulationPort), "MME S1-MME address(es), HOST:PORT[,HOST:PORT...] (a pool)")
	f.StringVar(&transportMode, "transport", "auto", "SCTP implementation: udp (SCTP over UDP, RFC 6951), kernel or auto")
	f.StringVar(&scenario, "scenario", "demo", "named scenario (see --list) or YAML file")
	f.StringVar(&subsFile, "subscribers", "", "subscriber CSV (imsi,k,opc,amf,sqn,msisdn,apn), as given to the HSS")
	f.IntVar(&ues, "ues", 0, "number of UEs (overrides the scenario)")
	f.IntVar(&enbs, "enbs", 0, "number of eNodeBs (overrides the scenario)")
	f.Float64Var(&rate, "rate", 0, "arrival rate per second of every phase (overrides the scenario)")
	f.Float64Var(&mixRate, "mix-rate", 0, "arrival rate per second of the mix phases (overrides the scenario; --rate then sets only the others)")
	f.DurationVar(&duration, "duration", 0, "duration of every timed phase (overrides the scenario)")
	f.DurationVar(&hold, "hold", 0, "length of every wait phase, e.g. how long the demo's UEs stay attached (overrides the scenario)")
	f.StringVar(&plmn, "plmn", "", "PLMN of the cells, MCCMNC (overrides the scenario; default 00101)")
	f.StringVar(&tacs, "tac", "", "TACs of the cells, comma-separated (overrides the scenario)")
	f.StringVar(&reportFile, "report", "", "write the JSON report to this file")
	f.StringVar(&plotFile, "plot", "", "write an HTML page of throughput and latency over time to this file")
	f.StringVar(&metricsAddr, "metrics", "", "serve the tester's Prometheus metrics on this address (/metrics)")
	f.StringVar(&sgwAdmin, "sgw-admin", "", "SGW emulator admin API base URL, for paging and dedicated bearers")
	f.IntVar(&workers, "workers", 0, "UE worker goroutines (default GOMAXPROCS)")
	f.Uint64Var(&seed, "seed", 0, "seed of the run's random choices (0: random)")
	f.BoolVar(&quiet, "quiet", false, "no progress line")
	f.DurationVar(&progressEvery, "progress-interval", time.Second, "interval of the progress line (one more as each phase starts)")
	f.BoolVar(&list, "list", false, "list the named scenarios and exit")
	f.StringVar(&logLevel, "log-level", "warn", "log level: debug, info, warn, error")
	f.StringVar(&cpuProfile, "cpuprofile", "", "write the tester's CPU profile (go tool pprof) to this file")
	c.AddCommand(newGenSubscribersCmd())
	return c
}

// newGenSubscribersCmd is `mme loadtest gen-subscribers`.
func newGenSubscribersCmd() *cobra.Command {
	var (
		count     int
		out       string
		imsiStart string
		seed      uint64
	)
	c := &cobra.Command{
		Use:   "gen-subscribers",
		Short: "Write an HSS subscriber CSV with consecutive IMSIs and random keys",
		Long: `Write COUNT subscribers in the HSS CSV format (imsi,k,opc,amf,sqn,msisdn,apn, header line):
consecutive IMSIs from --imsi-start, distinct random K and OPc (reproducible with --seed), AMF 8000,
SQN 32, APN internet. Give the same file to 'mme hss --import-csv' and 'mme loadtest --subscribers'.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if count <= 0 {
				return errors.New("--count: want a positive number of subscribers")
			}
			if out == "" {
				return errors.New("--out: give the file to write")
			}
			return writeLoadtestFile(out, func(w io.Writer) error {
				return loadtest.GenerateSubscribersCSV(w, count, imsiStart, seed)
			})
		},
	}
	c.Flags().IntVar(&count, "count", 0, "number of subscribers")
	c.Flags().StringVar(&out, "out", "", "file to write")
	c.Flags().StringVar(&imsiStart, "imsi-start", loadtest.DefaultIMSIStart, "first IMSI (the others follow with the same number of digits)")
	c.Flags().Uint64Var(&seed, "seed", 0, "seed of the keys (0: crypto/rand)")
	return c
}

// parseTargets reads HOST:PORT[,HOST:PORT...]; a missing port is the
// transport's default (9899 for SCTP over UDP, 36412 for kernel SCTP).
func parseTargets(s string, mode transport.Mode) ([]netip.AddrPort, error) {
	var out []netip.AddrPort
	for _, t := range strings.Split(s, ",") {
		t = strings.TrimSpace(t)
		if t == "" {
			continue
		}
		host, port, err := net.SplitHostPort(t)
		if err != nil {
			host = t
			port = strconv.Itoa(transport.UDPEncapsulationPort)
			if mode == transport.ModeKernel {
				port = strconv.Itoa(transport.S1APPort)
			}
		}
		p, err := strconv.ParseUint(port, 10, 16)
		if err != nil {
			return nil, fmt.Errorf("--target %q: bad port", t)
		}
		addr, err := netip.ParseAddr(host)
		if err != nil {
			ips, lerr := net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
			if lerr != nil || len(ips) == 0 {
				return nil, fmt.Errorf("--target %q: %v", t, lerr)
			}
			addr = ips[0]
		}
		out = append(out, netip.AddrPortFrom(addr.Unmap(), uint16(p)))
	}
	if len(out) == 0 {
		return nil, errors.New("--target: give at least one MME address")
	}
	return out, nil
}

func writeLoadtestFile(name string, write func(io.Writer) error) error {
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func loadtestFirstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return s
}
