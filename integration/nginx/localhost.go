package nginx

import (
	"net"
	"net/netip"
	"slices"
	"strings"

	"github.com/apphost/apphost/config"
)

// isLocalhost reports whether host is the name localhost, in any case.
func isLocalhost(host string) bool { return strings.EqualFold(host, "localhost") }

// localhostServers says what nginx makes of localhost:port, in the words
// every RuleUpstreamLocalhost finding uses, from apphost check and
// apphost gen nginx alike. nginx resolves the name with getaddrinfo
// (AI_ADDRCONFIG) when it reads its configuration, and makes a server of
// every address it gets, from the hosts file of the machine nginx runs
// on: Debian's gives localhost 127.0.0.1 and ::1, so with IPv6 that is two
// servers; a hosts file that maps localhost to 127.0.0.1 only, or a
// machine without IPv6, makes one.
func localhostServers(port string) string {
	addrs := localhostAddrs(port)
	last := len(addrs) - 1
	return "nginx makes a server of every address localhost resolves to where it runs (on Debian with IPv6: " +
		joinAddresses(addrs[:last]) + " and " + string(addrs[last]) + ")"
}

// localhostAddrs are the servers nginx makes of localhost:port where
// localhost has both loopback addresses (config.LocalhostAddrs), IPv4
// first.
func localhostAddrs(port string) []config.Address {
	var out []config.Address
	for _, ip := range config.LocalhostAddrs() {
		out = append(out, config.Address(net.JoinHostPort(ip.String(), port)))
	}
	return out
}

// localhostMissed returns the servers nginx may make of localhost:port
// (localhostAddrs) that none of listeners takes connections on
// (config.Address.Overlaps): a listener on every interface takes them
// all. known is false when a listener is a name instead, such as
// localhost itself, whose address is settled where the app runs.
func localhostMissed(port string, listeners []config.Address) (missed []config.Address, known bool) {
	if slices.ContainsFunc(listeners, config.Address.EveryInterface) {
		return nil, true
	}
	for _, l := range listeners {
		h, _ := l.HostPort()
		if _, err := netip.ParseAddr(h); err != nil {
			return nil, false
		}
	}
	for _, s := range localhostAddrs(port) {
		if !slices.ContainsFunc(listeners, s.Overlaps) {
			missed = append(missed, s)
		}
	}
	return missed, true
}
