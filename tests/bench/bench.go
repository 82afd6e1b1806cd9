package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

// bench holds what the sections share: the settings, the temporary
// directory, the programs started so far and the binaries built so far.
type bench struct {
	settings
	log   io.Writer
	tmp   string
	root  string // the module's root directory
	procs procs
	built map[string]string // package → binary
}

func newBench(s settings, log io.Writer) (*bench, error) {
	root, err := moduleRoot()
	if err != nil {
		return nil, err
	}
	tmp, err := os.MkdirTemp("", "apphost-bench-")
	if err != nil {
		return nil, err
	}
	// httpd's workers run as nobody when the harness runs as root; they
	// read their configuration from here.
	if err := os.Chmod(tmp, 0o755); err != nil {
		return nil, err
	}
	return &bench{settings: s, log: log, tmp: tmp, root: root, built: map[string]string{}, procs: procs{log: log}}, nil
}

// close stops every program still running and removes the temporary
// directory.
func (b *bench) close() error {
	b.procs.stopAll()
	return os.RemoveAll(b.tmp)
}

// moduleRoot is the directory of the go.mod that the current directory
// belongs to.
func moduleRoot() (string, error) {
	out, err := exec.Command(harness.GoTool(), "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	gomod := strings.TrimSpace(string(out))
	if gomod == "" || gomod == os.DevNull {
		return "", fmt.Errorf("run the benchmark from inside apphost's module (go env GOMOD is empty)")
	}
	return filepath.Dir(gomod), nil
}

// build builds a package of the module (once per run) and returns the
// binary's path.
func (b *bench) build(ctx context.Context, pkg string) (string, error) {
	if p, ok := b.built[pkg]; ok {
		return p, nil
	}
	bin := filepath.Join(b.tmp, "bin", filepath.Base(pkg))
	fmt.Fprintf(b.log, "   building %s\n", pkg)
	cmd := exec.CommandContext(ctx, harness.GoTool(), "build", "-o", bin, "./"+pkg)
	cmd.Dir = b.root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build ./%s: %w\n%s", pkg, err, out)
	}
	b.built[pkg] = bin
	return bin, nil
}

// program finds an installed program (harness.FindProgram).
func program(name string) (string, error) {
	if p, ok := harness.FindProgram(name); ok {
		return p, nil
	}
	return "", fmt.Errorf("%s is not installed (make deps installs it)", name)
}

// benchHost is the Host header every request carries: the proxies serve
// it by name, and the app does not care.
const benchHost = "bench.localhost"

// startHello starts hello with args on a free loopback port and returns
// its address.
func (b *bench) startHello(ctx context.Context, name string, args ...string) (string, error) {
	bin, err := b.build(ctx, "tests/bench/cmd/hello")
	if err != nil {
		return "", err
	}
	addr, err := harness.FreeLoopbackAddr()
	if err != nil {
		return "", err
	}
	p, err := b.procs.start(name, exec.Command(bin, append([]string{"-listen", addr}, args...)...))
	if err != nil {
		return "", err
	}
	if err := p.waitListening(ctx, addr, 15*time.Second); err != nil {
		return "", err
	}
	return addr, nil
}

// checkHello proves that url answers hello's greeting with 200 when asked
// for benchHost, so that a misconfigured proxy is not measured.
func checkHello(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Host = benchHost
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		return fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	if resp.StatusCode != http.StatusOK || string(body) != "Hello, World!" {
		return fmt.Errorf("GET %s (Host: %s): %s %q, want 200 \"Hello, World!\"", url, benchHost, resp.Status, body)
	}
	return nil
}

// loadOptions are the settings wrk and h2load run with.
func (b *bench) loadOptions() loadOptions {
	return loadOptions{duration: b.duration, connections: b.connections, threads: b.threads, host: benchHost}
}

// machine describes where the run happened.
func (b *bench) machine() string {
	var lines []string
	add := func(k, v string) { lines = append(lines, fmt.Sprintf("- %s: %s", k, v)) }
	add("CPUs (nproc)", fmt.Sprint(runtime.NumCPU()))
	add("CPU", cpuModel())
	add("kernel", firstLine(readFile("/proc/sys/kernel/osrelease")))
	add("Go", runtime.Version())
	add("load average at start", loadAverage())
	add("ephemeral ports", ephemeralPorts())
	for _, p := range []struct{ name, arg string }{{"nginx", "-v"}, {"apache2", "-v"}, {"wrk", "-v"}, {"h2load", "--version"}} {
		add(p.name, toolVersion(p.name, p.arg))
	}
	return strings.Join(lines, "\n") + "\n"
}

func cpuModel() string {
	for _, l := range strings.Split(readFile("/proc/cpuinfo"), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func toolVersion(name, arg string) string {
	p, err := program(name)
	if err != nil {
		return "not installed"
	}
	out, _ := exec.Command(p, arg).CombinedOutput()
	s := firstLine(string(out))
	if s == "" {
		return "unknown"
	}
	return s
}

func loadAverage() string {
	f := strings.Fields(readFile("/proc/loadavg"))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

// ephemeralPorts describes the kernel's range of local ports for outgoing
// connections and when it reuses a port in TIME_WAIT: a proxy that opens a
// new connection to the app per request (the nginx recipe) depends on them.
func ephemeralPorts() string {
	lo, hi, err := harness.EphemeralPortRange()
	if err != nil {
		return "unknown"
	}
	return describePorts(lo, hi, sysctl("tcp_tw_reuse"), sysctl("tcp_tw_reuse_delay"))
}

// sysctl reads one setting under /proc/sys/net/ipv4; "" when it cannot
// (tcp_tw_reuse_delay, for one, is new in Linux 6.13).
func sysctl(name string) string {
	b, err := os.ReadFile(filepath.Join("/proc/sys/net/ipv4", name))
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(b))
}

// describePorts formats the range lo-hi and the TIME_WAIT settings, each
// left out when it is "".
func describePorts(lo, hi int, reuse, delay string) string {
	parts := []string{fmt.Sprintf("%d-%d (ip_local_port_range, %d ports)", lo, hi, hi-lo+1)}
	if reuse != "" {
		parts = append(parts, "tcp_tw_reuse "+reuse)
	}
	if delay != "" {
		parts = append(parts, "tcp_tw_reuse_delay "+delay+" ms")
	}
	return strings.Join(parts, "; ")
}

func readFile(name string) string {
	b, err := os.ReadFile(name)
	if err != nil {
		return "unknown"
	}
	return string(b)
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(s)
}
