package host

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
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
	mu        sync.Mutex // the watch sets deadlines from its own goroutine
	deadlines []time.Time
}

// setDeadlines returns the write deadlines set so far.
func (w *streamWriter) setDeadlines() []time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	return slices.Clone(w.deadlines)
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
	w.mu.Lock()
	defer w.mu.Unlock()
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
		sw, s := limitStreamSend(w, timeout)
		defer s.stop()
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
		if d := w.setDeadlines(); len(d) == 0 || d[0].Before(start.Add(timeout)) {
			t.Errorf("WriteString %t: write deadlines %v, want the first at least %v away", viaString, d, timeout)
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
		sw, s := limitStreamSend(w, time.Minute)
		s.stop()
		if got, want := writershape.Of(sw), writershape.Of(w); got != want {
			t.Errorf("%T: shape %v, want %v", w, got, want)
		}
		if u, ok := sw.(interface{ Unwrap() http.ResponseWriter }); !ok || u.Unwrap() != w {
			t.Errorf("%T: does not unwrap to the writer", w)
		}
	}
	w := http1ShapeWriter{httptest.NewRecorder()}
	if sw, _ := limitStreamSend(w, time.Minute); sw != http.ResponseWriter(w) {
		t.Errorf("a writer of HTTP/1's shape was wrapped in %T", sw)
	}
}

// Between writes the stream keeps no deadline of the host's: once no write
// is in progress half a timeout before it would fire, it is taken off, and
// the next write sets one again. After stop the watch sets nothing more.
func TestStreamSendTakesItsDeadlineOffBetweenWrites(t *testing.T) {
	const timeout = 100 * time.Millisecond
	w, sw, s := pausedStream(t, timeout)
	start := time.Now()
	io.WriteString(sw, "b")
	s.stop() // the host's deadline is far enough for what net/http still holds
	if d := w.setDeadlines(); len(d) != 3 || d[2].Before(start.Add(timeout)) {
		t.Fatalf("deadlines %v, want a third at least %v after the second write", d, timeout)
	}
	time.Sleep(3 * timeout)
	if d := w.setDeadlines(); len(d) != 3 {
		t.Errorf("deadlines %v: set after stop", d)
	}
}

// When the handler returns after its deadline was taken off, what
// net/http still holds of the body gets the timeout once more; a handler
// that wrote nothing gets none.
func TestStreamSendBoundsWhatIsLeftWhenTheHandlerReturns(t *testing.T) {
	const timeout = 100 * time.Millisecond
	w, _, s := pausedStream(t, timeout)
	start := time.Now()
	s.stop()
	if d := w.setDeadlines(); len(d) != 3 || d[2].Before(start.Add(timeout)) {
		t.Fatalf("deadlines %v, want a third at least %v after stop", d, timeout)
	}

	w = &streamWriter{ResponseRecorder: httptest.NewRecorder()}
	_, s = limitStreamSend(w, timeout)
	s.stop()
	if d := w.setDeadlines(); len(d) != 0 {
		t.Errorf("deadlines %v for a handler that wrote nothing", d)
	}

	// Written under the application's deadline alone, which it then took
	// off: the rest gets the timeout.
	w = &streamWriter{ResponseRecorder: httptest.NewRecorder()}
	sw, s := limitStreamSend(w, timeout)
	rc := http.NewResponseController(sw)
	rc.SetWriteDeadline(time.Now().Add(timeout / 2))
	io.WriteString(sw, "a")
	rc.SetWriteDeadline(time.Time{})
	start = time.Now()
	s.stop()
	if d := w.setDeadlines(); len(d) != 3 || d[2].Before(start.Add(timeout)) {
		t.Errorf("deadlines %v, want a third at least %v after stop", d, timeout)
	}
}

// A deadline the application sets is the stream's, and each piece keeps it
// when it is earlier than the piece's own; a later one gives way to the
// piece's. The zero time gives the stream back to the host's deadlines.
func TestStreamSendKeepsTheApplicationsDeadline(t *testing.T) {
	const timeout = time.Minute
	w := &streamWriter{ResponseRecorder: httptest.NewRecorder()}
	sw, s := limitStreamSend(w, timeout)
	defer s.stop()
	rc := http.NewResponseController(sw)
	early := time.Now().Add(time.Second)
	if err := rc.SetWriteDeadline(early); err != nil {
		t.Fatal(err)
	}
	io.WriteString(sw, "a")
	if d := w.setDeadlines(); len(d) != 1 || !d[0].Equal(early) {
		t.Fatalf("deadlines %v, want only the application's %v", d, early)
	}
	late := time.Now().Add(time.Hour)
	rc.SetWriteDeadline(late)
	start := time.Now()
	io.WriteString(sw, "b")
	d := w.setDeadlines()
	if len(d) != 3 || !d[1].Equal(late) || d[2].Before(start.Add(timeout)) || !d[2].Before(late) {
		t.Fatalf("deadlines %v, want the application's %v, then the piece's, before it", d, late)
	}
	rc.SetWriteDeadline(time.Time{})
	start = time.Now()
	io.WriteString(sw, "c")
	if d := w.setDeadlines(); len(d) != 5 || !d[3].IsZero() || d[4].Before(start.Add(timeout)) {
		t.Fatalf("deadlines %v, want the application's zero, then the piece's", d)
	}
}

// pausedStream returns a stream, under timeout, that was written once and
// then left until the host's deadline was taken off again.
func pausedStream(t *testing.T, timeout time.Duration) (*streamWriter, http.ResponseWriter, *streamSend) {
	t.Helper()
	w := &streamWriter{ResponseRecorder: httptest.NewRecorder()}
	sw, s := limitStreamSend(w, timeout)
	io.WriteString(sw, "a")
	waitFor(t, 5*time.Second, "the deadline taken off after a write", func() bool {
		d := w.setDeadlines()
		return len(d) == 2 && !d[0].IsZero() && d[1].IsZero()
	})
	return w, sw, s
}

// waitFor polls cond until it holds, failing the test with what after
// limit.
func waitFor(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	for end := time.Now().Add(limit); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(end) {
			t.Fatalf("no %s within %v", what, limit)
		}
	}
}
