package host

import (
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/apphost/apphost/internal/writershape"
)

// limitStreamSend applies the send timeout to one HTTP/2 stream, which the
// connection's write deadlines do not cover: a client that stops granting
// flow-control window to a stream holds its handler's Write without
// holding up the connection. Each piece of at most sendChunk bytes gets at
// least the timeout (a stream write deadline, which resets the stream when
// it passes), moved as on a connection: rarely, since each move is a
// message to the connection's serving goroutine.
//
// A stream's deadline fires whether a write is waiting or not, so the
// timeout would also cut a handler that pauses between writes (a long
// poll, events now and then). The host's deadline therefore only stands
// while the stream is being written: once no write is in progress when it
// comes near (within half the timeout), it is taken off again. A deadline
// the application sets through http.ResponseController is the stream's, as
// net/http keeps it, and each piece keeps it when it is earlier than the
// piece's own.
//
// When the handler returns, net/http sends what it still buffers of the
// body: that last piece gets the timeout too.
//
// The writer returned has the optional interfaces of w's shape (see
// writershape); the caller defers s.stop, which ends the stream's watch
// when the handler returns. A writer of HTTP/1's shape, which never serves
// a stream, is returned as it is, with a nil s: the connection bounds its
// writes.
func limitStreamSend(w http.ResponseWriter, timeout time.Duration) (sw http.ResponseWriter, s *streamSend) {
	shape := writershape.Of(w)
	if shape == writershape.HTTP1 {
		return w, nil
	}
	s = &streamSend{w: w, rc: *http.NewResponseController(w), send: sendDeadline{timeout: timeout}}
	switch shape {
	case writershape.HTTP2:
		return http2StreamSend{s}, s
	case writershape.Flusher:
		return flushStreamSend{s}, s
	default:
		return s, s
	}
}

// streamSend is the writer of one stream under the send timeout.
type streamSend struct {
	w    http.ResponseWriter
	rc   http.ResponseController // sets the stream's write deadline
	send sendDeadline            // the host's deadline, moved as on a connection

	mu      sync.Mutex
	writing int       // pieces being written
	wrote   bool      // a piece was written
	host    bool      // the stream holds the host's deadline (send's)
	due     bool      // the watch found it near while a piece was written
	own     time.Time // the application's deadline; zero: none
	watch   *time.Timer
	stopped bool // the handler returned: the stream is net/http's again
}

// begin readies the stream for a piece: the application's deadline when
// it comes within the timeout, or else the host's, which sendDeadline
// moves only once it is nearer than the timeout (never past the
// application's). Each move sets the watch to take it off again at the
// timeout, half a timeout before it would fire.
func (s *streamSend) begin() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writing++
	s.wrote = true
	if !s.own.IsZero() && time.Until(s.own) <= s.send.timeout {
		if s.host {
			s.takeOff() // back to the application's
		}
		return nil
	}
	deadline, ok := s.send.next()
	if !ok {
		return nil
	}
	if !s.own.IsZero() && s.own.Before(deadline) {
		deadline = s.own // later than the timeout: it covers the piece
	}
	s.rc.SetWriteDeadline(deadline)
	s.host, s.due = true, false
	if s.watch == nil {
		s.watch = time.AfterFunc(s.send.timeout, s.idle)
	} else {
		s.watch.Reset(s.send.timeout)
	}
	return nil
}

// end follows a piece: when it was the last in progress and the watch
// came meanwhile, the host's deadline goes now.
func (s *streamSend) end() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writing--
	if s.writing == 0 && s.due {
		s.takeOff()
	}
}

// idle is the watch: the host's deadline comes near, and unless a piece is
// being written (end then sees to it), it is taken off.
func (s *streamSend) idle() {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case s.stopped || !s.host:
	case s.writing > 0:
		s.due = true
	default:
		s.takeOff()
	}
}

// takeOff gives the stream the application's deadline back, or none, in
// place of the host's; s.mu is held. A stream that cannot take a deadline
// is written on: the connection's own deadlines still bound it.
func (s *streamSend) takeOff() {
	s.host, s.due = false, false
	s.send.forget()
	s.rc.SetWriteDeadline(s.own)
}

// SetWriteDeadline sets the application's deadline on the stream, as
// net/http does, and the pieces written from then on keep it when it is
// earlier than their own; the zero time takes it off. http.ResponseController
// finds it before unwrapping.
func (s *streamSend) SetWriteDeadline(t time.Time) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.own = t
	s.host, s.due = false, false
	s.send.forget()
	return s.rc.SetWriteDeadline(t)
}

// stop ends the watch when the handler returns: net/http's writer is not
// to be used after that. net/http then sends what it still buffers: when
// something was written and the stream holds neither the host's deadline
// (still half a timeout away until the watch comes) nor the
// application's, it gets the timeout once more for that. (nil: nothing
// to stop.)
func (s *streamSend) stop() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stopped = true
	if s.watch != nil {
		s.watch.Stop()
	}
	if !s.wrote || s.host && !s.due || !s.host && !s.own.IsZero() {
		return
	}
	s.rc.SetWriteDeadline(time.Now().Add(s.send.timeout))
}

func (s *streamSend) Header() http.Header         { return s.w.Header() }
func (s *streamSend) WriteHeader(code int)        { s.w.WriteHeader(code) }
func (s *streamSend) Unwrap() http.ResponseWriter { return s.w }

func (s *streamSend) Write(p []byte) (int, error) {
	return writeInPieces(p, s.begin, func(piece []byte) (int, error) {
		defer s.end()
		return s.w.Write(piece)
	})
}

// WriteString keeps the writer's copy-free path for io.WriteString.
func (s *streamSend) WriteString(str string) (int, error) {
	return writeInPieces(str, s.begin, func(piece string) (int, error) {
		defer s.end()
		return io.WriteString(s.w, piece)
	})
}

// flush flushes the stream, through its FlushError when it has one, and
// returns that error.
func (s *streamSend) flush() error {
	s.begin()
	defer s.end()
	return s.rc.Flush()
}

type flushStreamSend struct{ *streamSend }

func (s flushStreamSend) Flush()            { s.flush() }
func (s flushStreamSend) FlushError() error { return s.flush() }

type http2StreamSend struct{ *streamSend }

func (s http2StreamSend) Flush()            { s.flush() }
func (s http2StreamSend) FlushError() error { return s.flush() }
func (s http2StreamSend) Push(target string, opts *http.PushOptions) error {
	return s.w.(http.Pusher).Push(target, opts)
}
