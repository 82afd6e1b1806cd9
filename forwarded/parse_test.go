package forwarded

import (
	"net/netip"
	"testing"
)

func TestParseXForwardedFor(t *testing.T) {
	cases := []struct {
		name, in, want string // want "" means an error
	}{
		// Address forms proxies send.
		{"IPv4", "192.0.2.1", "192.0.2.1:0"},
		{"IPv4 with port", "192.0.2.1:8080", "192.0.2.1:8080"},
		{"IPv6", "2001:db8::1", "[2001:db8::1]:0"},
		{"bracketed IPv6 as IIS ARR sends it", "[2001:db8::1]", "[2001:db8::1]:0"},
		{"bracketed IPv6 with port as ANCM sends it", "[2001:db8::1]:443", "[2001:db8::1]:443"},
		{"surrounding spaces", "  192.0.2.1\t", "192.0.2.1:0"},

		// Mapped addresses bypassing a CIDR.
		{"mapped IPv4 is unmapped", "::ffff:192.0.2.1", "192.0.2.1:0"},
		{"bracketed mapped IPv4 with port is unmapped", "[::ffff:192.0.2.1]:80", "192.0.2.1:80"},

		// Addresses that name no client.
		{"unspecified IPv4", "0.0.0.0", ""},
		{"unspecified IPv6", "::", ""},
		{"mapped unspecified", "::ffff:0.0.0.0", ""},
		{"zone", "fe80::1%eth0", ""},
		{"bracketed zone", "[fe80::1%25eth0]:80", ""},

		// Garbage that lenient parsers accept.
		{"empty", "", ""},
		{"hostname", "localhost", ""},
		{"unknown", "unknown", ""},
		{"IPv4 in brackets", "[192.0.2.1]", ""},
		{"IPv6 with port, no brackets", "2001:db8::1:443x", ""},
		{"empty port", "192.0.2.1:", ""},
		{"port zero", "192.0.2.1:0", ""},
		{"port too large", "192.0.2.1:65536", ""},
		{"signed port", "192.0.2.1:+80", ""},
		{"leading zeros in IPv4", "192.000.2.1", ""},
		{"text after bracket", "[2001:db8::1]x", ""},
		{"missing bracket", "[2001:db8::1", ""},
		{"two addresses", "192.0.2.1 192.0.2.2", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseXForwardedFor(c.in)
			if c.want == "" {
				if err == nil {
					t.Fatalf("ParseXForwardedFor(%q) = %v, want an error", c.in, got)
				}
				return
			}
			if err != nil || got.String() != c.want {
				t.Fatalf("ParseXForwardedFor(%q) = %v, %v; want %s", c.in, got, err, c.want)
			}
		})
	}
}

func TestParseForwarded(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []Element // nil means an error
	}{
		// RFC 7239 §4 and §7 examples.
		{"quoted IPv6 with port", `For="[2001:db8:cafe::17]:4711"`, []Element{{For: "[2001:db8:cafe::17]:4711"}}},
		{"proto and by", `for=192.0.2.60;proto=http;by=203.0.113.43`, []Element{{For: "192.0.2.60", Proto: "http", By: "203.0.113.43"}}},
		{"two elements", `for=192.0.2.43, for=198.51.100.17`, []Element{{For: "192.0.2.43"}, {For: "198.51.100.17"}}},
		{"unknown and obfuscated", `for=unknown, for="_hidden:_port"`, []Element{{For: "unknown"}, {For: "_hidden:_port"}}},
		{"host", `host="shop.example.com:8443"`, []Element{{Host: "shop.example.com:8443"}}},

		// Quoted commas and semicolons do not split.
		{"quoted comma", `for=192.0.2.1;ext="a,b", for=192.0.2.2`, []Element{{For: "192.0.2.1"}, {For: "192.0.2.2"}}},
		{"quoted semicolon", `ext="a;for=6.6.6.6";for=192.0.2.1`, []Element{{For: "192.0.2.1"}}},
		{"escaped quote", `ext="a\"b,c";for=192.0.2.1`, []Element{{For: "192.0.2.1"}}},
		{"escaped backslash before the closing quote", `host="a\\";for=192.0.2.1`, []Element{{For: "192.0.2.1", Host: `a\`}}},
		{"escape in a host is unescaped", `host="sh\op.example.com"`, []Element{{Host: "shop.example.com"}}},

		// Empty list elements and pairs.
		{"empty elements skipped", `, for=192.0.2.1 ,,`, []Element{{For: "192.0.2.1"}}},
		{"empty pair", `for=192.0.2.1;;proto=https`, []Element{{For: "192.0.2.1", Proto: "https"}}},

		// Strictness.
		{"duplicate parameter", `for=192.0.2.1;FOR=192.0.2.2`, nil},
		{"duplicate extension parameter", `for=192.0.2.1;ext=a;EXT="b"`, nil},
		{"distinct extension parameters", `ext1=a;for=192.0.2.1;ext2=b`, []Element{{For: "192.0.2.1"}}},
		{"unquoted IPv6", `for=2001:db8::1`, nil},
		{"quoted IPv6 without brackets", `for="2001:db8::1"`, nil},
		{"unquoted port", `for=192.0.2.1:80`, nil},
		{"no value", `for`, nil},
		{"empty value", `for=`, nil},
		{"space around equals", `for = 192.0.2.1`, nil},
		{"bad name", `f(r=192.0.2.1`, nil},
		{"unterminated quote", `for="192.0.2.1`, nil},
		{"text after closing quote", `for="192.0.2.1"x`, nil},
		{"bad node", `for=localhost`, nil},
		{"bad by node", `by="[::1"`, nil},
		{"proto not a scheme", `proto="ht tp"`, nil},
		{"control character in quotes", "ext=\"a\x01\"", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := ParseForwarded(c.in)
			if c.want == nil {
				if err == nil {
					t.Fatalf("ParseForwarded(%q) = %+v, want an error", c.in, got)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseForwarded(%q): %v", c.in, err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("ParseForwarded(%q) = %+v, want %+v", c.in, got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("ParseForwarded(%q)[%d] = %+v, want %+v", c.in, i, got[i], c.want[i])
				}
			}
		})
	}
}

func TestParseNode(t *testing.T) {
	cases := []struct {
		name       string
		in         string
		addr       string // "" for no address
		unknown    bool
		obfuscated bool
		bad        bool
	}{
		{name: "IPv4", in: "192.0.2.1", addr: "192.0.2.1:0"},
		{name: "IPv4 port", in: "192.0.2.1:80", addr: "192.0.2.1:80"},
		{name: "IPv4 obfuscated port", in: "192.0.2.1:_p1", addr: "192.0.2.1:0"},
		{name: "IPv6", in: "[2001:db8::1]:4711", addr: "[2001:db8::1]:4711"},
		{name: "mapped", in: "[::ffff:10.0.0.1]", addr: "10.0.0.1:0"},
		{name: "unknown", in: "unknown", unknown: true},
		{name: "unknown with port", in: "UNKNOWN:80", unknown: true},
		{name: "obfuscated", in: "_hidden", obfuscated: true},
		{name: "bare underscore", in: "_", bad: true},
		{name: "obfuscated with bad char", in: "_a/b", bad: true},
		{name: "IPv6 unbracketed", in: "2001:db8::1", bad: true},
		{name: "IPv4 bracketed", in: "[192.0.2.1]", bad: true},
		{name: "zone", in: "[fe80::1%eth0]", bad: true},
		{name: "unspecified", in: "0.0.0.0", bad: true},
		{name: "empty port", in: "192.0.2.1:", bad: true},
		{name: "hostname", in: "proxy.example", bad: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := ParseNode(c.in)
			if c.bad {
				if err == nil {
					t.Fatalf("ParseNode(%q) = %+v, want an error", c.in, n)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseNode(%q): %v", c.in, err)
			}
			gotAddr := ""
			if n.HasAddr() {
				gotAddr = n.Addr.String()
			}
			if gotAddr != c.addr || n.Unknown != c.unknown || n.Obfuscated != c.obfuscated {
				t.Fatalf("ParseNode(%q) = %+v", c.in, n)
			}
		})
	}
}

func TestCleanPrefix(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"/", ""}, {"/shop", "/shop"}, {"/shop/", "/shop"}, {"/a/b", "/a/b"}, {"/a%20b", "/a%20b"}, {"/.well", "/.well"},
	} {
		if got, ok := cleanPrefix(c.in); !ok || got != c.want {
			t.Errorf("cleanPrefix(%q) = %q, %v; want %q", c.in, got, ok, c.want)
		}
	}
	// Protocol-relative, traversing and injected prefixes.
	for _, in := range []string{"", "shop", "//evil", "/a//b", "/\\evil", "/a\\b", "/.", "/..", "/a/./b", "/a/..", "/%2e%2E/x", "/%2fevil", "/%5cevil", "/a%", "/a%2", "/a?b", "/a#b", "/a b", "/a\tb", "/a\x00", "/a\x7f", "/caf\xc3\xa9"} {
		if got, ok := cleanPrefix(in); ok {
			t.Errorf("cleanPrefix(%q) = %q, want it refused", in, got)
		}
	}
}

func TestValidHost(t *testing.T) {
	for _, in := range []string{"example.com", "example.com:8080", "example.com:65535", "EXAMPLE.com", "192.0.2.1", "192.0.2.1:80", "[2001:db8::1]", "[2001:db8::1]:443", "xn--bcher-kva.example", "a_b.example"} {
		if !validHost(in) {
			t.Errorf("validHost(%q) = false, want true", in)
		}
	}
	// Host injection.
	for _, in := range []string{"", ":80", "example.com:", "example.com:123456", "example.com:99999", "example.com:65536", "example.com:0", "[::1]:0", "[::1]:70000", "example.com:8o", "a/b", "a?b", "a#b", "u@example.com", "a b", "a\r\nSet-Cookie: x", "[2001:db8::1", "[192.0.2.1]", "[fe80::1%eth0]", "[::1]x", "2001:db8::1", "exa%6dple.com", "\\example.com"} {
		if validHost(in) {
			t.Errorf("validHost(%q) = true, want false", in)
		}
	}
}

func TestParseScheme(t *testing.T) {
	for in, want := range map[string]string{"http": "http", "HTTPS": "https", "HtTpS": "https", "https ": "", "httpſ": "", "httpK": "", "ftp": "", "": ""} {
		if got, ok := parseScheme(in); got != want || ok != (want != "") {
			t.Errorf("parseScheme(%q) = %q, %t; want %q", in, got, ok, want)
		}
	}
}

func TestParseFamily(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Family
	}{{"", XForwarded}, {"x-forwarded", XForwarded}, {"X-Forwarded", XForwarded}, {"forwarded", Forwarded}, {" none ", None}} {
		got, err := ParseFamily(c.in)
		if err != nil || got != c.want {
			t.Errorf("ParseFamily(%q) = %v, %v; want %v", c.in, got, err, c.want)
		}
		var f Family
		if err := f.Set(c.in); err != nil || f != c.want {
			t.Errorf("Set(%q) = %v, %v", c.in, f, err)
		}
		if b, err := c.want.MarshalText(); err != nil || string(b) != c.want.String() {
			t.Errorf("MarshalText(%v) = %q, %v", c.want, b, err)
		}
	}
	for _, in := range []string{"x-forwarded-for", "rfc7239", "both"} {
		if _, err := ParseFamily(in); err == nil {
			t.Errorf("ParseFamily(%q) accepted", in)
		}
	}
}

func TestTrustedProxies(t *testing.T) {
	tp, err := ParseTrustedProxies([]string{"loopback", " unix ", "10.0.0.0/8", "192.0.2.7", "2001:db8::/32", "::ffff:172.16.0.0/108", "::ffff:198.51.100.1"})
	if err != nil {
		t.Fatal(err)
	}
	if !tp.Unix {
		t.Error("unix not set")
	}
	if got, want := tp.String(), "127.0.0.0/8,::1,10.0.0.0/8,192.0.2.7,2001:db8::/32,172.16.0.0/12,198.51.100.1,unix"; got != want {
		t.Errorf("String() = %q, want %q", got, want)
	}
	for _, c := range []struct {
		addr string
		want bool
	}{
		{"127.0.0.1", true}, {"127.255.0.1", true}, {"::1", true}, {"10.9.8.7", true}, {"192.0.2.7", true},
		{"192.0.2.8", false}, {"11.0.0.1", false}, {"2001:db8:1::1", true}, {"2001:db9::1", false},
		// Mapped addresses bypassing a CIDR: checked as the IPv4 they map.
		{"::ffff:10.1.1.1", true}, {"::ffff:11.1.1.1", false}, {"172.20.0.1", true}, {"198.51.100.1", true},
		// Zones are ignored for the check.
		{"::1%lo", true},
	} {
		if got := tp.Contains(netip.MustParseAddr(c.addr)); got != c.want {
			t.Errorf("Contains(%s) = %v, want %v", c.addr, got, c.want)
		}
	}
	if joined, err := ParseTrustedProxies([]string{"loopback, 10.0.0.0/8", "unix"}); err != nil || joined.String() != "127.0.0.0/8,::1,10.0.0.0/8,unix" {
		t.Errorf("comma-separated entry: %v, %v", joined, err)
	}
	for _, bad := range [][]string{{""}, {"loopback,,unix"}, {"10.0.0.0/8,"}, {"10.0.0.0/33"}, {"localhost"}, {"fe80::1%eth0"}, {"fe80::/10%eth0"}, {"::ffff:0.0.0.0/90"}, {"10.0.0.1/8/8"}} {
		if _, err := ParseTrustedProxies(bad); err == nil {
			t.Errorf("ParseTrustedProxies(%q) accepted", bad)
		}
	}
	d := DefaultTrustedProxies()
	if !d.Unix || !d.Contains(netip.MustParseAddr("127.0.0.1")) || !d.Contains(netip.MustParseAddr("::1")) || d.Contains(netip.MustParseAddr("10.0.0.1")) {
		t.Errorf("DefaultTrustedProxies() = %v", d)
	}
	// A hand-built list with a mapped network behaves like a parsed one.
	hand := TrustedProxies{Prefixes: []netip.Prefix{netip.MustParsePrefix("::ffff:10.0.0.0/104")}}
	if n, err := hand.normalized(); err != nil || !n.Contains(netip.MustParseAddr("10.1.2.3")) || n.Prefixes[0].String() != "10.0.0.0/8" {
		t.Errorf("normalized() = %v, %v", n, err)
	}
	// One that ParseTrustedProxies refuses, New refuses too: a mapped
	// network shorter than /96 would otherwise trust every IPv4 address.
	for _, p := range []netip.Prefix{netip.MustParsePrefix("::ffff:10.0.0.0/8"), {}} {
		if _, err := New(Options{TrustedProxies: &TrustedProxies{Prefixes: []netip.Prefix{p}}}); err == nil {
			t.Errorf("New accepted the trusted network %v", p)
		}
	}
}
