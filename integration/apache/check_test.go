package apache

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/integration/findings"
)

// good is a virtual host that passes every rule, with the deployment
// goodYAML describes.
const good = `<VirtualHost *:80>
    ServerName shop.example.com
    ProxyPreserveHost On
    ProxyTimeout 60
    LimitRequestBody 30000000
    RequestHeader unset X-Forwarded-For early
    RequestHeader unset X-Forwarded-Host early
    RequestHeader unset X-Forwarded-Prefix early
    RequestHeader set X-Forwarded-Proto "http"
    ProxyPass / http://127.0.0.1:5000/ ttl=60
    ProxyPassReverse / http://127.0.0.1:5000/
</VirtualHost>
`

const goodYAML = "name: shop\napp:\n  listen: [127.0.0.1:5000]\n"

// edit returns good with old replaced by new, failing when old is absent.
func edit(t *testing.T, old, new string) string {
	t.Helper()
	if !strings.Contains(good, old) {
		t.Fatalf("%q not in the good config", old)
	}
	return strings.Replace(good, old, new, 1)
}

// checkText loads conf (and, when yaml is not empty, the deployment)
// from a temporary directory and runs Check.
func checkText(t *testing.T, conf, yaml string) []findings.Finding {
	t.Helper()
	loaded := loadText(t, conf)
	var opts CheckOptions
	if yaml != "" {
		yp := filepath.Join(t.TempDir(), "apphost.yaml")
		if err := os.WriteFile(yp, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		var err error
		if opts.Deployment, err = config.Load(yp); err != nil {
			t.Fatal(err)
		}
	}
	return Check(loaded, opts)
}

type ruleCase struct {
	name string
	conf string
	yaml string
	// rule and line are the finding expected; rule "" expects none.
	rule string
	line int
	// alone, with rule, expects no other finding.
	alone bool
}

func runRuleCases(t *testing.T, cases []ruleCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := checkText(t, tc.conf, tc.yaml)
			if tc.rule == "" {
				if len(got) != 0 {
					t.Fatalf("want no findings, got:\n%s", list(got))
				}
				return
			}
			for _, f := range got {
				if f.Rule == tc.rule {
					if f.Line != tc.line {
						t.Fatalf("%s on line %d, want line %d:\n%s", tc.rule, f.Line, tc.line, list(got))
					}
					if f.Message == "" || f.Fix == "" || !strings.HasSuffix(f.File, "site.conf") {
						t.Fatalf("finding lacks message, fix or file: %+v", f)
					}
					if tc.alone && len(got) != 1 {
						t.Fatalf("want %s alone, got:\n%s", tc.rule, list(got))
					}
					return
				}
			}
			t.Fatalf("want %s on line %d, got:\n%s", tc.rule, tc.line, list(got))
		})
	}
}

// within wraps lines, each indented by four spaces and ending in a
// newline, in a section (its opening tag without the angle brackets),
// themselves indented once more.
func within(tag, lines string) string {
	name, _, _ := strings.Cut(tag, " ")
	var b strings.Builder
	fmt.Fprintf(&b, "    <%s>\n", tag)
	for _, l := range strings.SplitAfter(lines, "\n") {
		if l != "" {
			b.WriteString("    " + l)
		}
	}
	fmt.Fprintf(&b, "    </%s>\n", name)
	return b.String()
}

func list(fs []findings.Finding) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintln(&b, f)
	}
	return b.String()
}

func TestGoodConfigHasNoFindings(t *testing.T) {
	runRuleCases(t, []ruleCase{
		{name: "alone", conf: good},
		{name: "against its deployment", conf: good, yaml: goodYAML},
	})
}

func TestConfigRules(t *testing.T) {
	runRuleCases(t, configRuleCases(t))
}

// configRuleCases trigger and clear the rules that need no description.
func configRuleCases(t *testing.T) []ruleCase {
	// tls is good in an HTTPS virtual host (SSLEngine on, line 3), with
	// the pairs of old and new text replaced.
	tls := func(oldnew ...string) string {
		return strings.NewReplacer(append([]string{"    ServerName shop.example.com\n", "    ServerName shop.example.com\n    SSLEngine on\n"}, oldnew...)...).Replace(good)
	}
	// proto is good's own X-Forwarded-Proto, line 9.
	const proto = "    RequestHeader set X-Forwarded-Proto \"http\"\n"
	return []ruleCase{
		// An open forward proxy.
		{name: "ProxyRequests On is an open proxy", conf: "ProxyRequests On\n" + good, rule: RuleProxyRequestsOn, line: 1},
		{name: "ProxyRequests Off is fine", conf: "ProxyRequests Off\n" + good},

		// Redirects that leak the internal address.
		{name: "ProxyPass without ProxyPassReverse", conf: edit(t, "    ProxyPassReverse / http://127.0.0.1:5000/\n", ""), rule: RuleMissingReverse, line: 10},
		{name: "ProxyPassReverse for another URL", conf: edit(t, "ProxyPassReverse / http://127.0.0.1:5000/", "ProxyPassReverse / http://127.0.0.1:5001/"), rule: RuleMissingReverse, line: 10},
		{name: "Location form with its reverse", conf: edit(t, "    ProxyPass / http://127.0.0.1:5000/ ttl=60\n    ProxyPassReverse / http://127.0.0.1:5000/\n",
			"    <Location /api/>\n        ProxyPass http://127.0.0.1:5000/api/ ttl=60\n        ProxyPassReverse http://127.0.0.1:5000/api/\n    </Location>\n")},
		{name: "unix socket reverse names the URL after the bar", conf: edit(t, "    ProxyPass / http://127.0.0.1:5000/ ttl=60\n    ProxyPassReverse / http://127.0.0.1:5000/\n",
			"    ProxyPass / unix:/run/app.sock|http://localhost/\n    ProxyPassReverse / http://localhost/\n")},

		// Paths that lose or double a slash.
		{name: "path with slash, URL without", conf: edit(t, "ProxyPass / http://127.0.0.1:5000/ ttl=60\n    ProxyPassReverse / http://127.0.0.1:5000/",
			"ProxyPass /app/ http://127.0.0.1:5000 ttl=60\n    ProxyPassReverse /app/ http://127.0.0.1:5000"), rule: RuleTrailingSlash, line: 10},
		{name: "path without slash, URL with", conf: edit(t, "ProxyPass / http://127.0.0.1:5000/ ttl=60\n    ProxyPassReverse / http://127.0.0.1:5000/",
			"ProxyPass /app http://127.0.0.1:5000/app/ ttl=60\n    ProxyPassReverse /app http://127.0.0.1:5000/app/"), rule: RuleTrailingSlash, line: 10},
		{name: "neither has a slash", conf: edit(t, "ProxyPass / http://127.0.0.1:5000/ ttl=60\n    ProxyPassReverse / http://127.0.0.1:5000/",
			"ProxyPass /app http://127.0.0.1:5000/app ttl=60\n    ProxyPassReverse /app http://127.0.0.1:5000/app")},

		// The scheme never reaches the app.
		{name: "no X-Forwarded-Proto", conf: edit(t, "    RequestHeader set X-Forwarded-Proto \"http\"\n", ""), rule: RuleNoForwardedProto, line: 1},
		{name: "X-Forwarded-Proto set for the main server reaches every vhost", conf: "RequestHeader set X-Forwarded-Proto \"http\"\n" + edit(t, "    RequestHeader set X-Forwarded-Proto \"http\"\n", "")},
		{name: "X-Forwarded-Proto from an expression", conf: edit(t, `RequestHeader set X-Forwarded-Proto "http"`, `RequestHeader set X-Forwarded-Proto expr=%{REQUEST_SCHEME}`)},
		{name: "main-server ProxyPass without scheme", conf: "ProxyPreserveHost On\nProxyPass / http://127.0.0.1:5000/\nProxyPassReverse / http://127.0.0.1:5000/\n", rule: RuleNoForwardedProto, line: 2},

		{name: "http scheme in an HTTPS virtual host", conf: edit(t, "    ServerName shop.example.com\n", "    ServerName shop.example.com\n    SSLEngine on\n"), rule: RuleWrongProto, line: 10},
		{name: "http only without TLS, https with it, in an HTTPS virtual host", conf: strings.NewReplacer("    ServerName shop.example.com\n", "    ServerName shop.example.com\n    SSLEngine on\n", `RequestHeader set X-Forwarded-Proto "http"`, "RequestHeader set X-Forwarded-Proto \"http\" env=!HTTPS\n    RequestHeader set X-Forwarded-Proto \"https\" env=HTTPS").Replace(good)},
		{name: "https scheme in an HTTPS virtual host", conf: strings.NewReplacer("    ServerName shop.example.com\n", "    ServerName shop.example.com\n    SSLEngine on\n", `X-Forwarded-Proto "http"`, `X-Forwarded-Proto "https"`).Replace(good)},

		// early is a phase, not a condition: an early RequestHeader in the
		// virtual host or the main server applies to every request, and one
		// inside a per-request section is never applied.
		{name: "an early X-Forwarded-Proto tells the scheme", conf: edit(t, `RequestHeader set X-Forwarded-Proto "http"`, `RequestHeader set X-Forwarded-Proto "http" early`)},
		{name: "an early http scheme in an HTTPS virtual host", conf: strings.NewReplacer("    ServerName shop.example.com\n", "    ServerName shop.example.com\n    SSLEngine on\n", `X-Forwarded-Proto "http"`, `X-Forwarded-Proto "http" EARLY`).Replace(good), rule: RuleWrongProto, line: 10},
		{name: "an early http scheme inside <IfModule> in an HTTPS virtual host", conf: strings.NewReplacer("    ServerName shop.example.com\n", "    ServerName shop.example.com\n    SSLEngine on\n", "    RequestHeader set X-Forwarded-Proto \"http\"\n", "    <IfModule headers_module>\n        RequestHeader set X-Forwarded-Proto \"http\" early\n    </IfModule>\n").Replace(good), rule: RuleWrongProto, line: 11},
		{name: "an early http replaced by a late https in an HTTPS virtual host", conf: strings.NewReplacer("    ServerName shop.example.com\n", "    ServerName shop.example.com\n    SSLEngine on\n", `RequestHeader set X-Forwarded-Proto "http"`, "RequestHeader set X-Forwarded-Proto \"https\" env=HTTPS\n    RequestHeader set X-Forwarded-Proto \"http\" early").Replace(good)},
		{name: "an early http replaced by a late https from the main server", conf: "RequestHeader set X-Forwarded-Proto \"https\" env=HTTPS\n" + strings.NewReplacer("    ServerName shop.example.com\n", "    ServerName shop.example.com\n    SSLEngine on\n", `RequestHeader set X-Forwarded-Proto "http"`, `RequestHeader set X-Forwarded-Proto "http" early`).Replace(good)},
		{name: "an early X-Forwarded-Proto inside <Location> is never applied", conf: edit(t, "    RequestHeader set X-Forwarded-Proto \"http\"\n", "    <Location />\n        RequestHeader set X-Forwarded-Proto \"http\" early\n    </Location>\n"), rule: RuleNoForwardedProto, line: 1},
		{name: "a late X-Forwarded-Proto inside <Location> applies", conf: edit(t, "    RequestHeader set X-Forwarded-Proto \"http\"\n", "    <Location />\n        RequestHeader set X-Forwarded-Proto \"http\"\n    </Location>\n")},

		// An early RequestHeader inside a per-request section is dead
		// configuration, reported where it is written.
		{name: "an early RequestHeader inside <Location> is reported at its line", conf: edit(t, "    RequestHeader set X-Forwarded-Proto \"http\"\n", "    <Location />\n        RequestHeader set X-Forwarded-Proto \"http\" early\n    </Location>\n"), rule: RuleEarlyHeaderIgnored, line: 10},
		{name: "an early unset inside <If> is never applied", conf: edit(t, "    RequestHeader unset X-Forwarded-For early\n", "    <If \"%{REQUEST_SCHEME} == 'http'\">\n        RequestHeader unset X-Forwarded-For early\n    </If>\n"), rule: RuleEarlyHeaderIgnored, line: 7, alone: true},
		{name: "an early RequestHeader inside a main-server <Proxy> is never applied", conf: "<Proxy \"http://127.0.0.1:5000/\">\n    RequestHeader unset X-Forwarded-For early\n</Proxy>\n" + good, rule: RuleEarlyHeaderIgnored, line: 2, alone: true},
		{name: "an early unset inside <IfModule> applies", conf: edit(t, "    RequestHeader unset X-Forwarded-For early\n", "    <IfModule headers_module>\n        RequestHeader unset X-Forwarded-For early\n    </IfModule>\n")},

		// mod_proxy takes a request for ProxyPass, ProxyPassMatch or a
		// RewriteRule [P] in the virtual host as httpd translates its URL,
		// and httpd then merges no <Directory>, <DirectoryMatch>, <Files>
		// or <FilesMatch> for it: a RequestHeader inside one never reaches
		// the app.
		{name: "X-Forwarded-Proto inside <Directory> is not applied to ProxyPass requests", conf: edit(t, proto, within(`Directory "/var/www"`, proto)), rule: RuleDirectoryHeaderNotProxied, line: 10},
		{name: "X-Forwarded-Proto inside <Directory> leaves the app without the scheme", conf: edit(t, proto, within(`Directory "/var/www"`, proto)), rule: RuleNoForwardedProto, line: 1},
		{name: "X-Forwarded-Proto inside <DirectoryMatch>", conf: edit(t, proto, within(`DirectoryMatch "^/var/www"`, proto)), rule: RuleDirectoryHeaderNotProxied, line: 10},
		{name: "X-Forwarded-Proto inside <Files>", conf: edit(t, proto, within(`Files "index.html"`, proto)), rule: RuleDirectoryHeaderNotProxied, line: 10},
		{name: "X-Forwarded-Proto inside <FilesMatch>", conf: edit(t, proto, within(`FilesMatch "\.php$"`, proto)), rule: RuleDirectoryHeaderNotProxied, line: 10},
		{name: "an <If> inside <Directory> goes with it", conf: edit(t, proto, within(`Directory "/var/www"`, within(`If "%{HTTPS} != 'on'"`, proto))), rule: RuleDirectoryHeaderNotProxied, line: 11},
		{name: "a main-server <Directory> is not applied to the virtual host's ProxyPass requests", conf: within(`Directory "/var/www"`, proto) + good, rule: RuleDirectoryHeaderNotProxied, line: 2, alone: true},
		{name: "X-Forwarded-Proto inside <Directory> is not applied to ProxyPassMatch requests", conf: strings.NewReplacer(proto, within(`Directory "/var/www"`, proto), "ProxyPass / http://127.0.0.1:5000/", "ProxyPassMatch ^/(.*)$ http://127.0.0.1:5000/$1").Replace(good), rule: RuleDirectoryHeaderNotProxied, line: 10},
		{name: "X-Forwarded-Proto inside <Directory> is not applied to a RewriteRule [P] of the virtual host", conf: strings.NewReplacer(proto, within(`Directory "/var/www"`, proto), "    ProxyPass / http://127.0.0.1:5000/ ttl=60\n", "    RewriteEngine On\n    RewriteRule ^/(.*)$ http://127.0.0.1:5000/$1 [P]\n").Replace(good), rule: RuleDirectoryHeaderNotProxied, line: 10},
		{name: "X-Forwarded-Proto inside <Directory> is not applied to a ProxyPass inside <Location>", conf: strings.NewReplacer(proto, within(`Directory "/var/www"`, proto), "    ProxyPass / http://127.0.0.1:5000/ ttl=60\n", within(`Location "/"`, "    ProxyPass http://127.0.0.1:5000/ ttl=60\n")).Replace(good), rule: RuleDirectoryHeaderNotProxied, line: 10},
		{name: "an https inside <Directory> does not replace the virtual host's http", conf: tls(proto, proto+within(`Directory "/var/www"`, `    RequestHeader set X-Forwarded-Proto "https"`+"\n")), rule: RuleWrongProto, line: 10},
		{name: "an http inside <Directory> of an HTTPS virtual host does not reach the app", conf: tls(proto, `    RequestHeader set X-Forwarded-Proto "https"`+"\n"+within(`Directory "/var/www"`, proto)), rule: RuleDirectoryHeaderNotProxied, line: 12, alone: true},
		{name: "an unset inside <Directory> leaves the virtual host's X-Forwarded-Proto", conf: edit(t, proto, proto+within(`Directory "/var/www"`, "    RequestHeader unset X-Forwarded-Proto\n")), rule: RuleDirectoryHeaderNotProxied, line: 11, alone: true},
		{name: "an early unset inside <Directory> is reported once, as never applied", conf: edit(t, "    RequestHeader unset X-Forwarded-For early\n", within(`Directory "/var/www"`, "    RequestHeader unset X-Forwarded-For early\n")), rule: RuleEarlyHeaderIgnored, line: 7, alone: true},

		// <Directory> applies to the requests httpd maps to a file, and
		// to those a RewriteRule [P] inside a section proxies after that;
		// <Proxy> to the requests ProxyPass takes.
		{name: "a virtual host that proxies nothing keeps its <Directory> headers", conf: good + "<VirtualHost *:80>\n    ServerName static.example.com\n" + within(`Directory "/var/www"`, proto) + "</VirtualHost>\n"},
		{name: "a header other than a forwarding one inside <Directory> is left alone", conf: edit(t, proto, proto+within(`Directory "/var/www"`, "    RequestHeader set X-Site static\n"))},
		{name: "a RewriteRule [P] inside <Directory> proxies after the directory walk", conf: edit(t, proto+"    ProxyPass / http://127.0.0.1:5000/ ttl=60\n", within(`Directory "/var/www"`, "    RewriteEngine On\n    RewriteRule ^(.*)$ http://127.0.0.1:5000/$1 [P]\n"+proto))},
		{name: "X-Forwarded-Proto inside <Proxy> applies to ProxyPass requests", conf: edit(t, proto, within(`Proxy "http://127.0.0.1:5000/"`, proto))},

		// httpd runs the early RequestHeader directives first, then the late
		// ones; the main server's before the virtual host's, and those inside
		// <Proxy>, <Location> and <If> after the others. What the app gets is
		// what the last of them leaves.
		{name: "a late unset after an early http in an HTTPS virtual host leaves no scheme", conf: tls(`RequestHeader set X-Forwarded-Proto "http"`, "RequestHeader set X-Forwarded-Proto \"http\" early\n    RequestHeader unset X-Forwarded-Proto"), rule: RuleNoForwardedProto, line: 11, alone: true},
		{name: "a late unset written before an early http runs after it", conf: tls(`RequestHeader set X-Forwarded-Proto "http"`, "RequestHeader unset X-Forwarded-Proto\n    RequestHeader set X-Forwarded-Proto \"http\" early"), rule: RuleNoForwardedProto, line: 10, alone: true},
		{name: "a late set after the late unset gives the scheme back", conf: tls(`RequestHeader set X-Forwarded-Proto "http"`, "RequestHeader set X-Forwarded-Proto \"http\" early\n    RequestHeader unset X-Forwarded-Proto\n    RequestHeader set X-Forwarded-Proto \"https\"")},
		{name: "a late unset after a late set leaves no scheme", conf: edit(t, `RequestHeader set X-Forwarded-Proto "http"`, "RequestHeader set X-Forwarded-Proto \"http\"\n    RequestHeader unset X-Forwarded-Proto"), rule: RuleNoForwardedProto, line: 10, alone: true},
		{name: "an early unset written after the set runs before it", conf: edit(t, `RequestHeader set X-Forwarded-Proto "http"`, "RequestHeader set X-Forwarded-Proto \"http\"\n    RequestHeader unset X-Forwarded-Proto early")},
		{name: "the virtual host's unset runs after the main server's set", conf: "RequestHeader set X-Forwarded-Proto \"http\"\n" + edit(t, `RequestHeader set X-Forwarded-Proto "http"`, "RequestHeader unset X-Forwarded-Proto"), rule: RuleNoForwardedProto, line: 10, alone: true},
		{name: "the main server's unset runs before the virtual host's set", conf: "RequestHeader unset X-Forwarded-Proto\n" + good},
		{name: "an http inside <Location> runs after the virtual host's https", conf: tls(`RequestHeader set X-Forwarded-Proto "http"`, "<Location />\n        RequestHeader set X-Forwarded-Proto \"http\"\n    </Location>\n    RequestHeader set X-Forwarded-Proto \"https\""), rule: RuleWrongProto, line: 11, alone: true},
		{name: "an unset with a condition leaves an early http in place", conf: tls(`RequestHeader set X-Forwarded-Proto "http"`, "RequestHeader set X-Forwarded-Proto \"http\" early\n    RequestHeader unset X-Forwarded-Proto env=NO_SCHEME"), rule: RuleWrongProto, line: 10, alone: true},
		{name: "an append after an early http keeps the http", conf: tls(`RequestHeader set X-Forwarded-Proto "http"`, "RequestHeader set X-Forwarded-Proto \"http\" early\n    RequestHeader append X-Forwarded-Proto \"https\""), rule: RuleWrongProto, line: 10, alone: true},
		{name: "an edit after an early http may replace it", conf: tls(`RequestHeader set X-Forwarded-Proto "http"`, "RequestHeader set X-Forwarded-Proto \"http\" early\n    RequestHeader edit X-Forwarded-Proto ^http$ https")},

		// Host rewritten to the upstream's.
		{name: "ProxyPreserveHost Off", conf: edit(t, "ProxyPreserveHost On", "ProxyPreserveHost Off"), rule: RulePreserveHostOff, line: 3},
		{name: "ProxyPreserveHost missing", conf: edit(t, "    ProxyPreserveHost On\n", ""), rule: RulePreserveHostOff, line: 1},
		{name: "ProxyPreserveHost inherited from the main server", conf: "ProxyPreserveHost On\n" + edit(t, "    ProxyPreserveHost On\n", "")},

		// keepalive= is not HTTP keep-alive.
		{name: "keepalive=On on ProxyPass", conf: edit(t, "ttl=60", "ttl=60 keepalive=On"), rule: RuleKeepaliveProbes, line: 10},
		{name: "keepalive=Off on a BalancerMember", conf: edit(t, "    ProxyPass / http://127.0.0.1:5000/ ttl=60\n    ProxyPassReverse / http://127.0.0.1:5000/\n",
			"    <Proxy balancer://shop>\n        BalancerMember http://127.0.0.1:5000 keepalive=Off ttl=60\n    </Proxy>\n    ProxyPass / balancer://shop/\n    ProxyPassReverse / balancer://shop/\n"), rule: RuleKeepaliveProbes, line: 11},

		// Variables nothing defines.
		{name: "undefined variable", conf: good + "ErrorLog ${APACHE_LOG_DIR}/error.log\n", rule: RuleUndefinedVariable, line: 13},
		{name: "defined variable", conf: "Define APACHE_LOG_DIR /var/log\n" + good + "ErrorLog ${APACHE_LOG_DIR}/error.log\n"},
	}
}

// Every rule has a case above or in crossCheckCases that triggers it;
// apache/syntax is TestSyntaxFinding's and apache/httpd-config-test the
// command's (it runs httpd).
func TestEveryRuleHasACase(t *testing.T) {
	covered := map[string]bool{RuleSyntax: true, RuleConfigTest: true}
	for _, tc := range append(configRuleCases(t), crossCheckCases(t)...) {
		covered[tc.rule] = true
	}
	for _, r := range Rules() {
		if !covered[r.ID] {
			t.Errorf("rule %s has no case that triggers it", r.ID)
		}
	}
}

// TestMicrosoftDocsRecipe: the widely copied recipe sets X-Forwarded-Proto
// in a <VirtualHost *:*> that never serves the proxied requests.
func TestMicrosoftDocsRecipe(t *testing.T) {
	path := filepath.Join("testdata", "check", "microsoft-docs.conf")
	loaded, err := Load([]string{path}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := Check(loaded, CheckOptions{})
	var proto *findings.Finding
	for i, f := range got {
		if f.Rule == RuleNoForwardedProto {
			proto = &got[i]
		}
	}
	if proto == nil {
		t.Fatalf("want %s, got:\n%s", RuleNoForwardedProto, list(got))
	}
	if proto.Line != 8 || !strings.Contains(proto.Message, "<VirtualHost *:*> (line 4)") || !strings.Contains(proto.Message, "does not apply") {
		t.Errorf("finding does not point at the serving vhost and name the split one: %s", proto)
	}
}

func TestEveryRuleIsInTheTable(t *testing.T) {
	ids := map[string]bool{}
	for _, r := range Rules() {
		if ids[r.ID] {
			t.Errorf("rule %s listed twice", r.ID)
		}
		ids[r.ID] = true
		if r.Summary == "" || r.Severity == 0 || !strings.HasPrefix(r.ID, "apache/") {
			t.Errorf("rule %+v lacks a summary or severity", r)
		}
	}
	for _, r := range ruleTable() {
		if r.fix == "" {
			t.Errorf("rule %s has no fix", r.id)
		}
	}
	src, err := os.ReadFile("rules.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(src), "\n") {
		if _, v, ok := strings.Cut(line, `= "apache/`); ok {
			id := "apache/" + strings.Trim(v, `"`)
			if !ids[id] {
				t.Errorf("constant for %s has no entry in ruleTable", id)
			}
		}
	}
}

// TestRulesAreDocumented: every rule ID is a heading of docs/apache.md.
func TestRulesAreDocumented(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "apache.md"))
	if err != nil {
		t.Fatal(err)
	}
	var headings []string
	for _, line := range strings.Split(string(doc), "\n") {
		if h, ok := strings.CutPrefix(line, "### "); ok {
			headings = append(headings, strings.TrimSpace(h))
		}
	}
	for _, r := range Rules() {
		if !slices.Contains(headings, r.ID) {
			t.Errorf("docs/apache.md has no heading ### %s", r.ID)
		}
	}
}

// TestSyntaxFinding: text that does not parse becomes an apache/syntax
// error at its line; a file that cannot be read stays an error.
func TestSyntaxFinding(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "site.conf")
	if err := os.WriteFile(bad, []byte("ServerName a\n<VirtualHost *:80>\n  <Location />\n  </VirtualHost>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load([]string{bad}, LoadOptions{})
	f, ok := SyntaxFinding(err)
	if !ok || f.Rule != RuleSyntax || f.Severity != findings.Error || f.File != bad || f.Line != 4 || f.Message == "" || f.Fix == "" {
		t.Errorf("SyntaxFinding(%v) = %+v, %v; want apache/syntax at %s:4", err, f, ok, bad)
	}
	// An Include of a file that does not exist is a finding at its line,
	// as one of a pattern that matches nothing: httpd refuses both.
	for i, include := range []string{"Include none.conf", "Include none.d/*.conf"} {
		site := filepath.Join(dir, fmt.Sprintf("include%d.conf", i))
		if err := os.WriteFile(site, []byte("ServerName a\n"+include+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err = Load([]string{site}, LoadOptions{})
		if f, ok := SyntaxFinding(err); !ok || f.File != site || f.Line != 2 {
			t.Errorf("%s: SyntaxFinding(%v) = %+v, %v; want apache/syntax at %s:2", include, err, f, ok, site)
		}
	}
	_, err = Load([]string{filepath.Join(dir, "none.conf")}, LoadOptions{})
	if f, ok := SyntaxFinding(err); ok || err == nil {
		t.Errorf("an unreadable file became finding %+v (err %v)", f, err)
	}
	if _, ok := SyntaxFinding(nil); ok {
		t.Error("no error became a finding")
	}
}
