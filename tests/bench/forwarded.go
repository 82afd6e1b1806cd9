package main

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"

	"github.com/apphost/apphost/tests/harness"
)

// forwardedPairs are the forwarded package's benchmark contenders and what
// each is compared with: the core with realclientip-go's strategy, the
// full handler with gorilla/handlers' ProxyHeaders.
var forwardedPairs = map[string]string{"core": "realclientip", "handler": "gorilla"}

// maxGoBenchCount caps go test's -count: each count of the forwarded
// package's benchmarks takes several seconds.
const maxGoBenchCount = 5

// forwarded runs the forwarded package's Go benchmarks and tabulates
// BenchmarkForwarded's ns/op, B/op and allocs/op with each contender's
// ratio to what it is compared with, and BenchmarkTurnAbout's ratios.
func (b *bench) forwarded(ctx context.Context) (report, error) {
	count := min(b.rounds, maxGoBenchCount)
	args := []string{"test", "-run", "^$", "-bench", ".", "-benchmem", "-benchtime", "500ms", "-count", strconv.Itoa(count), "./forwarded"}
	cmd := exec.CommandContext(ctx, harness.GoTool(), args...)
	cmd.Dir = b.root
	fmt.Fprintf(b.log, "   go %s\n", strings.Join(args, " "))
	out, err := cmd.CombinedOutput()
	if err != nil {
		return report{}, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	list, err := parseGoBench(string(out))
	if err != nil {
		return report{}, fmt.Errorf("go %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	r := forwardedTable(medians(list))
	r.intro = []string{fmt.Sprintf("`go test -run '^$' -bench . -benchmem -benchtime 500ms -count %d ./forwarded`; medians over the counts. "+
		"ratio: ns/op over the compared implementation's (core vs realclientip-go's RightmostTrustedRangeStrategy, "+
		"handler vs gorilla/handlers' ProxyHeaders); turn-about ratio: the same from BenchmarkTurnAbout, which runs the "+
		"contenders in alternating batches.", count)}
	return r, nil
}

// forwardedTable builds the table from BenchmarkForwarded/<workload>/<contender>
// and BenchmarkTurnAbout/<workload> results.
func forwardedTable(list []goBench) report {
	r := report{header: []string{"workload", "implementation", "ns/op", "B/op", "allocs/op", "ratio", "turn-about ratio"}, left: 2}
	byName := map[string]goBench{}
	for _, g := range list {
		byName[g.name] = g
	}
	for _, g := range list {
		workload, contender, ok := strings.Cut(strings.TrimPrefix(g.name, "BenchmarkForwarded/"), "/")
		if !ok || !strings.HasPrefix(g.name, "BenchmarkForwarded/") {
			continue
		}
		ratioCell, turnCell := "", ""
		if other, ok := forwardedPairs[contender]; ok {
			if o, ok := byName["BenchmarkForwarded/"+workload+"/"+other]; ok {
				ratioCell = fmt.Sprintf("%.2f", ratio(g.metrics["ns/op"], o.metrics["ns/op"]))
			}
			if t, ok := byName["BenchmarkTurnAbout/"+workload].metrics[contender+"/"+other]; ok {
				turnCell = fmt.Sprintf("%.2f", t)
			}
		}
		r.rows = append(r.rows, []string{
			workload, contender,
			fmt.Sprintf("%.0f", g.metrics["ns/op"]),
			fmt.Sprintf("%.0f", g.metrics["B/op"]),
			fmt.Sprintf("%.0f", g.metrics["allocs/op"]),
			ratioCell, turnCell,
		})
	}
	return r
}
