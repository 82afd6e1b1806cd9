package nginx

import (
	"strconv"

	"github.com/apphost/apphost/integration/findings"
)

// Rule IDs. Each has an entry in docs/nginx.md under its ID.
const (
	RuleSyntax           = "nginx/syntax"
	RuleUnknownDirective = "nginx/unknown-directive"
	RuleDirectiveContext = "nginx/directive-context"
	RuleIncludeMissing   = "nginx/include-missing"
	RuleNginxTest        = "nginx/nginx-test"

	RuleNoForwardedProto      = "nginx/no-forwarded-proto"
	RuleNoClientAddress       = "nginx/no-client-address"
	RuleHostFromHTTPHost      = "nginx/host-from-http-host"
	RuleKeepaliveNoHTTP11     = "nginx/keepalive-without-http11"
	RuleNoUpstreamKeepalive   = "nginx/no-upstream-keepalive"
	RuleProxySetHeaderDropped = "nginx/proxy-set-header-dropped"
	RuleAddHeaderDropped      = "nginx/add-header-dropped"
	RuleAliasTraversal        = "nginx/alias-traversal"
	RuleProxyPassVariable     = "nginx/proxy-pass-request-variable"
	RuleHeaderCRLF            = "nginx/header-crlf"
	RuleStaticDNS             = "nginx/proxy-pass-static-dns"
	RuleEdgeAppendsForwarded  = "nginx/edge-appends-forwarded-for"

	RuleUpstreamMismatch         = "nginx/upstream-mismatch"
	RuleUpstreamLocalhost        = "nginx/upstream-localhost"
	RuleAppNotProxied            = "nginx/app-not-proxied"
	RuleAdminProxied             = "nginx/admin-proxied"
	RuleBodySizeMismatch         = "nginx/body-size-mismatch"
	RuleReadTimeoutShort         = "nginx/proxy-read-timeout-short"
	RuleUpstreamKeepaliveTimeout = "nginx/upstream-keepalive-timeout"
	RuleWebsocketNoUpgrade       = "nginx/websocket-no-upgrade"
	RulePrefixNotForwarded       = "nginx/prefix-not-forwarded"
)

// ruleInfo is what every finding of a rule shares.
type ruleInfo struct {
	id       string
	severity findings.Severity
	summary  string
	fix      string
	// crossCheck rules need the deployment description.
	crossCheck bool
}

// ruleTable lists every rule, in the order docs/nginx.md presents them.
func ruleTable() []ruleInfo {
	return []ruleInfo{
		{RuleSyntax, findings.Error, "The configuration does not parse.", "Correct the syntax at the line given; nginx -t would refuse the file.", false},
		{RuleUnknownDirective, findings.Error, "A directive nginx does not know (misspelt, or from a module not loaded).", "Correct the directive's name, or load the module that provides it.", false},
		{RuleDirectiveContext, findings.Error, "A directive in a block where nginx does not allow it.", "Move the directive into a block that allows it (see the directive's Context in nginx's documentation).", false},
		{RuleIncludeMissing, findings.Error, "An include names a file that does not exist.", "Correct the include's path, or create the file.", false},
		{RuleNginxTest, findings.Error, "The real nginx -t rejected the configuration (with --nginx-test).", "Correct what nginx -t names.", false},

		{RuleNoForwardedProto, findings.Warning, "The app is not told the scheme the client used.", "Add \"proxy_set_header X-Forwarded-Proto $scheme;\" (or the Forwarded header's proto=) next to proxy_pass.", false},
		{RuleNoClientAddress, findings.Warning, "The app is not told the client's address.", "Add \"proxy_set_header X-Forwarded-For $remote_addr;\" (or the Forwarded header's for=) next to proxy_pass.", false},
		{RuleHostFromHTTPHost, findings.Warning, "The Host sent to the app is $http_host, which the client controls and may be empty.", "Use $host: the validated name that selected the server.", false},
		{RuleKeepaliveNoHTTP11, findings.Warning, "The upstream has keepalive, but requests are sent with HTTP/1.0 or \"Connection: close\": keepalive is silently off.", "Add \"proxy_http_version 1.1;\" and \"proxy_set_header Connection \"\";\" (or the $connection_upgrade map with '' for non-upgrade requests).", false},
		{RuleNoUpstreamKeepalive, findings.Warning, "Every request opens a new connection to the app (no upstream keepalive): several times slower, and on loopback the kernel's ephemeral ports cap the rate at about half of net.ipv4.ip_local_port_range per second to one address.", "Proxy to an upstream {} block with \"keepalive " + strconv.Itoa(defaultKeepalive) + ";\", and send HTTP/1.1 with an empty Connection header.", false},
		{RuleProxySetHeaderDropped, findings.Warning, "A proxy_set_header in this block drops every proxy_set_header inherited from the enclosing level.", "Repeat the inherited headers in this block, or set all headers at one level.", false},
		{RuleAddHeaderDropped, findings.Warning, "An add_header in this block drops every add_header inherited from the enclosing level (security headers such as HSTS).", "Repeat the inherited headers in this block, or set all headers at one level.", false},
		{RuleAliasTraversal, findings.Error, "A location without a trailing slash with an alias that has one: /prefix../ escapes the aliased directory.", "End the location with '/' too (location /static/ { alias /srv/static/; }), or remove the slash from both.", false},
		{RuleProxyPassVariable, findings.Error, "proxy_pass takes its host from the request: a client can make nginx connect anywhere (SSRF).", "Proxy to fixed upstreams; map request values to a fixed list with a map {} whose default is safe.", false},
		{RuleHeaderCRLF, findings.Error, "A header or redirect is built from $uri, $document_uri or a regex capture, which are URL-decoded and may carry CR/LF (header injection, response splitting).", "Use $request_uri (not decoded), or match captures with a class that excludes CR and LF such as ([^\\r\\n]*).", false},
		{RuleStaticDNS, findings.Warning, "proxy_pass names a host that nginx resolves once, at start: a changed DNS record is not seen until reload.", "Proxy to an IP address, or to an upstream whose server has the resolve parameter (nginx 1.27.3 and later) with a resolver.", false},
		{RuleEdgeAppendsForwarded, findings.Warning, "At an edge proxy $proxy_add_x_forwarded_for (or $http_forwarded) passes the client's own forwarding header on: the app may believe a spoofed address.", "At the edge send \"X-Forwarded-For $remote_addr\"; append only behind another proxy you trust (proxy.edge: false).", false},

		{RuleUpstreamMismatch, findings.Error, "nginx proxies to an address the description does not list as the app's (app.listen or proxy.upstreams).", "Point proxy_pass or the upstream's server at the app's address, or correct the description.", true},
		{RuleUpstreamLocalhost, findings.Warning, "An upstream is written as localhost, of which nginx makes a server for every address localhost resolves to where it runs (on Debian with IPv6: 127.0.0.1 and [::1]), while the app listens on one of them: the connections sent to another fail.", "In proxy_pass or the upstream's server, write the address the description gives the app, such as 127.0.0.1:5000, in place of localhost.", true},
		{RuleAppNotProxied, findings.Warning, "No proxy_pass reaches the app's address.", "Proxy to the app's address (app.listen or proxy.upstreams), or check the right configuration.", true},
		{RuleAdminProxied, findings.Error, "nginx proxies to an admin address (metrics, health): internals become public.", "Never proxy to app.admin_listen or supervise.admin_listen; proxy to app.listen.", true},
		{RuleBodySizeMismatch, findings.Warning, "client_max_body_size differs from the app's app.limits.max_request_body.", "Set client_max_body_size to the app's limit (apphost gen nginx writes it).", true},
		{RuleReadTimeoutShort, findings.Warning, "proxy_read_timeout is shorter than the time the app may take to finish a request (app.shutdown_timeout): nginx answers 504 while the app still works.", "Set proxy_read_timeout (and proxy_send_timeout) to at least app.shutdown_timeout.", true},
		{RuleUpstreamKeepaliveTimeout, findings.Warning, "The upstream keepalive_timeout is not shorter than the app's keep-alive timeout: nginx may reuse a connection the app is closing (sporadic 502).", "Set the upstream's keepalive_timeout below app.limits.keep_alive_timeout.", true},
		{RuleWebsocketNoUpgrade, findings.Error, "The description enables websockets, but nginx does not pass the Upgrade handshake.", "Send HTTP/1.1 with \"proxy_set_header Upgrade $http_upgrade;\" and \"proxy_set_header Connection $connection_upgrade;\" from a map on $http_upgrade.", true},
		{RulePrefixNotForwarded, findings.Warning, "The description mounts the app under proxy.path_prefix, but nginx does not send it as X-Forwarded-Prefix: the app builds links and redirects without the prefix.", "Strip the prefix (location /shop/ { proxy_pass http://app/; }) and add \"proxy_set_header X-Forwarded-Prefix /shop;\".", true},
	}
}

// Rules returns every rule for SARIF's rule table; helpBase is the URL of
// docs/nginx.md, each rule's anchor appended.
func Rules(helpBase string) []findings.Rule {
	var out []findings.Rule
	for _, r := range ruleTable() {
		out = append(out, findings.Rule{ID: r.id, Severity: r.severity, Summary: r.summary, HelpURI: helpBase + "#" + Anchor(r.id)})
	}
	return out
}

// Anchor is a rule's heading anchor in docs/nginx.md: the ID as a
// Markdown heading "### nginx/no-forwarded-proto" becomes
// "nginxno-forwarded-proto".
func Anchor(id string) string {
	out := make([]rune, 0, len(id))
	for _, r := range id {
		if r == '/' {
			continue
		}
		out = append(out, r)
	}
	return string(out)
}

func lookupRule(id string) ruleInfo {
	for _, r := range ruleTable() {
		if r.id == id {
			return r
		}
	}
	return ruleInfo{id: id, severity: findings.Error}
}

func ruleFix(id string) string { return lookupRule(id).fix }
