package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apphost/apphost/tests/harness"
)

const nginxTestdata = "../../integration/nginx/testdata"

func TestGenNginx(t *testing.T) {
	desc := filepath.Join(nginxTestdata, "gen", "tls.yaml")
	golden, err := os.ReadFile(filepath.Join(nginxTestdata, "gen", "tls.conf"))
	if err != nil {
		t.Fatal(err)
	}

	t.Run("prints the site for the version asked", func(t *testing.T) {
		out, errOut, code := runApphost(t, "gen", "nginx", "-f", desc, "--nginx-version", "1.22")
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		// The golden file was made with version "(devel)", as this binary reports.
		if out != string(golden) {
			t.Errorf("output differs from %s:\n%s", "tls.conf", out)
		}
		if errOut != "" {
			t.Errorf("stderr %q, want nothing", errOut)
		}
	})

	t.Run("warns of an upstream written as localhost, and writes it", func(t *testing.T) {
		desc := filepath.Join(t.TempDir(), "apphost.yaml")
		if err := os.WriteFile(desc, []byte("app:\n  listen: [localhost:5000]\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		out, errOut, code := runApphost(t, "gen", "nginx", "-f", desc, "--nginx-version", "1.22")
		if code != 0 || !strings.Contains(out, "    server localhost:5000;\n") {
			t.Fatalf("exit %d, stdout:\n%s\nstderr: %s", code, out, errOut)
		}
		want := desc + ":2: warning: app.listen localhost:5000: nginx makes a server of every address localhost resolves to where it runs"
		fix := "[nginx/upstream-localhost]\n    fix: In the description's app.listen, write an IP address, such as 127.0.0.1:5000, in place of localhost:5000, and run apphost gen nginx again.\n"
		if !strings.HasPrefix(errOut, want) || !strings.HasSuffix(errOut, fix) {
			t.Errorf("stderr %q, want a warning starting %q and ending with its fix %q", errOut, want, fix)
		}
	})

	t.Run("no warning for localhost when the app listens on both loopback addresses", func(t *testing.T) {
		desc := filepath.Join(t.TempDir(), "apphost.yaml")
		yaml := "app:\n  listen: [127.0.0.1:5000, \"[::1]:5000\"]\nproxy:\n  upstreams: [localhost:5000]\n"
		if err := os.WriteFile(desc, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		out, errOut, code := runApphost(t, "gen", "nginx", "-f", desc, "--nginx-version", "1.22")
		if code != 0 || !strings.Contains(out, "    server localhost:5000") || errOut != "" {
			t.Errorf("exit %d, stderr %q (want nothing), stdout:\n%s", code, errOut, out)
		}
	})

	t.Run("http2 syntax follows --nginx-version", func(t *testing.T) {
		out, _, _ := runApphost(t, "gen", "nginx", "-f", desc, "--nginx-version", "1.25.1")
		if !strings.Contains(out, "    http2 on;\n") || strings.Contains(out, "ssl http2") {
			t.Errorf("1.25.1 output lacks \"http2 on;\" or keeps \"listen … http2\":\n%s", out)
		}
	})

	t.Run("writes into a directory and keeps a different file without --force", func(t *testing.T) {
		dir := t.TempDir()
		if _, errOut, code := runApphost(t, "gen", "nginx", "-f", desc, "--nginx-version", "1.22", "-o", dir); code != 0 {
			t.Fatalf("exit %d: %s", code, errOut)
		}
		path := filepath.Join(dir, "shop.conf")
		if got, _ := os.ReadFile(path); !bytes.Equal(got, golden) {
			t.Fatalf("%s differs from the golden file", path)
		}
		if err := os.WriteFile(path, []byte("# edited\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, errOut, code := runApphost(t, "gen", "nginx", "-f", desc, "--nginx-version", "1.22", "-o", dir)
		if code != 2 || !strings.Contains(errOut, "--force") {
			t.Errorf("exit %d, stderr %q; want 2 naming --force", code, errOut)
		}
		if got, _ := os.ReadFile(path); string(got) != "# edited\n" {
			t.Error("the edited file was overwritten without --force")
		}
		if _, errOut, code := runApphost(t, "gen", "nginx", "-f", desc, "--nginx-version", "1.22", "-o", dir, "--force"); code != 0 {
			t.Fatalf("--force: exit %d: %s", code, errOut)
		}
		if got, _ := os.ReadFile(path); !bytes.Equal(got, golden) {
			t.Error("--force did not rewrite the file")
		}
	})

	t.Run("a bad version is a usage error", func(t *testing.T) {
		_, errOut, code := runApphost(t, "gen", "nginx", "-f", desc, "--nginx-version", "latest")
		if code != 2 || !strings.Contains(errOut, `"latest"`) {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})

	t.Run("a bad description names file and line", func(t *testing.T) {
		bad := filepath.Join(t.TempDir(), "apphost.yaml")
		if err := os.WriteFile(bad, []byte("proxy:\n  path_prefix: shop/\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, errOut, code := runApphost(t, "gen", "nginx", "-f", bad)
		if code != 2 || !strings.Contains(errOut, bad+":2") {
			t.Errorf("exit %d, stderr %q; want 2 naming %s:2", code, errOut, bad)
		}
	})
}

func TestCheckNginx(t *testing.T) {
	rules := filepath.Join(nginxTestdata, "rules")
	recipe := filepath.Join(nginxTestdata, "real", "microsoft-docs-recipe.conf")
	for _, tc := range []struct {
		name string
		args []string
		code int
		want string // in stdout
	}{
		{"warnings fail at the default threshold", []string{recipe}, 1, "[nginx/no-upstream-keepalive]"},
		{"warnings pass with --fail-on error", []string{recipe, "--fail-on", "error"}, 0, "0 error(s), 2 warning(s)"},
		{"a clean file passes", []string{filepath.Join(rules, "no-forwarded-proto.fixed.conf")}, 0, "0 error(s), 0 warning(s), 0 info"},
		{"errors fail", []string{filepath.Join(rules, "alias-traversal.conf"), "--fail-on", "error"}, 1, "alias-traversal.conf:5: error:"},
		{"cross-checks with -f", []string{filepath.Join(rules, "admin-proxied.conf"), "-f", filepath.Join(rules, "app.yaml")}, 1, "[nginx/admin-proxied]"},
		{"several files", []string{recipe, filepath.Join(rules, "alias-traversal.conf")}, 1, "1 error(s), 2 warning(s)"},
		{"an unreadable file is exit 2", []string{filepath.Join(rules, "none.conf")}, 2, ""},
		{"an unknown format is exit 2", []string{recipe, "--format", "xml"}, 2, ""},
		{"no file is exit 2", nil, 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := runApphost(t, append([]string{"check", "nginx"}, tc.args...)...)
			if code != tc.code || !strings.Contains(out, tc.want) {
				t.Errorf("exit %d (want %d), stdout:\n%s\nstderr: %s", code, tc.code, out, errOut)
			}
		})
	}

	t.Run("json", func(t *testing.T) {
		out, _, code := runApphost(t, "check", "nginx", "--format", "json", recipe)
		var list []map[string]any
		if err := json.Unmarshal([]byte(out), &list); err != nil || code != 1 {
			t.Fatalf("exit %d, %v:\n%s", code, err, out)
		}
		if len(list) != 2 || list[0]["rule"] != "nginx/no-upstream-keepalive" || list[0]["severity"] != "warning" || list[0]["line"] != float64(7) || list[0]["file"] != recipe {
			t.Errorf("json findings: %v", list)
		}
	})

	t.Run("sarif", func(t *testing.T) {
		out, _, _ := runApphost(t, "check", "nginx", "--format", "sarif", recipe)
		var doc struct {
			Version string `json:"version"`
			Runs    []struct {
				Tool struct {
					Driver struct {
						Rules []struct {
							ID      string `json:"id"`
							HelpURI string `json:"helpUri"`
						} `json:"rules"`
					} `json:"driver"`
				} `json:"tool"`
				Results []struct {
					RuleID string `json:"ruleId"`
				} `json:"results"`
			} `json:"runs"`
		}
		if err := json.Unmarshal([]byte(out), &doc); err != nil {
			t.Fatalf("%v:\n%s", err, out)
		}
		if doc.Version != "2.1.0" || len(doc.Runs) != 1 || len(doc.Runs[0].Results) != 2 {
			t.Fatalf("sarif: %s", out)
		}
		found := false
		for _, r := range doc.Runs[0].Tool.Driver.Rules {
			if r.ID == "nginx/edge-appends-forwarded-for" && strings.HasSuffix(r.HelpURI, "docs/nginx.md#nginxedge-appends-forwarded-for") {
				found = true
			}
		}
		if !found {
			t.Errorf("rule table lacks nginx/edge-appends-forwarded-for with its help link")
		}
	})

	t.Run("--nginx-test", func(t *testing.T) {
		harness.RequireProgram(t, "nginx")
		out, errOut, code := runApphost(t, "check", "nginx", "--nginx-test", filepath.Join(nginxTestdata, "real", "debian-default"))
		if code != 0 || !strings.Contains(out, "nginx -t accepted the configuration") {
			t.Errorf("exit %d, stdout:\n%s\nstderr: %s", code, out, errOut)
		}
	})
}
