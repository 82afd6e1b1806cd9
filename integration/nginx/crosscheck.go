package nginx

import (
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/apphost/apphost/config"
)

// nginx's defaults for the directives the cross-checks compare.
const (
	nginxDefaultBodySize     config.Size = 1 << 20
	nginxDefaultReadTimeout              = 60 * time.Second
	nginxDefaultUpstreamIdle             = 60 * time.Second
)

// crossCheck compares the configuration with the deployment description.
// It looks at the servers named in proxy.server_names, or at every server
// when none is named so.
func (c *checker) crossCheck() {
	d := c.desc
	// No server may proxy to an admin address.
	for _, p := range c.proxies {
		for _, a := range c.targetOf(p).addrs {
			if admin, _ := d.ProxyTarget(a.addr); admin != nil {
				c.report(RuleAdminProxied, a.node, "nginx proxies to %s, an admin address (%s %s): metrics and health become public", a.addr, admin.Key, admin.Addr)
			}
		}
	}
	scoped := c.scopedProxies()
	reached := map[config.Address]bool{}
	unknown := false
	upstreams := map[*Node]bool{}
	for _, p := range scoped {
		t := c.targetOf(p)
		if t.variable {
			unknown = true
		}
		if t.upstream != nil {
			upstreams[t.upstream] = true
		}
		for _, a := range t.addrs {
			admin, ups := d.ProxyTarget(a.addr)
			for _, u := range ups {
				reached[u] = true
			}
			if admin == nil && len(ups) == 0 {
				c.report(RuleUpstreamMismatch, a.node, "nginx proxies to %s, which is not the app's address (%s)", a.addr, joinAddresses(d.ProxyUpstreams()))
			}
			if admin == nil && len(ups) > 0 && isLocalhost(a.host) {
				c.checkLocalhost(a, ups)
			}
		}
		c.checkLimits(p)
		if d.Proxy.Websockets {
			c.checkUpgrade(p)
		}
		if d.Proxy.PathPrefix != "" && d.Forwarded.Headers != "none" {
			c.checkPrefix(p)
		}
	}
	if !unknown {
		for _, u := range d.ProxyUpstreams() {
			if !reached[u] {
				c.report(RuleAppNotProxied, nil, "no proxy_pass reaches the app at %s (%s)", u, upstreamKey(d))
			}
		}
	}
	for up := range upstreams {
		c.checkUpstreamIdle(up)
	}
}

// checkLocalhost reports a target written as localhost whose app
// addresses, ups, are IP addresses that leave out a server nginx may make
// of localhost (localhostServers). A description that says localhost as
// well is left to apphost gen nginx, which warns about it
// (GenerateWarnings): there nginx does what the description says, and the
// description is what to correct.
func (c *checker) checkLocalhost(a targetAddr, ups []config.Address) {
	_, port := a.addr.HostPort()
	missed, known := localhostMissed(port, ups)
	if !known || len(missed) == 0 {
		return
	}
	c.report(RuleUpstreamLocalhost, a.node, "%s: %s, but the app listens on %s only (%s): the connections nginx sends to %s fail",
		a.addr, localhostServers(port), joinAddresses(ups), upstreamKey(c.desc), joinAddresses(missed))
}

// upstreamKey names where the description's upstreams come from.
func upstreamKey(d *config.Config) string {
	if slices.Equal(d.ProxyUpstreams(), d.App.Listen) {
		return "app.listen"
	}
	return "proxy.upstreams"
}

func joinAddresses(list []config.Address) string {
	s := make([]string, len(list))
	for i, a := range list {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

// scopedProxies are the proxy_pass directives in servers named in
// proxy.server_names; all of them when no server is named so.
func (c *checker) scopedProxies() []*Node {
	names := make([]string, 0, len(c.desc.Proxy.ServerNames))
	for _, n := range c.desc.Proxy.ServerNames {
		names = append(names, strings.ToLower(n))
	}
	serves := map[*Node]bool{} // by server block, each looked at once
	var mine []*Node
	for _, p := range c.proxies {
		s := p.Enclosing("server")
		if s == nil {
			continue
		}
		yes, seen := serves[s]
		if !seen {
			yes = servesAny(s, names)
			serves[s] = yes
		}
		if yes {
			mine = append(mine, p)
		}
	}
	if len(mine) == 0 {
		return c.proxies
	}
	return mine
}

// checkLimits compares the body size and read timeout in effect at a
// proxy_pass with the app's.
func (c *checker) checkLimits(p *Node) {
	loc := p.Parent
	l := c.desc.App.Limits
	body, bodyNode, bodyText := nginxDefaultBodySize, p, "1m (nginx's default)"
	if n := loc.Effective("client_max_body_size"); n != nil {
		if v, err := parseSize(n.Arg(0)); err == nil {
			body, bodyNode, bodyText = v, n, n.Arg(0)
		}
	}
	if body != l.MaxRequestBody {
		var why string
		switch {
		case l.MaxRequestBody == 0:
			why = "the app accepts any size: larger bodies are refused by nginx with 413"
		case body == 0:
			why = "nginx accepts any size: the app refuses larger bodies only after nginx buffered them"
		case body < l.MaxRequestBody:
			why = "bodies between the two are refused by nginx with 413"
		default:
			why = "bodies between the two pass nginx only for the app to refuse them"
		}
		c.report(RuleBodySizeMismatch, bodyNode, "client_max_body_size is %s but the app's app.limits.max_request_body is %s: %s", bodyText, l.MaxRequestBody, why)
	}
	read, readNode, readText := nginxDefaultReadTimeout, p, "60s (nginx's default)"
	if n := loc.Effective("proxy_read_timeout"); n != nil {
		if v, err := parseTime(n.Arg(0)); err == nil {
			read, readNode, readText = v, n, n.Arg(0)
		}
	}
	if read < c.desc.App.ShutdownTimeout {
		c.report(RuleReadTimeoutShort, readNode, "proxy_read_timeout is %s, shorter than app.shutdown_timeout %s: a response the app may still finish is cut off with 504", readText, nginxDuration(c.desc.App.ShutdownTimeout))
	}
}

// checkUpstreamIdle compares an upstream's keepalive_timeout with the
// app's keep-alive timeout.
func (c *checker) checkUpstreamIdle(up *Node) {
	ka := up.Children("keepalive")
	if len(ka) == 0 {
		return
	}
	idle, node, text := nginxDefaultUpstreamIdle, ka[0], "60s (nginx's default)"
	if l := up.Children("keepalive_timeout"); len(l) > 0 {
		if v, err := parseTime(l[0].Arg(0)); err == nil {
			idle, node, text = v, l[0], l[0].Arg(0)
		}
	}
	app := c.desc.App.Limits.KeepAliveTimeout
	if idle >= app {
		c.report(RuleUpstreamKeepaliveTimeout, node, "upstream %s keeps idle connections for %s, not less than the app's app.limits.keep_alive_timeout %s: nginx may send a request on a connection the app is closing", up.Arg(0), text, nginxDuration(app))
	}
}

// checkUpgrade checks that a proxy_pass passes websocket upgrades.
func (c *checker) checkUpgrade(p *Node) {
	loc := p.Parent
	var missing []string
	if v := loc.Effective("proxy_http_version"); v == nil || v.Arg(0) != "1.1" {
		missing = append(missing, "proxy_http_version 1.1")
	}
	h, _ := headersIn(loc, "proxy_set_header")
	if up, ok := sent(h, "upgrade"); !ok || !strings.Contains(up.value, "$http_upgrade") {
		missing = append(missing, "proxy_set_header Upgrade $http_upgrade")
	}
	conn, ok := sent(h, "connection")
	if !ok || !c.passesUpgrade(conn.value) {
		missing = append(missing, "a Connection header that is \"upgrade\" for upgrade requests")
	}
	if len(missing) > 0 {
		c.report(RuleWebsocketNoUpgrade, p, "proxy.websockets is on, but proxy_pass %s lacks %s: websocket handshakes fail", p.Arg(0), strings.Join(missing, ", "))
	}
}

// passesUpgrade reports whether a Connection value is "upgrade", is the
// client's own Connection header, or comes from a map on the client's
// Upgrade or Connection header.
func (c *checker) passesUpgrade(value string) bool {
	if strings.Contains(strings.ToLower(value), "upgrade") && !strings.Contains(value, "$") {
		return true
	}
	for _, v := range variables(value) {
		if v == "http_connection" {
			return true
		}
		if m, ok := c.maps[v]; ok {
			src := trimVar(m.Arg(0))
			if src == "http_upgrade" || src == "http_connection" {
				return true
			}
		}
	}
	return false
}

// servesAny reports whether a server block's server_name takes one of
// names (lower case).
func servesAny(server *Node, names []string) bool {
	for _, sn := range server.Children("server_name") {
		for _, a := range sn.Args {
			if slices.ContainsFunc(names, serverNameMatcher(a)) {
				return true
			}
		}
	}
	return false
}

// serverNameMatcher reports whether a server_name pattern takes a name
// (lower case), by nginx's rules: an exact name, ".example.com"
// (example.com and its subdomains), "*.example.com", "www.example.*" or a
// regular expression "~…", compiled here once.
func serverNameMatcher(pattern string) func(name string) bool {
	if expr, ok := strings.CutPrefix(pattern, "~"); ok {
		// A regular expression keeps its case: \S is not \s.
		re, err := regexp.Compile("(?i)" + expr)
		if err != nil {
			return func(string) bool { return false }
		}
		return re.MatchString
	}
	pattern = strings.ToLower(pattern)
	return func(name string) bool {
		switch {
		case pattern == name:
			return true
		case strings.HasPrefix(pattern, "."):
			return name == pattern[1:] || strings.HasSuffix(name, pattern)
		case strings.HasPrefix(pattern, "*."):
			return strings.HasSuffix(name, pattern[1:]) && len(name) > len(pattern)-1
		case strings.HasSuffix(pattern, ".*"):
			return strings.HasPrefix(name, pattern[:len(pattern)-1]) && len(name) > len(pattern)-1
		}
		return false
	}
}

// checkPrefix checks that a proxy_pass tells the app the prefix it is
// mounted under.
func (c *checker) checkPrefix(p *Node) {
	prefix := c.desc.Proxy.PathPrefix
	h, _ := headersIn(p.Parent, "proxy_set_header")
	got, ok := sent(h, "x-forwarded-prefix")
	switch {
	case !ok:
		c.report(RulePrefixNotForwarded, p, "proxy.path_prefix is %s, but proxy_pass %s sends no X-Forwarded-Prefix: the app builds links and redirects without the prefix", prefix, p.Arg(0))
	case got.value != prefix:
		c.report(RulePrefixNotForwarded, got.node, "X-Forwarded-Prefix is %s, but proxy.path_prefix is %s", got.value, prefix)
	}
}
