package forwarded

import (
	"net/netip"
	"strconv"
	"testing"
)

// formatNode writes an address as an RFC 7239 node.
func formatNode(ap netip.AddrPort) string {
	s := ap.Addr().String()
	if ap.Addr().Is6() {
		s = "[" + s + "]"
	}
	if ap.Port() != 0 {
		s += ":" + strconv.Itoa(int(ap.Port()))
	}
	return s
}

// FuzzParseNode checks the RFC 7239 node parser the way FuzzParseXForwardedFor
// checks X-Forwarded-For entries: no panic; an address it accepts is
// normalised (unmapped, no zone, not unspecified) and parses back to
// itself, so normalising twice changes nothing; "unknown" and obfuscated
// names carry no address.
func FuzzParseNode(f *testing.F) {
	for _, s := range []string{
		"192.0.2.43", "192.0.2.43:47011", "[2001:db8:cafe::17]", "[2001:db8:cafe::17]:4711",
		"[::ffff:192.0.2.1]:80", "unknown", "UNKNOWN:_port", "_hidden", "_hidden:_port", "_hidden:80",
		"[fe80::1%25eth0]", "0.0.0.0", "[::]", "2001:db8::1", "[192.0.2.1]", "192.0.2.1:", "[::1", "_", "192.0.2.1:0",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseNode(s)
		if err != nil {
			return
		}
		if n.Unknown || n.Obfuscated {
			if n.HasAddr() {
				t.Fatalf("ParseNode(%q) = %+v: unknown or obfuscated with an address", s, n)
			}
			return
		}
		a := n.Addr.Addr()
		if !n.HasAddr() || a.Is4In6() || a.Zone() != "" || a.IsUnspecified() {
			t.Fatalf("ParseNode(%q) = %+v: not normalised", s, n)
		}
		again, err := ParseNode(formatNode(n.Addr))
		if err != nil || again != n {
			t.Fatalf("normalising %q twice: %+v, %v; first %+v", s, again, err, n)
		}
	})
}
