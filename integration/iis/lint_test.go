package iis

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apphost/apphost/tests/harness"
)

// lint validates content against the schema with the real xmllint.
func lint(t *testing.T, name string, content []byte) error {
	t.Helper()
	xmllint := harness.RequireProgram(t, "xmllint")
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return Lint(context.Background(), xmllint, p)
}

// The schema must reject what IIS rejects, or validating generated files
// against it proves nothing.
func TestSchemaRejectsWhatIISRejects(t *testing.T) {
	cases := []struct {
		name, section string
	}{
		{"startupTimeLimit above 3600", `<httpPlatform processPath="app.exe" startupTimeLimit="3601" />`},
		{"shutdownTimeLimit above 600", `<aspNetCore processPath="app.exe" shutdownTimeLimit="601" />`},
		{"rapidFailsPerMinute above 100", `<aspNetCore processPath="app.exe" rapidFailsPerMinute="101" />`},
		{"requestTimeout not hh:mm:ss", `<aspNetCore processPath="app.exe" requestTimeout="120" />`},
		{"unknown aspNetCore attribute", `<aspNetCore processPath="app.exe" startupTimeout="10" />`},
		{"missing processPath", `<httpPlatform arguments="-v" />`},
		{"maxAllowedContentLength above uint32", `<security><requestFiltering><requestLimits maxAllowedContentLength="4294967296" /></requestFiltering></security>`},
		{"boolean that is not true or false", `<httpPlatform processPath="app.exe" stdoutLogEnabled="yes" />`},
		{"unknown element in a rule", `<rewrite><rules><rule name="r"><match url=".*" /><target url="x" /></rule></rules></rewrite>`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := `<?xml version="1.0"?><configuration><system.webServer>` + tc.section + `</system.webServer></configuration>`
			err := lint(t, "web.config", []byte(doc))
			if err == nil {
				t.Fatalf("the schema accepted\n%s", doc)
			}
			if !strings.Contains(err.Error(), "web.config:1") {
				t.Errorf("xmllint's message names no file and line: %v", err)
			}
		})
	}
}

// The rule fixtures agree with the schema: every web.config that clears
// a rule is valid IIS configuration, and every one that triggers a rule
// about IIS's own schema is invalid to xmllint too.
func TestRuleFixturesAgainstSchema(t *testing.T) {
	schemaRules := map[string]bool{
		RuleUnknownElement: true, RuleUnknownAttribute: true, RuleInvalidValue: true,
		RuleValueOutOfRange: true, RuleMissingProcessPath: true,
	}
	for _, rule := range Rules() {
		t.Run(rule.ID, func(t *testing.T) {
			dir := filepath.Join("testdata", "rules", strings.TrimPrefix(rule.ID, "iis/"))
			clear, err := os.ReadFile(filepath.Join(dir, "clear.config"))
			if err != nil {
				t.Fatal(err)
			}
			if err := lint(t, "clear.config", clear); err != nil {
				t.Errorf("clear.config does not validate: %v", err)
			}
			if !schemaRules[rule.ID] {
				return
			}
			trigger, err := os.ReadFile(filepath.Join(dir, "trigger.config"))
			if err != nil {
				t.Fatal(err)
			}
			if err := lint(t, "trigger.config", trigger); err == nil {
				t.Errorf("trigger.config validates, but %s says IIS rejects it", rule.ID)
			}
		})
	}
}
