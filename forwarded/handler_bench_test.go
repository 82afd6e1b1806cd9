package forwarded

import (
	"net/http"
	"testing"
)

// BenchmarkHandler measures the whole Handler per request for the cases a
// deployment meets, with a minimal ResponseWriter and a handler that does
// nothing, so that what is left is the middleware's own cost:
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
		b.Run(c.name, func(b *testing.B) {
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

// nopWriter is the least a ResponseWriter can be.
type nopWriter struct{}

func (nopWriter) Header() http.Header         { return nil }
func (nopWriter) Write(p []byte) (int, error) { return len(p), nil }
func (nopWriter) WriteHeader(int)             {}
