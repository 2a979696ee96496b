package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/lte-mme/mme/node"
	"github.com/lte-mme/mme/supervision"
)

// ctlClient talks to a running node's admin API (docs/design/node.md
// "Operations endpoint").
type ctlClient struct {
	base string
	http *http.Client
}

// do sends a request and decodes a 2xx JSON answer into out; another
// status is an error carrying the node's {"error": ...} text.
func (c *ctlClient) do(ctx context.Context, method, path string, body any, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("ctl: %w", err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, rd)
	if err != nil {
		return fmt.Errorf("ctl: %w", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return fmt.Errorf("ctl: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("ctl: %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		if json.Unmarshal(b, &e) == nil && e.Error != "" {
			return fmt.Errorf("ctl: %s %s: HTTP %d: %s", method, path, resp.StatusCode, e.Error)
		}
		return fmt.Errorf("ctl: %s %s: HTTP %d: %s", method, path, resp.StatusCode, strings.TrimSpace(string(b)))
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("ctl: %s %s: answer: %w", method, path, err)
	}
	return nil
}

// newCtlCmd is `mme ctl`: the operator's client of a running node's admin
// API (issue #8).
func newCtlCmd() *cobra.Command {
	var admin string
	var timeout time.Duration
	cl := &ctlClient{}
	c := &cobra.Command{
		Use:   "ctl",
		Short: "Query and steer a running MME through its admin API (crashes, faults, subscribers)",
		Long: `Talk to a running 'mme serve' over its HTTP admin API (http.listen of its configuration):
  mme ctl crashes                  the crash reports, newest first
  mme ctl faults                   the fault-injection switch
  mme ctl faults set --rate 10     crash 10 random subscriber steps per second
  mme ctl faults set --imsi IMSI   crash that subscriber's next event
  mme ctl faults off               switch fault injection off
  mme ctl subscriber IMSI          one subscriber's state (JSON)
  mme ctl detach IMSI              network-initiated detach (TS 23.401 §5.3.8.3)
An error the node answers (unknown IMSI, bad value) is printed with its HTTP status; exit status 2.`,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			u, err := url.Parse(admin)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				return fmt.Errorf("ctl: --admin %q is not an http:// URL", admin)
			}
			cl.base = strings.TrimRight(admin, "/")
			cl.http = &http.Client{Timeout: timeout}
			return nil
		},
	}
	c.PersistentFlags().StringVar(&admin, "admin", "http://127.0.0.1:8080", "the node's admin API (its http.listen)")
	c.PersistentFlags().DurationVar(&timeout, "timeout", 10*time.Second, "bound of each request")
	c.AddCommand(newCtlCrashesCmd(cl), newCtlFaultsCmd(cl), newCtlSubscriberCmd(cl), newCtlDetachCmd(cl))
	return c
}

func newCtlCrashesCmd(cl *ctlClient) *cobra.Command {
	var asJSON bool
	var limit int
	c := &cobra.Command{
		Use:   "crashes",
		Short: "List the node's crash reports, newest first",
		Long: `List the crash reports the node keeps in its store (capped and rotated), newest first: time,
subscriber key (as the node redacts it), state, event, reason and the first stack line (the
function that panicked). --json prints the reports whole (stacks included).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path := "/crashes"
			if limit > 0 {
				path += "?limit=" + strconv.Itoa(limit)
			}
			var reps []supervision.CrashReport
			if err := cl.do(cmd.Context(), http.MethodGet, path, nil, &reps); err != nil {
				return err
			}
			if asJSON {
				return writeIndentedJSON(cmd.OutOrStdout(), reps)
			}
			writeCrashTable(cmd.OutOrStdout(), reps)
			return nil
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print the reports as JSON")
	c.Flags().IntVar(&limit, "limit", 0, "at most this many reports (0: all kept)")
	return c
}

// writeCrashTable prints one line per report.
func writeCrashTable(w io.Writer, reps []supervision.CrashReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tKEY\tSTATE\tEVENT\tREASON\tWHERE")
	for _, r := range reps {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Time.UTC().Format("2006-01-02T15:04:05.000Z"), dash(r.Key),
			dash(r.State), dash(r.Event), dash(r.Reason), dash(firstStackLine(r.Stack)))
	}
	tw.Flush()
	fmt.Fprintf(w, "%d crash reports\n", len(reps))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// firstStackLine is the frame that panicked: the first function after
// the runtime's panic frames of a Go stack trace, with its file:line
// ("node.(*handler).Handle node/handler.go:77").
// Without a panic frame it is the first function of the trace.
func firstStackLine(stack string) string {
	lines := strings.Split(stack, "\n")
	type frame struct{ fn, at string }
	var frames []frame
	for i := 0; i < len(lines); i++ {
		l := strings.TrimSpace(lines[i])
		if l == "" || strings.HasPrefix(l, "goroutine ") || strings.HasPrefix(l, "created by ") {
			continue
		}
		f := frame{fn: l}
		if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "\t") {
			at := strings.TrimSpace(lines[i+1])
			if j := strings.LastIndex(at, " +0x"); j > 0 {
				at = at[:j]
			}
			f.at = shortPath(at)
			i++
		}
		frames = append(frames, f)
	}
	if len(frames) == 0 {
		return ""
	}
	pick := frames[0]
	for i, f := range frames {
		if strings.HasPrefix(f.fn, "panic(") && i+1 < len(frames) {
			pick = frames[i+1]
		}
	}
	fn := pick.fn
	if j := strings.LastIndex(fn, "("); j > 0 && strings.HasSuffix(fn, ")") {
		fn = fn[:j] // drop the argument words
	}
	fn = strings.TrimPrefix(fn, "github.com/lte-mme/mme/")
	if pick.at == "" {
		return fn
	}
	return fn + " " + pick.at
}

// shortPath keeps the last directory and the file of a source path
// ("node/handler.go:77").
func shortPath(p string) string {
	if i := strings.LastIndexByte(p, '/'); i > 0 {
		if j := strings.LastIndexByte(p[:i], '/'); j >= 0 {
			return p[j+1:]
		}
	}
	return p
}

func writeIndentedJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newCtlFaultsCmd(cl *ctlClient) *cobra.Command {
	var asJSON bool
	show := func(cmd *cobra.Command, v node.FaultsView) error {
		if asJSON {
			return writeIndentedJSON(cmd.OutOrStdout(), v)
		}
		state := "off"
		if v.Enabled {
			state = "on"
		}
		imsis := "-"
		if len(v.IMSIs) > 0 {
			imsis = strings.Join(v.IMSIs, ",")
		}
		fmt.Fprintf(cmd.OutOrStdout(), "fault injection %s: rate %g crashes/s, pending IMSIs %s, injected %d\n",
			state, v.Rate, imsis, v.Injected)
		return nil
	}
	c := &cobra.Command{
		Use:   "faults",
		Short: "Show the fault-injection switch (subcommands set and off change it)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var v node.FaultsView
			if err := cl.do(cmd.Context(), http.MethodGet, "/faults", nil, &v); err != nil {
				return err
			}
			return show(cmd, v)
		},
	}
	c.PersistentFlags().BoolVar(&asJSON, "json", false, "print the switch as JSON")
	var rate float64
	var imsis []string
	set := &cobra.Command{
		Use:   "set",
		Short: "Switch fault injection on: --rate crashes/s on random subscribers, --imsi subscribers' next event",
		Long: `Replace the switch's settings and turn it on: --rate crashes per second on random subscribers'
events, --imsi (repeatable) crashes that subscriber's next event once (a subscriber not known yet
crashes on its first event). Each injected crash is recovered, reported (mme ctl crashes) and the
subscriber restarted from its stored record: its procedure in progress fails, nobody else's.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if rate == 0 && len(imsis) == 0 {
				return fmt.Errorf("ctl: faults set: give --rate or --imsi (or use 'faults off')")
			}
			var v node.FaultsView
			body := node.FaultsConfig{Enabled: true, Rate: rate, IMSIs: imsis}
			if err := cl.do(cmd.Context(), http.MethodPut, "/faults", body, &v); err != nil {
				return err
			}
			return show(cmd, v)
		},
	}
	set.Flags().Float64Var(&rate, "rate", 0, "crashes per second across random subscribers")
	set.Flags().StringArrayVar(&imsis, "imsi", nil, "crash this subscriber's next event (repeatable)")
	off := &cobra.Command{
		Use:   "off",
		Short: "Switch fault injection off (rate 0, no pending IMSI)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var v node.FaultsView
			if err := cl.do(cmd.Context(), http.MethodDelete, "/faults", nil, &v); err != nil {
				return err
			}
			return show(cmd, v)
		},
	}
	c.AddCommand(set, off)
	return c
}

func newCtlSubscriberCmd(cl *ctlClient) *cobra.Command {
	return &cobra.Command{
		Use:   "subscriber IMSI",
		Short: "Show one subscriber's state as its actor sees it (JSON)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var v node.SubscriberView
			if err := cl.do(cmd.Context(), http.MethodGet, "/subscribers/"+url.PathEscape(args[0]), nil, &v); err != nil {
				return err
			}
			return writeIndentedJSON(cmd.OutOrStdout(), v)
		},
	}
}

func newCtlDetachCmd(cl *ctlClient) *cobra.Command {
	var reattach bool
	c := &cobra.Command{
		Use:   "detach IMSI",
		Short: "Detach a subscriber from the network side (TS 23.401 §5.3.8.3)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := "/subscribers/" + url.PathEscape(args[0]) + "/detach"
			if reattach {
				path += "?reattach=true"
			}
			var v map[string]string
			if err := cl.do(cmd.Context(), http.MethodPost, path, nil, &v); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "detach of %s requested (re-attach required: %v)\n", args[0], reattach)
			return nil
		},
	}
	c.Flags().BoolVar(&reattach, "reattach", false, "detach type re-attach required (TS 24.301 §9.9.3.7)")
	return c
}
