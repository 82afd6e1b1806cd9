package iis

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/integration/findings"
)

// proxyRule is an enabled rewrite rule whose action sends the request to
// another server, which ARR does for a Rewrite to an absolute http(s) URL.
type proxyRule struct {
	rule   *Element
	action Attr
	// authority is the target's host:port as written ("" when it is
	// built from a variable such as {C:1}).
	authority string
	scheme    string
}

func proxyRules(servers []*Element) []proxyRule {
	var out []proxyRule
	for _, rule := range find(servers, "rewrite", "rules", "rule") {
		if on, ok := rule.Attr("enabled"); ok && strings.EqualFold(strings.TrimSpace(on.Value), "false") {
			continue
		}
		action := rule.Child("action")
		if action == nil {
			continue
		}
		if t, ok := action.Attr("type"); ok && !strings.EqualFold(t.Value, "Rewrite") {
			continue
		}
		u, ok := action.Attr("url")
		if !ok {
			continue
		}
		scheme, rest, found := strings.Cut(u.Value, "://")
		if !found || !equalFoldAny(scheme, "http", "https") {
			continue
		}
		authority := rest[:authorityEnd(rest)]
		if strings.ContainsAny(authority, "{}") {
			authority = ""
		} else if pu, err := url.Parse(strings.ToLower(scheme) + "://" + authority); err == nil {
			authority = pu.Host
			if pu.Port() == "" {
				authority += map[string]string{"http": ":80", "https": ":443"}[strings.ToLower(scheme)]
			}
		}
		out = append(out, proxyRule{rule: rule, action: u, authority: authority, scheme: strings.ToLower(scheme)})
	}
	return out
}

// rewrites flags proxy rules that leave the scheme unsaid: ARR adds
// X-Forwarded-For on its own but nothing says the client used HTTPS, so
// the app builds http:// links and redirect loops. With a description
// (c not nil), the header is the one the app reads: X-Forwarded-Proto, a
// Forwarded header with proto= under forwarded.headers "forwarded", and
// none under "none".
func (ck *checker) rewrites(servers []*Element, c *config.Config) {
	family := "x-forwarded"
	if c != nil {
		family = c.Forwarded.Headers
	}
	for _, p := range proxyRules(servers) {
		name, _ := p.rule.Attr("name")
		var msg, fix string
		switch family {
		case "none":
			continue
		case "forwarded":
			if v, ok := variableValue(p.rule, varForwarded); ok && strings.Contains(strings.ToLower(v), "proto=") {
				continue
			}
			msg = fmt.Sprintf("rule %q proxies to %s without a %s that says proto=: the app reads the Forwarded header (forwarded.headers: forwarded) and cannot tell whether the client used HTTPS", name.Value, p.action.Value, varForwarded)
			fix = fmt.Sprintf(`add <serverVariables><set name="%s" value="for={REMOTE_ADDR};proto=https;host={HTTP_HOST}" /></serverVariables> to the rule (proto=http on a plain-HTTP site; an IPv6 for= needs quotes and brackets) and allow the variable at server level (allowedServerVariables)`, varForwarded)
		default:
			if setsVariable(p.rule, varForwardedProto) {
				continue
			}
			msg = fmt.Sprintf("rule %q proxies to %s without setting %s: the app cannot tell whether the client used HTTPS", name.Value, p.action.Value, varForwardedProto)
			fix = fmt.Sprintf(`add <serverVariables><set name="%s" value="https" /></serverVariables> to the rule (value "http" on a plain-HTTP site) and allow the variable at server level (allowedServerVariables)`, varForwardedProto)
		}
		ck.add(RuleNoForwardedProto, findings.Warning, p.rule.Line, msg, fix)
	}
}

// variableValue returns the value a rule sets server variable name to.
func variableValue(rule *Element, name string) (string, bool) {
	vars := rule.Child("serverVariables")
	if vars == nil {
		return "", false
	}
	for _, set := range vars.Children {
		if n, ok := set.Attr("name"); set.Name == "set" && ok && strings.EqualFold(strings.TrimSpace(n.Value), name) {
			v, _ := set.Attr("value")
			return v.Value, true
		}
	}
	return "", false
}

func setsVariable(rule *Element, name string) bool {
	_, ok := variableValue(rule, name)
	return ok
}

// pathVariables are the server variables that always start with "/": one
// right after the host ends it, as a "/" does ("http://127.0.0.1:5000{UNENCODED_URL}").
var pathVariables = []string{"{UNENCODED_URL}", "{REQUEST_URI}", "{URL}", "{PATH_INFO}", "{HTTP_URL}"}

// authorityEnd is where the host and port of a rewrite target without its
// scheme end: at the first "/" or "?", or at a path variable.
func authorityEnd(rest string) int {
	end := len(rest)
	if i := strings.IndexAny(rest, "/?"); i >= 0 {
		end = i
	}
	upper := strings.ToUpper(rest[:end])
	for _, v := range pathVariables {
		if i := strings.Index(upper, v); i >= 0 && i < end {
			end = i
		}
	}
	return end
}
