package host

import (
	"io"
	"net"
	"testing"
	"time"
)

// TestShutdownClosesIdleKeepAliveConnections proves an HTTP/1.1
// connection idle between requests is closed when the shutdown starts
// (the client reads EOF) and does not hold the drain until the keep-alive
// timeout.
func TestShutdownClosesIdleKeepAliveConnections(t *testing.T) {
	s, cancel, served := serveManually(t, testApp(), Options{})

	c, err := net.Dial("tcp", s.Addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	io.WriteString(c, "GET / HTTP/1.1\r\nHost: test\r\n\r\n")
	if resp, body := readResponse(t, c); resp.StatusCode != 200 || resp.Close || body != "hello" {
		t.Fatalf("%d close=%v %q, want a kept-alive 200 hello", resp.StatusCode, resp.Close, body)
	}

	cancel()
	// Keep-alive lasts 130s by default; the connection must close long
	// before that.
	if n, err := c.Read(make([]byte, 1)); err != io.EOF {
		t.Fatalf("idle connection after the shutdown began: read %d bytes, %v; want EOF", n, err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v, want a complete graceful shutdown", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve still draining 10s later")
	}
}
