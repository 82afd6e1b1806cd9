package host

import (
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/apphost/apphost/metrics"
)

// requestLimits enforces the limits net/http does not: the request line's
// length, the header fields' total size and count, the declared body size,
// and (through limitBody) the body's size and minimum data rate.
type requestLimits struct {
	limits    Limits
	logger    *slog.Logger
	conns     *metrics.Conns // counts the rejections
	accessLog io.Writer      // logs them too; nil when off
	next      http.Handler
}

func (h *requestLimits) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.ProtoMajor == 2 && h.limits.SendTimeout > 0 {
		h.serveStream(w, r)
		return
	}
	h.serve(w, r)
}

// serveStream serves an HTTP/2 request under the send timeout (see
// limitStreamSend). (It is apart from ServeHTTP so that HTTP/1's requests
// carry no deferred call.)
func (h *requestLimits) serveStream(w http.ResponseWriter, r *http.Request) {
	sw, s := limitStreamSend(w, h.limits.SendTimeout)
	defer s.stop()
	h.serve(sw, r)
}

// serve serves a request within the limits.
func (h *requestLimits) serve(w http.ResponseWriter, r *http.Request) {
	if h.refused(w, r) {
		return
	}
	if r.Body == nil || r.Body == http.NoBody {
		h.next.ServeHTTP(w, r)
		return
	}
	h.serveBody(w, r)
}

// refused answers r and reports true when its head breaks a limit. (It and
// serveBody are apart from ServeHTTP, which every request goes through, so
// that their work does not make every call's frame larger.)
func (h *requestLimits) refused(w http.ResponseWriter, r *http.Request) bool {
	l := &h.limits
	if l.MaxRequestLine > 0 {
		if n := requestLineSize(r); n > l.MaxRequestLine {
			h.reject(w, r, metrics.LimitRequestLine, http.StatusRequestURITooLong, "request line of "+strconv.Itoa(n)+" bytes exceeds "+strconv.Itoa(l.MaxRequestLine))
			return true
		}
	}
	count, size := headerCountSize(r)
	if l.MaxHeaderCount > 0 && count > l.MaxHeaderCount {
		h.reject(w, r, metrics.LimitHeaderCount, http.StatusRequestHeaderFieldsTooLarge, strconv.Itoa(count)+" header fields exceed "+strconv.Itoa(l.MaxHeaderCount))
		return true
	}
	if l.MaxRequestHeaders > 0 && size > l.MaxRequestHeaders {
		h.reject(w, r, metrics.LimitRequestHeaders, http.StatusRequestHeaderFieldsTooLarge, "header fields of "+strconv.Itoa(size)+" bytes exceed "+strconv.Itoa(l.MaxRequestHeaders))
		return true
	}
	if l.MaxRequestBody >= 0 && r.ContentLength > l.MaxRequestBody {
		h.reject(w, r, metrics.LimitRequestBody, http.StatusRequestEntityTooLarge, "declared body of "+strconv.FormatInt(r.ContentLength, 10)+" bytes exceeds "+strconv.FormatInt(l.MaxRequestBody, 10))
		return true
	}
	return false
}

// serveBody serves a request with a body, which the body limits wrap.
func (h *requestLimits) serveBody(w http.ResponseWriter, r *http.Request) {
	lw, r2, body := limitBody(w, r, h.limits, h.logger)
	body.conns = h.conns
	h.next.ServeHTTP(lw, r2)
	if r.ProtoMajor == 1 && body.unfinished() {
		// net/http reads up to 256 KiB of an unread body after the handler
		// so that the connection can serve another request, without any
		// deadline: a client trickling that body would hold the connection
		// (and the response, which waits for it) indefinitely. As Kestrel,
		// allow bodyDrainTimeout; past it the read fails, and net/http
		// sends the response with "Connection: close" and closes.
		body.rc.SetReadDeadline(time.Now().Add(bodyDrainTimeout))
	}
}

// bodyDrainTimeout bounds the time net/http may spend reading the part of a
// request body the handler left unread (Kestrel's RequestBodyDrainTimeout).
var bodyDrainTimeout = 5 * time.Second

// reject answers a request that broke a limit, and writes its access-log
// line: the steps inside, the access log among them, never see it, and it
// is written before the forwarded headers are read, so its client is the
// connection's peer. An HTTP/1 connection is closed after the answer, as
// Kestrel does after a bad request.
func (h *requestLimits) reject(w http.ResponseWriter, r *http.Request, limit metrics.Limit, code int, reason string) {
	start := time.Now()
	h.conns.Rejected(limit)
	h.logger.Debug("request rejected", "status", code, "reason", reason, "remote", r.RemoteAddr, "method", r.Method)
	if r.ProtoMajor == 1 {
		w.Header().Set("Connection", "close")
		if r.ContentLength != 0 {
			// net/http reads up to 256 KiB of the body it was not given
			// after the answer, with no deadline of its own: a client that
			// never sends it would hold the connection.
			http.NewResponseController(w).SetReadDeadline(time.Now().Add(bodyDrainTimeout))
		}
	}
	written := sendHostError(w, code)
	if h.accessLog != nil {
		writeAccessLine(h.accessLog, r, start, metrics.Record{Status: code, Written: written})
	}
}

// hostErrorBody is the host's plain-text answer for code, as it goes out:
// "413 Request Entity Too Large" and a newline.
func hostErrorBody(code int) string {
	return strconv.Itoa(code) + " " + http.StatusText(code) + "\n"
}

// sendHostError answers code with hostErrorBody and returns its size.
func sendHostError(w http.ResponseWriter, code int) (written int64) {
	body := hostErrorBody(code)
	http.Error(w, body[:len(body)-1], code) // http.Error adds the newline
	return int64(len(body))
}

// hostErrorSize is the size of the body sendHostError sends for code.
func hostErrorSize(code int) int64 { return int64(len(hostErrorBody(code))) }

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
