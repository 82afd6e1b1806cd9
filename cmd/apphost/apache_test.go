package main

import (
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apphost/apphost/tests/harness"
)

// runApphost runs the built binary and returns its output and exit status.
func runApphost(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	cmd := exec.Command(harness.Apphost(t), args...)
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
	case err != nil:
		t.Fatal(err)
	}
	return out.String(), errOut.String(), code
}

func writeFile(t *testing.T, dir, name, content string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const apacheYAML = "name: shop\napp:\n  listen: [127.0.0.1:5000]\nproxy:\n  server_names: [shop.example.com]\n"

// TestGenApacheThenCheckIsClean: what gen writes, check accepts with exit 0.
func TestGenApacheThenCheckIsClean(t *testing.T) {
	dir := t.TempDir()
	desc := writeFile(t, dir, "apphost.yaml", apacheYAML)
	if _, errOut, code := runApphost(t, "gen", "apache", "-f", desc, "-o", dir); code != 0 {
		t.Fatalf("gen exit %d: %s", code, errOut)
	}
	site := filepath.Join(dir, "shop.conf")
	out, errOut, code := runApphost(t, "check", "apache", site, "-f", desc)
	if code != 0 || !strings.Contains(out, "0 error(s), 0 warning(s), 0 info") {
		t.Fatalf("check exit %d:\n%s%s", code, out, errOut)
	}
	// A second gen writes nothing new; an edited file is kept without --force.
	if err := os.WriteFile(site, []byte("# edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, errOut, code := runApphost(t, "gen", "apache", "-f", desc, "-o", dir); code != 2 || !strings.Contains(errOut, "--force") {
		t.Fatalf("gen over an edited file: exit %d, %s", code, errOut)
	}
}

func TestCheckApacheExitStatus(t *testing.T) {
	dir := t.TempDir()
	recipe, err := filepath.Abs(filepath.Join("..", "..", "integration", "apache", "testdata", "check", "microsoft-docs.conf"))
	if err != nil {
		t.Fatal(err)
	}
	open := writeFile(t, dir, "open.conf", "ProxyRequests On\n")
	broken := writeFile(t, dir, "broken.conf", "<VirtualHost *:80>\nProxyPass / http://127.0.0.1:5000/\n")
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"warnings fail at the default threshold", []string{recipe}, 1, "[apache/no-forwarded-proto]"},
		{"warnings pass with --fail-on error", []string{recipe, "--fail-on", "error"}, 0, "[apache/no-forwarded-proto]"},
		{"an open proxy is an error", []string{open, "--fail-on", "error"}, 1, "open.conf:1: error:"},
		{"a parse error is an error finding with file and line", []string{broken, "--fail-on", "error"}, 1, "broken.conf:1: error: <VirtualHost> is never closed: expected </VirtualHost> before the end of the file [apache/syntax]"},
		{"a missing file is exit 2", []string{filepath.Join(dir, "none.conf")}, 2, "none.conf"},
		{"an unknown format is exit 2", []string{recipe, "--format", "xml"}, 2, "format"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runApphost(t, append([]string{"check", "apache"}, tc.args...)...)
			if code != tc.code || !strings.Contains(out+errOut, tc.want) {
				t.Errorf("exit %d (want %d), output lacks %q:\n%s%s", code, tc.code, tc.want, out, errOut)
			}
		})
	}
}

func TestCheckApacheJSONAndSARIF(t *testing.T) {
	dir := t.TempDir()
	site := writeFile(t, dir, "site.conf", "<VirtualHost *:80>\n  ProxyPreserveHost Off\n  RequestHeader set X-Forwarded-Proto http\n  ProxyPass / http://127.0.0.1:5000/\n  ProxyPassReverse / http://127.0.0.1:5000/\n</VirtualHost>\n")
	out, _, code := runApphost(t, "check", "apache", site, "--format", "json")
	var list []struct {
		Rule string `json:"rule"`
		Line int    `json:"line"`
	}
	if err := json.Unmarshal([]byte(out), &list); err != nil || code != 1 {
		t.Fatalf("exit %d, %v:\n%s", code, err, out)
	}
	if len(list) != 1 || list[0].Rule != "apache/preserve-host-off" || list[0].Line != 2 {
		t.Errorf("findings = %+v, want preserve-host-off on line 2", list)
	}
	out, _, _ = runApphost(t, "check", "apache", site, "--format", "sarif")
	var sarif struct {
		Version string `json:"version"`
		Runs    []struct {
			Results []struct {
				RuleID string `json:"ruleId"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal([]byte(out), &sarif); err != nil || sarif.Version != "2.1.0" || len(sarif.Runs) != 1 || len(sarif.Runs[0].Results) != 1 || sarif.Runs[0].Results[0].RuleID != "apache/preserve-host-off" {
		t.Errorf("sarif: %v\n%s", err, out)
	}
}

// TestCheckApacheTest runs httpd's own check through --apache-test.
func TestCheckApacheTest(t *testing.T) {
	harness.RequireProgram(t, "apache2")
	dir := t.TempDir()
	site := writeFile(t, dir, "site.conf", "<VirtualHost *:80>\n  ServerName a\n  NoSuchDirective on\n</VirtualHost>\n")
	out, errOut, code := runApphost(t, "check", "apache", site, "--apache-test")
	if code != 1 || !strings.Contains(out, "site.conf:3: error:") || !strings.Contains(out, "NoSuchDirective") || !strings.Contains(out, "[apache/httpd-config-test]") {
		t.Errorf("exit %d:\n%s%s", code, out, errOut)
	}
	ok := writeFile(t, dir, "ok.conf", "<VirtualHost *:80>\n  ServerName a\n</VirtualHost>\n")
	if out, errOut, code := runApphost(t, "check", "apache", ok, "--apache-test"); code != 0 {
		t.Errorf("exit %d:\n%s%s", code, out, errOut)
	}
}
