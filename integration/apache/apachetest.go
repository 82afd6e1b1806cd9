package apache

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/apphost/apphost/integration/findings"
)

// DebianModulesDir is where Debian's apache2 package keeps its modules.
const DebianModulesDir = "/usr/lib/apache2/modules"

// ServerRoot describes a throwaway httpd server root: a main configuration
// that loads the modules a site needs and includes it, with every file
// httpd writes kept inside Dir. It runs httpd without a system
// installation's apache2.conf and without root's help.
type ServerRoot struct {
	// Dir holds the main configuration, pid file, error log, mutexes and
	// shared memory. It must exist.
	Dir string
	// ModulesDir holds mod_*.so. Default: DebianModulesDir.
	ModulesDir string
	// Modules are a2enmod names ("proxy_http"); mpm_event and authz_core
	// are always loaded.
	Modules []string
	// Listen are Listen arguments ("127.0.0.1:8080", "8443 https").
	Listen []string
	// Include are the site files, included last.
	Include []string
	// ServerName silences httpd's guess of the machine's name. Default
	// "localhost".
	ServerName string
	// ThreadsPerChild, when not zero, is the number of worker threads of
	// each httpd process (httpd's default is 25), and no process is then
	// stopped for having too many idle threads. mpm_event closes the idle
	// keep-alive connections of a process whose threads are all busy, and
	// of a process it stops, and a load test counts those closes as read
	// errors; give each process more threads than the test has
	// connections.
	ThreadsPerChild int
}

// MainConfig returns the main configuration's text.
func (r ServerRoot) MainConfig() string {
	dir := r.ModulesDir
	if dir == "" {
		dir = DebianModulesDir
	}
	name := r.ServerName
	if name == "" {
		name = "localhost"
	}
	var b strings.Builder
	line := func(format string, a ...any) { fmt.Fprintf(&b, format+"\n", a...) }
	line("# Throwaway server root written by apphost.")
	line("ServerRoot %s", quote(r.Dir))
	line("DefaultRuntimeDir %s", quote(r.Dir))
	line("PidFile %s", quote(filepath.Join(r.Dir, "httpd.pid")))
	line("ErrorLog %s", quote(filepath.Join(r.Dir, "error.log")))
	line("LogLevel warn")
	line("Mutex file:%s default", r.Dir)
	mods := []string{"mpm_event", "authz_core"}
	for _, m := range r.Modules {
		if !slices.Contains(mods, m) {
			mods = append(mods, m)
		}
	}
	for _, m := range mods {
		line("LoadModule %s_module %s", m, quote(filepath.Join(dir, "mod_"+m+".so")))
	}
	if os.Geteuid() == 0 {
		// httpd refuses to serve as root; its workers drop to nobody.
		line("User nobody")
		line("Group nogroup")
	}
	line("ServerName %s", name)
	if n := r.ThreadsPerChild; n > 0 {
		if n > 64 {
			line("ThreadLimit %d", n)
		}
		line("ThreadsPerChild %d", n)
		// httpd's ServerLimit (16) processes at most, none of them
		// stopped for being idle.
		line("MaxRequestWorkers %d", 16*n)
		line("MaxSpareThreads %d", 16*n)
	}
	for _, l := range r.Listen {
		line("Listen %s", l)
	}
	for _, f := range r.Include {
		line("Include %s", quote(f))
	}
	return b.String()
}

// Write writes the main configuration into Dir as httpd.conf and returns
// its path.
func (r ServerRoot) Write() (string, error) {
	p := filepath.Join(r.Dir, "httpd.conf")
	if err := os.WriteFile(p, []byte(r.MainConfig()), 0o644); err != nil {
		return "", fmt.Errorf("writing server root: %w", err)
	}
	return p, nil
}

// ErrConfigTest is wrapped by ConfigTest when httpd rejects the
// configuration; the error's text holds httpd's own message.
var ErrConfigTest = errors.New("apache2 -t rejected the configuration")

// ConfigTest runs `apache2 -t -f mainConfig` (binary is the httpd program)
// and returns nil when httpd answers "Syntax OK".
func ConfigTest(ctx context.Context, binary, mainConfig string) error {
	cmd := exec.CommandContext(ctx, binary, "-t", "-f", mainConfig)
	var out bytes.Buffer
	cmd.Stdout = &out
	cmd.Stderr = &out
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		return fmt.Errorf("%w: %s", ErrConfigTest, strings.TrimSpace(out.String()))
	case err != nil:
		return fmt.Errorf("running %s: %w", binary, err)
	}
	return nil
}

// CheckModules are the modules a site under test may use: everything a
// reverse proxy setup commonly enables.
func CheckModules() []string {
	return []string{
		"authz_host", "alias", "dir", "mime", "setenvif", "env",
		"headers", "rewrite", "remoteip", "proxy", "proxy_http", "proxy_wstunnel",
		"slotmem_shm", "proxy_balancer", "lbmethod_byrequests", "socache_shmcb", "ssl", "http2",
	}
}

// SyntaxCheck runs httpd's own syntax check on site files, as
// `apphost check apache --apache-test` does: a server root in a temporary
// directory loads CheckModules and includes the files. When the loaded
// configuration has no Listen of its own, one is added per virtual host
// port, as ports.conf would.
func SyntaxCheck(ctx context.Context, binary string, files []string, loaded *Config) error {
	dir, err := os.MkdirTemp("", "apphost-apache-test-")
	if err != nil {
		return fmt.Errorf("creating server root: %w", err)
	}
	defer os.RemoveAll(dir)
	abs := make([]string, len(files))
	for i, f := range files {
		if abs[i], err = filepath.Abs(f); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
	}
	root := ServerRoot{Dir: dir, Modules: CheckModules(), Include: abs}
	if loaded != nil {
		root.Listen = impliedListen(loaded.Directives)
	}
	main, err := root.Write()
	if err != nil {
		return err
	}
	return ConfigTest(ctx, binary, main)
}

// impliedListen returns a Listen per virtual host port when the
// configuration has no Listen directive.
func impliedListen(list []*Directive) []string {
	var ports []string
	has := false
	Walk(list, func(d *Directive, _ []*Directive) {
		switch {
		case d.Is("Listen"):
			has = true
		case d.IsSection && d.Is("VirtualHost"):
			for _, a := range d.Args {
				i := strings.LastIndex(a, ":")
				if i < 0 {
					continue
				}
				p := a[i+1:]
				if p == "443" {
					p += " https"
				}
				if p != "*" && !slices.Contains(ports, p) {
					ports = append(ports, p)
				}
			}
		}
	})
	if has {
		return nil
	}
	return ports
}

// syntaxErrorLine matches httpd's "Syntax error on line 3 of /path:".
var syntaxErrorLine = regexp.MustCompile(`(?i)syntax error on line (\d+) of ([^:]+):`)

// ConfigTestFinding turns a SyntaxCheck error into a finding: httpd's
// message at the file and line it names, or at the first file.
func ConfigTestFinding(err error, files []string) findings.Finding {
	f := findings.Finding{Rule: RuleConfigTest, Severity: lookupRule(RuleConfigTest).severity, Fix: lookupRule(RuleConfigTest).fix, Message: strings.Join(strings.Fields(err.Error()), " ")}
	if len(files) > 0 {
		f.File = files[0]
	}
	if m := syntaxErrorLine.FindStringSubmatch(err.Error()); m != nil {
		f.Line, _ = strconv.Atoi(m[1])
		f.File = m[2]
		for _, name := range files {
			if abs, aerr := filepath.Abs(name); aerr == nil && abs == m[2] {
				f.File = name
			}
		}
	}
	return f
}
