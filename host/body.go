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
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apphost/apphost/internal/writershape"
	"github.com/apphost/apphost/metrics"
)

// ErrRequestBodyTooSlow is wrapped by the error a request body's Read
// returns when the client sends slower than Limits.MinRequestBodyRate. The
// client has then been answered 408.
var ErrRequestBodyTooSlow = errors.New("request body arrives slower than the minimum data rate")

// limitBody gives the handler's view of w and r: r's body fails past
// MaxRequestBody (for bodies of unknown length; a declared length was
// checked before) and below MinRequestBodyRate, and w lets the host's 413
// or 408 win over whatever the handler writes after the body failed.
func limitBody(w http.ResponseWriter, r *http.Request, l Limits, logger *slog.Logger) (http.ResponseWriter, *http.Request, *limitedBody) {
	bl := &bodyLimit{req: *r}
	g, b := &bl.guard, &bl.body
	g.raw, g.http1, g.body = w, r.ProtoMajor == 1, b
	*b = limitedBody{
		src:    r.Body,
		guard:  g,
		rc:     *http.NewResponseController(w),
		rate:   max(l.MinRequestBodyRate, 0),
		grace:  l.MinRequestBodyGrace,
		limit:  l.MaxRequestBody,
		left:   l.MaxRequestBody,
		logger: logger,
		remote: r.RemoteAddr,
	}
	bl.req.Body = b
	return g.wrap(), &bl.req, b
}

// bodyLimit is what limitBody adds to a request, in one allocation: the
// handler's copy of the request, its body and the response writer's guard.
type bodyLimit struct {
	req   http.Request
	body  limitedBody
	guard responseGuard
}

// limitedBody is a request body that fails with 413 past the size limit and
// with 408 when data arrives too slowly.
type limitedBody struct {
	src    io.ReadCloser
	guard  *responseGuard
	rc     http.ResponseController // sets the read deadlines
	rate   int64                   // bytes per second; 0: the rate limit is not enforced
	grace  time.Duration
	limit  int64 // MaxRequestBody; negative: none
	left   int64 // bytes the limit still allows
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

// HostAnswered is the status the host sent because the body broke a limit
// and the size of its body, or 0 and 0 (see metrics.HostAnswer).
func (b *limitedBody) HostAnswered() (status int, written int64) {
	if code := int(b.answered.Load()); code != 0 {
		return code, hostErrorSize(code)
	}
	return 0, 0
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if b.limit >= 0 && int64(len(p)) > b.left {
		p = p[:b.left+1] // one byte past the limit tells it is broken
	}
	if b.rate > 0 {
		b.arm()
	}
	start := time.Now()
	n, err := b.src.Read(p)
	b.spent += time.Since(start)
	if b.limit >= 0 {
		if int64(n) > b.left {
			n = int(b.left)
			b.tooLarge()
		}
		b.left -= int64(n)
	}
	b.read += int64(n)

	switch {
	case b.err != nil: // past the size limit
	case err == nil:
	case errors.Is(err, io.EOF):
		b.ended.Store(true)
		b.disarm()
	case b.armed && isTimeout(err):
		b.err = fmt.Errorf("%w: %d bytes in %s, minimum %d bytes/s after %s: %w",
			ErrRequestBodyTooSlow, b.read, b.spent.Round(time.Millisecond), b.rate, b.grace, err)
		b.guard.answer(http.StatusRequestTimeout)
		b.conns.Rejected(metrics.LimitRequestBodyRate)
		b.logger.Debug("request rejected", "status", http.StatusRequestTimeout, "reason", b.err.Error(), "remote", b.remote)
	}
	if b.err != nil {
		b.ended.Store(true)
		return n, b.err
	}
	return n, err
}

// tooLarge fails the body that went past the limit with 413, as
// http.MaxBytesReader would. Like MaxBytesReader, it has net/http close
// the connection after the answer even when the handler already sent its
// status, through a method of net/http's writer that only MaxBytesReader
// reaches: a MaxBytesReader of 0 bytes given one.
func (b *limitedBody) tooLarge() {
	http.MaxBytesReader(b.guard.raw, io.NopCloser(strings.NewReader(".")), 0).Read(make([]byte, 1))
	b.err = &http.MaxBytesError{Limit: b.limit}
	b.guard.answer(http.StatusRequestEntityTooLarge)
	b.conns.Rejected(metrics.LimitRequestBody)
	b.logger.Debug("request rejected", "status", http.StatusRequestEntityTooLarge,
		"reason", "body exceeds "+strconv.FormatInt(b.limit, 10)+" bytes", "remote", b.remote)
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
		b.rate = 0 // the connection cannot time reads; the rate is not enforced
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

	mu   sync.Mutex
	sent bool // a final status went out (from the handler or the host)

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
	if b := g.body; b.rate > 0 && b.unfinished() {
		b.rc.SetReadDeadline(time.Now().Add(bodyDrainTimeout))
	}
}

// answer sends code, and records it as the body's HostAnswered, unless a
// status already went out.
func (g *responseGuard) answer(code int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.sent {
		return
	}
	g.sent = true
	g.body.answered.Store(int64(code))
	if g.http1 {
		g.raw.Header().Set("Connection", "close")
	}
	sendHostError(g.raw, code)
}

// pass records that the handler writes; it reports false when the host
// answered already and the write must be dropped.
func (g *responseGuard) pass(code int) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.body.answered.Load() != 0 { // the host answered: the handler's output is dropped
		return false
	}
	if code >= 200 || code == 0 {
		g.sent = true
	}
	return true
}

// wrap gives the handler's view of the writer: the guard, with exactly the
// optional interfaces of the raw writer's shape (see writershape), as the
// metrics step's recorder inside it; Unwrap lets http.ResponseController
// reach the raw writer. Each variant is a pointer to the guard, which costs
// no allocation.
func (g *responseGuard) wrap() http.ResponseWriter {
	switch writershape.Of(g.raw) {
	case writershape.HTTP1:
		return http1Guard{g}
	case writershape.HTTP2:
		return http2Guard{g}
	case writershape.Flusher:
		return flushGuard{g}
	default:
		return g
	}
}

func (g *responseGuard) Header() http.Header         { return g.raw.Header() }
func (g *responseGuard) Unwrap() http.ResponseWriter { return g.raw }

func (g *responseGuard) WriteHeader(code int) {
	if g.pass(code) {
		g.raw.WriteHeader(code)
	}
}

func (g *responseGuard) Write(p []byte) (int, error) {
	if !g.pass(0) {
		return 0, errAnswered
	}
	g.beforeSend()
	return g.raw.Write(p)
}

// WriteString keeps net/http's copy-free path for io.WriteString.
func (g *responseGuard) WriteString(s string) (int, error) {
	if !g.pass(0) {
		return 0, errAnswered
	}
	g.beforeSend()
	return io.WriteString(g.raw, s)
}

// flush flushes the writer underneath, through its FlushError when it
// has one, as http.ResponseController does, and returns that error.
func (g *responseGuard) flush() error {
	if !g.pass(0) {
		return errAnswered
	}
	g.beforeSend()
	return http.NewResponseController(g.raw).Flush()
}

func (g *responseGuard) readFrom(src io.Reader) (int64, error) {
	if !g.pass(0) {
		return 0, errAnswered
	}
	g.beforeSend()
	return g.raw.(io.ReaderFrom).ReadFrom(src)
}

func (g *responseGuard) hijack() (net.Conn, *bufio.ReadWriter, error) {
	g.hijacked.Store(true)
	return g.raw.(http.Hijacker).Hijack()
}

type flushGuard struct{ *responseGuard }

func (g flushGuard) Flush()            { g.flush() }
func (g flushGuard) FlushError() error { return g.flush() }

type http1Guard struct{ *responseGuard }

func (g http1Guard) Flush()                                       { g.flush() }
func (g http1Guard) FlushError() error                            { return g.flush() }
func (g http1Guard) ReadFrom(src io.Reader) (int64, error)        { return g.readFrom(src) }
func (g http1Guard) Hijack() (net.Conn, *bufio.ReadWriter, error) { return g.hijack() }

type http2Guard struct{ *responseGuard }

func (g http2Guard) Flush()            { g.flush() }
func (g http2Guard) FlushError() error { return g.flush() }
func (g http2Guard) Push(target string, opts *http.PushOptions) error {
	return g.raw.(http.Pusher).Push(target, opts)
}
