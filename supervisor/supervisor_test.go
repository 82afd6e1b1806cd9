//go:build linux

package supervisor

import (
	"context"
	"log/slog"
	"strings"
	"syscall"
	"testing"
	"testing/synctest"
	"time"
)

// An old child replaced by a reload counts as draining until its stop is
// over, and cleanup's wait returns only then.
func TestDrainingLastsUntilTheOldChildIsStopped(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	s := &supervisor{o: Options{StopSignal: syscall.SIGTERM, StopTimeout: time.Minute, Log: log}}
	if s.draining() {
		t.Fatal("draining before any reload")
	}
	n, err := listenNotify(t.TempDir(), 1, log)
	if err != nil {
		t.Fatal(err)
	}
	// pid 0: no process group to signal; the child exits when done closes.
	old := &child{gen: 1, notify: n, done: make(chan struct{})}
	s.drain(old)
	if !s.draining() {
		t.Fatal("not draining while the old child runs")
	}
	waited := make(chan struct{})
	go func() {
		s.waitDrains()
		close(waited)
	}()
	select {
	case <-waited:
		t.Fatal("waitDrains returned while the old child runs")
	case <-time.After(50 * time.Millisecond):
	}
	close(old.done)
	select {
	case <-waited:
	case <-time.After(10 * time.Second):
		t.Fatal("waitDrains did not return once the old child exited")
	}
	if s.draining() {
		t.Error("still draining after the old child was stopped")
	}
}

// The failure window runs on the application's time: backoff waits longer
// than the window do not keep a crash loop from reaching the limit, as
// the default delays (1 s doubling to 30 s) would against a minute. The
// waits run on the fake clock of a synctest bubble.
func TestGivingUpLeavesTheBackoffWaitsOut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := &supervisor{
			o: Options{
				Restart: RestartOnFailure,
				Backoff: Backoff{Initial: 40 * time.Second, Factor: 1, Max: 40 * time.Second},
				Log:     slog.New(slog.DiscardHandler),
			},
			fails: failWindow{limit: 3},
		}
		start := time.Now()
		for i := 1; i <= 3; i++ {
			at := time.Since(start)
			err := s.failed(context.Background(), ReasonExit, false, "ended with exit status 3")
			if i < 3 && err != nil {
				t.Fatalf("failure %d: %v", i, err)
			}
			if i == 3 && (err == nil || !strings.Contains(err.Error(), "giving up: 3 failed starts")) {
				t.Fatalf("failure 3, %s after the first: %v; want giving up", at, err)
			}
		}
	})
}
