//go:build linux

package supervisor

import (
	"context"
	"net/http"
	"time"
)

// reasonCancelled is waitReady's answer when the supervisor is stopping.
const reasonCancelled = "cancelled"

// waitReady waits for READY=1 on the child's notify socket or a 2xx from
// the ready URL, whichever comes first: during a reload the running child
// answers the URL too. It returns "" when the child is ready, or why not:
// ReasonExit or ReasonSignal (it exited), ReasonStartupTimeout, or
// reasonCancelled.
func (s *supervisor) waitReady(ctx context.Context, c *child) string {
	timer := time.NewTimer(s.o.StartupTimeout)
	defer timer.Stop()
	pollCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var urlReady <-chan struct{}
	if s.o.ReadyURL != "" {
		urlReady = pollReady(pollCtx, s.o.ReadyURL)
	}
	for {
		select {
		case <-c.notify.ready:
			return ""
		case <-urlReady:
			return ""
		case <-c.done:
			if c.status.Signaled() {
				return ReasonSignal
			}
			return ReasonExit
		case <-timer.C:
			return ReasonStartupTimeout
		case <-ctx.Done():
			return reasonCancelled
		case <-s.wd:
			s.o.Notify("WATCHDOG=1")
		}
	}
}

// pollReady polls url until it answers 2xx; the channel is closed then.
func pollReady(ctx context.Context, url string) <-chan struct{} {
	ready := make(chan struct{})
	go func() {
		client := &http.Client{Timeout: time.Second}
		delay := 20 * time.Millisecond
		for {
			if probe(ctx, client, url) == nil {
				close(ready)
				return
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(delay):
			}
			delay = min(delay*2, 500*time.Millisecond)
		}
	}()
	return ready
}
