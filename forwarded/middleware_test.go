package forwarded

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

// tc is one request through the middleware and what the next handler must see.
type tc struct {
	name    string
	opts    Options
	remote  string      // RemoteAddr; "" means 127.0.0.1:40000
	unix    bool        // the connection is a unix socket
	tls     bool        // the connection itself is TLS
	host    string      // the request's Host; "" means app.internal
	lines   [][2]string // header field lines, in order
	client  string      // want RemoteAddr seen by next
	scheme  string      // want FromRequest scheme ("" means http)
	rhost   string      // want FromRequest host ("" means the request's)
	base    string      // want FromRequest path base
	applied bool
	headers map[string][]string // headers next must see exactly (nil: absent)
	stats   Stats
}

func run(t *testing.T, c tc) {
	t.Helper()
	m, err := New(c.opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if c.remote == "" && !c.unix {
		c.remote = "127.0.0.1:40000"
	}
	if c.host == "" {
		c.host = "app.internal"
	}
	req := httptest.NewRequest(http.MethodGet, "http://"+c.host+"/x", nil)
	req.RemoteAddr = c.remote
	if c.unix {
		req.RemoteAddr = "@"
		req = req.WithContext(context.WithValue(req.Context(), http.LocalAddrContextKey, &net.UnixAddr{Name: "/run/app.sock", Net: "unix"}))
	}
	req.TLS = nil
	if c.tls {
		req.TLS = &tls.ConnectionState{}
	}
	req.URL.Scheme, req.URL.Host = "", ""
	for _, l := range c.lines {
		req.Header.Add(l[0], l[1])
	}
	before := req.Header.Clone()
	beforeRemote, beforeHost := req.RemoteAddr, req.Host

	var got *http.Request
	var res Result
	var ok bool
	m.Handler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		got = r
		res, ok = FromRequest(r)
	})).ServeHTTP(httptest.NewRecorder(), req)

	if !ok {
		t.Fatal("FromRequest: no result")
	}
	if !reflect.DeepEqual(req.Header, before) || req.RemoteAddr != beforeRemote || req.Host != beforeHost || req.URL.Scheme != "" {
		t.Errorf("the caller's request was modified")
	}
	wantClient := c.client
	if wantClient == "" {
		wantClient = req.RemoteAddr
	}
	if got.RemoteAddr != wantClient {
		t.Errorf("RemoteAddr = %q, want %q", got.RemoteAddr, wantClient)
	}
	if c.client != "" && res.Client.String() != c.client {
		t.Errorf("Result.Client = %v, want %s", res.Client, c.client)
	}
	wantScheme := c.scheme
	if wantScheme == "" {
		wantScheme = "http"
		if c.tls {
			wantScheme = "https"
		}
	}
	if res.Scheme != wantScheme {
		t.Errorf("Result.Scheme = %q, want %q", res.Scheme, wantScheme)
	}
	wantHost := c.rhost
	if wantHost == "" {
		wantHost = c.host
	}
	if res.Host != wantHost || got.Host != wantHost {
		t.Errorf("host = %q (Result %q), want %q", got.Host, res.Host, wantHost)
	}
	if res.PathBase != c.base {
		t.Errorf("PathBase = %q, want %q", res.PathBase, c.base)
	}
	if res.Applied != c.applied {
		t.Errorf("Applied = %v, want %v", res.Applied, c.applied)
	}
	if res.Peer != req.RemoteAddr || res.PeerUnix != c.unix {
		t.Errorf("peer = %q unix=%v, want %q unix=%v", res.Peer, res.PeerUnix, req.RemoteAddr, c.unix)
	}
	for name, want := range c.headers {
		if g := got.Header.Values(name); !reflect.DeepEqual(g, want) {
			t.Errorf("header %s = %q, want %q", name, g, want)
		}
	}
	if s := m.Stats(); s != c.stats {
		t.Errorf("Stats = %+v, want %+v", s, c.stats)
	}
}

func trustList(t *testing.T, entries ...string) *TrustedProxies {
	t.Helper()
	tp, err := ParseTrustedProxies(entries)
	if err != nil {
		t.Fatal(err)
	}
	return &tp
}

func h(name, value string) [2]string { return [2]string{name, value} }

func TestMiddleware(t *testing.T) {
	twoHops := Options{TrustedProxies: trustList(t, "loopback", "10.0.0.0/8"), ForwardLimit: 2}
	cases := []tc{
		// The everyday case: nginx on the same machine.
		{name: "loopback proxy: client, scheme and host applied",
			lines:  [][2]string{h("X-Forwarded-For", "203.0.113.7"), h("X-Forwarded-Proto", "https"), h("X-Forwarded-Host", "shop.example.com")},
			client: "203.0.113.7:0", scheme: "https", rhost: "shop.example.com", applied: true,
			headers: map[string][]string{"X-Forwarded-For": nil, "X-Original-For": {"127.0.0.1:40000"}, "X-Original-Proto": {"http"}, "X-Original-Host": {"app.internal"}}},
		{name: "no forwarding headers: nothing applied, nothing counted",
			applied: false},
		{name: "unix-socket proxy is trusted by default",
			unix: true, lines: [][2]string{h("X-Forwarded-For", "198.51.100.1:5555")},
			client: "198.51.100.1:5555", applied: true, headers: map[string][]string{"X-Original-For": {"unix"}}},

		// Spoofing from an untrusted peer (gorilla/handlers ProxyHeaders, chi RealIP advisories).
		{name: "untrusted peer: X-Forwarded-For ignored and removed",
			remote: "198.51.100.9:1234", lines: [][2]string{h("X-Forwarded-For", "6.6.6.6")},
			client: "198.51.100.9:1234", headers: map[string][]string{"X-Forwarded-For": nil},
			stats: Stats{UntrustedWithHeaders: 1}},
		{name: "untrusted peer sending Proto only: scheme not upgraded, header removed",
			remote: "198.51.100.9:1234", lines: [][2]string{h("X-Forwarded-Proto", "https")},
			headers: map[string][]string{"X-Forwarded-Proto": nil}, stats: Stats{UntrustedWithHeaders: 1}},
		{name: "untrusted peer: both families, X-Real-IP and True-Client-IP removed",
			remote:  "198.51.100.9:1234",
			lines:   [][2]string{h("Forwarded", "for=6.6.6.6"), h("X-Real-IP", "6.6.6.6"), h("True-Client-IP", "6.6.6.6"), h("X-Forwarded-Host", "evil.example")},
			headers: map[string][]string{"Forwarded": nil, "X-Real-Ip": nil, "True-Client-Ip": nil, "X-Forwarded-Host": nil},
			stats:   Stats{UntrustedWithHeaders: 1}},
		{name: "untrusted peer: forged X-Original-For removed",
			remote: "198.51.100.9:1234", lines: [][2]string{h("X-Original-For", "6.6.6.6")},
			headers: map[string][]string{"X-Original-For": nil}},
		{name: "trust nobody: even loopback headers are removed",
			opts:  Options{TrustedProxies: &TrustedProxies{}},
			lines: [][2]string{h("X-Forwarded-For", "203.0.113.7")}, headers: map[string][]string{"X-Forwarded-For": nil},
			stats: Stats{UntrustedWithHeaders: 1}},
		{name: "unix peer not trusted when the list omits unix",
			opts: Options{TrustedProxies: trustList(t, "loopback")}, unix: true,
			lines: [][2]string{h("X-Forwarded-For", "203.0.113.7")}, stats: Stats{UntrustedWithHeaders: 1}},
		{name: "peer with a zone is checked without it",
			remote: "[::1%lo]:8080", lines: [][2]string{h("X-Forwarded-For", "203.0.113.7")},
			client: "203.0.113.7:0", applied: true},

		// Spoofed leftmost entry: the client writes the left end; the proxy appends.
		{name: "spoofed leftmost entry: the rightmost entry is the client",
			lines:  [][2]string{h("X-Forwarded-For", "6.6.6.6, 203.0.113.7")},
			client: "203.0.113.7:0", applied: true, headers: map[string][]string{"X-Forwarded-For": {"6.6.6.6"}}},
		{name: "spoofed trusted-looking entry beyond the limit is not read",
			lines:  [][2]string{h("X-Forwarded-For", "6.6.6.6, 10.0.0.5")},
			client: "10.0.0.5:0", applied: true},
		{name: "two hops: walk through the trusted CDN hop to the client",
			opts:   twoHops,
			lines:  [][2]string{h("X-Forwarded-For", "6.6.6.6, 203.0.113.7, 10.1.2.3")},
			client: "203.0.113.7:0", applied: true, headers: map[string][]string{"X-Forwarded-For": {"6.6.6.6"}}},
		{name: "two hops: the first untrusted address is the client",
			opts:   twoHops,
			lines:  [][2]string{h("X-Forwarded-For", "6.6.6.6, 203.0.113.7")},
			client: "203.0.113.7:0", applied: true, headers: map[string][]string{"X-Forwarded-For": {"6.6.6.6"}}},

		// Split header lines: every line is part of one list.
		{name: "split header lines: the last line's last entry is the client",
			lines:  [][2]string{h("X-Forwarded-For", "203.0.113.7"), h("X-Forwarded-For", "6.6.6.6")},
			client: "6.6.6.6:0", applied: true, headers: map[string][]string{"X-Forwarded-For": {"203.0.113.7"}}},
		{name: "split header lines: the walk crosses lines",
			opts:   twoHops,
			lines:  [][2]string{h("X-Forwarded-For", "6.6.6.6, 203.0.113.7"), h("X-Forwarded-For", "10.1.2.3")},
			client: "203.0.113.7:0", applied: true, headers: map[string][]string{"X-Forwarded-For": {"6.6.6.6"}}},
		{name: "empty list elements are skipped",
			lines:  [][2]string{h("X-Forwarded-For", "203.0.113.7, ,"), h("X-Forwarded-For", "")},
			client: "203.0.113.7:0", applied: true},

		// Fail closed: a bad entry stops the walk; nothing is guessed.
		{name: "garbage entry: nothing applied, counted",
			lines: [][2]string{h("X-Forwarded-For", "203.0.113.7, not-an-ip")},
			stats: Stats{Malformed: 1}, headers: map[string][]string{"X-Forwarded-For": {"203.0.113.7, not-an-ip"}}},
		{name: "garbage behind a trusted hop: keep the trusted hop, never the leftmost",
			opts:   twoHops,
			lines:  [][2]string{h("X-Forwarded-For", "203.0.113.7, bogus, 10.1.2.3")},
			client: "10.1.2.3:0", applied: true, stats: Stats{Malformed: 1}},
		{name: "unspecified address is never a client",
			lines: [][2]string{h("X-Forwarded-For", "0.0.0.0")}, stats: Stats{Malformed: 1}},
		{name: "IPv6 unspecified is never a client",
			lines: [][2]string{h("X-Forwarded-For", "[::]:80")}, stats: Stats{Malformed: 1}},
		{name: "zone in a forwarded address is refused",
			lines: [][2]string{h("X-Forwarded-For", "fe80::1%eth0")}, stats: Stats{Malformed: 1}},

		// Address forms IIS ARR and ANCM send.
		{name: "ip:port", lines: [][2]string{h("X-Forwarded-For", "203.0.113.7:51000")}, client: "203.0.113.7:51000", applied: true},
		{name: "bare IPv6", lines: [][2]string{h("X-Forwarded-For", "2001:db8::7")}, client: "[2001:db8::7]:0", applied: true},
		{name: "bracketed IPv6 with port", lines: [][2]string{h("X-Forwarded-For", "[2001:db8::7]:51000")}, client: "[2001:db8::7]:51000", applied: true},

		// Mapped addresses bypassing a CIDR: unmapped before trust checks and in the result.
		{name: "mapped client address is unmapped",
			lines:  [][2]string{h("X-Forwarded-For", "::ffff:203.0.113.7")},
			client: "203.0.113.7:0", applied: true},
		{name: "mapped hop address is trusted by its IPv4 network",
			opts:   twoHops,
			lines:  [][2]string{h("X-Forwarded-For", "203.0.113.7, [::ffff:10.1.2.3]:443")},
			client: "203.0.113.7:0", applied: true},
		{name: "mapped peer address is trusted as loopback",
			remote: "[::ffff:127.0.0.1]:9999", lines: [][2]string{h("X-Forwarded-For", "203.0.113.7")},
			client: "203.0.113.7:0", applied: true},

		// Scheme, host and prefix come from the client's hop.
		{name: "proto from the same hop as the client",
			opts:   twoHops,
			lines:  [][2]string{h("X-Forwarded-For", "203.0.113.7, 10.1.2.3"), h("X-Forwarded-Proto", "https, http")},
			client: "203.0.113.7:0", scheme: "https", applied: true, headers: map[string][]string{"X-Forwarded-Proto": nil}},
		{name: "shorter proto list: its leftmost entry is used",
			opts:   twoHops,
			lines:  [][2]string{h("X-Forwarded-For", "203.0.113.7, 10.1.2.3"), h("X-Forwarded-Proto", "https")},
			client: "203.0.113.7:0", scheme: "https", applied: true},
		{name: "proto without X-Forwarded-For: the trusted peer's hop",
			lines:  [][2]string{h("X-Forwarded-Proto", "HTTPS")},
			scheme: "https", applied: true, headers: map[string][]string{"X-Forwarded-Proto": nil, "X-Original-Proto": {"http"}}},
		{name: "empty X-Forwarded-For counts as absent",
			lines:  [][2]string{h("X-Forwarded-For", " , "), h("X-Forwarded-Proto", "https")},
			scheme: "https", applied: true},
		{name: "proto spoofed on the left is not read",
			lines:  [][2]string{h("X-Forwarded-For", "203.0.113.7"), h("X-Forwarded-Proto", "https, http")},
			client: "203.0.113.7:0", scheme: "http", applied: true, headers: map[string][]string{"X-Forwarded-Proto": {"https"}}},
		{name: "unknown scheme is refused",
			lines:  [][2]string{h("X-Forwarded-For", "203.0.113.7"), h("X-Forwarded-Proto", "javascript")},
			client: "203.0.113.7:0", applied: true, stats: Stats{Malformed: 1}},
		{name: "bad client entry: proto not applied either",
			lines: [][2]string{h("X-Forwarded-For", "bogus"), h("X-Forwarded-Proto", "https")},
			stats: Stats{Malformed: 1}},
		{name: "TLS connection keeps https when no proto is forwarded",
			tls: true, lines: [][2]string{h("X-Forwarded-For", "203.0.113.7")}, client: "203.0.113.7:0", applied: true},

		// Host injection.
		{name: "host with path is refused",
			lines: [][2]string{h("X-Forwarded-Host", "evil.example/steal")}, stats: Stats{Malformed: 1}},
		{name: "host with userinfo is refused",
			lines: [][2]string{h("X-Forwarded-Host", "user@evil.example")}, stats: Stats{Malformed: 1}},
		{name: "host with a space is refused",
			lines: [][2]string{h("X-Forwarded-Host", "a b")}, stats: Stats{Malformed: 1}},
		{name: "host with port and IPv6 literal accepted",
			lines: [][2]string{h("X-Forwarded-Host", "[2001:db8::1]:8443")}, rhost: "[2001:db8::1]:8443", applied: true},
		{name: "host outside allowed hosts is not applied",
			opts:  Options{AllowedHosts: []string{"shop.example.com", "*.cdn.example.com"}},
			lines: [][2]string{h("X-Forwarded-Host", "evil.example")}, stats: Stats{HostsRejected: 1}},
		{name: "host matching a wildcard is applied",
			opts:  Options{AllowedHosts: []string{"*.example.com"}},
			lines: [][2]string{h("X-Forwarded-Host", "EU.Example.com:443")}, rhost: "EU.Example.com:443", applied: true},
		{name: "fragment trick against a wildcard is refused as malformed",
			opts:  Options{AllowedHosts: []string{"*.example.com"}},
			lines: [][2]string{h("X-Forwarded-Host", "attacker.com#x.example.com")}, stats: Stats{Malformed: 1}},
		{name: "allowed suffix inside a longer name is not a match",
			opts:  Options{AllowedHosts: []string{"*.example.com"}},
			lines: [][2]string{h("X-Forwarded-Host", "www.example.com.attacker.net")}, stats: Stats{HostsRejected: 1}},
		{name: "host from the same hop as the client",
			opts:   twoHops,
			lines:  [][2]string{h("X-Forwarded-For", "203.0.113.7, 10.1.2.3"), h("X-Forwarded-Host", "shop.example.com, internal.lan")},
			client: "203.0.113.7:0", rhost: "shop.example.com", applied: true,
			headers: map[string][]string{"X-Forwarded-Host": nil, "X-Original-Host": {"app.internal"}}},
		{name: "wildcard does not match the apex",
			opts:  Options{AllowedHosts: []string{"*.example.com"}},
			lines: [][2]string{h("X-Forwarded-Host", "example.com")}, stats: Stats{HostsRejected: 1}},

		// Protocol-relative and traversing prefixes.
		{name: "prefix applied without trailing slash",
			lines: [][2]string{h("X-Forwarded-Prefix", "/shop/")}, base: "/shop", applied: true,
			headers: map[string][]string{"X-Forwarded-Prefix": nil, "X-Original-Prefix": {""}}},
		{name: "protocol-relative prefix refused", lines: [][2]string{h("X-Forwarded-Prefix", "//evil.example")}, stats: Stats{Malformed: 1}},
		{name: "backslash prefix refused", lines: [][2]string{h("X-Forwarded-Prefix", "/\\evil.example")}, stats: Stats{Malformed: 1}},
		{name: "dot-segment prefix refused", lines: [][2]string{h("X-Forwarded-Prefix", "/shop/../admin")}, stats: Stats{Malformed: 1}},
		{name: "encoded dot-segment prefix refused", lines: [][2]string{h("X-Forwarded-Prefix", "/%2e%2e/admin")}, stats: Stats{Malformed: 1}},
		{name: "prefix with query refused", lines: [][2]string{h("X-Forwarded-Prefix", "/shop?x=1")}, stats: Stats{Malformed: 1}},
		{name: "relative prefix refused", lines: [][2]string{h("X-Forwarded-Prefix", "shop")}, stats: Stats{Malformed: 1}},

		// One family only: the other is never read, never a fallback.
		{name: "x-forwarded family ignores and removes Forwarded",
			lines: [][2]string{h("Forwarded", "for=203.0.113.7")}, headers: map[string][]string{"Forwarded": nil}},
		{name: "forwarded family ignores and removes X-Forwarded-For",
			opts:  Options{Headers: Forwarded},
			lines: [][2]string{h("X-Forwarded-For", "203.0.113.7")}, headers: map[string][]string{"X-Forwarded-For": nil}},
		{name: "none family leaves everything alone",
			opts: Options{Headers: None}, remote: "198.51.100.9:1234",
			lines: [][2]string{h("X-Forwarded-For", "6.6.6.6")}, headers: map[string][]string{"X-Forwarded-For": {"6.6.6.6"}}},

		// RFC 7239.
		{name: "forwarded: for, proto and host from one element",
			opts:   Options{Headers: Forwarded},
			lines:  [][2]string{h("Forwarded", `for="[2001:db8::7]:4711";proto=https;host=shop.example.com`)},
			client: "[2001:db8::7]:4711", scheme: "https", rhost: "shop.example.com", applied: true,
			headers: map[string][]string{"Forwarded": nil}},
		{name: "forwarded: spoofed leftmost element ignored",
			opts:   Options{Headers: Forwarded},
			lines:  [][2]string{h("Forwarded", "for=6.6.6.6;proto=https, for=203.0.113.7")},
			client: "203.0.113.7:0", scheme: "http", applied: true, headers: map[string][]string{"Forwarded": {"for=6.6.6.6;proto=https"}}},
		{name: "forwarded: quoted comma does not split",
			opts:   Options{Headers: Forwarded},
			lines:  [][2]string{h("Forwarded", `for=203.0.113.7;ext="a, for=6.6.6.6"`)},
			client: "203.0.113.7:0", applied: true},
		{name: "forwarded: malformed element on the left cannot hide the right one",
			opts:   Options{Headers: Forwarded},
			lines:  [][2]string{h("Forwarded", `for="6.6.6.6, for=203.0.113.7`)},
			client: "203.0.113.7:0", applied: true},
		{name: "forwarded: unterminated quote in the proxy's element fails closed",
			opts:  Options{Headers: Forwarded},
			lines: [][2]string{h("Forwarded", `for=203.0.113.7;ext="a`)}, stats: Stats{Malformed: 1}},
		{name: "forwarded: unterminated quote left of the proxy's element",
			opts:   Options{Headers: Forwarded},
			lines:  [][2]string{h("Forwarded", `for="6.6.6.6`), h("Forwarded", "for=203.0.113.7")},
			client: "203.0.113.7:0", applied: true},
		{name: "forwarded: duplicate parameter invalidates the element",
			opts:  Options{Headers: Forwarded},
			lines: [][2]string{h("Forwarded", "for=203.0.113.7;for=6.6.6.6")}, stats: Stats{Malformed: 1}},
		{name: "forwarded: unquoted IPv6 is refused",
			opts:  Options{Headers: Forwarded},
			lines: [][2]string{h("Forwarded", "for=2001:db8::7")}, stats: Stats{Malformed: 1}},
		{name: "forwarded: unknown is valid but names no client",
			opts:  Options{Headers: Forwarded},
			lines: [][2]string{h("Forwarded", "for=unknown;proto=https")}},
		{name: "forwarded: obfuscated name stops the walk at the hop before",
			opts:   Options{Headers: Forwarded, TrustedProxies: trustList(t, "loopback", "10.0.0.0/8"), ForwardLimit: 3},
			lines:  [][2]string{h("Forwarded", "for=_hidden, for=10.1.2.3")},
			client: "10.1.2.3:0", applied: true},
		{name: "forwarded: parameter names are case-insensitive",
			opts:   Options{Headers: Forwarded},
			lines:  [][2]string{h("Forwarded", "For=203.0.113.7;PROTO=HTTPS")},
			client: "203.0.113.7:0", scheme: "https", applied: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { run(t, c) })
	}
}

func TestNewRejectsBadOptions(t *testing.T) {
	for _, c := range []struct {
		name string
		opts Options
	}{
		{"negative forward limit", Options{ForwardLimit: -1}},
		{"unknown family", Options{Headers: Family(7)}},
		{"allowed host with a port", Options{AllowedHosts: []string{"shop.example.com:443"}}},
		{"allowed host with an inner wildcard", Options{AllowedHosts: []string{"shop.*.com"}}},
		{"bare wildcard", Options{AllowedHosts: []string{"*"}}},
		{"empty allowed host", Options{AllowedHosts: []string{""}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := New(c.opts); err == nil {
				t.Fatal("New accepted it")
			}
		})
	}
}

func TestFromRequestWithoutMiddleware(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/", nil)
	if _, ok := FromRequest(r); ok {
		t.Fatal("FromRequest reported a result without the middleware")
	}
	// A connection recorded by ConnContext whose requests no middleware
	// handled has no result either.
	server, _ := tcpPair(t)
	r = r.WithContext(ConnContext(context.Background(), server))
	r.RemoteAddr = server.RemoteAddr().String()
	if _, ok := FromRequest(r); ok {
		t.Fatal("FromRequest reported a result for a ConnContext connection without the middleware")
	}
}

func TestResolveIsPure(t *testing.T) {
	m, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	hdr := http.Header{"X-Forwarded-For": {"6.6.6.6, 203.0.113.7"}}
	res := m.Resolve(hdr, Peer{Addr: netip.MustParseAddrPort("127.0.0.1:1")})
	if res.Client != netip.MustParseAddrPort("203.0.113.7:0") || !res.Applied {
		t.Fatalf("Resolve = %+v", res)
	}
	if got := hdr["X-Forwarded-For"]; len(got) != 1 || got[0] != "6.6.6.6, 203.0.113.7" {
		t.Fatalf("Resolve modified the headers: %q", got)
	}
}

func TestParseOptions(t *testing.T) {
	o, err := ParseOptions("forwarded", []string{"loopback", "10.0.0.0/8"}, 2, []string{"*.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Headers != Forwarded || o.ForwardLimit != 2 || o.TrustedProxies == nil || o.TrustedProxies.String() != "127.0.0.0/8,::1,10.0.0.0/8" {
		t.Fatalf("ParseOptions = %+v", o)
	}
	if o, err := ParseOptions("", nil, 0, nil); err != nil || o.TrustedProxies != nil || o.Headers != XForwarded {
		t.Fatalf("defaults: %+v, %v", o, err)
	}
	if o, err := ParseOptions("", []string{}, 0, nil); err != nil || o.TrustedProxies == nil || len(o.TrustedProxies.Prefixes) != 0 || o.TrustedProxies.Unix {
		t.Fatalf("empty list must trust nobody: %+v, %v", o, err)
	}
	for _, c := range []struct {
		name, headers string
		trusted       []string
		limit         int
		hosts         []string
		want          string
	}{
		{"bad family", "both", nil, 0, nil, `forwarded headers "both"`},
		{"bad proxy", "", []string{"10.0.0.0/33"}, 0, nil, `trusted proxy "10.0.0.0/33"`},
		{"bad limit", "", nil, -2, nil, "forward limit -2"},
		{"bad host", "", nil, 0, []string{"a/b"}, `allowed host "a/b"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseOptions(c.headers, c.trusted, c.limit, c.hosts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one naming %s", err, c.want)
			}
		})
	}
}

func TestPeerOf(t *testing.T) {
	unixCtx := context.WithValue(context.Background(), http.LocalAddrContextKey, &net.UnixAddr{Name: "/run/app.sock", Net: "unix"})
	tcpCtx := context.WithValue(context.Background(), http.LocalAddrContextKey, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000})
	for _, c := range []struct {
		name   string
		ctx    context.Context
		remote string
		want   Peer
	}{
		{"TCP peer", tcpCtx, "192.0.2.1:4000", Peer{Addr: netip.MustParseAddrPort("192.0.2.1:4000")}},
		{"IPv6 peer with zone", tcpCtx, "[fe80::1%eth0]:4000", Peer{Addr: netip.MustParseAddrPort("[fe80::1%eth0]:4000")}},
		{"mapped peer is unmapped", tcpCtx, "[::ffff:192.0.2.1]:4000", Peer{Addr: netip.MustParseAddrPort("192.0.2.1:4000")}},
		{"bare address gets port 0", context.Background(), "192.0.2.1", Peer{Addr: netip.MustParseAddrPort("192.0.2.1:0")}},
		{"unix peer with @", unixCtx, "@", Peer{Unix: true}},
		{"unix peer with empty RemoteAddr", unixCtx, "", Peer{Unix: true}},
		{"unix wins over a parseable RemoteAddr", unixCtx, "127.0.0.1:1", Peer{Unix: true}},
		{"garbage is no peer", context.Background(), "not-an-address", Peer{}},
		{"empty without unix context is no peer", context.Background(), "", Peer{}},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(c.ctx)
			r.RemoteAddr = c.remote
			if got := PeerOf(r); got != c.want {
				t.Fatalf("PeerOf(%q) = %+v, want %+v", c.remote, got, c.want)
			}
			// The same connection with its peer recorded by ConnContext,
			// as net/http would give it: the record comes first, the
			// local address after.
			local, _ := c.ctx.Value(http.LocalAddrContextKey).(net.Addr)
			ctx := ConnContext(context.Background(), addrConn{local: local, remote: textAddr(c.remote)})
			if local != nil {
				ctx = context.WithValue(ctx, http.LocalAddrContextKey, local)
			}
			r = r.WithContext(ctx)
			if got := PeerOf(r); got != c.want {
				t.Fatalf("with ConnContext: PeerOf(%q) = %+v, want %+v", c.remote, got, c.want)
			}
		})
	}
}

func TestConnContextRecord(t *testing.T) {
	// A handler in front that sets RemoteAddr (from the PROXY protocol, a
	// test harness) has it read, not the connection's record.
	tcp := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000}
	ctx := ConnContext(context.Background(), addrConn{local: tcp, remote: textAddr("192.0.2.1:4000")})
	r := httptest.NewRequest(http.MethodGet, "/", nil).WithContext(context.WithValue(ctx, http.LocalAddrContextKey, tcp))
	r.RemoteAddr = "198.51.100.2:1"
	if got, want := PeerOf(r), (Peer{Addr: netip.MustParseAddrPort("198.51.100.2:1")}); got != want {
		t.Fatalf("PeerOf = %+v, want %+v", got, want)
	}
	// While RemoteAddr is the connection's, the record is the answer, with
	// no local address to look up.
	unix := &net.UnixAddr{Name: "app.sock", Net: "unix"}
	r = r.WithContext(ConnContext(context.Background(), addrConn{local: unix, remote: textAddr("10.0.0.1:80")}))
	r.RemoteAddr = "10.0.0.1:80"
	if got := PeerOf(r); got != (Peer{Unix: true}) {
		t.Fatalf("PeerOf = %+v, want the recorded unix peer", got)
	}
	// And a connection without addresses records no peer.
	r = r.WithContext(ConnContext(context.Background(), addrConn{}))
	r.RemoteAddr = ""
	if got := PeerOf(r); got != (Peer{}) {
		t.Fatalf("PeerOf = %+v, want none", got)
	}
}

// addrConn is a connection that has addresses only, as ConnContext reads.
type addrConn struct {
	net.Conn
	local, remote net.Addr
}

func (c addrConn) LocalAddr() net.Addr  { return c.local }
func (c addrConn) RemoteAddr() net.Addr { return c.remote }

// textAddr is a remote address whose text is anything, as a unix peer's is.
type textAddr string

func (a textAddr) Network() string { return "tcp" }
func (a textAddr) String() string  { return string(a) }

// tcpPair returns the two ends of a loopback TCP connection: the server's
// (accepted) and the client's. Both are closed when the test ends.
func tcpPair(t *testing.T) (server, client net.Conn) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	server, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { server.Close() })
	return server, client
}

// TestPassedAsItIs: on a connection recorded by ConnContext, a request
// with nothing to apply or remove reaches next as it is, and FromRequest
// answers from the connection and the request; any other request is
// still a copy with its own result.
func TestPassedAsItIs(t *testing.T) {
	m, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	server, client := tcpPair(t)
	ctx := ConnContext(context.Background(), server)
	request := func(remote string, header ...string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "http://app.example/", nil).WithContext(ctx)
		r.RemoteAddr = remote
		for i := 0; i+1 < len(header); i += 2 {
			r.Header.Set(header[i], header[i+1])
		}
		return r
	}
	serveOne := func(r *http.Request) (got *http.Request, res Result, ok bool) {
		m.Handler(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
			got = r
			res, ok = FromRequest(r)
		})).ServeHTTP(httptest.NewRecorder(), r)
		return got, res, ok
	}
	peer := server.RemoteAddr().String()
	wantPeer := netip.MustParseAddrPort(client.LocalAddr().String())

	r := request(peer, "User-Agent", "test")
	got, res, ok := serveOne(r)
	if got != r {
		t.Error("a request with nothing to apply was copied")
	}
	want := Result{Client: wantPeer, Scheme: "http", Host: "app.example", Peer: peer, trusted: true}
	if !ok || res != want {
		t.Errorf("passed as it is: FromRequest = %+v, %v; want %+v, true", res, ok, want)
	}

	r = request(peer)
	r.TLS = &tls.ConnectionState{}
	if _, res, _ := serveOne(r); res.Scheme != "https" {
		t.Errorf("over TLS: scheme %q, want https", res.Scheme)
	}

	r = request(peer, "X-Forwarded-For", "203.0.113.7", "X-Forwarded-Proto", "https")
	got, res, ok = serveOne(r)
	if got == r || !ok || !res.Applied || res.Client != netip.MustParseAddrPort("203.0.113.7:0") || res.Scheme != "https" {
		t.Errorf("forwarded values: copied %v, FromRequest = %+v, %v", got != r, res, ok)
	}

	// A step in front rewrote RemoteAddr: the connection's record no
	// longer speaks for the request.
	r = request("198.51.100.4:5000")
	got, res, ok = serveOne(r)
	if got == r || !ok || res.Client != netip.MustParseAddrPort("198.51.100.4:5000") || res.Peer != "198.51.100.4:5000" {
		t.Errorf("rewritten RemoteAddr: copied %v, FromRequest = %+v, %v", got != r, res, ok)
	}

	// Requests of the same connection that the middleware did not handle:
	// one it would have passed on as it was gets the same answer; one it
	// would have changed, or whose RemoteAddr is not the connection's, none.
	if res, ok := FromRequest(request(peer, "User-Agent", "test")); !ok || res != want {
		t.Errorf("unhandled request with nothing to apply: FromRequest = %+v, %v; want %+v, true", res, ok, want)
	}
	if res, ok := FromRequest(request(peer, "X-Forwarded-For", "203.0.113.7")); ok {
		t.Errorf("unhandled request with X-Forwarded-For: FromRequest = %+v, true", res)
	}
	if res, ok := FromRequest(request("198.51.100.4:5000")); ok {
		t.Errorf("unhandled request with a rewritten RemoteAddr: FromRequest = %+v, true", res)
	}
}
