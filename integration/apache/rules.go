package apache

import (
	"errors"

	"github.com/apphost/apphost/integration/findings"
)

// Rule IDs. Each has an entry in docs/apache.md under its ID.
const (
	RuleSyntax                    = "apache/syntax"
	RuleProxyRequestsOn           = "apache/proxy-requests-on"
	RuleMissingReverse            = "apache/missing-proxy-pass-reverse"
	RuleTrailingSlash             = "apache/trailing-slash-mismatch"
	RuleNoForwardedProto          = "apache/no-forwarded-proto"
	RuleWrongProto                = "apache/forwarded-proto-http-in-tls"
	RuleEarlyHeaderIgnored        = "apache/early-header-ignored"
	RuleDirectoryHeaderNotProxied = "apache/directory-header-not-proxied"
	RulePreserveHostOff           = "apache/preserve-host-off"
	RuleKeepaliveProbes           = "apache/keepalive-is-tcp-probes"
	RuleClientHeadersPassed       = "apache/client-forwarding-headers-passed"
	RuleUndefinedVariable         = "apache/undefined-variable"
	RuleUpstreamMismatch          = "apache/upstream-mismatch"
	RuleUpstreamUnused            = "apache/upstream-unused"
	RuleAdminProxied              = "apache/admin-proxied"
	RuleBodyLimit                 = "apache/body-limit"
	RulePoolTTL                   = "apache/pool-ttl"
	RuleProxyTimeout              = "apache/proxy-timeout"
	RuleWebsocketsMissing         = "apache/websockets-missing"
	RuleWebsocketsUnexpected      = "apache/websockets-unexpected"
	RuleConfigTest                = "apache/httpd-config-test"
)

// DocsURL is the page whose headings are the rule IDs.
const DocsURL = "https://github.com/apphost/apphost/blob/main/docs/apache.md"

type rule struct {
	id       string
	severity findings.Severity
	summary  string
	fix      string
	// crossCheck rules need the deployment description (-f).
	crossCheck bool
}

// ruleTable is every rule, in the order of the docs.
func ruleTable() []rule {
	return []rule{
		{RuleSyntax, findings.Error, "the configuration does not parse (an unclosed or mismatched section, an unterminated quote, a bad Include or Define), so httpd refuses to start",
			"correct the line named; httpd reads nothing after a syntax error", false},
		{RuleProxyRequestsOn, findings.Error, "ProxyRequests On makes the server an open forward proxy for anyone who can reach it",
			"remove ProxyRequests On (Off is the default); a reverse proxy needs only ProxyPass", false},
		{RuleMissingReverse, findings.Warning, "ProxyPass without a matching ProxyPassReverse: redirects from the app point at the internal address",
			"add ProxyPassReverse with the same path and URL next to the ProxyPass", false},
		{RuleTrailingSlash, findings.Warning, "the path and the URL of ProxyPass disagree on a trailing slash, so mapped paths lose or double a slash",
			"end both the path and the URL with /, or neither", false},
		{RuleNoForwardedProto, findings.Warning, "the virtual host that proxies does not tell the app the scheme (X-Forwarded-Proto), so the app builds http:// links and redirect loops behind HTTPS",
			`add RequestHeader set X-Forwarded-Proto "https" (or "http") inside the <VirtualHost> that holds the ProxyPass`, false},
		{RuleWrongProto, findings.Error, "an HTTPS virtual host tells the app the scheme is http, so the app redirects to HTTPS forever or builds http:// links",
			`set X-Forwarded-Proto "https" in the HTTPS virtual host, or expr=%{REQUEST_SCHEME}`, false},
		{RuleEarlyHeaderIgnored, findings.Warning, "an early RequestHeader inside <Location>, <Directory>, <If>, <Proxy> or another per-request section is accepted by httpd but never applied",
			"move the RequestHeader to the <VirtualHost> or the main server, outside the section, or drop early so that it applies, late, to the requests the section matches", false},
		{RuleDirectoryHeaderNotProxied, findings.Info, "a RequestHeader on a forwarding header inside <Directory>, <DirectoryMatch>, <Files> or <FilesMatch> is not applied to the requests that ProxyPass, ProxyPassMatch or a RewriteRule [P] of the virtual host proxies: httpd never merges those sections for them",
			"if it is meant for the proxied requests, move the RequestHeader out of the section, to the <VirtualHost> or the main server, or into a <Location> that covers the proxied paths; if it is meant for the files the section serves, nothing is wrong", false},
		{RulePreserveHostOff, findings.Warning, "without ProxyPreserveHost On the app sees the upstream address as Host instead of the name the client asked for",
			"add ProxyPreserveHost On to the virtual host that proxies", false},
		{RuleKeepaliveProbes, findings.Info, "keepalive= on a proxy worker turns TCP keepalive probes on or off; it is not HTTP keep-alive, which mod_proxy does by default",
			"remove keepalive= unless a firewall drops idle connections; HTTP connection reuse is controlled by disablereuse= and ttl=", false},
		{RuleClientHeadersPassed, findings.Warning, "at the edge, forwarding headers sent by the client reach the app, which may believe a spoofed address or scheme",
			"add RequestHeader unset X-Forwarded-For early (and X-Forwarded-Host, X-Forwarded-Proto, X-Forwarded-Prefix, Forwarded) to the virtual host itself, outside <Location> and other per-request sections", true},
		{RuleUndefinedVariable, findings.Warning, "${VAR} names no Define and no environment variable; httpd leaves the text as it is",
			"define it with Define, pass it with -D, or export it (Debian: source /etc/apache2/envvars) before checking", false},
		{RuleUpstreamMismatch, findings.Error, "a proxy target is not one of the app's upstreams in apphost.yaml",
			"point ProxyPass or BalancerMember at an address in proxy.upstreams (default app.listen), or regenerate with apphost gen apache", true},
		{RuleUpstreamUnused, findings.Warning, "an upstream in apphost.yaml is never proxied to",
			"add it as a BalancerMember, or remove it from proxy.upstreams", true},
		{RuleAdminProxied, findings.Error, "an admin address (/metrics, /healthz, /readyz) is proxied and reachable by clients",
			"remove the ProxyPass or BalancerMember that points at app.admin_listen or supervise.admin_listen", true},
		{RuleBodyLimit, findings.Warning, "LimitRequestBody differs from the app's max_request_body",
			"set LimitRequestBody to the app's max_request_body in the virtual host", true},
		{RulePoolTTL, findings.Warning, "pooled backend connections may outlive the app's keep_alive_timeout, so Apache sends requests down connections the app is closing (502)",
			"add ttl= below the app's keep_alive_timeout to the ProxyPass or BalancerMember", true},
		{RuleProxyTimeout, findings.Warning, "Apache gives up on a response sooner than the app's shutdown_timeout lets a draining request finish",
			"set ProxyTimeout to at least the app's shutdown_timeout, and raise (or remove) any timeout= on a ProxyPass, BalancerMember or ProxySet, which takes priority over ProxyTimeout for its worker", true},
		{RuleWebsocketsMissing, findings.Warning, "apphost.yaml turns websockets on but the proxy does not pass Upgrade requests",
			"add upgrade=websocket to the ProxyPass (or each BalancerMember); needs httpd 2.4.47", true},
		{RuleWebsocketsUnexpected, findings.Info, "the proxy passes websocket upgrades but apphost.yaml turns websockets off",
			"remove upgrade=websocket, or set proxy.websockets: true", true},
		{RuleConfigTest, findings.Error, "httpd's own configuration test (apache2 -t, run by --apache-test) rejects the configuration",
			"correct the line httpd names; the message is httpd's own", false},
	}
}

// Rules returns every rule for SARIF's rule table and the docs.
func Rules() []findings.Rule {
	var out []findings.Rule
	for _, r := range ruleTable() {
		out = append(out, findings.Rule{ID: r.id, Severity: r.severity, Summary: r.summary, HelpURI: DocsURL + "#" + anchor(r.id)})
	}
	return out
}

// anchor is the heading anchor GitHub gives a "### apache/rule-id" heading.
func anchor(id string) string {
	out := make([]byte, 0, len(id))
	for i := 0; i < len(id); i++ {
		if c := id[i]; c != '/' {
			out = append(out, c)
		}
	}
	return string(out)
}

func lookupRule(id string) rule {
	for _, r := range ruleTable() {
		if r.id == id {
			return r
		}
	}
	// Unreachable while every ID used is in the table, which a test checks.
	return rule{id: id, severity: findings.Error}
}

// SyntaxFinding turns an error from Load about the configuration's text (a
// *SyntaxError with a line, such as an unclosed section or an Include that
// matches no file) into an apache/syntax finding at that file and line.
// ok is false for every other error, such as a file that cannot be read:
// those are not findings.
func SyntaxFinding(err error) (f findings.Finding, ok bool) {
	var se *SyntaxError
	if !errors.As(err, &se) || se.Line == 0 || se.Err != nil {
		return findings.Finding{}, false
	}
	r := lookupRule(RuleSyntax)
	return findings.Finding{Rule: r.id, Severity: r.severity, File: se.File, Line: se.Line, Message: se.Reason, Fix: r.fix}, true
}
