package nginx

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// TestResult is the verdict of `nginx -t`.
type TestResult struct {
	// OK is true when nginx accepted the configuration.
	OK bool
	// File, Line and Message are from nginx's first error, when it named
	// one; Line is 0 when nginx gave no location.
	File    string
	Line    int
	Message string
	// Output is everything nginx printed.
	Output string
}

// MainConfig is a main nginx.conf that keeps every path nginx writes
// (pid, error log, temporary files) under prefix and includes site inside
// http {}. asRoot sets "user root;", so that worker processes of a server
// started by root can reach the app's unix sockets and the prefix.
func MainConfig(prefix, site string, asRoot bool) []byte {
	var w writer
	w.comment("Main configuration written by apphost to test or run a site in " + prefix + ".")
	if asRoot {
		w.line("user", "root")
	}
	w.line("worker_processes", "1")
	w.line("pid", quote(filepath.Join(prefix, "nginx.pid")))
	w.line("error_log", quote(filepath.Join(prefix, "error.log")), "info")
	w.open("events")
	w.line("worker_connections", "256")
	w.close()
	w.open("http")
	for _, t := range []string{"client_body", "proxy", "fastcgi", "uwsgi", "scgi"} {
		w.line(t+"_temp_path", quote(filepath.Join(prefix, t+"_temp")))
	}
	w.line("access_log", "off")
	w.line("include", quote(site))
	w.close()
	return []byte(w.String())
}

// RunTest runs `binary -t` on file in a temporary prefix. A site file
// (site true) is included inside http {} of a main configuration written
// by MainConfig, and its relative includes are found as Read finds them;
// a full nginx.conf is tested as it is. The error is for nginx failing to
// run at all; a rejected configuration is a TestResult with OK false.
func RunTest(ctx context.Context, binary, file string, site bool) (TestResult, error) {
	var roots map[string]string
	if site {
		if t, _, err := Read(file); err == nil {
			roots = t.IncludeRoots
		}
	}
	return runTest(ctx, binary, file, site, roots)
}

// RunTreeTest runs `binary -t` (see RunTest) on the file t was read from,
// with a site's relative includes found where Read found them.
func RunTreeTest(ctx context.Context, binary string, t *Tree) (TestResult, error) {
	return runTest(ctx, binary, t.Path, t.Site, t.IncludeRoots)
}

// runTest runs `binary -t` on file; includeRoots are a site's, as
// Tree.IncludeRoots has them.
func runTest(ctx context.Context, binary, file string, site bool, includeRoots map[string]string) (TestResult, error) {
	abs, err := filepath.Abs(file)
	if err != nil {
		return TestResult{}, fmt.Errorf("nginx -t on %s: %w", file, err)
	}
	prefix, err := os.MkdirTemp("", "apphost-nginx-t-")
	if err != nil {
		return TestResult{}, fmt.Errorf("nginx -t on %s: %w", file, err)
	}
	defer os.RemoveAll(prefix)
	conf := abs
	if site {
		conf = filepath.Join(prefix, "nginx.conf")
		if err := os.WriteFile(conf, MainConfig(prefix, abs, os.Geteuid() == 0), 0o644); err != nil {
			return TestResult{}, fmt.Errorf("nginx -t on %s: %w", file, err)
		}
		linkIncludeRoots(prefix, includeRoots)
	}
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, binary, "-t", "-p", prefix+"/", "-e", filepath.Join(prefix, "error.log"), "-c", conf)
	cmd.Stdout = &out
	cmd.Stderr = &out
	runErr := cmd.Run()
	res := TestResult{Output: out.String()}
	var exit *exec.ExitError
	switch {
	case runErr == nil:
		res.OK = true
		return res, nil
	case errors.As(runErr, &exit):
		res.File, res.Line, res.Message = firstNginxError(res.Output)
		if res.File == "" {
			res.File = file
		}
		if rel, ok := strings.CutPrefix(res.File, prefix+string(filepath.Separator)); ok {
			// A file reached through a link linkIncludeRoots made: name
			// the real one, which outlives the prefix.
			name, rest, _ := strings.Cut(rel, string(filepath.Separator))
			if target, err := os.Readlink(filepath.Join(prefix, name)); err == nil {
				res.File = filepath.Join(target, rest)
			}
		}
		if res.File == conf && site {
			res.File, res.Line = file, 0
		}
		return res, nil
	}
	return TestResult{}, fmt.Errorf("running %s -t on %s: %w", binary, file, runErr)
}

// linkIncludeRoots makes the relative includes of a site file resolve in
// the temporary prefix as they did for Read: nginx resolves them from its
// configuration directory, which for a site in /etc/nginx/sites-enabled is
// /etc/nginx ("include snippets/…", "include proxy_params"). Each name is
// linked to where Read found it, except a name the test itself uses (its
// configuration, pid, log and temporary directories), which nginx -t may
// create or change.
func linkIncludeRoots(prefix string, includeRoots map[string]string) {
	for name, target := range includeRoots {
		if reservedPrefixName(name) {
			continue
		}
		os.Symlink(target, filepath.Join(prefix, name)) //nolint:errcheck // nginx -t reports the include it then misses
	}
}

// reservedPrefixName reports whether the test's main configuration or
// nginx -t itself uses name in the temporary prefix.
func reservedPrefixName(name string) bool {
	switch name {
	case "nginx.conf", "nginx.pid", "error.log", "logs":
		return true
	}
	return strings.HasSuffix(name, "_temp")
}

var nginxErrorLine = regexp.MustCompile(`\[(?:emerg|alert|crit|error)\] (.*?)(?: in (\S+?):(\d+))?\s*$`)

// firstNginxError finds nginx's first error message and its location.
func firstNginxError(out string) (file string, line int, msg string) {
	for _, l := range strings.Split(out, "\n") {
		m := nginxErrorLine.FindStringSubmatch(l)
		if m == nil {
			continue
		}
		n, _ := strconv.Atoi(m[3])
		return m[2], n, m[1]
	}
	return "", 0, strings.TrimSpace(out)
}
