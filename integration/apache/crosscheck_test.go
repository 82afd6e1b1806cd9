package apache

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apphost/apphost/config"
)

func TestCrossChecks(t *testing.T) {
	runRuleCases(t, crossCheckCases(t))
}

// crossCheckCases trigger and clear the rules that compare with the
// description.
func crossCheckCases(t *testing.T) []ruleCase {
	const (
		balancer = "    <Proxy balancer://shop>\n        BalancerMember http://127.0.0.1:5000 ttl=60\n    </Proxy>\n    ProxyPass / balancer://shop/\n    ProxyPassReverse / balancer://shop/\n"
		direct   = "    ProxyPass / http://127.0.0.1:5000/ ttl=60\n    ProxyPassReverse / http://127.0.0.1:5000/\n"
		// proxySetBefore defines good's worker ahead of its ProxyPass.
		proxySetBefore = "<Proxy \"http://127.0.0.1:5000/\">\n    ProxySet ttl=60 timeout=10\n</Proxy>\n"
	)
	return []ruleCase{
		// Spoofed forwarding headers at the edge.
		{name: "client X-Forwarded-For passes at the edge", conf: edit(t, "    RequestHeader unset X-Forwarded-For early\n", ""), yaml: goodYAML, rule: RuleClientHeadersPassed, line: 1},
		{name: "an early unset inside <Location> is never applied", conf: edit(t, "    RequestHeader unset X-Forwarded-For early\n", "    <Location />\n        RequestHeader unset X-Forwarded-For early\n    </Location>\n"), yaml: goodYAML, rule: RuleClientHeadersPassed, line: 1},
		{name: "a late unset inside <Location> removes the client's header", conf: edit(t, "    RequestHeader unset X-Forwarded-For early\n", "    <Location />\n        RequestHeader unset X-Forwarded-For\n    </Location>\n"), yaml: goodYAML},
		{name: "an unset inside <Directory> is not applied to ProxyPass requests", conf: edit(t, "    RequestHeader unset X-Forwarded-For early\n", within(`Directory "/var/www"`, "    RequestHeader unset X-Forwarded-For\n")), yaml: goodYAML, rule: RuleClientHeadersPassed, line: 1},
		{name: "a late unset inside <Proxy> removes the client's header", conf: edit(t, "    RequestHeader unset X-Forwarded-For early\n", within(`Proxy "http://127.0.0.1:5000/"`, "    RequestHeader unset X-Forwarded-For\n")), yaml: goodYAML},
		{name: "client headers may pass behind another proxy", conf: edit(t, "    RequestHeader unset X-Forwarded-For early\n", ""), yaml: goodYAML + "proxy:\n  edge: false\n"},

		// The proxy reaches something other than the app.
		{name: "ProxyPass to another port", conf: edit(t, "ProxyPass / http://127.0.0.1:5000/", "ProxyPass / http://127.0.0.1:5001/"), yaml: goodYAML, rule: RuleUpstreamMismatch, line: 10},
		{name: "localhost is loopback", conf: strings.ReplaceAll(good, "127.0.0.1:5000", "localhost:5000"), yaml: goodYAML},
		{name: "ProxyPass to the admin address", conf: edit(t, "ProxyPass / http://127.0.0.1:5000/", "ProxyPass / http://127.0.0.1:9464/"), yaml: goodYAML, rule: RuleAdminProxied, line: 10},
		{name: "ProxyPass to the admin address by localhost", conf: edit(t, "ProxyPass / http://127.0.0.1:5000/", "ProxyPass / http://localhost:9464/"), yaml: goodYAML, rule: RuleAdminProxied, line: 10},
		{name: "ProxyPass to another loopback address", conf: edit(t, "ProxyPass / http://127.0.0.1:5000/", "ProxyPass / http://127.0.0.2:5000/"), yaml: goodYAML, rule: RuleUpstreamMismatch, line: 10},
		{name: "ProxyPass to IPv6 loopback", conf: edit(t, "ProxyPass / http://127.0.0.1:5000/", "ProxyPass / http://[::1]:5000/"), yaml: goodYAML, rule: RuleUpstreamMismatch, line: 10},
		{name: "ProxyPass to a port out of range", conf: edit(t, "ProxyPass / http://127.0.0.1:5000/", "ProxyPass / http://127.0.0.1:99999/"), yaml: goodYAML, rule: RuleUpstreamMismatch, line: 10},
		{name: "ProxyPass to the supervisor's admin address", conf: edit(t, "ProxyPass / http://127.0.0.1:5000/", "ProxyPass / http://127.0.0.1:9465/"), yaml: goodYAML + "supervise:\n  command: [/srv/shop/shop]\n", rule: RuleAdminProxied, line: 10},
		{name: "the supervisor's admin address is no admin address without the supervisor", conf: edit(t, "ProxyPass / http://127.0.0.1:5000/", "ProxyPass / http://127.0.0.1:9465/"), yaml: goodYAML, rule: RuleUpstreamMismatch, line: 10},
		{name: "the app is not proxied when only the admin address is", conf: edit(t, "ProxyPass / http://127.0.0.1:5000/", "ProxyPass / http://127.0.0.1:9464/"), yaml: goodYAML, rule: RuleUpstreamUnused, line: 0},
		{name: "BalancerMember to the admin address", conf: edit(t, direct, strings.Replace(balancer, "5000", "9464", 1)), yaml: goodYAML, rule: RuleAdminProxied, line: 11},
		{name: "balancer of the upstreams", conf: edit(t, direct, balancer), yaml: goodYAML},
		{name: "an upstream is never used", conf: edit(t, direct, balancer), yaml: goodYAML + "proxy:\n  upstreams: [127.0.0.1:5000, 127.0.0.1:5001]\n", rule: RuleUpstreamUnused, line: 0},

		// RewriteRule [P] targets are compared like ProxyPass ones.
		{name: "RewriteRule [P] to the app uses the upstream", conf: edit(t, direct, "    RewriteEngine On\n    RewriteRule ^/(.*)$ http://127.0.0.1:5000/$1 [P,L]\n    ProxyPassReverse / http://127.0.0.1:5000/\n"), yaml: goodYAML},
		{name: "RewriteRule [P] to the admin address", conf: edit(t, direct, direct+"    RewriteEngine On\n    RewriteRule ^/metrics$ http://127.0.0.1:9464/metrics [P]\n"), yaml: goodYAML, rule: RuleAdminProxied, line: 13},
		{name: "RewriteRule [P] to ws:// passes upgrades", conf: edit(t, direct, direct+"    RewriteEngine On\n    RewriteCond %{HTTP:Upgrade} websocket [NC]\n    RewriteRule ^/?(.*) ws://127.0.0.1:5000/$1 [P,L]\n"), yaml: goodYAML + "proxy:\n  websockets: true\n"},

		// Another site beside the app's is not compared with the app's description.
		{name: "a ServerName with a scheme and port names the app's virtual host", conf: strings.Replace(good, "    ServerName shop.example.com\n", "    ServerName https://shop.example.com:443\n", 1) + "<VirtualHost *:8080>\n    ServerName blog.example.org\n    ProxyPreserveHost On\n    RequestHeader set X-Forwarded-Proto \"http\"\n    ProxyPass / http://127.0.0.1:6000/\n    ProxyPassReverse / http://127.0.0.1:6000/\n</VirtualHost>\n", yaml: goodYAML + "proxy:\n  server_names: [shop.example.com]\n"},
		{name: "a target built from variables is not compared", conf: edit(t, direct, "    RewriteEngine On\n    RewriteRule ^/(.*)$ http://%{ENV:BACKEND}/$1 [P]\n    ProxyPassReverse / http://127.0.0.1:5000/\n"), yaml: goodYAML},
		{name: "another virtual host is not the app's", conf: good + "<VirtualHost *:8080>\n    ServerName blog.example.com\n    ProxyPreserveHost On\n    RequestHeader set X-Forwarded-Proto \"http\"\n    ProxyPass / http://127.0.0.1:6000/\n    ProxyPassReverse / http://127.0.0.1:6000/\n</VirtualHost>\n", yaml: goodYAML + "proxy:\n  server_names: [shop.example.com]\n"},
		{name: "an alias with a wildcard names the app's virtual host", conf: strings.Replace(good, "    ServerName shop.example.com\n", "    ServerName www.example.com\n    ServerAlias *.example.com\n", 1) + "<VirtualHost *:8080>\n    ServerName blog.example.org\n    ProxyPreserveHost On\n    RequestHeader set X-Forwarded-Proto \"http\"\n    ProxyPass / http://127.0.0.1:6000/\n    ProxyPassReverse / http://127.0.0.1:6000/\n</VirtualHost>\n", yaml: goodYAML + "proxy:\n  server_names: [shop.example.com]\n"},
		{name: "with no virtual host of the app's, every one is compared", conf: strings.Replace(good, "127.0.0.1:5000", "127.0.0.1:6000", 2), yaml: goodYAML + "proxy:\n  server_names: [other.example.com]\n", rule: RuleUpstreamMismatch, line: 10},

		// Body limit.
		{name: "body limit above the app's", conf: edit(t, "LimitRequestBody 30000000", "LimitRequestBody 0"), yaml: goodYAML, rule: RuleBodyLimit, line: 5},
		{name: "body limit missing", conf: edit(t, "    LimitRequestBody 30000000\n", ""), yaml: goodYAML, rule: RuleBodyLimit, line: 1},
		{name: "body limit equal to the app's", conf: edit(t, "LimitRequestBody 30000000", "LimitRequestBody 1000"), yaml: goodYAML + "  limits:\n    max_request_body: 1000\n"},

		// Timeouts.
		{name: "ProxyTimeout shorter than the shutdown timeout", conf: edit(t, "ProxyTimeout 60", "ProxyTimeout 10"), yaml: goodYAML, rule: RuleProxyTimeout, line: 4},
		{name: "default timeout shorter than a long shutdown", conf: edit(t, "    ProxyTimeout 60\n", ""), yaml: goodYAML + "  shutdown_timeout: 120s\n", rule: RuleProxyTimeout, line: 1},
		{name: "a worker's own timeout= is long enough", conf: edit(t, "ttl=60\n", "ttl=60 timeout=120\n"), yaml: goodYAML + "  shutdown_timeout: 90s\n"},
		{name: "a worker's own timeout= is shorter", conf: strings.Replace(edit(t, "ttl=60\n", "ttl=60 timeout=10\n"), "ProxyTimeout 60", "ProxyTimeout 300", 1), yaml: goodYAML, rule: RuleProxyTimeout, line: 10},
		{name: "timeout= with a unit is read in whole seconds", conf: strings.Replace(edit(t, "ttl=60\n", "ttl=60 timeout=20ms\n"), "ProxyTimeout 60", "ProxyTimeout 300", 1), yaml: goodYAML, rule: RuleProxyTimeout, line: 10},
		{name: "timeout= with a unit is reported even when long enough", conf: edit(t, "ttl=60\n", "ttl=60 timeout=500ms\n"), yaml: goodYAML, rule: RuleProxyTimeout, line: 10},
		{name: "timeout= that is no number", conf: edit(t, "ttl=60\n", "ttl=60 timeout=soon\n"), yaml: goodYAML, rule: RuleProxyTimeout, line: 10},
		{name: "ProxySet timeout= wins over the ProxyPass's", conf: proxySetBefore + strings.Replace(edit(t, "ttl=60\n", "ttl=60 timeout=120\n"), "ProxyTimeout 60", "ProxyTimeout 300", 1), yaml: goodYAML, rule: RuleProxyTimeout, line: 13},
		{name: "ProxySet timeout= wins from a <Proxy> after the ProxyPass", conf: strings.Replace(edit(t, "ttl=60\n", "ttl=60 timeout=120\n"), "ProxyTimeout 60", "ProxyTimeout 300", 1) + proxySetBefore, yaml: goodYAML, rule: RuleProxyTimeout, line: 10},
		{name: "Timeout stands in for ProxyTimeout", conf: "Timeout 300\n" + edit(t, "    ProxyTimeout 60\n", ""), yaml: goodYAML + "  shutdown_timeout: 120s\n"},

		// Pooled connections outliving the app's keep-alive.
		{name: "no ttl", conf: edit(t, " ttl=60", ""), yaml: goodYAML, rule: RulePoolTTL, line: 10},
		{name: "ttl above keep_alive_timeout", conf: edit(t, "ttl=60", "ttl=300"), yaml: goodYAML, rule: RulePoolTTL, line: 10},
		{name: "ttl given by ProxySet in <Proxy>", conf: "<Proxy \"http://127.0.0.1:5000/\">\n    ProxySet ttl=60\n</Proxy>\n" + edit(t, " ttl=60", ""), yaml: goodYAML},
		{name: "ttl= with a unit is read in whole seconds", conf: edit(t, "ttl=60", "ttl=30ms"), yaml: goodYAML, rule: RulePoolTTL, line: 10},
		{name: "ttl= that is no number", conf: edit(t, "ttl=60", "ttl=short"), yaml: goodYAML, rule: RulePoolTTL, line: 10},
		{name: "ProxySet ttl= wins over the ProxyPass's", conf: strings.Replace(proxySetBefore, "timeout=10", "ttl=300", 1) + good, yaml: goodYAML, rule: RulePoolTTL, line: 13},
		{name: "a ProxyPass sharing an earlier <Proxy> worker loses its own ttl=", conf: strings.Replace(proxySetBefore, "ttl=60 timeout=10", "timeout=120", 1) + good, yaml: goodYAML, rule: RulePoolTTL, line: 13},
		{name: "ProxySet in <Proxy> for a prefix of the URL", conf: edit(t, "    ServerName shop.example.com\n", "    ServerName shop.example.com\n"+within(`Proxy "http://127.0.0.1:5000"`, "ProxySet ttl=300\n")), yaml: goodYAML, rule: RulePoolTTL, line: 13},
		{name: "a virtual host's own worker wins over the main server's shorter one", conf: strings.NewReplacer(`"http://127.0.0.1:5000/"`, `"http://127.0.0.1:5000"`, "timeout=10", "ttl=300").Replace(proxySetBefore) + good, yaml: goodYAML},
		{name: "ProxySet naming the worker after the ProxyPass", conf: edit(t, direct, direct+"    ProxySet http://127.0.0.1:5000/ ttl=300\n"), yaml: goodYAML, rule: RulePoolTTL, line: 10},
		{name: "a <Proxy> URL longer than the ProxyPass URL is another worker", conf: strings.NewReplacer(`"http://127.0.0.1:5000/"`, `"http://127.0.0.1:5000/app/"`, "timeout=10", "ttl=300").Replace(proxySetBefore) + good, yaml: goodYAML},
		{name: "a websocket tunnel needs no ttl nor ProxyPassReverse", conf: edit(t, direct, "    ProxyPass /hub ws://127.0.0.1:5000/hub\n"+strings.Replace(direct, "ttl=60", "ttl=60 upgrade=websocket", 1)), yaml: goodYAML + "proxy:\n  websockets: true\n"},
		{name: "no reuse needs no ttl", conf: edit(t, "ttl=60", "disablereuse=On"), yaml: goodYAML},
		{name: "ttl given by ProxySet in <Proxy> for a Unix socket URL", conf: "<Proxy \"unix:/run/app.sock|http://localhost/\">\n    ProxySet ttl=60\n</Proxy>\n" + edit(t, "    ProxyPass / http://127.0.0.1:5000/ ttl=60\n    ProxyPassReverse / http://127.0.0.1:5000/\n", "    ProxyPass / unix:/run/app.sock|http://localhost/\n    ProxyPassReverse / http://localhost/\n"), yaml: "name: shop\napp:\n  listen: [unix:/run/app.sock]\n"},
		{name: "ProxySet in another virtual host gives no ttl", conf: "<VirtualHost *:80>\n    ServerName other.example.com\n    <Proxy \"http://127.0.0.1:5000/\">\n        ProxySet ttl=60\n    </Proxy>\n</VirtualHost>\n" + edit(t, " ttl=60", ""), yaml: goodYAML, rule: RulePoolTTL, line: 16},

		// Websockets.
		{name: "websockets on but not passed", conf: good, yaml: goodYAML + "proxy:\n  websockets: true\n", rule: RuleWebsocketsMissing, line: 10},
		{name: "websockets on and passed", conf: edit(t, "ttl=60", "ttl=60 upgrade=websocket"), yaml: goodYAML + "proxy:\n  websockets: true\n"},
		{name: "websockets off but passed", conf: edit(t, "ttl=60", "ttl=60 upgrade=websocket"), yaml: goodYAML, rule: RuleWebsocketsUnexpected, line: 10},
	}
}

// TestGeneratedHasNoFindings: what the generator writes passes every rule
// against the description it came from.
func TestGeneratedHasNoFindings(t *testing.T) {
	for _, yaml := range goldenCases(t) {
		name := strings.TrimSuffix(filepath.Base(yaml), ".yaml")
		t.Run(name, func(t *testing.T) {
			requireNoFindings(t, loadCase(t, yaml), filepath.Join(t.TempDir(), "site.conf"))
		})
	}
}

// requireNoFindings writes the site generated for c as site and checks
// it against c and alone: no finding either way. Alone, the checker
// expects forwarding headers, which an app reading none is not sent.
func requireNoFindings(t *testing.T, c *config.Config, site string) {
	t.Helper()
	if err := os.WriteFile(site, generateOne(t, c), 0o644); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load([]string{site}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got := Check(loaded, CheckOptions{Deployment: c}); len(got) != 0 {
		t.Errorf("findings on generated config:\n%s", list(got))
	}
	if got := Check(loaded, CheckOptions{}); len(got) != 0 && c.Forwarded.Headers != "none" {
		t.Errorf("findings on generated config without the description:\n%s", list(got))
	}
}
