package host

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
)

// TestBodyOverTheLimitAfterTheHandlerWrote proves that a chunked body
// passing the limit after the handler began its response (so that the host
// does not answer 413 in its place) fails the handler's read with
// http.MaxBytesError and has net/http close the connection after the
// response, as http.MaxBytesReader does, instead of reading the rest of the
// body to serve another request.
func TestBodyOverTheLimitAfterTheHandlerWrote(t *testing.T) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "started; ")
		n, err := io.Copy(io.Discard, r.Body)
		var tooLarge *http.MaxBytesError
		fmt.Fprintf(w, "read %d, too large: %v", n, errors.As(err, &tooLarge) && tooLarge.Limit == 1000)
	})
	addr := startServer(t, h, Options{Limits: Limits{MaxRequestBody: 1000}}).Addrs()[0].String()
	chunk := fmt.Sprintf("1f4\r\n%s\r\n", strings.Repeat("b", 500))
	resp, body := exchange(t, addr, "POST / HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"+
		strings.Repeat(chunk, 3)+"0\r\n\r\n")
	if resp.StatusCode != http.StatusOK || body != "started; read 1000, too large: true" {
		t.Fatalf("status %d body %q, want the handler's 200 with 1000 bytes read and MaxBytesError", resp.StatusCode, body)
	}
	if !resp.Close {
		t.Error("the connection stays open after a body over the limit")
	}
}

// TestBodyGuardWriterInterfaces proves the writer the body limits hand down
// has exactly the optional interfaces of net/http's HTTP/1 and HTTP/2
// writers, and unwraps to the original for http.ResponseController.
func TestBodyGuardWriterInterfaces(t *testing.T) {
	type optional struct{ flusher, hijacker, readerFrom, pusher bool }
	has := func(w http.ResponseWriter) optional {
		var o optional
		_, o.flusher = w.(http.Flusher)
		_, o.hijacker = w.(http.Hijacker)
		_, o.readerFrom = w.(io.ReaderFrom)
		_, o.pusher = w.(http.Pusher)
		return o
	}
	h1 := &benchWriter{h: http.Header{}}
	h2 := &pushWriter{flushWriter{h: http.Header{}}}
	flush := &flushWriter{h: http.Header{}}
	for _, tt := range []struct {
		name string
		raw  http.ResponseWriter
		want optional
	}{
		{"HTTP/1", h1, optional{flusher: true, hijacker: true, readerFrom: true}},
		{"HTTP/2", h2, optional{flusher: true, pusher: true}},
		{"flush only", flush, optional{flusher: true}},
		{"plain", struct{ http.ResponseWriter }{flush}, optional{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodPost, "/", strings.NewReader("body"))
			w, r2, _ := limitBody(tt.raw, r, DefaultLimits(), nil)
			if got := has(w); got != tt.want {
				t.Errorf("interfaces %+v, want %+v", got, tt.want)
			}
			if u, ok := w.(interface{ Unwrap() http.ResponseWriter }); !ok || u.Unwrap() != tt.raw {
				t.Error("the writer does not unwrap to the original")
			}
			if r2 == r || r.Body == r2.Body {
				t.Error("the handler's request is not a copy with the limited body")
			}
		})
	}
}

type flushWriter struct {
	h http.Header
}

func (w *flushWriter) Header() http.Header         { return w.h }
func (w *flushWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *flushWriter) WriteHeader(int)             {}
func (w *flushWriter) Flush()                      {}

type pushWriter struct{ flushWriter }

func (w *pushWriter) Push(string, *http.PushOptions) error { return nil }

// h1Writer is a raw writer with net/http's HTTP/1 interfaces that keeps
// what reaches it.
type h1Writer struct {
	h       http.Header
	status  int
	body    strings.Builder
	flushes int
}

func (w *h1Writer) Header() http.Header { return w.h }
func (w *h1Writer) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
}
func (w *h1Writer) Write(p []byte) (int, error) { return w.body.Write(p) }
func (w *h1Writer) Flush()                      { w.flushes++ }
func (w *h1Writer) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(&w.body, r)
}
func (w *h1Writer) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, errors.New("not a connection")
}

// TestBodyGuardDropsOutputAfterTheHostAnswered: once the host answered 413
// for a body over the limit, nothing the handler then sends reaches the
// client, by any of the writer's paths: WriteHeader, Write, WriteString,
// ReadFrom and Flush; the writes fail with errAnswered.
func TestBodyGuardDropsOutputAfterTheHostAnswered(t *testing.T) {
	raw := &h1Writer{h: http.Header{}}
	r, _ := http.NewRequest(http.MethodPost, "/", strings.NewReader("far too long"))
	r.ContentLength = -1
	w, r2, _ := limitBody(raw, r, Limits{MaxRequestBody: 3}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	var tooLarge *http.MaxBytesError
	if _, err := io.Copy(io.Discard, r2.Body); !errors.As(err, &tooLarge) {
		t.Fatalf("reading the body: %v, want http.MaxBytesError", err)
	}
	if raw.status != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want the host's 413", raw.status)
	}
	answered := raw.body.String()

	w.WriteHeader(http.StatusOK)
	if _, err := w.Write([]byte("write")); !errors.Is(err, errAnswered) {
		t.Errorf("Write: %v, want errAnswered", err)
	}
	if _, err := io.WriteString(w, "string"); !errors.Is(err, errAnswered) {
		t.Errorf("WriteString: %v, want errAnswered", err)
	}
	if _, err := w.(io.ReaderFrom).ReadFrom(strings.NewReader("readfrom")); !errors.Is(err, errAnswered) {
		t.Errorf("ReadFrom: %v, want errAnswered", err)
	}
	flushes := raw.flushes
	w.(http.Flusher).Flush()
	if err := http.NewResponseController(w).Flush(); !errors.Is(err, errAnswered) {
		t.Errorf("ResponseController.Flush: %v, want errAnswered", err)
	}
	if raw.status != http.StatusRequestEntityTooLarge || raw.body.String() != answered || raw.flushes != flushes {
		t.Errorf("after the 413: status %d, body %q, %d flushes; want only the host's answer", raw.status, raw.body.String(), raw.flushes-flushes)
	}
}
