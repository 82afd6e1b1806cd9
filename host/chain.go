package host

import (
	"log"
	"log/slog"
	"net/http"

	"github.com/gorilla/handlers"
)

// chain builds the public request path, listed from the application
// outwards; each step wraps the ones before it. The order follows "How data
// flows" in DESIGN.md, with one change: the access log wraps panic recovery
// so that a panicking request is logged with its 500.
//
// Steps still to come slot in where marked: metrics and path base, inside
// the forwarded headers. IIS mode's step (pairing token, application path,
// shutdown event, client certificate) comes right after the request limits,
// outside the forwarded headers.
func chain(app http.Handler, c config) http.Handler {
	h := app
	h = &recovery{logger: c.logger, next: h}
	if c.accessLog != nil {
		h = handlers.CombinedLoggingHandler(c.accessLog, h)
	}
	// metrics and path base go here, inside the forwarded headers so that
	// they see the restored scheme and client.
	h = c.forwarded.Handler(h)
	if c.iis != nil {
		h = &iisHandler{mode: c.iis, logger: c.logger, next: h}
	}
	h = &requestLimits{limits: c.limits, logger: c.logger, next: h}
	return h
}

// errorLog routes net/http's own messages through slog.
func errorLog(logger *slog.Logger) *log.Logger {
	return slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
}
