package nginx_test

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/integration/findings"
	"github.com/apphost/apphost/integration/nginx"
)

// ruleCase is one rule's proof: file (under testdata/rules) triggers the
// rule at lines; the fixed file has no finding at all. desc, when set, is
// the description the file is cross-checked against.
type ruleCase struct {
	// name tells cases of one rule apart; "" is the rule's name.
	name  string
	rule  string
	file  string
	desc  string
	lines []int
	fixed string
}

func ruleCases() []ruleCase {
	return []ruleCase{
		// What nginx itself would refuse.
		{rule: nginx.RuleSyntax, file: "syntax.conf", lines: []int{4}, fixed: "syntax.fixed.conf"},
		{rule: nginx.RuleUnknownDirective, file: "unknown-directive.conf", lines: []int{3}, fixed: "unknown-directive.fixed.conf"},
		{rule: nginx.RuleDirectiveContext, file: "directive-context.conf", lines: []int{3, 4}, fixed: "directive-context.fixed.conf"},
		{rule: nginx.RuleIncludeMissing, file: "include-missing.conf", lines: []int{3}, fixed: "include-missing.fixed.conf"},

		// What the app is told about the client.
		{rule: nginx.RuleNoForwardedProto, file: "no-forwarded-proto.conf", lines: []int{9}, fixed: "no-forwarded-proto.fixed.conf"},
		{rule: nginx.RuleNoClientAddress, file: "no-client-address.conf", lines: []int{9}, fixed: "no-client-address.fixed.conf"},
		{rule: nginx.RuleHostFromHTTPHost, file: "host-from-http-host.conf", lines: []int{15}, fixed: "host-from-http-host.fixed.conf"},
		{rule: nginx.RuleEdgeAppendsForwarded, file: "edge-appends-forwarded-for.conf", lines: []int{13}, fixed: "edge-appends-forwarded-for.fixed.conf"},
		{name: "edge-appends-forwarded-for/app-reads-two-hops", rule: nginx.RuleEdgeAppendsForwarded, file: "edge-appends-forwarded-for.conf", desc: "app-two-hops.yaml", lines: []int{13}, fixed: "crosscheck.fixed.conf"},

		// Connection reuse.
		{rule: nginx.RuleKeepaliveNoHTTP11, file: "keepalive-without-http11.conf", lines: []int{9}, fixed: "keepalive-without-http11.fixed.conf"},
		{name: "keepalive-without-http11/map-sends-close", rule: nginx.RuleKeepaliveNoHTTP11, file: "keepalive-map-close.conf", lines: []int{3}, fixed: "websocket-no-upgrade.fixed.conf"},
		{name: "keepalive-without-http11/client-connection", rule: nginx.RuleKeepaliveNoHTTP11, file: "keepalive-client-connection.conf", lines: []int{3, 17}, fixed: "websocket-no-upgrade.fixed.conf"},
		{rule: nginx.RuleNoUpstreamKeepalive, file: "no-upstream-keepalive.conf", lines: []int{5}, fixed: "no-upstream-keepalive.fixed.conf"},

		// Inheritance that silently drops headers.
		{rule: nginx.RuleProxySetHeaderDropped, file: "proxy-set-header-dropped.conf", lines: []int{18}, fixed: "proxy-set-header-dropped.fixed.conf"},
		{rule: nginx.RuleAddHeaderDropped, file: "add-header-dropped.conf", lines: []int{8}, fixed: "add-header-dropped.fixed.conf"},

		// Attacks: traversal, SSRF, header injection, stale DNS.
		{rule: nginx.RuleAliasTraversal, file: "alias-traversal.conf", lines: []int{5}, fixed: "alias-traversal.fixed.conf"},
		{rule: nginx.RuleProxyPassVariable, file: "proxy-pass-request-variable.conf", lines: []int{17}, fixed: "proxy-pass-request-variable.fixed.conf"},
		{rule: nginx.RuleHeaderCRLF, file: "header-crlf.conf", lines: []int{5, 8}, fixed: "header-crlf.fixed.conf"},
		{rule: nginx.RuleStaticDNS, file: "proxy-pass-static-dns.conf", lines: []int{5}, fixed: "proxy-pass-static-dns.fixed.conf"},

		// Cross-checks against the description.
		{rule: nginx.RuleUpstreamMismatch, file: "upstream-mismatch.conf", desc: "app.yaml", lines: []int{2}, fixed: "crosscheck.fixed.conf"},
		{name: "upstream-mismatch/other-loopback-address", rule: nginx.RuleUpstreamMismatch, file: "upstream-mismatch-other-loopback.conf", desc: "app.yaml", lines: []int{2}, fixed: "crosscheck.fixed.conf"},
		{rule: nginx.RuleUpstreamLocalhost, file: "upstream-localhost.conf", desc: "app.yaml", lines: []int{2}, fixed: "crosscheck.fixed.conf"},
		{name: "upstream-mismatch/ipv6-loopback", rule: nginx.RuleUpstreamMismatch, file: "upstream-mismatch-ipv6-loopback.conf", desc: "app.yaml", lines: []int{2}, fixed: "crosscheck.fixed.conf"},
		{rule: nginx.RuleAppNotProxied, file: "app-not-proxied.conf", desc: "app.yaml", lines: []int{0}, fixed: "crosscheck.fixed.conf"},
		{rule: nginx.RuleAdminProxied, file: "admin-proxied.conf", desc: "app.yaml", lines: []int{18}, fixed: "crosscheck.fixed.conf"},
		{name: "admin-proxied/localhost", rule: nginx.RuleAdminProxied, file: "admin-proxied-localhost.conf", desc: "app.yaml", lines: []int{18}, fixed: "crosscheck.fixed.conf"},
		{name: "admin-proxied/supervisor", rule: nginx.RuleAdminProxied, file: "admin-proxied-supervisor.conf", desc: "app-supervised.yaml", lines: []int{18}, fixed: "crosscheck.fixed.conf"},
		{name: "upstream-mismatch/supervisor-not-used", rule: nginx.RuleUpstreamMismatch, file: "admin-proxied-supervisor.conf", desc: "app.yaml", lines: []int{18}, fixed: "crosscheck.fixed.conf"},
		{rule: nginx.RuleBodySizeMismatch, file: "body-size-mismatch.conf", desc: "app.yaml", lines: []int{8}, fixed: "crosscheck.fixed.conf"},
		{rule: nginx.RuleReadTimeoutShort, file: "proxy-read-timeout-short.conf", desc: "app.yaml", lines: []int{9}, fixed: "crosscheck.fixed.conf"},
		{rule: nginx.RuleUpstreamKeepaliveTimeout, file: "upstream-keepalive-timeout.conf", desc: "app.yaml", lines: []int{4}, fixed: "crosscheck.fixed.conf"},
		{rule: nginx.RulePrefixNotForwarded, file: "prefix-not-forwarded.conf", desc: "app-prefix.yaml", lines: []int{10}, fixed: "prefix-not-forwarded.fixed.conf"},
		{rule: nginx.RuleWebsocketNoUpgrade, file: "websocket-no-upgrade.conf", desc: "app-websockets.yaml", lines: []int{10}, fixed: "websocket-no-upgrade.fixed.conf"},
	}
}

func checkFile(t *testing.T, file, desc string) []findings.Finding {
	t.Helper()
	var opts nginx.CheckOptions
	if desc != "" {
		c, err := config.Load(filepath.Join("testdata/rules", desc))
		if err != nil {
			t.Fatal(err)
		}
		opts.Description = c
	}
	list, err := nginx.Check(context.Background(), []string{filepath.Join("testdata/rules", file)}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func describe(list []findings.Finding) string {
	var b strings.Builder
	for _, f := range list {
		fmt.Fprintf(&b, "  %s\n", f)
	}
	return b.String()
}

// Each rule fires on its test configuration at the lines given, and its
// fixed form has no finding at all.
func TestRules(t *testing.T) {
	for _, tc := range ruleCases() {
		name := tc.name
		if name == "" {
			name = strings.TrimPrefix(tc.rule, "nginx/")
		}
		t.Run(name, func(t *testing.T) {
			list := checkFile(t, tc.file, tc.desc)
			var lines []int
			for _, f := range list {
				if f.Rule == tc.rule {
					lines = append(lines, f.Line)
					if f.Message == "" || f.Fix == "" || f.File == "" {
						t.Errorf("finding lacks message, fix or file: %+v", f)
					}
				}
			}
			if !slices.Equal(lines, tc.lines) {
				t.Errorf("%s: %s at lines %v, want %v; all findings:\n%s", tc.file, tc.rule, lines, tc.lines, describe(list))
			}
			if fixed := checkFile(t, tc.fixed, tc.desc); len(fixed) > 0 {
				t.Errorf("%s (the fixed form) still has findings:\n%s", tc.fixed, describe(fixed))
			}
		})
	}
}

// Every rule but the nginx -t verdict has a test configuration above.
func TestEveryRuleHasACase(t *testing.T) {
	covered := map[string]bool{nginx.RuleNginxTest: true}
	for _, tc := range ruleCases() {
		covered[tc.rule] = true
	}
	for _, r := range nginx.Rules("") {
		if !covered[r.ID] {
			t.Errorf("rule %s has no test configuration", r.ID)
		}
		if r.Summary == "" {
			t.Errorf("rule %s has no summary", r.ID)
		}
	}
}

// Without upstream keepalive a proxied loopback address also gets the cap
// the kernel's ephemeral ports put on new connections, measured there; an
// address on another machine is not measured, and a unix socket takes no
// port.
func TestNoUpstreamKeepaliveNamesThePortCap(t *testing.T) {
	for _, tc := range []struct {
		name, upstream, target string
		cap                    bool
	}{
		{"an address without an upstream block", "", "http://127.0.0.1:5000", true},
		{"an upstream without keepalive", "upstream app {\n    server 127.0.0.1:5000;\n}\n", "http://app", true},
		{"an upstream of [::1] without keepalive", "upstream app {\n    server [::1]:5000;\n}\n", "http://app", true},
		{"localhost without an upstream block", "", "http://localhost:5000", true},
		{"an address on another machine without an upstream block", "", "http://192.0.2.10:5000", false},
		{"an upstream on another machine without keepalive", "upstream app {\n    server 192.0.2.10:5000;\n}\n", "http://app", false},
		{"a unix socket without an upstream block", "", "http://unix:/run/app.sock", false},
		{"an upstream of a unix socket without keepalive", "upstream app {\n    server unix:/run/app.sock;\n}\n", "http://app", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var msgs []string
			for _, f := range checkTextFindings(t, site(tc.upstream, "        proxy_pass "+tc.target+";"), "") {
				if f.Rule == nginx.RuleNoUpstreamKeepalive {
					msgs = append(msgs, f.Message)
				}
			}
			if len(msgs) != 1 {
				t.Fatalf("%s findings: %q", nginx.RuleNoUpstreamKeepalive, msgs)
			}
			if got := strings.Contains(msgs[0], "net.ipv4.ip_local_port_range"); got != tc.cap {
				t.Errorf("message %q names the port range: %t, want %t", msgs[0], got, tc.cap)
			}
		})
	}
}

// Against a description that says localhost:5000 too, nginx does what
// the description says, and the check is quiet (apphost gen nginx warns).
// Against one that says 127.0.0.1:5000 it is the rule's case above.
func TestCrossCheckLocalhostIsTheApp(t *testing.T) {
	if list := checkFile(t, "upstream-localhost.conf", "app-localhost.yaml"); len(list) > 0 {
		t.Errorf("findings:\n%s", describe(list))
	}
}

// withListen is appYAML with the app listening on listen, a YAML list.
func withListen(t *testing.T, listen string) string {
	t.Helper()
	const old = "[127.0.0.1:5000]"
	if !strings.Contains(appYAML, old) {
		t.Fatalf("%q not in appYAML", old)
	}
	return strings.Replace(appYAML, old, listen, 1)
}

// upstream-localhost compares the servers nginx may make of localhost with
// the addresses the description gives the app: it fires when the app
// listens on one of them by IP, in an upstream or a bare proxy_pass. An
// upstream localhost:5000 reaches the app on 127.0.0.1:5000
// (config.Address.Overlaps): never upstream-mismatch or app-not-proxied,
// and, in any case, never proxy-pass-static-dns (nginx reads no DNS
// record for localhost).
func TestUpstreamLocalhost(t *testing.T) {
	const keepalive = "upstream app {\n    server SERVER;\n    keepalive 32;\n}\n"
	upstream := func(server string) string {
		return site(strings.Replace(keepalive, "SERVER", server, 1), "        proxy_pass http://app;\n        proxy_set_header Connection \"\";")
	}
	for _, tc := range []struct {
		name, conf, yaml string
		want             bool
	}{
		{"the app on 127.0.0.1", upstream("localhost:5000"), appYAML, true},
		{"the app on [::1]", upstream("localhost:5000"), withListen(t, `["[::1]:5000"]`), true},
		{"written in capitals", upstream("LOCALHOST:5000"), appYAML, true},
		{"a bare proxy_pass", site("", "        proxy_pass http://localhost:5000;"), appYAML, true},
		{"a bare proxy_pass written in capitals", site("", "        proxy_pass http://LocalHost:5000;"), appYAML, true},
		{"the app on both loopback addresses", upstream("localhost:5000"), withListen(t, `[127.0.0.1:5000, "[::1]:5000"]`), false},
		{"the app on every interface", upstream("localhost:5000"), withListen(t, `["0.0.0.0:5000"]`), false},
		{"the app on every interface, written without a host", upstream("localhost:5000"), withListen(t, `[":5000"]`), false},
		{"the description says localhost too", upstream("localhost:5000"), withListen(t, `[localhost:5000]`), false},
		{"nginx names the app's address", upstream("127.0.0.1:5000"), appYAML, false},
		{"without a description", upstream("localhost:5000"), "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			list := checkTextFindings(t, tc.conf, tc.yaml)
			got := rules(list)
			if slices.Contains(got, nginx.RuleUpstreamMismatch) || slices.Contains(got, nginx.RuleAppNotProxied) {
				t.Errorf("findings %v: localhost is the app's address", got)
			}
			if slices.Contains(got, nginx.RuleStaticDNS) {
				t.Errorf("findings %v: localhost is no DNS record", got)
			}
			if has := slices.Contains(got, nginx.RuleUpstreamLocalhost); has != tc.want {
				t.Errorf("findings %v; want %s: %t", got, nginx.RuleUpstreamLocalhost, tc.want)
			}
			for _, f := range list {
				if f.Rule != nginx.RuleUpstreamLocalhost {
					continue
				}
				if !strings.Contains(f.Message, "nginx makes a server of every address localhost resolves to where it runs (on Debian with IPv6: 127.0.0.1:5000 and [::1]:5000)") {
					t.Errorf("message %q does not say which servers nginx makes of localhost", f.Message)
				}
				if !strings.Contains(f.Fix, "proxy_pass or the upstream's server") {
					t.Errorf("fix %q does not say to correct nginx", f.Fix)
				}
			}
		})
	}
}
