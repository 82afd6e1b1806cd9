package metrics

import (
	"bufio"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/forwarded"
	"github.com/apphost/apphost/tests/harness"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
)

// newTestServer serves app behind the forwarded middleware (default
// options: loopback is trusted) and the HTTP metrics, as the host does.
func newTestServer(t *testing.T, app http.Handler) (*httptest.Server, *prometheus.Registry, *forwarded.Middleware) {
	t.Helper()
	reg := prometheus.NewRegistry()
	m, err := NewHTTP(reg)
	if err != nil {
		t.Fatal(err)
	}
	fw, err := forwarded.New(forwarded.Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(fw.Handler(m.Handler(Route(app))))
	t.Cleanup(srv.Close)
	return srv, reg, fw
}

// series returns the samples of the family name, keyed by their labels
// written as `a="x",b="y"` in the label names' order.
func series(t *testing.T, g prometheus.Gatherer, name string) map[string]*dto.Metric {
	t.Helper()
	mfs, err := g.Gather()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]*dto.Metric{}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			var parts []string
			for _, l := range m.GetLabel() {
				parts = append(parts, fmt.Sprintf("%s=%q", l.GetName(), l.GetValue()))
			}
			out[strings.Join(parts, ",")] = m
		}
	}
	return out
}

// counts gives each series' observation count of a histogram family.
func counts(t *testing.T, g prometheus.Gatherer, name string) map[string]uint64 {
	t.Helper()
	out := map[string]uint64{}
	for k, m := range series(t, g, name) {
		out[k] = m.GetHistogram().GetSampleCount()
	}
	return out
}

// wantCounts fails unless the request duration histogram has exactly the
// series of want, each with its count of requests.
func wantCounts(t *testing.T, g prometheus.Gatherer, want map[string]uint64) {
	t.Helper()
	got := counts(t, g, "http_server_request_duration_seconds")
	if len(got) != len(want) {
		t.Errorf("%d series, want %d: %v", len(got), len(want), got)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%s: %d requests, want %d", k, got[k], n)
		}
	}
}

func do(t *testing.T, method, url string, header map[string]string, body io.Reader) {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		if k == "Host" {
			req.Host = v
		}
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
}

func key(method, route, scheme, status string) string {
	return fmt.Sprintf("http_request_method=%q,http_response_status_code=%q,http_route=%q,url_scheme=%q", method, status, route, scheme)
}

func testMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "item "+r.PathValue("id")) })
	mux.HandleFunc("POST example.com/items", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusCreated)
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no", http.StatusServiceUnavailable) })
	return mux
}

// The counts are exactly the requests made, per method, status, scheme
// and route; unknown methods collapse to _OTHER.
func TestCountsPerMethodStatusSchemeAndRoute(t *testing.T) {
	srv, reg, _ := newTestServer(t, testMux())
	https := map[string]string{"X-Forwarded-Proto": "https"}
	for range 3 {
		do(t, "GET", srv.URL+"/items/1", nil, nil)
	}
	for range 2 {
		do(t, "GET", srv.URL+"/items/2", https, nil)
	}
	do(t, "HEAD", srv.URL+"/items/3", nil, nil)
	for range 4 {
		do(t, "POST", srv.URL+"/items", map[string]string{"Host": "example.com"}, strings.NewReader("0123456789"))
	}
	do(t, "POST", srv.URL+"/items", https, nil)    // no pattern for this host: 404
	do(t, "PUT", srv.URL+"/fail", nil, nil)        // 503 from /fail
	do(t, "BREW", srv.URL+"/fail", nil, nil)       // unknown method
	do(t, "FROBNICATE", srv.URL+"/fail", nil, nil) // another

	want := map[string]uint64{
		key("GET", "/items/{id}", "http", "200"):  3,
		key("GET", "/items/{id}", "https", "200"): 2,
		key("HEAD", "/items/{id}", "http", "200"): 1,
		key("POST", "/items", "http", "201"):      4,
		key("POST", "", "https", "404"):           1,
		key("PUT", "/fail", "http", "503"):        1,
		key("_OTHER", "/fail", "http", "503"):     2,
	}
	wantCounts(t, reg, want)
	body := series(t, reg, "http_server_request_body_size_bytes")[key("POST", "/items", "http", "201")]
	if s := body.GetHistogram().GetSampleSum(); s != 40 {
		t.Errorf("request body sizes sum to %v, want 40", s)
	}
	resp := series(t, reg, "http_server_response_body_size_bytes")[key("GET", "/items/{id}", "http", "200")]
	if s := resp.GetHistogram().GetSampleSum(); s != float64(3*len("item 1")) {
		t.Errorf("response body sizes sum to %v, want %d", s, 3*len("item 1"))
	}
	for k, m := range series(t, reg, "http_server_active_requests") {
		if m.GetGauge().GetValue() != 0 {
			t.Errorf("active requests %s = %v after every request ended", k, m.GetGauge().GetValue())
		}
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

// A body of unknown length is measured by the bytes the handler read.
func TestChunkedBodySize(t *testing.T) {
	srv, reg, _ := newTestServer(t, testMux())
	req, _ := http.NewRequest("POST", srv.URL+"/items", io.MultiReader(strings.NewReader("abc"), strings.NewReader("defg")))
	req.Host = "example.com"
	req.ContentLength = -1
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	m := series(t, reg, "http_server_request_body_size_bytes")[key("POST", "/items", "http", "201")]
	if m.GetHistogram().GetSampleCount() != 1 || m.GetHistogram().GetSampleSum() != 7 {
		t.Errorf("chunked body: %v", m.GetHistogram())
	}
}

// A flood of random paths adds no series: the route is the pattern, never
// the path.
func TestRandomPathsCreateNoSeries(t *testing.T) {
	srv, reg, _ := newTestServer(t, testMux())
	do(t, "GET", srv.URL+"/warm-up", nil, nil)
	do(t, "GET", srv.URL+"/items/warm-up", nil, nil)
	before := counts(t, reg, "http_server_request_duration_seconds")
	for i := range 300 {
		p := fmt.Sprintf("/%x", rand.Uint64())
		if i%2 == 0 {
			p = "/items" + p
		}
		do(t, "GET", srv.URL+p, nil, nil)
	}
	after := counts(t, reg, "http_server_request_duration_seconds")
	if len(after) != len(before) {
		t.Fatalf("series went from %d to %d: %v", len(before), len(after), after)
	}
	if n := after[key("GET", "/items/{id}", "http", "200")] + after[key("GET", "", "http", "404")]; n != 302 {
		t.Fatalf("%d requests counted, want 302", n)
	}
}

// A ServeMux redirect to a path with a trailing slash reports that path as
// the request's pattern (net/http gives the redirect's target): it is no
// route, or every random path would make a series.
func TestMuxRedirectIsNoRoute(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewHTTP(reg)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/dirs/{id}/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "dir") })
	mux.HandleFunc("/docs/", func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "docs") })
	h := m.Handler(Route(mux))
	for _, req := range []*http.Request{
		httptest.NewRequest("GET", "/dirs/r1", nil),
		httptest.NewRequest("CONNECT", "/dirs/r2", nil),
		httptest.NewRequest("CONNECT", "/dirs/r%204", nil),
		httptest.NewRequest("CONNECT", "/dirs/R3%2F", nil),
		httptest.NewRequest("GET", "/dirs/r3/", nil),
	} {
		h.ServeHTTP(httptest.NewRecorder(), req)
	}
	got := counts(t, reg, "http_server_request_duration_seconds")
	for k := range got {
		if strings.Contains(k, "/dirs/r") {
			t.Errorf("a series carries a request's path: %s (all: %v)", k, got)
		}
	}
	if got[key("GET", "/dirs/{id}/", "http", "200")] != 1 {
		t.Errorf("the served request is not counted under its pattern: %v", got)
	}
	// An application's own redirect keeps its route.
	mux.HandleFunc("/search", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/search?q=x", http.StatusMovedPermanently)
	})
	h.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("GET", "/search?utm=1", nil))
	if got := counts(t, reg, "http_server_request_duration_seconds"); got[key("GET", "/search", "http", "301")] != 1 {
		t.Errorf("an application's redirect lost its route: %v", got)
	}
}

// The route reaches the metrics when a step between them and the mux
// hands down a copy of the request, and when the mux is reached without
// Route.
func TestRouteThroughACopiedRequest(t *testing.T) {
	copying := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(w, r.WithContext(r.Context()))
		})
	}
	// wrapping wraps the writer as an access log does, with Unwrap.
	wrapping := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			next.ServeHTTP(&unwrappingWriter{w}, r)
		})
	}
	for name, build := range map[string]func(*HTTP) http.Handler{
		"copy then Route":              func(m *HTTP) http.Handler { return m.Handler(copying(Route(testMux()))) },
		"wrapped writer, copy, Route":  func(m *HTTP) http.Handler { return m.Handler(wrapping(copying(Route(testMux())))) },
		"wrapped writer, mux directly": func(m *HTTP) http.Handler { return m.Handler(wrapping(testMux())) },
		"mux directly":                 func(m *HTTP) http.Handler { return m.Handler(testMux()) },
	} {
		t.Run(name, func(t *testing.T) {
			reg := prometheus.NewRegistry()
			m, err := NewHTTP(reg)
			if err != nil {
				t.Fatal(err)
			}
			srv := httptest.NewServer(build(m))
			defer srv.Close()
			do(t, "GET", srv.URL+"/items/7", nil, nil)
			if n := counts(t, reg, "http_server_request_duration_seconds")[key("GET", "/items/{id}", "http", "200")]; n != 1 {
				t.Fatalf("route not captured: %v", counts(t, reg, "http_server_request_duration_seconds"))
			}
		})
	}
}

type unwrappingWriter struct{ http.ResponseWriter }

func (w *unwrappingWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// ResponseStarted tells a step inside the metrics, through writers that
// unwrap, whether the response began; a writer that did not come through
// the metrics is unknown.
func TestResponseStarted(t *testing.T) {
	type report struct{ started, known bool }
	at := func(w http.ResponseWriter) report {
		var r report
		r.started, r.known = ResponseStarted(w)
		return r
	}
	writes := make(chan [3]report, 1)
	hijacks := make(chan report, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/write", func(w http.ResponseWriter, _ *http.Request) {
		var got [3]report
		got[0] = at(w)
		w.WriteHeader(http.StatusContinue) // informational: not the response
		got[1] = at(w)
		io.WriteString(w, "x")
		got[2] = at(w)
		writes <- got
	})
	mux.HandleFunc("/hijack", func(w http.ResponseWriter, _ *http.Request) {
		c, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		hijacks <- at(w)
		buf.WriteString("HTTP/1.1 204 No Content\r\nConnection: close\r\n\r\n")
		buf.Flush()
		c.Close()
	})
	m, _ := NewHTTP(prometheus.NewRegistry())
	srv := httptest.NewServer(m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mux.ServeHTTP(&unwrappingWriter{w}, r)
	})))
	defer srv.Close()
	do(t, "GET", srv.URL+"/write", nil, nil)
	do(t, "GET", srv.URL+"/hijack", nil, nil)
	got := <-writes
	for _, c := range []struct {
		name      string
		got, want report
	}{
		{"before writing", got[0], report{false, true}},
		{"after a 100", got[1], report{false, true}},
		{"after writing", got[2], report{true, true}},
		{"after hijacking", <-hijacks, report{true, true}},
	} {
		if c.got != c.want {
			t.Errorf("%s: started, known = %v, want %v", c.name, c.got, c.want)
		}
	}
	if started, known := ResponseStarted(httptest.NewRecorder()); started || known {
		t.Errorf("writer outside the metrics: started, known = %t, %t, want false, false", started, known)
	}
}

// A panicking handler under recovery counts with the route and its 500.
func TestPanicCountsWithRoute(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /boom/{x}", func(http.ResponseWriter, *http.Request) { panic("boom") })
	recovery := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if recover() != nil {
					w.WriteHeader(http.StatusInternalServerError)
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
	reg := prometheus.NewRegistry()
	m, _ := NewHTTP(reg)
	srv := httptest.NewServer(m.Handler(recovery(Route(mux))))
	defer srv.Close()
	do(t, "GET", srv.URL+"/boom/1", nil, nil)
	if n := counts(t, reg, "http_server_request_duration_seconds")[key("GET", "/boom/{x}", "http", "500")]; n != 1 {
		t.Fatalf("panic not counted with its route: %v", counts(t, reg, "http_server_request_duration_seconds"))
	}
}

// The writer the application gets has the optional interfaces of the
// server's, for HTTP/1.1 and HTTP/2, and unwraps for ResponseController.
func TestWriterKeepsInterfaces(t *testing.T) {
	ifaces := func(w http.ResponseWriter) string {
		_, fl := w.(http.Flusher)
		_, hj := w.(http.Hijacker)
		_, rf := w.(io.ReaderFrom)
		_, pu := w.(http.Pusher)
		return fmt.Sprintf("flusher=%t hijacker=%t readerfrom=%t pusher=%t", fl, hj, rf, pu)
	}
	var outer, inner string
	var rcErr error
	reg := prometheus.NewRegistry()
	m, _ := NewHTTP(reg)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		outer = ifaces(w)
		m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			inner = ifaces(w)
			rcErr = http.NewResponseController(w).EnableFullDuplex()
			io.WriteString(w, "ok")
		})).ServeHTTP(w, r)
	})
	for _, proto := range []string{"HTTP/1.1", "HTTP/2.0"} {
		t.Run(proto, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(h)
			srv.EnableHTTP2 = proto == "HTTP/2.0"
			srv.StartTLS()
			defer srv.Close()
			resp, err := srv.Client().Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.Proto != proto {
				t.Fatalf("served over %s", resp.Proto)
			}
			if outer != inner {
				t.Errorf("application's writer has %s, the server's %s", inner, outer)
			}
			if proto == "HTTP/1.1" && rcErr != nil {
				t.Errorf("ResponseController through the wrapper: %v", rcErr)
			}
		})
	}
	if problems, err := testutil.GatherAndLint(reg); err != nil || len(problems) > 0 {
		t.Errorf("lint: %v %v", problems, err)
	}
}

// Wrapping a writer allocates nothing, whatever its shape: each recorder
// is a pointer to the request's state.
func TestRecorderAllocatesNothing(t *testing.T) {
	for _, w := range []http.ResponseWriter{
		&discardWriter{h: http.Header{}}, // HTTP/1
		pushWriter{httptest.NewRecorder()},
		httptest.NewRecorder(), // Flusher
		struct{ http.ResponseWriter }{httptest.NewRecorder()},
	} {
		st := &state{}
		var rw http.ResponseWriter
		if n := testing.AllocsPerRun(100, func() { rw = wrap(w, st) }); n != 0 {
			t.Errorf("%T: wrap allocated %v times per call; want 0", w, n)
		}
		if stateOf(rw) != st || rw.(interface{ Unwrap() http.ResponseWriter }).Unwrap() != w {
			t.Errorf("%T: the recorder does not lead to the state and the writer", w)
		}
	}
}

// For a request without a body the middleware makes one object, the
// request's state, once its series exists; a request no pattern matched
// finds that series without the map of patterns.
func TestHandlerAllocatesOnlyTheState(t *testing.T) {
	m, err := NewHTTP(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write(hello) }))
	w := &discardWriter{h: http.Header{}}
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	h.ServeHTTP(w, r) // makes the series
	if n := testing.AllocsPerRun(100, func() { h.ServeHTTP(w, r) }); n != 1 {
		t.Errorf("the middleware allocated %v times per request; want 1 (its state)", n)
	}
	ps := m.unrouted.Load()
	if ps == nil || ps != (*m.series.Load())[""] {
		t.Fatalf("the unrouted series are %p, want the map's %p", ps, (*m.series.Load())[""])
	}
	code, _ := seriesCode(methodIndex(http.MethodGet), 0, http.StatusOK)
	if got, want := m.seriesOf(methodIndex(http.MethodGet), 0, http.StatusOK, ""), (*ps.byCode.Load())[code]; got == nil || got != want {
		t.Errorf("seriesOf for no pattern gave %p, want %p", got, want)
	}
}

// pushWriter has the shape of net/http's HTTP/2 writer: Flusher and Pusher.
type pushWriter struct{ *httptest.ResponseRecorder }

func (pushWriter) Push(string, *http.PushOptions) error { return http.ErrNotSupported }

// A hijacked connection counts as 101 when no status was written.
func TestHijackCountsAsSwitchingProtocols(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /ws", func(w http.ResponseWriter, r *http.Request) {
		c, buf, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		buf.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n")
		buf.Flush()
		c.Close()
	})
	srv, reg, _ := newTestServer(t, mux)
	c, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	fmt.Fprintf(c, "GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: x\r\nConnection: Upgrade\r\n\r\n")
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 101 {
		t.Fatalf("status %d", resp.StatusCode)
	}
	harness.WaitFor(t, 10*time.Second, "the upgraded request counted", func() bool {
		return counts(t, reg, "http_server_request_duration_seconds")[key("GET", "/ws", "http", "101")] == 1
	})
}

// A request in progress shows in http_server_active_requests, under its
// method and scheme; every method and scheme has a series.
func TestActiveRequests(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewHTTP(reg)
	if err != nil {
		t.Fatal(err)
	}
	during := make(chan map[string]float64, 1)
	srv := httptest.NewServer(m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) {
		got := map[string]float64{}
		for k, s := range series(t, reg, "http_server_active_requests") {
			got[k] = s.GetGauge().GetValue()
		}
		during <- got
	})))
	defer srv.Close()
	do(t, "DELETE", srv.URL+"/", nil, nil)
	got := <-during
	if len(got) != (len(methods)+1)*len(schemes) {
		t.Errorf("%d series, want one per method and scheme: %v", len(got), got)
	}
	for k, v := range got {
		want := 0.0
		if k == `http_request_method="DELETE",url_scheme="http"` {
			want = 1
		}
		if v != want {
			t.Errorf("during the request: %s = %v, want %v", k, v, want)
		}
	}
	if v := series(t, reg, "http_server_active_requests")[`http_request_method="DELETE",url_scheme="http"`].GetGauge().GetValue(); v != 0 {
		t.Errorf("after the request: %v, want 0", v)
	}
}

// The series cache gives patterns with the same route the same series,
// and a status too large for its key still its own series.
func TestSeriesCache(t *testing.T) {
	reg := prometheus.NewRegistry()
	m, err := NewHTTP(reg)
	if err != nil {
		t.Fatal(err)
	}
	get := methodIndex("GET")
	for _, c := range []struct {
		method, scheme, status int
		pattern                string
	}{
		{get, 0, 200, "GET /a/{x}"},
		{get, 0, 200, "example.com/a/{x}"},
		{get, 0, 200, "GET /a/{x}"},
		{get, 1, 200, "GET /a/{x}"},
		{get, 0, 404, "GET /a/{x}"},
		{get, 0, 70000, "GET /a/{x}"},
		{get, 0, 70000, "GET /a/{x}"},
		{len(methods), 0, 200, ""},
	} {
		m.layout.observe(m.seriesOf(c.method, c.scheme, c.status, c.pattern).counts, 0, time.Second, 0, 0)
	}
	want := map[string]uint64{
		key("GET", "/a/{x}", "http", "200"):   3,
		key("GET", "/a/{x}", "https", "200"):  1,
		key("GET", "/a/{x}", "http", "404"):   1,
		key("GET", "/a/{x}", "http", "70000"): 2,
		key("_OTHER", "", "http", "200"):      1,
	}
	wantCounts(t, reg, want)
}

// A client's absolute-form request line ("GET https://host/ HTTP/1.1")
// names a scheme, which the request's URL keeps; url_scheme is the
// connection's (or a trusted proxy's), never that one.
func TestSchemeIsNotTheRequestLines(t *testing.T) {
	srv, reg, _ := newTestServer(t, testMux())
	for _, target := range []string{"https://example.com/items/1", "gopher://example.com/items/1"} {
		c, err := net.Dial("tcp", srv.Listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(c, "GET %s HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n", target)
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		c.Close()
	}
	wantCounts(t, reg, map[string]uint64{key("GET", "/items/{id}", "http", "200"): 2})
}

// goneWriter is a writer of the Flusher shape whose FlushError fails, as
// net/http's does once the client is gone.
type goneWriter struct{ *httptest.ResponseRecorder }

var errGone = fmt.Errorf("client gone")

func (goneWriter) FlushError() error { return errGone }

// The handler's http.ResponseController.Flush gets the error of the
// writer underneath, and a failed flush records no status.
func TestFlushErrorReachesTheHandler(t *testing.T) {
	m, err := NewHTTP(prometheus.NewRegistry())
	if err != nil {
		t.Fatal(err)
	}
	var flushErr error
	var started bool
	h := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		flushErr = http.NewResponseController(w).Flush()
		started, _ = ResponseStarted(w)
	}))
	h.ServeHTTP(goneWriter{httptest.NewRecorder()}, httptest.NewRequest(http.MethodGet, "/", nil))
	if flushErr != errGone || started {
		t.Errorf("Flush = %v, response started %t; want %v, not started", flushErr, started, errGone)
	}
}
