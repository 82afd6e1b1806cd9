package host

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apphost/apphost/metrics"
	"github.com/felixge/httpsnoop"
)

// ErrRequestBodyTooSlow is wrapped by the error a request body's Read
// returns when the client sends slower than Limits.MinRequestBodyRate. The
// client has then been answered 408.
var ErrRequestBodyTooSlow = errors.New("request body arrives slower than the minimum data rate")

// limitBody wraps r's body to enforce MaxRequestBody for bodies of unknown
// length and MinRequestBodyRate, and w so that the host's 413 or 408 wins
// over whatever the handler writes after the body failed.
func limitBody(w http.ResponseWriter, r *http.Request, l Limits, logger *slog.Logger) (http.ResponseWriter, *limitedBody) {
	g := &responseGuard{raw: w, http1: r.ProtoMajor == 1}
	b := &limitedBody{
		src:    r.Body,
		guard:  g,
		rate:   l.MinRequestBodyRate,
		grace:  l.MinRequestBodyGrace,
		logger: logger,
		remote: r.RemoteAddr,
	}
	if l.MaxRequestBody >= 0 {
		// Given the raw writer, MaxBytesReader also tells net/http to close
		// the connection after the answer.
		b.src = http.MaxBytesReader(w, r.Body, l.MaxRequestBody)
	}
	if b.rate > 0 {
		b.rc = http.NewResponseController(w)
	}
	g.body = b
	return g.wrap(), b
}

// limitedBody is a request body that fails with 413 past the size limit and
// with 408 when data arrives too slowly.
type limitedBody struct {
	src    io.ReadCloser
	guard  *responseGuard
	rc     *http.ResponseController // nil: no rate limit
	rate   int64                    // bytes per second
	grace  time.Duration
	logger *slog.Logger
	remote string
	conns  *metrics.Conns // counts the rejections

	read  int64         // bytes handed to the handler
	spent time.Duration // time spent inside Read
	armed bool          // a read deadline is set on the connection
	err   error         // sticky failure
	// answered is the status the host sent in place of the handler's
	// answer (metrics.HostAnswer), or 0.
	answered atomic.Int64
	// ended is set once the body was read to its end or failed; it is
	// read from the response writer's side too.
	ended atomic.Bool
}

// unfinished reports whether the handler left part of the body unread on a
// connection net/http still owns. After a failure (413, 408) the
// connection closes anyway.
func (b *limitedBody) unfinished() bool {
	return !b.ended.Load() && !b.guard.hijacked.Load()
}

// HostAnswered is the status the host sent because the body broke a limit,
// or 0 (see metrics.HostAnswer).
func (b *limitedBody) HostAnswered() int { return int(b.answered.Load()) }

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.rc != nil {
		b.arm()
	}
	start := time.Now()
	n, err := b.src.Read(p)
	b.spent += time.Since(start)
	b.read += int64(n)

	var tooLarge *http.MaxBytesError
	switch {
	case err == nil:
	case errors.Is(err, io.EOF):
		b.ended.Store(true)
		b.disarm()
	case errors.As(err, &tooLarge):
		b.err = err
		if b.guard.answer(http.StatusRequestEntityTooLarge) {
			b.answered.Store(http.StatusRequestEntityTooLarge)
		}
		b.conns.Rejected(metrics.LimitRequestBody)
		b.logger.Debug("request rejected", "status", http.StatusRequestEntityTooLarge,
			"reason", "body exceeds "+strconv.FormatInt(tooLarge.Limit, 10)+" bytes", "remote", b.remote)
	case b.armed && isTimeout(err):
		b.err = fmt.Errorf("%w: %d bytes in %s, minimum %d bytes/s after %s: %w",
			ErrRequestBodyTooSlow, b.read, b.spent.Round(time.Millisecond), b.rate, b.grace, err)
		if b.guard.answer(http.StatusRequestTimeout) {
			b.answered.Store(http.StatusRequestTimeout)
		}
		b.conns.Rejected(metrics.LimitRequestBodyRate)
		b.logger.Debug("request rejected", "status", http.StatusRequestTimeout, "reason", b.err.Error(), "remote", b.remote)
	}
	if b.err != nil {
		b.ended.Store(true)
		return n, b.err
	}
	return n, err
}

// arm sets the read deadline at the moment the bytes received so far stop
// meeting the minimum rate: the grace period, or read/rate seconds of
// reading, whichever is longer, minus the time already spent reading.
func (b *limitedBody) arm() {
	allowed := b.grace
	if byRate := time.Duration(float64(b.read) / float64(b.rate) * float64(time.Second)); byRate > allowed {
		allowed = byRate
	}
	if err := b.rc.SetReadDeadline(time.Now().Add(allowed - b.spent)); err != nil {
		b.rc = nil // the connection cannot time reads; the rate is not enforced
		return
	}
	b.armed = true
}

// disarm clears the deadline once the body is complete, so that it cannot
// cut net/http's own reads on the connection.
func (b *limitedBody) disarm() {
	if b.armed {
		b.rc.SetReadDeadline(time.Time{})
		b.armed = false
	}
}

func (b *limitedBody) Close() error { return b.src.Close() }

// errAnswered is returned to a handler writing a response the host has
// already given.
var errAnswered = errors.New("the host already answered this request (its body broke a limit)")

// responseGuard lets the host answer in place of the handler once the
// request body broke a limit, unless the handler already sent its status.
type responseGuard struct {
	raw   http.ResponseWriter
	http1 bool

	mu       sync.Mutex
	sent     bool // a final status went out (from the handler or the host)
	answered bool // the host answered; the handler's output is dropped

	hijacked atomic.Bool // the handler took the connection over

	body     *limitedBody
	drainSet atomic.Bool // beforeSend has run
}

// beforeSend runs before the handler's response bytes go out. On HTTP/1,
// net/http reads whatever the handler left of the body before it sends the
// response head (up to 256 KiB), inside the handler's Write or Flush and
// without a deadline: a client trickling that body would hold the handler.
// The read gets bodyDrainTimeout, as after the handler returns. When the
// rate limit is off the host cannot tell a full-duplex handler's own body
// reads from net/http's, and sets nothing.
func (g *responseGuard) beforeSend() {
	if !g.http1 || g.drainSet.Load() {
		return
	}
	g.drainSet.Store(true)
	if b := g.body; b != nil && b.rc != nil && b.unfinished() {
		b.rc.SetReadDeadline(time.Now().Add(bodyDrainTimeout))
	}
}

// answer sends code unless a status already went out; it reports whether
// it did.
func (g *responseGuard) answer(code int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.sent {
		return false
	}
	g.sent, g.answered = true, true
	if g.http1 {
		g.raw.Header().Set("Connection", "close")
	}
	http.Error(g.raw, strconv.Itoa(code)+" "+http.StatusText(code), code)
	return true
}

// pass records that the handler writes; it reports false when the host
// answered already and the write must be dropped.
func (g *responseGuard) pass(code int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.answered {
		return false
	}
	if code >= 200 || code == 0 {
		g.sent = true
	}
	return true
}

// wrap gives the handler's view of the writer; it keeps the optional
// interfaces (Flusher, Hijacker, io.ReaderFrom) and Unwrap.
func (g *responseGuard) wrap() http.ResponseWriter {
	return httpsnoop.Wrap(g.raw, httpsnoop.Hooks{
		WriteHeader: func(next httpsnoop.WriteHeaderFunc) httpsnoop.WriteHeaderFunc {
			return func(code int) {
				if g.pass(code) {
					next(code)
				}
			}
		},
		Write: func(next httpsnoop.WriteFunc) httpsnoop.WriteFunc {
			return func(p []byte) (int, error) {
				if !g.pass(0) {
					return 0, errAnswered
				}
				g.beforeSend()
				return next(p)
			}
		},
		ReadFrom: func(next httpsnoop.ReadFromFunc) httpsnoop.ReadFromFunc {
			return func(src io.Reader) (int64, error) {
				if !g.pass(0) {
					return 0, errAnswered
				}
				g.beforeSend()
				return next(src)
			}
		},
		Hijack: func(next httpsnoop.HijackFunc) httpsnoop.HijackFunc {
			return func() (net.Conn, *bufio.ReadWriter, error) {
				g.hijacked.Store(true)
				return next()
			}
		},
		Flush: func(next httpsnoop.FlushFunc) httpsnoop.FlushFunc {
			return func() {
				if g.pass(0) {
					g.beforeSend()
					next()
				}
			}
		},
	})
}
