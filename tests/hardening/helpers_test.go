package hardening

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/host"
	"github.com/apphost/apphost/tests/harness"
)

// serving is an `apphost serve` process and its public and admin
// addresses.
type serving struct {
	proc  *harness.Process
	addr  string
	admin string
}

// startServe runs `apphost serve` on free loopback ports, access log off,
// with args added, and waits until it accepts connections.
func startServe(t *testing.T, args ...string) serving {
	t.Helper()
	addr, admin := harness.FreeAddr(t), harness.FreeAddr(t)
	p := harness.Serve(t, addr, append([]string{"--admin-listen", admin, "--access-log", "false"}, args...)...)
	return serving{proc: p, addr: addr, admin: admin}
}

// requestsCounted sums http_server_request_duration_seconds_count over
// the series of method, read from the admin listener's /metrics: the
// requests whose handler has returned. -1 when it cannot be read.
func (s serving) requestsCounted(method string) int {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get("http://" + s.admin + "/metrics")
	if err != nil {
		return -1
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return -1
	}
	prefix := `http_server_request_duration_seconds_count{http_request_method="` + method + `",`
	n := 0
	for line := range strings.Lines(string(b)) {
		if !strings.HasPrefix(line, prefix) {
			continue
		}
		fields := strings.Fields(line)
		v, err := strconv.Atoi(fields[len(fields)-1])
		if err != nil {
			return -1
		}
		n += v
	}
	return n
}

func (s serving) pid() int { return s.proc.Cmd.Process.Pid }

// startHost serves h in the test process with opts on a free loopback port
// and stops it when the test ends.
func startHost(t *testing.T, h http.Handler, opts host.Options) string {
	t.Helper()
	opts.Listen = []string{"127.0.0.1:0"}
	opts.AdminListen = host.AdminOff
	opts.AccessLog = io.Discard
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	s, err := host.New(h, opts)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			t.Error("the server did not stop within 30s")
		}
	})
	return s.Addrs()[0].String()
}

// rawRequest writes request on a new connection (from another goroutine,
// so that a server answering before the client has written everything is
// seen) and reads one response, within 10s.
func rawRequest(t *testing.T, addr, request string) *http.Response {
	t.Helper()
	c := dial(t, addr, 10*time.Second)
	go io.WriteString(c, request)
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

// dial opens a connection to addr with a deadline within from now, closed
// when the test ends.
func dial(t *testing.T, addr string, within time.Duration) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(within))
	return c
}

// rssBytes is the resident set size of process pid.
func rssBytes(t *testing.T, pid int) int64 {
	t.Helper()
	kib, err := harness.RSS(pid)
	if err != nil {
		t.Fatal(err)
	}
	return kib << 10
}

// socketCount is the number of sockets process pid holds open.
func socketCount(t *testing.T, pid int) int {
	t.Helper()
	n, err := countSockets(pid)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func countSockets(pid int) (int, error) {
	dir := "/proc/" + strconv.Itoa(pid) + "/fd"
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0, err
	}
	n := 0
	for _, e := range entries {
		if target, err := os.Readlink(filepath.Join(dir, e.Name())); err == nil && strings.HasPrefix(target, "socket:") {
			n++
		}
	}
	return n, nil
}

// waitFor polls cond every 20ms until it holds or timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// goroutinesSettle waits up to 10s for the goroutine count to fall to at
// most limit and returns the last count.
func goroutinesSettle(limit int) int {
	n := runtime.NumGoroutine()
	waitFor(10*time.Second, func() bool {
		n = runtime.NumGoroutine()
		return n <= limit
	})
	return n
}

const mib = 1 << 20
