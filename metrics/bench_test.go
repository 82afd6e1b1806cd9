package metrics

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// discardWriter is a response writer that keeps nothing, so that the
// benchmarks measure the handlers and not a recorder. It has the optional
// interfaces of net/http's HTTP/1 writer.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardWriter) WriteHeader(int)             {}
func (d *discardWriter) Flush()                      {}
func (d *discardWriter) ReadFrom(r io.Reader) (int64, error) {
	return io.Copy(io.Discard, r)
}
func (d *discardWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, errors.New("not a connection")
}

func benchmarkHandler(b *testing.B, h http.Handler) {
	r := httptest.NewRequest("GET", "/items/42", nil)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		h.ServeHTTP(w, r)
	}
}

func helloMux() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /items/{id}", func(w http.ResponseWriter, _ *http.Request) { w.Write(hello) })
	return mux
}

var hello = []byte("hello")

// BenchmarkBare is an application's ServeMux alone, the baseline of
// BenchmarkInstrumented.
func BenchmarkBare(b *testing.B) {
	benchmarkHandler(b, helloMux())
}

// BenchmarkInstrumented is the same mux behind the HTTP metrics and Route,
// as the host serves it.
func BenchmarkInstrumented(b *testing.B) {
	m, err := NewHTTP(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	benchmarkHandler(b, m.Handler(Route(helloMux())))
}

// BenchmarkInstrumentedParallel is BenchmarkInstrumented on every CPU at
// once, as a loaded server runs it: the shared counters' cache lines are
// contended.
func BenchmarkInstrumentedParallel(b *testing.B) {
	m, err := NewHTTP(prometheus.NewRegistry())
	if err != nil {
		b.Fatal(err)
	}
	h := m.Handler(Route(helloMux()))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := httptest.NewRequest("GET", "/items/42", nil)
		w := &discardWriter{h: http.Header{}}
		for pb.Next() {
			h.ServeHTTP(w, r)
		}
	})
}
