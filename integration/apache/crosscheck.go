package apache

import (
	"fmt"
	"net"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/apphost/apphost/config"
)

// httpdDefaultBodyLimit is LimitRequestBody's default since httpd 2.4.54.
const httpdDefaultBodyLimit = 1 << 30

// httpdDefaultTimeout is Timeout's default, which ProxyTimeout falls
// back to.
const httpdDefaultTimeout = 60 * time.Second

// appScopes are the scopes the cross-checks compare with the description:
// the main server's, and the virtual hosts whose ServerName or ServerAlias
// takes one of proxy.server_names; every scope when no virtual host does.
// It needs the description.
func (c *checker) appScopes() map[*scope]bool {
	mine, named := map[*scope]bool{}, false
	for _, s := range c.scopes {
		if s.vhost == nil || servesAny(s, c.dep.Proxy.ServerNames) {
			mine[s] = true
			named = named || s.vhost != nil
		}
	}
	if !named {
		for _, s := range c.scopes {
			mine[s] = true
		}
	}
	return mine
}

// servesAny reports whether a virtual host's ServerName or ServerAlias
// takes one of names, as httpd matches them (in any case; * and ? in an
// alias).
func servesAny(s *scope, names []string) bool {
	for _, n := range append(s.named("ServerName"), s.named("ServerAlias")...) {
		for _, a := range n.d.Args {
			host := strings.ToLower(a)
			if _, rest, ok := strings.Cut(host, "://"); ok {
				host = rest // ServerName https://shop.example.com
			}
			if h, _, err := net.SplitHostPort(host); err == nil {
				host = h // ServerName shop.example.com:443
			}
			for _, name := range names {
				if ok, _ := path.Match(host, strings.ToLower(name)); ok {
					return true
				}
			}
		}
	}
	return false
}

// crossCheck compares one proxying scope with the deployment description.
func (c *checker) crossCheck(s *scope) {
	c.clientHeaders(s)
	c.upstreams(s)
	c.bodyLimit(s)
	c.proxyTimeout(s)
	c.poolTTL(s)
	c.websockets(s)
}

// clientHeaders: at the edge, every forwarding header the app reads must
// be unset (or overwritten) before the request is proxied.
func (c *checker) clientHeaders(s *scope) {
	if !c.dep.Proxy.Edge || c.dep.Forwarded.Headers == "none" {
		return
	}
	headers := []string{"X-Forwarded-For", "X-Forwarded-Host", "X-Forwarded-Proto", "X-Forwarded-Prefix"}
	if c.dep.Forwarded.Headers == "forwarded" {
		headers = []string{"Forwarded"}
	}
	var passed []string
	for _, h := range headers {
		if !c.controls(s, h) {
			passed = append(passed, h)
		}
	}
	if len(passed) == 0 {
		return
	}
	place := "in the virtual host (or the main server)"
	if s.vhost == nil {
		place = "in the main server"
	}
	msg := fmt.Sprintf("%s passes client-sent %s to the app; at the edge they must be removed by RequestHeader unset … early %s, outside <Location>, <Directory>, <If> and <Proxy>", s.where(), strings.Join(passed, ", "), place)
	for _, h := range passed {
		if note := c.unappliedNote(s, h, "unset", "set"); note != "" {
			msg += note
			break
		}
	}
	c.at(RuleClientHeadersPassed, c.anchorOf(s), "%s", msg)
}

// controls reports whether a RequestHeader of s, or of the main server
// for a virtual host, unsets or overwrites a header, early or late, in
// the requests s proxies.
func (c *checker) controls(s *scope, header string) bool {
	proxy := translationProxy(s)
	for _, from := range c.withMain(s) {
		for _, h := range requestHeaders(from, proxy) {
			if (h.action == "unset" || h.action == "set") && strings.EqualFold(h.header, header) {
				return true
			}
		}
	}
	return false
}

// upstreams: every target is an upstream, never an admin address (see
// config.Config.ProxyTarget).
func (c *checker) upstreams(s *scope) {
	if c.used == nil {
		c.used = map[config.Address]bool{}
	}
	for _, w := range append(c.workers(s), s.rewriteTargets()...) {
		addr, ok := targetAddr(w.url)
		if !ok || strings.ContainsAny(addr, "$%{}") {
			continue // a balancer, or a host built from the request: not compared
		}
		var admin *config.AdminAddress
		var ups []config.Address
		if a, err := config.ParseAddress(addr); err == nil { // an address that does not parse is no upstream
			admin, ups = c.dep.ProxyTarget(a)
		}
		c.targetCompared = true
		if admin != nil {
			c.at(RuleAdminProxied, w.d, "%s proxies to %s, an admin address (%s %s): /metrics and health checks become public", w.d.Name, addr, admin.Key, admin.Addr)
			continue
		}
		for _, u := range ups {
			c.used[u] = true
		}
		if len(ups) == 0 {
			c.mismatched = true
			c.at(RuleUpstreamMismatch, w.d, "%s proxies to %s, which is not an upstream in %s (%s)", w.d.Name, addr, c.depName(), joinAddrs(c.dep.ProxyUpstreams()))
		}
	}
}

func (c *checker) upstreamsUsed() {
	if !c.targetCompared || len(c.used) == 0 && c.mismatched {
		// No target could be compared (none, or all built from
		// variables), or none reaches an upstream and upstream-mismatch
		// said so.
		return
	}
	for _, u := range c.dep.ProxyUpstreams() {
		if !c.used[u] {
			c.add(RuleUpstreamUnused, c.cfg.Files[0], 0, "upstream %s in %s receives no requests: no ProxyPass or BalancerMember points at it", u, c.depName())
		}
	}
}

func (c *checker) depName() string {
	if c.dep.File != "" {
		return c.dep.File
	}
	return "the deployment description"
}

func joinAddrs(list []config.Address) string {
	s := make([]string, len(list))
	for i, a := range list {
		s[i] = string(a)
	}
	return strings.Join(s, ", ")
}

func (c *checker) bodyLimit(s *scope) {
	want := int64(c.dep.App.Limits.MaxRequestBody)
	d := c.inherited(s, "LimitRequestBody")
	if d == nil {
		if want != httpdDefaultBodyLimit {
			c.at(RuleBodyLimit, c.anchorOf(s), "%s sets no LimitRequestBody, so httpd's default of 1 GiB applies; the app's max_request_body is %s", s.where(), bodyWord(want))
		}
		return
	}
	got, err := strconv.ParseInt(d.Arg(0), 10, 64)
	if err != nil {
		c.at(RuleBodyLimit, d, "LimitRequestBody %q is not a number of bytes", d.Arg(0))
		return
	}
	if got != want {
		c.at(RuleBodyLimit, d, "LimitRequestBody %s, but the app's max_request_body is %s: %s", bodyWord(got), bodyWord(want), bodyEffect(got, want))
	}
}

func bodyWord(n int64) string {
	if n == 0 {
		return "0 (no limit)"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

func bodyEffect(proxy, app int64) string {
	if app != 0 && (proxy == 0 || proxy > app) {
		return "httpd forwards bodies the app then refuses with 413"
	}
	return "httpd refuses bodies the app would accept"
}

func (c *checker) proxyTimeout(s *scope) {
	want := c.dep.App.ShutdownTimeout
	// A worker's own timeout= (on ProxyPass, BalancerMember or ProxySet)
	// wins over ProxyTimeout; the scope's applies to the others.
	workers := c.workers(s)
	scopeWide := false
	for _, w := range workers {
		t, ok := w.params["timeout"]
		if !ok {
			scopeWide = true
			continue
		}
		got, ok := workerSeconds(t)
		switch {
		case !ok:
			c.at(RuleProxyTimeout, w.d, "%s %s has timeout=%s, which is not a number of seconds (at least 1)", w.d.Name, w.url, t)
		case got < want:
			c.at(RuleProxyTimeout, w.d, "%s %s has timeout=%s%s, shorter than the app's shutdown_timeout %s: a request the app is still draining ends in a 504", w.d.Name, w.url, t, secondsNote(t, got), want)
		case secondsNote(t, got) != "":
			c.at(RuleProxyTimeout, w.d, "%s %s has timeout=%s%s", w.d.Name, w.url, t, secondsNote(t, got))
		}
	}
	if !scopeWide && len(workers) > 0 {
		return
	}
	d := c.inherited(s, "ProxyTimeout")
	if d == nil {
		d = c.inherited(s, "Timeout")
	}
	got := httpdDefaultTimeout
	if d != nil {
		n, err := strconv.Atoi(d.Arg(0))
		if err != nil {
			c.at(RuleProxyTimeout, d, "%s %q is not a number of seconds", d.Name, d.Arg(0))
			return
		}
		got = time.Duration(n) * time.Second
	}
	if got >= want {
		return
	}
	if d == nil {
		c.at(RuleProxyTimeout, c.anchorOf(s), "%s uses httpd's default timeout of %s, shorter than the app's shutdown_timeout %s", s.where(), got, want)
		return
	}
	c.at(RuleProxyTimeout, d, "%s %s is shorter than the app's shutdown_timeout %s: a request the app is still draining ends in a 504", d.Name, d.Arg(0), want)
}

// workerSeconds reads a timeout= or ttl= worker parameter as httpd does,
// with C's atoi: whole seconds from the leading digits, anything after
// them ignored, so "500ms" is 500 seconds and "1.5" one second. Unlike
// connectiontimeout=, these take no unit. ok is false for a value httpd
// refuses: one that does not start with a number of at least 1.
func workerSeconds(v string) (d time.Duration, ok bool) {
	digits := strings.TrimLeft(v, " \t\n\v\f\r")
	digits = strings.TrimPrefix(digits, "+")
	if i := strings.IndexFunc(digits, func(r rune) bool { return r < '0' || r > '9' }); i >= 0 {
		digits = digits[:i]
	}
	n, err := strconv.ParseInt(digits, 10, 32)
	if err != nil || n < 1 {
		return 0, false
	}
	return time.Duration(n) * time.Second, true
}

// secondsNote explains how httpd reads a worker time that is not a plain
// number of seconds, such as "500ms", and is "" for one that is.
func secondsNote(v string, d time.Duration) string {
	if _, err := strconv.Atoi(v); err == nil {
		return ""
	}
	return fmt.Sprintf(" (httpd reads whole seconds and ignores what follows the number, so this is %s)", d)
}

func (c *checker) poolTTL(s *scope) {
	keep := c.dep.App.Limits.KeepAliveTimeout
	if keep <= 0 {
		return
	}
	for _, w := range c.workers(s) {
		if strings.EqualFold(w.params["disablereuse"], "on") || tunnel(w.url) {
			continue
		}
		ttl, ok := w.params["ttl"]
		if !ok {
			c.at(RulePoolTTL, w.d, "%s %s has no ttl=: idle pooled connections are kept past the app's keep_alive_timeout %s", w.d.Name, w.url, keep)
			continue
		}
		got, ok := workerSeconds(ttl)
		switch {
		case !ok:
			c.at(RulePoolTTL, w.d, "%s %s has ttl=%s, which is not a number of seconds (at least 1)", w.d.Name, w.url, ttl)
		case got >= keep:
			c.at(RulePoolTTL, w.d, "%s %s has ttl=%s%s, not below the app's keep_alive_timeout %s", w.d.Name, w.url, ttl, secondsNote(ttl, got), keep)
		case secondsNote(ttl, got) != "":
			c.at(RulePoolTTL, w.d, "%s %s has ttl=%s%s", w.d.Name, w.url, ttl, secondsNote(ttl, got))
		}
	}
}

func (c *checker) websockets(s *scope) {
	// upgrade= on a ProxyPass to a balancer covers its members, and a
	// RewriteRule [P] to ws:// (the classic mod_rewrite recipe, on
	// RewriteCond %{HTTP:Upgrade} websocket) passes upgrades for the scope.
	scopeUpgrades := slices.ContainsFunc(s.passes(), func(p pass) bool { return balancerName(p.url) != "" && upgrades(p) }) ||
		slices.ContainsFunc(s.rewriteTargets(), upgrades)
	for _, w := range c.workers(s) {
		up := upgrades(w) || scopeUpgrades
		switch {
		case c.dep.Proxy.Websockets && !up:
			c.at(RuleWebsocketsMissing, w.d, "%s %s does not pass websocket upgrades, which %s turns on", w.d.Name, w.url, c.depName())
		case !c.dep.Proxy.Websockets && up:
			c.at(RuleWebsocketsUnexpected, w.d, "%s %s passes websocket upgrades, but %s turns websockets off", w.d.Name, w.url, c.depName())
		}
	}
}

// upgrades reports whether a worker passes websocket upgrades: it has
// upgrade=, or it is a ws:// or wss:// tunnel.
func upgrades(w pass) bool {
	_, ok := w.params["upgrade"]
	return ok || tunnel(w.url)
}
