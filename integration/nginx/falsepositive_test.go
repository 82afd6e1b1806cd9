package nginx_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/integration/findings"
	"github.com/apphost/apphost/integration/nginx"
	"github.com/apphost/apphost/tests/harness"
)

// checkText checks conf, against the description yaml when it is not
// empty, and returns the rules found.
func checkText(t *testing.T, conf, yaml string) []string {
	t.Helper()
	return rules(checkTextFindings(t, conf, yaml))
}

// checkTextFindings is checkText's findings in full.
func checkTextFindings(t *testing.T, conf, yaml string) []findings.Finding {
	t.Helper()
	dir := t.TempDir()
	site := filepath.Join(dir, "site.conf")
	if err := os.WriteFile(site, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	var opts nginx.CheckOptions
	if yaml != "" {
		desc := filepath.Join(dir, "apphost.yaml")
		if err := os.WriteFile(desc, []byte(yaml), 0o644); err != nil {
			t.Fatal(err)
		}
		c, err := config.Load(desc)
		if err != nil {
			t.Fatal(err)
		}
		opts.Description = c
	}
	list, err := nginx.Check(context.Background(), []string{site}, opts)
	if err != nil {
		t.Fatal(err)
	}
	return list
}

func rules(list []findings.Finding) []string {
	var out []string
	for _, f := range list {
		out = append(out, f.Rule)
	}
	return out
}

const appYAML = "name: app\napp:\n  listen: [127.0.0.1:5000]\nproxy:\n  server_names: [example.com]\n"

// site is a correct site for appYAML with its location's proxying lines
// replaced by location.
func site(upstream, location string) string {
	return upstream + `server {
    listen 8080;
    server_name example.com;
    client_max_body_size 30000000;
    location / {
` + location + `
        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
    }
}
`
}

// Correct configurations that users write get no finding. A direct
// proxy_pass (no upstream block) may only get the advice to keep
// connections alive.
func TestCommonCorrectConfigurations(t *testing.T) {
	const keepalive = "upstream app {\n    server 127.0.0.1:5000;\n    keepalive 32;\n}\n"
	for _, tc := range []struct{ name, conf, yaml string }{
		{"$request_uri after the address is the path", site("", `        proxy_pass http://127.0.0.1:5000$request_uri;`), appYAML},
		{"$request_uri after an upstream is the path", site(keepalive, `        proxy_pass http://app$request_uri;
        proxy_set_header Connection "";`), appYAML},
		{"${uri} after the address is the path", site("", `        proxy_pass http://127.0.0.1:5000${uri}$is_args$args;`), appYAML},
		{"upstream names match in any case", site(strings.Replace(keepalive, "upstream app", "upstream App", 1), `        proxy_pass http://APP;
        proxy_set_header Connection "";`), appYAML},
		{"the client's Connection passes an upgrade", site("", `        proxy_pass http://127.0.0.1:5000;
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $http_connection;`), appYAML + "  websockets: true\n"},
		{"a host name with variables is resolved per request", site("", `        resolver 127.0.0.53;
        proxy_pass http://app.internal:5000$request_uri;`), ""},
		{"appending at the edge to an app that reads one hop", strings.Replace(site(keepalive, `        proxy_pass http://app;
        proxy_set_header Connection "";`), "X-Forwarded-For $remote_addr", "X-Forwarded-For $proxy_add_x_forwarded_for", 1), appYAML},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			for _, r := range checkText(t, tc.conf, tc.yaml) {
				if r != nginx.RuleNoUpstreamKeepalive || strings.Contains(tc.conf, "upstream ") {
					got = append(got, r)
				}
			}
			if len(got) > 0 {
				t.Errorf("findings %v on:\n%s", got, tc.conf)
			}
		})
	}
}

// A path variable after the address does not hide where nginx connects.
func TestPathVariableKeepsTheCrossChecks(t *testing.T) {
	got := checkText(t, site("", `        proxy_pass http://127.0.0.1:9464$request_uri;`), appYAML)
	if !strings.Contains(strings.Join(got, " "), nginx.RuleAdminProxied) || strings.Contains(strings.Join(got, " "), nginx.RuleProxyPassVariable) {
		t.Errorf("findings %v, want %s and no %s", got, nginx.RuleAdminProxied, nginx.RuleProxyPassVariable)
	}
	// A variable in the host itself is still what the client controls.
	got = checkText(t, site("", `        proxy_pass http://$http_x_backend$request_uri;`), "")
	if !strings.Contains(strings.Join(got, " "), nginx.RuleProxyPassVariable) {
		t.Errorf("findings %v, want %s", got, nginx.RuleProxyPassVariable)
	}
}

// With -f, the cross-checks look at the servers that take one of
// proxy.server_names by nginx's rules (".example.com", "*.example.com",
// a regular expression), not at another site's.
func TestCrossChecksFindTheAppsServerByNginxRules(t *testing.T) {
	const other = `upstream blog {
    server 127.0.0.1:6000;
    keepalive 32;
}
server {
    listen 8080;
    server_name blog.test;
    location / {
        proxy_pass http://blog;
        proxy_http_version 1.1;
        proxy_set_header Connection "";
        proxy_set_header Host $host;
        proxy_set_header X-Forwarded-For $remote_addr;
        proxy_set_header X-Forwarded-Proto $scheme;
    }
}
`
	const keepalive = "upstream app {\n    server 127.0.0.1:5000;\n    keepalive 32;\n}\n"
	app := site(keepalive, `        proxy_pass http://app;
        proxy_set_header Connection "";`)
	yaml := strings.Replace(appYAML, "[example.com]", "[shop.example.com]", 1)
	for _, name := range []string{".example.com", "*.example.com", `~^(shop|www)\.example\.com$`, `~^\S+\.example\.com$`} {
		conf := strings.Replace(app, "server_name example.com;", "server_name "+name+";", 1) + other
		if got := checkText(t, conf, yaml); len(got) > 0 {
			t.Errorf("server_name %s: findings %v", name, got)
		}
	}
}

// header-crlf follows a capture to its regex: a capture of an if that
// matches $request_uri (not decoded) is safe, numbered or named, however
// the if's parentheses are spaced; a capture of $uri or of a location
// regex (decoded) is not, nor one the guarding if does not set.
func TestHeaderCRLFCaptures(t *testing.T) {
	cases := []struct {
		name, block string
		want        bool
	}{
		// Captures of $request_uri, which nginx does not decode.
		{"numbered capture of $request_uri", `if ($request_uri ~ "^/x/(.*)$") { return 301 /y/$1; }`, false},
		{"numbered capture of $request_uri, spaces inside the parentheses", `if ( $request_uri ~ ^/x/(.*)$ ) { return 301 /y/$1; }`, false},
		{"numbered capture of $request_uri, a space after the opening one", `if ( $request_uri ~* "^/x/(.*)$") { return 301 /y/$1; }`, false},
		{"named capture of $request_uri", `if ($request_uri ~ "^/x/(?<rest>.*)$") { return 301 /y/$rest; }`, false},
		{"named capture of $request_uri, Python style", `if ($request_uri ~ ^/x/(?P<rest>.*)$) { return 301 /y/$rest; }`, false},
		{"named capture of $request_uri, spaces inside the parentheses", `if ( $request_uri ~* ^/x/(?<rest>.*)$ ) { return 301 /y/$rest; }`, false},
		{"named capture of $request_uri in a header", `location /x/ { if ( $request_uri ~ ^/x/(?<rest>.*)$ ) { add_header X-Rest $rest; } }`, false},

		// Captures of decoded text: %0d%0a becomes CR LF.
		{"numbered capture of a location regex", `location ~ ^/old/(.*)$ { return 301 /new/$1; }`, true},
		{"named capture of a location regex", `location ~ ^/w/(?<rest>[^/]*) { return 302 /v/$rest; }`, true},
		{"named capture, Python style", `location ~ ^/w/(?P<rest>[^/]*) { return 302 /v/$rest; }`, true},
		{"numbered capture of $uri", `if ($uri ~ ^/x/([^/]*)) { return 301 /y/$1; }`, true},
		{"numbered capture of $uri, spaces inside the parentheses", `if ( $uri ~ ^/x/([^/]*) ) { return 301 /y/$1; }`, true},
		{"named capture of $uri", `if ($uri ~ ^/x/(?<rest>[^/]*)) { return 301 /y/$rest; }`, true},
		{"named capture of $uri, spaces inside the parentheses", `if ( $uri ~ ^/x/(?<rest>[^/]*) ) { return 301 /y/$rest; }`, true},
		{"named capture of $uri in a header", `location /x/ { if ( $uri ~ ^/x/(?<rest>[^/]*) ) { add_header X-Rest $rest; } }`, true},

		// An if on $request_uri that does not set the capture used.
		{"named capture of a location regex inside an if on $request_uri", `location ~ ^/w/(?<rest>[^/]*) { if ($request_uri ~ ^/w/(?<other>.*)) { return 302 /v/$rest; } }`, true},
		{"numbered capture inside an if on $request_uri that does not match", `location ~ ^/w/(.*)$ { if ($request_uri !~ ^/v/) { return 302 /v/$1; } }`, true},
		{"numbered capture inside an if comparing $request_uri", `location ~ ^/w/(.*)$ { if ($request_uri = /w/) { return 302 /v/$1; } }`, true},
	}
	conf := func(block string) string { return "server {\n    listen 8080;\n    " + block + "\n}\n" }
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got := checkText(t, conf(tc.block), "")
			if has := strings.Contains(strings.Join(got, " "), nginx.RuleHeaderCRLF); has != tc.want {
				t.Errorf("findings %v; want %s: %t", got, nginx.RuleHeaderCRLF, tc.want)
			}
		})
	}
	// The cases are configurations nginx accepts, spacing included.
	t.Run("nginx -t", func(t *testing.T) {
		bin := harness.RequireProgram(t, "nginx")
		for _, tc := range cases {
			requireNginxT(t, bin, writeSite(t, []byte(conf(tc.block))))
		}
	})
}

// A Debian-style site in sites-enabled/ includes files relative to the
// directory above it (proxy_params, snippets/): findings in such a file
// name the file that exists, and nginx -t accepts what the real nginx does.
func TestSiteIncludesFromTheDirectoryAbove(t *testing.T) {
	root := t.TempDir()
	if err := os.MkdirAll(filepath.Join(root, "sites-enabled"), 0o755); err != nil {
		t.Fatal(err)
	}
	params := filepath.Join(root, "proxy_params")
	if err := os.WriteFile(params, []byte("proxy_set_header Host $host;\nproxy_set_header X-Bogus;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	site := filepath.Join(root, "sites-enabled", "app.conf")
	conf := "server {\n    listen 8080;\n    location / {\n        include proxy_params;\n        proxy_pass http://127.0.0.1:5000;\n    }\n}\n"
	if err := os.WriteFile(site, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	list, err := nginx.Check(context.Background(), []string{site}, nginx.CheckOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var syntax *findings.Finding
	for i, f := range list {
		if f.Rule == nginx.RuleSyntax {
			syntax = &list[i]
		}
	}
	if syntax == nil || syntax.File != params || syntax.Line != 2 {
		t.Errorf("the syntax error in proxy_params: %+v; want %s:2", syntax, params)
	}
	bin := harness.RequireProgram(t, "nginx")
	if f := nginxTestVerdict(t, bin, site); f.Severity != findings.Error || f.File != params {
		t.Errorf("nginx -t on the broken include: %+v; want an error in %s", f, params)
	}

	// Without the error, the real nginx -t resolves the include as the
	// reader did.
	if err := os.WriteFile(params, []byte("proxy_set_header Host $host;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if f := nginxTestVerdict(t, bin, site); f.Severity != findings.Info {
		t.Errorf("nginx -t: %s", f.Message)
	}
}

// An include inside an included file is found one directory up as well, by
// the reader and by nginx -t; an include in a comment is not one.
func TestNestedIncludesFromTheDirectoryAbove(t *testing.T) {
	root := t.TempDir()
	for _, d := range []string{"sites-enabled", "snippets"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	files := map[string]string{
		"snippets/php.conf":      "include params.conf;\n",
		"params.conf":            "proxy_set_header Host $host;\n",
		"sites-enabled/app.conf": "server {\n    listen 8080;\n    # include commented/out.conf;\n    location / {\n        include snippets/php.conf;\n        proxy_pass http://127.0.0.1:5000;\n    }\n}\n",
	}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(root, name), []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	site := filepath.Join(root, "sites-enabled", "app.conf")
	tree, syntax, err := nginx.Read(site)
	if err != nil {
		t.Fatal(err)
	}
	if len(syntax) > 0 {
		t.Fatalf("syntax findings:\n%s", describe(syntax))
	}
	want := map[string]string{"snippets": filepath.Join(root, "snippets"), "params.conf": filepath.Join(root, "params.conf")}
	if len(tree.IncludeRoots) != len(want) || tree.IncludeRoots["snippets"] != want["snippets"] || tree.IncludeRoots["params.conf"] != want["params.conf"] {
		t.Errorf("include roots %v, want %v", tree.IncludeRoots, want)
	}
	bin := harness.RequireProgram(t, "nginx")
	if f := nginxTestVerdict(t, bin, site); f.Severity != findings.Info {
		t.Errorf("nginx -t: %s:%d: %s", f.File, f.Line, f.Message)
	}

	// An error in the nested include is reported in that file.
	params := filepath.Join(root, "params.conf")
	if err := os.WriteFile(params, []byte("proxy_set_header Host $host;\nproxy_set_header X-Bogus;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if f := nginxTestVerdict(t, bin, site); f.Severity != findings.Error || f.File != params || f.Line != 2 {
		t.Errorf("nginx -t on the broken nested include: %+v; want an error at %s:2", f, params)
	}
}

// nginxTestVerdict checks site with --nginx-test and returns the one
// finding of the real nginx -t.
func nginxTestVerdict(t *testing.T, bin, site string) findings.Finding {
	t.Helper()
	list, err := nginx.Check(context.Background(), []string{site}, nginx.CheckOptions{NginxTest: true, NginxBinary: bin})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(list, func(f findings.Finding) bool { return f.Rule == nginx.RuleNginxTest })
	if i < 0 {
		t.Fatalf("no %s finding:\n%s", nginx.RuleNginxTest, describe(list))
	}
	return list[i]
}
