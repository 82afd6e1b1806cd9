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
	s := &streamSend{w: w, rc: *http.NewResponseController(w), send: sendDeadline{timeout: timeout}}
	switch writershape.Of(w) {
	case writershape.HTTP2:
		return http2StreamSend{s}
	case writershape.Flusher:
		return flushStreamSend{s}
	case writershape.Plain:
		return s
	default:
		return w
	}
}

// streamSend is the writer of one stream under the send timeout.
type streamSend struct {
	w    http.ResponseWriter
	rc   http.ResponseController // sets the stream's write deadline
	send sendDeadline
}

// arm moves the stream's write deadline when the next piece needs it.
func (s *streamSend) arm() {
	if deadline, ok := s.send.next(); ok {
		s.rc.SetWriteDeadline(deadline)
	}
}

func (s *streamSend) Header() http.Header         { return s.w.Header() }
func (s *streamSend) WriteHeader(code int)        { s.w.WriteHeader(code) }
func (s *streamSend) Unwrap() http.ResponseWriter { return s.w }

func (s *streamSend) Write(p []byte) (int, error) {
	written := 0
	for len(p) > 0 {
		s.arm()
		n, err := s.w.Write(p[:min(len(p), sendChunk)])
		written += n
		if err != nil {
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}

// WriteString keeps the writer's copy-free path for io.WriteString.
func (s *streamSend) WriteString(str string) (int, error) {
	written := 0
	for len(str) > 0 {
		s.arm()
		n, err := io.WriteString(s.w, str[:min(len(str), sendChunk)])
		written += n
		if err != nil {
			return written, err
		}
		str = str[n:]
	}
	return written, nil
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
