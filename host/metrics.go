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
// admin routes. undo unregisters what it registered, for a New that fails
// later (an address in use): the registry is then left as it was.
func (c *config) instrument() (undo func(), err error) {
	if c.metrics == nil {
		c.metrics = prometheus.NewRegistry()
	}
	reg := &undoable{Registry: c.metrics}
	defer func() {
		if err != nil {
			reg.undo()
			err = fmt.Errorf("metrics: %w", err)
		}
	}()
	if err := metrics.RegisterRuntime(reg); err != nil {
		return nil, err
	}
	if c.httpMetrics, err = metrics.NewHTTP(reg); err != nil {
		return nil, fmt.Errorf("is the registry shared with another server? %w", err)
	}
	if c.conns, err = metrics.NewConns(reg); err != nil {
		return nil, err
	}
	if err := metrics.NewForwarded(reg, c.forwarded); err != nil {
		return nil, err
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
	return reg.undo, nil
}

// undoable is a registry that can unregister what was registered through
// it.
type undoable struct {
	*prometheus.Registry
	done []prometheus.Collector
}

func (u *undoable) Register(c prometheus.Collector) error {
	err := u.Registry.Register(c)
	if err == nil {
		u.done = append(u.done, c)
	}
	return err
}

func (u *undoable) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := u.Register(c); err != nil {
			panic(err)
		}
	}
}

func (u *undoable) undo() {
	for _, c := range u.done {
		u.Registry.Unregister(c)
	}
	u.done = nil
}

// Metrics returns the registry the host's metrics are on: Options.Metrics,
// or the one the host created.
func (s *Server) Metrics() *prometheus.Registry { return s.cfg.metrics }
