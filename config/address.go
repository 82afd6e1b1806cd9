package config

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
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
	if strings.ContainsAny(host, " /\\?#@") {
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

// overlaps reports whether two listeners would compete for one socket:
// the same unix path, or the same TCP port on the same host or where either
// host is a wildcard.
func (a Address) overlaps(b Address) bool {
	if a.IsUnix() || b.IsUnix() {
		return a == b
	}
	ah, ap := a.HostPort()
	bh, bp := b.HostPort()
	if ap != bp || ap == "0" {
		return false
	}
	wild := func(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" || h == "*" }
	return ah == bh || wild(ah) || wild(bh)
}

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
