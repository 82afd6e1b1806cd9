package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/host"
	"github.com/apphost/apphost/supervisor"
)

// Every flag of `apphost supervise` is in its --help, with the key it
// overrides described.
func TestSuperviseHelpListsEveryFlag(t *testing.T) {
	root := newRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"supervise", "--help"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, f := range superviseFlags {
		if !strings.Contains(out.String(), "--"+f.Name) {
			t.Errorf("--help does not list --%s", f.Name)
		}
		if err := config.Default().Set("test", f.Key, "x"); err != nil && strings.Contains(err.Error(), "no such setting") {
			t.Errorf("--%s overrides %s, which is not a key of the description", f.Name, f.Key)
		}
	}
	if !strings.Contains(out.String(), "--file") {
		t.Error("--help does not list --file")
	}
}

// Layering: the file, then APPHOST_* variables, then flags.
func TestSuperviseFlagsOverrideTheDescription(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "apphost.yaml")
	yaml := "name: shop\napp:\n  listen: [127.0.0.1:7000]\nsupervise:\n  command: [/bin/shop]\n  restart: always\n  stop_timeout: 10s\n  backoff_initial: 2s\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("APPHOST_SUPERVISE_STOP_TIMEOUT", "20s")
	cmd, flags := superviseCommand()
	if err := cmd.ParseFlags([]string{"-f", file, "--restart", "never", "--listen", "127.0.0.1:7001", "--listen", "unix:/tmp/x.sock", "--env", "A=1", "--env", "B=2,3"}); err != nil {
		t.Fatal(err)
	}
	c, err := config.Resolve(file, os.Environ(), flags)
	if err != nil {
		t.Fatal(err)
	}
	s := c.Supervise
	if s.Restart != "never" || s.StopTimeout != 20*time.Second || s.BackoffInitial != 2*time.Second {
		t.Errorf("restart %s, stop timeout %s, backoff %s", s.Restart, s.StopTimeout, s.BackoffInitial)
	}
	if len(c.App.Listen) != 2 || c.App.Listen[1] != "unix:/tmp/x.sock" {
		t.Errorf("listen %v", c.App.Listen)
	}
	if strings.Join(s.Environment, " ") != "A=1 B=2,3" { // a comma does not split a value
		t.Errorf("environment %v", s.Environment)
	}
}

func TestSuperviseRejectsBadFlagValues(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"unknown policy", []string{"--restart", "sometimes"}, "supervise.restart"},
		{"bad duration", []string{"--stop-timeout", "soon"}, "flag --stop-timeout"},
		{"bad address", []string{"--listen", "nowhere"}, "flag --listen"},
		{"bad signal", []string{"--stop-signal", "SIGFOO"}, "SIGFOO"},
		{"hold admin not a boolean", []string{"--hold-admin=maybe"}, "flag --hold-admin: supervise.hold_admin: want true or false"},
		{"hold admin with a port variable", []string{"--hold-admin", "--port-env", "PORT"}, "supervise.hold_admin"},
		{"port variable with a unix listener", []string{"--port-env", "PORT", "--listen", "unix:/tmp/shop.sock"}, "flag --port-env: supervise.port_env: passes a port, so the first app.listen address must be host:port"},
		{"backoff max below initial", []string{"--backoff-initial", "10s", "--backoff-max", "1s"}, "supervise.backoff_max"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd, flags := superviseCommand()
			if err := cmd.ParseFlags(tt.args); err != nil {
				t.Fatal(err)
			}
			_, err := config.Resolve("", os.Environ(), flags)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want one naming %s", err, tt.want)
			}
		})
	}
}

// superviseUsageError runs `apphost supervise args...` and requires a usage
// error (exit 2) that names want, given before any socket is bound.
func superviseUsageError(t *testing.T, want string, args ...string) {
	t.Helper()
	root := newRootCommand()
	var out strings.Builder
	root.SetErr(&out)
	root.SetArgs(append([]string{"supervise", "--listen", "127.0.0.1:0", "--admin-listen", "off"}, args...))
	err := root.Execute()
	var ec exitCoder
	if err == nil || asExitCoder(err, &ec) {
		t.Fatalf("%q: err = %v, want a usage error (exit 2)", args, err)
	}
	if !strings.Contains(err.Error(), want) {
		t.Errorf("%q: the error does not name %s: %v", args, want, err)
	}
	if strings.Contains(out.String(), "holding a socket") {
		t.Errorf("%q: a socket was bound before the checks:\n%s", args, out.String())
	}
}

// A command given after -- is checked as one from the description (here
// the supervisor's admin address would be the app's, or the program is a
// directory), and settings the supervisor cannot use, or no command at
// all, are usage errors, all before any socket is bound.
func TestSuperviseChecksTheCommandLine(t *testing.T) {
	superviseUsageError(t, "supervise.admin_listen", "--admin-listen", "127.0.0.1:9464", "--", "/bin/true")
	superviseUsageError(t, "supervise.command", "--", "/usr/bin/")
	superviseUsageError(t, "log file", "--log-file", "/no/such/dir/app.log", "--", "/bin/true")
	superviseUsageError(t, "no command to supervise")
}

// A program that does not exist is a usage error (exit 2), named where it
// was given, and refused before any socket is bound.
func TestSuperviseRefusesAMissingProgram(t *testing.T) {
	superviseUsageError(t, `supervise.command: command "/no/such/program"`, "--", "/no/such/program")
	superviseUsageError(t, `supervise.command: command "no-such-program-anywhere"`, "--", "no-such-program-anywhere")
	// A relative program is looked for in the working directory.
	dir := t.TempDir()
	superviseUsageError(t, `supervise.command: command "./shop"`, "--working-directory", dir, "--", "./shop")
	// One from the description is placed at its line.
	file := filepath.Join(dir, "apphost.yaml")
	if err := os.WriteFile(file, []byte("name: shop\nsupervise:\n  command: [/no/such/program]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	superviseUsageError(t, file+`:3:12: supervise.command: command "/no/such/program"`, "-f", file)
}

// The command after -- replaces supervise.command before the description
// is checked, once: a command in the file that it replaces is not
// checked, and an error about the command names where it was given.
func TestSuperviseCommandLineReplacesTheDescriptionsCommand(t *testing.T) {
	file := filepath.Join(t.TempDir(), "apphost.yaml")
	if err := os.WriteFile(file, []byte("name: shop\nsupervise:\n  command: [/usr/bin/]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The file's command alone is refused; replaced, only the one given
	// counts, here a program that does not exist.
	superviseUsageError(t, "supervise.command: the first element is the program to run", "-f", file)
	superviseUsageError(t, `the command after --: supervise.command: command "/no/such/program"`, "-f", file, "--", "/no/such/program")
	// An error about the command given points at it, not at the file.
	superviseUsageError(t, `the command after --: supervise.command: the first element is the program to run, such as /usr/local/bin/shop; "/bin/" names none`, "-f", file, "--", "/bin/")
}

// A working directory that does not exist, or is a file, is a usage error
// (exit 2), named, and refused before any socket is bound.
func TestSuperviseRefusesAMissingWorkingDirectory(t *testing.T) {
	dir := t.TempDir()
	superviseUsageError(t, "supervise.working_directory: working directory", "--working-directory", filepath.Join(dir, "gone"), "--", "/bin/true")
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	superviseUsageError(t, "supervise.working_directory: working directory "+file+" is not a directory", "--working-directory", file, "--", "/bin/true")
}

func TestGenSystemdWritesBothUnits(t *testing.T) {
	root := newRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetArgs([]string{"gen", "systemd", "-f", "../../deploy/apphost.yaml", "--apphost", "/opt/bin/apphost"})
	if err := root.Execute(); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"==> shop.socket <==", "==> shop.service <==", "ExecStart=/opt/bin/apphost supervise -f /etc/apphost/shop.yaml -- /usr/local/bin/shop", "Type=notify"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// --hold-admin alone means true; the admin socket is bound from
// app.admin_listen, unless systemd already passed one by that name.
func TestHoldAdmin(t *testing.T) {
	cmd, flags := superviseCommand()
	if err := cmd.ParseFlags([]string{"--hold-admin"}); err != nil {
		t.Fatal(err)
	}
	c, err := config.Resolve("", os.Environ(), flags)
	if err != nil {
		t.Fatal(err)
	}
	if !c.Supervise.HoldAdmin {
		t.Fatal("--hold-admin did not set supervise.hold_admin")
	}
	c.App.AdminListen = "127.0.0.1:0"
	held, err := holdAdmin(c, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer supervisor.CloseSockets(held)
	if len(held) != 1 || held[0].Name != host.AdminSocketName {
		t.Fatalf("held %+v, want one socket named %s", held, host.AdminSocketName)
	}
	passed := []supervisor.Socket{{Name: "shop"}, {Name: host.AdminSocketName}}
	if more, err := holdAdmin(c, passed); err != nil || len(more) != 0 {
		t.Errorf("with an admin socket from systemd: %v, %v; want nothing more", more, err)
	}
	// The address taken by another process: an error naming the setting.
	c.App.AdminListen = config.Address(held[0].Addr)
	if _, err := holdAdmin(c, nil); err == nil || !strings.Contains(err.Error(), "app.admin_listen (supervise.hold_admin)") {
		t.Errorf("admin address in use: %v", err)
	}
}

// docs/configuration.md gives every flag of `apphost supervise` on the row
// of the key it overrides.
func TestSuperviseFlagsAreDocumented(t *testing.T) {
	data, err := os.ReadFile("../../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range superviseFlags {
		if !strings.Contains(string(data), "| `"+f.Key+"` | `"+config.EnvName(f.Key)+"` | `--"+f.Name+"`") {
			t.Errorf("docs/configuration.md does not give --%s on the row of %s", f.Name, f.Key)
		}
	}
}
