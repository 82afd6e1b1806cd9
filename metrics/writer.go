package metrics

import (
	"bufio"
	"io"
	"net"
	"net/http"
)

// record is what the middleware learns from the response writer.
type record struct {
	status   int // first final status written; 0: none yet
	written  int64
	hijacked bool
}

// recorder is the response writer handed down. Its variants add exactly
// the optional interfaces the original writer has, in the combinations
// net/http's writers have (HTTP/1: Flusher, Hijacker, ReaderFrom; HTTP/2:
// Flusher, Pusher); any other writer gets the plain recorder, whose
// Unwrap still lets http.ResponseController reach the original.
type recorder struct {
	w  http.ResponseWriter
	st *state
}

func (r *recorder) metricsState() *state { return r.st }

func (r *recorder) Header() http.Header         { return r.w.Header() }
func (r *recorder) Unwrap() http.ResponseWriter { return r.w }

// Each call is recorded once the writer underneath has taken it: a status
// net/http refuses (it panics) or anything after the connection was taken
// over (it answers http.ErrHijacked) is not.

func (r *recorder) WriteHeader(code int) {
	r.w.WriteHeader(code)
	if r.st.rec.status == 0 && !r.st.rec.hijacked && (code >= 200 || code == http.StatusSwitchingProtocols) {
		r.st.rec.status = code
	}
}

// wrote records n body bytes taken, and the 200 net/http sends when body
// bytes or a flush come before any WriteHeader.
func (r *recorder) wrote(n int64, err error) {
	if r.st.rec.hijacked || err != nil && n == 0 {
		return
	}
	if r.st.rec.status == 0 {
		r.st.rec.status = http.StatusOK
	}
	r.st.rec.written += n
}

func (r *recorder) Write(p []byte) (int, error) {
	n, err := r.w.Write(p)
	r.wrote(int64(n), err)
	return n, err
}

// WriteString keeps net/http's copy-free path for io.WriteString.
func (r *recorder) WriteString(s string) (int, error) {
	n, err := io.WriteString(r.w, s)
	r.wrote(int64(n), err)
	return n, err
}

func (r *recorder) flush() {
	r.w.(http.Flusher).Flush()
	r.wrote(0, nil)
}

func (r *recorder) readFrom(src io.Reader) (int64, error) {
	n, err := r.w.(io.ReaderFrom).ReadFrom(src)
	r.wrote(n, err)
	return n, err
}

func (r *recorder) hijack() (net.Conn, *bufio.ReadWriter, error) {
	c, rw, err := r.w.(http.Hijacker).Hijack()
	if err == nil {
		r.st.rec.hijacked = true
	}
	return c, rw, err
}

type flushRecorder struct{ recorder }

func (r *flushRecorder) Flush() { r.flush() }

type http1Recorder struct{ recorder }

func (r *http1Recorder) Flush()                                       { r.flush() }
func (r *http1Recorder) ReadFrom(src io.Reader) (int64, error)        { return r.readFrom(src) }
func (r *http1Recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) { return r.hijack() }

type http2Recorder struct{ recorder }

func (r *http2Recorder) Flush() { r.flush() }
func (r *http2Recorder) Push(target string, opts *http.PushOptions) error {
	return r.w.(http.Pusher).Push(target, opts)
}

// wrap returns the recorder variant that matches w's optional interfaces;
// the HTTP/1 variant, the common one, is st's own, to save an allocation.
// Each branch builds its own recorder: one shared value whose address a
// branch returns would be allocated on every path.
func wrap(w http.ResponseWriter, st *state) http.ResponseWriter {
	_, fl := w.(http.Flusher)
	_, hj := w.(http.Hijacker)
	_, rf := w.(io.ReaderFrom)
	_, pu := w.(http.Pusher)
	switch {
	case fl && hj && rf && !pu:
		st.h1 = http1Recorder{recorder{w: w, st: st}}
		return &st.h1
	case fl && pu && !hj && !rf:
		return &http2Recorder{recorder{w: w, st: st}}
	case fl && !hj && !rf && !pu:
		return &flushRecorder{recorder{w: w, st: st}}
	default:
		return &recorder{w: w, st: st}
	}
}
