package iis

import (
	"fmt"
	"net/url"
	"strings"

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
		authority, _, _ := strings.Cut(rest, "/")
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

// rewrites flags proxy rules that leave X-Forwarded-Proto unset: ARR
// adds X-Forwarded-For on its own but nothing says the client used
// HTTPS, so the app builds http:// links and redirect loops.
func (ck *checker) rewrites(servers []*Element) {
	for _, p := range proxyRules(servers) {
		if setsVariable(p.rule, varForwardedProto) {
			continue
		}
		name, _ := p.rule.Attr("name")
		ck.add(RuleNoForwardedProto, findings.Warning, p.rule.Line,
			fmt.Sprintf("rule %q proxies to %s without setting %s: the app cannot tell whether the client used HTTPS", name.Value, p.action.Value, varForwardedProto),
			fmt.Sprintf(`add <serverVariables><set name="%s" value="https" /></serverVariables> to the rule (value "http" on a plain-HTTP site) and allow the variable at server level (allowedServerVariables)`, varForwardedProto))
	}
}

func setsVariable(rule *Element, name string) bool {
	vars := rule.Child("serverVariables")
	if vars == nil {
		return false
	}
	for _, set := range vars.Children {
		if n, ok := set.Attr("name"); set.Name == "set" && ok && strings.EqualFold(strings.TrimSpace(n.Value), name) {
			return true
		}
	}
	return false
}
