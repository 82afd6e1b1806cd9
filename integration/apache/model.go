package apache

import (
	"maps"
	"net"
	"strconv"
	"strings"
)

// scope is what one virtual host (or the main server, vhost nil) is made
// of: every directive that applies to its requests, nested sections
// included, with the sections enclosing each.
type scope struct {
	vhost *Directive
	items []item
	// passList caches passes.
	passList []pass
	passDone bool
}

type item struct {
	d       *Directive
	parents []*Directive
}

// scopes splits a configuration into the main server and its virtual
// hosts, in file order; the main server comes first.
func scopes(list []*Directive) []*scope {
	main := &scope{}
	out := []*scope{main}
	var visit func(list []*Directive, parents []*Directive, s *scope)
	visit = func(list []*Directive, parents []*Directive, s *scope) {
		for _, d := range list {
			if d.IsSection && d.Is("VirtualHost") && s == main {
				v := &scope{vhost: d}
				out = append(out, v)
				if !d.Skipped {
					visit(d.Block, nil, v)
				}
				continue
			}
			s.items = append(s.items, item{d: d, parents: parents})
			if d.IsSection && !d.Skipped {
				visit(d.Block, append(parents[:len(parents):len(parents)], d), s)
			}
		}
	}
	visit(list, nil, main)
	return out
}

// named returns the directives of the scope with this name.
func (s *scope) named(name string) []item {
	var out []item
	for _, it := range s.items {
		if !it.d.IsSection && it.d.Is(name) {
			out = append(out, it)
		}
	}
	return out
}

// last returns the last directive of the scope with this name, or nil.
func (s *scope) last(name string) *Directive {
	l := s.named(name)
	if len(l) == 0 {
		return nil
	}
	return l[len(l)-1].d
}

// where names the scope for messages.
func (s *scope) where() string {
	if s.vhost == nil {
		return "the main server"
	}
	return "<VirtualHost " + strings.Join(s.vhost.Args, " ") + "> (line " + strconv.Itoa(s.vhost.Line) + ")"
}

// pass is one ProxyPass (path → url) or BalancerMember (url only).
type pass struct {
	d *Directive
	// path is the local path ("" for ProxyPassMatch and BalancerMember).
	path   string
	url    string
	params map[string]string
	// match is set for ProxyPassMatch, whose path is a regular expression.
	match bool
}

// passes returns the ProxyPass and ProxyPassMatch directives of a scope
// (not those that exclude a path with "!").
func (s *scope) passes() []pass {
	if s.passDone {
		return s.passList
	}
	s.passDone = true
	var out []pass
	for _, it := range s.items {
		d := it.d
		if d.IsSection || !(d.Is("ProxyPass") || d.Is("ProxyPassMatch")) {
			continue
		}
		p, ok := passOf(d, it.parents)
		if ok {
			out = append(out, p)
		}
	}
	s.passList = out
	return out
}

// rewriteTargets returns the RewriteRule directives of a scope that proxy
// (the P flag) to an absolute URL, as passes without a path or parameters.
func (s *scope) rewriteTargets() []pass {
	var out []pass
	for _, it := range s.named("RewriteRule") {
		if d := it.d; rewriteProxies(d) && strings.Contains(d.Arg(1), "://") {
			out = append(out, pass{d: d, url: d.Arg(1), match: true})
		}
	}
	return out
}

// passOf reads ProxyPass's two forms: "path url params…" and, inside a
// <Location path>, "url params…".
func passOf(d *Directive, parents []*Directive) (pass, bool) {
	p := pass{d: d, match: d.Is("ProxyPassMatch")}
	args := d.Args
	if loc := enclosingLocation(parents); loc != nil && len(args) > 0 && !strings.HasPrefix(args[0], "/") {
		p.path = loc.Arg(0)
		p.match = p.match || loc.Is("LocationMatch")
	} else {
		if len(args) < 2 {
			return p, false
		}
		p.path, args = args[0], args[1:]
	}
	if len(args) == 0 || args[0] == "!" {
		return p, false
	}
	p.url, p.params = args[0], params(args[1:])
	return p, true
}

func enclosingLocation(parents []*Directive) *Directive {
	for i := len(parents) - 1; i >= 0; i-- {
		if parents[i].Is("Location") || parents[i].Is("LocationMatch") {
			return parents[i]
		}
	}
	return nil
}

// members returns every BalancerMember in the configuration, keyed by
// the balancer's name ("balancer://shop").
func members(list []*Directive) map[string][]pass {
	out := map[string][]pass{}
	Walk(list, func(d *Directive, parents []*Directive) {
		if d.IsSection || !d.Is("BalancerMember") || len(d.Args) == 0 {
			return
		}
		args := d.Args
		var name string
		if strings.HasPrefix(strings.ToLower(args[0]), "balancer://") && len(args) > 1 {
			name, args = args[0], args[1:]
		} else {
			for i := len(parents) - 1; i >= 0; i-- {
				if parents[i].Is("Proxy") {
					name = parents[i].Arg(0)
					break
				}
			}
		}
		name = strings.TrimSuffix(strings.ToLower(name), "/")
		out[name] = append(out[name], pass{d: d, url: args[0], params: params(args[1:])})
	})
	return out
}

// proxySets collects the worker parameters ProxySet gives, by worker URL:
// "ProxySet ttl=60" inside <Proxy "http://127.0.0.1:5000/">, or "ProxySet
// http://127.0.0.1:5000/ ttl=60".
func proxySets(list []*Directive) map[string]map[string]string {
	out := map[string]map[string]string{}
	Walk(list, func(d *Directive, parents []*Directive) {
		if d.IsSection || !d.Is("ProxySet") || len(d.Args) == 0 {
			return
		}
		url, args := "", d.Args
		if strings.Contains(args[0], "://") {
			url, args = args[0], args[1:]
		} else {
			for i := len(parents) - 1; i >= 0; i-- {
				if parents[i].Is("Proxy") {
					url = parents[i].Arg(0)
					break
				}
			}
		}
		if url == "" || balancerName(url) != "" {
			return
		}
		key := workerKey(url)
		if out[key] == nil {
			out[key] = map[string]string{}
		}
		maps.Copy(out[key], params(args))
	})
	return out
}

// workerKey is a worker URL as ProxySet and ProxyPass name the same
// worker: lower case, without a trailing slash.
func workerKey(url string) string {
	return strings.TrimSuffix(strings.ToLower(url), "/")
}

// params reads key=value worker parameters; keys are lower-cased.
func params(args []string) map[string]string {
	m := map[string]string{}
	for _, a := range args {
		k, v, _ := strings.Cut(a, "=")
		m[strings.ToLower(k)] = v
	}
	return m
}

// balancerName returns "balancer://name" for a balancer URL, or "".
func balancerName(url string) string {
	lower := strings.ToLower(url)
	if !strings.HasPrefix(lower, "balancer://") {
		return ""
	}
	rest := lower[len("balancer://"):]
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		rest = rest[:i]
	}
	return "balancer://" + rest
}

// targetAddr returns the address a worker URL connects to: "unix:/path"
// or "host:port" (with the scheme's default port), and false for URLs
// that name no single address (balancer://).
func targetAddr(url string) (string, bool) {
	if rest, ok := strings.CutPrefix(url, "unix:"); ok {
		path, _, _ := strings.Cut(rest, "|")
		return "unix:" + path, true
	}
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok || strings.EqualFold(scheme, "balancer") {
		return "", false
	}
	hostport := rest
	if i := strings.IndexAny(rest, "/?#"); i >= 0 {
		hostport = rest[:i]
	}
	if _, _, err := net.SplitHostPort(hostport); err == nil {
		return hostport, true
	}
	port := "80"
	switch strings.ToLower(scheme) {
	case "https", "wss":
		port = "443"
	}
	return net.JoinHostPort(strings.Trim(hostport, "[]"), port), true
}

// urlPath returns the path part of a worker URL ("" when it has none);
// for unix: URLs, that of the URL after the |.
func urlPath(url string) string {
	if _, after, ok := strings.Cut(url, "|"); ok {
		url = after
	}
	_, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		return rest[i:]
	}
	return ""
}
