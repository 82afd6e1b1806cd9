package main

import (
	"context"
	"fmt"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// loadOptions are the load generator's settings, shared by every variant
// of a section.
type loadOptions struct {
	duration    time.Duration
	connections int
	threads     int
	// host is sent as the Host header (h2load: :authority), so that the
	// proxies' name-based virtual hosts serve the request.
	host string
}

// runWrk runs wrk against url for o.duration and parses its report. The
// process is killed when ctx ends or when it overruns the duration by
// 30 seconds.
func runWrk(ctx context.Context, wrk, url string, o loadOptions) (result, error) {
	threads := min(o.threads, o.connections)
	args := []string{
		"-t", strconv.Itoa(threads), "-c", strconv.Itoa(o.connections),
		"-d", wrkSeconds(o.duration),
		"--timeout", "5s", "--latency",
	}
	if o.host != "" {
		args = append(args, "-H", "Host: "+o.host)
	}
	args = append(args, url)
	out, err := runTool(ctx, o.duration+30*time.Second, wrk, args...)
	if err != nil {
		return result{}, err
	}
	r, err := parseWrk(out)
	if err != nil {
		return result{}, fmt.Errorf("wrk %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return r, nil
}

// wrkSeconds is d for wrk's -d, which takes whole seconds: rounded up, at
// least 1s.
func wrkSeconds(d time.Duration) string {
	return fmt.Sprintf("%ds", max(1, int64((d+time.Second-1)/time.Second)))
}

// runTool runs a load generator with a hard time limit and returns its
// standard output; a failure carries what it printed.
func runTool(ctx context.Context, limit time.Duration, name string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	cmd.WaitDelay = 5 * time.Second
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, ctx.Err())
		}
		return "", fmt.Errorf("%s %s: %w\n%s%s", name, strings.Join(args, " "), err, out, stderr.String())
	}
	return string(out), nil
}

var (
	wrkRate      = regexp.MustCompile(`(?m)^Requests/sec:\s+([0-9.]+)\s*$`)
	wrkRequests  = regexp.MustCompile(`(?m)^\s*(\d+) requests in `)
	wrkPercent   = regexp.MustCompile(`(?m)^\s+(50|99)%\s+(\S+)\s*$`)
	wrkSocket    = regexp.MustCompile(`(?m)^\s*Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)\s*$`)
	wrkNon2xx    = regexp.MustCompile(`(?m)^\s*Non-2xx or 3xx responses: (\d+)\s*$`)
	wrkNoLatency = regexp.MustCompile(`(?m)^\s+Latency Distribution\s*$`)
)

// parseWrk reads wrk's report (run with --latency).
func parseWrk(out string) (result, error) {
	var r result
	m := wrkRate.FindStringSubmatch(out)
	if m == nil {
		return r, fmt.Errorf("no Requests/sec line in wrk's report")
	}
	r.rps, _ = strconv.ParseFloat(m[1], 64)
	if m := wrkRequests.FindStringSubmatch(out); m != nil {
		r.requests, _ = strconv.ParseInt(m[1], 10, 64)
	}
	if !wrkNoLatency.MatchString(out) {
		return r, fmt.Errorf("no latency distribution in wrk's report (run it with --latency)")
	}
	for _, m := range wrkPercent.FindAllStringSubmatch(out, -1) {
		d, err := parseWrkDuration(m[2])
		if err != nil {
			return r, fmt.Errorf("latency %s%%: %w", m[1], err)
		}
		if m[1] == "50" {
			r.p50 = d
		} else {
			r.p99 = d
		}
	}
	if m := wrkSocket.FindStringSubmatch(out); m != nil {
		for i, p := range []*int64{&r.connectErrs, &r.readErrs, &r.writeErrs, &r.timeouts} {
			*p, _ = strconv.ParseInt(m[i+1], 10, 64)
		}
	}
	if m := wrkNon2xx.FindStringSubmatch(out); m != nil {
		r.non2xx, _ = strconv.ParseInt(m[1], 10, 64)
	}
	return r, nil
}

// parseWrkDuration reads wrk's times: "585.00us", "0.95ms", "1.20s",
// "2.00m", "1.00h".
func parseWrkDuration(s string) (time.Duration, error) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("wrk time %q: %w", s, err)
	}
	return d, nil
}
