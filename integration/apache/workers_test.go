package apache

import (
	"bytes"
	"context"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

// workerCases are configurations whose last line is a ProxyPass with
// timeout=2, and the parameters its worker ends up with. shared is set
// when the ProxyPass shares a worker defined before it, so that httpd
// ignores its own parameters with warning AH01146.
var workerCases = []struct {
	name   string
	conf   string
	params map[string]string
	shared bool
}{
	{
		name:   "a worker of its own",
		conf:   "ProxyPass / http://127.0.0.1:5000/ timeout=2\n",
		params: map[string]string{"timeout": "2"},
	},
	{
		name:   "ProxySet in <Proxy> with the same URL wins",
		conf:   "<Proxy \"http://127.0.0.1:5000/\">\n    ProxySet ttl=60 timeout=500\n</Proxy>\nProxyPass / http://127.0.0.1:5000/ timeout=2\n",
		params: map[string]string{"ttl": "60", "timeout": "500"},
		shared: true,
	},
	{
		name:   "sharing drops a parameter ProxySet does not give",
		conf:   "<Proxy \"http://127.0.0.1:5000/\">\n    ProxySet ttl=60\n</Proxy>\nProxyPass / http://127.0.0.1:5000/ timeout=2\n",
		params: map[string]string{"ttl": "60"},
		shared: true,
	},
	{
		name:   "a <Proxy> URL that is a prefix of the ProxyPass URL",
		conf:   "<Proxy \"http://127.0.0.1:5000\">\n    ProxySet ttl=60\n</Proxy>\nProxyPass /x http://127.0.0.1:5000/app/ timeout=2\n",
		params: map[string]string{"ttl": "60"},
		shared: true,
	},
	{
		name:   "a later <Proxy> that an existing worker covers changes that worker",
		conf:   "<Proxy \"http://127.0.0.1:5000\">\n    ProxySet ttl=60\n</Proxy>\n<Proxy \"http://127.0.0.1:5000/app/\">\n    ProxySet ttl=30\n</Proxy>\nProxyPass /x http://127.0.0.1:5000/app/ timeout=2\n",
		params: map[string]string{"ttl": "30"},
		shared: true,
	},
	{
		name:   "scheme and host in another case",
		conf:   "<Proxy \"HTTP://127.0.0.1:5000/\">\n    ProxySet ttl=60\n</Proxy>\nProxyPass / http://127.0.0.1:5000/ timeout=2\n",
		params: map[string]string{"ttl": "60"},
		shared: true,
	},
	{
		name:   "a path in another case is another worker",
		conf:   "<Proxy \"http://127.0.0.1:5000/App/\">\n    ProxySet ttl=60\n</Proxy>\nProxyPass /x http://127.0.0.1:5000/app/ timeout=2\n",
		params: map[string]string{"timeout": "2"},
	},
	{
		name:   "a trailing slash the ProxyPass URL lacks is another worker",
		conf:   "<Proxy \"http://127.0.0.1:5000/\">\n    ProxySet ttl=60\n</Proxy>\nProxyPass /x http://127.0.0.1:5000 timeout=2\n",
		params: map[string]string{"timeout": "2"},
	},
	{
		name:   "a <Proxy> URL longer than the ProxyPass URL is another worker",
		conf:   "<Proxy \"http://127.0.0.1:5000/app/\">\n    ProxySet ttl=60\n</Proxy>\nProxyPass /x http://127.0.0.1:5000/ timeout=2\n",
		params: map[string]string{"timeout": "2"},
	},
	{
		name:   "a later ProxyPass shares an earlier one's worker",
		conf:   "ProxyPass /a http://127.0.0.1:5000/ ttl=60\nProxyPass /b http://127.0.0.1:5000/b/ timeout=2\n",
		params: map[string]string{"ttl": "60"},
		shared: true,
	},
}

// TestProxyWorkers: each ProxyPass gets the parameters of the worker
// httpd gives it.
func TestProxyWorkers(t *testing.T) {
	for _, tc := range workerCases {
		t.Run(tc.name, func(t *testing.T) {
			loaded := loadText(t, tc.conf)
			pass := lastProxyPass(t, loaded)
			w := proxyWorkers(loaded.Directives)[pass]
			if w == nil {
				t.Fatalf("no worker for %s", strings.Join(pass.Args, " "))
			}
			if !maps.Equal(w.params, tc.params) {
				t.Errorf("worker parameters %v, want %v", w.params, tc.params)
			}
		})
	}
	// ProxySet after the ProxyPass sets its values on the worker too.
	loaded := loadText(t, "ProxyPass / http://127.0.0.1:5000/ timeout=2 ttl=60\n<Proxy \"http://127.0.0.1:5000/app/\">\n    ProxySet timeout=500\n</Proxy>\n")
	w := proxyWorkers(loaded.Directives)[loaded.Directives[0]]
	if want := map[string]string{"timeout": "500", "ttl": "60"}; w == nil || !maps.Equal(w.params, want) {
		t.Errorf("worker after a later ProxySet: %+v, want parameters %v", w, want)
	}
}

// TestProxyWorkersAgreeWithHTTPD runs workerCases through the real
// apache2 -t, which warns AH01146 exactly when a ProxyPass shares a
// worker and its own parameters are ignored.
func TestProxyWorkersAgreeWithHTTPD(t *testing.T) {
	apache2 := harness.RequireProgram(t, "apache2")
	for _, tc := range workerCases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			site := filepath.Join(dir, "site.conf")
			if err := os.WriteFile(site, []byte(tc.conf), 0o644); err != nil {
				t.Fatal(err)
			}
			root := ServerRoot{Dir: dir, Modules: []string{"proxy", "proxy_http"}, Include: []string{site}}
			main, err := root.Write()
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			var out bytes.Buffer
			cmd := exec.CommandContext(ctx, apache2, "-t", "-f", main)
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				t.Fatalf("apache2 -t: %v\n%s", err, out.String())
			}
			if warned := strings.Contains(out.String(), "AH01146"); warned != tc.shared {
				t.Errorf("httpd warns of worker sharing: %v, want %v:\n%s", warned, tc.shared, out.String())
			}
		})
	}
}

// TestWorkerTimeUnits: httpd reads timeout= and ttl= in whole seconds,
// and a finding says so when the value carries a unit.
func TestWorkerTimeUnits(t *testing.T) {
	for v, want := range map[string]time.Duration{"60": time.Minute, "500ms": 500 * time.Second, "1.5": time.Second, " +2x": 2 * time.Second} {
		if got, ok := workerSeconds(v); !ok || got != want {
			t.Errorf("workerSeconds(%q) = %s, %v; want %s", v, got, ok, want)
		}
	}
	for _, v := range []string{"", "0", "-1", "abc", "ms", "99999999999"} {
		if got, ok := workerSeconds(v); ok {
			t.Errorf("workerSeconds(%q) = %s; want it refused", v, got)
		}
	}
	got := checkText(t, edit(t, "ttl=60\n", "ttl=60 timeout=500ms\n"), goodYAML)
	if len(got) != 1 || got[0].Rule != RuleProxyTimeout || !strings.Contains(got[0].Message, "8m20s") {
		t.Errorf("want one %s saying timeout=500ms is 8m20s, got:\n%s", RuleProxyTimeout, list(got))
	}
}

func loadText(t *testing.T, conf string) *Config {
	t.Helper()
	path := filepath.Join(t.TempDir(), "site.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load([]string{path}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return loaded
}

func lastProxyPass(t *testing.T, cfg *Config) *Directive {
	t.Helper()
	var last *Directive
	Walk(cfg.Directives, func(d *Directive, _ []*Directive) {
		if !d.IsSection && d.Is("ProxyPass") {
			last = d
		}
	})
	if last == nil {
		t.Fatal("no ProxyPass")
	}
	return last
}
