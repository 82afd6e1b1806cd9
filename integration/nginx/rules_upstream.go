package nginx

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
)

// checkKeepalive checks that connections to the app are reused: an
// upstream block with keepalive, reached with HTTP/1.1 and a Connection
// header that is never "close", neither set so nor passed on from the
// client.
func (c *checker) checkKeepalive() {
	for _, p := range c.proxies {
		t := c.targetOf(p)
		if t.variable {
			continue
		}
		if t.upstream == nil {
			c.report(RuleNoUpstreamKeepalive, p, "proxy_pass %s names no upstream {} block, so no connection to %s is ever reused: each request opens a new one%s", p.Arg(0), t.hostPart, portCap(t))
			continue
		}
		ka := t.upstream.Children("keepalive")
		if len(ka) == 0 {
			c.report(RuleNoUpstreamKeepalive, p, "upstream %s (%s:%d) has no keepalive, so no connection to the app is ever reused: each request opens a new one%s", t.upstream.Arg(0), t.upstream.File, t.upstream.Line, portCap(t))
			continue
		}
		loc := p.Parent
		if v := loc.Effective("proxy_http_version"); v == nil || v.Arg(0) == "1.0" {
			c.report(RuleKeepaliveNoHTTP11, p, "upstream %s has keepalive (%s:%d), but requests go out as HTTP/1.0 (no proxy_http_version 1.1), so every connection is closed after one request", t.upstream.Arg(0), ka[0].File, ka[0].Line)
			continue
		}
		h, _ := headersIn(loc, "proxy_set_header")
		conn, ok := h["connection"]
		switch {
		case !ok:
			c.report(RuleKeepaliveNoHTTP11, p, "upstream %s has keepalive (%s:%d), but no proxy_set_header Connection: nginx sends \"Connection: close\", so every connection is closed after one request", t.upstream.Arg(0), ka[0].File, ka[0].Line)
		case strings.EqualFold(conn.value, "close"):
			c.report(RuleKeepaliveNoHTTP11, conn.node, "Connection is set to close, which turns off upstream %s's keepalive (%s:%d)", t.upstream.Arg(0), ka[0].File, ka[0].Line)
		case passesClientConnection(conn.value):
			c.report(RuleKeepaliveNoHTTP11, conn.node, "Connection passes on the client's own Connection header: a client that sends \"Connection: close\" has the app close the connection after its request, which defeats upstream %s's keepalive (%s:%d); send '' for requests that are not upgrades", t.upstream.Arg(0), ka[0].File, ka[0].Line)
		default:
			c.checkConnectionMaps(conn.value, t.upstream)
		}
	}
}

// portCap is what a connection per request costs when the target is on
// loopback, where it was measured (docs/performance.md, "nginx: generated
// vs recipe"). Whichever side closes a connection first keeps it in
// TIME_WAIT: the app under nginx's default "Connection: close" (some
// 13,300 entries on its side against 1,100 on nginx's in a five-second
// run), nginx when the site sends "Connection: keep-alive" without
// keepalive, as the Microsoft recipe does (some 14,100 on nginx's side,
// none on the app's). Either way each entry holds its connection's pair of
// addresses and ports, so nginx cannot give that ephemeral port to a new
// connection to the same app address until the kernel allows it:
// net.ipv4.tcp_tw_reuse, on loopback after about a second
// (net.ipv4.tcp_tw_reuse_delay). The rate then settles at about half of
// net.ipv4.ip_local_port_range per second. No rate to an app on another
// machine has been measured: "" then, as for a unix socket, which takes
// no port.
func portCap(t target) string {
	if slices.ContainsFunc(t.addrs, onLoopback) {
		return ", and on loopback the kernel's ephemeral ports cap the rate of new connections to one address at about half of net.ipv4.ip_local_port_range per second"
	}
	return ""
}

// onLoopback reports whether a is written as a loopback address: localhost,
// or an IP address in 127.0.0.0/8 or ::1.
func onLoopback(a targetAddr) bool {
	if isLocalhost(a.host) {
		return true
	}
	ip, err := netip.ParseAddr(a.host)
	return err == nil && ip.IsLoopback()
}

// checkConnectionMaps reports the entries of the map {} blocks a
// Connection value comes from that turn off upstream's keepalive: those
// that yield "close" or the client's own Connection header.
func (c *checker) checkConnectionMaps(value string, upstream *Node) {
	for _, v := range variables(value) {
		m, ok := c.maps[v]
		if !ok {
			continue
		}
		for _, e := range m.Block {
			if len(e.Args) == 0 {
				continue
			}
			which := fmt.Sprintf("the value %q of %s", e.Name, m.Arg(0))
			if e.Name == "" {
				which = "requests without " + m.Arg(0)
			}
			switch result := e.Args[len(e.Args)-1]; {
			case strings.EqualFold(result, "close"):
				c.report(RuleKeepaliveNoHTTP11, e, "map for $%s sends \"Connection: close\" for %s, which turns off upstream %s's keepalive for them; map it to '' instead", v, which, upstream.Arg(0))
			case passesClientConnection(result):
				c.report(RuleKeepaliveNoHTTP11, e, "map for $%s sends the client's own Connection header for %s: a client that sends \"Connection: close\" turns off upstream %s's keepalive for its request; map it to '' instead", v, which, upstream.Arg(0))
			}
		}
	}
}

// passesClientConnection reports whether a value carries the Connection
// header the client sent ($http_connection).
func passesClientConnection(value string) bool {
	return slices.Contains(variables(value), "http_connection")
}
