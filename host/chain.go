package host

import (
	"fmt"
	"log"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/apphost/apphost/metrics"
	"github.com/gorilla/handlers"
)

// chain builds the public request path, listed from the application
// outwards; each step wraps the ones before it. The order follows "How data
// flows" in DESIGN.md, with one change: the access log wraps panic recovery
// so that a panicking request is logged with its 500.
//
// Steps still to come slot in where marked: path base, inside the
// forwarded headers. IIS mode's step (pairing token, application path,
// shutdown event, client certificate) comes right after the request limits,
// outside the forwarded headers.
func chain(app http.Handler, c config) http.Handler {
	h := metrics.Route(app) // reports the ServeMux pattern to the metrics step
	h = passAbort(handlers.RecoveryHandler(handlers.RecoveryLogger(panicLogger{c.logger})), h)
	if c.accessLog != nil {
		h = handlers.CombinedLoggingHandler(c.accessLog, h)
	}
	h = c.httpMetrics.Handler(h)
	// path base goes here, between the metrics and the forwarded headers:
	// both sit inside those to see the restored scheme and client.
	h = c.forwarded.Handler(h)
	if c.iis != nil {
		h = &iisHandler{mode: c.iis, logger: c.logger, next: h}
	}
	h = &requestLimits{limits: c.limits, logger: c.logger, conns: c.conns, next: h}
	return h
}

// panicLogger logs a recovered panic through slog with the panicking
// goroutine's stack. gorilla/handlers calls Println from its deferred
// recover, so the stack is still that of the panic.
type panicLogger struct{ logger *slog.Logger }

func (p panicLogger) Println(v ...any) {
	p.logger.Error("panic serving request", "panic", fmt.Sprint(v...), "stack", string(debug.Stack()))
}

// passAbort wraps app in recovery while keeping the meaning of a panic with
// http.ErrAbortHandler: abort the response without logging a stack (as
// httputil.ReverseProxy does when the upstream fails mid-body). Such a panic
// bypasses recovery and reaches net/http, which closes the connection.
func passAbort(recovery func(http.Handler) http.Handler, app http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		aborted := false
		recovery(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				if p := recover(); p != nil {
					if p == http.ErrAbortHandler {
						aborted = true
						return
					}
					panic(p) // to recovery, with the original frames still on the stack
				}
			}()
			app.ServeHTTP(w, r)
		})).ServeHTTP(w, r)
		if aborted {
			panic(http.ErrAbortHandler)
		}
	})
}

// errorLog routes net/http's own messages through slog.
func errorLog(logger *slog.Logger) *log.Logger {
	return slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
}
