package host

import (
	"io"
	"net/http"
	"time"

	"github.com/apphost/apphost/internal/writershape"
)

// limitStreamSend applies the send timeout to one HTTP/2 stream, which the
// connection's write deadlines do not cover: a client that stops granting
// flow-control window to a stream holds its handler's Write without
// holding up the connection. Each piece of at most sendChunk bytes gets at
// least the timeout (a stream write deadline, which resets the stream when
// it passes), moved as on a connection (sendDeadline): rarely, since each
// move is a message to the connection's serving goroutine.
//
// The writer returned has the optional interfaces of w's shape (see
// writershape). A writer of HTTP/1's shape, which never serves a stream,
// is returned as it is: the connection bounds its writes.
func limitStreamSend(w http.ResponseWriter, timeout time.Duration) http.ResponseWriter {
	shape := writershape.Of(w)
	if shape == writershape.HTTP1 {
		return w
	}
	s := &streamSend{w: w, rc: *http.NewResponseController(w), send: sendDeadline{timeout: timeout}}
	switch shape {
	case writershape.HTTP2:
		return http2StreamSend{s}
	case writershape.Flusher:
		return flushStreamSend{s}
	default:
		return s
	}
}

// streamSend is the writer of one stream under the send timeout.
type streamSend struct {
	w    http.ResponseWriter
	rc   http.ResponseController // sets the stream's write deadline
	send sendDeadline
}

// arm moves the stream's write deadline when the next piece needs it. A
// stream that cannot take one is written on: the connection's own
// deadlines still bound it.
func (s *streamSend) arm() error {
	if deadline, ok := s.send.next(); ok {
		s.rc.SetWriteDeadline(deadline)
	}
	return nil
}

func (s *streamSend) Header() http.Header         { return s.w.Header() }
func (s *streamSend) WriteHeader(code int)        { s.w.WriteHeader(code) }
func (s *streamSend) Unwrap() http.ResponseWriter { return s.w }

func (s *streamSend) Write(p []byte) (int, error) {
	return writeInPieces(p, s.arm, s.w.Write)
}

// WriteString keeps the writer's copy-free path for io.WriteString.
func (s *streamSend) WriteString(str string) (int, error) {
	return writeInPieces(str, s.arm, func(piece string) (int, error) { return io.WriteString(s.w, piece) })
}

func (s *streamSend) flush() {
	s.arm()
	s.w.(http.Flusher).Flush()
}

type flushStreamSend struct{ *streamSend }

func (s flushStreamSend) Flush() { s.flush() }

type http2StreamSend struct{ *streamSend }

func (s http2StreamSend) Flush() { s.flush() }
func (s http2StreamSend) Push(target string, opts *http.PushOptions) error {
	return s.w.(http.Pusher).Push(target, opts)
}
