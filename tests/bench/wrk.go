package main

import (
	"context"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/apphost/apphost/tests/harness"
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
	w, err := harness.ParseWrk(out)
	if err != nil {
		return result{}, fmt.Errorf("wrk %s: %w\n%s", strings.Join(args, " "), err, out)
	}
	return w, nil
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
