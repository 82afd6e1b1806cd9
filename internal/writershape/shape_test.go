package writershape

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The writers of a real net/http server, over HTTP/1.1 and HTTP/2, have
// the shapes named after them.
func TestNetHTTPWriters(t *testing.T) {
	got := make(chan Shape, 1)
	h := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		got <- Of(w)
		io.WriteString(w, "ok")
	})
	for _, c := range []struct {
		proto string
		want  Shape
	}{{"HTTP/1.1", HTTP1}, {"HTTP/2.0", HTTP2}} {
		t.Run(c.proto, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(h)
			srv.EnableHTTP2 = c.want == HTTP2
			srv.StartTLS()
			defer srv.Close()
			resp, err := srv.Client().Get(srv.URL)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.Proto != c.proto {
				t.Fatalf("served over %s", resp.Proto)
			}
			if s := <-got; s != c.want {
				t.Errorf("shape %v; want %v", s, c.want)
			}
		})
	}
}

type plain struct{ http.ResponseWriter }

type flusher struct{ plain }

func (flusher) Flush() {}

type hijacker struct{ flusher }

func (hijacker) Hijack() (net.Conn, *bufio.ReadWriter, error) { return nil, nil, nil }

type http1 struct{ hijacker }

func (http1) ReadFrom(io.Reader) (int64, error) { return 0, nil }

type http1Pusher struct{ http1 }

func (http1Pusher) Push(string, *http.PushOptions) error { return nil }

type pusher struct{ plain }

func (pusher) Push(string, *http.PushOptions) error { return nil }

func TestShapes(t *testing.T) {
	for _, c := range []struct {
		w    http.ResponseWriter
		want Shape
	}{
		{plain{}, Plain},
		{flusher{}, Flusher},
		{httptest.NewRecorder(), Flusher},
		{http1{}, HTTP1},
		{hijacker{}, Plain},    // Flusher and Hijacker without ReaderFrom: no net/http writer
		{http1Pusher{}, Plain}, // every interface: no net/http writer
		{pusher{}, Plain},      // Pusher without Flusher
	} {
		if got := Of(c.w); got != c.want {
			t.Errorf("Of(%T) = %v; want %v", c.w, got, c.want)
		}
	}
}
