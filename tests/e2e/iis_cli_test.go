package e2e

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apphost/apphost/tests/harness"
)

// iisRunApphost runs the built apphost binary and returns its output and
// exit status.
func iisRunApphost(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(harness.Apphost(t), args...)
	cmd.Dir = dir
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errb.String(), code
}

func iisRepoFile(t *testing.T, rel string) string {
	t.Helper()
	p, err := filepath.Abs(filepath.Join("..", "..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// What an operator types: generate each mode into a directory, check the
// result against the same description, and see the exit codes the
// docs promise for findings and for unreadable input.
func TestIISGenerateThenCheck(t *testing.T) {
	desc := iisRepoFile(t, "deploy/apphost.yaml")
	for _, mode := range []string{"httpplatform", "ancm", "arr"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			_, stderr, code := iisRunApphost(t, dir, "gen", "iis", "--mode", mode, "-f", desc, "-o", "site")
			if code != 0 {
				t.Fatalf("gen exit %d: %s", code, stderr)
			}
			out, stderr, code := iisRunApphost(t, dir, "check", "iis", "site/web.config", "-f", desc)
			if code != 0 || !strings.Contains(out, "0 error(s), 0 warning(s)") {
				t.Fatalf("check of generated output: exit %d\n%s%s", code, out, stderr)
			}
			// Regenerating over an edited file is refused without --force.
			if err := os.WriteFile(filepath.Join(dir, "site", "web.config"), []byte("<configuration />"), 0o644); err != nil {
				t.Fatal(err)
			}
			if _, stderr, code := iisRunApphost(t, dir, "gen", "iis", "--mode", mode, "-f", desc, "-o", "site"); code != 2 || !strings.Contains(stderr, "--force") {
				t.Errorf("overwrite without --force: exit %d, %s", code, stderr)
			}
		})
	}
}

func TestIISCheckExitCodes(t *testing.T) {
	dir := t.TempDir()
	rules := iisRepoFile(t, "integration/iis/testdata/rules")
	broken := filepath.Join(dir, "broken.config")
	if err := os.WriteFile(broken, []byte("<configuration>\n<system.webServer>\n<aspNetCore>\n</system.webServer>\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		args     []string
		code     int
		contains string
	}{
		{"an error finding fails", []string{"check", "iis", rules + "/inprocess-non-dotnet/trigger.config"}, 1, "[iis/inprocess-non-dotnet]"},
		{"a warning fails by default", []string{"check", "iis", rules + "/stdout-log-enabled/trigger.config"}, 1, "warning:"},
		{"a warning passes with --fail-on error", []string{"check", "iis", "--fail-on", "error", rules + "/stdout-log-enabled/trigger.config"}, 0, "1 warning(s)"},
		{"cross-checks need -f", []string{"check", "iis", rules + "/body-limit-mismatch/trigger.config"}, 0, "0 error(s)"},
		{"with -f the body limit is compared", []string{"check", "iis", "-f", rules + "/apphost.yaml", rules + "/body-limit-mismatch/trigger.config"}, 1, "[iis/body-limit-mismatch]"},
		{"broken XML names file and line", []string{"check", "iis", broken}, 2, broken + ":4:"},
		{"a missing file", []string{"check", "iis", filepath.Join(dir, "nope.config")}, 2, "nope.config"},
		{"an unknown format", []string{"check", "iis", "--format", "xml", broken}, 2, "format"},
		{"gen without a mode", []string{"gen", "iis", "-f", iisRepoFile(t, "deploy/apphost.yaml")}, 2, "mode"},
		{"gen with an unknown mode", []string{"gen", "iis", "--mode", "fastcgi", "-f", iisRepoFile(t, "deploy/apphost.yaml")}, 2, "want httpplatform, ancm or arr"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, stderr, code := iisRunApphost(t, dir, tc.args...)
			if code != tc.code || !strings.Contains(out+stderr, tc.contains) {
				t.Errorf("exit %d (want %d), output lacks %q:\n%s%s", code, tc.code, tc.contains, out, stderr)
			}
		})
	}
}

func TestIISCheckJSON(t *testing.T) {
	rules := iisRepoFile(t, "integration/iis/testdata/rules")
	out, stderr, code := iisRunApphost(t, t.TempDir(), "check", "iis", "--format", "json", rules+"/value-out-of-range/trigger.config")
	if code != 1 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var list []map[string]any
	if err := json.Unmarshal([]byte(out), &list); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(list) != 1 || list[0]["rule"] != "iis/value-out-of-range" || list[0]["line"] != float64(7) {
		t.Errorf("got %s", out)
	}
}
