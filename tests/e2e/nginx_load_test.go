package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

// TestNginxKeepsUpstreamConnectionsUnderLoad: the generated upstream's
// idle pool holds every connection a burst of concurrent requests opened,
// so the next burst reuses them all instead of connecting again. Each
// burst is 50 requests held at the app until all 50 are in flight, and the
// next starts only once every answer is back, when nginx holds 50 idle
// upstream connections: a pool of 32 would close 18 of them and the second
// burst would open 18 new ones.
func TestNginxKeepsUpstreamConnectionsUnderLoad(t *testing.T) {
	harness.RequireProgram(t, "nginx")
	const burst, bursts = 50, 3

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var opened atomic.Int64
	var mu sync.Mutex
	inFlight, release := 0, make(chan struct{})
	app := &http.Server{
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Hold each request until the whole burst is in flight.
			mu.Lock()
			inFlight++
			ch := release
			if inFlight == burst {
				close(release)
				inFlight, release = 0, make(chan struct{})
			}
			mu.Unlock()
			select {
			case <-ch:
			case <-time.After(20 * time.Second):
				http.Error(w, "the burst never filled", http.StatusGatewayTimeout)
				return
			}
			io.WriteString(w, "ok")
		}),
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				opened.Add(1)
			}
		},
	}
	go app.Serve(ln)
	t.Cleanup(func() { app.Close() })

	httpAddr := harness.FreeAddr(t)
	_, conf := site(t, fmt.Sprintf(`name: shop
app:
  listen: [%s]
proxy:
  server_names: [shop.test]
  http_listen: %s
`, ln.Addr(), httpAddr))
	harness.StartNginx(t, conf, httpAddr)

	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: burst, MaxConnsPerHost: burst}}
	url := "http://" + httpAddr + "/"
	for b := range bursts {
		var wg sync.WaitGroup
		errs := make(chan error, burst)
		for range burst {
			wg.Go(func() {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Host = "shop.test"
				resp, err := c.Do(req)
				if err != nil {
					errs <- err
					return
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					errs <- fmt.Errorf("%s: %s", resp.Status, body)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatalf("burst %d: %v", b, err)
		}
	}
	if n := opened.Load(); n != burst {
		t.Errorf("nginx opened %d connections to the app for %d bursts of %d concurrent requests, want %d: the idle pool closed some", n, bursts, burst, burst)
	}
}

// TestNginxUnderLoadHasNoErrors: a few seconds of wrk through the
// generated site in front of apphost serve end with no socket error and no
// answer other than 2xx.
func TestNginxUnderLoadHasNoErrors(t *testing.T) {
	wrk := harness.RequireProgram(t, "wrk")
	app, httpAddr := harness.FreeAddr(t), harness.FreeAddr(t)
	dir, conf := site(t, fmt.Sprintf(`name: shop
app:
  listen: [%s]
  access_log: false
proxy:
  server_names: [shop.test]
  http_listen: %s
`, app, httpAddr))
	serve(t, dir, app)
	ng := harness.StartNginx(t, conf, httpAddr)

	requireWrkClean(t, wrk, 50, "shop.test", "http://"+httpAddr+"/")
	if log := ng.ErrorLog(); containsAny(log, "[error]", "[crit]", "[alert]") {
		t.Errorf("nginx logged errors:\n%s", log)
	}
}

func containsAny(s string, subs ...string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
