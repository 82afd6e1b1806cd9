package host

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

// envMap is a Getenv reading a fixed set of variables.
func envMap(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

func TestDetectIIS(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    IIS
		wantErr string // substring of the error; "" for none
	}{
		// Not under IIS.
		{"no variables: IIS mode off", nil, IIS{}, ""},
		{"a token without a port is not IIS", map[string]string{EnvANCMToken: "t", EnvANCMAppPath: "/shop"}, IIS{}, ""},

		// The ASP.NET Core Module, out of process.
		{"ANCM sets port, token and a virtual path",
			map[string]string{EnvANCMPort: "38112", EnvANCMToken: "4f9c2a1e-0b7d-4f2e-9a55-1d1c2b3a4e5f", EnvANCMAppPath: "/shop"},
			IIS{Module: ModuleANCM, Port: 38112, Token: "4f9c2a1e-0b7d-4f2e-9a55-1d1c2b3a4e5f", PathBase: "/shop"}, ""},
		{"ANCM's / for a site's root application is no path base",
			map[string]string{EnvANCMPort: "38112", EnvANCMToken: "t", EnvANCMAppPath: "/"},
			IIS{Module: ModuleANCM, Port: 38112, Token: "t"}, ""},
		{"a trailing slash on the virtual path goes",
			map[string]string{EnvANCMPort: "38112", EnvANCMAppPath: "/shop/api/"},
			IIS{Module: ModuleANCM, Port: 38112, PathBase: "/shop/api"}, ""},
		{"ANCM without a token is still ANCM",
			map[string]string{EnvANCMPort: "1"},
			IIS{Module: ModuleANCM, Port: 1}, ""},
		{"the same port in both variables is ANCM",
			map[string]string{EnvANCMPort: "5001", EnvHTTPPlatformPort: "5001", EnvANCMToken: "t"},
			IIS{Module: ModuleANCM, Port: 5001, Token: "t"}, ""},

		// HttpPlatformHandler.
		{"HttpPlatformHandler sets only the port",
			map[string]string{EnvHTTPPlatformPort: "65535"},
			IIS{Module: ModuleHTTPPlatformHandler, Port: 65535}, ""},
		{"HttpPlatformHandler sends no token, so a stray ASPNETCORE_TOKEN is not read",
			map[string]string{EnvHTTPPlatformPort: "8080", EnvANCMToken: "stray"},
			IIS{Module: ModuleHTTPPlatformHandler, Port: 8080}, ""},
		{"a virtual path set for HttpPlatformHandler by the operator is read",
			map[string]string{EnvHTTPPlatformPort: "8080", EnvANCMAppPath: "/shop"},
			IIS{Module: ModuleHTTPPlatformHandler, Port: 8080, PathBase: "/shop"}, ""},

		// Values that must fail start-up.
		{"a port that is not a number", map[string]string{EnvANCMPort: "http"}, IIS{}, `ASPNETCORE_PORT="http": a port number`},
		{"port 0", map[string]string{EnvHTTPPlatformPort: "0"}, IIS{}, `HTTP_PLATFORM_PORT="0"`},
		{"a port above 65535", map[string]string{EnvANCMPort: "65536"}, IIS{}, `ASPNETCORE_PORT="65536"`},
		{"a negative port", map[string]string{EnvANCMPort: "-1"}, IIS{}, `ASPNETCORE_PORT="-1"`},
		{"a signed port", map[string]string{EnvANCMPort: "+5000"}, IIS{}, `ASPNETCORE_PORT="+5000"`},
		{"two modules with different ports", map[string]string{EnvANCMPort: "5001", EnvHTTPPlatformPort: "5002"}, IIS{}, "both set"},
		{"a relative virtual path", map[string]string{EnvANCMPort: "5001", EnvANCMAppPath: "shop"}, IIS{}, `ASPNETCORE_APPL_PATH="shop": a virtual path starting with /`},
		{"a virtual path with a query", map[string]string{EnvANCMPort: "5001", EnvANCMAppPath: "/shop?x"}, IIS{}, "no query"},
		{"a virtual path with an empty segment", map[string]string{EnvANCMPort: "5001", EnvANCMAppPath: "//shop"}, IIS{}, "empty segment"},
		{"a virtual path with a control character", map[string]string{EnvANCMPort: "5001", EnvANCMAppPath: "/sh\nop"}, IIS{}, "control character"},
		{"a virtual path with DEL", map[string]string{EnvANCMPort: "5001", EnvANCMAppPath: "/sh\x7fop"}, IIS{}, "control character"},
		{"a virtual path with a C1 control character", map[string]string{EnvANCMPort: "5001", EnvANCMAppPath: "/sh\u0085op"}, IIS{}, "control character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DetectIIS(envMap(tt.env))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
			if got.Enabled() != (tt.want.Module != "") {
				t.Fatalf("Enabled() = %v", got.Enabled())
			}
		})
	}
}

// TestIISListensOnItsPortOnly proves IIS mode replaces the configured
// addresses with 127.0.0.1:<port> and says so in the log.
func TestIISListensOnItsPortOnly(t *testing.T) {
	port := harness.FreePort(t)
	var logs syncBuffer
	s := startServer(t, testApp(), Options{
		Listen: []string{"127.0.0.1:0", "unix:" + t.TempDir() + "/app.sock"},
		Logger: slog.New(slog.NewTextHandler(&logs, nil)),
		Getenv: envMap(map[string]string{EnvHTTPPlatformPort: port}),
	})
	addrs := s.Addrs()
	if len(addrs) != 1 || addrs[0].String() != "127.0.0.1:"+port {
		t.Fatalf("listening on %v, want only 127.0.0.1:%s", addrs, port)
	}
	for _, want := range []string{"IIS mode", "module=HttpPlatformHandler", "addr=127.0.0.1:" + port, "ignored_listen=", "app.sock"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	if status, body := get(t, http.DefaultClient, "http://127.0.0.1:"+port+"/"); status != 200 || body != "hello" {
		t.Fatalf("status %d body %q", status, body)
	}

	t.Run("the admin address may not be IIS's port", func(t *testing.T) {
		_, err := New(testApp(), Options{
			AdminListen: "127.0.0.1:" + port,
			Getenv:      envMap(map[string]string{EnvANCMPort: port}),
			AccessLog:   io.Discard, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err == nil || !strings.Contains(err.Error(), "admin address") {
			t.Fatalf("error %v, want the admin address overlap", err)
		}
	})
	t.Run("a bad IIS variable fails New", func(t *testing.T) {
		_, err := New(testApp(), Options{
			Getenv:    envMap(map[string]string{EnvANCMPort: "none"}),
			AccessLog: io.Discard, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		})
		if err == nil || !strings.Contains(err.Error(), `ASPNETCORE_PORT="none"`) {
			t.Fatalf("error %v", err)
		}
	})
}

// TestIISFromProcessEnvironment proves a nil Options.Getenv reads the
// process environment, as a service started by IIS needs.
func TestIISFromProcessEnvironment(t *testing.T) {
	port := harness.FreePort(t)
	t.Setenv(EnvANCMPort, "")
	t.Setenv(EnvHTTPPlatformPort, port)
	s := startServer(t, testApp(), Options{})
	if addrs := s.Addrs(); len(addrs) != 1 || addrs[0].String() != "127.0.0.1:"+port {
		t.Fatalf("listening on %v, want 127.0.0.1:%s from HTTP_PLATFORM_PORT", addrs, port)
	}
}

// seen is what iisApp reports about the request it received.
type seen struct {
	Path, RawPath, PathBase string
	Token                   []string
	ClientCert              []string
	CertSubject             string
}

// iisApp answers with a JSON seen.
func iisApp() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s := seen{
			Path: r.URL.Path, RawPath: r.URL.RawPath, PathBase: PathBase(r.Context()),
			Token: r.Header.Values("MS-ASPNETCORE-TOKEN"), ClientCert: r.Header.Values("MS-ASPNETCORE-CLIENTCERT"),
		}
		if c, ok := ClientCertificate(r); ok {
			s.CertSubject = c.Subject.CommonName
		}
		json.NewEncoder(w).Encode(s)
	})
}

// startIIS serves iisApp in IIS mode with the given variables (the port is
// chosen here) and returns its base URL.
func startIIS(t *testing.T, env map[string]string, logs io.Writer) string {
	t.Helper()
	port := harness.FreePort(t)
	vars := map[string]string{}
	for k, v := range env {
		vars[k] = v
	}
	if vars[EnvHTTPPlatformPort] == "" {
		vars[EnvANCMPort] = port
	} else {
		vars[EnvHTTPPlatformPort] = port
	}
	opts := Options{Getenv: envMap(vars)}
	if logs != nil {
		opts.Logger = slog.New(slog.NewTextHandler(logs, nil))
	}
	startServer(t, iisApp(), opts)
	return "http://127.0.0.1:" + port
}

// send makes one request with the given headers and decodes iisApp's
// answer when the status is 200.
func send(t *testing.T, method, url string, header http.Header) (int, seen) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	var s seen
	if resp.StatusCode == 200 {
		if err := json.NewDecoder(resp.Body).Decode(&s); err != nil {
			t.Fatalf("decode: %v", err)
		}
	}
	return resp.StatusCode, s
}

const testToken = "4f9c2a1e-0b7d-4f2e-9a55-1d1c2b3a4e5f"

func TestIISPairingToken(t *testing.T) {
	var logs syncBuffer
	base := startIIS(t, map[string]string{EnvANCMToken: testToken}, &logs)
	tests := []struct {
		name   string
		tokens []string
		want   int
	}{
		// A request that did not come through IIS: a local process or a
		// client reaching the port directly.
		{"a request without the token is rejected", nil, 400},
		{"a wrong token of the same length is rejected", []string{strings.Repeat("0", len(testToken))}, 400},
		{"a prefix of the token is rejected", []string{testToken[:8]}, 400},
		{"the token with a suffix is rejected", []string{testToken + "0"}, 400},
		{"an empty token is rejected", []string{""}, 400},
		{"the token sent twice is rejected", []string{testToken, testToken}, 400},
		{"the token differing only in case is rejected", []string{strings.ToUpper(testToken)}, 400},
		// What ANCM sends.
		{"the right token passes, and the application does not see it", []string{testToken}, 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, s := send(t, "GET", base+"/", http.Header{"Ms-Aspnetcore-Token": tt.tokens})
			if status != tt.want {
				t.Fatalf("status %d, want %d", status, tt.want)
			}
			if status == 200 && len(s.Token) != 0 {
				t.Fatalf("the application saw MS-ASPNETCORE-TOKEN %q", s.Token)
			}
		})
	}
	for _, want := range []string{"pairing token (MS-ASPNETCORE-TOKEN) is missing", "is wrong", "is repeated"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %q:\n%s", want, logs.String())
		}
	}
	if strings.Contains(logs.String(), testToken) {
		t.Errorf("the log shows the pairing token:\n%s", logs.String())
	}
}

func TestIISPathBase(t *testing.T) {
	withToken := http.Header{"Ms-Aspnetcore-Token": {testToken}}
	tests := []struct {
		name, appPath, target       string
		wantBase, wantPath, wantRaw string
	}{
		{"the virtual path is stripped and becomes the path base", "/shop", "/shop/cart/items", "/shop", "/cart/items", ""},
		{"the virtual path alone leaves /", "/shop", "/shop", "/shop", "/", ""},
		{"the virtual path with a slash leaves /", "/shop/", "/shop/", "/shop", "/", ""},
		{"IIS matches virtual paths case-insensitively; the base keeps the request's case", "/shop", "/SHOP/cart", "/SHOP", "/cart", ""},
		{"a longer first segment is not under the virtual path", "/shop", "/shopping/cart", "", "/shopping/cart", ""},
		{"a path outside the virtual path passes unchanged", "/shop", "/other/x", "", "/other/x", ""},
		{"a nested virtual path", "/shop/api", "/shop/api/v1", "/shop/api", "/v1", ""},
		{"an escaped virtual path matches its decoded form", "/my app", "/my%20app/x", "/my app", "/x", ""},
		{"the client's escaping of the rest is kept", "/shop", "/shop/a%2Fb", "/shop", "/a/b", "/a%2Fb"},
		{"an encoded slash does not end a segment", "/shop", "/shop%2Fcart", "", "/shop/cart", "/shop%2Fcart"},
		{"an encoded slash after an encoded base segment is kept", "/my app", "/my%20app/b%2Fc", "/my app", "/b/c", "/b%2Fc"},
		{"a first segment with an encoded slash is not the base, and keeps its escaping", "/shop", "/shop%2Fa/b%2Fc", "", "/shop/a/b/c", "/shop%2Fa/b%2Fc"},
		{"a root application has no path base", "/", "/shop/cart", "", "/shop/cart", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			base := startIIS(t, map[string]string{EnvANCMToken: testToken, EnvANCMAppPath: tt.appPath}, nil)
			status, s := send(t, "GET", base+tt.target, withToken)
			if status != 200 {
				t.Fatalf("status %d", status)
			}
			if s.PathBase != tt.wantBase || s.Path != tt.wantPath || s.RawPath != tt.wantRaw {
				t.Fatalf("path base %q, path %q, raw path %q; want %q, %q, %q", s.PathBase, s.Path, s.RawPath, tt.wantBase, tt.wantPath, tt.wantRaw)
			}
		})
	}
}

// TestIISShutdownEvent proves ANCM's shutdown request gets 202 and a
// graceful shutdown, and that nothing else is mistaken for it.
func TestIISShutdownEvent(t *testing.T) {
	t.Run("requests that are not the shutdown event reach the application", func(t *testing.T) {
		base := startIIS(t, map[string]string{EnvANCMToken: testToken, EnvANCMAppPath: "/shop"}, nil)
		tests := []struct {
			name, method, target, event string
		}{
			{"GET instead of POST", "GET", "/shop/iisintegration", "shutdown"},
			{"no event header", "POST", "/shop/iisintegration", ""},
			{"another event", "POST", "/shop/iisintegration", "restart"},
			{"another path", "POST", "/shop/iisintegration/x", "shutdown"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				h := http.Header{"Ms-Aspnetcore-Token": {testToken}}
				if tt.event != "" {
					h.Set("MS-ASPNETCORE-EVENT", tt.event)
				}
				if status, _ := send(t, tt.method, base+tt.target, h); status != 200 {
					t.Fatalf("status %d, want 200 from the application", status)
				}
			})
		}
		t.Run("the event without the token is rejected", func(t *testing.T) {
			if status, _ := send(t, "POST", base+"/shop/iisintegration", http.Header{"Ms-Aspnetcore-Event": {"shutdown"}}); status != 400 {
				t.Fatalf("status %d, want 400", status)
			}
		})
		if status, _ := send(t, "GET", base+"/shop/", http.Header{"Ms-Aspnetcore-Token": {testToken}}); status != 200 {
			t.Fatalf("the server stopped serving: status %d", status)
		}
	})

	t.Run("without a pairing token (HttpPlatformHandler) the event is the application's", func(t *testing.T) {
		base := startIIS(t, map[string]string{EnvHTTPPlatformPort: "set"}, nil)
		if status, _ := send(t, "POST", base+"/iisintegration", http.Header{"Ms-Aspnetcore-Event": {"shutdown"}}); status != 200 {
			t.Fatalf("status %d, want 200 from the application", status)
		}
		if status, _ := send(t, "GET", base+"/", nil); status != 200 {
			t.Fatalf("the server stopped serving: status %d", status)
		}
	})

	t.Run("the event gets 202 and a graceful shutdown that lets requests finish", func(t *testing.T) {
		port := harness.FreePort(t)
		release := make(chan struct{})
		started := make(chan struct{})
		app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/slow" {
				close(started)
				<-release
			}
			io.WriteString(w, "done")
		})
		var logs syncBuffer
		s, err := New(app, Options{
			AdminListen: "127.0.0.1:0", AccessLog: io.Discard,
			Logger: slog.New(slog.NewTextHandler(&logs, nil)),
			Getenv: envMap(map[string]string{EnvANCMPort: port, EnvANCMToken: testToken, EnvANCMAppPath: "/shop"}),
		})
		if err != nil {
			t.Fatal(err)
		}
		served := make(chan error, 1)
		go func() { served <- s.Serve(context.Background()) }()
		base := "http://127.0.0.1:" + port

		slow := make(chan int, 1)
		go func() {
			req, _ := http.NewRequest("GET", base+"/shop/slow", nil)
			req.Header.Set("MS-ASPNETCORE-TOKEN", testToken)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				slow <- -1
				return
			}
			resp.Body.Close()
			slow <- resp.StatusCode
		}()
		<-started

		// As ANCM sends it: POST <virtual path>/iisintegration, no body.
		resp, body := exchange(t, "127.0.0.1:"+port, "POST /shop/iisintegration HTTP/1.1\r\nHost: 127.0.0.1:"+port+
			"\r\nMS-ASPNETCORE-EVENT: shutdown \r\nMS-ASPNETCORE-TOKEN: "+testToken+"\r\nContent-Length: 0\r\n\r\n")
		if resp.StatusCode != http.StatusAccepted || body != "" {
			t.Fatalf("status %d body %q, want 202 and no body", resp.StatusCode, body)
		}
		harness.WaitFor(t, 5*time.Second, "the listener to close", func() bool {
			c, err := net.DialTimeout("tcp", "127.0.0.1:"+port, time.Second)
			if err == nil {
				c.Close()
			}
			return err != nil
		})
		select {
		case err := <-served:
			t.Fatalf("Serve returned %v with a request in flight", err)
		default:
		}
		close(release)
		if got := <-slow; got != 200 {
			t.Fatalf("the request in flight got %d, want 200", got)
		}
		select {
		case err := <-served:
			if err != nil {
				t.Fatalf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not return after the shutdown event")
		}
		if !strings.Contains(logs.String(), "shutdown event") {
			t.Errorf("log lacks the shutdown event:\n%s", logs.String())
		}
	})
}

// testCert returns a self-signed certificate's DER bytes.
func testCert(t *testing.T, cn string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestIISClientCertificate(t *testing.T) {
	der := testCert(t, "client.example.com")
	std := base64.StdEncoding.EncodeToString(der)
	var logs syncBuffer
	ancm := startIIS(t, map[string]string{EnvANCMToken: testToken}, &logs)
	hpf := startIIS(t, map[string]string{EnvHTTPPlatformPort: "set"}, nil)
	tests := []struct {
		name        string
		base        string
		certs       []string
		wantSubject string
		wantHeader  bool // the application still sees the header
		wantLog     string
	}{
		{"ANCM: a base64 DER certificate is parsed", ancm, []string{std}, "client.example.com", true, ""},
		{"ANCM: unpadded base64 is accepted", ancm, []string{base64.RawStdEncoding.EncodeToString(der)}, "client.example.com", true, ""},
		{"ANCM: no header, no certificate", ancm, nil, "", false, ""},
		{"ANCM: a value that is not base64 is ignored and logged", ancm, []string{"not*base64"}, "", true, "not base64"},
		{"ANCM: base64 of something else is ignored and logged", ancm, []string{base64.StdEncoding.EncodeToString([]byte("hello"))}, "", true, "not a DER certificate"},
		{"ANCM: two certificates are ignored and logged", ancm, []string{std, std}, "", true, "2 header fields"},
		// HttpPlatformHandler passes a client's header through; without a
		// pairing token nothing proves IIS wrote it.
		{"HttpPlatformHandler: the header is removed, not believed", hpf, []string{std}, "", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := http.Header{"Ms-Aspnetcore-Clientcert": tt.certs}
			if tt.base == ancm {
				h.Set("MS-ASPNETCORE-TOKEN", testToken)
			}
			status, s := send(t, "GET", tt.base+"/", h)
			if status != 200 {
				t.Fatalf("status %d", status)
			}
			if s.CertSubject != tt.wantSubject {
				t.Fatalf("certificate subject %q, want %q", s.CertSubject, tt.wantSubject)
			}
			if (len(s.ClientCert) > 0) != tt.wantHeader {
				t.Fatalf("application saw MS-ASPNETCORE-CLIENTCERT %q; want it: %v", s.ClientCert, tt.wantHeader)
			}
			if tt.wantLog != "" && !strings.Contains(logs.String(), tt.wantLog) {
				t.Fatalf("log lacks %q:\n%s", tt.wantLog, logs.String())
			}
		})
	}
}

func TestClientCertificateSources(t *testing.T) {
	tlsCert, _ := x509.ParseCertificate(testCert(t, "tls.example.com"))
	iisCert, _ := x509.ParseCertificate(testCert(t, "iis.example.com"))
	plain := httptest.NewRequest("GET", "/", nil)
	viaTLS := httptest.NewRequest("GET", "/", nil)
	viaTLS.TLS = &tls.ConnectionState{PeerCertificates: []*x509.Certificate{tlsCert}}
	tests := []struct {
		name string
		r    *http.Request
		want string // common name; "" for none
	}{
		{"neither IIS nor TLS: no certificate", plain, ""},
		{"TLS without a client certificate: none", httptest.NewRequest("GET", "https://example.com/", nil), ""},
		{"TLS: the first peer certificate", viaTLS, "tls.example.com"},
		{"IIS: the forwarded certificate", plain.WithContext(withClientCert(plain.Context(), iisCert)), "iis.example.com"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, ok := ClientCertificate(tt.r)
			if ok != (tt.want != "") || (ok && c.Subject.CommonName != tt.want) {
				t.Fatalf("got %v, %v; want %q", c, ok, tt.want)
			}
		})
	}
}
