package host

import (
	"fmt"
	"time"
)

// Limits bounds what one request or the whole server may take. In every
// field, zero means Kestrel's default (see [DefaultLimits]) and a negative
// value means no limit, except where a field says otherwise.
type Limits struct {
	// MaxRequestBody is the largest request body in bytes (Kestrel:
	// 30,000,000). A larger Content-Length is answered 413 before any byte
	// of the body is read. A body without Content-Length (chunked, or
	// HTTP/2 without content-length) reads normally up to the limit; the
	// read that crosses it fails with *http.MaxBytesError and the client
	// gets 413 (unless the handler had already sent its status line).
	MaxRequestBody int64

	// MaxRequestHeaders is the largest total size of the header fields in
	// bytes (Kestrel: 32 KiB), counted as name + ": " + value + CRLF per
	// field, the Host field included; above it the answer is 431.
	// net/http's own MaxHeaderBytes is set to MaxRequestHeaders +
	// MaxRequestLine (plus net/http's 4 KiB slack) as a backstop: a head
	// larger than that is refused with 431 by net/http before the host sees
	// it. Negative: the backstop is net/http's default of 1 MiB.
	MaxRequestHeaders int

	// MaxHeaderCount is the most header fields a request may carry (Kestrel:
	// 100); one more is answered 431. Repeated fields count once each. Go
	// removes Host and Transfer-Encoding from the header map; Host is
	// counted back, Transfer-Encoding is not (the count is approximate by
	// one in that case).
	MaxHeaderCount int

	// MaxRequestLine is the longest request line in bytes (Kestrel: 8 KiB),
	// method + " " + target + " " + protocol; above it the answer is 414.
	// A line longer than MaxRequestHeaders + MaxRequestLine meets net/http's
	// backstop first and is answered 431.
	MaxRequestLine int

	// RequestHeadersTimeout bounds the time from the first byte of a
	// request (or the connection's start) to the end of its headers
	// (Kestrel: 30s). A client that has sent part of a request head in that
	// time gets 408 and the connection closes; one that has sent nothing is
	// closed silently. HTTP/1.1 only: HTTP/2 streams are bounded by the
	// connection's keep-alive timeout instead.
	RequestHeadersTimeout time.Duration

	// KeepAliveTimeout closes a connection idle between requests for that
	// long (Kestrel: 130s, longer than the proxies' upstream keep-alive so
	// that the proxy, not the host, closes idle connections).
	KeepAliveTimeout time.Duration

	// MinRequestBodyRate is the slowest accepted upload in bytes per second
	// (Kestrel: 240), measured from the first read of the body over the time
	// the handler spends waiting for body data, once MinRequestBodyGrace has
	// passed. A slower body ends with 408 and the connection closes (for
	// HTTP/2, the stream). Measured through read deadlines (see
	// http.ResponseController.SetReadDeadline): bytes net/http has already
	// buffered count as arrived.
	MinRequestBodyRate int64

	// MinRequestBodyGrace is the time a body may take before
	// MinRequestBodyRate applies (Kestrel: 5s). Negative is an error.
	MinRequestBodyGrace time.Duration

	// SendTimeout bounds how long the client may leave the response
	// unread (Kestrel bounds the same with MinResponseDataRate, 240 bytes/s
	// after 5s). Writes go to the socket in pieces of at most 16 KiB, and
	// one the kernel does not take within SendTimeout (at most half as
	// long again) fails the write and the connection closes: the
	// handler's Write returns an error instead of blocking forever on a
	// client that stopped reading. A download progressing at 16 KiB per
	// SendTimeout or faster (273 bytes/s at the default) is never cut.
	// A deadline the application sets
	// (http.ResponseController.SetWriteDeadline, or on a hijacked
	// connection) is kept when it is earlier. Default 60s; negative: no
	// limit. For HTTP/2 it bounds both the connection's writes and each
	// stream's (a stream the client holds back with flow control is
	// reset, with the same bounds per piece). It bounds writes, not the
	// time between them: a handler pausing between writes keeps its
	// stream, as it keeps its connection. Over HTTP/2 the application's
	// own deadline also resets the stream when it passes between writes,
	// as net/http does.
	SendTimeout time.Duration

	// MaxConnections bounds the connections open at once on all public
	// listeners together. Zero or negative: no limit (Kestrel's default).
	// Above the limit the host stops accepting: new connections wait in the
	// kernel's listen backlog and are accepted as others close; once the
	// backlog is full the kernel drops or refuses them. A proxy in front
	// therefore sees slow connects, not errors, until its connect timeout.
	// An HTTP/2 connection counts once, however many streams it carries.
	MaxConnections int
}

// DefaultLimits returns Kestrel's defaults, the values the zero fields of
// [Limits] stand for.
func DefaultLimits() Limits {
	return Limits{
		MaxRequestBody:        30_000_000,        // KestrelServerLimits.MaxRequestBodySize
		MaxRequestHeaders:     32 << 10,          // MaxRequestHeadersTotalSize
		MaxHeaderCount:        100,               // MaxRequestHeaderCount
		MaxRequestLine:        8 << 10,           // MaxRequestLineSize
		RequestHeadersTimeout: 30 * time.Second,  // RequestHeadersTimeout
		KeepAliveTimeout:      130 * time.Second, // KeepAliveTimeout
		MinRequestBodyRate:    240,               // MinRequestBodyDataRate bytesPerSecond
		MinRequestBodyGrace:   5 * time.Second,   // MinRequestBodyDataRate gracePeriod
		SendTimeout:           60 * time.Second,  // MinResponseDataRate: 240 bytes/s after 5s, as 16 KiB per write
		MaxConnections:        0,                 // MaxConcurrentConnections: null, unlimited
	}
}

// resolve replaces zero fields with the defaults and rejects values that have
// no meaning.
func (l Limits) resolve() (Limits, error) {
	d := DefaultLimits()
	if l.MaxRequestBody == 0 {
		l.MaxRequestBody = d.MaxRequestBody
	}
	if l.MaxRequestHeaders == 0 {
		l.MaxRequestHeaders = d.MaxRequestHeaders
	}
	if l.MaxHeaderCount == 0 {
		l.MaxHeaderCount = d.MaxHeaderCount
	}
	if l.MaxRequestLine == 0 {
		l.MaxRequestLine = d.MaxRequestLine
	}
	if l.RequestHeadersTimeout == 0 {
		l.RequestHeadersTimeout = d.RequestHeadersTimeout
	}
	if l.KeepAliveTimeout == 0 {
		l.KeepAliveTimeout = d.KeepAliveTimeout
	}
	if l.MinRequestBodyRate == 0 {
		l.MinRequestBodyRate = d.MinRequestBodyRate
	}
	if l.SendTimeout == 0 {
		l.SendTimeout = d.SendTimeout
	}
	switch {
	case l.MinRequestBodyGrace == 0:
		l.MinRequestBodyGrace = d.MinRequestBodyGrace
	case l.MinRequestBodyGrace < 0:
		return l, fmt.Errorf("limits: min request body grace %s: must not be negative", l.MinRequestBodyGrace)
	}
	if l.MaxConnections < 0 {
		l.MaxConnections = 0
	}
	return l, nil
}

// maxHeaderBytes is net/http's backstop for the request head: the request
// line and header limits together, or net/http's default where one is off.
func (l Limits) maxHeaderBytes() int {
	const fallback = 1 << 20 // http.DefaultMaxHeaderBytes
	total := 0
	for _, v := range []int{l.MaxRequestHeaders, l.MaxRequestLine} {
		if v > 0 {
			total += v
		} else {
			total += fallback
		}
	}
	return total
}
