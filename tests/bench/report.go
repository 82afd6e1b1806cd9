package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"
)

// report is one section's output: what was run, a table, and the targets
// with their verdicts.
type report struct {
	intro  []string
	header []string
	// left is how many leading columns are left-aligned (at least one);
	// the others, numbers, are right-aligned.
	left  int
	rows  [][]string
	notes []string
}

// write prints the report as Markdown, the table's columns aligned.
func (r report) write(w io.Writer) {
	for _, l := range r.intro {
		fmt.Fprintln(w, l)
	}
	if len(r.intro) > 0 {
		fmt.Fprintln(w)
	}
	width := make([]int, len(r.header))
	for _, row := range append([][]string{r.header}, r.rows...) {
		for i, c := range row {
			width[i] = max(width[i], len(c))
		}
	}
	line := func(cells []string) {
		var b strings.Builder
		for i, c := range cells {
			pad := strings.Repeat(" ", width[i]-len(c))
			if i < max(r.left, 1) {
				fmt.Fprintf(&b, "| %s%s ", c, pad)
			} else {
				fmt.Fprintf(&b, "| %s%s ", pad, c)
			}
		}
		fmt.Fprintln(w, b.String()+"|")
	}
	line(r.header)
	sep := make([]string, len(r.header))
	for i := range sep {
		sep[i] = strings.Repeat("-", width[i]-1) + ":"
		if i < max(r.left, 1) {
			sep[i] = strings.Repeat("-", width[i])
		}
	}
	line(sep)
	for _, row := range r.rows {
		line(row)
	}
	if len(r.notes) > 0 {
		fmt.Fprintln(w)
	}
	for _, n := range r.notes {
		fmt.Fprintln(w, n)
	}
}

// variant is one thing a section measures: run takes one measurement
// lasting about d.
type variant struct {
	name string
	run  func(ctx context.Context, d time.Duration) (result, error)
}

// turnAbout warms every variant up for a second, then runs the rounds:
// each round measures every variant once, starting one further along each
// time, so that no variant always follows the same one.
func (b *bench) turnAbout(ctx context.Context, vs []variant) ([]summary, error) {
	warm := min(b.duration, time.Second)
	for _, v := range vs {
		fmt.Fprintf(b.log, "   warming up: %s\n", v.name)
		if _, err := v.run(ctx, warm); err != nil {
			return nil, fmt.Errorf("%s: %w", v.name, err)
		}
	}
	results := make([][]result, len(vs))
	for round := range b.rounds {
		for k := range vs {
			i := (k + round) % len(vs)
			r, err := vs[i].run(ctx, b.duration)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", vs[i].name, err)
			}
			fmt.Fprintf(b.log, "   round %d/%d %-40s %10.0f req/s\n", round+1, b.rounds, vs[i].name, r.RPS)
			results[i] = append(results[i], r)
		}
	}
	out := make([]summary, len(vs))
	for i, v := range vs {
		out[i] = summarize(v.name, results[i])
	}
	return out, nil
}

// loadTable tabulates a section's summaries with their ratios to the
// first one, the baseline.
func loadTable(list []summary) report {
	r := report{header: []string{"variant", "req/s", "ratio", "p50", "p99", "socket errors", "non-2xx/3xx", "spread"}}
	for _, s := range list {
		r.rows = append(r.rows, []string{
			s.name,
			fmt.Sprintf("%.0f", s.RPS),
			fmt.Sprintf("%.2f", pairedRatio(s, list[0])),
			formatLatency(s.P50),
			formatLatency(s.P99),
			formatSocketErrors(s),
			fmt.Sprint(s.Non2xx),
			fmt.Sprintf("%.0f%%", 100*s.spread()),
		})
	}
	return r
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

func formatLatency(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%dµs", d.Microseconds())
	}
}

func formatSocketErrors(s summary) string {
	if s.SocketErrors() == 0 {
		return "0"
	}
	var parts []string
	for _, p := range []struct {
		n    int64
		name string
	}{{s.ConnectErrs, "connect"}, {s.ReadErrs, "read"}, {s.WriteErrs, "write"}, {s.Timeouts, "timeout"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", p.name, p.n))
		}
	}
	return fmt.Sprintf("%d (%s)", s.SocketErrors(), strings.Join(parts, ", "))
}

// target is a verdict line: what was measured (got, formatted) against
// what was wanted.
func target(what, got, want string, met bool) string {
	verdict := "met"
	if !met {
		verdict = "NOT met"
	}
	return fmt.Sprintf("- %s: %s (target %s): **%s**", what, got, want, verdict)
}

// intro describes the load generator's settings and the rounds.
func (b *bench) intro(tool string) string {
	return fmt.Sprintf("%s, %d connections, %d threads, %s per measurement, %d rounds turn about; medians. "+
		"ratio: the median over the rounds of req/s over the first row's in the same round; spread: (max - min) / median req/s over the rounds; "+
		"socket errors and non-2xx/3xx: summed over the rounds.",
		tool, b.connections, min(b.threads, b.connections), b.duration, b.rounds)
}
