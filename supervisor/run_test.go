//go:build linux

package supervisor_test

import (
	"context"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/supervisor"
	"github.com/apphost/apphost/tests/harness"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
)

// The test binary is the shim for the in-process Run below.
func TestMain(m *testing.M) {
	supervisor.RunShimIfRequested()
	os.Exit(m.Run())
}

// Run as a library: READY=1 goes to the service manager once the app is
// ready, WATCHDOG=1 while the loop runs, STOPPING=1 on cancel, and the
// metrics follow.
func TestRunNotifiesTheServiceManager(t *testing.T) {
	r := startRun(t, supervisor.Options{Command: []string{harness.SupervisorChild(t)}, Watchdog: 50 * time.Millisecond})
	socks, reg, states := r.opts.Sockets, r.reg, r.states
	expect := func(want string, n int) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for n > 0 {
			select {
			case s := <-states:
				if strings.Contains(s, want) {
					n--
				}
			case <-deadline:
				t.Fatalf("no %s", want)
			}
		}
	}
	expect("READY=1", 1)
	if _, err := get(socks[0].Addr); err != nil {
		t.Fatal(err)
	}
	up := "# HELP apphost_supervisor_child_up 1 while the application is running and ready, 0 otherwise.\n" +
		"# TYPE apphost_supervisor_child_up gauge\napphost_supervisor_child_up 1\n"
	if err := testutil.GatherAndCompare(reg, strings.NewReader(up), "apphost_supervisor_child_up"); err != nil {
		t.Error(err)
	}
	expect("WATCHDOG=1", 3)
	problems, err := testutil.GatherAndLint(reg)
	if err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
	r.cancel()
	expect("STOPPING=1", 1)
	r.wait(t)
}

// The watchdog is fed while the loop waits for an application to drain:
// taking it offline with a child that ignores SIGTERM keeps the loop in
// stop for the whole stop timeout, and WATCHDOG=1 keeps coming, so a
// WatchdogSec shorter than the stop timeout never aborts a healthy
// supervisor.
func TestWatchdogIsFedWhileTheApplicationDrains(t *testing.T) {
	dir := t.TempDir()
	r := startRun(t, supervisor.Options{
		Command:     []string{harness.SupervisorChild(t), "-ignore-term"},
		Dir:         dir,
		Watchdog:    50 * time.Millisecond,
		StopTimeout: 2 * time.Second,
		OfflinePoll: 50 * time.Millisecond,
	})
	reg, states := r.reg, r.states
	stopping := func() bool {
		return gaugeValue(t, reg, "apphost_supervisor_state", "stopping") == 1
	}
	deadline := time.After(20 * time.Second)
	for ready := false; !ready; {
		select {
		case s := <-states:
			ready = strings.Contains(s, "READY=1")
		case <-deadline:
			t.Fatal("no READY=1")
		}
	}
	if err := os.WriteFile(dir+"/app_offline.htm", []byte("down"), 0o644); err != nil {
		t.Fatal(err)
	}
	harness.WaitFor(t, 10*time.Second, "the supervisor stops the application", stopping)
	for len(states) > 0 { // pings from before the stop
		<-states
	}
	pings := 0
	for stopping() {
		select {
		case s := <-states:
			if strings.Contains(s, "WATCHDOG=1") && stopping() {
				pings++
			}
		case <-time.After(100 * time.Millisecond):
		case <-deadline:
			t.Fatal("the application was not stopped")
		}
	}
	if pings < 3 {
		t.Errorf("%d WATCHDOG=1 while the application drained for 2s, want a steady stream", pings)
	}
	r.cancel()
	r.wait(t)
}

// inProcess is supervisor.Run running in the test process.
type inProcess struct {
	opts   supervisor.Options
	reg    *prometheus.Registry
	states chan string // what Run sent to the service manager
	cancel context.CancelFunc
	done   chan error
}

// startRun runs supervisor.Run with opts, on a new loopback socket, with
// metrics on a new registry and the notifications collected in states;
// the application's output and the log are discarded.
func startRun(t *testing.T, opts supervisor.Options) *inProcess {
	t.Helper()
	socks, err := supervisor.Listen([]config.Address{"127.0.0.1:0"}, "web", 0o660)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { supervisor.CloseSockets(socks) })
	r := &inProcess{reg: prometheus.NewRegistry(), states: make(chan string, 1000), done: make(chan error, 1)}
	if opts.Metrics, err = supervisor.NewMetrics(r.reg); err != nil {
		t.Fatal(err)
	}
	opts.Sockets = socks
	opts.Notify = func(s string) { r.states <- s }
	opts.Log = slog.New(slog.NewTextHandler(io.Discard, nil))
	opts.Stdout, opts.Stderr = io.Discard, io.Discard
	r.opts = opts
	var ctx context.Context
	ctx, r.cancel = context.WithCancel(context.Background())
	t.Cleanup(r.cancel)
	go func() { r.done <- supervisor.Run(ctx, opts) }()
	return r
}

// wait fails the test unless Run returns nil within 10s (after cancel).
func (r *inProcess) wait(t *testing.T) {
	t.Helper()
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("Run after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
	}
}

// gaugeValue reads one labelled sample from reg, or -1.
func gaugeValue(t *testing.T, reg *prometheus.Registry, name, label string) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetValue() == label {
					return m.GetGauge().GetValue()
				}
			}
		}
	}
	return -1
}
