package metrics

import (
	"bufio"
	"io"
	"net"
	"net/http"

	"github.com/apphost/apphost/internal/writershape"
)

// record is what the middleware learns from the response writer.
type record struct {
	status   int // first final status written; 0: none yet
	written  int64
	hijacked bool
}

// recorder is the response writer handed down: a pointer to the request's
// state, which holds the original writer. Its variants add exactly the
// optional interfaces of the original writer's shape (see writershape);
// any other writer gets the plain recorder, whose Unwrap still lets
// http.ResponseController reach the original. Each variant is a pointer
// in a struct, which an interface holds without an allocation.
type recorder struct{ st *state }

func (r recorder) metricsState() *state { return r.st }

func (r recorder) Header() http.Header         { return r.st.w.Header() }
func (r recorder) Unwrap() http.ResponseWriter { return r.st.w }

// Each call is recorded once the writer underneath has taken it: a status
// net/http refuses (it panics) or anything after the connection was taken
// over (it answers http.ErrHijacked) is not.

func (r recorder) WriteHeader(code int) {
	r.st.w.WriteHeader(code)
	if rec := &r.st.rec; rec.status == 0 && !rec.hijacked && (code >= 200 || code == http.StatusSwitchingProtocols) {
		rec.status = code
	}
}

// wrote records n body bytes taken, and the 200 net/http sends when body
// bytes or a flush come before any WriteHeader.
func (r recorder) wrote(n int64, err error) {
	rec := &r.st.rec
	if rec.hijacked || err != nil && n == 0 {
		return
	}
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	rec.written += n
}

func (r recorder) Write(p []byte) (int, error) {
	n, err := r.st.w.Write(p)
	r.wrote(int64(n), err)
	return n, err
}

// WriteString keeps net/http's copy-free path for io.WriteString.
func (r recorder) WriteString(s string) (int, error) {
	n, err := io.WriteString(r.st.w, s)
	r.wrote(int64(n), err)
	return n, err
}

// flush flushes the writer underneath, through its FlushError when it
// has one, as http.ResponseController does, and returns that error.
func (r recorder) flush() error {
	err := http.NewResponseController(r.st.w).Flush()
	r.wrote(0, err)
	return err
}

func (r recorder) readFrom(src io.Reader) (int64, error) {
	n, err := r.st.w.(io.ReaderFrom).ReadFrom(src)
	r.wrote(n, err)
	return n, err
}

func (r recorder) hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := r.st.w.(http.Hijacker).Hijack()
	if err == nil {
		r.st.rec.hijacked = true
	}
	return c, rw, err
}

type flushRecorder struct{ recorder }

func (r flushRecorder) Flush()            { r.flush() }
func (r flushRecorder) FlushError() error { return r.flush() }

type http1Recorder struct{ recorder }

func (r http1Recorder) Flush()                                       { r.flush() }
func (r http1Recorder) FlushError() error                            { return r.flush() }
func (r http1Recorder) ReadFrom(src io.Reader) (int64, error)        { return r.readFrom(src) }
func (r http1Recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) { return r.hijack() }

type http2Recorder struct{ recorder }

func (r http2Recorder) Flush()            { r.flush() }
func (r http2Recorder) FlushError() error { return r.flush() }
func (r http2Recorder) Push(target string, opts *http.PushOptions) error {
	return r.st.w.(http.Pusher).Push(target, opts)
}

// wrap records w in st and returns the recorder variant of w's shape.
func wrap(w http.ResponseWriter, st *state) http.ResponseWriter {
	st.w = w
	r := recorder{st}
	switch writershape.Of(w) {
	case writershape.HTTP1:
		return http1Recorder{r}
	case writershape.HTTP2:
		return http2Recorder{r}
	case writershape.Flusher:
		return flushRecorder{r}
	default:
		return r
	}
}
