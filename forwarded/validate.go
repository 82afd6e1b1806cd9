package forwarded

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// parseScheme accepts http and https in any ASCII case and returns the
// lower-case constant, so the result never aliases attacker-controlled
// memory.
func parseScheme(s string) (string, bool) {
	switch {
	case asciiEqualFold(s, "https"):
		return "https", true
	case asciiEqualFold(s, "http"):
		return "http", true
	}
	return "", false
}

// asciiEqualFold reports whether s is lower (lower-case ASCII) in any
// ASCII case; unlike strings.EqualFold it takes no Unicode folding, where
// "ſ" (long s) folds to "s".
func asciiEqualFold(s, lower string) bool {
	if len(s) != len(lower) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != lower[i] && !('A' <= c && c <= 'Z' && c+'a'-'A' == lower[i]) {
			return false
		}
	}
	return true
}

// validHost reports whether s is a uri-host with an optional port (RFC 3986):
// a registered name, an IPv4 address or a bracketed IPv6 address, and no
// path, query, userinfo, whitespace or control character.
func validHost(s string) bool {
	host, port := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return false
		}
		a, err := netip.ParseAddr(s[1:end])
		if err != nil || !a.Is6() || a.Zone() != "" {
			return false
		}
		host, port = "", s[end+1:]
		if port != "" {
			if port[0] != ':' {
				return false
			}
			port = port[1:]
			if port == "" {
				return false
			}
		}
	} else if i := strings.LastIndexByte(s, ':'); i >= 0 {
		host, port = s[:i], s[i+1:]
		if port == "" {
			return false
		}
	}
	if port != "" {
		if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 { // digits only, 1 to 65535
			return false
		}
	}
	if strings.HasPrefix(s, "[") {
		return true
	}
	if host == "" || len(host) > 253 {
		return false
	}
	for i := 0; i < len(host); i++ {
		if !regNameByte(host[i]) {
			return false
		}
	}
	return true
}

// regNameByte reports whether c may appear in a reg-name: unreserved or
// sub-delims. Percent-encoding is refused: no proxy writes it in a host.
func regNameByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '-', '.', '_', '~', '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=':
		return true
	}
	return false
}

// hostName returns the host without its port and brackets.
func hostName(hostport string) string {
	if strings.HasPrefix(hostport, "[") {
		if end := strings.IndexByte(hostport, ']'); end > 0 {
			return hostport[1:end]
		}
		return hostport
	}
	if i := strings.LastIndexByte(hostport, ':'); i >= 0 {
		return hostport[:i]
	}
	return hostport
}

// cleanPrefix checks a forwarded path base and returns it without a
// trailing slash ("/" becomes ""). It must start with exactly one "/" and
// may not hold "//", "\", dot segments, "?", "#", percent-encoded dots,
// slashes or backslashes, control characters or whitespace: each of these
// can turn a path base into a protocol-relative or traversing URL when the
// application builds links or redirects from it.
func cleanPrefix(s string) (string, bool) {
	if len(s) == 0 || s[0] != '/' || strings.Contains(s, "//") {
		return "", false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c == 0x7f || c >= 0x80 || c == '\\' || c == '?' || c == '#' {
			return "", false
		}
		if c == '%' {
			if i+2 >= len(s) {
				return "", false
			}
			switch strings.ToLower(s[i+1 : i+3]) {
			case "2e", "2f", "5c":
				return "", false
			}
		}
	}
	for rest := s; rest != ""; {
		rest = rest[1:] // the slash
		seg := rest
		if i := strings.IndexByte(rest, '/'); i >= 0 {
			seg, rest = rest[:i], rest[i:]
		} else {
			rest = ""
		}
		if seg == "." || seg == ".." {
			return "", false
		}
	}
	return strings.TrimSuffix(s, "/"), true
}

// hostPattern is one entry of Options.AllowedHosts.
type hostPattern struct {
	name     string // lower case; for a wildcard, the suffix with its leading dot
	wildcard bool
}

func parseHostPattern(raw string) (hostPattern, error) {
	s := strings.ToLower(strings.TrimSpace(raw))
	p := hostPattern{name: s}
	if rest, ok := strings.CutPrefix(s, "*."); ok {
		p = hostPattern{name: "." + rest, wildcard: true}
		s = rest
	}
	if s == "" || strings.ContainsAny(s, "*:[]/") || !validHost(s) {
		return hostPattern{}, fmt.Errorf("allowed host %q: want a host name such as shop.example.com or *.example.com (no port, no other wildcard)", raw)
	}
	return p, nil
}

func (p hostPattern) matches(name string) bool {
	if p.wildcard {
		return len(name) > len(p.name) && strings.EqualFold(name[len(name)-len(p.name):], p.name)
	}
	return strings.EqualFold(name, p.name)
}

// hostAllowed reports whether a validated host[:port] is within the list;
// an empty list allows every host.
func hostAllowed(patterns []hostPattern, hostport string) bool {
	if len(patterns) == 0 {
		return true
	}
	name := hostName(hostport)
	for _, p := range patterns {
		if p.matches(name) {
			return true
		}
	}
	return false
}
