package forwarded

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Element is one element of an RFC 7239 Forwarded header: the parameters a
// single proxy wrote, unquoted. Extension parameters are checked for syntax
// and otherwise ignored.
type Element struct {
	For, By, Host, Proto string
}

// Node is an RFC 7239 node: the value of a "for" or "by" parameter.
type Node struct {
	// Addr is the address, IPv4-mapped addresses unmapped; the port is 0 when
	// absent or obfuscated. Invalid for "unknown" and obfuscated names.
	Addr netip.AddrPort
	// Unknown is set for the node "unknown".
	Unknown bool
	// Obfuscated is set for an obfuscated name such as "_hidden".
	Obfuscated bool
}

// HasAddr reports whether the node names an address.
func (n Node) HasAddr() bool { return n.Addr.IsValid() }

// ParseForwarded parses a Forwarded field value (several field lines joined
// with ", ") into its elements, left to right. It is strict: parameters are
// tokens or quoted strings with backslash escapes (RFC 9110), commas and
// semicolons inside quotes do not split, parameter names are
// case-insensitive, a repeated parameter makes its element invalid, "for"
// and "by" must be nodes (IPv6 quoted and bracketed), and "proto" must be a
// URI scheme. Empty elements are skipped, as RFC 9110 lists allow.
//
// The middleware reads elements from the right with the same code, so a
// malformed element to the left of the ones it needs cannot hide them.
func ParseForwarded(value string) ([]Element, error) {
	var out []Element
	it := listIter{lines: []string{value}, i: 1, rfc7239: true}
	for {
		raw, ok, err := it.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		e, err := ParseForwardedElement(raw)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, nil
}

// ParseForwardedElement parses one element, such as
// `for="[2001:db8::1]:4711";proto=https;by=203.0.113.43`.
func ParseForwardedElement(s string) (Element, error) {
	e, _, err := parseElement(s)
	return e, err
}

// parseElement parses an element and returns its "for" node too.
func parseElement(s string) (Element, Node, error) {
	var e Element
	var seen uint8
	all := trimOWS(s)
	quoted := strings.IndexByte(all, '"') >= 0
	rest := all
	for rest != "" {
		var pair string
		before := all[:len(all)-len(rest)]
		if quoted {
			pair, rest = cutPair(rest)
		} else if i := strings.IndexByte(rest, ';'); i >= 0 {
			pair, rest = rest[:i], rest[i+1:]
		} else {
			pair, rest = rest, ""
		}
		if pair == "" {
			continue
		}
		eq := strings.IndexByte(pair, '=')
		if eq < 0 {
			return Element{}, Node{}, fmt.Errorf("forwarded element %q: parameter %q has no value", s, pair)
		}
		name, raw := pair[:eq], pair[eq+1:]
		if !isToken(name) {
			return Element{}, Node{}, fmt.Errorf("forwarded element %q: bad parameter name %q", s, name)
		}
		val, err := paramValue(raw)
		if err != nil {
			return Element{}, Node{}, fmt.Errorf("forwarded element %q: parameter %s: %w", s, name, err)
		}
		bit, dst := uint8(0), (*string)(nil)
		switch len(name) {
		case 3:
			bit, dst = 1, &e.For
		case 2:
			bit, dst = 2, &e.By
		case 4:
			bit, dst = 4, &e.Host
		case 5:
			bit, dst = 8, &e.Proto
		}
		if dst == nil || !strings.EqualFold(name, paramName(bit)) {
			// An extension parameter: allowed once, like the others.
			if hasParam(before, name) {
				return Element{}, Node{}, fmt.Errorf("forwarded element %q: parameter %s appears twice", s, name)
			}
			continue
		}
		if seen&bit != 0 {
			return Element{}, Node{}, fmt.Errorf("forwarded element %q: parameter %s appears twice", s, paramName(bit))
		}
		seen |= bit
		*dst = val
	}
	var forNode Node
	if seen&1 != 0 {
		n, err := ParseNode(e.For)
		if err != nil {
			return Element{}, Node{}, fmt.Errorf("forwarded element %q: parameter for: %w", s, err)
		}
		forNode = n
	}
	if seen&2 != 0 {
		if _, err := ParseNode(e.By); err != nil {
			return Element{}, Node{}, fmt.Errorf("forwarded element %q: parameter by: %w", s, err)
		}
	}
	if seen&8 != 0 && !isScheme(e.Proto) {
		return Element{}, Node{}, fmt.Errorf("forwarded element %q: proto %q is not a URI scheme", s, e.Proto)
	}
	return e, forNode, nil
}

// paramName names the parameter RFC 7239 defines for a bit of
// parseElement.
func paramName(bit uint8) string {
	switch bit {
	case 1:
		return "for"
	case 2:
		return "by"
	case 4:
		return "host"
	case 8:
		return "proto"
	}
	return ""
}

// hasParam reports whether the pairs in s include one named name.
func hasParam(s, name string) bool {
	for s != "" {
		var pair string
		pair, s = cutPair(s)
		if n, _, ok := strings.Cut(pair, "="); ok && strings.EqualFold(n, name) {
			return true
		}
	}
	return false
}

// cutPair splits off the first forwarded-pair at a ";" outside quotes.
func cutPair(s string) (pair, rest string) {
	inQuote := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case inQuote && c == '\\':
			i++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == ';':
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

// paramValue returns a token as is or a quoted string unescaped.
func paramValue(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("empty value")
	}
	if raw[0] != '"' {
		if !isToken(raw) {
			return "", fmt.Errorf("%q is neither a token nor a quoted string (an IPv6 address or a port must be quoted)", raw)
		}
		return raw, nil
	}
	if len(raw) < 2 || raw[len(raw)-1] != '"' {
		return "", fmt.Errorf("unterminated quoted string %s", raw)
	}
	body := raw[1 : len(raw)-1]
	if strings.IndexByte(body, '\\') < 0 {
		for i := 0; i < len(body); i++ {
			if !qdtext(body[i]) {
				return "", fmt.Errorf("quoted string %s holds a bad character", raw)
			}
		}
		return body, nil
	}
	var b strings.Builder
	b.Grow(len(body))
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c == '\\' {
			i++
			if i == len(body) || !quotedPairByte(body[i]) {
				return "", fmt.Errorf("quoted string %s has a bad escape", raw)
			}
			b.WriteByte(body[i])
			continue
		}
		if !qdtext(c) {
			return "", fmt.Errorf("quoted string %s holds a bad character", raw)
		}
		b.WriteByte(c)
	}
	return b.String(), nil
}

func qdtext(c byte) bool {
	return c == '\t' || c == ' ' || c == 0x21 || (0x23 <= c && c <= 0x5b) || (0x5d <= c && c <= 0x7e) || c >= 0x80
}

func quotedPairByte(c byte) bool {
	return c == '\t' || (0x20 <= c && c != 0x7f)
}

func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !tchar(s[i]) {
			return false
		}
	}
	return true
}

// tcharLo and tcharHi are the RFC 9110 tchar set as bitmaps of the bytes
// 0-63 and 64-127: ALPHA, DIGIT and !#$%&'*+-.^_`|~.
const (
	tcharLo = 1<<'!' | 1<<'#' | 1<<'$' | 1<<'%' | 1<<'&' | 1<<'\'' | 1<<'*' | 1<<'+' | 1<<'-' | 1<<'.' |
		1<<'0' | 1<<'1' | 1<<'2' | 1<<'3' | 1<<'4' | 1<<'5' | 1<<'6' | 1<<'7' | 1<<'8' | 1<<'9'
	tcharHi = (1<<26-1)<<('A'-64) | (1<<26-1)<<('a'-64) | 1<<('^'-64) | 1<<('_'-64) | 1<<('`'-64) | 1<<('|'-64) | 1<<('~'-64)
)

func tchar(c byte) bool {
	switch {
	case c < 64:
		return tcharLo&(uint64(1)<<c) != 0
	case c < 128:
		return tcharHi&(uint64(1)<<(c-64)) != 0
	}
	return false
}

func isScheme(s string) bool {
	if s == "" || !('a' <= s[0]|0x20 && s[0]|0x20 <= 'z') {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('a' <= c|0x20 && c|0x20 <= 'z') && !('0' <= c && c <= '9') && c != '+' && c != '-' && c != '.' {
			return false
		}
	}
	return true
}

// ParseNode parses an RFC 7239 node: an IPv4 address, a bracketed IPv6
// address, "unknown" or an obfuscated name ("_hidden"), each optionally
// followed by ":" and a port or an obfuscated port. "unknown" and obfuscated
// names are valid but carry no address; the middleware treats them as the
// end of what it can establish. Zones and unspecified addresses are refused,
// as in ParseXForwardedFor.
func ParseNode(s string) (Node, error) {
	name, port := s, ""
	if strings.HasPrefix(s, "[") {
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return Node{}, fmt.Errorf("node %q: missing ]", s)
		}
		name, port = s[:end+1], s[end+1:]
		if port != "" && port[0] != ':' {
			return Node{}, fmt.Errorf("node %q: unexpected text after ]", s)
		}
	} else if i := strings.IndexByte(s, ':'); i >= 0 {
		name, port = s[:i], s[i:]
	}
	if port != "" {
		port = port[1:]
		if port == "" {
			return Node{}, fmt.Errorf("node %q: empty port", s)
		}
	}
	var n Node
	obfPort := strings.HasPrefix(port, "_")
	if obfPort && !obfName(port) {
		return Node{}, fmt.Errorf("node %q: bad obfuscated port", s)
	}
	switch {
	case strings.EqualFold(name, "unknown"):
		n.Unknown = true
	case strings.HasPrefix(name, "_"):
		if !obfName(name) {
			return Node{}, fmt.Errorf("node %q: bad obfuscated name", s)
		}
		n.Obfuscated = true
	case strings.HasPrefix(name, "["):
		a, err := parseAddr(name[1:len(name)-1], s)
		if err != nil {
			return Node{}, err
		}
		if !a.Is6() {
			return Node{}, fmt.Errorf("node %q: brackets hold an IPv6 address", s)
		}
		n.Addr = netip.AddrPortFrom(a.Unmap(), 0)
	default:
		a, err := parseAddr(name, s)
		if err != nil {
			return Node{}, err
		}
		if !a.Is4() {
			return Node{}, fmt.Errorf("node %q: an IPv6 address must be bracketed and quoted", s)
		}
		n.Addr = netip.AddrPortFrom(a, 0)
	}
	if port != "" && !obfPort {
		ap, err := withPort(netip.IPv4Unspecified(), port, s)
		if err != nil {
			return Node{}, err
		}
		if n.Addr.IsValid() {
			n.Addr = netip.AddrPortFrom(n.Addr.Addr(), ap.Port())
		}
	}
	return n, nil
}

func obfName(s string) bool {
	if len(s) < 2 || s[0] != '_' {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		if !('a' <= c|0x20 && c|0x20 <= 'z') && !('0' <= c && c <= '9') && c != '.' && c != '_' && c != '-' {
			return false
		}
	}
	return true
}
