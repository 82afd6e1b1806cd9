package host

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// startServer serves h on a free loopback port with the admin listener on
// another, and shuts it down when the test ends, failing the test if that
// shutdown is not graceful.
func startServer(t *testing.T, h http.Handler, opts Options) *Server {
	t.Helper()
	if opts.AdminListen == "" {
		opts.AdminListen = "127.0.0.1:0"
	}
	s, cancel, served := serveManually(t, h, opts)
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-served:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Errorf("Serve did not return 10s after its context ended")
		}
	})
	return s
}

// serveManually serves h on a free loopback port (unless opts.Listen says
// otherwise), without the admin listener (unless opts.AdminListen names
// one), the access log or (unless opts.Logger is set) logs other than the
// test's output. The test ends the serving with cancel and reads Serve's
// result from served; cancel also runs when the test ends.
func serveManually(t *testing.T, h http.Handler, opts Options) (s *Server, cancel context.CancelFunc, served <-chan error) {
	t.Helper()
	if opts.Listen == nil {
		opts.Listen = []string{"127.0.0.1:0"}
	}
	if opts.AdminListen == "" {
		opts.AdminListen = AdminOff
	}
	if opts.AccessLog == nil {
		opts.AccessLog = io.Discard
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	}
	s, err := New(h, opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx) }()
	return s, cancel, done
}

// exchange writes a raw request on a new connection and reads one response.
func exchange(t *testing.T, addr, request string) (*http.Response, string) {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatalf("write request: %v", err)
	}
	return readResponse(t, c)
}

func readResponse(t *testing.T, c net.Conn) (*http.Response, string) {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("read response: %v", err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, string(body)
}

// get sends a GET through client and returns the status and body.
func get(t *testing.T, client *http.Client, url string) (int, string) {
	t.Helper()
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", url, err)
	}
	return resp.StatusCode, string(body)
}

// syncBuffer is a bytes.Buffer safe for the server's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// headerLines returns n distinct header fields.
func headerLines(n int) string {
	var sb strings.Builder
	for i := range n {
		fmt.Fprintf(&sb, "X-Field-%d: v\r\n", i)
	}
	return sb.String()
}

// unboundServer is a Server as New builds it, with the public handler's
// metrics and access log (to accessLog), but no listener bound: for calling
// its request path in process.
func unboundServer(tb testing.TB, accessLog io.Writer) *Server {
	tb.Helper()
	c, err := Options{
		AccessLog:   accessLog,
		AdminListen: AdminOff,
		Logger:      slog.New(slog.DiscardHandler),
		Getenv:      func(string) string { return "" },
	}.resolve()
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := c.instrument(); err != nil {
		tb.Fatal(err)
	}
	return &Server{cfg: c}
}
