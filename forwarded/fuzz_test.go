package forwarded

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
)

// formatXFF writes an address as an X-Forwarded-For entry.
func formatXFF(ap netip.AddrPort) string {
	if ap.Port() == 0 {
		return ap.Addr().String()
	}
	return ap.String()
}

// FuzzParseXForwardedFor checks that the parser never panics, that what it
// accepts is normalised (unmapped, no zone, not unspecified), and that
// normalising twice changes nothing.
func FuzzParseXForwardedFor(f *testing.F) {
	for _, s := range []string{
		"192.0.2.1", "192.0.2.1:80", "2001:db8::1", "[2001:db8::1]", "[2001:db8::1]:443",
		"::ffff:192.0.2.1", "[::ffff:192.0.2.1]:80", "0.0.0.0", "::", "fe80::1%eth0",
		"", " ", "unknown", "[192.0.2.1]", "192.0.2.1:0", "192.0.2.1:65536", "[::1", "1.2.3.4:+1",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ap, err := ParseXForwardedFor(s)
		if err != nil {
			return
		}
		a := ap.Addr()
		if a.Is4In6() || a.Zone() != "" || a.IsUnspecified() || !a.IsValid() {
			t.Fatalf("ParseXForwardedFor(%q) = %v: not normalised", s, ap)
		}
		again, err := ParseXForwardedFor(formatXFF(ap))
		if err != nil || again != ap {
			t.Fatalf("normalising %q twice: %v, %v; first %v", s, again, err, ap)
		}
	})
}

// formatElement writes an element with every value quoted and escaped.
func formatElement(e Element) string {
	var parts []string
	for _, p := range [...]struct{ k, v string }{{"for", e.For}, {"by", e.By}, {"host", e.Host}, {"proto", e.Proto}} {
		if p.v == "" {
			continue
		}
		v := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(p.v)
		parts = append(parts, p.k+`="`+v+`"`)
	}
	return strings.Join(parts, ";")
}

// FuzzParseForwarded checks that the RFC 7239 parser never panics and that
// writing what it parsed back out and parsing again gives the same elements.
func FuzzParseForwarded(f *testing.F) {
	for _, s := range []string{
		`for="[2001:db8:cafe::17]:4711"`, `for=192.0.2.60;proto=http;by=203.0.113.43`,
		`for=192.0.2.43, for=198.51.100.17`, `for=unknown, for="_hidden:_port"`,
		`for=192.0.2.1;ext="a,b", for=192.0.2.2`, `ext="a\"b,c";for=192.0.2.1`, `host="a\\";for=192.0.2.1`,
		`for=192.0.2.1;for=192.0.2.2`, `for=2001:db8::1`, `for="192.0.2.1`, `, ,`, `;;`, `for="6.6.6.6, for=1.2.3.4`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		els, err := ParseForwarded(s)
		if err != nil {
			return
		}
		var out []string
		for _, e := range els {
			if formatElement(e) != "" {
				out = append(out, formatElement(e))
			}
		}
		again, err := ParseForwarded(strings.Join(out, ", "))
		if err != nil {
			t.Fatalf("re-parsing %q (from %q): %v", strings.Join(out, ", "), s, err)
		}
		var want []Element
		for _, e := range els {
			if e != (Element{}) {
				want = append(want, e)
			}
		}
		if len(again) != len(want) {
			t.Fatalf("%q: %d elements, re-parsed %d", s, len(want), len(again))
		}
		for i := range again {
			if again[i] != want[i] {
				t.Fatalf("%q: element %d = %+v, re-parsed %+v", s, i, want[i], again[i])
			}
		}
	})
}

// entriesOf returns the addresses any entry of a header could name.
func entriesOf(lines []string, rfc7239 bool) map[netip.AddrPort]bool {
	set := map[netip.AddrPort]bool{}
	it := newListIter(lines, rfc7239)
	for {
		e, ok, err := it.next()
		if !ok || err != nil {
			return set
		}
		if !rfc7239 {
			if ap, err := ParseXForwardedFor(e); err == nil {
				set[ap] = true
			}
			continue
		}
		if el, err := ParseForwardedElement(e); err == nil {
			if n, err := ParseNode(el.For); err == nil && n.HasAddr() {
				set[n.Addr] = true
			}
		}
	}
}

// FuzzResolve checks the middleware's core: it never panics, the client is
// always the peer or an address that appears in the header, an untrusted
// peer never gets anything applied, and the headers are not modified.
func FuzzResolve(f *testing.F) {
	f.Add("6.6.6.6, 203.0.113.7", "https", "shop.example.com", "/shop", false, uint8(1), true)
	f.Add("203.0.113.7, 10.1.2.3", "http, https", "a, b", "/a, /b", false, uint8(2), true)
	f.Add(`for=6.6.6.6, for="[2001:db8::1]:80";proto=https`, "", "", "", true, uint8(3), true)
	f.Add("6.6.6.6", "https", "", "", false, uint8(1), false)
	f.Fuzz(func(t *testing.T, xff, proto, host, prefix string, rfc7239 bool, limit uint8, trusted bool) {
		opts := Options{ForwardLimit: int(limit%5) + 1, TrustedProxies: &TrustedProxies{Prefixes: []netip.Prefix{
			netip.MustParsePrefix("127.0.0.0/8"), netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("2001:db8::/32")}}}
		name := "X-Forwarded-For"
		if rfc7239 {
			opts.Headers, name = Forwarded, "Forwarded"
		}
		m, err := New(opts)
		if err != nil {
			t.Fatal(err)
		}
		hdr := http.Header{name: strings.Split(xff, "\n"), "X-Forwarded-Proto": {proto}, "X-Forwarded-Host": {host}, "X-Forwarded-Prefix": {prefix}}
		before := hdr.Clone()
		peer := Peer{Addr: netip.MustParseAddrPort("127.0.0.1:1")}
		if !trusted {
			peer = Peer{Addr: netip.MustParseAddrPort("198.51.100.1:1")}
		}
		res := m.Resolve(hdr, peer)
		if res.Client != peer.Addr && !entriesOf(hdr[name], rfc7239)[res.Client] {
			t.Fatalf("client %v is neither the peer nor in %q", res.Client, xff)
		}
		if !trusted && (res.Applied || res.Client != peer.Addr) {
			t.Fatalf("untrusted peer got %+v", res)
		}
		if res.Scheme != "" && res.Scheme != "http" && res.Scheme != "https" {
			t.Fatalf("scheme %q", res.Scheme)
		}
		if res.Host != "" && !validHost(res.Host) {
			t.Fatalf("host %q", res.Host)
		}
		if res.PathBase != "" {
			if p, ok := cleanPrefix(res.PathBase); !ok || p != res.PathBase {
				t.Fatalf("path base %q not clean", res.PathBase)
			}
		}
		for k, v := range before {
			if strings.Join(hdr[k], "\n") != strings.Join(v, "\n") {
				t.Fatalf("Resolve modified %s", k)
			}
		}
	})
}
