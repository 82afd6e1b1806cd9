package forwarded

import (
	"net/http"
	"reflect"
	"strings"
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

// FuzzHandler checks the properties of the Handler's rewrite that hold
// whatever the headers say: the caller's request is not modified; headers
// the middleware does not own pass unchanged; from an untrusted peer no
// forwarding or X-Original-* header passes and RemoteAddr is the peer's;
// from a trusted peer the family not read is removed, RemoteAddr is the
// client when one was applied, X-Original-For is present exactly then and
// holds the peer, and the forwarding lists never grow.
func FuzzHandler(f *testing.F) {
	f.Add("203.0.113.7", "https", "for=192.0.2.1;proto=https", "198.51.100.9", "x", uint8(0), uint8(1), true)
	f.Add("198.51.100.1, 10.0.0.2", "http, https", "", "", "", uint8(0), uint8(3), true)
	f.Add("", "", `for=192.0.2.1, for="[2001:db8::1]:80";host=a.example`, "", "", uint8(1), uint8(2), true)
	f.Add("198.51.100.1", "https", "for=192.0.2.1", "198.51.100.1", "spoof", uint8(0), uint8(1), false)
	f.Fuzz(func(t *testing.T, xff, proto, fwd, realIP, orig string, family, limit uint8, trusted bool) {
		m, err := New(Options{Headers: Family(family % 3), ForwardLimit: int(limit%4) + 1})
		if err != nil {
			t.Fatal(err)
		}
		r, err := http.NewRequest(http.MethodGet, "http://app.internal/", nil)
		if err != nil {
			t.Fatal(err)
		}
		r.RemoteAddr = "127.0.0.1:40000"
		if !trusted {
			r.RemoteAddr = "203.0.113.50:40000"
		}
		r.Header.Set("Accept", "*/*")
		r.Header["Empty"] = nil
		for name, v := range map[string]string{hdrXFF: xff, hdrXFProto: proto, hdrForwarded: fwd, hdrRealIP: realIP, hdrOrigFor: orig} {
			if v != "" {
				r.Header[name] = strings.Split(v, "\n")
			}
		}
		before, beforeRemote := r.Header.Clone(), r.RemoteAddr
		var got *http.Request
		m.Handler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = r })).ServeHTTP(nopWriter{}, r)

		if !reflect.DeepEqual(r.Header, before) || r.RemoteAddr != beforeRemote {
			t.Fatal("the caller's request was modified")
		}
		owned := func(name string) bool { return headerBit(name) != 0 && headerBit(name) != hasOther }
		for name, v := range before {
			if !owned(name) && (trusted || headerBit(name) == 0) && !reflect.DeepEqual(got.Header[name], v) {
				t.Fatalf("%s: next saw %q, want %q unchanged", name, got.Header[name], v)
			}
		}
		if Family(family%3) == None {
			if !reflect.DeepEqual(got.Header, before) || got.RemoteAddr != beforeRemote {
				t.Fatal("with Headers None the request changed")
			}
			return
		}
		if !trusted {
			for name := range got.Header {
				if headerBit(name) != 0 {
					t.Fatalf("%s passed from an untrusted peer", name)
				}
			}
			if got.RemoteAddr != beforeRemote {
				t.Fatalf("RemoteAddr %q from an untrusted peer", got.RemoteAddr)
			}
			return
		}
		notRead := hdrForwarded
		if Family(family%3) == Forwarded {
			notRead = hdrXFF
		}
		if _, ok := got.Header[notRead]; ok {
			t.Fatalf("%s, the family not read, passed", notRead)
		}
		res, _ := FromRequest(got)
		if res.forApplied && got.RemoteAddr != res.Client.String() || !res.forApplied && got.RemoteAddr != beforeRemote {
			t.Fatalf("RemoteAddr %q for client %v (applied: %v)", got.RemoteAddr, res.Client, res.forApplied)
		}
		if o := got.Header[hdrOrigFor]; res.forApplied != (len(o) == 1 && o[0] == beforeRemote) {
			t.Fatalf("client applied: %v, X-Original-For %q", res.forApplied, o)
		}
		for _, name := range []string{hdrXFF, hdrXFProto, hdrForwarded} {
			if n, was := listLen(got.Header[name]), listLen(before[name]); n > was {
				t.Fatalf("%s grew from %d to %d entries", name, was, n)
			}
		}
	})
}

// listLen counts a header's comma-separated entries, roughly: enough to
// see a list grow.
func listLen(lines []string) int {
	n := 0
	for _, l := range lines {
		n += strings.Count(l, ",") + 1
	}
	return n
}
