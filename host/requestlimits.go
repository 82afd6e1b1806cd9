package host

import (
	"log/slog"
	"net/http"
	"strconv"

	"github.com/apphost/apphost/metrics"
)

// requestLimits enforces the limits net/http does not: the request line's
// length, the header fields' total size and count, the declared body size,
// and (through limitBody) the body's size and minimum data rate.
type requestLimits struct {
	limits Limits
	logger *slog.Logger
	conns  *metrics.Conns // counts the rejections
	next   http.Handler
}

func (h *requestLimits) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	l := h.limits
	if l.MaxRequestLine > 0 {
		if n := requestLineSize(r); n > l.MaxRequestLine {
			h.reject(w, r, metrics.LimitRequestLine, http.StatusRequestURITooLong, "request line of "+strconv.Itoa(n)+" bytes exceeds "+strconv.Itoa(l.MaxRequestLine))
			return
		}
	}
	count, size := headerCountSize(r)
	if l.MaxHeaderCount > 0 && count > l.MaxHeaderCount {
		h.reject(w, r, metrics.LimitHeaderCount, http.StatusRequestHeaderFieldsTooLarge, strconv.Itoa(count)+" header fields exceed "+strconv.Itoa(l.MaxHeaderCount))
		return
	}
	if l.MaxRequestHeaders > 0 && size > l.MaxRequestHeaders {
		h.reject(w, r, metrics.LimitRequestHeaders, http.StatusRequestHeaderFieldsTooLarge, "header fields of "+strconv.Itoa(size)+" bytes exceed "+strconv.Itoa(l.MaxRequestHeaders))
		return
	}
	if l.MaxRequestBody >= 0 && r.ContentLength > l.MaxRequestBody {
		h.reject(w, r, metrics.LimitRequestBody, http.StatusRequestEntityTooLarge, "declared body of "+strconv.FormatInt(r.ContentLength, 10)+" bytes exceeds "+strconv.FormatInt(l.MaxRequestBody, 10))
		return
	}
	if r.Body == nil || r.Body == http.NoBody || (l.MaxRequestBody < 0 && l.MinRequestBodyRate < 0) {
		h.next.ServeHTTP(w, r)
		return
	}
	w, body := limitBody(w, r, l, h.logger)
	ctx, answer := metrics.WithAnswer(r.Context())
	body.conns, body.answer = h.conns, answer
	r2 := r.WithContext(ctx)
	r2.Body = body
	h.next.ServeHTTP(w, r2)
}

// reject answers a request that broke a limit. An HTTP/1 connection is
// closed after the answer, as Kestrel does after a bad request.
func (h *requestLimits) reject(w http.ResponseWriter, r *http.Request, limit metrics.Limit, code int, reason string) {
	h.conns.Rejected(limit)
	h.logger.Debug("request rejected", "status", code, "reason", reason, "remote", r.RemoteAddr, "method", r.Method)
	if r.ProtoMajor == 1 {
		w.Header().Set("Connection", "close")
	}
	http.Error(w, strconv.Itoa(code)+" "+http.StatusText(code), code)
}

// requestLineSize is the length of "METHOD target PROTO" as received (for
// HTTP/2, as rebuilt from the pseudo-header fields).
func requestLineSize(r *http.Request) int {
	return len(r.Method) + 1 + len(r.RequestURI) + 1 + len(r.Proto)
}

// headerCountSize counts the header fields and their size as
// name + ": " + value + CRLF each, with the Host field net/http keeps apart.
func headerCountSize(r *http.Request) (count, size int) {
	for name, values := range r.Header {
		for _, v := range values {
			count++
			size += len(name) + len(v) + 4
		}
	}
	if r.Host != "" {
		count++
		size += len("Host") + len(r.Host) + 4
	}
	return count, size
}
