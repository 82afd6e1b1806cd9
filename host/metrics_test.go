package host

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/forwarded"
	"github.com/apphost/apphost/metrics"
	"github.com/apphost/apphost/tests/harness"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

// sample returns the value of the metric name whose labels include want
// ("k=v" pairs): a counter's or gauge's value, a histogram's count. ok is
// false when no such series exists.
func sample(t *testing.T, g prometheus.Gatherer, name string, want ...string) (v float64, ok bool) {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	next:
		for _, m := range mf.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			for _, kv := range want {
				k, v, _ := strings.Cut(kv, "=")
				if labels[k] != v {
					continue next
				}
			}
			switch mf.GetType() {
			case dto.MetricType_HISTOGRAM:
				return float64(m.GetHistogram().GetSampleCount()), true
			case dto.MetricType_GAUGE:
				return m.GetGauge().GetValue(), true
			default:
				return m.GetCounter().GetValue(), true
			}
		}
	}
	return 0, false
}

func value(t *testing.T, g prometheus.Gatherer, name string, want ...string) float64 {
	t.Helper()
	v, _ := sample(t, g, name, want...)
	return v
}

// The admin address serves /metrics from the host's registry, lint-clean;
// the public address does not.
func TestMetricsOnTheAdminAddressOnly(t *testing.T) {
	s := startServer(t, testApp(), Options{})
	admin := "http://" + s.AdminAddr().String()
	public := "http://" + s.Addrs()[0].String()
	get(t, http.DefaultClient, public+"/")

	status, body := get(t, http.DefaultClient, admin+"/metrics")
	if status != 200 {
		t.Fatalf("admin /metrics: %d", status)
	}
	for _, name := range []string{"http_server_request_duration_seconds_bucket", "apphost_active_connections", "apphost_forwarded_untrusted_requests_total", "go_goroutines", "process_cpu_seconds_total", "go_build_info"} {
		if !strings.Contains(body, name) {
			t.Errorf("/metrics lacks %s", name)
		}
	}
	if status, _ := get(t, http.DefaultClient, public+"/metrics"); status != 404 {
		t.Errorf("public /metrics: %d, want 404", status)
	}
	if problems, err := testutil.GatherAndLint(s.Metrics()); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
	// OpenMetrics when asked for.
	req, _ := http.NewRequest("GET", admin+"/metrics", nil)
	req.Header.Set("Accept", "application/openmetrics-text;version=1.0.0")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/openmetrics-text") || !strings.HasSuffix(string(page), "# EOF\n") {
		t.Errorf("OpenMetrics not negotiated: %s", ct)
	}
}

// Requests through the whole chain count with the pattern of the
// application's mux and the scheme a trusted proxy forwarded.
func TestRequestMetricsThroughTheChain(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /users/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.PathValue("id")) })
	reg := prometheus.NewRegistry()
	app := prometheus.NewCounter(prometheus.CounterOpts{Name: "app_things_total", Help: "Things."})
	reg.MustRegister(app)
	s := startServer(t, mux, Options{Metrics: reg})
	public := "http://" + s.Addrs()[0].String()
	for i := range 5 {
		req, _ := http.NewRequest("GET", fmt.Sprintf("%s/users/%d", public, i), nil)
		if i < 2 {
			req.Header.Set("X-Forwarded-Proto", "https")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	get(t, http.DefaultClient, public+"/nowhere/"+strings.Repeat("x", 20))
	for _, tt := range []struct {
		scheme, route, status string
		want                  float64
	}{{"https", "/users/{id}", "200", 2}, {"http", "/users/{id}", "200", 3}, {"http", "", "404", 1}} {
		if v := value(t, reg, "http_server_request_duration_seconds", "url_scheme="+tt.scheme, "http_route="+tt.route, "http_response_status_code="+tt.status); v != tt.want {
			t.Errorf("%s %q %s: %v requests, want %v", tt.scheme, tt.route, tt.status, v, tt.want)
		}
	}
	app.Inc()
	if _, body := get(t, http.DefaultClient, "http://"+s.AdminAddr().String()+"/metrics"); !strings.Contains(body, "app_things_total 1") {
		t.Error("the application's own metric is not on /metrics")
	}
	if s.Metrics() != reg {
		t.Error("Metrics() is not the registry passed in")
	}
	// A New that fails leaves the registry as it was: a second try with a
	// free address works.
	fresh := prometheus.NewRegistry()
	if _, err := New(mux, Options{Listen: []string{s.Addrs()[0].String()}, AdminListen: AdminOff, Metrics: fresh}); err == nil {
		t.Fatal("New on an address in use succeeded")
	}
	if mfs, _ := fresh.Gather(); len(mfs) != 0 {
		t.Errorf("a failed New left %d metric families registered", len(mfs))
	}
	again, err := New(mux, Options{Listen: []string{"127.0.0.1:0"}, AdminListen: AdminOff, Metrics: fresh})
	if err != nil {
		t.Fatalf("New after a failed New on the same registry: %v", err)
	}
	again.closeListeners()
	// A second server cannot share the registry.
	if _, err := New(mux, Options{Listen: []string{"127.0.0.1:0"}, AdminListen: AdminOff, Metrics: reg}); err == nil || !strings.Contains(err.Error(), "metrics") {
		t.Errorf("second New on the same registry: %v", err)
	}
}

// A client sending forwarding headers from an untrusted address is counted.
func TestForwardedSpoofingCounted(t *testing.T) {
	s := startServer(t, testApp(), Options{Forwarded: forwardedTrusting("10.0.0.1")})
	req, _ := http.NewRequest("GET", "http://"+s.Addrs()[0].String()+"/", nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if v := value(t, s.Metrics(), "apphost_forwarded_untrusted_requests_total"); v != 1 {
		t.Errorf("untrusted requests: %v, want 1", v)
	}
}

// The admin address may not be a public one.
func TestAdminAddressMustDifferFromPublic(t *testing.T) {
	addr := "127.0.0.1:" + harness.FreePort(t)
	for _, admin := range []string{addr, "0.0.0.0:" + addr[strings.LastIndex(addr, ":")+1:]} {
		_, err := New(testApp(), Options{Listen: []string{addr}, AdminListen: admin})
		if err == nil || !strings.Contains(err.Error(), "overlaps") {
			t.Errorf("admin %s = listen %s: %v, want a start-up error", admin, addr, err)
		}
	}
	if _, err := New(testApp(), Options{Listen: []string{addr}, AdminListen: "127.0.0.1:0", AdminHandlers: map[string]http.Handler{"/metrics": http.NotFoundHandler()}}); err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Errorf("a handler on /metrics: %v, want reserved", err)
	}
}

// Every limit's rejection is counted under its name and status, net/http's
// own 431 included.
func TestLimitRejectionsCounted(t *testing.T) {
	s := startServer(t, testApp(), Options{Limits: Limits{
		MaxRequestBody: 100, MaxRequestLine: 1024, MaxRequestHeaders: 1024, MaxHeaderCount: 10,
		RequestHeadersTimeout: 300 * time.Millisecond,
		MinRequestBodyRate:    10_000, MinRequestBodyGrace: 300 * time.Millisecond,
	}})
	addr := s.Addrs()[0].String()
	cases := []struct {
		limit, status, request string
	}{
		{"max_request_line", "414", "GET /" + strings.Repeat("a", 1100) + " HTTP/1.1\r\nHost: t\r\n\r\n"},
		{"max_header_count", "431", "GET / HTTP/1.1\r\nHost: t\r\n" + headerLines(11) + "\r\n"},
		{"max_request_headers", "431", "GET / HTTP/1.1\r\nHost: t\r\nX-Big: " + strings.Repeat("b", 1100) + "\r\n\r\n"},
		{"max_header_bytes", "431", "GET / HTTP/1.1\r\nHost: t\r\nX-Huge: " + strings.Repeat("h", 8000) + "\r\n\r\n"},
		{"max_request_body", "413", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 101\r\n\r\n"},
		{"max_request_body", "413", "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n" + "c8\r\n" + strings.Repeat("c", 200) + "\r\n0\r\n\r\n"},
		{"request_headers_timeout", "408", "GET / HTTP/1.1\r\nHost: t\r\nX-Slow: "},
		{"min_request_body_rate", "408", "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 90\r\n\r\nfew"},
	}
	want := map[string]float64{}
	for _, c := range cases {
		resp, body := exchange(t, addr, c.request)
		if fmt.Sprint(resp.StatusCode) != c.status {
			t.Fatalf("%s: status %d (%q), want %s", c.limit, resp.StatusCode, body, c.status)
		}
		want[c.limit+" "+c.status]++
	}
	for k, n := range want {
		limit, status, _ := strings.Cut(k, " ")
		// The 408s are counted as the connection is answered; wait for them.
		harness.WaitFor(t, 5*time.Second, limit, func() bool {
			return value(t, s.Metrics(), "apphost_rejected_requests_total", "limit="+limit, "http_response_status_code="+status) == n
		})
	}
	// The chunked body and the slow one reached the application, which
	// answered 500 on the read error; the requests count with the status
	// the client got.
	for _, status := range []string{"413", "408"} {
		if v := value(t, s.Metrics(), "http_server_request_duration_seconds", "http_response_status_code="+status, "http_route=/echo"); v != 1 {
			t.Errorf("requests counted with %s: %v, want 1", status, v)
		}
	}
	if _, ok := sample(t, s.Metrics(), "http_server_request_duration_seconds", "http_response_status_code=500"); ok {
		t.Error("a request is counted with the application's 500, which the client never got")
	}
}

// Connections are counted while open and when closed, a connection limit
// that holds a connection back is counted, and a hijacked connection is
// counted as upgraded until it closes.
func TestConnectionMetrics(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok") })
	mux.HandleFunc("/upgrade", func(w http.ResponseWriter, r *http.Request) {
		c, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n")
		buf.Flush()
		io.Copy(io.Discard, c) // until the client closes
		c.Close()
	})
	s := startServer(t, mux, Options{Limits: Limits{MaxConnections: 1}})
	reg, addr := s.Metrics(), s.Addrs()[0].String()

	c1, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprint(c1, "GET /upgrade HTTP/1.1\r\nHost: t\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\n")
	if resp, _ := readResponse(t, c1); resp.StatusCode != 101 {
		t.Fatalf("upgrade: %d", resp.StatusCode)
	}
	harness.WaitFor(t, 5*time.Second, "an active, upgraded connection", func() bool {
		return value(t, reg, "apphost_active_connections") == 1 && value(t, reg, "apphost_upgraded_connections") == 1
	})

	// A second connection waits in the backlog while the first is open.
	c2, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c2.Close()
	fmt.Fprint(c2, "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
	harness.WaitFor(t, 5*time.Second, "a delayed connection", func() bool { return value(t, reg, "apphost_delayed_connections_total") >= 1 })
	c1.Close()
	if resp, body := readResponse(t, c2); resp.StatusCode != 200 || body != "ok" {
		t.Fatalf("second connection: %d %q", resp.StatusCode, body)
	}
	harness.WaitFor(t, 5*time.Second, "every connection closed and timed", func() bool {
		return value(t, reg, "apphost_active_connections") == 0 && value(t, reg, "apphost_upgraded_connections") == 0 &&
			value(t, reg, "apphost_connection_duration_seconds") == 2
	})
}

// /debug/pprof/ is served on the admin address only when asked for.
func TestPprof(t *testing.T) {
	off := startServer(t, testApp(), Options{})
	if status, _ := get(t, http.DefaultClient, "http://"+off.AdminAddr().String()+"/debug/pprof/"); status != 404 {
		t.Errorf("pprof off: %d, want 404", status)
	}
	on := startServer(t, testApp(), Options{Pprof: true})
	admin := "http://" + on.AdminAddr().String()
	for _, tt := range []struct {
		path   string
		status int
		has    string
	}{
		{"/debug/pprof/", 200, "goroutine"},
		{"/debug/pprof/goroutine?debug=1", 200, "goroutine profile:"},
		{"/debug/pprof/heap", 200, ""},
		{"/debug/pprof/profile?seconds=1", 200, ""},
		{"/debug/pprof/profile?seconds=600", 400, "whole number"},
		{"/debug/pprof/nothing", 404, "unknown profile"},
	} {
		status, body := get(t, http.DefaultClient, admin+tt.path)
		if status != tt.status || !strings.Contains(body, tt.has) || (status == 200 && body == "") {
			t.Errorf("%s: %d %.80q, want %d with %q", tt.path, status, body, tt.status, tt.has)
		}
	}
	if status, _ := get(t, http.DefaultClient, "http://"+on.Addrs()[0].String()+"/debug/pprof/"); status != 404 {
		t.Errorf("public pprof: %d, want 404", status)
	}
}

// forwardedTrusting trusts only the given proxies.
func forwardedTrusting(entries ...string) forwarded.Options {
	tp, err := forwarded.ParseTrustedProxies(entries)
	if err != nil {
		panic(err)
	}
	return forwarded.Options{TrustedProxies: &tp}
}

// A connection closed twice (net/http closes a connection the handler
// also closed after a Hijack) frees its slot and is counted once; an
// Accept that waits for a slot counts as delayed and goes on when one is
// freed.
func TestConnListenerSlotAndCountsOnce(t *testing.T) {
	reg := prometheus.NewRegistry()
	conns, err := metrics.NewConns(reg)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pool := newConnPool(Limits{MaxConnections: 1}, conns)
	l := newConnListener(raw, pool)
	t.Cleanup(func() { l.Close() })
	for range 2 {
		d, err := net.Dial("tcp", raw.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { d.Close() })
	}

	first, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept() // waits: the one slot is taken
		if err != nil {
			t.Error(err)
		}
		accepted <- c
	}()
	harness.WaitFor(t, 5*time.Second, "the second Accept to count as delayed", func() bool {
		return value(t, reg, "apphost_delayed_connections_total") == 1
	})
	select {
	case <-accepted:
		t.Fatal("a second connection was accepted while the only slot was taken")
	case <-time.After(50 * time.Millisecond):
	}
	closed := make(chan struct{})
	go func() {
		first.Close()
		first.Close()
		close(closed)
	}()
	var second net.Conn
	select {
	case second = <-accepted:
	case <-time.After(10 * time.Second):
		t.Fatal("the waiting Accept did not go on after the slot was freed")
	}
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the second Close blocked: it tried to free the slot again")
	}
	if n := len(pool.slots); n != 1 {
		t.Fatalf("%d slots taken with one connection open, want 1 (a double Close freed two)", n)
	}
	if v := value(t, reg, "apphost_active_connections"); v != 1 {
		t.Errorf("apphost_active_connections %v with one connection open, want 1", v)
	}
	second.Close()
	if n, open := len(pool.slots), pool.open.Load(); n != 0 || open != 0 {
		t.Errorf("after every close: %d slots taken, %d open; want 0 and 0", n, open)
	}
	if v := value(t, reg, "apphost_connection_duration_seconds"); v != 2 {
		t.Errorf("%v connection durations observed for 2 connections, want 2", v)
	}
}
