package e2e

import (
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

// TestNginxGeneratedSiteLosesNoRequestWhileTheAppIsKilled: behind the
// site `apphost gen nginx` writes for a supervised app, GETs survive
// SIGKILLs of the app. Each GET takes the app 50ms, so some are in flight
// at every kill; they were sent on connections nginx reused from the
// upstream keepalive pool, and nginx retries a request that fails on a
// reused connection without counting a try, even with one server entry.
// The retry connects to the socket the supervisor holds and waits there
// for the restarted app. Without upstream keepalive those GETs fail
// with 502.
func TestNginxGeneratedSiteLosesNoRequestWhileTheAppIsKilled(t *testing.T) {
	harness.RequireProgram(t, "nginx")
	app, admin, httpAddr := harness.FreeAddr(t), harness.FreeAddr(t), harness.FreeAddr(t)
	child := harness.SupervisorChild(t)
	_, conf := site(t, fmt.Sprintf(`name: shop
app:
  listen: [%s]
proxy:
  server_names: [127.0.0.1]
  http_listen: %s
supervise:
  command: [%s, -request-delay, 50ms]
`, app, httpAddr, child))
	sup := harness.Start(t, harness.Apphost(t), "supervise", "--listen", app, "--admin-listen", admin,
		"--backoff-initial", "50ms", "--backoff-max", "200ms", "--rapid-fails-per-minute", "50", "--", child, "-request-delay", "50ms")
	sup.WaitListening(t, app, 10*time.Second)
	ng := harness.StartNginx(t, conf, httpAddr)

	url := "http://" + httpAddr + "/"

	var ok, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	c := &http.Client{Timeout: 20 * time.Second}
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := c.Get(url)
				if err == nil {
					io.Copy(io.Discard, resp.Body) //nolint:errcheck
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %s", resp.Status)
					}
				}
				if err != nil {
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
					continue
				}
				ok.Add(1)
			}
		})
	}
	last := pidOf(t, url)
	for range 3 {
		time.Sleep(300 * time.Millisecond)
		if err := syscall.Kill(last, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(15 * time.Second)
		next := pidOf(t, url)
		for ; next == last; next = pidOf(t, url) {
			if time.Now().After(deadline) {
				t.Fatal("no new application after SIGKILL")
			}
			time.Sleep(20 * time.Millisecond)
		}
		last = next
	}
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	if failed.Load() != 0 || ok.Load() < 20 {
		t.Errorf("%d GETs answered, %d failed (first: %v)\nnginx error log:\n%s", ok.Load(), failed.Load(), firstErr.Load(), ng.ErrorLog())
	}
	t.Logf("%d GETs through the generated site, 3 kills, %d failed", ok.Load(), failed.Load())
}
