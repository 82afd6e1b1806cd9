package forwarded

import (
	"net/http"
	"reflect"
	"testing"
)

// TestHandlerAllocations proves the cost the Handler's doc states: one
// allocation when a request carries no header the middleware reads or
// removes, and a fixed few when it rewrites the headers, however many
// entries a list holds.
func TestHandlerAllocations(t *testing.T) {
	tests := []struct {
		name    string
		peer    string
		headers map[string]string
		max     float64
	}{
		{"direct client, no headers", "203.0.113.9:51000", nil, 1},
		{"the proxy, no forwarding header", "127.0.0.1:51000", nil, 1},
		// The request clone with its context value, and the new header
		// map (a map and its group of eight slots).
		{"one hop", "127.0.0.1:51000", map[string]string{"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"}, 3},
		{"spoofed, removed", "203.0.113.9:51000", map[string]string{"X-Forwarded-For": "198.51.100.1"}, 3},
		{"three entries, one hop", "127.0.0.1:51000", map[string]string{"X-Forwarded-For": "198.51.100.1, 192.0.2.1, 203.0.113.7"}, 3},
	}
	m, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := http.NewRequest(http.MethodGet, "http://app.internal/", nil)
			if err != nil {
				t.Fatal(err)
			}
			r.RemoteAddr = tt.peer
			r.Header.Set("User-Agent", "test/1")
			r.Header.Set("Accept", "*/*")
			for k, v := range tt.headers {
				r.Header.Set(k, v)
			}
			called := false
			h := m.Handler(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
			if n := testing.AllocsPerRun(100, func() { h.ServeHTTP(nopWriter{}, r) }); n > tt.max {
				t.Errorf("%v allocations per request, want at most %v", n, tt.max)
			}
			if !called {
				t.Fatal("next was not called")
			}
		})
	}
}

// TestHandlerRewrittenHeadersAreCopies proves that when the middleware
// rewrites the headers, the next handler's changes to their values, by
// index or by append, do not reach the caller's request.
func TestHandlerRewrittenHeadersAreCopies(t *testing.T) {
	m, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	r, err := http.NewRequest(http.MethodGet, "http://app.internal/", nil)
	if err != nil {
		t.Fatal(err)
	}
	r.RemoteAddr = "127.0.0.1:51000"
	accept := append(make([]string, 0, 4), "text/html", "*/*") // room to append in place
	r.Header["Accept"] = accept
	r.Header.Set("X-Forwarded-For", "198.51.100.1, 203.0.113.7")
	before := r.Header.Clone()
	var seen http.Header
	m.Handler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		seen = r.Header.Clone()
		for name, v := range r.Header {
			if len(v) > 0 {
				v[0] = "changed"
			}
			r.Header[name] = append(v, "appended")
		}
	})).ServeHTTP(nopWriter{}, r)
	if !reflect.DeepEqual(r.Header, before) {
		t.Errorf("the caller's headers changed:\n got %q\nwant %q", r.Header, before)
	}
	if accept[:3][2] == "appended" {
		t.Errorf("an append reached the caller's backing array")
	}
	if got := seen["X-Forwarded-For"]; !reflect.DeepEqual(got, []string{"198.51.100.1"}) {
		t.Errorf("next saw X-Forwarded-For %q, want the unconsumed entry", got)
	}
}
