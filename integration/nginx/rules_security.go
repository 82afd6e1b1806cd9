package nginx

import (
	"regexp"
	"slices"
	"strings"
)

// checkAlias finds the alias path traversal: "location /img { alias
// /data/img/; }" serves /img../secret from /data/secret.
func (c *checker) checkAlias() {
	c.tree.Root.Walk(func(n *Node) {
		if n.Name != "alias" || n.Parent == nil || n.Parent.Name != "location" {
			return
		}
		loc := n.Parent
		var path string
		switch {
		case len(loc.Args) == 1:
			path = loc.Args[0]
		case len(loc.Args) == 2 && loc.Args[0] == "^~":
			path = loc.Args[1]
		default:
			return // exact and regex locations do not match "/img../"
		}
		if strings.HasPrefix(path, "@") || strings.HasSuffix(path, "/") || !strings.HasSuffix(n.Arg(0), "/") {
			return
		}
		c.report(RuleAliasTraversal, n, "location %s has no trailing slash but alias %s has one: %s../ reaches the parent of %s", path, n.Arg(0), path, n.Arg(0))
	})
}

// requestControlled reports whether a variable's value comes from the
// request (or is a regex capture of it).
func (c *checker) requestControlled(v string, depth int) bool {
	switch {
	case v[0] >= '0' && v[0] <= '9':
		return true
	case strings.HasPrefix(v, "http_"), strings.HasPrefix(v, "arg_"), strings.HasPrefix(v, "cookie_"):
		return true
	}
	switch v {
	case "host", "uri", "document_uri", "request_uri", "args", "query_string", "request", "request_body", "request_line":
		return true
	}
	if depth == 0 {
		return false
	}
	if m, ok := c.maps[v]; ok {
		for _, e := range m.Block {
			if len(e.Args) > 0 && c.controlledText(e.Args[len(e.Args)-1], depth-1) {
				return true
			}
		}
	}
	found := false
	c.tree.Root.Walk(func(n *Node) {
		if n.Name == "set" && trimVar(n.Arg(0)) == v && c.controlledText(n.Arg(1), depth-1) {
			found = true
		}
	})
	return found
}

func (c *checker) controlledText(s string, depth int) bool {
	for _, v := range variables(s) {
		if c.requestControlled(v, depth) {
			return true
		}
	}
	return false
}

// checkProxyPassTargets finds proxy_pass hosts a client controls (SSRF)
// and host names resolved only once, at start.
func (c *checker) checkProxyPassTargets() {
	for _, p := range c.proxies {
		t := c.targetOf(p)
		if t.variable {
			for _, v := range variables(t.hostPart) {
				if c.requestControlled(v, 2) {
					c.report(RuleProxyPassVariable, p, "proxy_pass %s takes its host from $%s, which the request controls: a client can make nginx connect to any host", p.Arg(0), v)
					break
				}
			}
			continue
		}
		if t.upstream == nil && !t.hasVariables {
			for _, a := range t.addrs {
				if a.host != "" && !isIP(a.host) && !isLocalhost(a.host) {
					c.report(RuleStaticDNS, p, "proxy_pass %s names host %s, which nginx resolves once at start: a changed DNS record is not seen until nginx reloads", p.Arg(0), a.host)
				}
			}
		}
	}
	for _, up := range c.upstreams {
		for _, s := range up.Children("server") {
			_, host, ok := serverAddress(s.Arg(0), "80")
			if !ok || host == "" || isIP(host) || isLocalhost(host) || hasArg(s, "resolve") {
				continue
			}
			c.report(RuleStaticDNS, s, "upstream %s's server %s is resolved once at start: a changed DNS record is not seen until nginx reloads", up.Arg(0), host)
		}
	}
}

func hasArg(n *Node, a string) bool {
	for _, x := range n.Args {
		if x == a {
			return true
		}
	}
	return false
}

// crlfVariable reports whether a variable at n is URL-decoded request
// text that can hold CR and LF: $uri, $document_uri, or a regex capture,
// numbered or named (named lists the names regexes define). A capture of
// the if that encloses n is left alone when that if matches $request_uri,
// which nginx does not decode: a numbered one always, a named one when the
// if's regex defines the name (else it comes from another, earlier regex).
func crlfVariable(n *Node, v string, named map[string]bool) bool {
	numbered := v[0] >= '1' && v[0] <= '9'
	switch {
	case v == "uri" || v == "document_uri":
		return true
	case !numbered && !named[v]:
		return false
	}
	re, ok := requestURIMatch(n)
	if !ok {
		return true
	}
	return !numbered && !slices.Contains(captureNamesIn(re), v)
}

// requestURIMatch returns the regex of the if block that encloses n, in
// n's location or server, when that if matches $request_uri with ~ or ~*:
// only then are the captures n sees that regex's. The reader gives an if
// its condition as words without the parentheses, however they are spaced:
// "if ( $request_uri ~ ^/a/(.*)$ )" has the arguments $request_uri, ~ and
// ^/a/(.*)$.
func requestURIMatch(n *Node) (string, bool) {
	for p := n.Parent; p != nil; p = p.Parent {
		switch p.Name {
		case "if":
			if len(p.Args) == 3 && strings.HasPrefix(p.Args[0], "$") && trimVar(p.Args[0]) == "request_uri" && (p.Args[1] == "~" || p.Args[1] == "~*") {
				return p.Args[2], true
			}
			return "", false
		case "location", "server":
			return "", false
		}
	}
	return "", false
}

// namedCapture finds the names of PCRE named groups: (?<name>, (?P<name>
// and (?'name'.
var namedCapture = regexp.MustCompile(`\(\?(?:P?<|')([A-Za-z_][A-Za-z0-9_]*)[>']`)

// captureNames are the names the configuration's regexes define.
func (c *checker) captureNames() map[string]bool {
	names := map[string]bool{}
	c.tree.Root.Walk(func(n *Node) {
		for _, a := range n.Args {
			for _, name := range captureNamesIn(a) {
				names[name] = true
			}
		}
	})
	return names
}

// captureNamesIn are the names of the named groups in a regex.
func captureNamesIn(re string) []string {
	var out []string
	for _, m := range namedCapture.FindAllStringSubmatch(re, -1) {
		out = append(out, m[1])
	}
	return out
}

// checkCRLF finds headers and redirects built from decoded request text.
func (c *checker) checkCRLF() {
	named := c.captureNames()
	c.tree.Root.Walk(func(n *Node) {
		var value, what string
		switch n.Name {
		case "add_header":
			value, what = n.Arg(1), "response header "+n.Arg(0)
		case "proxy_set_header":
			value, what = n.Arg(1), "request header "+n.Arg(0)+" sent to the app"
		case "return":
			switch {
			case len(n.Args) == 2 && isRedirectCode(n.Arg(0)):
				value = n.Arg(1)
			case len(n.Args) == 1 && (strings.Contains(n.Arg(0), "://") || strings.HasPrefix(n.Arg(0), "$scheme")):
				value = n.Arg(0)
			}
			what = "redirect Location"
		default:
			return
		}
		for _, v := range variables(value) {
			if crlfVariable(n, v, named) {
				c.report(RuleHeaderCRLF, n, "the %s is built from $%s, which is URL-decoded: a request with %%0d%%0a injects headers", what, v)
				return
			}
		}
	})
}

func isRedirectCode(s string) bool {
	switch s {
	case "301", "302", "303", "307", "308":
		return true
	}
	return false
}
