package host

import (
	"fmt"
	"net/http"

	"github.com/apphost/apphost/metrics"
	"github.com/prometheus/client_golang/prometheus"
)

const (
	metricsPath = "/metrics"
	pprofPath   = metrics.PprofPath
)

// instrument registers the host's metrics on the registry of Options.Metrics
// (or a new one) and adds /metrics, and /debug/pprof/ when asked for, to the
// admin routes. It runs before anything is bound; a New that fails later
// (an address in use) leaves the metrics registered on Options.Metrics.
func (c *config) instrument() error {
	reg := c.metrics
	if reg == nil {
		reg = prometheus.NewRegistry()
		c.metrics = reg
	}
	if err := metrics.RegisterRuntime(reg); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	var err error
	if c.httpMetrics, err = metrics.NewHTTP(reg); err != nil {
		return fmt.Errorf("metrics (is the registry shared with another server?): %w", err)
	}
	if c.conns, err = metrics.NewConns(reg); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if err := metrics.NewForwarded(reg, c.forwarded); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	extra := make(map[string]http.Handler, len(c.adminHandlers)+2)
	for p, h := range c.adminHandlers {
		extra[p] = h
	}
	extra[metricsPath] = metrics.Handler(reg)
	if c.pprof {
		extra[pprofPath] = metrics.Pprof()
	}
	c.adminHandlers = extra
	return nil
}

// Metrics returns the registry the host's metrics are on: Options.Metrics,
// or the one the host created.
func (s *Server) Metrics() *prometheus.Registry { return s.cfg.metrics }
