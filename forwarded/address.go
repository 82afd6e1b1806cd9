package forwarded

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// ParseXForwardedFor reads one X-Forwarded-For entry: "ip", "ip:port",
// "[v6]" or "[v6]:port" (the bracketed forms are what IIS ARR and the
// ASP.NET Core Module send). Surrounding spaces are ignored.
//
// The result is normalised: an IPv4-mapped IPv6 address ("::ffff:192.0.2.1")
// becomes the IPv4 address, so it cannot slip past an IPv4 trust list, and a
// missing port is 0. Refused: the unspecified addresses 0.0.0.0 and ::, which
// name no client; addresses with an IPv6 zone ("fe80::1%eth0"), because a
// zone names an interface on the machine that wrote it and means nothing
// here; port 0 written out; and anything else that is not an address.
func ParseXForwardedFor(entry string) (netip.AddrPort, error) {
	s := trimOWS(entry)
	var host, port string
	switch {
	case strings.HasPrefix(s, "["):
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return netip.AddrPort{}, fmt.Errorf("address %q: missing ]", entry)
		}
		host, port = s[1:end], s[end+1:]
		if port != "" {
			if port[0] != ':' {
				return netip.AddrPort{}, fmt.Errorf("address %q: unexpected text after ]", entry)
			}
			port = port[1:]
			if port == "" {
				return netip.AddrPort{}, fmt.Errorf("address %q: empty port", entry)
			}
		}
		a, err := parseAddr(host, entry)
		if err != nil {
			return netip.AddrPort{}, err
		}
		if !a.Is6() {
			return netip.AddrPort{}, fmt.Errorf("address %q: brackets hold an IPv6 address", entry)
		}
		return withPort(a, port, entry)
	case strings.Count(s, ":") == 1:
		i := strings.IndexByte(s, ':')
		host, port = s[:i], s[i+1:]
		if port == "" {
			return netip.AddrPort{}, fmt.Errorf("address %q: empty port", entry)
		}
		a, err := parseAddr(host, entry)
		if err != nil {
			return netip.AddrPort{}, err
		}
		if !a.Is4() {
			return netip.AddrPort{}, fmt.Errorf("address %q: an IPv6 address with a port needs brackets", entry)
		}
		return withPort(a, port, entry)
	default:
		a, err := parseAddr(s, entry)
		if err != nil {
			return netip.AddrPort{}, err
		}
		return netip.AddrPortFrom(a.Unmap(), 0), nil
	}
}

// parseAddr parses an IP address and applies the rules shared by both
// header families.
func parseAddr(s, entry string) (netip.Addr, error) {
	if s == "" {
		return netip.Addr{}, fmt.Errorf("address %q: empty", entry)
	}
	if strings.IndexByte(s, '%') >= 0 {
		return netip.Addr{}, fmt.Errorf("address %q: an IPv6 zone is not accepted", entry)
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Addr{}, fmt.Errorf("address %q: %w", entry, err)
	}
	if a.Unmap().IsUnspecified() {
		return netip.Addr{}, fmt.Errorf("address %q: %w", entry, errUnspecified)
	}
	return a, nil
}

var errUnspecified = errors.New("the unspecified address is never a client")

func withPort(a netip.Addr, port, entry string) (netip.AddrPort, error) {
	var p uint64
	if port != "" {
		if len(port) > 5 || port[0] == '+' || port[0] == '-' {
			return netip.AddrPort{}, fmt.Errorf("address %q: bad port %q", entry, port)
		}
		var err error
		p, err = strconv.ParseUint(port, 10, 16)
		if err != nil || p == 0 {
			return netip.AddrPort{}, fmt.Errorf("address %q: bad port %q", entry, port)
		}
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(p)), nil
}
