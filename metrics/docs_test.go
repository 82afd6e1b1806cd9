package metrics_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/apphost/apphost/host"
	"github.com/apphost/apphost/metrics"
	"github.com/apphost/apphost/supervisor"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
)

// family is a metric family as docs/metrics.md lists it.
type family struct {
	typ    string   // counter, gauge, histogram, summary
	labels []string // sorted
	help   string
}

// recorder is a Registerer that keeps what is registered, so that the
// families of collectors that report nothing yet are known too.
type recorder struct {
	prometheus.Registerer
	collectors []prometheus.Collector
}

func (r *recorder) Register(c prometheus.Collector) error {
	r.collectors = append(r.collectors, c)
	return r.Registerer.Register(c)
}

func (r *recorder) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			panic(err)
		}
	}
}

var descName = regexp.MustCompile(`fqName: "([^"]+)"`)

// exported gathers every metric family a host and a supervisor export: the
// host's after one request and one scrape, the supervisor's from its
// collectors' descriptions (its child's process metrics exist only while a
// child runs).
func exported(t *testing.T) map[string]family {
	t.Helper()
	s, err := host.New(http.NotFoundHandler(), host.Options{
		Listen: []string{"127.0.0.1:0"}, AdminListen: "127.0.0.1:0", AccessLog: io.Discard, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := contextWithCancel()
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	defer func() { cancel(); <-done }()
	for _, u := range []string{"http://" + s.Addrs()[0].String() + "/", "http://" + s.AdminAddr().String() + "/metrics"} {
		resp, err := http.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	out := map[string]family{}
	add := func(g prometheus.Gatherer) {
		mfs, err := g.Gather()
		if err != nil {
			t.Fatal(err)
		}
		for _, mf := range mfs {
			f := family{typ: strings.ToLower(mf.GetType().String()), help: mf.GetHelp()}
			if mf.GetType() == dto.MetricType_GAUGE_HISTOGRAM {
				f.typ = "gaugehistogram"
			}
			seen := map[string]bool{}
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if !seen[l.GetName()] {
						seen[l.GetName()] = true
						f.labels = append(f.labels, l.GetName())
					}
				}
			}
			sort.Strings(f.labels)
			out[mf.GetName()] = f
		}
	}
	add(s.Metrics())

	supReg := prometheus.NewRegistry()
	rec := &recorder{Registerer: supReg}
	if _, err := supervisor.NewMetrics(rec); err != nil {
		t.Fatal(err)
	}
	if err := metrics.RegisterRuntime(rec); err != nil {
		t.Fatal(err)
	}
	metrics.Handler(supReg) // registers the scrape counters
	add(supReg)
	ch := make(chan *prometheus.Desc, 100)
	go func() {
		for _, c := range rec.collectors {
			c.Describe(ch)
		}
		close(ch)
	}()
	for d := range ch {
		m := descName.FindStringSubmatch(d.String())
		if m == nil {
			t.Fatalf("no name in %s", d)
		}
		if _, ok := out[m[1]]; !ok {
			out[m[1]] = family{typ: "?"} // the type shows in the doc's row
		}
	}
	return out
}

// docRows reads the metric tables of docs/metrics.md: name → type and
// labels as written.
func docRows(t *testing.T) map[string][2]string {
	t.Helper()
	data, err := os.ReadFile("../docs/metrics.md")
	if err != nil {
		t.Fatal(err)
	}
	row := regexp.MustCompile("(?m)^\\| `([a-z_:]+)` \\| (counter|gauge|histogram|summary) \\| ([^|]*) \\|")
	out := map[string][2]string{}
	for _, m := range row.FindAllStringSubmatch(string(data), -1) {
		out[m[1]] = [2]string{m[2], strings.TrimSpace(m[3])}
	}
	return out
}

// docs/metrics.md lists every metric family apphost exports, with its type
// and labels; a family it lists that nothing exports is an error too.
func TestDocsListEveryMetric(t *testing.T) {
	got := exported(t)
	doc := docRows(t)
	var missing []string
	for name, f := range got {
		row, ok := doc[name]
		if !ok {
			labels := "—"
			if len(f.labels) > 0 {
				labels = "`" + strings.Join(f.labels, "`, `") + "`"
			}
			missing = append(missing, "| `"+name+"` | "+f.typ+" | "+labels+" | "+f.help+" |")
			continue
		}
		if f.typ != "?" && row[0] != f.typ {
			t.Errorf("docs/metrics.md: %s is a %s, not a %s", name, f.typ, row[0])
		}
		for _, l := range f.labels {
			if !strings.Contains(row[1], "`"+l+"`") {
				t.Errorf("docs/metrics.md: the row of %s does not name its label %s", name, l)
			}
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Errorf("docs/metrics.md lacks %d metrics:\n%s", len(missing), strings.Join(missing, "\n"))
	}
	for name := range doc {
		if _, ok := got[name]; !ok {
			t.Errorf("docs/metrics.md lists %s, which apphost does not export", name)
		}
	}
}

func contextWithCancel() (context.Context, context.CancelFunc) {
	return context.WithCancel(context.Background())
}
