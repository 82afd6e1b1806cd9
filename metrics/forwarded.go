package metrics

import (
	"github.com/apphost/apphost/forwarded"
	"github.com/prometheus/client_golang/prometheus"
)

// forwardedCollector reads the forwarded-headers middleware's own counters
// at scrape time, so the request path keeps its plain atomic additions.
type forwardedCollector struct {
	mw                             *forwarded.Middleware
	untrusted, malformed, rejected *prometheus.Desc
}

// NewForwarded registers counters that read mw's Stats on reg:
// apphost_forwarded_untrusted_requests_total,
// apphost_forwarded_malformed_total and
// apphost_forwarded_hosts_rejected_total.
func NewForwarded(reg prometheus.Registerer, mw *forwarded.Middleware) error {
	return reg.Register(&forwardedCollector{
		mw: mw,
		untrusted: prometheus.NewDesc("apphost_forwarded_untrusted_requests_total",
			"Requests from peers that are not trusted proxies that carried forwarding headers, which were removed: spoofing attempts, or a proxy missing from trusted_proxies.", nil, nil),
		malformed: prometheus.NewDesc("apphost_forwarded_malformed_total",
			"Forwarding-header entries from trusted proxies that did not parse or validate and were not applied.", nil, nil),
		rejected: prometheus.NewDesc("apphost_forwarded_hosts_rejected_total",
			"Forwarded hosts from trusted proxies outside forwarded.allowed_hosts, not applied.", nil, nil),
	})
}

func (c *forwardedCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.untrusted
	ch <- c.malformed
	ch <- c.rejected
}

func (c *forwardedCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.mw.Stats()
	ch <- prometheus.MustNewConstMetric(c.untrusted, prometheus.CounterValue, float64(s.UntrustedWithHeaders))
	ch <- prometheus.MustNewConstMetric(c.malformed, prometheus.CounterValue, float64(s.Malformed))
	ch <- prometheus.MustNewConstMetric(c.rejected, prometheus.CounterValue, float64(s.HostsRejected))
}
