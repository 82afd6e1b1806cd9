package iis

import (
	"errors"
	"fmt"
	"strings"

	"github.com/apphost/apphost/config"
)

// Server variables the ARR rules set. URL Rewrite sets one only when the
// server allows it (allowedServerVariables, set by ARRScript).
const (
	varForwarded       = "HTTP_FORWARDED"
	varForwardedProto  = "HTTP_X_FORWARDED_PROTO"
	varForwardedHost   = "HTTP_X_FORWARDED_HOST"
	varForwardedPrefix = "HTTP_X_FORWARDED_PREFIX"
)

// arrUpstream is the one address ARR proxies to, as a URL authority.
func arrUpstream(c *config.Config) (string, error) {
	if err := c.CheckUpstreams(); err != nil {
		return "", err
	}
	ups := c.ProxyUpstreams()
	if len(ups) != 1 {
		return "", fmt.Errorf("proxy.upstreams lists %d addresses: an ARR rewrite rule proxies to one (several instances need an ARR server farm, which is configured on the server, not in web.config)", len(ups))
	}
	u := ups[0]
	if u.IsUnix() {
		return "", fmt.Errorf("upstream %s is a unix socket: ARR proxies over TCP only; listen on 127.0.0.1:PORT", u)
	}
	return u.Dial().String(), nil
}

// arrSection is the URL Rewrite rules: with TLS, a redirect of plain HTTP
// to HTTPS first; then the rule that proxies to the app, setting
// X-Forwarded-Proto (and X-Forwarded-Host, and X-Forwarded-Prefix under a
// path prefix). ARR adds X-Forwarded-For itself. It also returns the
// server-level script.
func arrSection(c *config.Config) ([]*node, []byte, error) {
	if c.Forwarded.Headers == "forwarded" {
		return nil, nil, errors.New("forwarded.headers is forwarded, but ARR sends X-Forwarded-For itself and no Forwarded header, and a rule setting one from {REMOTE_ADDR} would write an IPv6 client without the quotes and brackets RFC 7239 needs: with ARR, use forwarded.headers: x-forwarded")
	}
	upstream, err := arrUpstream(c)
	if err != nil {
		return nil, nil, err
	}
	proto := "http"
	rules := elem("rules")
	if c.Proxy.TLS != nil {
		proto = "https"
		rules.add(
			elem("rule", "name", c.Name+" to HTTPS", "stopProcessing", "true").add(
				elem("match", "url", "(.*)"),
				elem("conditions").add(elem("add", "input", "{HTTPS}", "pattern", "^OFF$")),
				elem("action", "type", "Redirect", "url", "https://{HTTP_HOST}/{R:1}", "redirectType", "Permanent"),
			),
		)
	}
	match := "(.*)"
	vars := elem("serverVariables").add(
		elem("set", "name", varForwardedProto, "value", proto),
		elem("set", "name", varForwardedHost, "value", "{HTTP_HOST}"),
	)
	if p := c.Proxy.PathPrefix; p != "" {
		// IIS matches the path without its leading slash.
		match = "^" + regexpQuote(strings.TrimPrefix(p, "/")) + "(?:/(.*))?$"
		vars.add(elem("set", "name", varForwardedPrefix, "value", p))
	}
	target := "http://" + upstream + "/{R:1}"
	rules.add(
		elem("rule", "name", c.Name+" proxy", "stopProcessing", "true").add(
			elem("match", "url", match),
			vars,
			elem("action", "type", "Rewrite", "url", target),
		),
	)
	out := []*node{
		comment("ARR must be enabled at server level, with preserveHostHeader, and these server variables allowed: run " + ARRScript + " once."),
		elem("rewrite").add(rules),
	}
	return out, arrScript(c, upstream), nil
}

// regexpQuote escapes the characters ECMAScript patterns treat specially.
func regexpQuote(s string) string {
	var b strings.Builder
	for _, r := range s {
		if strings.ContainsRune(`\^$.|?*+()[]{}`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
