package forwarded

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/gorilla/handlers"
	"github.com/realclientip/realclientip-go"
)

// The benchmarks run each workload through this package's core (Resolve,
// peer parsing included), its full Handler, realclientip-go's
// RightmostTrustedRangeStrategy (the core's closest equivalent: headers and
// remote address in, client out) and gorilla/handlers' ProxyHeaders (the
// Handler's equivalent, though it trusts every peer and mutates the
// request in place).
//
// BenchmarkForwarded reports ns/op and allocs/op for each;
// BenchmarkTurnAbout runs the four in turn, in short batches, and reports
// the best batch of each and their ratios, which stay meaningful on a
// machine shared with other work:
//
//	go test -run '^$' -bench . -benchmem ./forwarded/

type workload struct {
	name   string
	header string
	value  string
	limit  int
	family Family
}

var workloads = []workload{
	{"one-hop", "X-Forwarded-For", "203.0.113.7", 1, XForwarded},
	{"three-hops", "X-Forwarded-For", "203.0.113.7, 10.0.0.2, 10.0.0.1", 3, XForwarded},
	{"rfc7239", "Forwarded", "for=203.0.113.7;proto=https;host=shop.example.com", 1, Forwarded},
}

// contender is one implementation's per-request work.
type contender struct {
	name string
	run  func()
}

func contenders(b *testing.B, w workload) []contender {
	b.Helper()
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
	noop := http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})
	rCore, rRCI, rHandler, rGorilla := req(), req(), req(), req()
	handler, gorilla := m.Handler(noop), handlers.ProxyHeaders(noop)
	rec := httptest.NewRecorder()
	return []contender{
		{"core", func() {
			if !m.Resolve(rCore.Header, PeerOf(rCore)).Applied {
				b.Fatal("nothing applied")
			}
		}},
		{"realclientip", func() {
			if strat.ClientIP(rRCI.Header, rRCI.RemoteAddr) == "" {
				b.Fatal("no client")
			}
		}},
		{"handler", func() { handler.ServeHTTP(rec, rHandler) }},
		{"gorilla", func() { gorilla.ServeHTTP(rec, rGorilla) }},
	}
}

func BenchmarkForwarded(b *testing.B) {
	for _, w := range workloads {
		for _, c := range contenders(b, w) {
			b.Run(w.name+"/"+c.name, func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					c.run()
				}
			})
		}
	}
}

func BenchmarkTurnAbout(b *testing.B) {
	const batch = 1000
	for _, w := range workloads {
		b.Run(w.name, func(b *testing.B) {
			cs := contenders(b, w)
			best := make([]time.Duration, len(cs))
			for b.Loop() {
				for i, c := range cs {
					start := time.Now()
					for range batch {
						c.run()
					}
					if d := time.Since(start); best[i] == 0 || d < best[i] {
						best[i] = d
					}
				}
			}
			perOp := func(i int) float64 { return float64(best[i].Nanoseconds()) / batch }
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(perOp(0), "core-ns")
			b.ReportMetric(perOp(2), "handler-ns")
			b.ReportMetric(perOp(0)/perOp(1), "core/realclientip")
			b.ReportMetric(perOp(2)/perOp(3), "handler/gorilla")
		})
	}
}
