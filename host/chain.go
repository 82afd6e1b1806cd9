package host

import (
	"log"
	"log/slog"
	"net/http"

	"github.com/apphost/apphost/metrics"
)

// chain builds the public request path, listed from the application
// outwards; each step wraps the ones before it. The order follows "How data
// flows" in DESIGN.md, with one change: the access log wraps panic recovery
// so that a panicking request is logged with its 500.
//
// IIS mode's step (pairing token, the application's virtual path made the
// path base, shutdown event, client certificate) comes right after the
// request limits, outside the forwarded headers. The prefix a proxy
// forwards (X-Forwarded-Prefix, the Forwarded header's) is only reported in
// forwarded.Result.PathBase: a step stripping it from the path would slot
// in where marked, inside the forwarded headers.
func chain(app http.Handler, c config) http.Handler {
	h := metrics.Route(app) // reports the ServeMux pattern to the metrics step
	h = &recovery{logger: c.logger, next: h}
	if c.accessLog != nil {
		h = &accessLog{out: c.accessLog, next: h}
	}
	h = c.httpMetrics.Handler(h)
	// A path base from the forwarded prefix would go here, between the
	// metrics and the forwarded headers: both sit inside those to see the
	// restored scheme and client.
	h = c.forwarded.Handler(h)
	if c.iis != nil {
		h = &iisHandler{mode: c.iis, logger: c.logger, next: h}
	}
	h = &requestLimits{limits: c.limits, logger: c.logger, conns: c.conns, accessLog: c.accessLog, next: h}
	return h
}

// errorLog routes net/http's own messages through slog.
func errorLog(logger *slog.Logger) *log.Logger {
	return slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
}
