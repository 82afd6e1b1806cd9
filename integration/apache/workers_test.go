package apache

import (
	"bytes"
	"context"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

// workerCases are configurations whose last ProxyPass has timeout=2, and
// the parameters its worker ends up with. shared is set when the
// ProxyPass shares a worker defined before it in the same server
// configuration, so that httpd ignores its own parameters with warning
// AH01146. A virtual host's ProxyPass that uses a worker of the main
// server warns nothing, as httpd merges the main server's workers only
// once the configuration is read; TestProxyWorkersAtRequestTime shows
// which one it uses.
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

	// Workers are kept per server configuration: another virtual host's
	// do not reach a ProxyPass, the main server's do.
	{
		name:   "another virtual host's <Proxy> is another worker",
		conf:   "<VirtualHost *:80>\n    ServerName a.test\n    <Proxy \"http://127.0.0.1:5000/\">\n        ProxySet ttl=60 timeout=120\n    </Proxy>\n</VirtualHost>\n<VirtualHost *:80>\n    ServerName b.test\n    ProxyPass / http://127.0.0.1:5000/ ttl=60 timeout=2\n</VirtualHost>\n",
		params: map[string]string{"ttl": "60", "timeout": "2"},
	},
	{
		name:   "another virtual host's ProxyPass is another worker",
		conf:   "<VirtualHost *:80>\n    ServerName a.test\n    ProxyPass / http://127.0.0.1:5000/ ttl=60\n</VirtualHost>\n<VirtualHost *:80>\n    ServerName b.test\n    ProxyPass / http://127.0.0.1:5000/ timeout=2\n</VirtualHost>\n",
		params: map[string]string{"timeout": "2"},
	},
	{
		name:   "the main server's <Proxy> wins over a virtual host's worker with the same URL",
		conf:   "<Proxy \"http://127.0.0.1:5000/\">\n    ProxySet ttl=60\n</Proxy>\n<VirtualHost *:80>\n    ProxyPass / http://127.0.0.1:5000/ timeout=2\n</VirtualHost>\n",
		params: map[string]string{"ttl": "60"},
	},
	{
		name:   "a virtual host's longer worker wins over the main server's",
		conf:   "<Proxy \"http://127.0.0.1:5000/\">\n    ProxySet ttl=60\n</Proxy>\n<VirtualHost *:80>\n    ProxyPass / http://127.0.0.1:5000/app/ timeout=2\n</VirtualHost>\n",
		params: map[string]string{"timeout": "2"},
	},

	// A Unix socket worker is named by the URL after the bar.
	{
		name:   "ProxySet in <Proxy> with the same Unix socket URL wins",
		conf:   "<Proxy \"unix:/run/app/app.sock|http://localhost/\">\n    ProxySet ttl=60\n</Proxy>\nProxyPass / unix:/run/app/app.sock|http://localhost/ timeout=2\n",
		params: map[string]string{"ttl": "60"},
		shared: true,
	},
	{
		name:   "a Unix socket URL with scheme and host in another case",
		conf:   "<Proxy \"unix:/run/app/app.sock|HTTP://LocalHost/\">\n    ProxySet ttl=60\n</Proxy>\nProxyPass /x unix:/run/app/app.sock|http://localhost/x/ timeout=2\n",
		params: map[string]string{"ttl": "60"},
		shared: true,
	},
	{
		name:   "Unix socket URLs differing only in their socket share a worker",
		conf:   "ProxyPass /a unix:/run/a.sock|http://localhost/ ttl=60\nProxyPass /b unix:/run/b.sock|http://localhost/ timeout=2\n",
		params: map[string]string{"ttl": "60"},
		shared: true,
	},
	{
		name:   "a Unix socket URL shares the TCP worker of the URL after the bar",
		conf:   "ProxyPass /a http://localhost/ ttl=60\nProxyPass /b unix:/run/b.sock|http://localhost/ timeout=2\n",
		params: map[string]string{"ttl": "60"},
		shared: true,
	},
	{
		name:   "a Unix socket URL with another path after the bar is another worker",
		conf:   "<Proxy \"unix:/run/app/app.sock|http://localhost/App/\">\n    ProxySet ttl=60\n</Proxy>\nProxyPass /x unix:/run/app/app.sock|http://localhost/app/ timeout=2\n",
		params: map[string]string{"timeout": "2"},
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

// TestProxyWorkersAtRequestTime sends requests through a real httpd to a
// backend that answers after 2 s, with each ProxyPass's worker given
// timeout=1 or timeout=10 by a different arrangement of virtual hosts and
// the main server: proxyWorkers must give each the worker httpd uses, and
// httpd answers 502 exactly when that worker has timeout=1.
func TestProxyWorkersAtRequestTime(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a slow backend")
	}
	harness.RequireProgram(t, "apache2")
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(2 * time.Second)
		io.WriteString(w, "slow")
	}))
	defer backend.Close()
	b := backend.URL
	site := "<Proxy \"" + b + "/main/\">\n    ProxySet timeout=10\n</Proxy>\n" +
		"<Proxy \"" + b + "/other/\">\n    ProxySet timeout=10\n</Proxy>\n" +
		"<Proxy \"" + b + "/x/long/\">\n    ProxySet timeout=10\n</Proxy>\n" +
		"<VirtualHost *:*>\n    ServerName a.test\n" +
		"    <Proxy \"" + b + "/a/\">\n        ProxySet timeout=10\n    </Proxy>\n</VirtualHost>\n" +
		"<VirtualHost *:*>\n    ServerName b.test\n" +
		"    <Proxy \"" + b + "/x/\">\n        ProxySet timeout=1\n    </Proxy>\n" +
		"    ProxyPass /a/ " + b + "/a/ timeout=1\n" +
		"    ProxyPass /main/ " + b + "/main/ timeout=1\n" +
		"    ProxyPass /deep/ " + b + "/other/deep/ timeout=1\n" +
		"    ProxyPass /long/ " + b + "/x/long/\n" +
		"</VirtualHost>\n"
	loaded := loadText(t, site)
	path := loaded.Files[0]
	dir := filepath.Dir(path)
	// The ProxyPass path, and the worker timeout httpd gives it.
	want := map[string]string{
		"/a/":    "1",  // a.test's <Proxy> does not reach b.test
		"/main/": "10", // the main server's worker wins a tie
		"/deep/": "1",  // b.test's longer worker wins over the main server's
		"/long/": "10", // the main server's longer worker wins over b.test's
	}
	for d, w := range proxyWorkers(loaded.Directives) {
		if got := w.params["timeout"]; got != want[d.Arg(0)] {
			t.Errorf("proxyWorkers gives ProxyPass %s timeout=%s, want timeout=%s", d.Arg(0), got, want[d.Arg(0)])
		}
	}
	addr := harness.FreeAddr(t)
	root := ServerRoot{Dir: dir, Modules: []string{"proxy", "proxy_http"}, Listen: []string{addr}, Include: []string{path}}
	main, err := root.Write()
	if err != nil {
		t.Fatal(err)
	}
	harness.StartApache(t, dir, main, addr)
	client := &http.Client{Timeout: 15 * time.Second}
	var wg sync.WaitGroup
	for prefix, timeout := range want {
		status := http.StatusOK
		if timeout == "1" {
			status = http.StatusBadGateway
		}
		wg.Go(func() {
			req, err := http.NewRequest(http.MethodGet, "http://"+addr+prefix, nil)
			if err != nil {
				t.Error(err)
				return
			}
			req.Host = "b.test"
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != status {
				t.Errorf("GET %s: httpd answers %d, want %d (worker timeout=%s)", prefix, resp.StatusCode, status, timeout)
			}
		})
	}
	wg.Wait()
}
