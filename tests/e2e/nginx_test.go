package e2e

import (
	"context"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apphost/apphost/tests/harness"
)

// Over TLS with a certificate made by the test, the app receives the
// client's own address and the https scheme; a spoofed X-Forwarded-For
// is dropped; plain HTTP is redirected; unknown hosts get no answer.
func TestNginxTLSForwardsClientAndScheme(t *testing.T) {
	harness.RequireProgram(t, "nginx")
	app, httpAddr, httpsAddr := harness.FreeAddr(t), harness.FreeAddr(t), harness.FreeAddr(t)
	cert := harness.SelfSignedCert(t, t.TempDir(), "shop.test")
	dir, conf := site(t, fmt.Sprintf(`name: shop
app:
  listen: [%s]
proxy:
  server_names: [shop.test]
  http_listen: %s
  https_listen: %s
  tls:
    certificate: %s
    certificate_key: %s
`, app, httpAddr, httpsAddr, cert.CertFile, cert.KeyFile))
	serve(t, dir, app)
	harness.StartNginx(t, conf, httpAddr, httpsAddr)

	host := "shop.test:" + port(httpsAddr)
	c := client(httpsAddr, cert.Pool, "shop.test")
	resp, rep := get(t, c, "https://"+host+"/hello", http.Header{"X-Forwarded-For": {"6.6.6.6"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d, want 200", resp.StatusCode)
	}
	// The app restores the client's address, scheme and host from what
	// nginx sent; the forwarding headers themselves are consumed.
	if rep.ClientIP != clientIP {
		t.Errorf("client_ip %q, want the client's %s (the spoofed 6.6.6.6 must not pass)", rep.ClientIP, clientIP)
	}
	if rep.Scheme != "https" {
		t.Errorf("scheme %q, want https", rep.Scheme)
	}
	if rep.Host != host {
		t.Errorf("host %q, want %q", rep.Host, host)
	}
	if h, _, _ := net.SplitHostPort(rep.Peer); h != "127.0.0.1" {
		t.Errorf("peer %q, want nginx at 127.0.0.1", rep.Peer)
	}
	for _, name := range []string{"X-Forwarded-For", "Forwarded"} {
		if v := rep.Headers.Values(name); len(v) > 0 {
			t.Errorf("%s %q reached the application", name, v)
		}
	}
	if resp.Header.Get("Strict-Transport-Security") == "" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("security headers missing: %v", resp.Header)
	}
	if resp.Header.Get("Server") != "nginx" {
		t.Errorf("Server %q, want nginx without its version", resp.Header.Get("Server"))
	}

	// Plain HTTP is redirected to HTTPS on the HTTPS port.
	plain := client(httpAddr, nil, "")
	resp, _ = get(t, plain, "http://shop.test:"+port(httpAddr)+"/hello?x=1", nil)
	if want := "https://" + host + "/hello?x=1"; resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
		t.Errorf("HTTP answer %d Location %q, want 301 to %s", resp.StatusCode, resp.Header.Get("Location"), want)
	}

	// Unknown host names: no answer over HTTP, no handshake over HTTPS.
	if resp, err := plain.Get("http://other.test:" + port(httpAddr) + "/"); err == nil {
		resp.Body.Close()
		t.Errorf("unknown host over HTTP answered %d, want the connection closed", resp.StatusCode)
	}
	if resp, err := client(httpsAddr, cert.Pool, "other.test").Get("https://other.test:" + port(httpsAddr) + "/"); err == nil {
		resp.Body.Close()
		t.Errorf("unknown host over HTTPS answered %d, want the handshake refused", resp.StatusCode)
	}
}

// With forwarded.headers: forwarded, the app gets an RFC 7239 Forwarded
// header built by nginx, and no X-Forwarded-For even when the client
// sends one.
func TestNginxForwardedHeader(t *testing.T) {
	harness.RequireProgram(t, "nginx")
	app, httpAddr := harness.FreeAddr(t), harness.FreeAddr(t)
	dir, conf := site(t, fmt.Sprintf(`name: shop
app:
  listen: [%s]
forwarded:
  headers: forwarded
proxy:
  server_names: [shop.test]
  http_listen: %s
`, app, httpAddr))
	serve(t, dir, app)
	harness.StartNginx(t, conf, httpAddr)
	host := "shop.test:" + port(httpAddr)
	resp, rep := get(t, client(httpAddr, nil, ""), "http://"+host+"/", http.Header{"X-Forwarded-For": {"6.6.6.6"}, "Forwarded": {"for=6.6.6.6"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// The app reads the Forwarded header nginx built (and no other).
	if rep.ClientIP != clientIP || rep.Scheme != "http" || rep.Host != host {
		t.Errorf("the app restored client %q scheme %q host %q, want %s, http, %s", rep.ClientIP, rep.Scheme, rep.Host, clientIP, host)
	}
}

// A websocket handshake passes nginx and the upgraded connection carries
// bytes both ways; plain requests on the same site still work.
func TestNginxWebsocketUpgrade(t *testing.T) {
	harness.RequireProgram(t, "nginx")
	backend := httptest.NewServer(http.HandlerFunc(echoUpgrade))
	t.Cleanup(backend.Close)
	app := strings.TrimPrefix(backend.URL, "http://")
	httpAddr := harness.FreeAddr(t)
	_, conf := site(t, fmt.Sprintf(`name: chat
app:
  listen: [%s]
proxy:
  server_names: [chat.test]
  http_listen: %s
  websockets: true
`, app, httpAddr))
	harness.StartNginx(t, conf, httpAddr)

	key := base64.StdEncoding.EncodeToString([]byte("apphost-e2e-key!"))
	conn, br, status, h := rawUpgrade(t, httpAddr, "chat.test", key)
	if !strings.Contains(status, " 101 ") {
		t.Fatalf("handshake answer %q, want 101", status)
	}
	if got, want := h.Get("Sec-WebSocket-Accept"), acceptKey(key); got != want {
		t.Errorf("Sec-WebSocket-Accept %q, want %q", got, want)
	}
	for _, msg := range []string{"ping", "second message"} {
		if _, err := io.WriteString(conn, msg); err != nil {
			t.Fatal(err)
		}
		buf := make([]byte, len(msg))
		if _, err := io.ReadFull(br, buf); err != nil {
			t.Fatalf("reading the echo: %v", err)
		}
		if string(buf) != msg {
			t.Errorf("echo %q, want %q", buf, msg)
		}
	}

	resp, err := client(httpAddr, nil, "").Get("http://chat.test:" + port(httpAddr) + "/plain")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || string(body) != "plain" {
		t.Errorf("plain request: %d %q", resp.StatusCode, body)
	}
}

// echoUpgrade completes a websocket handshake and then echoes raw bytes;
// other requests get "plain". It also refuses an upgrade whose Connection
// header lost the "upgrade" token on the way.
func echoUpgrade(w http.ResponseWriter, r *http.Request) {
	if !strings.EqualFold(r.Header.Get("Upgrade"), "websocket") {
		io.WriteString(w, "plain")
		return
	}
	if !strings.Contains(strings.ToLower(r.Header.Get("Connection")), "upgrade") {
		http.Error(w, "Connection lacks upgrade", http.StatusBadRequest)
		return
	}
	conn, buf, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return
	}
	defer conn.Close()
	fmt.Fprintf(buf, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\n\r\n", acceptKey(r.Header.Get("Sec-WebSocket-Key")))
	buf.Flush()
	p := make([]byte, 1024)
	for {
		n, err := buf.Read(p)
		if n > 0 {
			if _, werr := conn.Write(p[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// acceptKey is RFC 6455's Sec-WebSocket-Accept for a key.
func acceptKey(key string) string {
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// Mounted under /shop: the app sees the path without the prefix and the
// prefix in X-Forwarded-Prefix; /shop redirects to /shop/; other paths are
// not the app's.
func TestNginxPathPrefix(t *testing.T) {
	harness.RequireProgram(t, "nginx")
	app, httpAddr := harness.FreeAddr(t), harness.FreeAddr(t)
	dir, conf := site(t, fmt.Sprintf(`name: shop
app:
  listen: [%s]
proxy:
  server_names: [shop.test]
  http_listen: %s
  path_prefix: /shop
`, app, httpAddr))
	serve(t, dir, app)
	harness.StartNginx(t, conf, httpAddr)
	c := client(httpAddr, nil, "")
	base := "http://shop.test:" + port(httpAddr)

	resp, rep := get(t, c, base+"/shop/orders/7?full=1", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if rep.PathBase != "/shop" || rep.Path != "/orders/7" || rep.Query != "full=1" {
		t.Errorf("the app saw path base %q path %q query %q, want /shop, /orders/7 and full=1", rep.PathBase, rep.Path, rep.Query)
	}
	resp, _ = get(t, c, base+"/shop?x=1", nil)
	if resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != "/shop/?x=1" {
		t.Errorf("/shop answered %d Location %q, want 301 to /shop/?x=1", resp.StatusCode, resp.Header.Get("Location"))
	}
	if resp, _ = get(t, c, base+"/admin", nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("/admin answered %d, want 404", resp.StatusCode)
	}
}

// Two instances behind one upstream: with one stopped, every GET is still
// answered, by the other.
func TestNginxTwoInstancesOneStopped(t *testing.T) {
	harness.RequireProgram(t, "nginx")
	one, two, httpAddr := harness.FreeAddr(t), harness.FreeAddr(t), harness.FreeAddr(t)
	dir, conf := site(t, fmt.Sprintf(`name: shop
app:
  listen: [%s]
proxy:
  server_names: [shop.test]
  http_listen: %s
  upstreams: [%s, %s]
`, one, httpAddr, one, two))
	serve(t, dir, one)
	second := serve(t, dir, two)
	harness.StartNginx(t, conf, httpAddr)
	c := client(httpAddr, nil, "")
	url := "http://shop.test:" + port(httpAddr) + "/"
	for i := range 4 {
		if resp, _ := get(t, c, url, nil); resp.StatusCode != http.StatusOK {
			t.Fatalf("GET %d with both instances up: %d", i, resp.StatusCode)
		}
	}
	second.Stop(10e9)
	for i := range 20 {
		resp, _ := get(t, c, url, nil)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %d with %s stopped: %d, want 200", i, two, resp.StatusCode)
		}
	}
}

// A unix-socket app address becomes a unix upstream that works.
func TestNginxUnixUpstream(t *testing.T) {
	harness.RequireProgram(t, "nginx")
	sock := "unix:" + filepath.Join(t.TempDir(), "app.sock")
	httpAddr := harness.FreeAddr(t)
	dir, conf := site(t, fmt.Sprintf(`name: shop
app:
  listen: [%s]
proxy:
  server_names: [shop.test]
  http_listen: %s
`, sock, httpAddr))
	serve(t, dir, sock)
	harness.StartNginx(t, conf, httpAddr)
	resp, rep := get(t, client(httpAddr, nil, ""), "http://shop.test:"+port(httpAddr)+"/over/unix", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// A unix-socket peer is trusted by default, so the client is restored.
	if rep.Path != "/over/unix" || rep.ClientIP != clientIP {
		t.Errorf("the app saw path %q client %q, want /over/unix from %s", rep.Path, rep.ClientIP, clientIP)
	}
	// The peer is the connection's own: nginx, through the socket.
	if rep.Peer != sock {
		t.Errorf("peer %q, want %s", rep.Peer, sock)
	}
}

// An IPv6 client reaches the app through the RFC 7239 header, where its
// address must be bracketed and quoted (for="[::1]").
func TestNginxForwardedIPv6Client(t *testing.T) {
	harness.RequireProgram(t, "nginx")
	l, err := net.Listen("tcp", "[::1]:0")
	if err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	}
	httpAddr := l.Addr().String()
	l.Close()
	app := harness.FreeAddr(t)
	dir, conf := site(t, fmt.Sprintf(`name: shop
app:
  listen: [%s]
forwarded:
  headers: forwarded
proxy:
  server_names: [shop.test]
  http_listen: "%s"
`, app, httpAddr))
	serve(t, dir, app)
	harness.StartNginx(t, conf, httpAddr)
	c := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, network, httpAddr)
	}}}
	resp, rep := get(t, c, "http://shop.test:"+port(httpAddr)+"/", nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if rep.ClientIP != "::1" {
		t.Errorf("client_ip %q, want ::1", rep.ClientIP)
	}
}

// Behind another proxy (proxy.edge: false), nginx appends to the chain
// that proxy sent, and the app, trusting two hops, finds the client the
// outer proxy saw.
func TestNginxBehindAnotherProxy(t *testing.T) {
	harness.RequireProgram(t, "nginx")
	app, httpAddr := harness.FreeAddr(t), harness.FreeAddr(t)
	dir, conf := site(t, fmt.Sprintf(`name: shop
app:
  listen: [%s]
forwarded:
  trusted_proxies: [loopback]
  forward_limit: 2
proxy:
  server_names: [shop.test]
  http_listen: %s
  edge: false
`, app, httpAddr))
	serve(t, dir, app)
	harness.StartNginx(t, conf, httpAddr)
	// The test's client plays the outer proxy at 127.0.0.2, which saw
	// the client 203.0.113.9.
	resp, rep := get(t, client(httpAddr, nil, ""), "http://shop.test:"+port(httpAddr)+"/", http.Header{"X-Forwarded-For": {"203.0.113.9"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("status %d", resp.StatusCode)
	}
	if rep.ClientIP != "203.0.113.9" {
		t.Errorf("client_ip %q, want 203.0.113.9 from the outer proxy's header", rep.ClientIP)
	}
}
