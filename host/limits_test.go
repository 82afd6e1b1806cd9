package host

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestRequestLimits sends requests at and over Kestrel's default limits to a
// real server and checks the status of each.
func TestRequestLimits(t *testing.T) {
	defaults := startServer(t, testApp(), Options{}).Addrs()[0].String()
	smallBody := startServer(t, testApp(), Options{Limits: Limits{MaxRequestBody: 1000}}).Addrs()[0].String()

	get := func(target, headers string) string {
		return "GET " + target + " HTTP/1.1\r\nHost: test\r\n" + headers + "\r\n"
	}
	post := func(headers, body string) string {
		return "POST /echo HTTP/1.1\r\nHost: test\r\n" + headers + "\r\n" + body
	}
	chunked := func(n int) string {
		return post("Transfer-Encoding: chunked\r\n", fmt.Sprintf("%x\r\n%s\r\n0\r\n\r\n", n, strings.Repeat("b", n)))
	}
	// "GET " + target + " HTTP/1.1" is 13 bytes longer than the target.
	lineOf := func(n int) string { return "/?q=" + strings.Repeat("a", n-13-4) }

	tests := []struct {
		name    string
		addr    string
		request string
		status  int
	}{
		// Header size: 32 KiB in total, Host included.
		{"headers just under 32 KiB are served", defaults, get("/", "X-Big: "+strings.Repeat("h", 32<<10-200)+"\r\n"), 200},
		{"headers over 32 KiB in total get 431", defaults, get("/", "X-Big: "+strings.Repeat("h", 32<<10)+"\r\n"), 431},
		{"headers over 32 KiB spread over fields get 431", defaults, get("/", strings.Repeat("X-Part: "+strings.Repeat("h", 1<<10)+"\r\n", 33)), 431},
		{"a head beyond net/http's backstop gets 431", defaults, get("/", "X-Big: "+strings.Repeat("h", 64<<10)+"\r\n"), 431},

		// Header count: 100 fields, Host included.
		{"100 header fields are served", defaults, get("/", headerLines(99)), 200},
		{"101 header fields get 431", defaults, get("/", headerLines(100)), 431},
		{"repeated fields count once each", defaults, get("/", strings.Repeat("X-Same: v\r\n", 100)), 431},

		// Request line: 8 KiB.
		{"a request line of 8 KiB is served", defaults, get(lineOf(8<<10), ""), 200},
		{"a request line over 8 KiB gets 414", defaults, get(lineOf(8<<10+1), ""), 414},

		// Body size: from Content-Length before reading, chunked at the limit.
		{"a declared body over 30,000,000 bytes gets 413 before it is sent", defaults, post("Content-Length: 30000001\r\n", ""), 413},
		{"a declared body at the limit is read", smallBody, post("Content-Length: 1000\r\n", strings.Repeat("b", 1000)), 200},
		{"a declared body over the limit gets 413", smallBody, post("Content-Length: 1001\r\n", ""), 413},
		{"a chunked body at the limit is read", smallBody, chunked(1000), 200},
		{"a chunked body over the limit gets 413", smallBody, chunked(1001), 413},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := exchange(t, tt.addr, tt.request)
			if resp.StatusCode != tt.status {
				t.Fatalf("status %d (%q), want %d", resp.StatusCode, body, tt.status)
			}
			if tt.status >= 400 && !resp.Close {
				t.Errorf("status %d without closing the connection", tt.status)
			}
		})
	}
}

// TestRefusedRequestsDoNotWaitForTheirBody proves a request refused for a
// limit, whose body never comes, does not hold its connection: net/http's
// read of the body it was not given ends at the drain timeout, and the
// connection closes.
func TestRefusedRequestsDoNotWaitForTheirBody(t *testing.T) {
	old := bodyDrainTimeout
	bodyDrainTimeout = 300 * time.Millisecond
	t.Cleanup(func() { bodyDrainTimeout = old })
	addr := startServer(t, testApp(), Options{Limits: Limits{MaxRequestBody: 100}}).Addrs()[0].String()
	for _, tc := range []struct {
		name, request string
		status        int
	}{
		{"413 for a declared body", "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 101\r\n\r\n", 413},
		{"431 with a body to come", "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 1\r\n" + headerLines(100) + "\r\n", 431},
		{"414 with a chunked body to come", "POST /?q=" + strings.Repeat("a", 8<<10) + " HTTP/1.1\r\nHost: test\r\nTransfer-Encoding: chunked\r\n\r\n", 414},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := net.Dial("tcp", addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			if _, err := io.WriteString(c, tc.request); err != nil {
				t.Fatal(err)
			}
			br := bufio.NewReader(c)
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			if resp.StatusCode != tc.status || !resp.Close {
				t.Fatalf("status %d, close %t; want %d and the connection closed", resp.StatusCode, resp.Close, tc.status)
			}
			start := time.Now()
			c.SetDeadline(time.Now().Add(5 * time.Second))
			if n, err := br.Read(make([]byte, 1)); err != io.EOF {
				t.Fatalf("after the answer: read %d bytes, %v; want the connection closed (EOF)", n, err)
			}
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("closed %s after the answer; the drain timeout is %s", d, bodyDrainTimeout)
			}
		})
	}
}

// TestRequestHeadersTimeout proves a request head that stops arriving gets
// 408, while a connection that never sends anything is closed silently.
func TestRequestHeadersTimeout(t *testing.T) {
	addr := startServer(t, testApp(), Options{Limits: Limits{RequestHeadersTimeout: 300 * time.Millisecond}}).Addrs()[0].String()

	t.Run("a partial head gets 408", func(t *testing.T) {
		start := time.Now()
		resp, body := exchange(t, addr, "GET / HTTP/1.1\r\nHost: test\r\nX-Slow: ")
		if resp.StatusCode != http.StatusRequestTimeout {
			t.Fatalf("status %d, want 408", resp.StatusCode)
		}
		if body != "408 Request Timeout\n" || resp.Header.Get("Date") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("body %q, header %v: want the host's error answer, dated", body, resp.Header)
		}
		if d := time.Since(start); d < 250*time.Millisecond {
			t.Errorf("408 after %s, before the 300ms timeout", d)
		}
	})
	t.Run("a silent connection is closed without an answer", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(5 * time.Second))
		n, err := c.Read(make([]byte, 64))
		if n != 0 || err == nil {
			t.Fatalf("read %d bytes, %v; want a closed connection", n, err)
		}
	})
	t.Run("a complete request is served", func(t *testing.T) {
		if resp, _ := exchange(t, addr, "GET / HTTP/1.1\r\nHost: test\r\n\r\n"); resp.StatusCode != 200 {
			t.Fatalf("status %d, want 200", resp.StatusCode)
		}
	})
}

// TestRequestHeadersTimeoutPastTheMargin proves a request-head timeout
// longer than the margin under which the socket gets its deadline at once
// still answers 408 on time: the connection's watch arms it.
func TestRequestHeadersTimeoutPastTheMargin(t *testing.T) {
	const timeout = readMargin + 500*time.Millisecond
	addr := startServer(t, testApp(), Options{Limits: Limits{RequestHeadersTimeout: timeout}}).Addrs()[0].String()
	start := time.Now()
	resp, _ := exchange(t, addr, "GET / HTTP/1.1\r\nHost: test\r\nX-Slow: ")
	if resp.StatusCode != http.StatusRequestTimeout {
		t.Fatalf("status %d, want 408", resp.StatusCode)
	}
	if d := time.Since(start); d < timeout-50*time.Millisecond {
		t.Errorf("408 after %s, before the %s timeout", d, timeout)
	}
}

// TestMinRequestBodyRate proves an upload slower than the minimum rate is
// cut with 408 after the grace period, and a fast one is read.
func TestMinRequestBodyRate(t *testing.T) {
	const grace = 300 * time.Millisecond
	addr := startServer(t, testApp(), Options{Limits: Limits{MinRequestBodyRate: 10_000, MinRequestBodyGrace: grace}}).Addrs()[0].String()
	head := "POST /echo HTTP/1.1\r\nHost: test\r\nContent-Length: 100000\r\n\r\n"

	t.Run("a stalled body gets 408 after the grace period", func(t *testing.T) {
		start := time.Now()
		resp, _ := exchange(t, addr, head+"only a few bytes")
		if resp.StatusCode != http.StatusRequestTimeout {
			t.Fatalf("status %d, want 408", resp.StatusCode)
		}
		if !resp.Close {
			t.Errorf("408 without closing the connection")
		}
		if d := time.Since(start); d < grace {
			t.Errorf("408 after %s, within the %s grace", d, grace)
		}
	})
	t.Run("a body trickling below the rate gets 408 after the grace period", func(t *testing.T) {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		// 6,000 bytes at once cover 600ms at 10,000 bytes/s, past the grace;
		// then 100 bytes every 50ms, a fifth of the minimum rate.
		start := time.Now()
		c.Write([]byte(head + strings.Repeat("t", 6000)))
		go func() {
			for range 40 {
				time.Sleep(50 * time.Millisecond)
				if _, err := c.Write([]byte(strings.Repeat("t", 100))); err != nil {
					return
				}
			}
		}()
		if resp, _ := readResponse(t, c); resp.StatusCode != http.StatusRequestTimeout {
			t.Fatalf("status %d, want 408", resp.StatusCode)
		}
		if d := time.Since(start); d < 550*time.Millisecond {
			t.Errorf("408 after %s, before the 6,000 bytes' 600ms were used up", d)
		}
	})
	t.Run("a fast body is read", func(t *testing.T) {
		resp, body := exchange(t, addr, head+strings.Repeat("f", 100000))
		if resp.StatusCode != 200 || body != "100000" {
			t.Fatalf("status %d body %q, want 200 100000", resp.StatusCode, body)
		}
	})
}

// TestMaxConnections proves that above the limit a connection waits,
// unanswered, until another one closes.
func TestMaxConnections(t *testing.T) {
	addr := startServer(t, testApp(), Options{Limits: Limits{MaxConnections: 1}}).Addrs()[0].String()
	req := "GET / HTTP/1.1\r\nHost: test\r\n\r\n"

	first, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	first.SetDeadline(time.Now().Add(10 * time.Second))
	first.Write([]byte(req))
	if resp, _ := readResponse(t, first); resp.StatusCode != 200 {
		t.Fatalf("first connection: status %d", resp.StatusCode)
	}

	second, err := net.Dial("tcp", addr) // completes in the kernel's backlog
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	second.Write([]byte(req))
	second.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
	if n, err := second.Read(make([]byte, 1)); n != 0 || !isTimeout(err) {
		t.Fatalf("second connection answered while the first is open: %d bytes, %v", n, err)
	}

	first.Close()
	second.SetReadDeadline(time.Now().Add(10 * time.Second))
	if resp, _ := readResponse(t, second); resp.StatusCode != 200 {
		t.Fatalf("second connection after the first closed: status %d", resp.StatusCode)
	}
}
