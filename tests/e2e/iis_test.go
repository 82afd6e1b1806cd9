package e2e

// IIS cannot run here: these tests emulate what the ASP.NET Core Module
// (out of process) and HttpPlatformHandler do with the process they start
// — the environment variables, the proxied requests, the shutdown — and
// run the real apphost binary against that emulation.

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

// report is the diagnostic application's answer, the fields these tests
// read.
type report struct {
	ClientIP   string      `json:"client_ip"`
	ClientPort int         `json:"client_port"`
	Scheme     string      `json:"scheme"`
	Host       string      `json:"host"`
	PathBase   string      `json:"path_base"`
	Path       string      `json:"path"`
	Query      string      `json:"query"`
	Peer       string      `json:"peer"`
	ClientCert string      `json:"client_certificate"`
	Headers    http.Header `json:"headers"`
}

// startUnderIIS starts `apphost serve` with the variables an IIS module
// sets, plus a --listen address IIS mode must ignore, and waits until it
// listens on 127.0.0.1:<port>. It returns the process, the module's
// backend address and the ignored address.
func startUnderIIS(t *testing.T, env ...string) (p *harness.Process, backend, ignored string) {
	t.Helper()
	port := harness.FreePort(t)
	backend = "127.0.0.1:" + port
	ignored = harness.FreeAddr(t)
	cmd := exec.Command(harness.Apphost(t), "serve", "--listen", ignored, "--admin-listen", harness.FreeAddr(t))
	for i := range env {
		env[i] = strings.ReplaceAll(env[i], "{port}", port)
	}
	cmd.Env = append(withoutIISVariables(os.Environ()), env...)
	p = harness.StartCmd(t, cmd)
	p.WaitListening(t, backend, 30*time.Second)
	return p, backend, ignored
}

// withoutIISVariables drops variables of a real IIS module from the test's
// own environment, so the emulation alone decides.
func withoutIISVariables(env []string) []string {
	var out []string
	for _, kv := range env {
		if strings.HasPrefix(kv, "ASPNETCORE_") || strings.HasPrefix(kv, "HTTP_PLATFORM_PORT=") || strings.HasPrefix(kv, "APPHOST_") {
			continue
		}
		out = append(out, kv)
	}
	return out
}

func getReport(t *testing.T, client *http.Client, req *http.Request) report {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("%s %s: status %d: %s", req.Method, req.URL, resp.StatusCode, body)
	}
	var r report
	if err := json.Unmarshal(body, &r); err != nil {
		t.Fatalf("%s %s: %v in %s", req.Method, req.URL, err, body)
	}
	return r
}

func status(t *testing.T, req *http.Request) int {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func newRequest(t *testing.T, method, url string, header map[string]string) *http.Request {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return req
}

// assertForwardedClient checks that the host believed the module's
// X-Forwarded-For and X-Forwarded-Proto (the module connects from
// loopback, which the host trusts by default): the client at clientAddr
// ("203.0.113.5:50123", "[::1]:38792"), over https.
func assertForwardedClient(t *testing.T, r report, clientAddr string) {
	t.Helper()
	ap, err := netip.ParseAddrPort(clientAddr)
	if err != nil {
		t.Fatalf("client address %q: %v", clientAddr, err)
	}
	if r.ClientIP != ap.Addr().String() || r.ClientPort != int(ap.Port()) {
		t.Errorf("client %s port %d, want the module's X-Forwarded-For %s", r.ClientIP, r.ClientPort, clientAddr)
	}
	if r.Scheme != "https" {
		t.Errorf("scheme %q, want the module's X-Forwarded-Proto https", r.Scheme)
	}
	if !strings.HasPrefix(r.Peer, "127.0.0.1:") {
		t.Errorf("peer = %q, want the module's loopback connection", r.Peer)
	}
	if v := r.Headers.Values("X-Forwarded-For"); len(v) != 0 {
		t.Errorf("X-Forwarded-For %q reached the application after it was applied", v)
	}
	if got := r.Headers.Get("X-Original-For"); got != r.Peer {
		t.Errorf("X-Original-For = %q, want the peer %q", got, r.Peer)
	}
}

// assertGone checks that the process exited with status 0, left no process
// in its group behind, and no longer listens.
func assertGone(t *testing.T, p *harness.Process, addrs ...string) {
	t.Helper()
	if err := p.Wait(20 * time.Second); err != nil {
		t.Fatalf("exit: %v\n%s", err, p.Output())
	}
	if err := syscall.Kill(-p.Cmd.Process.Pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process group %d still has members (kill 0: %v)", p.Cmd.Process.Pid, err)
	}
	for _, a := range addrs {
		if c, err := net.DialTimeout("tcp", a, time.Second); err == nil {
			c.Close()
			t.Errorf("%s still accepts connections", a)
		}
	}
}

func clientCertificate(t *testing.T, cn string) *tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(7),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

const pairingToken = "0d5b3b52-7a0e-4c4b-9d6e-1f2a3b4c5d6e"

// TestEmulatedANCMOutOfProcess runs apphost as the ASP.NET Core Module
// runs an out-of-process application: ASPNETCORE_PORT, ASPNETCORE_TOKEN and
// ASPNETCORE_APPL_PATH in the environment, requests proxied with the
// pairing token and forwarding headers, and the stop as a shutdown request.
func TestEmulatedANCMOutOfProcess(t *testing.T) {
	tests := []struct {
		name, applPath, prefix string
	}{
		{"an application under a virtual path", "/shop", "/shop"},
		{"a site's root application", "/", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, backend, ignored := startUnderIIS(t,
				"ASPNETCORE_PORT={port}", "ASPNETCORE_TOKEN="+pairingToken, "ASPNETCORE_APPL_PATH="+tt.applPath)
			if !strings.Contains(p.Output(), "IIS mode") || !strings.Contains(p.Output(), `module="ASP.NET Core Module"`) {
				t.Errorf("the log does not say IIS mode:\n%s", p.Output())
			}
			if c, err := net.DialTimeout("tcp", ignored, time.Second); err == nil {
				c.Close()
				t.Fatalf("the configured --listen %s is served; IIS mode must listen on %s only", ignored, backend)
			}

			m := emulatedModule{backend: backend, token: pairingToken}
			for _, network := range []string{"tcp4", "tcp6"} {
				t.Run("a client over "+network+" reaches the application through the module", func(t *testing.T) {
					front, client, locals := startEmulatedModule(t, network, m, clientCertificate(t, "client.example.com"))
					req := newRequest(t, "GET", front+tt.prefix+"/cart/items?id=7", map[string]string{
						"MS-ASPNETCORE-TOKEN": "forged by the client", // the module replaces it
					})
					req.Host = "shop.example.com"
					r := getReport(t, client, req)
					if r.PathBase != tt.prefix || r.Path != "/cart/items" || r.Query != "id=7" {
						t.Errorf("path base %q, path %q, query %q; want %q, /cart/items, id=7", r.PathBase, r.Path, r.Query, tt.prefix)
					}
					if r.Host != "shop.example.com" {
						t.Errorf("host %q, want the client's shop.example.com", r.Host)
					}
					if v := r.Headers.Values("Ms-Aspnetcore-Token"); len(v) != 0 {
						t.Errorf("the application saw the pairing token header %q", v)
					}
					if r.ClientCert != "CN=client.example.com" {
						t.Errorf("client certificate %q, want the one the client presented to the module, CN=client.example.com", r.ClientCert)
					}
					assertForwardedClient(t, r, locals.last())
				})
			}

			t.Run("a client's own X-Forwarded-For is not believed", func(t *testing.T) {
				front, client, locals := startEmulatedModule(t, "tcp4", m, nil)
				req := newRequest(t, "GET", front+tt.prefix+"/", map[string]string{"X-Forwarded-For": "203.0.113.5:50123"})
				r := getReport(t, client, req)
				ap := netip.MustParseAddrPort(locals.last())
				if r.ClientIP != ap.Addr().String() || r.ClientPort != int(ap.Port()) {
					t.Errorf("client %s port %d, want the address the module saw, %s", r.ClientIP, r.ClientPort, ap)
				}
				if got := r.Headers.Get("X-Forwarded-For"); got != "203.0.113.5:50123" {
					t.Errorf("X-Forwarded-For = %q, want the client's unread entry left for the application", got)
				}
			})

			t.Run("a request that bypasses IIS is rejected with 400", func(t *testing.T) {
				tests := []struct {
					name   string
					header map[string]string
				}{
					{"no pairing token", nil},
					{"a wrong pairing token", map[string]string{"MS-ASPNETCORE-TOKEN": strings.Repeat("f", len(pairingToken))}},
				}
				for _, tt2 := range tests {
					t.Run(tt2.name, func(t *testing.T) {
						if got := status(t, newRequest(t, "GET", "http://"+backend+tt.prefix+"/", tt2.header)); got != 400 {
							t.Fatalf("status %d, want 400", got)
						}
					})
				}
				if !strings.Contains(p.Output(), "pairing token (MS-ASPNETCORE-TOKEN) is missing") {
					t.Errorf("the rejection is not logged:\n%s", p.Output())
				}
				if strings.Contains(p.Output(), pairingToken) {
					t.Errorf("the log shows the pairing token")
				}
			})

			t.Run("the shutdown request gets 202 and the process exits 0", func(t *testing.T) {
				// As ANCM sends it on recycle: POST <virtual path>/iisintegration
				// to 127.0.0.1:<port> with the event and the token, no body.
				req := newRequest(t, "POST", "http://"+backend+tt.prefix+"/iisintegration", map[string]string{
					"MS-ASPNETCORE-EVENT": "shutdown",
					"MS-ASPNETCORE-TOKEN": pairingToken,
				})
				if got := status(t, req); got != http.StatusAccepted {
					t.Fatalf("status %d, want 202", got)
				}
				assertGone(t, p, backend)
				for _, want := range []string{"shutdown event", "shutdown complete"} {
					if !strings.Contains(p.Output(), want) {
						t.Errorf("log lacks %q:\n%s", want, p.Output())
					}
				}
			})
		})
	}
}

// TestEmulatedANCMShutdownNeedsTheToken proves a shutdown request without
// the pairing token neither stops the process nor reaches the application.
func TestEmulatedANCMShutdownNeedsTheToken(t *testing.T) {
	p, backend, _ := startUnderIIS(t, "ASPNETCORE_PORT={port}", "ASPNETCORE_TOKEN="+pairingToken, "ASPNETCORE_APPL_PATH=/")
	req := newRequest(t, "POST", "http://"+backend+"/iisintegration", map[string]string{"MS-ASPNETCORE-EVENT": "shutdown"})
	if got := status(t, req); got != 400 {
		t.Fatalf("status %d, want 400", got)
	}
	select {
	case <-p.Done():
		t.Fatalf("the process exited:\n%s", p.Output())
	case <-time.After(300 * time.Millisecond):
	}
	ok := newRequest(t, "GET", "http://"+backend+"/", map[string]string{"MS-ASPNETCORE-TOKEN": pairingToken})
	if got := status(t, ok); got != 200 {
		t.Fatalf("after the forged shutdown: status %d, want 200", got)
	}
	// ANCM's fallback when the shutdown request fails: Ctrl-Break, which
	// Go delivers as os.Interrupt; SIGINT here.
	if err := p.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	assertGone(t, p, backend)
}

// TestEmulatedHttpPlatformHandler runs apphost as HttpPlatformHandler runs
// a process: HTTP_PLATFORM_PORT in the environment, requests proxied with
// forwarding headers and no token. It has no shutdown request: the process
// is stopped through its console (Ctrl-Break, which Go delivers as
// os.Interrupt; SIGINT here) or terminated.
func TestEmulatedHttpPlatformHandler(t *testing.T) {
	p, backend, ignored := startUnderIIS(t, "HTTP_PLATFORM_PORT={port}", "ASPNETCORE_TOKEN=stray")
	if !strings.Contains(p.Output(), "module=HttpPlatformHandler") {
		t.Errorf("the log does not say IIS mode under HttpPlatformHandler:\n%s", p.Output())
	}
	if c, err := net.DialTimeout("tcp", ignored, time.Second); err == nil {
		c.Close()
		t.Fatalf("the configured --listen %s is served; IIS mode must listen on %s only", ignored, backend)
	}
	m := emulatedModule{backend: backend}

	t.Run("a client reaches the application through the module", func(t *testing.T) {
		front, client, locals := startEmulatedModule(t, "tcp4", m, nil)
		req := newRequest(t, "GET", front+"/cart", map[string]string{
			// HttpPlatformHandler passes this through from the client;
			// without a pairing token the host must not believe it.
			"MS-ASPNETCORE-CLIENTCERT": "MIIBforgedbytheclient",
		})
		r := getReport(t, client, req)
		if r.PathBase != "" || r.Path != "/cart" {
			t.Errorf("path base %q, path %q; want none and /cart", r.PathBase, r.Path)
		}
		if v := r.Headers.Values("Ms-Aspnetcore-Clientcert"); len(v) != 0 || r.ClientCert != "" {
			t.Errorf("the application saw a client's MS-ASPNETCORE-CLIENTCERT %q (certificate %q)", v, r.ClientCert)
		}
		assertForwardedClient(t, r, locals.last())
	})

	t.Run("there is no pairing token to check, and no shutdown event", func(t *testing.T) {
		if got := status(t, newRequest(t, "GET", "http://"+backend+"/", nil)); got != 200 {
			t.Fatalf("status %d, want 200", got)
		}
		req := newRequest(t, "POST", "http://"+backend+"/iisintegration", map[string]string{"MS-ASPNETCORE-EVENT": "shutdown"})
		if got := status(t, req); got != 200 {
			t.Fatalf("status %d, want the application's 200", got)
		}
		select {
		case <-p.Done():
			t.Fatalf("the process exited:\n%s", p.Output())
		case <-time.After(300 * time.Millisecond):
		}
	})

	t.Run("Ctrl-Break (SIGINT here) stops it gracefully", func(t *testing.T) {
		if err := p.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		assertGone(t, p, backend)
		if !strings.Contains(p.Output(), "shutdown complete") {
			t.Errorf("log lacks the graceful shutdown:\n%s", p.Output())
		}
	})
}
