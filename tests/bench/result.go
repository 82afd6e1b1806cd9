package main

import (
	"github.com/apphost/apphost/tests/harness"
	"slices"
	"time"
)

// result is one measurement of one variant: wrk's numbers, as the harness
// reads them, and h2load's in the same fields (its errored requests count
// as read errors, its timed-out ones as timeouts).
type result = harness.Wrk

// summary is a variant's results over every round: medians of the rates and
// latencies, and errors summed, since a single one matters.
type summary struct {
	name   string
	rounds []result
	result // the medians and sums
}

func summarize(name string, rounds []result) summary {
	s := summary{name: name, rounds: rounds}
	var rps []float64
	var p50, p99 []time.Duration
	for _, r := range rounds {
		rps = append(rps, r.RPS)
		p50 = append(p50, r.P50)
		p99 = append(p99, r.P99)
		s.ConnectErrs += r.ConnectErrs
		s.ReadErrs += r.ReadErrs
		s.WriteErrs += r.WriteErrs
		s.Timeouts += r.Timeouts
		s.Non2xx += r.Non2xx
	}
	s.RPS, s.P50, s.P99 = median(rps), median(p50), median(p99)
	return s
}

// pairedRatio is the median over the rounds of s's rate divided by base's
// rate in the same round: the two ran one after the other, under much the
// same load from the rest of the machine, so the ratio of a pair is
// steadier than the ratio of the medians.
func pairedRatio(s, base summary) float64 {
	var rs []float64
	for i := range min(len(s.rounds), len(base.rounds)) {
		if base.rounds[i].RPS > 0 {
			rs = append(rs, s.rounds[i].RPS/base.rounds[i].RPS)
		}
	}
	return median(rs)
}

// spread is (max - min) / median of the rounds' request rates: how much
// the machine's noise moved this variant.
func (s summary) spread() float64 {
	if len(s.rounds) < 2 || s.RPS == 0 {
		return 0
	}
	lo, hi := s.rounds[0].RPS, s.rounds[0].RPS
	for _, r := range s.rounds {
		lo, hi = min(lo, r.RPS), max(hi, r.RPS)
	}
	return (hi - lo) / s.RPS
}

// median of xs (the mean of the middle two for an even count); zero for
// none.
func median[T ~int64 | ~float64](xs []T) T {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
