// Package writershape tells which of net/http's response writers a
// writer looks like, by the optional interfaces it has.
//
// A step of the request path that wraps the response writer must hand the
// application exactly the optional interfaces of the writer it wraps: a
// wrapper without io.ReaderFrom loses sendfile, one with a Hijacker over an
// HTTP/2 stream lies. The steps that wrap (the host's body guard and
// HTTP/2 send timeout, the metrics recorder) each keep one wrapper type per
// shape and pick it with [Of], so that they agree on the shapes and their
// interfaces. Each wrapper with Flush also has FlushError, which passes
// on the wrapped writer's error through http.ResponseController (nil
// where that writer has Flush alone).
package writershape

import (
	"io"
	"net/http"
)

// Shape is a combination of the optional interfaces of a response writer.
type Shape uint8

const (
	// Plain is a writer with none of the optional interfaces, or with a
	// combination net/http's writers do not have: its wrapper adds none.
	Plain Shape = iota
	// Flusher is a writer with http.Flusher alone, as
	// httptest.ResponseRecorder.
	Flusher
	// HTTP1 is net/http's HTTP/1 writer: http.Flusher, http.Hijacker
	// and io.ReaderFrom, without http.Pusher.
	HTTP1
	// HTTP2 is net/http's HTTP/2 writer: http.Flusher and http.Pusher,
	// without http.Hijacker and io.ReaderFrom.
	HTTP2
)

// Of returns w's shape.
func Of(w http.ResponseWriter) Shape {
	_, fl := w.(http.Flusher)
	_, hj := w.(http.Hijacker)
	_, rf := w.(io.ReaderFrom)
	_, pu := w.(http.Pusher)
	switch {
	case fl && hj && rf && !pu:
		return HTTP1
	case fl && pu && !hj && !rf:
		return HTTP2
	case fl && !hj && !rf && !pu:
		return Flusher
	default:
		return Plain
	}
}

func (s Shape) String() string {
	switch s {
	case Flusher:
		return "Flusher"
	case HTTP1:
		return "HTTP1"
	case HTTP2:
		return "HTTP2"
	default:
		return "Plain"
	}
}
