package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lte-mme/mme/loadtest"
)

// demoOptions are the flags of `mme demo`.
type demoOptions struct {
	// Exe is the mme binary the children run (default: os.Executable()).
	Exe  string
	UEs  int
	ENBs int
	Rate float64       // attach and detach arrivals per second
	Hold time.Duration // how long the UEs stay attached before the mix
	// Scenario is "mix" (issue #9's realistic mix, the default) or
	// "attach-detach" (issue #7's plain load: attach, hold, detach).
	Scenario string
	// MixRate and MixDuration are the mix phase's arrivals per second
	// and length.
	MixRate     float64
	MixDuration time.Duration
	Transport   string
	// Integrity and Ciphering are the MME's NAS algorithm priorities
	// ("EIA2,EIA1"; "EEA0" first makes NAS readable in captures).
	Integrity string
	Ciphering string
	Dir       string
	Report    string
	Keep      bool
	Quiet     bool
	// Idle runs the demo-idle scenario: the eNodeBs release the UEs
	// after 300 ms of inactivity, so the memory sample is of idle UEs.
	Idle bool
	// Chaos is the MME's fault-injection rate in crashes per second
	// (0: off; demo_chaos.go).
	Chaos float64
	// NoPersist runs the MME with store.persist false (records in memory
	// maps, no badger writes): the "store off" side of
	// docs/performance.md "Store on vs off".
	NoPersist bool
	// Timeout bounds each child's start and the whole load run.
	StartTimeout time.Duration
	RunTimeout   time.Duration
}

// newDemoCmd is `mme demo` (issues #7 and #9): the HSS, the SGW emulator,
// one MME node and the load tester as separate processes on loopback, N UEs
// that attach, run the realistic mix (or only stay attached) and detach,
// then a summary.
func newDemoCmd() *cobra.Command {
	o := demoOptions{}
	c := &cobra.Command{
		Use:   "demo",
		Short: "Run the lab on loopback (HSS, SGW emulator, MME, load tester) and report",
		Long: `Start, as separate processes on loopback: 'mme hss' with --ues generated subscribers
('mme loadtest gen-subscribers'), 'mme sgw-emu', one 'mme serve' with a generated configuration,
then 'mme loadtest': the UEs, spread over --enbs eNodeBs, attach at --rate per second (open
loop, Poisson), stay attached for --hold (their eNodeBs release them to ECM-IDLE after 2 s
without signalling), then run the realistic mix of issue #9 for --mix-duration at --mix-rate
procedures per second (loadtest scenario "mix": service requests, paging from the SGW
emulator's Downlink Data Notification answered by a service request, periodic and normal TAU,
X2 and S1 handovers, S1 releases, a second PDN connected and disconnected, dedicated bearers
from the emulator's Create Bearer Request, an idle UE paged for them), then detach at --rate. --scenario attach-detach runs issue #7's plain load instead (attach, hold, detach;
--idle: with the UEs released to ECM-IDLE while held).

The run directory (printed first) keeps every process's log and PID file, the configuration, the
subscribers and the tester's report. A progress line goes to standard error; at the end a summary table
(per procedure attempts, successes, failures by cause, p50/p99/max latency; attach rate; the
MME's resident memory while every UE is attached, and per attached UE) goes to standard output,
and --report writes it as JSON. --keep-running leaves everything up afterwards (metrics for
Prometheus) until Ctrl-C. Every child is killed when the demo ends, Ctrl-C included.

Exit status: 0 when every procedure succeeded (every attempt of every procedure in the table,
and every UE attached and detached), 1 when one failed, 2 when the lab did not start.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runDemo(ctx, o, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := c.Flags()
	f.IntVar(&o.UEs, "ues", 10000, "number of UEs (and generated subscribers)")
	f.IntVar(&o.ENBs, "enbs", 10, "number of simulated eNodeBs")
	f.Float64Var(&o.Rate, "rate", 1000, "attach and detach arrival rate per second (open loop; the lab on 2 cores tops out near 2,400/s)")
	f.DurationVar(&o.Hold, "hold", 2*time.Second, "how long every UE stays attached once all are (before the mix)")
	f.StringVar(&o.Scenario, "scenario", "mix", "mix (attach, the realistic mix of issue #9, detach) or attach-detach (attach, hold, detach)")
	f.Float64Var(&o.MixRate, "mix-rate", 1000, "procedures per second of the mix phase (open loop)")
	f.DurationVar(&o.MixDuration, "mix-duration", 10*time.Second, "length of the mix phase")
	f.StringVar(&o.Transport, "transport", "udp", "S1 transport: udp (SCTP over UDP), kernel or auto")
	f.StringVar(&o.Integrity, "integrity", "EIA2,EIA1", "the MME's NAS integrity algorithms, by priority")
	f.StringVar(&o.Ciphering, "ciphering", "EEA2,EEA0", "the MME's NAS ciphering algorithms, by priority (EEA0 first: NAS in clear for captures)")
	f.StringVar(&o.Dir, "dir", "", "run directory (default: a new temporary directory)")
	f.StringVar(&o.Report, "report", "", "write the demo's JSON report to this file")
	f.BoolVar(&o.Keep, "keep-running", false, "leave the lab running after the load (until Ctrl-C)")
	f.BoolVar(&o.Quiet, "quiet", false, "no progress line")
	f.BoolVar(&o.Idle, "idle", false, "attach, hold and detach only, the UEs released to ECM-IDLE while held (scenario demo-idle)")
	f.Float64Var(&o.Chaos, "chaos", 0, "crash this many random subscriber steps per second in the MME (fault injection; retries expected to recover every UE)")
	f.BoolVar(&o.NoPersist, "no-persist", false, "run the MME with persistence off (store.persist: false; to measure what the store costs)")
	f.DurationVar(&o.StartTimeout, "start-timeout", 60*time.Second, "how long each process may take to become ready")
	f.DurationVar(&o.RunTimeout, "run-timeout", 30*time.Minute, "bound of the load run")
	return c
}

// DemoReport is the JSON of `mme demo --report` (issue #7): the tester's
// per-procedure results with the MME's memory.
type DemoReport struct {
	UEs            int     `json:"ues"`
	ENBs           int     `json:"enbs"`
	DurationS      float64 `json:"duration_s"`
	AttachRatePerS float64 `json:"attach_rate_per_s"`
	// Scenario is the tester's scenario (mix, demo, demo-idle, ...).
	Scenario string `json:"scenario"`
	// MixPerS is the procedures completed per second in the mix phase
	// (every procedure that ended in it, over its length with the wait
	// for the last ones); 0 without a mix.
	MixPerS    float64                              `json:"mix_procedures_per_s,omitempty"`
	Phases     []loadtest.PhaseReport               `json:"phases"`
	Procedures map[string]*loadtest.ProcedureReport `json:"procedures"`
	MME        DemoMME                              `json:"mme"`
	// CPUSeconds is each process's user+system CPU time over the run
	// (hss, sgw-emu, mme, loadtest).
	CPUSeconds map[string]float64 `json:"cpu_s"`
	// Passed is true when every procedure of the run succeeded.
	Passed   bool     `json:"passed"`
	Failures []string `json:"failures,omitempty"`
	RunDir   string   `json:"run_dir"`
	// Chaos is set with --chaos: the crashes injected and whether the
	// MME survived them.
	Chaos *DemoChaos `json:"chaos,omitempty"`
}

// DemoMME is the MME process's memory, from /proc/PID/status.
type DemoMME struct {
	// RSSBytes is VmRSS while every UE was attached (the largest sample
	// of the "attached" phase); BaselineRSSBytes is VmRSS once ready,
	// before any UE.
	RSSBytes         uint64 `json:"rss_bytes"`
	BaselineRSSBytes uint64 `json:"baseline_rss_bytes"`
	// RSSPerUEBytes is (RSSBytes - BaselineRSSBytes) / attached UEs.
	RSSPerUEBytes float64 `json:"rss_per_attached_ue_bytes"`
	// RssAnon and RssFile split RSSBytes (same sample): anonymous memory
	// (the Go heap with its GC headroom, caches) and file-backed pages
	// (the store's memory-mapped files: page cache the kernel reclaims).
	// AnonPerUEBytes is (RssAnon - its baseline) / attached UEs.
	RssAnonBytes   uint64  `json:"rss_anon_bytes"`
	RssFileBytes   uint64  `json:"rss_file_bytes"`
	AnonPerUEBytes float64 `json:"anon_per_attached_ue_bytes"`
	AttachedUEs    int64   `json:"attached_ues"`
	PID            int     `json:"pid"`
}

// demoLab is the running lab: its children and where they listen.
type demoLab struct {
	exe, dir string
	stderr   io.Writer
	mu       sync.Mutex
	procs    []*demoProc

	hssHTTP, sgwAdmin, mmeHTTP string
	s1Target                   string
}

// demoProc is one child process.
type demoProc struct {
	name string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{} // closed when it has exited
	err  error         // its Wait result, once done
}

func runDemo(ctx context.Context, o demoOptions, stdout, stderr io.Writer) error {
	if o.UEs <= 0 || o.ENBs <= 0 || o.Rate <= 0 {
		return errors.New("demo: --ues, --enbs and --rate must be positive")
	}
	if err := o.checkScenario(); err != nil {
		return err
	}
	if err := o.checkChaos(); err != nil {
		return err
	}
	exe, err := o.Exe, error(nil)
	if exe == "" {
		if exe, err = os.Executable(); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	}
	dir := o.Dir
	if dir == "" {
		if dir, err = os.MkdirTemp("", "mme-demo-"); err != nil {
			return fmt.Errorf("demo: %w", err)
		}
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	lab := &demoLab{exe: exe, dir: dir, stderr: stderr}
	defer lab.stop()
	fmt.Fprintf(stderr, "mme demo: run directory %s (hss.log, sgw-emu.log, mme.log, loadtest.log, mme.yaml)\n", dir)
	if err := lab.start(ctx, o); err != nil {
		return err
	}
	rep, err := lab.load(ctx, o, stderr)
	if err != nil {
		return err
	}
	writeDemoSummary(stdout, rep)
	if o.Report != "" {
		b, _ := json.MarshalIndent(rep, "", "  ")
		if err := os.WriteFile(o.Report, append(b, '\n'), 0o644); err != nil {
			return fmt.Errorf("demo: --report: %w", err)
		}
	}
	if o.Keep && ctx.Err() == nil {
		fmt.Fprintf(stdout, "\nThe lab keeps running (Ctrl-C ends it):\n  MME     http://%s/metrics  /healthz  /readyz  /subscribers/{imsi}\n  HSS     http://%s/\n  SGW     http://%s/\n  S1      %s (transport %s)\n",
			lab.mmeHTTP, lab.hssHTTP, lab.sgwAdmin, lab.s1Target, o.Transport)
		select {
		case <-ctx.Done():
		case <-lab.anyExit():
			fmt.Fprintln(stderr, "mme demo: a lab process exited; see the logs in", dir)
		}
	}
	if !rep.Passed {
		return exitStatusError{1}
	}
	return nil
}

// start runs gen-subscribers, then the HSS, the SGW emulator and the MME,
// each waited for until ready.
func (l *demoLab) start(ctx context.Context, o demoOptions) error {
	subs := filepath.Join(l.dir, "subscribers.csv")
	gen := exec.CommandContext(ctx, l.exe, "loadtest", "gen-subscribers", "--count", strconv.Itoa(o.UEs), "--out", subs)
	if out, err := gen.CombinedOutput(); err != nil {
		return fmt.Errorf("demo: gen-subscribers: %v: %s", err, out)
	}
	hss, err := l.spawn(ctx, "hss", o.StartTimeout, "hss ready",
		"hss", "--diameter-listen", "127.0.0.1:0", "--http-listen", "127.0.0.1:0",
		"--data-dir", filepath.Join(l.dir, "hss-data"), "--import-csv", subs, "--log-level", "warn")
	if err != nil {
		return err
	}
	sgw, err := l.spawn(ctx, "sgw-emu", o.StartTimeout, "sgw-emu ready",
		"sgw-emu", "--s11-listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--log-level", "warn",
		"--echo-interval", "-1s",
		// Room for millions of PDN connections (the defaults, a /16 and
		// a /48 of /64s, end at 65,533 and 65,536).
		"--ue-pool-v4", "10.0.0.0/8", "--ue-pool-v6", "2001:db8::/32")
	if err != nil {
		return err
	}
	l.hssHTTP, l.sgwAdmin = hss["http"], sgw["admin"]
	if hss["diameter"] == "" || sgw["s11"] == "" {
		return fmt.Errorf("demo: readiness lines lack addresses (hss %v, sgw-emu %v)", hss, sgw)
	}
	cfgFile := filepath.Join(l.dir, "mme.yaml")
	if err := os.WriteFile(cfgFile, []byte(demoConfig(l.dir, o, sgw["s11"], hss["diameter"])), 0o644); err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	// docs/design/node.md "Readiness line".
	mme, err := l.spawn(ctx, "mme", o.StartTimeout, "mme ready ", "serve", "--config", cfgFile)
	if err != nil {
		return err
	}
	l.s1Target, l.mmeHTTP = mme["s1"], mme["http"]
	if l.s1Target == "" || l.mmeHTTP == "" || l.mmeHTTP == "-" {
		return fmt.Errorf("demo: mme readiness line lacks s1= or http= (%v)", mme)
	}
	return l.waitReady(ctx, o.StartTimeout)
}

// demoConfig is the MME's YAML (node.Config): PLMN 00101, TAC 1 (the demo
// scenario's cells), loopback peers, ports chosen by the OS (the
// readiness line tells them).
func demoConfig(dir string, o demoOptions, sgw, hss string) string {
	list := func(s string) string {
		var v []string
		for _, f := range strings.Split(s, ",") {
			if f = strings.TrimSpace(f); f != "" {
				v = append(v, f)
			}
		}
		return "[" + strings.Join(v, ", ") + "]"
	}
	return fmt.Sprintf(`# generated by mme demo
name: mme-demo
plmn: "00101"
mmegi: 32769
mmec: 1
tais: [{tac: 1}, {tac: 2}]
s1:
  listen: [127.0.0.1]
  transport: %s
  udp_port: 0
s11:
  local: 127.0.0.1:0
  sgw: %s
  echo_interval: 0s
s6a:
  peers: [%s]
security:
  integrity: %s
  ciphering: %s
store:
  dir: %s%s
http:
  listen: 127.0.0.1:0
log:
  level: warn
`, o.Transport, sgw, hss, list(o.Integrity), list(o.Ciphering), filepath.Join(dir, "mme-store"), chaosStoreConfig(o)) + chaosConfig(o)
}

// spawn starts `exe args...` with its output in NAME.log; with a ready
// prefix it waits for the line starting with it and returns its key=value
// fields.
func (l *demoLab) spawn(ctx context.Context, name string, timeout time.Duration, ready string, args ...string) (map[string]string, error) {
	logf, err := os.Create(filepath.Join(l.dir, name+".log"))
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	cmd := exec.Command(l.exe, args...)
	// The child dies with the demo, even when the demo is killed
	// (PR_SET_PDEATHSIG); Setpgid keeps the terminal's Ctrl-C for the
	// demo, which stops its children in order.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	cmd.Stderr = logf
	var stdout io.ReadCloser
	if ready != "" {
		if stdout, err = cmd.StdoutPipe(); err != nil {
			logf.Close()
			return nil, fmt.Errorf("demo: %w", err)
		}
	} else {
		cmd.Stdout = logf
	}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("demo: start %s: %w", name, err)
	}
	// NAME.pid lets an operator (and the demo's test) find the children.
	_ = os.WriteFile(filepath.Join(l.dir, name+".pid"), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644)
	p := &demoProc{name: name, cmd: cmd, log: logf, done: make(chan struct{})}
	l.mu.Lock()
	l.procs = append(l.procs, p)
	l.mu.Unlock()
	lines := make(chan string, 1)
	go func() {
		if stdout != nil {
			sc := bufio.NewScanner(stdout)
			sent := false
			for sc.Scan() {
				line := sc.Text()
				fmt.Fprintln(logf, line)
				if !sent && strings.HasPrefix(line, ready) {
					lines <- line
					sent = true
				}
			}
		}
		p.err = cmd.Wait()
		close(p.done)
	}()
	if ready == "" {
		return nil, nil
	}
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case line := <-lines:
		return parseReadyLine(line), nil
	case <-p.done:
		return nil, fmt.Errorf("demo: %s exited before it was ready (%v); its log:\n%s", name, p.err, tailFile(logf.Name(), 20))
	case <-t.C:
		return nil, fmt.Errorf("demo: %s not ready after %v; its log: %s", name, timeout, logf.Name())
	case <-ctx.Done():
		return nil, fmt.Errorf("demo: interrupted while starting %s", name)
	}
}

// parseReadyLine reads the key=value fields of a readiness line
// ("hss ready diameter=127.0.0.1:3868 http=127.0.0.1:8868 subscribers=10").
func parseReadyLine(line string) map[string]string {
	m := map[string]string{}
	for _, f := range strings.Fields(line) {
		if k, v, ok := strings.Cut(f, "="); ok {
			m[k] = v
		}
	}
	return m
}

// waitReady polls the MME's /readyz until it answers 200.
func (l *demoLab) waitReady(ctx context.Context, timeout time.Duration) error {
	mme := l.proc("mme")
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	client := &http.Client{Timeout: time.Second}
	last := "no answer"
	for {
		resp, err := client.Get("http://" + l.mmeHTTP + "/readyz")
		if err == nil {
			b, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			last = fmt.Sprintf("%d %s", resp.StatusCode, strings.TrimSpace(string(b)))
		}
		select {
		case <-tick.C:
		case <-mme.done:
			return fmt.Errorf("demo: mme serve exited before it was ready (%v); its log:\n%s", mme.err, tailFile(mme.log.Name(), 20))
		case <-deadline.C:
			return fmt.Errorf("demo: mme serve not ready after %v (/readyz: %s); its log: %s", timeout, last, mme.log.Name())
		case <-ctx.Done():
			return errors.New("demo: interrupted while starting mme serve")
		}
	}
}

func (l *demoLab) proc(name string) *demoProc {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, p := range l.procs {
		if p.name == name {
			return p
		}
	}
	return nil
}

// anyExit is closed when any child exits.
func (l *demoLab) anyExit() <-chan struct{} {
	ch := make(chan struct{})
	var once sync.Once
	l.mu.Lock()
	for _, p := range l.procs {
		go func() {
			<-p.done
			once.Do(func() { close(ch) })
		}()
	}
	l.mu.Unlock()
	return ch
}

// stop ends the children in reverse order: SIGTERM, then SIGKILL after 5 s.
func (l *demoLab) stop() {
	l.mu.Lock()
	procs := l.procs
	l.procs = nil
	l.mu.Unlock()
	for i := len(procs) - 1; i >= 0; i-- {
		p := procs[i]
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			t := time.NewTimer(5 * time.Second)
			select {
			case <-p.done:
			case <-t.C:
				_ = p.cmd.Process.Kill()
				<-p.done
			}
			t.Stop()
		}
		p.log.Close()
	}
}

// load runs the tester with the demo scenario, sampling the MME's memory,
// and builds the report.
func (l *demoLab) load(ctx context.Context, o demoOptions, stderr io.Writer) (*DemoReport, error) {
	mme := l.proc("mme")
	pid := mme.cmd.Process.Pid
	base, _ := procMem(pid)
	baseline := base.rss
	testerReport := filepath.Join(l.dir, "loadtest.json")
	var err error
	scenario := o.loadScenario()
	if o.Chaos > 0 {
		if scenario, err = writeChaosScenario(l.dir); err != nil {
			return nil, err
		}
	}
	args := []string{"loadtest", "--target", l.s1Target, "--transport", o.Transport, "--scenario", scenario,
		"--subscribers", filepath.Join(l.dir, "subscribers.csv"), "--ues", strconv.Itoa(o.UEs),
		"--enbs", strconv.Itoa(o.ENBs), "--rate", strconv.FormatFloat(o.Rate, 'f', -1, 64),
		"--report", testerReport, "--plot", filepath.Join(l.dir, "loadtest.html"), "--sgw-admin", "http://" + l.sgwAdmin}
	if scenario == "mix" {
		args = append(args, "--mix-rate", strconv.FormatFloat(o.MixRate, 'f', -1, 64), "--duration", o.MixDuration.String())
	}
	hold := o.Hold
	if o.Chaos > 0 {
		hold = max(hold, chaosRetryWindow) // the UEs' attach retries end before the detaches
	}
	if hold > 0 {
		// Progress lines (and memory samples) several times while the
		// UEs are held attached.
		args = append(args, "--hold", hold.String(),
			"--progress-interval", min(time.Second, max(100*time.Millisecond, hold/5)).String())
	}
	logf, err := os.Create(filepath.Join(l.dir, "loadtest.log"))
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	defer logf.Close()
	rctx, cancel := context.WithTimeout(ctx, o.RunTimeout)
	defer cancel()
	cmd := exec.CommandContext(rctx, l.exe, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGINT) }
	cmd.WaitDelay = 15 * time.Second
	cmd.Stdout = logf
	progress, err := cmd.StderrPipe()
	if err != nil {
		return nil, fmt.Errorf("demo: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("demo: start loadtest: %w", err)
	}
	_ = os.WriteFile(filepath.Join(l.dir, "loadtest.pid"), []byte(strconv.Itoa(cmd.Process.Pid)+"\n"), 0o644)
	// The MME's memory while every UE is attached: the sample of the
	// "attached" phase with the most UEs registered (the largest RSS among
	// those).
	var peak uint64
	var peakMem procMemory
	var attached int64
	sc := bufio.NewScanner(progress)
	for sc.Scan() {
		line := sc.Text()
		fmt.Fprintln(logf, line)
		ph, ok := parseProgressLine(line)
		if !ok {
			if !o.Quiet {
				fmt.Fprintln(stderr, "loadtest:", line)
			}
			continue
		}
		mem, _ := procMem(pid)
		rss := mem.rss
		if n := ph.idle + ph.conn; ph.phase == "attached" && (n > attached || n == attached && rss > peak) {
			peak, attached, peakMem = rss, n, mem
		}
		if !o.Quiet {
			fmt.Fprintf(stderr, "%s | mme rss %.1f MB\n", line, float64(rss)/(1<<20))
		}
	}
	werr := cmd.Wait()
	cpu := map[string]float64{}
	if st := cmd.ProcessState; st != nil {
		cpu["loadtest"] = (st.UserTime() + st.SystemTime()).Seconds()
	}
	for _, n := range []string{"hss", "sgw-emu", "mme"} {
		if p := l.proc(n); p != nil {
			if v, err := procCPU(p.cmd.Process.Pid); err == nil {
				cpu[n] = v
			}
		}
	}
	var code int
	if werr != nil {
		var ee *exec.ExitError
		if !errors.As(werr, &ee) {
			return nil, fmt.Errorf("demo: loadtest: %w", werr)
		}
		code = ee.ExitCode()
	}
	if ctx.Err() != nil {
		return nil, errors.New("demo: interrupted")
	}
	b, err := os.ReadFile(testerReport)
	if err != nil {
		return nil, fmt.Errorf("demo: loadtest exited with status %d and no report; its log:\n%s", code, tailFile(logf.Name(), 30))
	}
	var tr loadtest.Report
	if err := json.Unmarshal(b, &tr); err != nil {
		return nil, fmt.Errorf("demo: loadtest report: %w", err)
	}
	rep := &DemoReport{UEs: tr.UEs, ENBs: tr.ENBs, DurationS: tr.DurationS, AttachRatePerS: tr.AttachRatePerS,
		Scenario: tr.Scenario, Phases: tr.Phases, Procedures: tr.Procedures, RunDir: l.dir, CPUSeconds: cpu,
		MME: DemoMME{RSSBytes: peak, BaselineRSSBytes: baseline, AttachedUEs: attached, PID: pid}}
	rep.MME.RssAnonBytes, rep.MME.RssFileBytes = peakMem.anon, peakMem.file
	if attached > 0 && peak > baseline {
		rep.MME.RSSPerUEBytes = float64(peak-baseline) / float64(attached)
	}
	if attached > 0 && peakMem.anon > base.anon {
		rep.MME.AnonPerUEBytes = float64(peakMem.anon-base.anon) / float64(attached)
	}
	for _, ph := range tr.Phases {
		if ph.Name == "mix" {
			rep.MixPerS = ph.PerS
		}
	}
	rep.Failures = append(rep.Failures, tr.ExpectationsFailed...)
	names := make([]string, 0, len(tr.Procedures))
	for n := range tr.Procedures {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := tr.Procedures[n]
		if o.Chaos > 0 && (n == "attach" || n == "detach") && p.InProgress == 0 {
			// Failures are the injected crashes' victims: the check is
			// that every UE ended its attach and detach (below).
			continue
		}
		if p.Failures > 0 || p.InProgress > 0 || p.Successes < p.Attempts {
			rep.Failures = append(rep.Failures, fmt.Sprintf("%s: %d of %d succeeded", n, p.Successes, p.Attempts))
		}
	}
	for _, n := range []string{"attach", "detach"} {
		if o.Chaos > 0 && n == "detach" {
			// A crashed detach may fail towards the UE (its connection
			// released before DETACH ACCEPT: it detaches locally, TS
			// 24.301 §5.5.2.2.6 b); the tester's state check (every UE
			// EMM-DEREGISTERED) covers it.
			continue
		}
		if p := tr.Procedures[n]; p == nil || p.Successes != uint64(o.UEs) {
			rep.Failures = append(rep.Failures, fmt.Sprintf("%s: want %d successes", n, o.UEs))
		}
	}
	// Under --chaos a UE may still be retrying while the others are held
	// attached: the memory sample is then of fewer UEs.
	if peak == 0 || attached < int64(o.UEs) && o.Chaos == 0 {
		rep.Failures = append(rep.Failures, fmt.Sprintf("mme memory: no sample while every UE was attached (at most %d of %d)", attached, o.UEs))
	}
	if code != 0 {
		rep.Failures = append(rep.Failures, fmt.Sprintf("loadtest exit status %d", code))
	}
	if o.Chaos > 0 {
		rep.Chaos = l.chaosOutcome(ctx, o)
		rep.Failures = append(rep.Failures, rep.Chaos.failures()...)
	}
	rep.Passed = len(rep.Failures) == 0
	return rep, nil
}

// progressState is what the demo reads of the tester's progress line
// (loadtest.Progress.String).
type progressState struct {
	phase                   string
	dereg, idle, conn, busy int64
}

// parseProgressLine reads "  3.0s attached | UEs dereg 0 idle 10 conn 0 busy 0 | ...".
func parseProgressLine(line string) (progressState, bool) {
	var s progressState
	head, rest, ok := strings.Cut(line, "|")
	if !ok {
		return s, false
	}
	f := strings.Fields(head)
	if len(f) != 2 || !strings.HasSuffix(f[0], "s") {
		return s, false
	}
	s.phase = f[1]
	ues, _, _ := strings.Cut(rest, "|")
	n, err := fmt.Sscanf(strings.TrimSpace(ues), "UEs dereg %d idle %d conn %d busy %d", &s.dereg, &s.idle, &s.conn, &s.busy)
	return s, err == nil && n == 4
}

// procMemory is a process's resident memory in bytes (proc(5) status:
// VmRSS, RssAnon, RssFile).
type procMemory struct{ rss, anon, file uint64 }

func procMem(pid int) (procMemory, error) {
	var m procMemory
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return m, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		var dst *uint64
		switch k {
		case "VmRSS":
			dst = &m.rss
		case "RssAnon":
			dst = &m.anon
		case "RssFile":
			dst = &m.file
		default:
			continue
		}
		if f := strings.Fields(v); len(f) >= 1 {
			kb, err := strconv.ParseUint(f[0], 10, 64)
			if err != nil {
				return m, fmt.Errorf("demo: /proc status %s: %w", k, err)
			}
			*dst = kb * 1024
		}
	}
	if m.rss == 0 {
		return m, errors.New("demo: no VmRSS in /proc status")
	}
	return m, nil
}

// procCPU is a process's user+system CPU seconds so far (proc(5) stat
// fields 14 and 15, in clock ticks of 1/100 s).
func procCPU(pid int) (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("demo: bad /proc stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, errors.New("demo: short /proc stat")
	}
	u, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("demo: bad /proc stat times")
	}
	return float64(u+st) / 100, nil
}

func tailFile(name string, n int) string {
	b, err := os.ReadFile(name)
	if err != nil {
		return err.Error()
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// writeDemoSummary prints the summary table.
func writeDemoSummary(w io.Writer, r *DemoReport) {
	fmt.Fprintf(w, "\nmme demo (%s): %d UEs over %d eNodeBs, %.1f s, attach rate %.0f/s\n", r.Scenario, r.UEs, r.ENBs, r.DurationS, r.AttachRatePerS)
	for _, ph := range r.Phases {
		if ph.Name == "mix" {
			fmt.Fprintf(w, "mix phase: %d procedures in %.1f s, %.0f/s\n", ph.Completed, ph.EndS-ph.StartS, ph.PerS)
		}
	}
	fmt.Fprintln(w)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "procedure\tattempts\tsuccesses\tfailures\tp50 ms\tp99 ms\tmax ms\t")
	names := make([]string, 0, len(r.Procedures))
	for n := range r.Procedures {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := r.Procedures[n]
		fmt.Fprintf(tw, "%s\t%d\t%d\t%d\t%.2f\t%.2f\t%.2f\t\n", n, p.Attempts, p.Successes, p.Failures,
			p.LatencyMS.P50, p.LatencyMS.P99, p.LatencyMS.Max)
	}
	tw.Flush()
	for _, n := range names {
		causes := make([]string, 0, len(r.Procedures[n].FailuresByCause))
		for c := range r.Procedures[n].FailuresByCause {
			causes = append(causes, c)
		}
		sort.Strings(causes)
		for _, c := range causes {
			fmt.Fprintf(w, "  %s failure %s: %d\n", n, c, r.Procedures[n].FailuresByCause[c])
		}
	}
	if len(r.CPUSeconds) > 0 {
		fmt.Fprintf(w, "\nCPU seconds: mme %.1f, hss %.1f, sgw-emu %.1f, loadtest %.1f\n",
			r.CPUSeconds["mme"], r.CPUSeconds["hss"], r.CPUSeconds["sgw-emu"], r.CPUSeconds["loadtest"])
	}
	fmt.Fprintf(w, "\nMME memory: RSS %.1f MB with %d UEs attached (%.1f MB before any UE): %.0f B per attached UE\n",
		float64(r.MME.RSSBytes)/(1<<20), r.MME.AttachedUEs, float64(r.MME.BaselineRSSBytes)/(1<<20), r.MME.RSSPerUEBytes)
	fmt.Fprintf(w, "  of which anonymous %.1f MB (%.0f B per attached UE), file-backed %.1f MB (the store's mapped files)\n",
		float64(r.MME.RssAnonBytes)/(1<<20), r.MME.AnonPerUEBytes, float64(r.MME.RssFileBytes)/(1<<20))
	if r.Chaos != nil {
		writeChaosSummary(w, r.Chaos)
	}
	if r.Passed {
		fmt.Fprintln(w, "PASS")
		return
	}
	fmt.Fprintln(w, "FAIL:")
	for _, f := range r.Failures {
		fmt.Fprintln(w, "  "+f)
	}
}

// checkScenario validates --scenario and the flags that go with it.
func (o *demoOptions) checkScenario() error {
	switch o.Scenario {
	case "", "mix":
		if o.Idle || o.Chaos > 0 {
			// --idle (issue #7's memory per idle UE) and --chaos
			// (demo_chaos.go) are variants of attach, hold, detach.
			o.Scenario = "attach-detach"
			return nil
		}
		if o.MixRate <= 0 || o.MixDuration <= 0 {
			return errors.New("demo: --mix-rate and --mix-duration must be positive")
		}
		o.Scenario = "mix"
	case "attach-detach":
	default:
		return fmt.Errorf("demo: --scenario %q: mix or attach-detach", o.Scenario)
	}
	return nil
}

// loadScenario is the tester's scenario: the library's "mix" (issue #9),
// "demo" (issue #7's attach, hold, detach) or "demo-idle" (the same with
// the UEs released to ECM-IDLE while held).
func (o *demoOptions) loadScenario() string {
	switch {
	case o.Scenario == "mix":
		return "mix"
	case o.Idle:
		return "demo-idle"
	}
	return "demo"
}
