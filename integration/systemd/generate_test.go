package systemd

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/tests/harness"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func describe(t *testing.T, yaml string) *config.Config {
	t.Helper()
	c := config.Default()
	if err := c.Parse("apphost.yaml", []byte(yaml)); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	return c
}

var cases = []struct {
	name string
	yaml string
	opts Options
}{
	{"tcp", "name: shop\nsupervise:\n  command: [/usr/local/bin/shop, --verbose]\n", Options{}},
	{"unix-and-wildcard", "name: api\napp:\n  listen: [\"unix:/run/api/app.sock\", \":8080\"]\n  unix_socket_mode: \"0666\"\nsupervise:\n  command: [/opt/api/bin/api]\n  stop_timeout: 50s\n  working_directory: /opt/api\n  log_file: /var/log/api/app.log\n", Options{Apphost: "/opt/apphost/apphost", Description: "/opt/api/apphost.yaml"}},
	{"direct", "name: shop\napp:\n  shutdown_timeout: 20s\nsupervise:\n  command: [\"/usr/local/bin/shop\", \"--greeting=hello world\", \"100%\"]\n", Options{Direct: true}},
	// Paths with spaces and %, which systemd reads as list separators and
	// specifiers; restart never, which systemd must not override.
	{"special-paths", "name: shop\napp:\n  listen: [\"unix:/run/shop%i/app.sock\"]\nsupervise:\n  command: [/usr/local/bin/shop]\n  restart: never\n  working_directory: \"/srv/x %n\"\n  log_file: \"/var/log/my shop/out.log\"\n", Options{}},
	{"direct-always", "name: shop\nsupervise:\n  command: [/usr/local/bin/shop]\n  restart: always\n", Options{Direct: true}},
	// A program that binds its port itself: no .socket unit, whose socket
	// would hold the port, and no ExecReload=, as it cannot be reloaded.
	{"port-env", "name: shop\nsupervise:\n  command: [/usr/local/bin/shop]\n  port_env: PORT\n", Options{}},
}

// Golden files: one directory per case under testdata/, regenerated with
// -update.
func TestGenerateGolden(t *testing.T) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			files, err := Generate(describe(t, tc.yaml), tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range files {
				golden := filepath.Join("testdata", tc.name, f.Name)
				if *update {
					os.MkdirAll(filepath.Dir(golden), 0o755)
					if err := os.WriteFile(golden, f.Content, 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("%v (run go test ./integration/systemd -update)", err)
				}
				if string(want) != string(f.Content) {
					t.Errorf("%s differs from %s (run go test ./integration/systemd -update and review the diff):\n%s", f.Name, golden, f.Content)
				}
			}
		})
	}
}

// The units are what systemd accepts: systemd-analyze verify (skipped
// where systemd is not installed, failing instead when CI is set).
func TestUnitsPassSystemdAnalyzeVerify(t *testing.T) {
	analyze := harness.RequireProgram(t, "systemd-analyze")
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := describe(t, tc.yaml)
			// verify wants the executables to exist.
			c.Supervise.Command = []string{"/bin/sleep", "infinity"}
			opts := tc.opts
			opts.Apphost = "/bin/true"
			files, err := Generate(c, opts)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			var paths []string
			for _, f := range files {
				p := filepath.Join(dir, f.Name)
				if err := os.WriteFile(p, f.Content, 0o644); err != nil {
					t.Fatal(err)
				}
				paths = append(paths, p)
			}
			cmd := exec.Command(analyze, append([]string{"verify"}, paths...)...)
			cmd.Env = append(os.Environ(), "SYSTEMD_LOG_LEVEL=warning")
			out, err := cmd.CombinedOutput()
			if err != nil || len(strings.TrimSpace(string(out))) > 0 {
				t.Errorf("systemd-analyze verify: %v\n%s", err, out)
			}
		})
	}
}

// The supervisor refuses SIGHUP under supervise.port_env, so the unit
// offers no reload there; elsewhere `systemctl reload` sends SIGHUP.
func TestGenerateWritesExecReloadOnlyWhereReloadWorks(t *testing.T) {
	for yaml, want := range map[string]bool{
		"name: shop\nsupervise:\n  command: [/bin/shop]\n":                   true,
		"name: shop\nsupervise:\n  command: [/bin/shop]\n  port_env: PORT\n": false,
	} {
		files, err := Generate(describe(t, yaml), Options{})
		if err != nil {
			t.Fatal(err)
		}
		service := string(files[len(files)-1].Content)
		if got := strings.Contains(service, "\nExecReload="); got != want {
			t.Errorf("%q: ExecReload= written %v, want %v:\n%s", yaml, got, want, service)
		}
	}
}

// Under supervise.port_env the supervisor ignores sockets systemd passes,
// and a .socket unit's would keep the application from binding its port.
func TestGenerateWritesNoSocketUnitUnderPortEnv(t *testing.T) {
	files, err := Generate(describe(t, "name: shop\nsupervise:\n  command: [/bin/shop]\n  port_env: PORT\n"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Name != "shop.service" {
		t.Fatalf("files %v, want shop.service alone", files)
	}
	if unit := string(files[0].Content); strings.Contains(unit, "shop.socket") {
		t.Errorf("the service still requires a socket unit:\n%s", unit)
	}
	files, err = Generate(describe(t, "name: shop\nsupervise:\n  command: [/bin/shop]\n  port_env: PORT\n"), Options{Direct: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 2 {
		t.Errorf("--direct: %d files, want the .socket unit too (the application takes systemd's sockets)", len(files))
	}
}

func TestGenerateErrors(t *testing.T) {
	tests := []struct {
		name string
		yaml string
		opts Options
		want string
	}{
		{"no command", "name: shop\n", Options{}, "supervise.command is not set"},
		{"relative command", "name: shop\nsupervise:\n  command: [./shop]\n", Options{}, `"./shop"`},
		{"relative apphost", "name: shop\nsupervise:\n  command: [/bin/shop]\n", Options{Apphost: "apphost"}, `"apphost"`},
		{"a newline in an argument", "name: shop\nsupervise:\n  command: [/bin/shop, \"a\\nb\"]\n", Options{}, "control character"},
		{"relative working directory", "name: shop\nsupervise:\n  command: [/bin/shop]\n  working_directory: work\n", Options{}, "supervise.working_directory \"work\": a systemd unit needs an absolute path"},
		{"relative log file", "name: shop\nsupervise:\n  command: [/bin/shop]\n  log_file: logs/shop.log\n", Options{}, "supervise.log_file"},
		{"a backslash at the end of the working directory", "name: shop\nsupervise:\n  command: [/bin/shop]\n  working_directory: '/srv/x\\'\n", Options{}, "ends in a backslash"},
		{"a newline in --apphost", "name: shop\nsupervise:\n  command: [/bin/shop]\n", Options{Apphost: "/usr/bin/apphost\nExecStartPre=/bin/evil"}, "--apphost"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Generate(describe(t, tt.yaml), tt.opts)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one containing %s", err, tt.want)
			}
		})
	}
}

// A description built in code, without validation, still cannot put a line
// of its own into a unit through a unix socket path.
func TestGenerateRefusesAnUnvalidatedSocketPath(t *testing.T) {
	c := describe(t, "name: shop\nsupervise:\n  command: [/bin/shop]\n")
	c.App.Listen = []config.Address{"unix:/run/shop\nExecStartPre=/bin/evil"}
	if _, err := Generate(c, Options{}); err == nil || !strings.Contains(err.Error(), "app.listen") {
		t.Errorf("err = %v, want a refusal naming app.listen", err)
	}
}

func TestExecLineQuotes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"plain words", []string{"/bin/app", "-v"}, "/bin/app -v"},
		{"space", []string{"/bin/app", "a b"}, `/bin/app "a b"`},
		{"percent is a specifier", []string{"/bin/app", "100%"}, "/bin/app 100%%"},
		{"dollar is a variable", []string{"/bin/app", "$HOME"}, `/bin/app "$$HOME"`},
		{"quote and backslash", []string{"/bin/app", `a"b\c`}, `/bin/app "a\"b\\c"`},
		{"empty argument", []string{"/bin/app", ""}, `/bin/app ""`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := execLine(tt.args); got != tt.want {
				t.Errorf("execLine(%q) = %s, want %s", tt.args, got, tt.want)
			}
		})
	}
}
