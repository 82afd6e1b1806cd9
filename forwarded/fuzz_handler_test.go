package forwarded

import (
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// xffEntries splits X-Forwarded-For field lines into their non-empty
// entries, left to right.
func xffEntries(lines []string) []string {
	var out []string
	for _, l := range lines {
		for _, e := range strings.Split(l, ",") {
			if e = strings.Trim(e, " \t"); e != "" {
				out = append(out, e)
			}
		}
	}
	return out
}

// FuzzHandlerPassesOn checks what the middleware passes on, for any headers: it
// never panics or modifies the caller's request; from an untrusted peer no
// forwarding or X-Original-* header reaches the application and the
// address is the peer's; from a trusted peer the family not read is
// removed, the X-Forwarded-For passed on is the original list with entries
// taken off its right end only, and a replaced address is kept in
// X-Original-For.
func FuzzHandlerPassesOn(f *testing.F) {
	f.Add("6.6.6.6, 203.0.113.7", "", "https", "shop.example.com", "/shop", "", false, uint8(1), true)
	f.Add("203.0.113.7\n6.6.6.6, 10.0.0.1", "", "http, https", "a, b", "", "6.6.6.6", false, uint8(3), true)
	f.Add("", `for=6.6.6.6, for="[2001:db8::1]:80";proto=https`, "", "", "", "", true, uint8(2), true)
	f.Add("6.6.6.6", "for=6.6.6.6", "https", "evil.example", "//evil", "1.2.3.4", false, uint8(1), false)
	f.Add("10.0.0.2, , 10.0.0.1,", "", "", "", "", "", false, uint8(4), true)
	f.Fuzz(func(t *testing.T, xff, fwd, proto, host, prefix, origFor string, rfc7239 bool, limit uint8, trusted bool) {
		opts := Options{ForwardLimit: int(limit%5) + 1, TrustedProxies: trustList(t, "loopback", "10.0.0.0/8")}
		if rfc7239 {
			opts.Headers = Forwarded
		}
		m, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		req := httptest.NewRequest(http.MethodGet, "http://app.internal/x", nil)
		req.RemoteAddr = "127.0.0.1:40000"
		if !trusted {
			req.RemoteAddr = "198.51.100.9:1234"
		}
		add := func(name, v string) {
			if v != "" {
				req.Header[name] = strings.Split(v, "\n")
			}
		}
		add("X-Forwarded-For", xff)
		add("Forwarded", fwd)
		add("X-Forwarded-Proto", proto)
		add("X-Forwarded-Host", host)
		add("X-Forwarded-Prefix", prefix)
		add("X-Original-For", origFor)
		before := req.Header.Clone()

		var got *http.Request
		m.Handler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { got = r })).ServeHTTP(httptest.NewRecorder(), req)

		if !reflect.DeepEqual(req.Header, before) || req.Host != "app.internal" || req.URL.Scheme != "http" && req.URL.Scheme != "" {
			t.Fatalf("the caller's request was modified: %v", req.Header)
		}
		if !trusted {
			for _, name := range []string{
				"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Prefix", "Forwarded",
				"X-Real-Ip", "X-Forwarded-Port", "X-Forwarded-Scheme", "X-Forwarded-Ssl", "Front-End-Https", "True-Client-Ip",
				"X-Original-For", "X-Original-Proto", "X-Original-Host", "X-Original-Prefix",
			} {
				if _, ok := got.Header[name]; ok {
					t.Fatalf("untrusted peer: %s passed on: %q", name, got.Header[name])
				}
			}
			if got.RemoteAddr != req.RemoteAddr || got.Host != req.Host {
				t.Fatalf("untrusted peer: RemoteAddr %q Host %q applied", got.RemoteAddr, got.Host)
			}
			return
		}
		if got.Header.Get("X-Original-For") == origFor && origFor != "" && got.RemoteAddr == req.RemoteAddr {
			t.Fatalf("a client's own X-Original-For %q passed on", origFor)
		}
		if got.RemoteAddr != req.RemoteAddr && got.Header.Get("X-Original-For") != req.RemoteAddr {
			t.Fatalf("RemoteAddr replaced by %q but X-Original-For is %q", got.RemoteAddr, got.Header.Get("X-Original-For"))
		}
		if rfc7239 {
			for _, name := range []string{"X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Forwarded-Prefix"} {
				if _, ok := got.Header[name]; ok {
					t.Fatalf("forwarded family: %s passed on", name)
				}
			}
			return
		}
		if _, ok := got.Header["Forwarded"]; ok {
			t.Fatalf("x-forwarded family: Forwarded passed on")
		}
		orig, left := xffEntries(before["X-Forwarded-For"]), xffEntries(got.Header["X-Forwarded-For"])
		if len(left) > len(orig) || !slices.Equal(left, orig[:len(left)]) {
			t.Fatalf("X-Forwarded-For %q passed on as %q: not the original with entries taken off the right", orig, left)
		}
		if got.RemoteAddr != req.RemoteAddr && len(left) == len(orig) {
			t.Fatalf("client %q applied but no X-Forwarded-For entry consumed (%q)", got.RemoteAddr, orig)
		}
	})
}
