package main

import (
	"slices"
	"time"
)

// result is one measurement of one variant.
type result struct {
	requests int64
	rps      float64
	p50, p99 time.Duration
	// Socket errors as wrk counts them; h2load's errored requests are
	// counted as read errors and its timed-out ones as timeouts.
	connectErrs, readErrs, writeErrs, timeouts int64
	// non2xx counts responses that are neither 2xx nor 3xx (wrk's "Non-2xx
	// or 3xx responses").
	non2xx int64
}

func (r result) socketErrors() int64 {
	return r.connectErrs + r.readErrs + r.writeErrs + r.timeouts
}

// summary is a variant's results over every round: medians of the rates and
// latencies, and errors summed, since a single one matters.
type summary struct {
	name                                       string
	rounds                                     []result
	rps                                        float64
	p50, p99                                   time.Duration
	connectErrs, readErrs, writeErrs, timeouts int64
	non2xx                                     int64
}

func summarize(name string, rounds []result) summary {
	s := summary{name: name, rounds: rounds}
	var rps []float64
	var p50, p99 []time.Duration
	for _, r := range rounds {
		rps = append(rps, r.rps)
		p50 = append(p50, r.p50)
		p99 = append(p99, r.p99)
		s.connectErrs += r.connectErrs
		s.readErrs += r.readErrs
		s.writeErrs += r.writeErrs
		s.timeouts += r.timeouts
		s.non2xx += r.non2xx
	}
	s.rps, s.p50, s.p99 = median(rps), median(p50), median(p99)
	return s
}

func (s summary) socketErrors() int64 {
	return s.connectErrs + s.readErrs + s.writeErrs + s.timeouts
}

// pairedRatio is the median over the rounds of s's rate divided by base's
// rate in the same round: the two ran one after the other, under much the
// same load from the rest of the machine, so the ratio of a pair is
// steadier than the ratio of the medians.
func pairedRatio(s, base summary) float64 {
	var rs []float64
	for i := range min(len(s.rounds), len(base.rounds)) {
		if base.rounds[i].rps > 0 {
			rs = append(rs, s.rounds[i].rps/base.rounds[i].rps)
		}
	}
	return median(rs)
}

// spread is (max - min) / median of the rounds' request rates: how much
// the machine's noise moved this variant.
func (s summary) spread() float64 {
	if len(s.rounds) < 2 || s.rps == 0 {
		return 0
	}
	lo, hi := s.rounds[0].rps, s.rounds[0].rps
	for _, r := range s.rounds {
		lo, hi = min(lo, r.rps), max(hi, r.rps)
	}
	return (hi - lo) / s.rps
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
