package apache

import (
	"fmt"
	"strings"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/integration/findings"
)

// CheckOptions configure Check.
type CheckOptions struct {
	// Deployment, when set, turns on the cross-checks against the
	// deployment description, and tells which forwarding header family the
	// app reads (without it: X-Forwarded-*).
	Deployment *config.Config
}

// Check runs every rule over a loaded configuration and returns the
// findings, sorted by file and line.
func Check(cfg *Config, opts CheckOptions) []findings.Finding {
	c := &checker{cfg: cfg, dep: opts.Deployment, scopes: scopes(cfg.Directives), members: members(cfg.Directives), workerOf: proxyWorkers(cfg.Directives)}
	c.proxyRequests()
	c.undefinedVariables()
	c.earlyHeadersIgnored()
	c.directoryHeadersNotProxied()
	var apps map[*scope]bool // none without a description
	if c.dep != nil {
		apps = c.appScopes()
	}
	for _, s := range c.scopes {
		if !c.proxies(s) {
			continue
		}
		c.reverse(s)
		c.trailingSlash(s)
		c.forwardedProto(s)
		c.preserveHost(s)
		c.keepalive(s)
		if apps[s] {
			c.crossCheck(s)
		}
	}
	if c.dep != nil {
		c.upstreamsUsed()
	}
	findings.Sort(c.out)
	return c.out
}

type checker struct {
	cfg      *Config
	dep      *config.Config
	scopes   []*scope
	members  map[string][]pass
	workerOf map[*Directive]*proxyWorker // the worker each ProxyPass uses
	out      []findings.Finding
	// used records the upstreams the targets compared with the description
	// reach, for upstream-unused. targetCompared is set once a target was
	// compared (none may be, or all may be built from variables), and
	// mismatched when one reaches neither an upstream nor an admin
	// address.
	used           map[config.Address]bool
	targetCompared bool
	mismatched     bool
	// reported holds the findings already added.
	reported map[findings.Finding]bool
}

// add records a finding once: a balancer shared by several virtual hosts
// is reported once per problem.
func (c *checker) add(id, file string, line int, format string, a ...any) {
	r := lookupRule(id)
	f := findings.Finding{
		Rule: id, Severity: r.severity, File: file, Line: line,
		Message: fmt.Sprintf(format, a...), Fix: r.fix,
	}
	if c.reported[f] {
		return
	}
	if c.reported == nil {
		c.reported = map[findings.Finding]bool{}
	}
	c.reported[f] = true
	c.out = append(c.out, f)
}

func (c *checker) at(id string, d *Directive, format string, a ...any) {
	c.add(id, d.File, d.Line, format, a...)
}

// main is the main server's scope, whose settings virtual hosts inherit.
func (c *checker) main() *scope { return c.scopes[0] }

// inherited returns the scope's last directive with this name, or the
// main server's when the virtual host has none.
func (c *checker) inherited(s *scope, name string) *Directive {
	if d := s.last(name); d != nil {
		return d
	}
	if s.vhost != nil {
		return c.main().last(name)
	}
	return nil
}

// anchorOf is where a finding about something missing from a scope goes:
// the <VirtualHost> line, or the first ProxyPass of the main server.
func (c *checker) anchorOf(s *scope) *Directive {
	if s.vhost != nil {
		return s.vhost
	}
	if p := s.passes(); len(p) > 0 {
		return p[0].d
	}
	return &Directive{File: c.cfg.Files[0]}
}

// proxies reports whether a scope sends requests to a backend.
func (c *checker) proxies(s *scope) bool {
	if len(s.passes()) > 0 {
		return true
	}
	for _, it := range s.named("RewriteRule") {
		if rewriteProxies(it.d) {
			return true
		}
	}
	return false
}

// rewriteProxies reports whether a RewriteRule has the [P] flag.
func rewriteProxies(d *Directive) bool {
	if len(d.Args) < 3 {
		return false
	}
	flags := strings.Trim(d.Args[len(d.Args)-1], "[]")
	for _, f := range strings.Split(flags, ",") {
		if strings.EqualFold(strings.TrimSpace(f), "P") || strings.EqualFold(strings.TrimSpace(f), "proxy") {
			return true
		}
	}
	return false
}

func (c *checker) proxyRequests() {
	Walk(c.cfg.Directives, func(d *Directive, _ []*Directive) {
		if !d.IsSection && d.Is("ProxyRequests") && strings.EqualFold(d.Arg(0), "on") {
			c.at(RuleProxyRequestsOn, d, "ProxyRequests On turns this server into a forward proxy: anyone who reaches it can use it to reach any host")
		}
	})
}

func (c *checker) undefinedVariables() {
	for _, u := range c.cfg.Undefined {
		c.add(RuleUndefinedVariable, u.File, u.Line, "${%s} is not defined; httpd would use the text ${%s} as it is", u.Name, u.Name)
	}
}

// reverse reports ProxyPass without a ProxyPassReverse for the same path
// and URL.
func (c *checker) reverse(s *scope) {
	reverses := map[string]bool{}
	for _, it := range s.named("ProxyPassReverse") {
		if r, ok := passOf(it.d, it.parents); ok {
			reverses[reverseKey(r.path, r.url)] = true
		}
	}
	for _, p := range s.passes() {
		if p.match || reverses[reverseKey(p.path, p.url)] || tunnel(p.url) {
			continue
		}
		c.at(RuleMissingReverse, p.d, "ProxyPass %s %s has no ProxyPassReverse %s %s: Location headers from the app keep the internal address", p.path, p.url, p.path, reverseSide(p.url))
	}
}

// tunnel reports whether a worker URL is ws:// or wss://: a websocket
// tunnel, which answers no redirect to rewrite and keeps no connection
// pooled for another request.
func tunnel(url string) bool {
	scheme, _, _ := strings.Cut(strings.ToLower(reverseSide(url)), "://")
	return scheme == "ws" || scheme == "wss"
}

// reverseKey makes a ProxyPass and its ProxyPassReverse comparable: the
// URL the reverse names, trailing slashes and case aside.
func reverseKey(path, url string) string {
	norm := func(s string) string { return strings.ToLower(strings.TrimSuffix(s, "/")) }
	return norm(path) + " " + norm(reverseSide(url))
}

// reverseSide is the URL ProxyPassReverse names for a worker URL: for
// unix:/path|http://host/ the part after the bar.
func reverseSide(url string) string {
	if _, after, ok := strings.Cut(url, "|"); ok {
		return after
	}
	return url
}

func (c *checker) trailingSlash(s *scope) {
	for _, p := range s.passes() {
		if p.match {
			continue
		}
		pathSlash := strings.HasSuffix(p.path, "/")
		urlSlash := strings.HasSuffix(urlPath(p.url), "/")
		if pathSlash != urlSlash {
			c.at(RuleTrailingSlash, p.d, "ProxyPass %s %s: the path %s a trailing slash and the URL %s, so /%s… maps to a malformed path",
				p.path, p.url, hasWord(pathSlash), hasWord(urlSlash), strings.Trim(p.path, "/"))
		}
	}
}

func hasWord(b bool) string {
	if b {
		return "has"
	}
	return "has not"
}

// family returns the forwarding header the app reads its scheme from:
// "X-Forwarded-Proto", "Forwarded" or "" (none).
func (c *checker) family() string {
	if c.dep == nil {
		return "X-Forwarded-Proto"
	}
	switch c.dep.Forwarded.Headers {
	case "forwarded":
		return "Forwarded"
	case "none":
		return ""
	}
	return "X-Forwarded-Proto"
}

// setsHeader returns the first RequestHeader of s that httpd applies to
// the requests s proxies and that gives header a value, or nil, whatever
// runs after it; for messages. For Forwarded the value must carry proto=.
func setsHeader(s *scope, header string) *Directive {
	for _, h := range requestHeaders(s, translationProxy(s)) {
		switch h.action {
		case "set", "append", "add", "merge", "setifempty":
			if strings.EqualFold(h.header, header) && tellsScheme(header, h.value) {
				return h.d
			}
		}
	}
	return nil
}

// forwardedProto reports a proxying scope whose requests reach the app
// without the scheme, or with "http" in an HTTPS virtual host, after
// httpd has run every RequestHeader that applies in its order (see
// appliedHeaders and outcome). A conditional "http" (env=!HTTPS, as
// recipes pair it with "https" env=HTTPS, or an expr=) is left alone: it
// may never apply to an HTTPS request.
func (c *checker) forwardedProto(s *scope) {
	header := c.family()
	if header == "" {
		return
	}
	applied := c.appliedHeaders(s)
	if d := outcome(applied, "X-Forwarded-Proto").http; d != nil && terminatesTLS(s) {
		c.at(RuleWrongProto, d, "%s serves HTTPS (SSLEngine on) but sets X-Forwarded-Proto to http", s.where())
	}
	got := outcome(applied, header)
	// Without the description either family will do.
	if got.valued || c.dep == nil && outcome(applied, "Forwarded").valued {
		return
	}
	if u := got.removedBy; u != nil {
		c.at(RuleNoForwardedProto, u, "%s proxies to the app but %s runs after every RequestHeader that gives the header a value (early ones run before late ones, the main server's before the virtual host's), so the app gets no %s and cannot tell HTTPS from HTTP",
			s.where(), written(u.Name, u.Args), header)
		return
	}
	msg := fmt.Sprintf("%s proxies to the app but sets no %s header, so the app cannot tell HTTPS from HTTP", s.where(), header)
	msg += c.unappliedNote(s, header, "set", "append", "add", "merge", "setifempty")
	for _, other := range c.scopes[1:] {
		if other == s {
			continue
		}
		if d := setsHeader(other, header); d != nil {
			msg += fmt.Sprintf("; the %s set in %s at %s:%d does not apply, because httpd serves each request from one virtual host only", header, other.where(), d.File, d.Line)
			break
		}
	}
	c.at(RuleNoForwardedProto, c.anchorOf(s), "%s", msg)
}

// terminatesTLS reports whether a virtual host has SSLEngine on.
func terminatesTLS(s *scope) bool {
	d := s.last("SSLEngine")
	return s.vhost != nil && d != nil && strings.EqualFold(d.Arg(0), "on")
}

func (c *checker) preserveHost(s *scope) {
	d := c.inherited(s, "ProxyPreserveHost")
	switch {
	case d == nil:
		c.at(RulePreserveHostOff, c.anchorOf(s), "%s proxies without ProxyPreserveHost On: the app sees Host: %s instead of the name the client asked for", s.where(), c.someUpstreamHost(s))
	case !strings.EqualFold(d.Arg(0), "on"):
		c.at(RulePreserveHostOff, d, "ProxyPreserveHost %s: the app sees the upstream address as Host instead of the name the client asked for", d.Arg(0))
	}
}

func (c *checker) someUpstreamHost(s *scope) string {
	for _, p := range s.passes() {
		if a, ok := targetAddr(reverseSide(p.url)); ok {
			return a
		}
	}
	return "the upstream address"
}

func (c *checker) keepalive(s *scope) {
	for _, w := range c.workers(s) {
		if v, ok := w.params["keepalive"]; ok {
			c.at(RuleKeepaliveProbes, w.d, "keepalive=%s sets TCP keepalive probes on the backend connection; HTTP keep-alive (connection reuse) is on by default and set with disablereuse= and ttl=", v)
		}
	}
}

// workers returns the workers a scope's ProxyPass lines reach: the
// ProxyPass itself, or the members of the balancer it names.
func (c *checker) workers(s *scope) []pass {
	var out []pass
	for _, p := range s.passes() {
		if name := balancerName(p.url); name != "" {
			out = append(out, c.members[name]...)
			continue
		}
		out = append(out, c.withWorkerParams(p))
	}
	return out
}

// withWorkerParams returns p with the parameters of the worker httpd
// gives it: its own, or those of a worker it shares, with ProxySet's
// values over either.
func (c *checker) withWorkerParams(p pass) pass {
	if w := c.workerOf[p.d]; w != nil {
		p.params = w.params
	}
	return p
}
