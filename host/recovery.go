package host

import (
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/apphost/apphost/metrics"
)

// recovery turns a panic in the application into a 500 and an error log
// with the panicking goroutine's stack, so one bad request neither kills
// the process nor goes unnoticed. It answers as gorilla/handlers'
// RecoveryHandler does (WriteHeader(500), nothing else), but costs no
// allocation per request and lets a panic with http.ErrAbortHandler
// through: that one means "abort the response" (httputil.ReverseProxy
// raises it when the upstream fails mid-body), and net/http then closes
// the connection without logging a stack.
//
// A panic after the response has begun is logged the same way, but the
// response cannot turn into a 500 any more: recovery then aborts it with
// http.ErrAbortHandler, so the client sees a cut response (an incomplete
// body, or no answer at all) instead of a truncated one that looks whole.
type recovery struct {
	logger *slog.Logger
	next   http.Handler
}

func (h *recovery) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		// The application's request may be a copy (the body limits make
		// one), whose parsed multipart form net/http does not see: its
		// temporary files go here, as net/http removes its own request's.
		if r.MultipartForm != nil {
			r.MultipartForm.RemoveAll()
		}
		p := recover()
		if p == nil {
			return
		}
		if p == http.ErrAbortHandler {
			panic(p)
		}
		// Still in the deferred call: the stack is the panic's.
		h.logger.Error("panic serving request", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		if started, _ := metrics.ResponseStarted(w); started {
			panic(http.ErrAbortHandler)
		}
		w.WriteHeader(http.StatusInternalServerError)
	}()
	h.next.ServeHTTP(w, r)
}
