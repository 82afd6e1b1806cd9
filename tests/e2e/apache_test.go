package e2e

import (
	"context"
	"crypto/tls"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/integration/apache"
	"github.com/apphost/apphost/tests/harness"
)

// apacheSite is Apache httpd started on the configuration that
// `apphost gen apache` wrote for a deployment.
type apacheSite struct {
	// dir is httpd's server root, holding its error.log.
	dir       string
	cfg       *config.Config
	httpAddr  string
	httpsAddr string
	client    *http.Client
}

// startApacheSite writes the deployment description (yaml, with
// %[1]s for the HTTP address, %[2]s for the HTTPS address, %[3]s and %[4]s
// for a self-signed certificate and key, %[5]s for the HTTP port alone),
// generates the site with the apphost binary, and runs httpd on it in its
// own server root. listen, when given, replaces the Listen lines the
// generator asks for, and its first address is the HTTP address.
func startApacheSite(t *testing.T, yaml string, listen ...string) *apacheSite {
	t.Helper()
	return startApacheSiteWith(t, yaml, nil, listen...)
}

// startApacheSiteWith is startApacheSite with tune, when not nil, adjusting
// the server root before httpd starts.
func startApacheSiteWith(t *testing.T, yaml string, tune func(*apache.ServerRoot), listen ...string) *apacheSite {
	t.Helper()
	harness.RequireProgram(t, "apache2")
	dir := t.TempDir()
	cert := harness.SelfSignedCert(t, dir, "localhost", "127.0.0.1")
	s := &apacheSite{dir: dir, httpAddr: harness.FreeAddr(t), httpsAddr: harness.FreeAddr(t)}
	if len(listen) > 0 {
		s.httpAddr = listen[0]
	}
	desc := filepath.Join(dir, "apphost.yaml")
	if err := os.WriteFile(desc, []byte(fmt.Sprintf(yaml, s.httpAddr, s.httpsAddr, cert.CertFile, cert.KeyFile, s.httpPort())), 0o644); err != nil {
		t.Fatal(err)
	}
	siteDir := filepath.Join(dir, "site")
	gen := exec.Command(harness.Apphost(t), "gen", "apache", "-f", desc, "-o", siteDir)
	if out, err := gen.CombinedOutput(); err != nil {
		t.Fatalf("apphost gen apache: %v\n%s", err, out)
	}
	cfg, err := config.Load(desc)
	if err != nil {
		t.Fatal(err)
	}
	s.cfg = cfg
	root := apache.ServerRoot{
		Dir:     dir,
		Modules: apache.Modules(cfg),
		Listen:  apache.ListenAddresses(cfg),
		Include: []string{filepath.Join(siteDir, cfg.Name+".conf")},
	}
	if len(listen) > 0 {
		root.Listen = listen
	} else {
		listen = []string{s.httpAddr}
		if cfg.Proxy.TLS != nil {
			listen = append(listen, s.httpsAddr)
		}
	}
	if tune != nil {
		tune(&root)
	}
	main, err := root.Write()
	if err != nil {
		t.Fatal(err)
	}
	harness.StartApache(t, dir, main, listen...)

	s.client = &http.Client{
		Timeout:       10 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: cert.Pool}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return s
}

func (s *apacheSite) httpPort() string {
	_, port, _ := net.SplitHostPort(s.httpAddr)
	return port
}

// startServe runs `apphost serve` on a free loopback port with extra
// flags and returns it with its address.
func startServe(t *testing.T, args ...string) (*harness.Process, string) {
	t.Helper()
	addr := harness.FreeAddr(t)
	return harness.Serve(t, addr, append([]string{"--admin-listen", "off"}, args...)...), addr
}

// seen is the part of the diagnostic app's answer these tests read.
type seen struct {
	ClientIP string      `json:"client_ip"`
	PathBase string      `json:"path_base"`
	Path     string      `json:"path"`
	Scheme   string      `json:"scheme"`
	Host     string      `json:"host"`
	Peer     string      `json:"peer"`
	Headers  http.Header `json:"headers"`
}

func getSeen(t *testing.T, c *http.Client, req *http.Request) seen {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s\n%s", req.Method, req.URL, resp.Status, body)
	}
	var s seen
	if err := json.Unmarshal(body, &s); err != nil {
		t.Fatalf("%s: %v\n%s", req.URL, err, body)
	}
	return s
}

const tlsSite = `name: e2e
app:
  listen: [APP]
forwarded:
  forward_limit: 2
proxy:
  server_names: [localhost]
  http_listen: %[1]s
  https_listen: %[2]s
  tls:
    certificate: %[3]s
    certificate_key: %[4]s
`

// TestApacheRealClientAndScheme: behind the generated HTTPS virtual host
// the app sees the client's own address (127.0.0.2 here) and https, and a
// spoofed X-Forwarded-For is dropped at the edge even though the app is
// told to look two hops deep.
func TestApacheRealClientAndScheme(t *testing.T) {
	_, app := startServe(t, "--forward-limit", "2")
	site := startApacheSite(t, strings.ReplaceAll(tlsSite, "APP", app))

	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 2)}, Timeout: 5 * time.Second}
	site.client.Transport.(*http.Transport).DialContext = dialer.DialContext
	_, httpsPort, _ := net.SplitHostPort(site.httpsAddr)
	req, _ := http.NewRequest("GET", "https://localhost:"+httpsPort+"/orders?id=1", nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.66")
	req.Header.Set("X-Forwarded-Proto", "http")
	req.Header.Set("X-Forwarded-Host", "evil.example")
	got := getSeen(t, site.client, req)

	// With forward_limit 2 the app would believe a client-sent
	// X-Forwarded-For that httpd let through; it sees the real client.
	if got.ClientIP != "127.0.0.2" {
		t.Errorf("client_ip = %q, want the client's own 127.0.0.2 (spoofed 203.0.113.66 must not pass)", got.ClientIP)
	}
	if got.Scheme != "https" {
		t.Errorf("scheme = %q, want https", got.Scheme)
	}
	if got.Host != "localhost:"+httpsPort {
		t.Errorf("host = %q, want localhost:%s", got.Host, httpsPort)
	}
	// The host consumed httpd's headers, keeping the hop's own values.
	if v := got.Headers.Get("X-Original-For"); !strings.HasPrefix(v, "127.0.0.1:") || got.Headers.Get("X-Forwarded-For") != "" {
		t.Errorf("X-Original-For = %q, X-Forwarded-For = %q: the forwarded headers were not applied from httpd's hop", v, got.Headers.Get("X-Forwarded-For"))
	}

	// A Host the site does not serve is refused, not proxied.
	other, _ := http.NewRequest("GET", "https://localhost:"+httpsPort+"/", nil)
	other.Host = "evil.example"
	resp, err := site.client.Do(other)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("Host evil.example answered %s, want 403", resp.Status)
	}

	// Plain HTTP is redirected to HTTPS, never proxied.
	_, httpPort, _ := net.SplitHostPort(site.httpAddr)
	resp, err = site.client.Get("http://localhost:" + httpPort + "/orders?id=1")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := "https://localhost:" + httpsPort + "/orders?id=1"; resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
		t.Errorf("http answered %s, Location %q; want 301 to %s", resp.Status, resp.Header.Get("Location"), want)
	}
}

// TestApacheWebsocketRoundTrip: with websockets on, an Upgrade request
// passes through httpd to one upstream, and through the balancer to two,
// and a frame comes back.
func TestApacheWebsocketRoundTrip(t *testing.T) {
	tests := []struct {
		name      string
		upstreams int
	}{
		{"one upstream", 1},
		{"balanced upstreams", 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var backends []string
			for range tc.upstreams {
				backends = append(backends, harness.WebsocketEchoServer(t))
			}
			site := startApacheSite(t, `name: ws
app:
  listen: [`+backends[0]+`]
proxy:
  server_names: [localhost]
  http_listen: %[1]s
  upstreams: [`+strings.Join(backends, ", ")+`]
  websockets: true
`)
			for i := range 2 * tc.upstreams {
				conn, err := net.DialTimeout("tcp", site.httpAddr, 5*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				msg := fmt.Sprintf("hello %d through apache", i)
				reply, err := harness.WebsocketRoundTrip(conn, "localhost", "/chat", msg)
				if err != nil {
					conn.Close()
					t.Fatal(err)
				}
				if reply != msg {
					t.Errorf("echo = %q, want %q", reply, msg)
				}
				if err := harness.WebsocketClose(conn); err != nil {
					t.Errorf("closing the websocket: %v", err)
				}
				conn.Close()
			}
		})
	}
}

// TestApachePrefixOverUnixSocket: an app on a unix socket, mounted under
// /shop, sees the path without the prefix and /shop as its path base;
// /shop alone redirects to /shop/.
func TestApachePrefixOverUnixSocket(t *testing.T) {
	harness.RequireProgram(t, "apache2")
	sockDir := t.TempDir()
	// httpd's workers run as nobody and must reach the socket.
	for _, d := range []string{filepath.Dir(sockDir), sockDir} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	sock := filepath.Join(sockDir, "app.sock")
	harness.Serve(t, "unix:"+sock, "--admin-listen", "off", "--unix-socket-mode", "0666")
	site := startApacheSite(t, `name: shop
app:
  listen: [unix:`+sock+`]
proxy:
  server_names: [localhost]
  http_listen: %[1]s
  path_prefix: /shop
`)
	_, port, _ := net.SplitHostPort(site.httpAddr)
	base := "http://localhost:" + port
	req, _ := http.NewRequest("GET", base+"/shop/cart", nil)
	req.Header.Set("X-Forwarded-Prefix", "/evil")
	got := getSeen(t, site.client, req)
	if got.Path != "/cart" {
		t.Errorf("path = %q, want /cart", got.Path)
	}
	if got.PathBase != "/shop" {
		t.Errorf("path_base = %q, want /shop (a client-sent /evil must not pass)", got.PathBase)
	}
	resp, err := site.client.Get(base + "/shop")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMovedPermanently || !strings.HasSuffix(resp.Header.Get("Location"), "/shop/") {
		t.Errorf("/shop answered %s, Location %q; want 301 to /shop/", resp.Status, resp.Header.Get("Location"))
	}
}

// TestApacheForwardedHeader: with forwarded.headers: forwarded the app
// learns client, scheme and host from the RFC 7239 element httpd builds
// (an IPv6 client quoted and bracketed, as the RFC requires), not from the
// one the client sent.
func TestApacheForwardedHeader(t *testing.T) {
	_, app := startServe(t, "--forwarded-headers", "forwarded")
	probe := harness.FreeAddr(t)
	_, port, _ := net.SplitHostPort(probe)
	v4, v6 := "127.0.0.1:"+port, "[::1]:"+port
	site := startApacheSite(t, `name: rfc
app:
  listen: [`+app+`]
forwarded:
  headers: forwarded
proxy:
  server_names: [localhost]
  http_listen: "%[5]s"
`, v4, v6)
	tests := []struct {
		name, dial, client string
	}{
		{"IPv4 client", v4, "127.0.0.1"},
		{"IPv6 client", v6, "::1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
				DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
					var d net.Dialer
					return d.DialContext(ctx, network, tc.dial)
				},
			}}
			defer client.CloseIdleConnections()
			req, _ := http.NewRequest("GET", "http://localhost:"+port+"/", nil)
			req.Header.Set("Forwarded", "for=203.0.113.66;proto=https")
			got := getSeen(t, client, req)
			if got.ClientIP != tc.client || got.Scheme != "http" || got.Host != "localhost:"+port {
				t.Errorf("app saw client %q, scheme %q, host %q; want %s, http (the client's proto=https dropped), localhost:%s",
					got.ClientIP, got.Scheme, got.Host, tc.client, port)
			}
			if got.Headers.Get("X-Original-For") == "" {
				t.Errorf("the app did not apply a Forwarded header: %v", got.Headers)
			}
		})
	}
	if site.httpAddr != v4 {
		t.Fatalf("site on %s, want %s", site.httpAddr, v4)
	}
}

// TestApacheBalancerSurvivesStoppedInstance: two instances behind the
// generated balancer share the requests; with one stopped, every request
// still succeeds on the other.
func TestApacheBalancerSurvivesStoppedInstance(t *testing.T) {
	first, a := startServe(t)
	second, b := startServe(t)
	site := startApacheSite(t, `name: pair
app:
  listen: [`+a+`]
proxy:
  server_names: [localhost]
  http_listen: %[1]s
  upstreams: [`+a+`, `+b+`]
`)
	_, port, _ := net.SplitHostPort(site.httpAddr)
	url := "http://localhost:" + port + "/"
	const n = 10
	for i := 0; i < n; i++ {
		req, _ := http.NewRequest("GET", url+fmt.Sprintf("round1/%d", i), nil)
		getSeen(t, site.client, req)
	}
	hits := func(p *harness.Process, prefix string) int { return strings.Count(p.Output(), "GET "+prefix) }
	harness.WaitFor(t, 5*time.Second, "both instances logged the first round", func() bool { // the logs arrive through a pipe
		return hits(first, "/round1/")+hits(second, "/round1/") == n
	})
	if hits(first, "/round1/") == 0 || hits(second, "/round1/") == 0 {
		t.Fatalf("requests not shared: first %d, second %d", hits(first, "/round1/"), hits(second, "/round1/"))
	}

	if err := first.Stop(10 * time.Second); err != nil {
		t.Logf("first instance exited: %v", err)
	}
	for i := 0; i < n; i++ {
		req, _ := http.NewRequest("GET", url+fmt.Sprintf("round2/%d", i), nil)
		getSeen(t, site.client, req)
	}
	harness.WaitFor(t, 5*time.Second, "the second instance logged the second round", func() bool { return hits(second, "/round2/") == n })
}

// TestApacheMicrosoftRecipeLosesScheme runs the recipe the checker flags
// (apache/no-forwarded-proto) in real httpd: the X-Forwarded-Proto it sets
// in <VirtualHost *:*> never reaches the app.
func TestApacheMicrosoftRecipeLosesScheme(t *testing.T) {
	harness.RequireProgram(t, "apache2")
	// The app reads no forwarding headers, so they reach its report as sent.
	_, app := startServe(t, "--forwarded-headers", "none")
	recipe, err := os.ReadFile(filepath.Join("..", "..", "integration", "apache", "testdata", "check", "microsoft-docs.conf"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	listen := harness.FreeAddr(t)
	_, port, _ := net.SplitHostPort(listen)
	site := strings.NewReplacer("*:80", "*:"+port, "127.0.0.1:5000", app).Replace(string(recipe))
	sitePath := filepath.Join(dir, "helloapp.conf")
	if err := os.WriteFile(sitePath, []byte("Define APACHE_LOG_DIR "+dir+"/\n"+site), 0o644); err != nil {
		t.Fatal(err)
	}
	root := apache.ServerRoot{Dir: dir, Modules: []string{"headers", "proxy", "proxy_http"}, Listen: []string{listen}, Include: []string{sitePath}}
	main, err := root.Write()
	if err != nil {
		t.Fatal(err)
	}
	harness.StartApache(t, dir, main, listen)

	req, _ := http.NewRequest("GET", "http://"+listen+"/", nil)
	req.Host = "www.example.com"
	got := getSeen(t, &http.Client{Timeout: 10 * time.Second}, req)
	if v := got.Headers.Values("X-Forwarded-Proto"); len(v) != 0 {
		t.Errorf("X-Forwarded-Proto = %q reached the app; the recipe was expected to lose it", v)
	}
	if got.Headers.Get("X-Forwarded-For") == "" {
		t.Errorf("the request did not come through mod_proxy: %+v", got.Headers)
	}
}

// TestApacheUnderLoadHasNoErrors: a few seconds of wrk through the
// generated virtual host end with no socket error, no answer other than
// 2xx, and no proxy error in httpd's log: mod_proxy never sends a request
// down a pooled connection the app has closed.
//
// httpd gets more worker threads per process than wrk has connections,
// and keeps every process it started. mpm_event closes the idle
// keep-alive connections of a process whose threads are all busy (25 by
// default), and of a process it stops for having too many idle threads;
// wrk counts each such close of its own connection as a read error. That
// is httpd's front end at work, not the proxying, and docs/apache.md says
// how to size it.
func TestApacheUnderLoadHasNoErrors(t *testing.T) {
	wrk := harness.RequireProgram(t, "wrk")
	const conns = 50
	_, app := startServe(t, "--access-log", "false")
	site := startApacheSiteWith(t, `name: load
app:
  listen: [`+app+`]
proxy:
  server_names: [localhost]
  http_listen: %[1]s
`, func(r *apache.ServerRoot) { r.ThreadsPerChild = 2 * conns })

	requireWrkClean(t, wrk, conns, "localhost", "http://"+site.httpAddr+"/")
	log, err := os.ReadFile(filepath.Join(site.dir, "error.log"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(log), "\n") {
		if strings.Contains(l, "[proxy") {
			t.Errorf("httpd logged a proxy error: %s", l)
		}
	}
}

// requireWrkClean runs wrk for three seconds with conns connections
// against url, sending host as Host, and fails the test unless every
// answer was 2xx or 3xx and no socket error happened.
func requireWrkClean(t *testing.T, wrk string, conns int, host, url string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, wrk, "-d3s", "-t2", fmt.Sprintf("-c%d", conns), "--timeout", "10s", "--latency",
		"-H", "Host: "+host, url).CombinedOutput()
	if err != nil {
		t.Fatalf("wrk: %v\n%s", err, out)
	}
	res, err := harness.ParseWrk(string(out))
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if res.Requests == 0 {
		t.Fatalf("wrk made no request:\n%s", out)
	}
	if res.SocketErrors() != 0 || res.Non2xx != 0 {
		t.Errorf("%d socket errors, %d answers not 2xx or 3xx\n%s", res.SocketErrors(), res.Non2xx, out)
	}
}

// TestApacheWildcardServerName: a site whose only server name is a
// wildcard starts (httpd refuses a wildcard ServerName) and serves the
// names it covers, while other names are still refused.
func TestApacheWildcardServerName(t *testing.T) {
	_, app := startServe(t)
	site := startApacheSite(t, `name: wild
app:
  listen: [`+app+`]
proxy:
  server_names: ["*.test"]
  http_listen: %[1]s
`)
	for host, want := range map[string]int{"shop.test": http.StatusOK, "a.b.test": http.StatusOK, "shop.example": http.StatusForbidden, "unknown-host.invalid": http.StatusForbidden} {
		req, _ := http.NewRequest("GET", "http://"+site.httpAddr+"/", nil)
		req.Host = host
		resp, err := site.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != want {
			t.Errorf("Host %s: %s, want %d", host, resp.Status, want)
		}
	}
}
