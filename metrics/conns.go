package metrics

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// ConnectionDurationBuckets follow Kestrel's advice for
// kestrel.connection.duration, in seconds.
var ConnectionDurationBuckets = []float64{0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300}

// Limit is a request limit whose rejections are counted.
type Limit int

// The limits, with the status each answers.
const (
	LimitRequestBody           Limit = iota // 413: the body is larger than max_request_body
	LimitRequestLine                        // 414: the request line is longer than max_request_line
	LimitRequestHeaders                     // 431: the header fields are larger than max_request_headers
	LimitHeaderCount                        // 431: more header fields than max_header_count
	LimitHeaderBytes                        // 431: net/http's own bound on the request head (the backstop)
	LimitRequestHeadersTimeout              // 408: the request head did not arrive within request_headers_timeout
	LimitRequestBodyRate                    // 408: the body arrived slower than min_request_body_rate
	numLimits
)

var limitInfo = [numLimits]struct {
	name   string
	status int
}{
	LimitRequestBody:           {"max_request_body", 413},
	LimitRequestLine:           {"max_request_line", 414},
	LimitRequestHeaders:        {"max_request_headers", 431},
	LimitHeaderCount:           {"max_header_count", 431},
	LimitHeaderBytes:           {"max_header_bytes", 431},
	LimitRequestHeadersTimeout: {"request_headers_timeout", 408},
	LimitRequestBodyRate:       {"min_request_body_rate", 408},
}

// String is the limit's name, the value of the limit label.
func (l Limit) String() string { return limitInfo[l].name }

// Conns counts a server's public connections and the requests its limits
// rejected. Create it with [NewConns]; a nil *Conns records nothing.
type Conns struct {
	active   prometheus.Gauge
	duration prometheus.Observer
	delayed  prometheus.Counter
	upgraded prometheus.Gauge
	rejected [numLimits]prometheus.Counter
}

// NewConns registers the connection metrics on reg: apphost_active_connections,
// apphost_connection_duration_seconds, apphost_delayed_connections_total,
// apphost_upgraded_connections and apphost_rejected_requests_total.
func NewConns(reg prometheus.Registerer) (*Conns, error) {
	duration := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:    "apphost_connection_duration_seconds",
		Help:    "Duration of the public listeners' connections, from accept to close.",
		Buckets: ConnectionDurationBuckets,
	})
	rejected := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "apphost_rejected_requests_total",
		Help: "Requests answered by the host because they broke a limit, by limit and the status sent.",
	}, []string{"limit", LabelStatus})
	c := &Conns{
		active: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "apphost_active_connections",
			Help: "Connections open on the public listeners.",
		}),
		duration: duration,
		delayed: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "apphost_delayed_connections_total",
			Help: "Times max_connections connections were open when the host was ready to accept another: the next connection waited in the listen backlog.",
		}),
		upgraded: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "apphost_upgraded_connections",
			Help: "Connections taken over by the application (WebSocket and other upgrades, Hijack) and still open.",
		}),
	}
	for l := range numLimits {
		c.rejected[l] = rejected.WithLabelValues(l.String(), strconv.Itoa(limitInfo[l].status))
	}
	for _, m := range []prometheus.Collector{c.active, duration, c.delayed, c.upgraded, rejected} {
		if err := reg.Register(m); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Opened counts a new connection and returns the time to pass to Closed.
func (c *Conns) Opened() time.Time {
	if c == nil {
		return time.Time{}
	}
	c.active.Inc()
	return time.Now()
}

// Closed counts the end of a connection opened at start; upgraded says
// that Upgraded was called for it.
func (c *Conns) Closed(start time.Time, upgraded bool) {
	if c == nil {
		return
	}
	c.active.Dec()
	c.duration.Observe(time.Since(start).Seconds())
	if upgraded {
		c.upgraded.Dec()
	}
}

// Upgraded counts a connection the application took over.
func (c *Conns) Upgraded() {
	if c != nil {
		c.upgraded.Inc()
	}
}

// Delayed counts a connection that waits because the connection limit is
// reached.
func (c *Conns) Delayed() {
	if c != nil {
		c.delayed.Inc()
	}
}

// Rejected counts a request refused by limit l.
func (c *Conns) Rejected(l Limit) {
	if c != nil {
		c.rejected[l].Inc()
	}
}
