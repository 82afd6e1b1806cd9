package metrics

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apphost/apphost/forwarded"
	"github.com/prometheus/client_golang/prometheus"
)

// DurationBuckets are the OpenTelemetry HTTP semantic conventions' advice
// for http.server.request.duration, in seconds.
var DurationBuckets = []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}

// SizeBuckets are the buckets of the body-size histograms, in bytes: 64
// bytes to 16 MiB by factors of four.
var SizeBuckets = prometheus.ExponentialBuckets(64, 4, 10)

// Label names, as the OpenTelemetry attributes render in Prometheus.
const (
	LabelMethod = "http_request_method"
	LabelStatus = "http_response_status_code"
	LabelScheme = "url_scheme"
	LabelRoute  = "http_route"
)

// OtherMethod replaces a request method that is not one of HTTP's known
// methods, as the semantic conventions require, so that clients cannot
// create series at will.
const OtherMethod = "_OTHER"

// methods are the known methods; a method's index in this list is its
// index in the active-request counts and series codes, len(methods)
// standing for _OTHER.
var methods = [...]string{
	http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
	http.MethodDelete, http.MethodConnect, http.MethodOptions, http.MethodTrace,
}

func methodIndex(m string) int {
	switch m {
	case http.MethodGet:
		return 0
	case http.MethodHead:
		return 1
	case http.MethodPost:
		return 2
	}
	for i := 3; i < len(methods); i++ {
		if m == methods[i] {
			return i
		}
	}
	return len(methods)
}

func methodLabel(i int) string {
	if i == len(methods) {
		return OtherMethod
	}
	return methods[i]
}

// schemes are the url_scheme values, by index.
var schemes = [...]string{"http", "https"}

func schemeIndex(s string) int {
	if s == "https" {
		return 1
	}
	return 0
}

// HTTP instruments a server's requests. Create it with [NewHTTP]; it is
// safe for concurrent use.
type HTTP struct {
	duration, reqSize, respSize, active *prometheus.Desc

	layout *seriesLayout
	counts *activeCounts // http_server_active_requests

	// series caches the series of each label combination seen, by the
	// pattern as the request reports it and then by method, scheme and
	// status packed in an integer, so that a request costs two lock-free
	// map lookups instead of turning the pattern into a route and hashing
	// the labels. The maps are never modified: a new combination (rare,
	// the labels are bounded) replaces one with a copy.
	series atomic.Pointer[map[string]*patternSeries]
	// unrouted is series[""], the requests no pattern matched (or whose
	// router reports none), reached without the map lookup.
	unrouted atomic.Pointer[patternSeries]
	seriesMu sync.Mutex                   // serialises the copies, guards all
	all      map[seriesKey]*requestSeries // every series, by its labels
}

// patternSeries holds the series of one pattern, by seriesCode.
type patternSeries struct {
	route  string // the pattern's http_route label
	byCode atomic.Pointer[map[uint32]*requestSeries]
}

// seriesCode packs a method and scheme index and a status into a key;
// ok is false for a status that does not fit, which is never cached.
func seriesCode(method, scheme, status int) (code uint32, ok bool) {
	return uint32(method)<<24 | uint32(scheme)<<16 | uint32(status), status >= 0 && status <= 0xffff
}

// requestSeries is one label combination's counters.
type requestSeries struct {
	labels  []string // method, status, scheme, route
	counts  seriesCounts
	created time.Time
}

// NewHTTP registers the HTTP server metrics on reg:
// http_server_request_duration_seconds, http_server_active_requests,
// http_server_request_body_size_bytes and
// http_server_response_body_size_bytes.
func NewHTTP(reg prometheus.Registerer) (*HTTP, error) {
	labels := []string{LabelMethod, LabelStatus, LabelScheme, LabelRoute}
	m := &HTTP{
		duration: prometheus.NewDesc("http_server_request_duration_seconds",
			"Duration of HTTP server requests, from the host receiving the request head to the handler returning.", labels, nil),
		reqSize: prometheus.NewDesc("http_server_request_body_size_bytes",
			"Size of HTTP server request bodies: the declared Content-Length, or the bytes the handler read when none was declared.", labels, nil),
		respSize: prometheus.NewDesc("http_server_response_body_size_bytes",
			"Size of HTTP server response bodies: the bytes the handler wrote.", labels, nil),
		active: prometheus.NewDesc("http_server_active_requests",
			"HTTP server requests being served.", []string{LabelMethod, LabelScheme}, nil),
		counts: newActiveCounts(),
	}
	var err error
	if m.layout, err = newSeriesLayout(DurationBuckets, SizeBuckets); err != nil {
		return nil, err
	}
	if err := reg.Register((*httpCollector)(m)); err != nil {
		return nil, err
	}
	return m, nil
}

// httpCollector exports the counts: the three histograms of every series
// seen, and the active requests of every method and scheme, at 0 when
// idle.
type httpCollector HTTP

func (c *httpCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.duration
	ch <- c.reqSize
	ch <- c.respSize
	ch <- c.active
}

func (c *httpCollector) Collect(ch chan<- prometheus.Metric) {
	c.seriesMu.Lock()
	all := make([]*requestSeries, 0, len(c.all))
	for _, s := range c.all {
		all = append(all, s)
	}
	c.seriesMu.Unlock()
	for _, s := range all {
		d, req, resp := c.layout.totals(s.counts)
		for _, h := range []struct {
			desc *prometheus.Desc
			histogram
		}{{c.duration, d}, {c.reqSize, req}, {c.respSize, resp}} {
			// A label that is not valid UTF-8 (a route from an odd
			// pattern) spoils its own series only.
			m, err := prometheus.NewConstHistogramWithCreatedTimestamp(h.desc, h.count, h.sum, h.buckets, s.created, s.labels...)
			if err != nil {
				m = prometheus.NewInvalidMetric(h.desc, err)
			}
			ch <- m
		}
	}
	for i := range len(methods) + 1 {
		for j := range schemes {
			ch <- prometheus.MustNewConstMetric(c.active, prometheus.GaugeValue, float64(c.counts.total(i, j)), methodLabel(i), schemes[j])
		}
	}
}

// seriesOf returns a request's series; pattern is the ServeMux pattern it
// matched ("" for none).
func (m *HTTP) seriesOf(method, scheme, status int, pattern string) *requestSeries {
	code, ok := seriesCode(method, scheme, status)
	if ok {
		var ps *patternSeries
		if pattern == "" {
			ps = m.unrouted.Load()
		} else if p := m.series.Load(); p != nil {
			ps = (*p)[pattern]
		}
		if ps != nil {
			if o := (*ps.byCode.Load())[code]; o != nil {
				return o
			}
		}
	}
	return m.addSeries(code, ok, method, scheme, status, pattern)
}

// addSeries is seriesOf for a combination not cached yet: it caches it,
// making its series on first use. (It is apart from seriesOf so that its
// work does not make every call's frame larger.)
func (m *HTTP) addSeries(code uint32, ok bool, method, scheme, status int, pattern string) *requestSeries {
	m.seriesMu.Lock()
	defer m.seriesMu.Unlock()
	if !ok {
		return m.seriesFor(seriesKey{method, scheme, status, routeOf(pattern)})
	}
	var patterns map[string]*patternSeries
	if p := m.series.Load(); p != nil {
		patterns = *p
	}
	ps := patterns[pattern]
	if ps == nil {
		ps = &patternSeries{route: routeOf(pattern)}
		ps.byCode.Store(&map[uint32]*requestSeries{})
		m.series.Store(with(patterns, pattern, ps))
		if pattern == "" {
			m.unrouted.Store(ps)
		}
	}
	codes := *ps.byCode.Load()
	if o := codes[code]; o != nil {
		return o
	}
	o := m.seriesFor(seriesKey{method, scheme, status, ps.route})
	ps.byCode.Store(with(codes, code, o))
	return o
}

// seriesKey is a series' labels: patterns with the same route share it.
type seriesKey struct {
	method, scheme, status int
	route                  string
}

// seriesFor returns the series of k, made on first use; m.seriesMu is
// held.
func (m *HTTP) seriesFor(k seriesKey) *requestSeries {
	s := m.all[k]
	if s == nil {
		if m.all == nil {
			m.all = make(map[seriesKey]*requestSeries)
		}
		s = &requestSeries{
			labels:  []string{methodLabel(k.method), strconv.Itoa(k.status), schemes[k.scheme], k.route},
			counts:  m.layout.newCounts(),
			created: time.Now(),
		}
		m.all[k] = s
	}
	return s
}

// with returns a copy of m with k set to v: the caches' maps are replaced,
// never modified.
func with[K comparable, V any](m map[K]V, k K, v V) *map[K]V {
	next := make(map[K]V, len(m)+1)
	for mk, mv := range m {
		next[mk] = mv
	}
	next[k] = v
	return &next
}

// epoch is where the middleware's clock starts: a request's start and end
// are read as time.Since(epoch), one monotonic clock reading each, where
// time.Now would also read the wall clock.
var epoch = time.Now()

// Handler returns next instrumented. It belongs inside the forwarded-headers
// middleware (url_scheme is the scheme it restored) and outside panic
// recovery (a recovered panic counts with its 500). The response writer
// next receives keeps http.Flusher, http.Hijacker, io.ReaderFrom and
// http.Pusher where the original has them, and unwraps for
// http.ResponseController; with Flush it has FlushError, which returns
// the error of the original's FlushError (a client gone), as
// http.ResponseController.Flush does.
func (m *HTTP) Handler(next http.Handler) http.Handler {
	return &httpHandler{m: m, next: next}
}

type httpHandler struct {
	m    *HTTP
	next http.Handler
}

// ServeHTTP hands next the request it received, not a copy: the state
// (the route [Route] reports, the response's record) travels with the
// response writer, where Route and [ResponseStarted] find it by
// unwrapping. Only a body of unknown length, which is counted as it is
// read, needs a copy of the request to carry the counting body.
func (h *httpHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	m := h.m
	start := time.Since(epoch)
	method := methodIndex(r.Method)
	scheme := schemeIndex(forwarded.Scheme(r)) // never the request line's, which the client chooses
	t := takeSlot()                            // held until the request is counted
	m.counts.add(t.slot, method, scheme, 1)

	st := &state{}
	if hasBody(r) {
		st.answer, _ = r.Body.(HostAnswer)
	}
	rw := wrap(w, st)
	r2 := r
	var body *countingBody
	if r.ContentLength < 0 && hasBody(r) {
		c := &countedRequest{req: *r}
		body = &c.body
		body.ReadCloser = r.Body
		r2 = &c.req
		r2.Body = body
	}
	defer func() {
		route := st.route
		if route == "" {
			route = r2.Pattern
		}
		status, written := st.final()
		if route != "" && r.Method == http.MethodConnect && isRedirect(status) {
			// A ServeMux redirects a CONNECT to the path with a trailing
			// slash and gives that path, which the client chose, as the
			// pattern: no route.
			route = ""
		}
		reqSize := r.ContentLength
		if body != nil {
			reqSize = body.n.Load()
		}
		s := m.seriesOf(method, scheme, status, route)
		m.layout.observe(s.counts, t.slot, time.Since(epoch)-start, reqSize, written)
		m.counts.add(t.slot, method, scheme, -1)
		slotTokens.Put(t)
	}()
	h.next.ServeHTTP(rw, r2)
}

// countedRequest is the copy of a request whose body of unknown length is
// counted, with that body, in one allocation.
type countedRequest struct {
	req  http.Request
	body countingBody
}

func hasBody(r *http.Request) bool { return r.Body != nil && r.Body != http.NoBody }

// isRedirect reports whether status is one a ServeMux redirects with.
func isRedirect(status int) bool {
	return status == http.StatusMovedPermanently || status == http.StatusTemporaryRedirect || status == http.StatusPermanentRedirect
}

// routeOf turns a ServeMux pattern ("[METHOD ][HOST]/PATH") into the path
// template the http_route label holds.
func routeOf(pattern string) string {
	if pattern == "" {
		return ""
	}
	if i := strings.IndexAny(pattern, " \t"); i >= 0 {
		pattern = strings.TrimLeft(pattern[i:], " \t")
	}
	if i := strings.IndexByte(pattern, '/'); i > 0 {
		pattern = pattern[i:]
	}
	return pattern
}

// state is what the middleware learns of a request while it runs: the
// route [Route] reports and the response's record. The recorder handed
// down holds it.
type state struct {
	route  string
	rec    record
	answer HostAnswer          // the request's body, when a step outside answers for it
	w      http.ResponseWriter // the writer the recorder wraps
}

// stateOf finds the state of the innermost [HTTP.Handler] that w passed
// through, unwrapping w as http.ResponseController does; nil if none.
func stateOf(w http.ResponseWriter) *state {
	for {
		switch t := w.(type) {
		case interface{ metricsState() *state }:
			return t.metricsState()
		case interface{ Unwrap() http.ResponseWriter }:
			w = t.Unwrap()
		default:
			return nil
		}
	}
}

// Route wraps the application's handler, the innermost step of the
// request path: after it returns, the pattern the application's
// http.ServeMux matched on the request it received is reported to the
// [HTTP.Handler] outside, even if a step in between copied the request.
// Route finds that handler through the response writer it receives,
// unwrapping it as http.ResponseController does, so a step in between
// that both copies the request and wraps the writer must give its writer
// an Unwrap method (without a copy, the HTTP.Handler reads the pattern
// from the request it handed down). Without an HTTP.Handler outside,
// Route only calls next.
func Route(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() { // deferred: a panicking handler's route counts too
			if r.Pattern != "" {
				if st := stateOf(w); st != nil {
					st.route = r.Pattern
				}
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// HostAnswer is implemented by a request body that a step outside the
// metrics answers for when it breaks a limit while the application reads
// it (the host's 413 or 408): HostAnswered is the status that step sent in
// place of the application's and the size of the body it sent, or 0 and 0.
// The request is counted with the status and response size the client got.
type HostAnswer interface {
	HostAnswered() (status int, written int64)
}

// countingBody counts the bytes read from a request body of unknown length.
type countingBody struct {
	io.ReadCloser
	n atomic.Int64
}

func (b *countingBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.n.Add(int64(n))
	return n, err
}

// Record is what the [HTTP.Handler] recorded of a response: its status as
// the client got it (200 when nothing set one, 101 for a connection the
// application took over without one, the host's when a step outside
// answered for the request's body, see [HostAnswer]) and the body bytes
// it got: those the application wrote, through Write or io.ReaderFrom, or
// the host's when it answered.
type Record struct {
	Status  int
	Written int64
}

// Response returns what the [HTTP.Handler] outside recorded of the
// response so far; w is the response writer a step inside that handler
// received. known is false when w did not come through that handler.
func Response(w http.ResponseWriter) (rec Record, known bool) {
	st := stateOf(w)
	if st == nil {
		return Record{}, false
	}
	status, written := st.final()
	return Record{Status: status, Written: written}, true
}

// final is the status the client got and the body bytes sent, as the
// metrics count them.
func (st *state) final() (status int, written int64) {
	status, written = st.rec.status, st.rec.written
	if st.answer != nil {
		if code, n := st.answer.HostAnswered(); code != 0 {
			status, written = code, n
		}
	}
	if status == 0 {
		status = http.StatusOK
		if st.rec.hijacked {
			status = http.StatusSwitchingProtocols
		}
	}
	return status, written
}

// ResponseStarted reports whether the application has begun its response
// (written a final status or body bytes, or hijacked the connection), as
// seen by the [HTTP.Handler] outside; w is the response writer a step
// inside that handler received, unwrapped as http.ResponseController does.
// known is false when w did not come through that handler.
func ResponseStarted(w http.ResponseWriter) (started, known bool) {
	st := stateOf(w)
	if st == nil {
		return false, false
	}
	return st.rec.status != 0 || st.rec.hijacked, true
}
