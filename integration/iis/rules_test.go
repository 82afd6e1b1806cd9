package iis

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/integration/findings"
)

// checkFile parses and checks a fixture against testdata/rules/apphost.yaml.
func checkFile(t *testing.T, path string) []findings.Finding {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return checkText(t, path, data)
}

// checkText parses and checks a web.config's text against
// testdata/rules/apphost.yaml.
func checkText(t *testing.T, name string, data []byte) []findings.Finding {
	t.Helper()
	c, err := config.Load("testdata/rules/apphost.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Parse(name, data)
	if err != nil {
		t.Fatal(err)
	}
	return Check(doc, c)
}

// Every rule has a web.config that triggers it, on the line named here,
// and one that clears it without any finding at all.
func TestEveryRuleTriggersAndClears(t *testing.T) {
	lines := map[string]int{
		RuleUnknownElement:      9,
		RuleUnknownAttribute:    9,
		RuleInvalidValue:        7,
		RuleValueOutOfRange:     7,
		RuleMissingProcessPath:  7,
		RuleUnixProcessPath:     7,
		RuleInProcessNonDotnet:  7,
		RuleStdoutLogEnabled:    7,
		RuleMissingHandler:      7,
		RuleNoForwardedProto:    6,
		RuleBodyLimitMismatch:   10,
		RuleUpstreamMismatch:    11,
		RuleAdminProxied:        11,
		RuleProcessPathMismatch: 7,
	}
	for _, rule := range Rules() {
		t.Run(rule.ID, func(t *testing.T) {
			dir := filepath.Join("testdata", "rules", strings.TrimPrefix(rule.ID, "iis/"))
			var hit *findings.Finding
			got := checkFile(t, filepath.Join(dir, "trigger.config"))
			for i := range got {
				if got[i].Rule == rule.ID {
					hit = &got[i]
				}
			}
			if hit == nil {
				t.Fatalf("trigger.config did not trigger %s; findings: %v", rule.ID, got)
			}
			if hit.Severity != rule.Severity {
				t.Errorf("severity %s, but Rules() says %s", hit.Severity, rule.Severity)
			}
			if want, ok := lines[rule.ID]; !ok || hit.Line != want {
				t.Errorf("finding on line %d, want %d: %v", hit.Line, want, hit)
			}
			if hit.Message == "" || hit.Fix == "" {
				t.Errorf("finding lacks a message or a fix: %+v", hit)
			}
			if clear := checkFile(t, filepath.Join(dir, "clear.config")); len(clear) > 0 {
				t.Errorf("clear.config still has findings: %v", clear)
			}
		})
	}
}

// docs/iis.md has an entry for every rule, under a heading with its ID,
// so the HelpURI anchors resolve.
func TestEveryRuleIsDocumented(t *testing.T) {
	data, err := os.ReadFile("../../docs/iis.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, rule := range Rules() {
		heading := regexp.MustCompile(`(?m)^### ` + regexp.QuoteMeta("`"+rule.ID+"`") + `$`)
		if !heading.Match(data) {
			t.Errorf("docs/iis.md has no heading ### `%s`", rule.ID)
		}
	}
}

// Value syntax, named for the mistake each case is about.
func TestValueRules(t *testing.T) {
	cases := []struct {
		name, attrs string
		want        string // rule ID, or "" for no finding
	}{
		{"startupTimeLimit at its maximum", `startupTimeLimit="3600"`, ""},
		{"startupTimeLimit above 3600", `startupTimeLimit="3601"`, RuleValueOutOfRange},
		{"negative startupTimeLimit", `startupTimeLimit="-1"`, RuleValueOutOfRange},
		{"startupTimeLimit with a unit", `startupTimeLimit="60s"`, RuleInvalidValue},
		{"startupTimeLimit beyond 64 bits", `startupTimeLimit="99999999999999999999999"`, RuleValueOutOfRange},
		{"startupTimeLimit negative word", `startupTimeLimit="-ten"`, RuleInvalidValue},
		{"startupTimeLimit empty", `startupTimeLimit=""`, RuleInvalidValue},
		{"shutdownTimeLimit at 600", `shutdownTimeLimit="600"`, ""},
		{"shutdownTimeLimit above 600", `shutdownTimeLimit="601"`, RuleValueOutOfRange},
		{"rapidFailsPerMinute above 100", `rapidFailsPerMinute="101"`, RuleValueOutOfRange},
		{"processesPerApplication zero", `processesPerApplication="0"`, RuleValueOutOfRange},
		{"requestTimeout hh:mm:ss", `requestTimeout="00:20:00"`, ""},
		{"requestTimeout at the documented maximum", `requestTimeout="360:00:00"`, ""},
		{"requestTimeout at the maximum in days", `requestTimeout="15.00:00:00"`, ""},
		{"requestTimeout a second beyond 360 hours", `requestTimeout="360:00:01"`, RuleValueOutOfRange},
		{"requestTimeout of 360 days", `requestTimeout="360.00:00:00"`, RuleValueOutOfRange},
		{"requestTimeout in seconds", `requestTimeout="00:02:30"`, ""},
		{"requestTimeout as a number", `requestTimeout="120"`, RuleInvalidValue},
		{"requestTimeout with 24 hours after days", `requestTimeout="1.24:00:00"`, RuleInvalidValue},
		{"requestTimeout with 60 minutes", `requestTimeout="00:60:00"`, RuleInvalidValue},
		{"boolean in capitals", `stdoutLogEnabled="FALSE"`, ""},
		{"boolean as yes", `disableStartUpErrorPage="yes"`, RuleInvalidValue},
		{"hosting model in lower case", `hostingModel="outofprocess"`, ""},
		{"unknown hosting model", `hostingModel="Sidecar"`, RuleInvalidValue},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := `<configuration><system.webServer><handlers><add name="a" path="*" verb="*" modules="AspNetCoreModuleV2" /></handlers>` +
				`<aspNetCore processPath="app.exe" ` + tc.attrs + ` /></system.webServer></configuration>`
			d, err := Parse("web.config", []byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			got := Check(d, nil)
			switch {
			case tc.want == "" && len(got) > 0:
				t.Errorf("want no finding, got %v", got)
			case tc.want != "" && (len(got) != 1 || got[0].Rule != tc.want):
				t.Errorf("want one %s, got %v", tc.want, got)
			}
		})
	}
}

// The httpPlatform requestTimeout stops at 30 days and counts in whole
// minutes, as its schema says (timeSpanRange 0,2592000,60).
func TestHTTPPlatformRequestTimeout(t *testing.T) {
	cases := []struct {
		name, value, rule, mention string
	}{
		{"30 days is the maximum", "30.00:00:00", "", ""},
		{"31 days is beyond it", "31.00:00:00", RuleValueOutOfRange, "30.00:00:00"},
		{"seconds are not accepted", "00:02:30", RuleInvalidValue, "whole number of minutes"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := `<configuration><system.webServer><handlers><add name="h" path="*" verb="*" modules="httpPlatformHandler" /></handlers>` +
				`<httpPlatform processPath="app.exe" requestTimeout="` + tc.value + `" /></system.webServer></configuration>`
			d, err := Parse("web.config", []byte(doc))
			if err != nil {
				t.Fatal(err)
			}
			got := Check(d, nil)
			switch {
			case tc.rule == "" && len(got) > 0:
				t.Errorf("want no finding, got %v", got)
			case tc.rule != "" && (len(got) != 1 || got[0].Rule != tc.rule || !strings.Contains(got[0].Message, tc.mention)):
				t.Errorf("want one %s mentioning %q, got %v", tc.rule, tc.mention, got)
			}
		})
	}
}

// InProcess is fine for the .NET host, wrong for anything else.
func TestInProcessDotnetIsAllowed(t *testing.T) {
	for _, pp := range []string{"dotnet", `C:\Program Files\dotnet\dotnet.exe`, "%LAUNCHER_PATH%"} {
		doc := `<configuration><system.webServer><handlers><add name="a" path="*" verb="*" modules="AspNetCoreModuleV2" /></handlers>` +
			`<aspNetCore processPath="` + pp + `" hostingModel="InProcess" /></system.webServer></configuration>`
		d, err := Parse("web.config", []byte(doc))
		if err != nil {
			t.Fatal(err)
		}
		if got := Check(d, nil); len(got) > 0 {
			t.Errorf("processPath %q: %v", pp, got)
		}
	}
}

// A section name in the wrong case is reported; sections this package
// does not know are left alone.
func TestSectionNames(t *testing.T) {
	doc := "<configuration>\n<system.webServer>\n<aspnetcore processPath=\"a.exe\" />\n<staticContent />\n</system.webServer>\n</configuration>"
	d, err := Parse("web.config", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	got := Check(d, nil)
	if len(got) != 1 || got[0].Rule != RuleUnknownElement || got[0].Line != 3 || !strings.Contains(got[0].Fix, "<aspNetCore>") {
		t.Errorf("want one unknown-element on line 3 suggesting <aspNetCore>, got %v", got)
	}
}

// <system.webserver> is not <system.webServer>.
func TestSectionGroupCase(t *testing.T) {
	d, err := Parse("web.config", []byte("<configuration>\n<location path=\".\">\n<system.webserver />\n</location>\n</configuration>"))
	if err != nil {
		t.Fatal(err)
	}
	got := Check(d, nil)
	if len(got) != 1 || got[0].Rule != RuleUnknownElement || got[0].Line != 3 {
		t.Errorf("want one unknown-element on line 3, got %v", got)
	}
}

// A disabled rule proxies nothing, so it is not held to the proxy rules.
func TestDisabledRuleIsIgnored(t *testing.T) {
	doc := `<configuration><system.webServer><rewrite><rules><rule name="old" enabled="false">` +
		`<match url="(.*)" /><action type="Rewrite" url="http://127.0.0.1:9464/{R:1}" /></rule></rules></rewrite></system.webServer></configuration>`
	// 30MB is IIS's default body limit too, so nothing else is found.
	if got := checkText(t, "web.config", []byte(doc)); len(got) > 0 {
		t.Errorf("want no findings, got %v", got)
	}
}

// A processPath that is a Unix directory gets a fix naming an example
// program, not the directory with ".exe" appended.
func TestUnixProcessPathDirectoryHint(t *testing.T) {
	doc := `<configuration><system.webServer><httpPlatform processPath="/" /></system.webServer></configuration>`
	for _, f := range checkText(t, "web.config", []byte(doc)) {
		if f.Rule != RuleUnixProcessPath {
			continue
		}
		if !strings.Contains(f.Fix, `processPath=".\shop.exe"`) || strings.Contains(f.Fix, `/.exe`) {
			t.Errorf("fix: %s", f.Fix)
		}
		return
	}
	t.Errorf("no %s finding", RuleUnixProcessPath)
}

// A rule's target is the app, or an admin address, when it overlaps it
// (config.Address.Overlaps): localhost is 127.0.0.1, another loopback
// address is not.
func TestRewriteTargetOverlaps(t *testing.T) {
	clear, err := os.ReadFile(filepath.Join("testdata", "rules", "upstream-mismatch", "clear.config"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ target, want string }{
		{"http://localhost:5000/{R:1}", ""},
		{"http://127.0.0.1:5000/{R:1}", ""},
		{"http://localhost:9464/{R:1}", RuleAdminProxied},
		{"http://127.0.0.1:9465/{R:1}", RuleAdminProxied}, // supervise.admin_listen
		{"http://127.0.0.1:9464{UNENCODED_URL}", RuleAdminProxied},
		{"http://localhost:5000{UNENCODED_URL}", ""},
		{"http://127.0.0.2:5000{Url}", RuleUpstreamMismatch},
		{"http://127.0.0.2:5000/{R:1}", RuleUpstreamMismatch},
		{"http://[::1]:5000/{R:1}", RuleUpstreamMismatch},
	} {
		t.Run(tc.target, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "web.config")
			body := strings.Replace(string(clear), "http://localhost:5000/{R:1}", tc.target, 1)
			if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			got := checkFile(t, path)
			if tc.want == "" && len(got) > 0 || tc.want != "" && (len(got) != 1 || got[0].Rule != tc.want || got[0].Line != 11) {
				t.Errorf("findings %v, want %q on line 11", got, tc.want)
			}
		})
	}
}

// supervise.admin_listen is an admin address only when the description
// runs the supervisor (supervise.command); otherwise a rule proxying there
// reaches no address of the app.
func TestSupervisorAdminAddressNeedsTheSupervisor(t *testing.T) {
	clear, err := os.ReadFile(filepath.Join("testdata", "rules", "upstream-mismatch", "clear.config"))
	if err != nil {
		t.Fatal(err)
	}
	body := strings.Replace(string(clear), "http://localhost:5000/{R:1}", "http://127.0.0.1:9465/{R:1}", 1)
	doc, err := Parse("web.config", []byte(body))
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Load("testdata/rules/apphost.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		command []string
		want    string
	}{{c.Supervise.Command, RuleAdminProxied}, {nil, RuleUpstreamMismatch}} {
		c.Supervise.Command = tc.command
		got := Check(doc, c)
		if len(got) != 1 || got[0].Rule != tc.want {
			t.Errorf("supervise.command %q: findings %v, want %s", tc.command, got, tc.want)
		}
	}
}

// The scheme rule asks for the header the app reads: none under
// forwarded.headers "none", a Forwarded header with proto= under
// "forwarded".
func TestForwardedProtoFollowsTheFamily(t *testing.T) {
	trigger, err := os.ReadFile(filepath.Join("testdata", "rules", "rewrite-without-forwarded-proto", "trigger.config"))
	if err != nil {
		t.Fatal(err)
	}
	c, err := config.Load("testdata/rules/apphost.yaml")
	if err != nil {
		t.Fatal(err)
	}
	countProto := func(body string) int {
		doc, err := Parse("web.config", []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, f := range Check(doc, c) {
			if f.Rule == RuleNoForwardedProto {
				n++
			}
		}
		return n
	}
	c.Forwarded.Headers = "none"
	if n := countProto(string(trigger)); n != 0 {
		t.Errorf("forwarded.headers none: %d findings, want 0", n)
	}
	c.Forwarded.Headers = "forwarded"
	if n := countProto(string(trigger)); n != 1 {
		t.Errorf("forwarded.headers forwarded, no Forwarded header: %d findings, want 1", n)
	}
	withForwarded := strings.Replace(string(trigger), "<action ", `<serverVariables><set name="HTTP_FORWARDED" value="for={REMOTE_ADDR};proto=https" /></serverVariables><action `, 1)
	if withForwarded == string(trigger) {
		t.Fatal("no <action in the trigger")
	}
	if n := countProto(withForwarded); n != 0 {
		t.Errorf("forwarded.headers forwarded, Forwarded with proto=: %d findings, want 0", n)
	}
}
