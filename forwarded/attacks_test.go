package forwarded

import "testing"

// TestAttacksFromOtherSuites holds behaviours taken from the public test
// suites of ASP.NET Core's ForwardedHeadersMiddleware, realclientip-go and
// chi's RealIP/ClientIP discussions, where they agree with this package's
// rules. Each group is named for the attack it stops; the cases are our own.
func TestAttacksFromOtherSuites(t *testing.T) {
	untrusted := "198.51.100.9:1234"
	threeHops := Options{TrustedProxies: trustList(t, "loopback", "10.0.0.0/8"), ForwardLimit: 3}
	groups := []struct {
		attack string
		cases  []tc
	}{
		{"untrusted peer sending only Host or Prefix (ASP.NET Core before 8.0.17)", []tc{
			{name: "X-Forwarded-Host alone is not applied and is removed",
				remote: untrusted, lines: [][2]string{h("X-Forwarded-Host", "evil.example")},
				headers: map[string][]string{"X-Forwarded-Host": nil}, stats: Stats{UntrustedWithHeaders: 1}},
			{name: "X-Forwarded-Prefix alone is not applied and is removed",
				remote: untrusted, lines: [][2]string{h("X-Forwarded-Prefix", "/admin")},
				headers: map[string][]string{"X-Forwarded-Prefix": nil}, stats: Stats{UntrustedWithHeaders: 1}},
			{name: "X-Forwarded-Port, -Scheme, -Ssl and Front-End-Https are removed",
				remote:  untrusted,
				lines:   [][2]string{h("X-Forwarded-Port", "443"), h("X-Forwarded-Scheme", "https"), h("X-Forwarded-Ssl", "on"), h("Front-End-Https", "on")},
				headers: map[string][]string{"X-Forwarded-Port": nil, "X-Forwarded-Scheme": nil, "X-Forwarded-Ssl": nil, "Front-End-Https": nil},
				stats:   Stats{UntrustedWithHeaders: 1}},
			{name: "an untrusted IPv6 peer is not loopback",
				remote: "[2001:db8::9]:1234", lines: [][2]string{h("X-Forwarded-For", "6.6.6.6")},
				headers: map[string][]string{"X-Forwarded-For": nil}, stats: Stats{UntrustedWithHeaders: 1}},
			{name: "an untrusted mapped peer is not loopback",
				remote: "[::ffff:198.51.100.9]:1234", lines: [][2]string{h("X-Forwarded-For", "6.6.6.6")},
				stats: Stats{UntrustedWithHeaders: 1}},
		}},
		{"a chain of trusted-looking entries longer than the limit (ASP.NET Core ForwardLimit)", []tc{
			{name: "every entry trusted: the walk stops at the limit and takes that entry",
				opts:   Options{TrustedProxies: trustList(t, "loopback", "10.0.0.0/8"), ForwardLimit: 2},
				lines:  [][2]string{h("X-Forwarded-For", "6.6.6.6, 10.0.0.3, 10.0.0.2, 10.0.0.1")},
				client: "10.0.0.2:0", applied: true, headers: map[string][]string{"X-Forwarded-For": {"6.6.6.6, 10.0.0.3"}}},
			{name: "three known hops: the first unknown address is the client",
				opts:   threeHops,
				lines:  [][2]string{h("X-Forwarded-For", "6.6.6.6, 203.0.113.7, 10.0.0.2, 127.0.0.2")},
				client: "203.0.113.7:0", applied: true, headers: map[string][]string{"X-Forwarded-For": {"6.6.6.6"}}},
			{name: "a private address outside the trusted list is a client, not a hop (realclientip-go)",
				opts:   threeHops,
				lines:  [][2]string{h("X-Forwarded-For", "6.6.6.6, 192.168.1.20, 10.0.0.2")},
				client: "192.168.1.20:0", applied: true},
		}},
		{"garbage in the chain makes a lenient parser fall back (realclientip-go, chi)", []tc{
			{name: "an unspecified entry behind a trusted hop keeps the trusted hop",
				opts:   threeHops,
				lines:  [][2]string{h("X-Forwarded-For", "6.6.6.6, 0.0.0.0, 10.0.0.2")},
				client: "10.0.0.2:0", applied: true, stats: Stats{Malformed: 1}},
			{name: "a host name in the chain is not resolved or skipped",
				opts:   threeHops,
				lines:  [][2]string{h("X-Forwarded-For", "6.6.6.6, localhost, 10.0.0.2")},
				client: "10.0.0.2:0", applied: true, stats: Stats{Malformed: 1}},
			{name: "tabs and spaces around entries are not garbage",
				lines:  [][2]string{h("X-Forwarded-For", "6.6.6.6 ,\t203.0.113.7 ")},
				client: "203.0.113.7:0", applied: true},
			{name: "IPv6 with a port but no brackets is refused, not split at the last colon",
				lines: [][2]string{h("X-Forwarded-For", "2001:db8::7:51000x")}, stats: Stats{Malformed: 1}},
		}},
		{"scheme and host taken from another hop than the client (ASP.NET Core count mismatch)", []tc{
			{name: "a longer proto list: the entry aligned with the client",
				lines:  [][2]string{h("X-Forwarded-For", "203.0.113.7"), h("X-Forwarded-Proto", "http, https")},
				client: "203.0.113.7:0", scheme: "https", applied: true},
			{name: "a longer host list: the entry aligned with the client",
				lines:  [][2]string{h("X-Forwarded-For", "203.0.113.7"), h("X-Forwarded-Host", "evil.example, shop.example.com")},
				client: "203.0.113.7:0", rhost: "shop.example.com", applied: true},
			{name: "the scheme is case-insensitive and applied in lower case",
				lines:  [][2]string{h("X-Forwarded-For", "203.0.113.7"), h("X-Forwarded-Proto", "HTTPS")},
				client: "203.0.113.7:0", scheme: "https", applied: true},
		}},
		{"header injection through the forwarded host", []tc{
			{name: "a host with an injected header line is refused",
				lines: [][2]string{h("X-Forwarded-Host", "shop.example.com\r\nSet-Cookie: a=b")}, stats: Stats{Malformed: 1}},
			{name: "a host with a percent-encoded name is refused",
				lines: [][2]string{h("X-Forwarded-Host", "sh%6fp.example.com")}, stats: Stats{Malformed: 1}},
		}},
		{"the RFC 7239 family read when configured, never as a fallback", []tc{
			{name: "Forwarded from an untrusted peer is removed and counted",
				opts: Options{Headers: Forwarded}, remote: untrusted, lines: [][2]string{h("Forwarded", "for=6.6.6.6;proto=https")},
				headers: map[string][]string{"Forwarded": nil}, stats: Stats{UntrustedWithHeaders: 1}},
			{name: "split Forwarded lines are one list",
				opts:   Options{Headers: Forwarded},
				lines:  [][2]string{h("Forwarded", "for=6.6.6.6"), h("Forwarded", `for="[2001:db8::7]:4711";proto=https`)},
				client: "[2001:db8::7]:4711", scheme: "https", applied: true},
			{name: "a quoted comma cannot add an element",
				opts:   Options{Headers: Forwarded},
				lines:  [][2]string{h("Forwarded", `for=203.0.113.7;ext="x, for=6.6.6.6"`)},
				client: "203.0.113.7:0", applied: true},
		}},
	}
	for _, g := range groups {
		t.Run(g.attack, func(t *testing.T) {
			for _, c := range g.cases {
				t.Run(c.name, func(t *testing.T) { run(t, c) })
			}
		})
	}
}
