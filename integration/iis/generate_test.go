package iis

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apphost/apphost/config"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// descriptions loads every description in testdata/descriptions plus the
// example deployment.
func descriptions(t *testing.T) map[string]*config.Config {
	t.Helper()
	paths, err := filepath.Glob("testdata/descriptions/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	paths = append(paths, "../../deploy/apphost.yaml")
	out := map[string]*config.Config{}
	for _, p := range paths {
		c, err := config.Load(p)
		if err != nil {
			t.Fatal(err)
		}
		name := strings.TrimSuffix(filepath.Base(p), ".yaml")
		if name == "apphost" {
			name = "example"
		}
		out[name] = c
	}
	return out
}

// Every mode for every description matches its golden files, validates
// against the schema with xmllint, and passes the checker without a
// finding, cross-checked against the description it came from.
func TestGenerateGolden(t *testing.T) {
	for name, c := range descriptions(t) {
		for _, mode := range Modes() {
			t.Run(name+"/"+string(mode), func(t *testing.T) {
				files, err := Generate(c, mode)
				if err != nil {
					t.Fatal(err)
				}
				dir := filepath.Join("testdata", "golden", name, string(mode))
				for _, f := range files {
					golden(t, filepath.Join(dir, f.Name), f.Content)
				}
				if err := lint(t, WebConfig, files[0].Content); err != nil {
					t.Errorf("generated web.config does not validate:\n%v\n%s", err, files[0].Content)
				}
				doc, err := Parse(WebConfig, files[0].Content)
				if err != nil {
					t.Fatal(err)
				}
				if got := Check(doc, c); len(got) > 0 {
					t.Errorf("the checker finds fault with generated output:\n%v", got)
				}
			})
		}
	}
}

func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./integration/iis -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the generated output (rerun with -update after checking the change):\n%s", path, got)
	}
}

// What the generator refuses, it refuses with a reason naming the key.
func TestGenerateRefuses(t *testing.T) {
	cases := []struct {
		name string
		mode Mode
		edit func(c *config.Config)
		want string
	}{
		{"httpplatform without a command", ModeHTTPPlatform, func(c *config.Config) { c.Supervise.Command = nil }, "supervise.command"},
		{"ancm without a command", ModeANCM, func(c *config.Config) { c.Supervise.Command = nil }, "supervise.command"},
		{"arr to a unix socket", ModeARR, func(c *config.Config) { c.Proxy.Upstreams = []config.Address{"unix:/run/app.sock"} }, "unix socket"},
		{"arr to several instances", ModeARR, func(c *config.Config) {
			c.Proxy.Upstreams = []config.Address{"127.0.0.1:5000", "127.0.0.1:5001"}
		}, "server farm"},
		{"a control character in an argument", ModeANCM, func(c *config.Config) { c.Supervise.Command = []string{"app.exe", "a\x01b"} }, "U+0001"},
		{"invalid UTF-8 in the environment", ModeHTTPPlatform, func(c *config.Config) {
			c.Supervise.Command = []string{"app.exe"}
			c.Supervise.Environment = []string{"A=\xff"}
		}, "supervise.environment"},
		{"arr to the admin address", ModeARR, func(c *config.Config) { c.Proxy.Upstreams = []config.Address{"localhost:9464"} }, "admin"},
		{"arr to port 0", ModeARR, func(c *config.Config) { c.App.Listen = []config.Address{"127.0.0.1:0"} }, "port 0"},
		{"arr to an app reading the Forwarded header", ModeARR, func(c *config.Config) { c.Forwarded.Headers = "forwarded" }, "ARR sends X-Forwarded-For itself"},
		{"unknown mode", Mode("fastcgi"), func(*config.Config) {}, "want httpplatform, ancm or arr"},
		{"a mode not parsed first", Mode("ARR"), func(*config.Config) {}, "want httpplatform, ancm or arr"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := config.Default()
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			tc.edit(c)
			_, err := Generate(c, tc.mode)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

// Arguments survive the trip through a Windows command line.
func TestWindowsArgs(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"plain words stay bare", []string{"--port", "80"}, `--port 80`},
		{"spaces are quoted", []string{`C:\Program Files\x`}, `"C:\Program Files\x"`},
		{"an empty argument is kept", []string{""}, `""`},
		{"quotes are escaped", []string{`say "hi"`}, `"say \"hi\""`},
		{"trailing backslashes are doubled inside quotes", []string{`C:\a b\`}, `"C:\a b\\"`},
		{"backslashes before a quote are doubled", []string{`a\"b`}, `"a\\\"b"`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := windowsArgs(tc.args); got != tc.want {
				t.Errorf("windowsArgs(%q) = %s, want %s", tc.args, got, tc.want)
			}
		})
	}
}
