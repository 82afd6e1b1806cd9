package apache

import (
	"maps"
	"net"
	"slices"
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

// enclosingProxy returns the innermost <Proxy> section of parents, or nil.
func enclosingProxy(parents []*Directive) *Directive {
	for i := len(parents) - 1; i >= 0; i-- {
		if parents[i].Is("Proxy") {
			return parents[i]
		}
	}
	return nil
}

// proxyNameAndArgs splits the arguments of ProxySet or BalancerMember as
// httpd reads them: inside <Proxy URL> the section names the worker or
// balancer they apply to; outside one, their first argument does.
func proxyNameAndArgs(d *Directive, parents []*Directive) (name string, args []string) {
	if p := enclosingProxy(parents); p != nil {
		return p.Arg(0), d.Args
	}
	if len(d.Args) == 0 {
		return "", nil
	}
	return d.Args[0], d.Args[1:]
}

// members returns every BalancerMember in the configuration, keyed by
// the balancer's name ("balancer://shop").
func members(list []*Directive) map[string][]pass {
	out := map[string][]pass{}
	Walk(list, func(d *Directive, parents []*Directive) {
		if d.IsSection || !d.Is("BalancerMember") {
			return
		}
		name, args := proxyNameAndArgs(d, parents)
		if len(args) == 0 {
			return
		}
		key := balancerName(name)
		out[key] = append(out[key], pass{d: d, url: args[0], params: params(args[1:])})
	})
	return out
}

// proxyWorker is one connection pool httpd keeps for backend URLs that
// start with its name, with the parameters it ends up with.
type proxyWorker struct {
	name   string
	params map[string]string
	// match is set for a ProxyPassMatch worker, whose name is a pattern
	// that only another ProxyPassMatch with the same URL shares.
	match bool
}

// workerTable holds the workers of one server configuration (the main
// server's or one virtual host's), defined as httpd defines them while it
// reads the configuration, in file order.
type workerTable struct {
	list []*proxyWorker
}

// find returns the worker a URL shares in t, or nil; see longestWorker.
func (t *workerTable) find(url string, match bool) *proxyWorker {
	return longestWorker(url, match, t.list)
}

// longestWorker returns the worker of list whose name is the longest
// prefix of the URL covering at least its scheme, host and port (compared
// in any case; the path is compared exactly), the earliest of equals, or
// nil. A ProxyPassMatch worker is only found by the same URL.
func longestWorker(url string, match bool, list []*proxyWorker) *proxyWorker {
	url, host := canonicalWorkerURL(url)
	if host == 0 {
		return nil
	}
	var best *proxyWorker
	for _, w := range list {
		if w.match != match || len(w.name) < host || best != nil && len(w.name) <= len(best.name) {
			continue
		}
		if w.name == url || !match && strings.HasPrefix(url, w.name) {
			best = w
		}
	}
	return best
}

// define adds a worker named by url with these parameters.
func (t *workerTable) define(url string, match bool, params map[string]string) *proxyWorker {
	name, _ := canonicalWorkerURL(url)
	w := &proxyWorker{name: name, params: params, match: match}
	t.list = append(t.list, w)
	return w
}

// canonicalWorkerURL returns the name httpd gives the worker of a URL and
// looks workers up by, and the length of its scheme://host[:port] part; 0
// for a URL that names no worker this way. The scheme, host and port are
// lower-cased. A Unix socket URL, unix:/path|http://host/path, is named by
// the URL after the bar alone: httpd shares one worker between URLs that
// differ only in their socket path, and with a TCP worker for that URL
// (apache2 -t warns AH01146 for the later one).
func canonicalWorkerURL(url string) (string, int) {
	if len(url) > len("unix:") && strings.EqualFold(url[:len("unix:")], "unix:") {
		if _, after, ok := strings.Cut(url, "|"); ok {
			url = after
		}
	}
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok || scheme == "" || rest == "" || strings.ContainsAny(scheme, ":/|") {
		return url, 0
	}
	host := len(scheme) + len("://") + len(rest)
	if i := strings.IndexByte(rest, '/'); i >= 0 {
		host = len(scheme) + len("://") + i
	}
	return strings.ToLower(url[:host]) + url[host:], host
}

// proxyWorkers returns the worker each ProxyPass and ProxyPassMatch to a
// single backend uses, with its final parameters.
//
// httpd keeps the workers of each server configuration apart while it
// reads them. Within one, a ProxyPass whose URL a worker defined earlier
// covers (by a <Proxy> section with ProxySet, or another ProxyPass)
// shares that worker, and httpd ignores every parameter the ProxyPass
// gives ("AH01146: Ignoring parameter … because of worker sharing").
// ProxySet sets its parameters on the worker that covers its URL, whether
// it comes before or after the ProxyPass, so its values win. A virtual
// host never sees another virtual host's workers. At request time a
// virtual host looks its URL up among the main server's workers followed
// by its own, so the longest name wins and, between equal names, the main
// server's: its <Proxy> and ProxySet reach a virtual host's ProxyPass.
func proxyWorkers(list []*Directive) map[*Directive]*proxyWorker {
	ss := scopes(list)
	tables := make([]workerTable, len(ss))
	for i, s := range ss {
		for _, it := range s.items {
			defineWorker(&tables[i], it.d, it.parents)
		}
	}
	out := map[*Directive]*proxyWorker{}
	for i, s := range ss {
		merged := tables[0].list
		if i > 0 {
			merged = slices.Concat(merged, tables[i].list)
		}
		for _, it := range s.items {
			p, ok := workerPass(it.d, it.parents)
			if !ok {
				continue
			}
			if w := longestWorker(p.url, p.match, merged); w != nil {
				out[it.d] = w
			}
		}
	}
	return out
}

// workerPass returns the ProxyPass or ProxyPassMatch d to a single
// backend, and false for any other directive.
func workerPass(d *Directive, parents []*Directive) (pass, bool) {
	if d.IsSection || !d.Is("ProxyPass") && !d.Is("ProxyPassMatch") {
		return pass{}, false
	}
	p, ok := passOf(d, parents)
	if !ok || balancerName(p.url) != "" {
		return pass{}, false
	}
	return p, true
}

// defineWorker does what a ProxyPass, ProxyPassMatch or ProxySet d does to
// the workers of its server configuration, t.
func defineWorker(t *workerTable, d *Directive, parents []*Directive) {
	if p, ok := workerPass(d, parents); ok {
		if t.find(p.url, p.match) == nil {
			t.define(p.url, p.match, maps.Clone(p.params))
		}
		return
	}
	if d.IsSection || !d.Is("ProxySet") {
		return
	}
	url, args := proxyNameAndArgs(d, parents)
	if url == "" || balancerName(url) != "" {
		return
	}
	w := t.find(url, false)
	if w == nil {
		w = t.define(url, false, map[string]string{})
	}
	maps.Copy(w.params, params(args))
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
