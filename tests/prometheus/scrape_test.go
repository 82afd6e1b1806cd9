package prometheus

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

// send makes one request and drains the answer.
func send(t *testing.T, method, url string, header map[string]string) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

// scrape fetches a /metrics page in the text format.
func scrape(t *testing.T, addr string) string {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("scrape %s: %d %v", addr, resp.StatusCode, err)
	}
	return string(body)
}

// checkMetrics runs `promtool check metrics` on a live scrape and fails on
// any problem it reports.
func checkMetrics(t *testing.T, addr string) {
	t.Helper()
	page := scrape(t, addr)
	out, err := harness.Promtool(t, strings.NewReader(page), "check", "metrics")
	if err != nil || strings.TrimSpace(out) != "" {
		t.Errorf("promtool check metrics on %s: %v\n%s", addr, err, out)
	}
}

// TestPrometheusCountsTheRequestsSent runs the whole stack: `apphost
// supervise` holds the public socket and runs `apphost serve`; a real
// Prometheus scrapes both admin addresses every second. The number of
// requests Prometheus reports is the number sent, per scheme and method,
// the supervisor's child is up, and both pages pass promtool's lint.
func TestPrometheusCountsTheRequestsSent(t *testing.T) {
	bin := harness.Apphost(t)
	public, appAdmin, supAdmin := harness.FreeAddr(t), harness.FreeAddr(t), harness.FreeAddr(t)
	sup := harness.Start(t, bin, "supervise", "--listen", public, "--admin-listen", supAdmin, "--",
		bin, "serve", "--admin-listen", appAdmin, "--access-log", "false")
	sup.WaitListening(t, supAdmin, 30*time.Second)
	sup.WaitListening(t, appAdmin, 30*time.Second)

	prom := harness.StartPrometheus(t,
		harness.ScrapeConfig("apphost", appAdmin),
		harness.ScrapeConfig("apphost-supervisor", supAdmin))
	prom.WaitQuery(t, `sum(up{job=~"apphost|apphost-supervisor"})`, 2, 60*time.Second)

	const plain, https, other = 17, 6, 3
	for i := range plain {
		send(t, "GET", fmt.Sprintf("http://%s/item/%d", public, i), nil)
	}
	for range https {
		// From loopback, a trusted proxy by default.
		send(t, "POST", "http://"+public+"/", map[string]string{"X-Forwarded-Proto": "https"})
	}
	for range other {
		send(t, "BREW", "http://"+public+"/", nil)
	}

	const total = plain + https + other
	prom.WaitQuery(t, `sum(http_server_request_duration_seconds_count{job="apphost"})`, total, 60*time.Second)
	prom.WaitQuery(t, `sum(http_server_request_duration_seconds_count{job="apphost",url_scheme="https",http_request_method="POST"})`, https, 60*time.Second)
	prom.WaitQuery(t, `sum(http_server_request_duration_seconds_count{job="apphost",http_request_method="_OTHER"})`, other, 60*time.Second)
	prom.WaitQuery(t, `count(count by (http_route) (http_server_request_duration_seconds_count{job="apphost"}))`, 1, 10*time.Second)
	prom.WaitQuery(t, `apphost_supervisor_child_up{job="apphost-supervisor"}`, 1, 60*time.Second)
	prom.WaitQuery(t, `count(apphost_supervisor_child_process_cpu_seconds_total{job="apphost-supervisor"})`, 1, 60*time.Second)

	checkMetrics(t, appAdmin)
	checkMetrics(t, supAdmin)
	t.Run("the dashboard and the alerting rules use only exported metrics", func(t *testing.T) {
		checkDeployQueries(t, prom)
	})

	if err := sup.Stop(30 * time.Second); err != nil {
		t.Errorf("supervise did not stop cleanly: %v", err)
	}
}

// `apphost serve --pprof` serves the profiles on the admin address; without
// the flag they are absent, and they are never on the public address.
func TestServePprofFlag(t *testing.T) {
	for _, tt := range []struct {
		args  []string
		admin int
	}{
		{nil, 404},
		{[]string{"--pprof"}, 200},
		{[]string{"--pprof=false"}, 404},
	} {
		t.Run(strings.Join(append([]string{"serve"}, tt.args...), " "), func(t *testing.T) {
			public, admin := harness.FreeAddr(t), harness.FreeAddr(t)
			p := harness.Serve(t, public, append([]string{"--admin-listen", admin, "--access-log=false"}, tt.args...)...)
			p.WaitListening(t, admin, 30*time.Second)
			for addr, want := range map[string]int{admin: tt.admin, public: 200} {
				resp, err := http.Get("http://" + addr + "/debug/pprof/goroutine?debug=1")
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				// The public address answers with the diagnostic application's
				// report, never with a profile.
				if resp.StatusCode != want || strings.Contains(string(body), "goroutine profile:") != (addr == admin && want == 200) {
					t.Errorf("%s: %d %.60q, want %d", addr, resp.StatusCode, body, want)
				}
			}
		})
	}
}

// `apphost serve` refuses to start with its admin address on a public one:
// /metrics would become reachable through the proxy.
func TestServeRefusesAdminOnAPublicAddress(t *testing.T) {
	addr := harness.FreeAddr(t)
	cmd := exec.Command(harness.Apphost(t), "serve", "--listen", addr, "--admin-listen", addr)
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 2 || !strings.Contains(string(out), "app.admin_listen: "+addr+" is also a public listener") {
		t.Fatalf("%v, exit %v:\n%s", err, exit, out)
	}
}
