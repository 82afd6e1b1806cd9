package nginx

import (
	"net"
	"net/netip"
	"strings"

	"github.com/apphost/apphost/config"
)

// sameAddress reports whether a connection to a would reach a listener on
// b: the same unix socket, or the same port where the hosts are equal,
// either is a wildcard, or both are loopback.
func sameAddress(a, b config.Address) bool {
	if a.IsUnix() || b.IsUnix() {
		return a.IsUnix() && b.IsUnix() && a.Path() == b.Path()
	}
	ah, ap := a.HostPort()
	bh, bp := b.HostPort()
	if ap != bp {
		return false
	}
	ah, bh = strings.ToLower(ah), strings.ToLower(bh)
	return ah == bh || isWildcard(ah) || isWildcard(bh) || (isLoopback(ah) && isLoopback(bh))
}

func isWildcard(h string) bool { return h == "" || h == "0.0.0.0" || h == "::" || h == "*" }

func isLoopback(h string) bool {
	if h == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(h)
	return err == nil && a.IsLoopback()
}

// isIP reports whether host is an IP literal (IPv6 with or without
// brackets).
func isIP(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return net.ParseIP(host) != nil
}
