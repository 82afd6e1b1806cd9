package harness

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Wrk is what a wrk run reported.
type Wrk struct {
	Requests int64
	RPS      float64
	P50, P99 time.Duration
	// Socket errors, zero when wrk printed no "Socket errors" line.
	ConnectErrs, ReadErrs, WriteErrs, Timeouts int64
	// Non2xx counts the answers neither 2xx nor 3xx.
	Non2xx int64
}

// SocketErrors is the sum of wrk's socket errors.
func (w Wrk) SocketErrors() int64 {
	return w.ConnectErrs + w.ReadErrs + w.WriteErrs + w.Timeouts
}

var (
	wrkRate      = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)\s*$`)
	wrkRequests  = regexp.MustCompile(`(?m)^\s*(\d+) requests in `)
	wrkPercent   = regexp.MustCompile(`(?m)^\s+(50|99)%\s+(\S+)\s*$`)
	wrkSocket    = regexp.MustCompile(`(?m)^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)\s*$`)
	wrkNon2xx    = regexp.MustCompile(`(?m)^\s*Non-2xx or 3xx responses: (\d+)\s*$`)
	wrkNoLatency = regexp.MustCompile(`(?m)^\s+Latency Distribution\s*$`)
)

// ParseWrk reads wrk's report; wrk must have run with --latency.
func ParseWrk(out string) (Wrk, error) {
	var r Wrk
	m := wrkRate.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("no Requests/sec line in wrk's report")
	}
	r.RPS, _ = strconv.ParseFloat(m[1], 64)
	if m := wrkRequests.FindStringSubmatch(out); m != nil {
		r.Requests, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if !wrkNoLatency.MatchString(out) {
		return r, fmt.Errorf("no latency distribution in wrk's report (run it with --latency)")
	}
	for _, m := range wrkPercent.FindAllStringSubmatch(out, -1) {
		d, err := time.ParseDuration(m[2]) // "585.00us", "0.95ms", "1.20s", "2.00m", "1.00h"
		if err != nil {
			return r, fmt.Errorf("latency %s%%: wrk time %q: %w", m[1], m[2], err)
		}
		if m[1] == "50" {
			r.P50 = d
		} else {
			r.P99 = d
		}
	}
	if m := wrkSocket.FindStringSubmatch(out); m != nil {
		for i, p := range []*int64{&r.ConnectErrs, &r.ReadErrs, &r.WriteErrs, &r.Timeouts} {
			*p, _ = strconv.ParseInt(m[i+1], 10, 64)
		}
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		r.Non2xx, _ = strconv.ParseInt(m[1], 10, 64)
	}
	return r, nil
}
