package forwarded

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/gorilla/handlers"
	"github.com/realclientip/realclientip-go"
)

// The benchmarks run each workload through this package's core (Resolve,
// peer parsing included), its full Handler, realclientip-go's
// RightmostTrustedRangeStrategy (the core's closest equivalent: headers and
// remote address in, client out) and gorilla/handlers' ProxyHeaders (the
// Handler's equivalent, though it trusts everyone). Compare ratios within one
// run:
//
//	go test -run '^$' -bench . -benchmem -count 5 ./forwarded/
func BenchmarkForwarded(b *testing.B) {
	workloads := []struct {
		name   string
		header string
		value  string
		limit  int
		family Family
	}{
		{"one-hop", "X-Forwarded-For", "203.0.113.7", 1, XForwarded},
		{"three-hops", "X-Forwarded-For", "203.0.113.7, 10.0.0.2, 10.0.0.1", 3, XForwarded},
		{"rfc7239", "Forwarded", "for=203.0.113.7;proto=https;host=shop.example.com", 1, Forwarded},
	}
	for _, w := range workloads {
		tp, err := ParseTrustedProxies([]string{"loopback", "10.0.0.0/8"})
		if err != nil {
			b.Fatal(err)
		}
		m, err := New(Options{TrustedProxies: &tp, ForwardLimit: w.limit, Headers: w.family})
		if err != nil {
			b.Fatal(err)
		}
		ranges, err := realclientip.AddressesAndRangesToIPNets("127.0.0.0/8", "::1", "10.0.0.0/8")
		if err != nil {
			b.Fatal(err)
		}
		strat, err := realclientip.NewRightmostTrustedRangeStrategy(w.header, ranges)
		if err != nil {
			b.Fatal(err)
		}
		req := func() *http.Request {
			r := httptest.NewRequest(http.MethodGet, "/", nil)
			r.RemoteAddr = "127.0.0.1:51000"
			// What a browser and nginx typically send besides.
			r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
			r.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
			r.Header.Set("Accept-Encoding", "gzip, deflate, br")
			r.Header.Set("Accept-Language", "en-GB,en;q=0.5")
			r.Header.Set("Connection", "close")
			r.Header.Set("X-Real-Ip", "203.0.113.7")
			r.Header.Set(w.header, w.value)
			r.Header.Set("X-Forwarded-Proto", "https")
			return r
		}
		var sink string
		noop := http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { sink = r.RemoteAddr })

		b.Run(w.name+"/core", func(b *testing.B) {
			r := req()
			b.ReportAllocs()
			for b.Loop() {
				res := m.Resolve(r.Header, PeerOf(r))
				if !res.Applied {
					b.Fatal("nothing applied")
				}
			}
		})
		b.Run(w.name+"/realclientip", func(b *testing.B) {
			r := req()
			b.ReportAllocs()
			for b.Loop() {
				if sink = strat.ClientIP(r.Header, r.RemoteAddr); sink == "" {
					b.Fatal("no client")
				}
			}
		})
		b.Run(w.name+"/handler", func(b *testing.B) {
			r, h, rec := req(), m.Handler(noop), httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(rec, r)
			}
		})
		b.Run(w.name+"/gorilla", func(b *testing.B) {
			r, h, rec := req(), handlers.ProxyHeaders(noop), httptest.NewRecorder()
			b.ReportAllocs()
			for b.Loop() {
				h.ServeHTTP(rec, r)
			}
		})
	}
}
