package forwarded

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"testing"
	"time"
)

// BenchmarkHandler measures the whole Handler per request for the cases a
// deployment meets, with a minimal ResponseWriter and a handler that does
// nothing, so that what is left is the middleware's own cost. Each case
// runs twice: "plain" with a request as http.NewRequest makes it, "served"
// with the context net/http gives a request on a real connection (whose
// peer reads as the case's), which the middleware searches for the
// connection's addresses:
//
//	go test -run '^$' -bench Handler -benchmem ./forwarded/
func BenchmarkHandler(b *testing.B) {
	type header struct{ name, value string }
	cases := []struct {
		name    string
		peer    string
		family  Family
		headers []header
	}{
		// A client reaching the application directly: the common case on
		// a host without a proxy in front.
		{"untrusted-no-headers", "203.0.113.9:51000", XForwarded, nil},
		// A client reaching the application directly and spoofing.
		{"untrusted-spoofed", "203.0.113.9:51000", XForwarded, []header{{"X-Forwarded-For", "198.51.100.1"}}},
		// The proxy itself, or a proxy that sends no forwarding header.
		{"trusted-no-headers", "127.0.0.1:51000", XForwarded, nil},
		// nginx's proxy_set_header lines.
		{"one-hop", "127.0.0.1:51000", XForwarded, []header{
			{"X-Forwarded-For", "203.0.113.7"}, {"X-Forwarded-Proto", "https"}, {"X-Real-Ip", "203.0.113.7"}}},
		{"one-hop-for-only", "127.0.0.1:51000", XForwarded, []header{{"X-Forwarded-For", "203.0.113.7"}}},
		{"three-hops", "127.0.0.1:51000", XForwarded, []header{
			{"X-Forwarded-For", "203.0.113.7, 10.0.0.2, 10.0.0.1"}, {"X-Forwarded-Proto", "https"}}},
		{"rfc7239", "127.0.0.1:51000", Forwarded, []header{
			{"Forwarded", "for=203.0.113.7;proto=https;host=shop.example.com"}}},
	}
	tp, err := ParseTrustedProxies([]string{"loopback", "10.0.0.0/8"})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range cases {
		for _, served := range []bool{false, true} {
			name := c.name + "/plain"
			if served {
				name = c.name + "/served"
			}
			b.Run(name, func(b *testing.B) {
				limit := 1
				if c.name == "three-hops" {
					limit = 3
				}
				m, err := New(Options{TrustedProxies: &tp, ForwardLimit: limit, Headers: c.family, AllowedHosts: []string{"shop.example.com"}})
				if err != nil {
					b.Fatal(err)
				}
				r, err := http.NewRequest(http.MethodGet, "http://app.internal/", nil)
				if err != nil {
					b.Fatal(err)
				}
				r.RemoteAddr = c.peer
				if served {
					r = r.WithContext(servedContext(b, c.peer))
				}
				// What a browser sends besides.
				r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
				r.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
				r.Header.Set("Accept-Encoding", "gzip, deflate, br")
				r.Header.Set("Accept-Language", "en-GB,en;q=0.5")
				for _, h := range c.headers {
					r.Header.Set(h.name, h.value)
				}
				var got *http.Request
				h := m.Handler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = r }))
				w := nopWriter{}
				b.ReportAllocs()
				for b.Loop() {
					h.ServeHTTP(w, r)
				}
				if got == nil {
					b.Fatal("the handler was not called")
				}
			})
		}
	}
}

// servedContext returns the context of a request served by net/http on a
// loopback connection that reports peer as its remote address, as the
// host's listener does for a unix socket's peer.
func servedContext(b *testing.B, peer string) context.Context {
	b.Helper()
	ap, err := netip.ParseAddrPort(peer)
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	got := make(chan context.Context, 1)
	srv := &http.Server{
		ReadHeaderTimeout: 5 * time.Second,
		ConnContext:       ConnContext,
		Handler: http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			select {
			case got <- r.Context():
			default:
			}
		}),
	}
	go srv.Serve(peerListener{ln, net.TCPAddrFromAddrPort(ap)})
	defer srv.Close()
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
	resp, err := c.Get("http://" + ln.Addr().String() + "/")
	if err != nil {
		b.Fatal(err)
	}
	resp.Body.Close()
	select {
	case ctx := <-got:
		return ctx
	default:
		b.Fatal("the server's handler did not run")
		return nil
	}
}

// peerListener accepts connections that report peer as their remote
// address.
type peerListener struct {
	net.Listener
	peer net.Addr
}

func (l peerListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return peerConn{c, l.peer}, nil
}

type peerConn struct {
	net.Conn
	peer net.Addr
}

func (c peerConn) RemoteAddr() net.Addr { return c.peer }

// nopWriter is the least a ResponseWriter can be.
type nopWriter struct{}

func (nopWriter) Header() http.Header         { return nil }
func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (nopWriter) WriteHeader(int)             {}
