package config

import (
	"fmt"
	"net"
	"net/netip"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Address is a listening or upstream address: "host:port" (the host may be
// an IPv4 address, a bracketed IPv6 address, a name, or empty for every
// interface) or "unix:/absolute/path" for a unix-domain socket.
type Address string

const addressWant = `"host:port" (such as 127.0.0.1:5000 or [::1]:5000) or "unix:/absolute/path.sock"`

// ParseAddress checks an address and returns it in its canonical form.
func ParseAddress(s string) (Address, error) {
	t := strings.TrimSpace(s)
	if path, ok := strings.CutPrefix(t, "unix:"); ok {
		if !filepath.IsAbs(path) {
			return "", fmt.Errorf("unix socket path in %q must be absolute; want %s", s, addressWant)
		}
		if !NamesFile(path) {
			return "", fmt.Errorf("unix socket path in %q names no file; want %s", s, addressWant)
		}
		if strings.ContainsFunc(path, unicode.IsControl) {
			return "", fmt.Errorf("unix socket path in %q holds a control character", s)
		}
		return Address("unix:" + filepath.Clean(path)), nil
	}
	host, port, err := net.SplitHostPort(t)
	if err != nil {
		return "", fmt.Errorf("address %q: want %s", s, addressWant)
	}
	p, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return "", fmt.Errorf("address %q: port %q is not a number from 0 to 65535", s, port)
	}
	if strings.ContainsAny(host, " /\\?#@") || strings.ContainsFunc(host, unicode.IsControl) {
		return "", fmt.Errorf("address %q: host %q is not an IP address or name", s, host)
	}
	return Address(net.JoinHostPort(host, strconv.FormatUint(p, 10))), nil
}

// IsUnix reports whether the address is a unix-domain socket.
func (a Address) IsUnix() bool { return strings.HasPrefix(string(a), "unix:") }

// Path returns a unix socket's file path, or "" for a TCP address.
func (a Address) Path() string {
	p, _ := strings.CutPrefix(string(a), "unix:")
	if !a.IsUnix() {
		return ""
	}
	return p
}

// HostPort splits a TCP address. For a unix socket both are empty.
func (a Address) HostPort() (host, port string) {
	if a.IsUnix() {
		return "", ""
	}
	host, port, _ = net.SplitHostPort(string(a))
	return host, port
}

func (a Address) String() string { return string(a) }

// EveryInterface reports whether a listens on every interface: its host
// is empty, "*" or an unspecified IP address (0.0.0.0, [::], and
// [::ffff:0.0.0.0], which Go listens on as [::]).
func (a Address) EveryInterface() bool {
	if a.IsUnix() {
		return false
	}
	host, _ := a.HostPort()
	return wildcardHost(host)
}

func wildcardHost(host string) bool {
	ip, err := netip.ParseAddr(host)
	return host == "" || host == "*" || err == nil && ip.Unmap().IsUnspecified()
}

// Dial is the address a client on the same machine connects to, to reach
// a listener on a: one on every interface (EveryInterface) is reached on
// the loopback address, ::1 for [::] and 127.0.0.1 otherwise. Any other
// address, and a unix socket, is a itself.
func (a Address) Dial() Address {
	if !a.EveryInterface() {
		return a
	}
	host, port := a.HostPort()
	if ip, err := netip.ParseAddr(host); err == nil && ip.Is6() && !ip.Is4In6() {
		return Address(net.JoinHostPort("::1", port))
	}
	return Address(net.JoinHostPort("127.0.0.1", port))
}

// Overlaps reports whether a and b name the same socket: two listeners on
// them would compete for it, and a connection to one reaches a listener on
// the other. That is the same unix socket path, or the same TCP port, other
// than 0 (the kernel picks a free port for each listener), where
//
//   - the hosts are equal: names compared without regard to case, IP
//     addresses by value ([::1] is [0:0::1], and ::ffff:127.0.0.1 is 127.0.0.1);
//   - either host is a wildcard, which listens on every interface: empty
//     (":9464"), "*" or an unspecified IP address (0.0.0.0, [::]);
//   - one host is localhost and the other is localhost or an address it
//     resolves to, 127.0.0.1 or ::1.
//
// Any other two hosts are apart: a listener on 127.0.0.1 takes no connection
// to 127.0.0.2 or [::1], and the two bind without conflict. Names other than
// localhost are not resolved, so shop.internal and the address it resolves
// to are apart too. A unix socket never overlaps a TCP address, and a value
// without a port, such as AdminOff, overlaps nothing.
//
// Validation uses it to keep the admin address off every public listener
// and the proxy's upstreams, and the proxy generators and checkers use it
// to tell whether an upstream is the app (or its admin address).
func (a Address) Overlaps(b Address) bool {
	if a.IsUnix() || b.IsUnix() {
		return a.IsUnix() && b.IsUnix() && filepath.Clean(a.Path()) == filepath.Clean(b.Path())
	}
	ah, ap := a.HostPort()
	bh, bp := b.HostPort()
	an, errA := strconv.ParseUint(ap, 10, 16)
	bn, errB := strconv.ParseUint(bp, 10, 16)
	if errA != nil || errB != nil || an != bn || an == 0 {
		return false
	}
	return sameHost(ah, bh)
}

// sameHost reports whether a listener on host a takes connections to host
// b, for the rules of Overlaps.
func sameHost(a, b string) bool {
	a, b = strings.ToLower(a), strings.ToLower(b) // HostPort has removed an IPv6 address's brackets
	ia, errA := netip.ParseAddr(a)
	ib, errB := netip.ParseAddr(b)
	ia, ib = ia.Unmap(), ib.Unmap()
	switch {
	case wildcardHost(a) || wildcardHost(b):
		return true
	case errA == nil && errB == nil:
		return ia == ib
	case errA != nil && errB != nil:
		return a == b
	case errA == nil:
		return b == "localhost" && localhostIP(ia)
	default:
		return a == "localhost" && localhostIP(ib)
	}
}

// LocalhostAddrs returns the addresses Overlaps takes the name localhost
// to stand for, IPv4 first: 127.0.0.1 and ::1, those a Debian /etc/hosts
// gives localhost on a machine with IPv6. A machine's resolver may give it
// fewer (127.0.0.1 alone without IPv6, or with an /etc/hosts that maps
// only that); the list is both, since a description is read without
// knowing the machine it runs on. Each call returns a new slice.
func LocalhostAddrs() []netip.Addr {
	return []netip.Addr{netip.AddrFrom4([4]byte{127, 0, 0, 1}), netip.IPv6Loopback()}
}

// localhostIP reports whether ip is one of LocalhostAddrs.
func localhostIP(ip netip.Addr) bool { return slices.Contains(LocalhostAddrs(), ip.Unmap()) }

func parseAddresses(list []string) ([]Address, error) {
	out := make([]Address, 0, len(list))
	for _, s := range list {
		a, err := ParseAddress(s)
		if err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, nil
}
