package nginx

import (
	"net"
	"slices"
	"strings"

	"github.com/apphost/apphost/config"
)

// target is where a proxy_pass sends requests.
type target struct {
	node *Node
	// hostPart is the scheme-less address as written: "127.0.0.1:5000",
	// "shop", "unix:/run/app.sock", or text with variables.
	hostPart string
	// variable is true when hostPart has variables: resolved per request.
	variable bool
	// hasVariables is true when the proxy_pass argument has variables
	// anywhere, in the path too: nginx then works the target out for each
	// request, and looks a host name up with the resolver each time.
	hasVariables bool
	// upstream is the upstream {} block named by hostPart, if any.
	upstream *Node
	// addrs are the concrete addresses, each with the directive naming it.
	addrs []targetAddr
}

type targetAddr struct {
	addr config.Address
	// host is the host as written (a name, or an IP); "" for unix.
	host string
	node *Node
}

// targetOf reads a proxy_pass directive.
func (c *checker) targetOf(n *Node) target {
	arg := n.Arg(0)
	t := target{node: n, hasVariables: len(variables(arg)) > 0}
	scheme, rest, ok := strings.Cut(arg, "://")
	if !ok {
		// "proxy_pass $backend;": the whole target is a variable.
		t.hostPart, t.variable = arg, true
		return t
	}
	if path, ok := strings.CutPrefix(rest, "unix:"); ok {
		path, _, _ = strings.Cut(path, ":")
		t.hostPart = "unix:" + path
		if a, err := config.ParseAddress(t.hostPart); err == nil {
			t.addrs = []targetAddr{{addr: a, node: n}}
		}
		return t
	}
	host := rest[:authorityEnd(rest)]
	t.hostPart = host
	if strings.Contains(host, "$") {
		t.variable = true
		return t
	}
	if up, ok := c.upstreams[strings.ToLower(host)]; ok {
		t.upstream = up
		for _, s := range up.Children("server") {
			if a, h, ok := serverAddress(s.Arg(0), "80"); ok {
				t.addrs = append(t.addrs, targetAddr{addr: a, host: h, node: s})
			}
		}
		return t
	}
	port := "80"
	if scheme == "https" {
		port = "443"
	}
	if a, h, ok := serverAddress(host, port); ok {
		t.addrs = []targetAddr{{addr: a, host: h, node: n}}
	}
	return t
}

// pathVariables always begin with "/" (or "?"), so one that follows the
// host ends it: "http://app$request_uri" proxies to app.
var pathVariables = []string{"request_uri", "uri", "document_uri", "is_args"}

// authorityEnd is where the host (and port) of a proxy_pass target without
// its scheme ends: at the first "/" or "?", or at a variable that always
// starts a path.
func authorityEnd(rest string) int {
	end := len(rest)
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		end = i
	}
	for i := 0; i < end; i++ {
		if rest[i] != '$' {
			continue
		}
		name, next := variableAt(rest, i)
		if slices.Contains(pathVariables, name) {
			return i
		}
		i = next - 1
	}
	return end
}

// serverAddress reads "host", "host:port", "[v6]:port" or "unix:/path".
func serverAddress(s, defaultPort string) (config.Address, string, bool) {
	if strings.HasPrefix(s, "unix:") {
		a, err := config.ParseAddress(s)
		return a, "", err == nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		host, port = strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"), defaultPort
	}
	a, err := config.ParseAddress(net.JoinHostPort(host, port))
	return a, host, err == nil
}

// isIP reports whether host is an IP literal (IPv6 with or without
// brackets).
func isIP(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return net.ParseIP(host) != nil
}
