package host

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/internal/writershape"
)

// streamWriter records the pieces written to it and the write deadlines
// set on it, as http.ResponseController sets them. It has the shape of
// net/http's HTTP/2 writer.
type streamWriter struct {
	*httptest.ResponseRecorder
	pieces    []int
	deadlines []time.Time
}

func (w *streamWriter) Write(p []byte) (int, error) {
	w.pieces = append(w.pieces, len(p))
	return w.ResponseRecorder.Write(p)
}

func (w *streamWriter) WriteString(s string) (int, error) {
	w.pieces = append(w.pieces, len(s))
	return w.ResponseRecorder.WriteString(s)
}

func (w *streamWriter) SetWriteDeadline(t time.Time) error {
	w.deadlines = append(w.deadlines, t)
	return nil
}

func (*streamWriter) Push(string, *http.PushOptions) error { return http.ErrNotSupported }

// A stream's writes go out in pieces of at most sendChunk bytes, the first
// with a write deadline at least the send timeout away, by Write and by
// io.WriteString alike.
func TestStreamSendWritesInPieces(t *testing.T) {
	const timeout = time.Minute
	body := strings.Repeat("x", 2*sendChunk+100)
	for _, viaString := range []bool{false, true} {
		w := &streamWriter{ResponseRecorder: httptest.NewRecorder()}
		sw := limitStreamSend(w, timeout)
		start := time.Now()
		var n int
		var err error
		if viaString {
			n, err = io.WriteString(sw, body)
		} else {
			n, err = sw.Write([]byte(body))
		}
		if err != nil || n != len(body) || w.Body.String() != body {
			t.Fatalf("wrote %d of %d bytes: %v", n, len(body), err)
		}
		if want := []int{sendChunk, sendChunk, 100}; !slices.Equal(w.pieces, want) {
			t.Errorf("WriteString %t: pieces %v, want %v", viaString, w.pieces, want)
		}
		if len(w.deadlines) == 0 || w.deadlines[0].Before(start.Add(timeout)) {
			t.Errorf("WriteString %t: write deadlines %v, want the first at least %v away", viaString, w.deadlines, timeout)
		}
	}
}

type plainWriter struct{ http.ResponseWriter }

type http1ShapeWriter struct{ *httptest.ResponseRecorder }

func (http1ShapeWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, http.ErrNotSupported
}
func (http1ShapeWriter) ReadFrom(io.Reader) (int64, error) { return 0, http.ErrNotSupported }

// The stream's writer keeps the shape of the writer it wraps, and
// http.ResponseController reaches that writer through it. A writer of
// HTTP/1's shape is left as it is.
func TestStreamSendKeepsTheShape(t *testing.T) {
	for _, w := range []http.ResponseWriter{
		&streamWriter{ResponseRecorder: httptest.NewRecorder()},
		httptest.NewRecorder(),
		plainWriter{httptest.NewRecorder()},
	} {
		sw := limitStreamSend(w, time.Minute)
		if got, want := writershape.Of(sw), writershape.Of(w); got != want {
			t.Errorf("%T: shape %v, want %v", w, got, want)
		}
		if u, ok := sw.(interface{ Unwrap() http.ResponseWriter }); !ok || u.Unwrap() != w {
			t.Errorf("%T: does not unwrap to the writer", w)
		}
	}
	w := http1ShapeWriter{httptest.NewRecorder()}
	if sw := limitStreamSend(w, time.Minute); sw != http.ResponseWriter(w) {
		t.Errorf("a writer of HTTP/1's shape was wrapped in %T", sw)
	}
}
