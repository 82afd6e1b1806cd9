package host

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

// child is the test binary re-executed as a server process (see childMain).
type child struct {
	cmd         *exec.Cmd
	addr, admin string
	exited      chan error
	lines       chan string // standard output after the first line
	stderr      syncBuffer  // its logs, also copied to the test's output
}

// startChild starts the server process. With activation, it is started
// through sh so that LISTEN_PID can be set to the process's own pid, which
// exec keeps.
func startChild(t *testing.T, env []string, files []*os.File, listenPID string) *child {
	t.Helper()
	var cmd *exec.Cmd
	switch listenPID {
	case "":
		cmd = exec.Command(os.Args[0])
	case "self":
		cmd = exec.Command("sh", "-c", `LISTEN_PID=$$ exec "$0" "$@"`, os.Args[0])
	default:
		cmd = exec.Command(os.Args[0])
		env = append(env, "LISTEN_PID="+listenPID)
	}
	cmd.Env = append(os.Environ(), append(env, childEnv+"=1")...)
	cmd.ExtraFiles = files
	c := &child{cmd: cmd, exited: make(chan error, 1), lines: make(chan string, 16)}
	cmd.Stderr = io.MultiWriter(t.Output(), &c.stderr)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1)
	go func() {
		r := bufio.NewReader(stdout)
		line, _ := r.ReadString('\n')
		lines <- line
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				break
			}
			select {
			case c.lines <- strings.TrimSpace(line):
			default: // nobody waits for it
			}
		}
		c.exited <- cmd.Wait()
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-c.exited
	})
	select {
	case line := <-lines:
		if _, err := fmt.Sscanf(line, "addr %s %s", &c.addr, &c.admin); err != nil {
			t.Fatalf("child's first line %q: %v", line, err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("child did not start serving")
	}
	return c
}

// waitLine waits for the child to print want on its standard output.
func (c *child) waitLine(t *testing.T, want string) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case line := <-c.lines:
			if line == want {
				return
			}
		case <-timeout:
			t.Fatalf("child did not print %q within 20s", want)
		}
	}
}

// wait returns the child's exit code, failing the test after timeout.
func (c *child) wait(t *testing.T, timeout time.Duration) int {
	t.Helper()
	select {
	case err := <-c.exited:
		c.exited <- err // for the cleanup
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatalf("wait: %v", err)
		}
		return 0
	case <-time.After(timeout):
		t.Fatalf("child still running %s later", timeout)
		return -1
	}
}

// TestSIGTERMWhileBodyArrives proves the graceful shutdown of a real
// process: a request whose body is still arriving when SIGTERM comes
// completes with 200, new connections are refused meanwhile, /readyz says
// 503, and the process exits 0.
func TestSIGTERMWhileBodyArrives(t *testing.T) {
	c := startChild(t, []string{"APPHOST_HOST_TEST_LISTEN=127.0.0.1:0"}, nil, "")

	conn, err := net.Dial("tcp", c.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(20 * time.Second))
	io.WriteString(conn, "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 1000\r\n\r\n"+strings.Repeat("a", 500))
	c.waitLine(t, "echo reading body") // the handler is now reading the body

	if err := c.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	harness.WaitFor(t, 5*time.Second, "new connections to be refused", func() bool {
		nc, err := net.Dial("tcp", c.addr)
		if err == nil {
			nc.Close()
			return false
		}
		// A connect racing the socket's close may see the reset of the
		// kernel's backlog instead of a refusal; neither is served.
		if !errors.Is(err, syscall.ECONNREFUSED) && !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("dial during the drain: %v, want connection refused", err)
		}
		return true
	})
	if status, _ := get(t, http.DefaultClient, "http://"+c.admin+"/readyz"); status != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the drain: %d, want 503", status)
	}

	io.WriteString(conn, strings.Repeat("b", 500))
	resp, body := readResponse(t, conn)
	if resp.StatusCode != 200 || body != "1000" {
		t.Fatalf("request in flight: %d %q, want 200 1000", resp.StatusCode, body)
	}
	if code := c.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
}

// TestSecondSignalForcesExit proves a second SIGTERM ends a drain that
// waits for a request that would never finish.
func TestSecondSignalForcesExit(t *testing.T) {
	c := startChild(t, []string{"APPHOST_HOST_TEST_LISTEN=127.0.0.1:0"}, nil, "")
	conn, err := net.Dial("tcp", c.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	io.WriteString(conn, "GET /block HTTP/1.1\r\nHost: test\r\n\r\n")
	c.waitLine(t, "block waiting")

	c.cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(200 * time.Millisecond)
	select {
	case <-c.exited:
		t.Fatal("exited on the first signal with a request in flight")
	default:
	}
	start := time.Now()
	c.cmd.Process.Signal(syscall.SIGTERM)
	if code := c.wait(t, 15*time.Second); code != 1 {
		t.Fatalf("exit code %d after the second signal, want 1", code)
	}
	// The drain would wait 30s (the shutdown timeout) for the request.
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("exit took %s after the second signal", d)
	}
}

// TestSocketActivation hands a listening socket to the server process
// through LISTEN_FDS, as systemd or the supervisor does.
func TestSocketActivation(t *testing.T) {
	tests := []struct {
		name       string
		listenPID  string
		wantServed bool // the inherited socket is served
	}{
		{"a socket for this process is served instead of the listen address", "self", true},
		{"a socket meant for another process is ignored", "1", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, addr := listeningFile(t)

			c := startChild(t, []string{
				"APPHOST_HOST_TEST_LISTEN=127.0.0.1:0",
				"LISTEN_FDS=1",
				"LISTEN_FDNAMES=http",
			}, []*os.File{f}, tt.listenPID)

			if served := c.addr == addr; served != tt.wantServed {
				t.Fatalf("child serves %s, inherited %s: served=%v, want %v", c.addr, addr, served, tt.wantServed)
			}
			status, body := get(t, http.DefaultClient, "http://"+c.addr+"/env")
			if want := `LISTEN_PID="" LISTEN_FDS="" LISTEN_FDNAMES=""`; status != 200 || body != want {
				t.Fatalf("/env: %d %q, want the variables removed: %s", status, body, want)
			}
			c.cmd.Process.Signal(syscall.SIGTERM)
			if code := c.wait(t, 10*time.Second); code != 0 {
				t.Fatalf("exit code %d, want 0", code)
			}
		})
	}
}
