package nginx_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/apphost/apphost/integration/findings"
	"github.com/apphost/apphost/integration/nginx"
	"github.com/apphost/apphost/tests/harness"
)

// A site file cut short is still read as a site: its one finding is the
// syntax error at the file's end, not a context error for every directive
// in it. A main configuration cut short is read as one. (Like nginx,
// the end of a file that ends with a newline is on the line after it.)
func TestCutShortFileIsOneSyntaxError(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		line       int
	}{
		{"site", "server {\n    listen 80;\n    location / {\n", 4},
		{"a stray brace at the end of a site", "server {\n    listen 80;\n}\n}\n", 4},
		{"main", "events {}\nhttp {\n    server {\n        listen 80;\n", 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.name+".conf")
			if err := os.WriteFile(path, []byte(tc.text), 0o600); err != nil {
				t.Fatal(err)
			}
			_, list, err := nginx.Read(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 1 || list[0].Rule != nginx.RuleSyntax || list[0].Line != tc.line || list[0].File != path {
				t.Fatalf("findings %+v, want one %s at %s:%d", list, nginx.RuleSyntax, path, tc.line)
			}
		})
	}
}

// A stray "}" anywhere in a site file closes nginx's http {} early: nginx
// -t refuses it at its line, and so does Read, without an error for each
// directive after it.
func TestStrayBraceInASiteIsOneSyntaxError(t *testing.T) {
	for _, tc := range []struct {
		name, text string
		line       int
	}{
		{"mid-file", "server {\n    listen 80;\n}\n}\nserver {\n    listen 81;\n}\n", 4},
		{"after a quoted brace", "server {\n    listen 80;\n    return 200 \"}\";\n} }\nupstream app {\n    server 127.0.0.1:5000;\n}\n", 4},
		{"on the first line", "}\nserver {\n    listen 80;\n}\n", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "site.conf")
			if err := os.WriteFile(path, []byte(tc.text), 0o600); err != nil {
				t.Fatal(err)
			}
			_, list, err := nginx.Read(path)
			if err != nil {
				t.Fatal(err)
			}
			if len(list) != 1 || list[0].Rule != nginx.RuleSyntax || list[0].Line != tc.line || list[0].File != path || list[0].Message != `unexpected "}"` {
				t.Fatalf("findings %+v, want one %s unexpected \"}\" at %s:%d", list, nginx.RuleSyntax, path, tc.line)
			}
			// The real nginx -t refuses the site at the same line.
			bin := harness.RequireProgram(t, "nginx")
			if f := nginxTestVerdict(t, bin, path); f.Severity != findings.Error || f.Line != tc.line {
				t.Errorf("nginx -t: %+v; want an error at line %d", f, tc.line)
			}
		})
	}
}
