// Command bench measures apphost against its baselines and prints the
// results as Markdown tables: `make bench`, or `go run ./tests/bench`.
//
// It builds what it needs (tests/bench/cmd/hello, cmd/apphost), starts
// every server on free loopback ports in a temporary directory, measures
// with wrk, h2load and `go test -bench`, stops everything it started
// (also on an error or Ctrl-C) and prints one table per section. The
// variants of a section are measured turn about — each round runs every
// variant once, in a rotating order — and the table shows the median
// round, so the machine's noise hits every variant alike. Numbers are
// meant as ratios within one run; absolute rates depend on the machine and
// what else it runs.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"
	"time"
)

// settings are the command's flags.
type settings struct {
	duration    time.Duration
	rounds      int
	connections int
	threads     int
	only        []string
}

// section is one table of the report.
type section struct {
	name  string
	title string
	run   func(b *bench, ctx context.Context) (report, error)
}

var sections = []section{
	{"overhead", "1. Host overhead: hello on bare net/http vs through the host", (*bench).overhead},
	{"nginx", "2. Behind nginx: generated configuration vs the Microsoft Docs recipe vs direct", (*bench).nginx},
	{"apache", "3. Behind Apache httpd (mpm_event): generated vs the Microsoft Docs recipe vs direct", (*bench).apache},
	{"h2", "4. HTTP/2 cleartext vs HTTP/1.1, straight to the host", (*bench).h2},
	{"forwarded", "5. Forwarded-headers middleware vs realclientip-go and gorilla/handlers", (*bench).forwarded},
	{"memory", "6. Memory: resident size of apphost serve", (*bench).memory},
}

func sectionNames() []string {
	var names []string
	for _, s := range sections {
		names = append(names, s.name)
	}
	return names
}

func main() {
	s, err := parseFlags(os.Args[1:], os.Stderr)
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err = run(ctx, s, os.Stdout, os.Stderr)
	interrupted := ctx.Err() != nil
	stop()
	if interrupted {
		fmt.Fprintln(os.Stderr, "bench: interrupted; every program it started is stopped")
		os.Exit(1)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (settings, error) {
	var s settings
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.DurationVar(&s.duration, "duration", time.Second, "length of one measurement of one variant, whole seconds (wrk -d; h2load's request count is sized to last about as long)")
	fs.IntVar(&s.rounds, "rounds", 15, "rounds per section; each round measures every variant once, turn about, and the table shows medians (go test -count: at most 5)")
	fs.IntVar(&s.connections, "connections", 64, "concurrent connections of the load generator (wrk -c, h2load -c)")
	fs.IntVar(&s.threads, "threads", 2, "load generator threads (wrk -t, h2load -t); at most -connections")
	only := fs.String("only", "", "comma-separated sections to run (default: all): "+strings.Join(sectionNames(), ","))
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: go run ./tests/bench [flags]   (or: make bench)\n\n")
		fmt.Fprintf(stderr, "Builds hello and apphost, starts the servers on free loopback ports, measures\n")
		fmt.Fprintf(stderr, "them turn about, stops them and prints one Markdown table per section:\n\n")
		for _, sec := range sections {
			fmt.Fprintf(stderr, "  %-10s %s\n", sec.name, sec.title)
		}
		fmt.Fprintf(stderr, "\nNeeds wrk, h2load, nginx and apache2 (make deps installs them) and the Go\n")
		fmt.Fprintf(stderr, "toolchain. With the defaults a full run takes about five minutes on 2 cores.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return s, err
	}
	if fs.NArg() > 0 {
		return s, fmt.Errorf("unexpected arguments %q (see -help)", fs.Args())
	}
	switch {
	case s.duration < time.Second || s.duration%time.Second != 0:
		return s, fmt.Errorf("-duration %s: want whole seconds, at least 1s (wrk -d takes seconds)", s.duration)
	case s.rounds < 1:
		return s, fmt.Errorf("-rounds %d: want at least 1", s.rounds)
	case s.connections < 1:
		return s, fmt.Errorf("-connections %d: want at least 1", s.connections)
	case s.threads < 1:
		return s, fmt.Errorf("-threads %d: want at least 1", s.threads)
	}
	for _, name := range strings.Split(*only, ",") {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		if !slices.Contains(sectionNames(), name) {
			return s, fmt.Errorf("-only %q: unknown section %q; the sections are %s", *only, name, strings.Join(sectionNames(), ", "))
		}
		s.only = append(s.only, name)
	}
	if strings.TrimSpace(*only) != "" && len(s.only) == 0 {
		return s, fmt.Errorf("-only %q names no section; the sections are %s", *only, strings.Join(sectionNames(), ", "))
	}
	return s, nil
}

// run runs the selected sections and prints their tables to out, progress
// to log. Every server it starts is stopped before it returns.
func run(ctx context.Context, s settings, out, log io.Writer) (err error) {
	b, err := newBench(s, log)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := b.close(); err == nil {
			err = cerr
		}
	}()
	fmt.Fprintf(out, "# apphost benchmark\n\n%s\n", b.machine())
	fmt.Fprintf(out, "Command: `go run ./tests/bench -duration %s -rounds %d -connections %d -threads %d`\n",
		s.duration, s.rounds, s.connections, s.threads)
	for _, sec := range sections {
		if len(s.only) > 0 && !slices.Contains(s.only, sec.name) {
			continue
		}
		start := time.Now()
		fmt.Fprintf(log, "== %s\n", sec.title)
		rep, err := sec.run(b, ctx)
		b.procs.stopAll() // each section starts its own servers
		if err != nil {
			return fmt.Errorf("%s: %w", sec.name, err)
		}
		fmt.Fprintf(out, "\n## %s\n\n", sec.title)
		rep.write(out)
		fmt.Fprintf(log, "   (%s)\n", time.Since(start).Round(time.Second))
	}
	return nil
}
