package prometheus

import (
	"encoding/json"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/apphost/apphost/tests/harness"
	"gopkg.in/yaml.v3"
)

// deploy/prometheus holds a valid configuration and valid rules.
func TestDeployPrometheusConfigIsValid(t *testing.T) {
	out, err := harness.Promtool(t, nil, "check", "config", "../../deploy/prometheus/prometheus.yml")
	if err != nil || !strings.Contains(out, "SUCCESS: 1 rule files found") {
		t.Errorf("promtool check config: %v\n%s", err, out)
	}
}

// dashboardQueries returns the PromQL of every panel target of the Grafana
// dashboard, and the metrics its template variables read.
func dashboardQueries(t *testing.T) (exprs, variableMetrics []string) {
	t.Helper()
	data, err := os.ReadFile("../../deploy/grafana/apphost.json")
	if err != nil {
		t.Fatal(err)
	}
	type panel struct {
		Title   string `json:"title"`
		Targets []struct {
			Expr string `json:"expr"`
		} `json:"targets"`
		Panels []json.RawMessage `json:"panels"`
	}
	var dash struct {
		Panels     []panel `json:"panels"`
		Templating struct {
			List []struct {
				Definition string `json:"definition"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatalf("deploy/grafana/apphost.json: %v", err)
	}
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			exprs = append(exprs, tg.Expr)
		}
		if len(p.Panels) > 0 {
			t.Fatalf("panel %q: collapsed rows are not read by this test", p.Title)
		}
	}
	labelValues := regexp.MustCompile(`^label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*),`)
	for _, v := range dash.Templating.List {
		m := labelValues.FindStringSubmatch(v.Definition)
		if m == nil {
			t.Fatalf("template variable %q: label_values(metric, label) expected", v.Definition)
		}
		variableMetrics = append(variableMetrics, m[1])
	}
	return exprs, variableMetrics
}

// ruleQueries returns the expressions of deploy/prometheus/apphost-rules.yml.
func ruleQueries(t *testing.T) []string {
	t.Helper()
	data, err := os.ReadFile("../../deploy/prometheus/apphost-rules.yml")
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Groups []struct {
			Rules []struct {
				Expr string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(data, &rules); err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			out = append(out, r.Expr)
		}
	}
	return out
}

var (
	promStrings  = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	promMatchers = regexp.MustCompile(`\{[^}]*\}`)
	promRanges   = regexp.MustCompile(`\[[^\]]*\]`)
	promGrouping = regexp.MustCompile(`\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	grafanaVars  = regexp.MustCompile(`\$\{?\w+\}?`)
	promNumbers  = regexp.MustCompile(`\b[0-9][0-9a-zA-Z_.]*`) // 0.95, 5m, 1e3
	promIdent    = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*\s*\(?`)
	promKeywords = map[string]bool{"and": true, "or": true, "unless": true, "bool": true, "offset": true, "by": true, "without": true, "inf": true, "nan": true}
)

// metricNames lists the metric names a PromQL expression selects: the
// identifiers that are not functions, keywords, label names or values.
func metricNames(expr string) []string {
	s := promStrings.ReplaceAllString(expr, `""`)
	s = promMatchers.ReplaceAllString(s, "")
	s = promRanges.ReplaceAllString(s, "")
	s = promGrouping.ReplaceAllString(s, "")
	s = grafanaVars.ReplaceAllString(s, "")
	s = promNumbers.ReplaceAllString(s, "")
	var out []string
	for _, m := range promIdent.FindAllString(s, -1) {
		if strings.HasSuffix(m, "(") {
			continue // a function or an aggregation
		}
		if name := strings.TrimSpace(m); !promKeywords[strings.ToLower(name)] {
			out = append(out, name)
		}
	}
	return out
}

func TestMetricNames(t *testing.T) {
	got := metricNames(`histogram_quantile(0.95, sum by (le, http_route) (rate(a_bucket{job=~"$job",x="y{z}"}[$__rate_interval]))) / on(job) b_total offset 5m > bool 0 and c`)
	if strings.Join(got, " ") != "a_bucket b_total c" {
		t.Fatalf("metricNames = %q", got)
	}
}

// grafanaToPromQL replaces the dashboard's variables with values Prometheus
// accepts, so that its queries can be run as they are.
func grafanaToPromQL(expr string) string {
	return strings.NewReplacer("$__rate_interval", "1m", `"$job"`, `".+"`, `"$supervisor_job"`, `".+"`).Replace(expr)
}

// checkDeployQueries proves that every query of the Grafana dashboard and
// of the alerting rules runs on prom and uses only metrics prom has
// scraped from apphost.
func checkDeployQueries(t *testing.T, prom *harness.Prometheus) {
	names, err := prom.LabelValues("__name__")
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, n := range names {
		known[n] = true
	}
	exprs, vars := dashboardQueries(t)
	if len(exprs) < 10 {
		t.Fatalf("the dashboard has %d queries", len(exprs))
	}
	used := map[string]bool{}
	for _, n := range vars {
		used[n] = true
	}
	for _, e := range append(exprs, ruleQueries(t)...) {
		for _, n := range metricNames(e) {
			used[n] = true
		}
		if _, err := prom.Query(grafanaToPromQL(e)); err != nil {
			t.Errorf("Prometheus refuses a deploy query: %v", err)
		}
	}
	var unknown []string
	for n := range used {
		if !known[n] {
			unknown = append(unknown, n)
		}
	}
	sort.Strings(unknown)
	if len(unknown) > 0 {
		t.Errorf("deploy/ queries use metrics apphost does not export: %v", unknown)
	}
	// The dashboard covers what docs/metrics.md promises it shows.
	all := strings.Join(exprs, "\n")
	for _, want := range []string{
		"http_server_request_duration_seconds_count", // request rate
		`http_response_status_code=~"5.."`,           // error ratio
		"histogram_quantile(0.99",                    // latency quantiles
		"apphost_active_connections",                 // connections
		"apphost_forwarded_untrusted_requests_total", // spoofing attempts
		"apphost_supervisor_restarts_total",          // restarts
	} {
		if !strings.Contains(all, want) {
			t.Errorf("the dashboard has no query with %s", want)
		}
	}
}
