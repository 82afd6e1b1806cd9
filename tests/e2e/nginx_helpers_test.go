package e2e

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/diagnostic"
	"github.com/apphost/apphost/tests/harness"
)

// clientIP is the address test clients connect from: loopback, but not
// nginx's own 127.0.0.1, so the app can tell the client from the proxy.
const clientIP = "127.0.0.2"

// site writes desc as apphost.yaml in a temporary directory, runs
// `apphost gen nginx` on it and returns the generated site's path.
func site(t *testing.T, desc string) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	file := filepath.Join(dir, "apphost.yaml")
	if err := os.WriteFile(file, []byte(desc), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(harness.Apphost(t), "gen", "nginx", "-f", file, "-o", dir).CombinedOutput()
	if err != nil {
		t.Fatalf("apphost gen nginx: %v\n%s", err, out)
	}
	names, _ := filepath.Glob(filepath.Join(dir, "*.conf"))
	if len(names) != 1 {
		t.Fatalf("apphost gen nginx wrote %v, want one .conf file", names)
	}
	return dir, names[0]
}

// serve starts `apphost serve` on listen with the description in dir.
func serve(t *testing.T, dir, listen string) *harness.Process {
	t.Helper()
	return harness.Serve(t, listen, "-f", filepath.Join(dir, "apphost.yaml"), "--admin-listen", harness.FreeAddr(t))
}

// client connects to addr (whatever the URL's host) from clientIP; with
// pool, it trusts that pool for TLS and sends serverName as SNI.
func client(addr string, pool *x509.CertPool, serverName string) *http.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(clientIP)}, Timeout: 5 * time.Second}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return d.DialContext(ctx, network, addr)
		},
		DisableKeepAlives: true,
	}
	if pool != nil {
		tr.TLSClientConfig = &tls.Config{RootCAs: pool, ServerName: serverName}
	}
	return &http.Client{
		Transport:     tr,
		Timeout:       10 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// get sends a GET with the extra headers and decodes the diagnostic
// report when the answer is 200.
func get(t *testing.T, c *http.Client, url string, header http.Header) (*http.Response, diagnostic.Report) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: reading body: %v", url, err)
	}
	var rep diagnostic.Report
	if resp.StatusCode == http.StatusOK {
		if err := json.Unmarshal(body, &rep); err != nil {
			t.Fatalf("GET %s: %v in %s", url, err, body)
		}
	}
	return resp, rep
}

func port(addr string) string {
	_, p, _ := net.SplitHostPort(addr)
	return p
}

// rawUpgrade sends a websocket handshake over a plain connection to addr
// and returns the connection after the response headers, with the status
// line and headers read.
func rawUpgrade(t *testing.T, addr, host, key string) (net.Conn, *bufio.Reader, string, http.Header) {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	req := "GET /chat HTTP/1.1\r\nHost: " + host + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: " + key + "\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(conn)
	status, err := br.ReadString('\n')
	if err != nil {
		t.Fatalf("reading the handshake answer: %v", err)
	}
	h := http.Header{}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			t.Fatalf("reading the handshake headers: %v", err)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		k, v, _ := strings.Cut(line, ":")
		h.Add(k, strings.TrimSpace(v))
	}
	return conn, br, strings.TrimSpace(status), h
}
