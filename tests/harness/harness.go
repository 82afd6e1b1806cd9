// Package harness starts the real programs that apphost's end-to-end tests
// run against — the apphost binary itself, nginx, Apache httpd, Prometheus —
// on free loopback ports in temporary directories, and stops them when the
// test ends.
//
// A program that is not installed fails the test when the CI environment
// variable is set, and skips it otherwise: in CI an end-to-end test never
// passes by skipping.
package harness

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// RequireProgram returns the path of an installed program, looking in PATH
// and the sbin directories where Debian puts servers. When it is missing
// the test fails under CI and is skipped otherwise.
func RequireProgram(t testing.TB, name string) string {
	t.Helper()
	if p, ok := FindProgram(name); ok {
		return p
	}
	msg := fmt.Sprintf("%s is not installed (make test installs it)", name)
	if os.Getenv("CI") != "" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// FindProgram returns the path of an installed program, looking in PATH
// and the sbin directories where Debian puts servers.
func FindProgram(name string) (string, bool) {
	if p, err := exec.LookPath(name); err == nil {
		return p, true
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/local/sbin"} {
		p := filepath.Join(dir, name)
		if st, err := os.Stat(p); err == nil && !st.IsDir() && st.Mode()&0o111 != 0 {
			return p, true
		}
	}
	return "", false
}

// Testdata returns the contents of testdata/name in the test's package
// directory.
func Testdata(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// FreeAddr returns a 127.0.0.1 address with a port that was free a moment
// ago. Programs that cannot be handed a listening socket need one.
func FreeAddr(t testing.TB) string {
	t.Helper()
	addr, err := FreeLoopbackAddr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// FreeLoopbackAddr returns a 127.0.0.1 address whose port was free a
// moment ago, chosen below the kernel's ephemeral port range: a port from
// that range (what binding port 0 gives) can be taken in between by
// another test's listener on port 0 or an outgoing connection, or still be
// held by one in TIME_WAIT, and the proxies' connections make thousands.
func FreeLoopbackAddr() (string, error) {
	lo := ephemeralLow()
	for range 100 {
		port := 10000 + rand.IntN(max(lo-10000, 1))
		l, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		addr := l.Addr().String()
		l.Close()
		return addr, nil
	}
	return "", errors.New("no free port below the ephemeral range after 100 tries")
}

// ephemeralLow is the first port of the kernel's ephemeral range
// (32768 when it cannot be read).
func ephemeralLow() int {
	lo, _, err := EphemeralPortRange()
	if err != nil || lo <= 10000 {
		return 32768
	}
	return lo
}

// EphemeralPortRange is the kernel's range of local ports for outgoing
// connections (net.ipv4.ip_local_port_range).
func EphemeralPortRange() (lo, hi int, err error) {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 0, 0, err
	}
	return parsePortRange(string(b))
}

// parsePortRange reads ip_local_port_range's text: two port numbers, the
// lower first.
func parsePortRange(s string) (lo, hi int, err error) {
	f := strings.Fields(s)
	if len(f) != 2 {
		return 0, 0, fmt.Errorf("port range %q: want two numbers", s)
	}
	lo, err1 := strconv.Atoi(f[0])
	hi, err2 := strconv.Atoi(f[1])
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, fmt.Errorf("port range %q: %w", s, err)
	}
	if lo < 1 || hi > 65535 || lo > hi {
		return 0, 0, fmt.Errorf("port range %q: want 1 <= low <= high <= 65535", s)
	}
	return lo, hi, nil
}

// FreePort is FreeAddr's port.
func FreePort(t testing.TB) string {
	t.Helper()
	_, port, _ := net.SplitHostPort(FreeAddr(t))
	return port
}

var apphostBuild struct {
	once sync.Once
	path string
	err  error
}

// Apphost builds the apphost command once per test binary (with the race
// detector when the tests use it) and returns the binary's path.
func Apphost(t testing.TB) string {
	t.Helper()
	apphostBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "apphost-bin-")
		if err != nil {
			apphostBuild.err = err
			return
		}
		apphostBuild.path = filepath.Join(dir, "apphost")
		args := []string{"build", "-o", apphostBuild.path}
		if raceEnabled {
			args = append(args, "-race")
		}
		args = append(args, "github.com/apphost/apphost/cmd/apphost")
		cmd := exec.Command(GoTool(), args...)
		cmd.Dir = moduleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			apphostBuild.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if apphostBuild.err != nil {
		t.Fatal(apphostBuild.err)
	}
	return apphostBuild.path
}

// GoTool is the go command of the toolchain running this program, or
// "go" from PATH.
func GoTool() string {
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return "go"
}

// moduleRoot is the directory holding go.mod, found from this file.
func moduleRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Clean(filepath.Join(filepath.Dir(file), "..", ".."))
}

// Process is a program started for a test. Its output is kept for the
// test log, and it is stopped (SIGTERM, then SIGKILL) when the test ends.
type Process struct {
	Cmd    *exec.Cmd
	output *LockedBuffer
	done   chan struct{}
	err    error
}

// Start starts a program in its own process group and arranges for it to
// be stopped at the end of the test.
func Start(t testing.TB, name string, args ...string) *Process {
	t.Helper()
	cmd := exec.Command(name, args...)
	return StartCmd(t, cmd)
}

// WaitFor polls cond every 20ms until it holds, failing the test after
// timeout with what it was waiting for.
func WaitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting until %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Serve runs `apphost serve --listen listen` with args added and waits up
// to 30s until it accepts connections on listen.
func Serve(t testing.TB, listen string, args ...string) *Process {
	t.Helper()
	p := Start(t, Apphost(t), append([]string{"serve", "--listen", listen}, args...)...)
	p.WaitListening(t, listen, 30*time.Second)
	return p
}

// StartCmd is Start for a prepared command.
func StartCmd(t testing.TB, cmd *exec.Cmd) *Process {
	t.Helper()
	p := &Process{Cmd: cmd, output: &LockedBuffer{}, done: make(chan struct{})}
	cmd.Stdout = p.output
	cmd.Stderr = p.output
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{}
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Pdeathsig = syscall.SIGKILL
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", cmd.Path, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(func() {
		p.Stop(10 * time.Second)
		if t.Failed() {
			t.Logf("output of %s:\n%s", strings.Join(cmd.Args, " "), p.Output())
		}
	})
	return p
}

// Output is what the program wrote to stdout and stderr so far.
func (p *Process) Output() string { return p.output.String() }

// Done is closed when the program has exited.
func (p *Process) Done() <-chan struct{} { return p.done }

// Wait waits for the program to exit, at most timeout, and returns its
// exit error (nil for status 0).
func (p *Process) Wait(timeout time.Duration) error {
	select {
	case <-p.done:
		return p.err
	case <-time.After(timeout):
		return fmt.Errorf("%s did not exit within %s", p.Cmd.Path, timeout)
	}
}

// Signal sends sig to the program.
func (p *Process) Signal(sig os.Signal) error { return p.Cmd.Process.Signal(sig) }

// Stop sends SIGTERM to the program's process group, and SIGKILL when it
// has not exited after grace. It returns the exit error.
func (p *Process) Stop(grace time.Duration) error {
	select {
	case <-p.done:
		return p.err
	default:
	}
	pgid := p.Cmd.Process.Pid
	_ = syscall.Kill(-pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(-pgid, syscall.SIGKILL)
		<-p.done
	}
	return p.err
}

// WaitListening waits until addr ("host:port" or "unix:/path") accepts a
// connection, or the process exits, or timeout passes.
func (p *Process) WaitListening(t testing.TB, addr string, timeout time.Duration) {
	t.Helper()
	if err := WaitDialContext(context.Background(), addr, timeout, p.done); err != nil {
		t.Fatalf("%s: %v\noutput:\n%s", strings.Join(p.Cmd.Args, " "), err, p.Output())
	}
}

// WaitDial waits until addr accepts a connection or timeout passes.
func WaitDial(addr string, timeout time.Duration) error {
	return WaitDialContext(context.Background(), addr, timeout, nil)
}

// WaitDialContext is WaitDial that also gives up when ctx ends or when
// exited (the program meant to listen has exited) is closed.
func WaitDialContext(ctx context.Context, addr string, timeout time.Duration, exited <-chan struct{}) error {
	network, address := "tcp", addr
	if path, ok := strings.CutPrefix(addr, "unix:"); ok {
		network, address = "unix", path
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var d net.Dialer
	for {
		c, err := d.DialContext(ctx, network, address)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case <-exited:
			return errors.New("exited before listening on " + addr)
		case <-ctx.Done():
			return fmt.Errorf("nothing listening on %s after %s: %w", addr, timeout, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// LockedBuffer keeps a program's output for a log or an error message;
// several goroutines may write to it at once. With Max set it keeps the
// first Max bytes and drops the rest.
type LockedBuffer struct {
	Max int
	mu  sync.Mutex
	buf []byte
}

func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.Max == 0 {
		b.buf = append(b.buf, p...)
	} else if len(b.buf) < b.Max {
		b.buf = append(b.buf, p[:min(len(p), b.Max-len(b.buf))]...)
	}
	return len(p), nil
}

func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return string(b.buf)
}
