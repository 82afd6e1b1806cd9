package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
)

// h2Variant is how h2load talks to the server.
type h2Variant struct {
	h1      bool // HTTP/1.1 instead of prior-knowledge HTTP/2 cleartext
	streams int  // -m: concurrent streams per connection (pipelined requests with h1)
}

// runH2load sends n requests with h2load and parses its report; the
// latencies come from its per-request log, written in dir. The process is
// killed when ctx ends or after limit.
func runH2load(ctx context.Context, h2load, dir, url string, n int, v h2Variant, o loadOptions, limit time.Duration) (result, error) {
	logFile, err := os.CreateTemp(dir, "h2load-*.log")
	if err != nil {
		return result{}, err
	}
	logFile.Close()
	defer os.Remove(logFile.Name())
	args := []string{
		"-n", strconv.Itoa(n), "-c", strconv.Itoa(o.connections), "-t", strconv.Itoa(min(o.threads, o.connections)),
		"-m", strconv.Itoa(v.streams), "-N", "5", "--log-file=" + logFile.Name(),
	}
	if v.h1 {
		args = append(args, "--h1")
	}
	if o.host != "" {
		args = append(args, "-H", ":authority: "+o.host)
	}
	args = append(args, url)
	out, err := runTool(ctx, limit, h2load, args...)
	if err != nil {
		return result{}, err
	}
	r, err := parseH2load(out)
	if err != nil {
		return result{}, fmt.Errorf("h2load %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	f, err := os.Open(logFile.Name())
	if err != nil {
		return result{}, err
	}
	defer f.Close()
	if r.P50, r.P99, err = h2loadLatencies(f); err != nil {
		return result{}, fmt.Errorf("h2load's log %s: %w", filepath.Base(logFile.Name()), err)
	}
	return r, nil
}

var (
	h2Finished = regexp.MustCompile(`(?m)^finished in (\S+), ([0-9.]+) req/s`)
	h2Requests = regexp.MustCompile(`(?m)^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout\s*$`)
	h2Status   = regexp.MustCompile(`(?m)^status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx\s*$`)
)

// parseH2load reads h2load's report. Errored requests count as read
// errors, timed-out ones as timeouts, 4xx and 5xx answers as non-2xx.
func parseH2load(out string) (result, error) {
	var r result
	m := h2Finished.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("no \"finished in\" line in h2load's report")
	}
	r.RPS, _ = strconv.ParseFloat(m[2], 64)
	m = h2Requests.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("no \"requests:\" line in h2load's report")
	}
	n := func(s string) int64 { v, _ := strconv.ParseInt(s, 10, 64); return v }
	r.Requests = n(m[3])
	r.ReadErrs, r.Timeouts = n(m[6]), n(m[7])
	if m := h2Status.FindStringSubmatch(out); m != nil {
		r.Non2xx = n(m[3]) + n(m[4])
	}
	return r, nil
}

// h2loadLatencies reads h2load's --log-file (start time in µs, status,
// µs until the end of the response; tab-separated) and returns the
// median and 99th percentile of the responses it completed.
func h2loadLatencies(rd io.Reader) (p50, p99 time.Duration, err error) {
	var lat []int64
	sc := bufio.NewScanner(rd)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Split(sc.Text(), "\t")
		if len(f) != 3 {
			return 0, 0, fmt.Errorf("line %d: want 3 tab-separated columns, got %q", line, sc.Text())
		}
		status, err1 := strconv.Atoi(f[1])
		us, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			return 0, 0, fmt.Errorf("line %d: want numbers, got %q", line, sc.Text())
		}
		if status > 0 {
			lat = append(lat, us)
		}
	}
	if err := sc.Err(); err != nil {
		return 0, 0, err
	}
	if len(lat) == 0 {
		return 0, 0, fmt.Errorf("no completed request")
	}
	return percentile(lat, 50), percentile(lat, 99), nil
}

// percentile is the nearest-rank percentile p of microsecond values.
func percentile(us []int64, p int) time.Duration {
	s := append([]int64(nil), us...)
	slices.Sort(s)
	i := (len(s)*p + 99) / 100
	i = max(i, 1)
	return time.Duration(s[i-1]) * time.Microsecond
}
