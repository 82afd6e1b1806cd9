package apache

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apphost/apphost/tests/harness"
)

// writeTree writes files (relative name → content) under a temporary
// directory and returns it.
func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func names(list []*Directive) string {
	var out []string
	Walk(list, func(d *Directive, _ []*Directive) {
		out = append(out, d.Name+"@"+filepath.Base(d.File)+":"+itoa(d.Line)+strings.Join(append([]string{""}, d.Args...), " "))
	})
	return strings.Join(out, "\n")
}

func TestLoadFollowsIncludesAndDefines(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"apache2.conf": "Define APP 127.0.0.1:5000\n" +
			"IncludeOptional mods-enabled/*.load\n" +
			"IncludeOptional conf-enabled/*.conf\n" +
			"Include sites-enabled/\n" +
			"<IfDefine !NOPE>\nServerAdmin ${ADMIN}\n</IfDefine>\n" +
			"<IfDefine NOPE>\nInclude does-not-exist.conf\n</IfDefine>\n",
		"sites-enabled/b.conf": "ProxyPass / http://${APP}/\n",
		"sites-enabled/a.conf": "<VirtualHost *:80>\nInclude snippets/proxy.conf\n</VirtualHost>\n",
		"snippets/proxy.conf":  "ProxyPreserveHost On\n",
	})
	cfg, err := Load([]string{filepath.Join(dir, "apache2.conf")}, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Join([]string{
		"Define@apache2.conf:1 APP 127.0.0.1:5000",
		"IncludeOptional@apache2.conf:2 mods-enabled/*.load",
		"IncludeOptional@apache2.conf:3 conf-enabled/*.conf",
		"Include@apache2.conf:4 sites-enabled/",
		"VirtualHost@a.conf:1 *:80",
		"Include@a.conf:2 snippets/proxy.conf",
		"ProxyPreserveHost@proxy.conf:1 On",
		"ProxyPass@b.conf:1 / http://127.0.0.1:5000/",
		"IfDefine@apache2.conf:5 !NOPE",
		"ServerAdmin@apache2.conf:6 ${ADMIN}",
		"IfDefine@apache2.conf:8 NOPE",
	}, "\n")
	if got := names(cfg.Directives); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if len(cfg.Undefined) != 1 || cfg.Undefined[0].Name != "ADMIN" || cfg.Undefined[0].Line != 6 {
		t.Errorf("Undefined = %+v, want ADMIN on line 6", cfg.Undefined)
	}
	if len(cfg.Files) != 4 {
		t.Errorf("Files = %q, want the 4 files read", cfg.Files)
	}
}

func TestLoadEnvironmentAndDefines(t *testing.T) {
	dir := writeTree(t, map[string]string{"a.conf": "<IfDefine SSL>\nErrorLog ${LOG}/error.log\n</IfDefine>\n"})
	env := func(k string) (string, bool) {
		if k == "LOG" {
			return "/var/log/apache2", true
		}
		return "", false
	}
	cfg, err := Load([]string{filepath.Join(dir, "a.conf")}, LoadOptions{Defines: []string{"SSL"}, LookupEnv: env})
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Directives[0].Block[0].Arg(0); got != "/var/log/apache2/error.log" {
		t.Errorf("ErrorLog = %q", got)
	}
	if len(cfg.Undefined) != 0 {
		t.Errorf("Undefined = %+v", cfg.Undefined)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name  string
		files map[string]string
		file  string
		line  int
		want  string
	}{
		{"missing include", map[string]string{"a.conf": "ServerName a\nInclude nothere.conf\n"}, "a.conf", 2, "no such file or directory"},
		{"glob without match", map[string]string{"a.conf": "Include conf.d/*.conf\n"}, "a.conf", 1, "matches no file"},
		{"include cycle", map[string]string{"a.conf": "Include b.conf\n", "b.conf": "Include a.conf\n"}, "a.conf", 0, "includes itself"},
		{"syntax error in included file", map[string]string{"a.conf": "Include b.conf\n", "b.conf": "\n<Location />\n"}, "b.conf", 2, "never closed"},
		{"define without name", map[string]string{"a.conf": "Define\n"}, "a.conf", 1, "Define takes"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeTree(t, tc.files)
			_, err := Load([]string{filepath.Join(dir, "a.conf")}, LoadOptions{})
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want *SyntaxError", err)
			}
			if filepath.Base(se.File) != tc.file || se.Line != tc.line || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v (line %d), want %s line %d with %q", err, se.Line, tc.file, tc.line, tc.want)
			}
		})
	}
}

// TestLoadDebianApache2Conf reads the whole configuration Debian's apache2
// package installs, with the variables /etc/apache2/envvars exports, and
// finds nothing to report: no syntax error, no rule firing on a server
// that proxies nothing.
func TestLoadDebianApache2Conf(t *testing.T) {
	harness.RequireProgram(t, "apache2")
	const conf = "/etc/apache2/apache2.conf"
	if _, err := os.Stat(conf); err != nil {
		t.Skipf("%s: %v (apache2 is not Debian's)", conf, err)
	}
	env := map[string]string{
		"APACHE_RUN_USER": "www-data", "APACHE_RUN_GROUP": "www-data", "APACHE_PID_FILE": "/var/run/apache2/apache2.pid",
		"APACHE_RUN_DIR": "/var/run/apache2", "APACHE_LOCK_DIR": "/var/lock/apache2", "APACHE_LOG_DIR": "/var/log/apache2",
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	cfg, err := Load([]string{conf}, LoadOptions{LookupEnv: lookup})
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Files) < 3 {
		t.Errorf("read only %q; Include not followed", cfg.Files)
	}
	if got := Check(cfg, CheckOptions{}); len(got) != 0 {
		t.Errorf("findings on Debian's own configuration:\n%s", list(got))
	}
}

// A file that cannot be read is named with the reason the system gave;
// an Include of a missing file says so too.
func TestLoadErrorSaysWhyAFileCannotBeRead(t *testing.T) {
	dir := writeTree(t, map[string]string{"a.conf": "Include nothere.conf\n"})
	for f, want := range map[string]string{filepath.Join(dir, "a.conf"): "nothere.conf", filepath.Join(dir, "none.conf"): "cannot read"} {
		_, err := Load([]string{f}, LoadOptions{})
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "no such file or directory") {
			t.Errorf("Load(%s): %v, want %q and the reason it cannot be read", f, err, want)
		}
	}
}

// The hint to give --server-root comes only when the server root was
// guessed from the first file's directory.
func TestIncludeHintsAtServerRootOnlyWhenGuessed(t *testing.T) {
	dir := writeTree(t, map[string]string{
		"a.conf":    "Include conf-enabled/x.conf\n",
		"root.conf": "ServerRoot " + "/nonexistent-root" + "\nInclude conf-enabled/x.conf\n",
	})
	tests := []struct {
		name string
		file string
		opts LoadOptions
		hint bool
	}{
		{"root guessed", "a.conf", LoadOptions{}, true},
		{"root given", "a.conf", LoadOptions{ServerRoot: dir}, false},
		{"root set by ServerRoot", "root.conf", LoadOptions{}, false},
	}
	for _, tc := range tests {
		_, err := Load([]string{filepath.Join(dir, tc.file)}, tc.opts)
		if err == nil {
			t.Fatalf("%s: Load succeeded", tc.name)
		}
		if got := strings.Contains(err.Error(), "--server-root"); got != tc.hint {
			t.Errorf("%s: hint in %q is %v, want %v", tc.name, err, got, tc.hint)
		}
	}
}
