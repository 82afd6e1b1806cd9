package host

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// BenchmarkChain measures the host's request path in process: the same
// hello handler called bare and through chain, with a minimal
// ResponseWriter and the context a request of the public server carries,
// so that the difference is the host's own cost per request:
//
//	go test -run '^$' -bench Chain -benchmem ./host/
func BenchmarkChain(b *testing.B) {
	hello := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		io.WriteString(w, "Hello, World!")
	})
	// The handler as New builds it, without binding any listener.
	var srv *http.Server // the public server's settings
	public := func(accessLog io.Writer) http.Handler {
		s := unboundServer(b, accessLog)
		h := s.publicHandler(hello)
		srv = s.newPublicServer(h)
		return h
	}
	steps := []struct {
		name string
		h    http.Handler
	}{
		{"bare", hello},
		{"host", public(io.Discard)},
		{"host-access-log", public(discardWriter{})},
	}
	nginx := map[string]string{"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "X-Real-Ip": "203.0.113.7"}
	peers := []struct {
		name, addr string
		headers    map[string]string
		post       bool // with a (empty) request body, which the body limits wrap
	}{
		{"direct", "203.0.113.9:51000", nil, false},
		{"nginx", "127.0.0.1:51000", nginx, false},
		{"nginx-post", "127.0.0.1:51000", nginx, true},
	}
	for _, p := range peers {
		for _, s := range steps {
			b.Run(p.name+"/"+s.name, func(b *testing.B) {
				r, err := http.NewRequest(http.MethodGet, "http://app.example.com/", nil)
				if err != nil {
					b.Fatal(err)
				}
				if p.post {
					r.Method, r.Body = http.MethodPost, eofBody{}
				}
				r.RemoteAddr = p.addr
				r = r.WithContext(servedContext(b, srv, p.addr))
				r.RequestURI = "/"
				r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
				r.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
				r.Header.Set("Accept-Encoding", "gzip, deflate, br")
				r.Header.Set("Accept-Language", "en-GB,en;q=0.5")
				for k, v := range p.headers {
					r.Header.Set(k, v)
				}
				w := &benchWriter{h: http.Header{}}
				b.ReportAllocs()
				for b.Loop() {
					clear(w.h)
					s.h.ServeHTTP(w, r)
				}
				if w.n == 0 {
					b.Fatal("nothing written")
				}
			})
		}
	}
}

// servedContext builds the context net/http gives a request of srv on a
// TCP connection from peer: the server, what srv.ConnContext adds, the
// local address, and the connection's and the request's cancellation.
func servedContext(b *testing.B, srv *http.Server, peer string) context.Context {
	b.Helper()
	remote, err := net.ResolveTCPAddr("tcp", peer)
	if err != nil {
		b.Fatal(err)
	}
	c := addrConn{local: &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 8080}, remote: remote}
	ctx := context.WithValue(context.Background(), http.ServerContextKey, srv)
	if srv.ConnContext != nil {
		ctx = srv.ConnContext(ctx, c)
	}
	ctx = context.WithValue(ctx, http.LocalAddrContextKey, c.local)
	ctx, cancelConn := context.WithCancel(ctx)
	ctx, cancelRequest := context.WithCancel(ctx)
	b.Cleanup(func() { cancelRequest(); cancelConn() })
	return ctx
}

// addrConn is a connection that has addresses only.
type addrConn struct {
	net.Conn
	local, remote net.Addr
}

func (c addrConn) LocalAddr() net.Addr  { return c.local }
func (c addrConn) RemoteAddr() net.Addr { return c.remote }

// benchWriter is a ResponseWriter that keeps nothing but its header map,
// reused across requests as net/http reuses little else. It has the
// optional interfaces of net/http's HTTP/1 writer, which the metrics
// step's recorder mirrors, and its connection deadlines, which
// http.ResponseController reaches (the body limits set read deadlines).
type benchWriter struct {
	h http.Header
	n int
}

func (w *benchWriter) Header() http.Header         { return w.h }
func (w *benchWriter) Write(p []byte) (int, error) { w.n += len(p); return len(p), nil }
func (w *benchWriter) WriteHeader(int)             {}
func (w *benchWriter) Flush()                      {}
func (w *benchWriter) ReadFrom(r io.Reader) (int64, error) {
	n, err := io.Copy(io.Discard, r)
	w.n += int(n)
	return n, err
}
func (w *benchWriter) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	return nil, nil, errors.New("not a connection")
}
func (w *benchWriter) SetReadDeadline(time.Time) error  { return nil }
func (w *benchWriter) SetWriteDeadline(time.Time) error { return nil }

// eofBody is a request body that is already at its end.
type eofBody struct{}

func (eofBody) Read([]byte) (int, error) { return 0, io.EOF }
func (eofBody) Close() error             { return nil }

// discardWriter discards like io.Discard, which as Options.AccessLog turns
// the access log off instead.
type discardWriter struct{}

func (discardWriter) Write(p []byte) (int, error) { return len(p), nil }
