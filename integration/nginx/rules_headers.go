package nginx

import (
	"sort"
	"strings"
)

// family is the forwarding-header family the app reads: the
// description's, or "any" without one.
func (c *checker) family() string {
	if c.desc == nil {
		return "any"
	}
	return c.desc.Forwarded.Headers
}

// expand returns value followed by the values of the map {} blocks its
// variables come from (two levels deep), so that a header built through a
// map is judged by what it can carry.
func (c *checker) expand(value string) string {
	var b strings.Builder
	b.WriteString(value)
	c.expandInto(&b, value, 2)
	return b.String()
}

func (c *checker) expandInto(b *strings.Builder, value string, depth int) {
	if depth == 0 {
		return
	}
	for _, v := range variables(value) {
		m, ok := c.maps[v]
		if !ok {
			continue
		}
		for _, e := range m.Block {
			val := e.Arg(0)
			if len(e.Args) > 0 {
				val = e.Args[len(e.Args)-1]
			}
			b.WriteString(" " + val)
			c.expandInto(b, val, depth-1)
		}
	}
}

func sent(h map[string]header, name string) (header, bool) {
	v, ok := h[name]
	return v, ok && v.value != ""
}

// checkProxyHeaders checks what each proxy_pass tells the app about the
// client, and every Host and X-Forwarded-For a proxy_set_header builds.
func (c *checker) checkProxyHeaders() {
	fam := c.family()
	for _, p := range c.proxies {
		if fam == "none" {
			break
		}
		h, _ := headersIn(p.Parent, "proxy_set_header")
		fwd, hasFwd := sent(h, "forwarded")
		fwdText := ""
		if hasFwd {
			fwdText = c.expand(fwd.value)
		}
		_, hasProto := sent(h, "x-forwarded-proto")
		_, hasXFF := sent(h, "x-forwarded-for")
		_, hasRealIP := sent(h, "x-real-ip")
		fwdProto := strings.Contains(fwdText, "proto=")
		fwdFor := strings.Contains(fwdText, "for=")
		switch fam {
		case "x-forwarded":
			if !hasProto {
				c.report(RuleNoForwardedProto, p, "proxy_pass %s sends no X-Forwarded-Proto, which the app reads (forwarded.headers: x-forwarded): it cannot tell HTTPS from HTTP", p.Arg(0))
			}
			if !hasXFF {
				c.report(RuleNoClientAddress, p, "proxy_pass %s sends no X-Forwarded-For, which the app reads (forwarded.headers: x-forwarded): every request seems to come from nginx", p.Arg(0))
			}
		case "forwarded":
			if !fwdProto {
				c.report(RuleNoForwardedProto, p, "proxy_pass %s sends no Forwarded header with proto=, which the app reads (forwarded.headers: forwarded): it cannot tell HTTPS from HTTP", p.Arg(0))
			}
			if !fwdFor {
				c.report(RuleNoClientAddress, p, "proxy_pass %s sends no Forwarded header with for=, which the app reads (forwarded.headers: forwarded): every request seems to come from nginx", p.Arg(0))
			}
		default:
			if !hasProto && !fwdProto {
				c.report(RuleNoForwardedProto, p, "proxy_pass %s sends neither X-Forwarded-Proto nor Forwarded proto=: the app cannot tell HTTPS from HTTP", p.Arg(0))
			}
			if !hasXFF && !hasRealIP && !fwdFor {
				c.report(RuleNoClientAddress, p, "proxy_pass %s sends neither X-Forwarded-For, X-Real-IP nor Forwarded for=: every request seems to come from nginx", p.Arg(0))
			}
		}
	}
	c.tree.Root.Walk(func(n *Node) {
		if n.Name != "proxy_set_header" || n.Parent == nil {
			return
		}
		name, value := strings.ToLower(n.Arg(0)), n.Arg(1)
		if (name == "host" || name == "x-forwarded-host") && strings.Contains(value, "$http_host") {
			c.report(RuleHostFromHTTPHost, n, "%s is set from $http_host, which the client controls (and may be missing); $host is the validated server name", n.Arg(0))
		}
		if !c.isEdge(n.Parent) || c.readsOneHop() {
			return
		}
		switch {
		case name == "x-forwarded-for" && strings.Contains(value, "$proxy_add_x_forwarded_for"):
			c.report(RuleEdgeAppendsForwarded, n, "X-Forwarded-For is $proxy_add_x_forwarded_for at an edge proxy: it passes on whatever X-Forwarded-For the client sent, so the app may take a spoofed address")
		case name == "forwarded" && strings.Contains(c.expand(value), "$http_forwarded"):
			c.report(RuleEdgeAppendsForwarded, n, "Forwarded includes $http_forwarded at an edge proxy: it passes on whatever Forwarded header the client sent, so the app may take a spoofed address")
		}
	})
}

// readsOneHop reports whether the description's app reads only the entry
// nginx adds (forwarded.forward_limit 1, the default): what a client sent
// before it cannot reach the app, so appending is safe.
func (c *checker) readsOneHop() bool {
	return c.desc != nil && c.desc.Forwarded.ForwardLimit == 1
}

// isEdge reports whether clients connect straight to this nginx at block
// n: the description says so (proxy.edge), or, without one, nginx takes
// no client address from a proxy in front of it (no set_real_ip_from).
func (c *checker) isEdge(n *Node) bool {
	if c.desc != nil {
		return c.desc.Proxy.Edge
	}
	return n.Effective("set_real_ip_from") == nil && n.Effective("real_ip_header") == nil
}

type headerDirective struct {
	name string
	rule string
}

// checkInheritance finds blocks whose own proxy_set_header (or add_header)
// silently drops those of the enclosing level: nginx inherits these only
// when a level defines none.
func (c *checker) checkInheritance(d headerDirective) {
	c.tree.Root.Walk(func(b *Node) {
		own := b.Children(d.name)
		if len(own) == 0 || b.Parent == nil {
			return
		}
		if d.name == "add_header" {
			if inh := b.Effective("add_header_inherit"); inh != nil && inh.Arg(0) == "merge" {
				return
			}
		}
		outer, level := headersIn(b.Parent, d.name)
		if level == nil {
			return
		}
		mine := map[string]bool{}
		for _, n := range own {
			mine[strings.ToLower(n.Arg(0))] = true
		}
		var dropped []string
		for name, h := range outer {
			if !mine[name] {
				dropped = append(dropped, h.node.Arg(0))
			}
		}
		if len(dropped) == 0 {
			return
		}
		sort.Strings(dropped)
		blockName := b.Name
		if blockName == "" {
			blockName = "main"
		}
		c.report(d.rule, own[0], "%s in this %s block drops %d of the %d inherited from the %s block at %s:%d: %s %s no longer sent",
			d.name, blockName, len(dropped), len(outer), level.Name, level.File, level.Line, strings.Join(dropped, ", "), plural(len(dropped), "is", "are"))
	})
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
