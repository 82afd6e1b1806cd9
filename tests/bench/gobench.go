package main

import (
	"bufio"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// goBench is one result line of `go test -bench`: the benchmark's name
// without the GOMAXPROCS suffix and its metrics by unit ("ns/op",
// "allocs/op", "B/op", custom ones).
type goBench struct {
	name    string
	n       int64
	metrics map[string]float64
}

var goBenchLine = regexp.MustCompile(`^(Benchmark\S+?)(?:-\d+)?\s+(\d+)\s+(.*)$`)

// parseGoBench reads `go test -bench` output. With -count above 1 a name
// appears once per count, in order.
func parseGoBench(out string) ([]goBench, error) {
	var list []goBench
	sc := bufio.NewScanner(strings.NewReader(out))
	for sc.Scan() {
		m := goBenchLine.FindStringSubmatch(strings.TrimSpace(sc.Text()))
		if m == nil {
			continue
		}
		b := goBench{name: m[1], metrics: map[string]float64{}}
		b.n, _ = strconv.ParseInt(m[2], 10, 64)
		f := strings.Fields(m[3])
		if len(f)%2 != 0 {
			return nil, fmt.Errorf("benchmark line %q: metrics are not value/unit pairs", sc.Text())
		}
		for i := 0; i < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("benchmark line %q: %q is not a number", sc.Text(), f[i])
			}
			b.metrics[f[i+1]] = v
		}
		list = append(list, b)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("no benchmark result in the output")
	}
	return list, nil
}

// medians groups the results by name, in order of first appearance, and
// takes each metric's median over the counts.
func medians(list []goBench) []goBench {
	var order []string
	byName := map[string][]goBench{}
	for _, b := range list {
		if _, ok := byName[b.name]; !ok {
			order = append(order, b.name)
		}
		byName[b.name] = append(byName[b.name], b)
	}
	out := make([]goBench, 0, len(order))
	for _, name := range order {
		runs := byName[name]
		m := goBench{name: name, n: runs[0].n, metrics: map[string]float64{}}
		for unit := range runs[0].metrics {
			var vs []float64
			for _, r := range runs {
				if v, ok := r.metrics[unit]; ok {
					vs = append(vs, v)
				}
			}
			m.metrics[unit] = median(vs)
		}
		out = append(out, m)
	}
	return out
}
