package loadtest

import (
	"fmt"
	"html"
	"io"
	"math"
	"sort"
	"strings"
)

// WritePlotHTML writes a self-contained HTML page (inline SVG, no script)
// with the run's throughput (completions per second per procedure) and
// latency (mean and maximum per second) over time, and the summary table.
func (r *Report) WritePlotHTML(w io.Writer) error {
	names := r.procedureNames()
	var b strings.Builder
	fmt.Fprintf(&b, "<!doctype html><html><head><meta charset=\"utf-8\"><title>%s</title>", html.EscapeString("loadtest "+r.Scenario))
	b.WriteString(`<style>body{font:14px sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:2px 8px;text-align:right;border-bottom:1px solid #ddd}th:first-child,td:first-child{text-align:left}.fail{color:#b00}</style></head><body>`)
	fmt.Fprintf(&b, "<h1>%s</h1><p>%d UEs, %d eNodeBs, MMEs %s (%s), %.1f s, attach rate %.0f/s — %s</p>",
		html.EscapeString(r.Scenario), r.UEs, r.ENBs, html.EscapeString(strings.Join(r.MMEs, ", ")), r.Transport, r.DurationS,
		r.AttachRatePerS, map[bool]string{true: "PASS", false: "<span class=fail>FAIL</span>"}[r.Passed])
	series := func(get func(p string, i int) (float64, bool)) map[string][]float64 {
		m := map[string][]float64{}
		for _, p := range names {
			v := make([]float64, len(r.Throughput))
			for i := range r.Throughput {
				if x, ok := get(p, i); ok {
					v[i] = x
				} else {
					v[i] = math.NaN()
				}
			}
			m[p] = v
		}
		return m
	}
	b.WriteString("<h2>Completed procedures per second</h2>")
	b.WriteString(svgChart(names, series(func(p string, i int) (float64, bool) {
		v, ok := r.Throughput[i].CompletedPerS[p]
		return v, ok
	}), "per s"))
	if len(r.Latency) == len(r.Throughput) {
		b.WriteString("<h2>Latency: mean per second (ms)</h2>")
		b.WriteString(svgChart(names, series(func(p string, i int) (float64, bool) {
			v, ok := r.Latency[i].MeanMS[p]
			return v, ok
		}), "ms"))
		b.WriteString("<h2>Latency: maximum per second (ms)</h2>")
		b.WriteString(svgChart(names, series(func(p string, i int) (float64, bool) {
			v, ok := r.Latency[i].MaxMS[p]
			return v, ok
		}), "ms"))
	}
	b.WriteString("<h2>Summary</h2><table><tr><th>procedure</th><th>attempts</th><th>successes</th><th>failures</th><th>p50 ms</th><th>p90 ms</th><th>p99 ms</th><th>p99.9 ms</th><th>max ms</th></tr>")
	for _, n := range names {
		p := r.Procedures[n]
		l := p.LatencyMS
		fmt.Fprintf(&b, "<tr><td>%s</td><td>%d</td><td>%d</td><td>%d</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td><td>%.2f</td></tr>",
			n, p.Attempts, p.Successes, p.Failures, l.P50, l.P90, l.P99, l.P999, l.Max)
	}
	b.WriteString("</table>")
	for _, e := range r.ExpectationsFailed {
		fmt.Fprintf(&b, "<p class=fail>%s</p>", html.EscapeString(e))
	}
	b.WriteString("</body></html>\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func (r *Report) procedureNames() []string {
	names := make([]string, 0, len(r.Procedures))
	for n := range r.Procedures {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		pi, _ := ParseProcedure(names[i])
		pj, _ := ParseProcedure(names[j])
		return pi < pj
	})
	return names
}

// plotColors are distinguishable line colours (one per procedure).
var plotColors = []string{"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
	"#bcbd22", "#17becf", "#393b79", "#637939", "#8c6d31", "#843c39", "#7b4173"}

// svgChart draws one line per series over t = 1..n seconds.
func svgChart(names []string, data map[string][]float64, unit string) string {
	const W, H, L, B, T, R = 900, 300, 60, 30, 10, 150
	n := 0
	ymax := 0.0
	for _, v := range data {
		n = max(n, len(v))
		for _, x := range v {
			if !math.IsNaN(x) {
				ymax = math.Max(ymax, x)
			}
		}
	}
	if ymax == 0 {
		ymax = 1
	}
	ymax = niceCeil(ymax)
	xs := func(i int) float64 { return L + float64(i)*float64(W-L-R)/math.Max(float64(n-1), 1) }
	ys := func(v float64) float64 { return float64(H-B) - v/ymax*float64(H-B-T) }
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d">`, W, H, W, H)
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#000"/><line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#000"/>`,
		L, H-B, W-R, H-B, L, T, L, H-B)
	for k := 0; k <= 4; k++ {
		v := ymax * float64(k) / 4
		fmt.Fprintf(&b, `<text x="%d" y="%.0f" font-size="11" text-anchor="end">%s</text><line x1="%d" y1="%.0f" x2="%d" y2="%.0f" stroke="#eee"/>`,
			L-4, ys(v)+4, trimFloat(v), L, ys(v), W-R, ys(v))
	}
	for k := 0; k <= 5 && n > 1; k++ {
		i := k * (n - 1) / 5
		fmt.Fprintf(&b, `<text x="%.0f" y="%d" font-size="11" text-anchor="middle">%ds</text>`, xs(i), H-B+16, i+1)
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11">%s</text>`, 4, T+10, html.EscapeString(unit))
	for ci, name := range names {
		v := data[name]
		col := plotColors[ci%len(plotColors)]
		var pts []string
		flush := func() {
			if len(pts) > 0 {
				fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`, col, strings.Join(pts, " "))
				pts = pts[:0]
			}
		}
		for i, x := range v {
			if math.IsNaN(x) {
				flush()
				continue
			}
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", xs(i), ys(x)))
		}
		flush()
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="10" fill="%s"/><text x="%d" y="%d" font-size="12">%s</text>`,
			W-R+10, T+ci*16, col, W-R+24, T+ci*16+9, html.EscapeString(name))
	}
	b.WriteString("</svg>")
	return b.String()
}

func niceCeil(v float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func trimFloat(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	return s
}
