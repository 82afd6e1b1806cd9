package harness

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Prometheus is a Prometheus server started by a test, with its
// configuration and storage in a temporary directory.
type Prometheus struct {
	*Process
	// URL is the server's base URL, http://127.0.0.1:PORT.
	URL string
	// Dir holds prometheus.yml and the data directory.
	Dir string
}

// ScrapeConfig is the scrape_configs entry of a job scraping targets
// ("host:port") at /metrics every second.
func ScrapeConfig(job string, targets ...string) string {
	quoted := make([]string, len(targets))
	for i, t := range targets {
		quoted[i] = strconv.Quote(t)
	}
	return fmt.Sprintf("  - job_name: %q\n    static_configs:\n      - targets: [%s]\n", job, strings.Join(quoted, ", "))
}

// StartPrometheus runs Debian's prometheus on a free loopback port with a
// global scrape interval of one second and the given scrape_configs
// entries (see ScrapeConfig), storage in a temporary directory. It waits
// until the server reports ready (/-/ready) and stops it when the test
// ends. Without prometheus installed the test fails under CI and is
// skipped otherwise.
func StartPrometheus(t testing.TB, scrapeConfigs ...string) *Prometheus {
	t.Helper()
	bin := RequireProgram(t, "prometheus")
	dir := t.TempDir()
	conf := "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n" + strings.Join(scrapeConfigs, "")
	path := filepath.Join(dir, "prometheus.yml")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	addr := FreeAddr(t)
	p := &Prometheus{URL: "http://" + addr, Dir: dir}
	p.Process = Start(t, bin,
		"--config.file="+path,
		"--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr,
		"--log.level=warn",
	)
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, err := http.Get(p.URL + "/-/ready")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p
			}
		}
		select {
		case <-p.Done():
			t.Fatalf("prometheus exited before it was ready:\n%s\nconfiguration:\n%s", p.Output(), conf)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("prometheus not ready within 60s:\n%s", p.Output())
		}
	}
}

// Query evaluates expr now through the HTTP API (/api/v1/query). It
// returns the value of each series of the instant vector, keyed by its
// labels as Prometheus prints them ({} for none).
func (p *Prometheus) Query(expr string) (map[string]float64, error) {
	resp, err := http.Get(p.URL + "/api/v1/query?query=" + url.QueryEscape(expr))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	var r struct {
		Status string `json:"status"`
		Error  string `json:"error"`
		Data   struct {
			ResultType string `json:"resultType"`
			Result     []struct {
				Metric map[string]string `json:"metric"`
				Value  [2]any            `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return nil, fmt.Errorf("query %s: %v: %s", expr, err, body)
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("query %s: %s", expr, r.Error)
	}
	if r.Data.ResultType != "vector" {
		return nil, fmt.Errorf("query %s: a %s, not a vector", expr, r.Data.ResultType)
	}
	out := map[string]float64{}
	for _, s := range r.Data.Result {
		v, ok := s.Value[1].(string)
		if !ok {
			return nil, fmt.Errorf("query %s: value %v", expr, s.Value)
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return nil, fmt.Errorf("query %s: value %q", expr, v)
		}
		out[fmt.Sprint(s.Metric)] = f
	}
	return out, nil
}

// WaitQuery polls expr, a query returning a single series, until its
// value is want, and fails the test when that has not happened within
// timeout. It returns the last value seen.
func (p *Prometheus) WaitQuery(t testing.TB, expr string, want float64, timeout time.Duration) float64 {
	t.Helper()
	deadline := time.Now().Add(timeout)
	last := -1.0
	for {
		res, err := p.Query(expr)
		if err == nil && len(res) == 1 {
			for _, v := range res {
				last = v
			}
			if last == want {
				return last
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v after %s (last error %v), want %v\nprometheus output:\n%s", expr, res, timeout, err, want, p.Output())
		}
		select {
		case <-p.Done():
			t.Fatalf("prometheus exited:\n%s", p.Output())
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// Targets returns the health of each scrape target, keyed by its scrape
// URL, as /api/v1/targets reports it ("up", "down", "unknown"), with the
// last scrape error.
func (p *Prometheus) Targets() (map[string]string, error) {
	resp, err := http.Get(p.URL + "/api/v1/targets")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Data struct {
			ActiveTargets []struct {
				ScrapeURL string `json:"scrapeUrl"`
				Health    string `json:"health"`
				LastError string `json:"lastError"`
			} `json:"activeTargets"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, a := range r.Data.ActiveTargets {
		out[a.ScrapeURL] = strings.TrimSpace(a.Health + " " + a.LastError)
	}
	return out, nil
}

// Promtool runs promtool with args and returns its combined output and
// exit error. Without promtool installed the test fails under CI and is
// skipped otherwise.
func Promtool(t testing.TB, stdin io.Reader, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(RequireProgram(t, "promtool"), args...)
	cmd.Stdin = stdin
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// LabelValues returns the values of a label across every series Prometheus
// holds (/api/v1/label/NAME/values); "__name__" gives the metric names.
func (p *Prometheus) LabelValues(label string) ([]string, error) {
	resp, err := http.Get(p.URL + "/api/v1/label/" + url.PathEscape(label) + "/values")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r struct {
		Status string   `json:"status"`
		Error  string   `json:"error"`
		Data   []string `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, err
	}
	if r.Status != "success" {
		return nil, fmt.Errorf("label %s: %s", label, r.Error)
	}
	return r.Data, nil
}
