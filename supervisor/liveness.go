//go:build linux

package supervisor

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// liveness probes the health URL every HealthInterval while ctx lasts; the
// channel is closed after HealthFailures consecutive failures. Without a
// health URL it never fires.
func (s *supervisor) liveness(ctx context.Context, c *child) <-chan struct{} {
	failed := make(chan struct{})
	if s.o.HealthURL == "" {
		return failed
	}
	go func() {
		client := &http.Client{Timeout: s.o.HealthInterval}
		t := time.NewTicker(s.o.HealthInterval)
		defer t.Stop()
		misses := 0
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			err := probe(ctx, client, s.o.HealthURL)
			if err == nil {
				misses = 0
				continue
			}
			if ctx.Err() != nil {
				return
			}
			misses++
			s.o.Log.Warn("health probe failed", "pid", c.pid, "url", s.o.HealthURL, "error", err, "consecutive", misses)
			if misses >= s.o.HealthFailures {
				close(failed)
				return
			}
		}
	}()
	return failed
}

// probe GETs url and wants a 2xx answer.
func probe(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) //nolint:errcheck // draining for reuse only
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	return nil
}
