package host

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"time"
)

const (
	healthzPath = "/healthz"
	readyzPath  = "/readyz"
)

// adminHandler serves the liveness and readiness endpoints and the extra
// admin routes. ready is true while the public listeners serve and not yet
// draining.
func adminHandler(ready *atomic.Bool, extra map[string]http.Handler) (http.Handler, error) {
	mux := http.NewServeMux()
	mux.HandleFunc(healthzPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		fmt.Fprintln(w, "ok")
	})
	mux.HandleFunc(readyzPath, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		if !ready.Load() {
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintln(w, "draining")
			return
		}
		fmt.Fprintln(w, "ready")
	})
	for path, h := range extra {
		if err := handle(mux, path, h); err != nil {
			return nil, err
		}
	}
	return mux, nil
}

// handle registers h, turning ServeMux's panic on a bad pattern into an
// error.
func handle(mux *http.ServeMux, path string, h http.Handler) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("admin handler path %q: %v", path, p)
		}
	}()
	if h == nil {
		return fmt.Errorf("admin handler path %q: nil handler", path)
	}
	mux.Handle(path, h)
	return nil
}

// newAdminServer gives the admin listener fixed, conservative limits: it is
// reached only by local tools (Prometheus, health checks).
func newAdminServer(h http.Handler, c config) *http.Server {
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       max(c.limits.KeepAliveTimeout, 0),
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          errorLog(c.logger),
	}
}
