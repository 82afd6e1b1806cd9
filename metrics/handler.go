package metrics

import (
	"errors"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Bounds of the /metrics handler.
const (
	MaxScrapes    = 4                // concurrent scrapes; more are answered 503
	ScrapeTimeout = 10 * time.Second // a slower scrape is answered 503
)

// RegisterRuntime registers the Go runtime collector (go_*), the process
// collector of the current process (process_*) and the build information
// (go_build_info) on reg. A collector already registered there is kept:
// a program that registered its own loses nothing.
func RegisterRuntime(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewBuildInfoCollector(),
	} {
		if err := reg.Register(c); err != nil && !errors.As(err, new(prometheus.AlreadyRegisteredError)) {
			return err
		}
	}
	return nil
}

// Registry is a registry Handler serves and counts the scrapes on;
// *prometheus.Registry is one.
type Registry interface {
	prometheus.Registerer
	prometheus.Gatherer
}

// Handler serves reg's metrics in the Prometheus text format, or in
// OpenMetrics when the scraper asks for it. At most MaxScrapes run at once
// and each is bounded by ScrapeTimeout. A collector that fails is logged
// in promhttp_metric_handler_errors_total and the rest is still served;
// promhttp_metric_handler_requests_total and
// promhttp_metric_handler_requests_in_flight count the scrapes.
func Handler(reg Registry) http.Handler {
	return promhttp.InstrumentMetricHandler(reg, promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorHandling:       promhttp.ContinueOnError,
		Registry:            reg,
		EnableOpenMetrics:   true,
		MaxRequestsInFlight: MaxScrapes,
		Timeout:             ScrapeTimeout,
	}))
}
