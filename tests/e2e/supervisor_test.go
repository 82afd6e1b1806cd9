package e2e

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

// The supervisor's promise, through real nginx: the application is killed
// with SIGKILL again and again under continuous requests, and no request
// fails and no connection is refused. The supervisor holds the socket, so
// connections made while the application is down wait in the backlog;
// nginx retries the requests the dying application had already accepted.
//
// The configuration is written here rather than by `apphost gen nginx`:
// the generated upstream marks a server down after max_fails=3 errors for
// fail_timeout=10s, so a few SIGKILLs in a row leave nginx answering 502
// "no live upstreams" although the supervisor's socket never refused a
// connection. Behind a supervisor, max_fails=0 is right.
func TestNginxLosesNoRequestWhileTheAppIsKilled(t *testing.T) {
	nginx := harness.RequireProgram(t, "nginx")
	dir := t.TempDir()
	app, admin, front := harness.FreeAddr(t), harness.FreeAddr(t), harness.FreeAddr(t)

	sup := harness.Start(t, harness.Apphost(t), "supervise", "--listen", app, "--admin-listen", admin,
		"--backoff-initial", "50ms", "--backoff-max", "200ms", "--rapid-fails-per-minute", "50",
		"--", harness.SupervisorChild(t))
	sup.WaitListening(t, app, 10*time.Second)

	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(nginxConf(dir, app, front)), 0o644); err != nil {
		t.Fatal(err)
	}
	ng := harness.Start(t, nginx, "-p", dir, "-c", conf, "-e", filepath.Join(dir, "error.log"))
	ng.WaitListening(t, front, 10*time.Second)

	url := "http://" + front + "/"
	first := pidOf(t, url)
	var ok, failed atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 20 * time.Second}
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get(url)
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
	pid := first
	served := func(n int64) { waitAnswered(t, &ok, n) }
	for range 4 {
		served(25)
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(10 * time.Second)
		for next := pid; next == pid; next = pidOf(t, url) {
			if time.Now().After(deadline) {
				t.Fatal("no new application after SIGKILL")
			}
			time.Sleep(20 * time.Millisecond)
		}
		pid = pidOf(t, url)
	}
	served(25)
	close(stop)
	wg.Wait()
	if failed.Load() != 0 || ok.Load() == 0 {
		log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
		t.Errorf("%d ok, %d failed (first: %v)\nnginx error log:\n%s", ok.Load(), failed.Load(), firstErr.Load(), log)
	}
	if log, _ := os.ReadFile(filepath.Join(dir, "error.log")); strings.Contains(string(log), "Connection refused") {
		t.Errorf("nginx saw a refused connection:\n%s", log)
	}
	t.Logf("%d requests through nginx, 4 kills, %d failed", ok.Load(), failed.Load())
}

func pidOf(t *testing.T, url string) int {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var a struct {
		PID int `json:"pid"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&a); err != nil {
		t.Fatal(err)
	}
	return a.PID
}

// nginxConf proxies front to the supervised app. The upstream lists the
// one application three times: nginx retries a failed request only on
// another server entry (each entry once per request), and every entry
// leads to the socket the supervisor holds. A request the killed
// application had accepted, and one sent on a kept-alive connection it
// had not yet seen closed, are retried that way.
func nginxConf(dir, app, front string) string {
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;"
	}
	return strings.NewReplacer("DIR", dir, "APP", app, "FRONT", front, "USER", user).Replace(`
USER
worker_processes 1;
daemon off;
pid DIR/nginx.pid;
events { worker_connections 512; }
http {
    access_log off;
    client_body_temp_path DIR/client_body;
    proxy_temp_path DIR/proxy;
    fastcgi_temp_path DIR/fastcgi;
    uwsgi_temp_path DIR/uwsgi;
    scgi_temp_path DIR/scgi;
    upstream app {
        server APP max_fails=0;
        server APP max_fails=0;
        server APP max_fails=0;
        keepalive 16;
    }
    server {
        listen FRONT;
        location / {
            proxy_pass http://app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 0;
        }
    }
}
`)
}

// apphost's own host works under the supervisor unchanged: `apphost
// supervise -- apphost serve` serves on the held socket, and a SIGHUP
// under load replaces it without refusing a connection.
//
// A few requests may still end in EOF: net/http's Server.Shutdown closes,
// unanswered, a connection whose first request it reads after shutdown
// began, and the host calls Shutdown with its listener still accepting.
// The test application closes its listeners first and then drains, and
// loses nothing (TestSIGHUPUnderLoadFailsNoRequest); the host needs the
// same order.
func TestSuperviseRunsApphostServeAndReloadsUnderLoad(t *testing.T) {
	apphost := harness.Apphost(t)
	app, admin := harness.FreeAddr(t), harness.FreeAddr(t)
	sup := harness.Start(t, apphost, "supervise", "--listen", app, "--admin-listen", admin, "--stop-timeout", "5s",
		"--", apphost, "serve", "--admin-listen", "off")
	sup.WaitListening(t, app, 20*time.Second)

	var seen struct {
		Path string `json:"path"`
		Peer string `json:"peer"`
	}
	resp, err := http.Get("http://" + app + "/through/the/supervisor")
	if err != nil {
		t.Fatal(err)
	}
	err = json.NewDecoder(resp.Body).Decode(&seen)
	resp.Body.Close()
	if err != nil || seen.Path != "/through/the/supervisor" || seen.Peer == "" {
		t.Fatalf("diagnostic answer %+v, %v", seen, err)
	}

	var ok, failed, eofs atomic.Int64
	var firstErr atomic.Value
	stop := make(chan struct{})
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for range 4 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := client.Get("http://" + app + "/")
				if err == nil {
					io.Copy(io.Discard, resp.Body) //nolint:errcheck
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = fmt.Errorf("status %s", resp.Status)
					}
				}
				switch {
				case err == nil:
					ok.Add(1)
				case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
					eofs.Add(1)
				default:
					failed.Add(1)
					firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		})
	}
	served := func(n int64) { waitAnswered(t, &ok, n) }
	served(25)
	if err := sup.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	waitUntil(t, 30*time.Second, "the old application is stopped after SIGHUP", func() bool {
		return strings.Contains(sup.Output(), `"the application stopped"`)
	})
	served(25)
	close(stop)
	wg.Wait()
	if failed.Load() != 0 || ok.Load() == 0 {
		t.Errorf("%d ok, %d failed (first: %v)", ok.Load(), failed.Load(), firstErr.Load())
	}
	if !strings.Contains(sup.Output(), `"the application is ready"`) || strings.Count(sup.Output(), "started the application") != 2 {
		t.Errorf("the reload did not start exactly one new application:\n%s", sup.Output())
	}
	t.Logf("%d requests across the reload, %d closed unanswered by the old host's shutdown", ok.Load(), eofs.Load())
}

// A host-based application's admin address (metrics, /healthz, /readyz)
// during a SIGHUP reload. Both instances run side by side for a moment,
// so a fixed admin port is bound twice: without --hold-admin the new
// instance fails to bind it and the reload fails (the old instance keeps
// serving); with --hold-admin the supervisor holds the admin socket too,
// both instances serve it in turn, and no admin request is refused.
func TestReloadWithTheAppsAdminAddress(t *testing.T) {
	tests := []struct {
		name       string
		holdAdmin  bool
		wantReload bool
	}{
		{"without --hold-admin the new instance cannot bind the admin port", false, false},
		{"with --hold-admin both instances share the admin socket", true, true},
	}
	apphost := harness.Apphost(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			app, appAdmin, supAdmin := harness.FreeAddr(t), harness.FreeAddr(t), harness.FreeAddr(t)
			args := []string{"supervise", "--listen", app, "--admin-listen", supAdmin, "--stop-timeout", "5s"}
			if tt.holdAdmin {
				args = append(args, "--hold-admin")
			}
			cmd := exec.Command(apphost, append(args, "--", apphost, "serve")...)
			// The supervisor and `apphost serve` both read app.admin_listen.
			cmd.Env = append(os.Environ(), "APPHOST_APP_ADMIN_LISTEN="+appAdmin)
			sup := harness.StartCmd(t, cmd)
			sup.WaitListening(t, app, 20*time.Second)
			waitUntil(t, 20*time.Second, "the app's admin address answers", func() bool {
				return adminStatus(appAdmin) == http.StatusOK
			})

			var answered, refused atomic.Int64
			stop := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				for {
					select {
					case <-stop:
						return
					case <-time.After(10 * time.Millisecond):
					}
					// 503 "draining" from the old instance is an answer too.
					if code := adminStatus(appAdmin); code > 0 {
						answered.Add(1)
					} else {
						refused.Add(1)
					}
				}
			})
			if err := sup.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			outcome := `"the application stopped"`
			if !tt.wantReload {
				outcome = `"reload failed: the running application stays"`
			}
			waitUntil(t, 20*time.Second, "the reload ends", func() bool {
				return strings.Contains(sup.Output(), outcome)
			})
			close(stop)
			wg.Wait()
			out := sup.Output()
			t.Logf("admin address across the reload: %d answered, %d not", answered.Load(), refused.Load())
			if tt.wantReload {
				if refused.Load() != 0 || answered.Load() == 0 {
					t.Errorf("admin address across the reload: %d answered, %d not", answered.Load(), refused.Load())
				}
				if strings.Contains(out, "address already in use") || strings.Contains(out, "reload failed") {
					t.Errorf("the new instance did not start cleanly:\n%s", out)
				}
			} else if !strings.Contains(out, "address already in use") {
				t.Errorf("the reload failed for another reason than the admin port:\n%s", out)
			}
			if code := adminStatus(appAdmin); code != http.StatusOK {
				t.Errorf("after the reload the admin address answers %d", code)
			}
			if _, err := http.Get("http://" + app + "/"); err != nil {
				t.Errorf("after the reload the app does not answer: %v", err)
			}
		})
	}
}

// adminStatus is the status of GET /readyz on addr, or 0 when the
// request fails.
func adminStatus(addr string) int {
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get("http://" + addr + "/readyz")
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// waitAnswered waits until n more requests are counted in ok: the load
// reaches the application before the test goes on, however slow the
// machine.
func waitAnswered(t *testing.T, ok *atomic.Int64, n int64) {
	t.Helper()
	target := ok.Load() + n
	waitUntil(t, 30*time.Second, fmt.Sprintf("%d more requests are answered", n), func() bool { return ok.Load() >= target })
}

func waitUntil(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
