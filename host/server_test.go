package host

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

// TestH2CPriorKnowledge proves HTTP/1.1 and prior-knowledge HTTP/2
// cleartext share one listener.
func TestH2CPriorKnowledge(t *testing.T) {
	url := "http://" + startServer(t, testApp(), Options{}).Addrs()[0].String() + "/proto"

	var h2 http.Protocols
	h2.SetUnencryptedHTTP2(true)
	h2Client := &http.Client{Transport: &http.Transport{Protocols: &h2}, Timeout: 10 * time.Second}
	t.Cleanup(h2Client.CloseIdleConnections)

	tests := []struct {
		name   string
		client *http.Client
		want   string
	}{
		{"an HTTP/2 request with prior knowledge is answered as HTTP/2.0", h2Client, "HTTP/2.0"},
		{"an HTTP/1.1 request on the same listener is answered as HTTP/1.1", http.DefaultClient, "HTTP/1.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := tt.client.Get(url)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, _ := io.ReadAll(resp.Body)
			if resp.Proto != tt.want || string(body) != tt.want {
				t.Fatalf("response %s, handler saw %q; want %s", resp.Proto, body, tt.want)
			}
		})
	}

	t.Run("limits apply to HTTP/2 requests too", func(t *testing.T) {
		req, _ := http.NewRequest("GET", url, nil)
		for i := range 100 {
			req.Header.Add("X-Many", strings.Repeat("m", i))
		}
		resp, err := h2Client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestHeaderFieldsTooLarge {
			t.Fatalf("status %d, want 431", resp.StatusCode)
		}
	})
}

// TestPanicRecovery proves a panicking handler gives 500, is logged with its
// stack and in the access log, and the server keeps serving.
func TestPanicRecovery(t *testing.T) {
	var logs, access syncBuffer
	s := startServer(t, testApp(), Options{
		Logger:    slog.New(slog.NewJSONHandler(&logs, nil)),
		AccessLog: &access,
	})
	base := "http://" + s.Addrs()[0].String()

	if status, _ := get(t, http.DefaultClient, base+"/panic"); status != 500 {
		t.Fatalf("panicking handler: status %d, want 500", status)
	}
	if status, body := get(t, http.DefaultClient, base+"/"); status != 200 || body != "hello" {
		t.Fatalf("next request: status %d body %q, want 200 hello", status, body)
	}
	t.Run("http.ErrAbortHandler aborts the response without a logged stack", func(t *testing.T) {
		before := strings.Count(logs.String(), "panic serving request")
		resp, err := http.Get(base + "/abort")
		if err == nil {
			_, err = io.ReadAll(resp.Body)
			resp.Body.Close()
		}
		if err == nil {
			t.Fatalf("aborted response read without error (status %d)", resp.StatusCode)
		}
		if after := strings.Count(logs.String(), "panic serving request"); after != before {
			t.Errorf("abort logged as a panic:\n%s", logs.String())
		}
		if status, _ := get(t, http.DefaultClient, base+"/"); status != 200 {
			t.Fatalf("request after the abort: %d", status)
		}
	})
	for _, want := range []string{`"msg":"panic serving request"`, `"panic":"test panic !!!"`, `goroutine `, `host.testApp`} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log lacks %s:\n%s", want, logs.String())
		}
	}
	if !strings.Contains(access.String(), `"GET /panic HTTP/1.1" 500 `) {
		t.Errorf("access log lacks the 500:\n%s", access.String())
	}
}

// TestAccessLog proves one combined-log-format line per request.
func TestAccessLog(t *testing.T) {
	var access syncBuffer
	s := startServer(t, testApp(), Options{AccessLog: &access})
	req, _ := http.NewRequest("GET", "http://"+s.Addrs()[0].String()+"/?a=1", nil)
	req.Header.Set("Referer", "http://ref.example/")
	req.Header.Set("User-Agent", "access-test/1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	line := regexp.MustCompile(`^127\.0\.0\.1 - - \[\d{2}/\w{3}/\d{4}:\d{2}:\d{2}:\d{2} [+-]\d{4}\] "GET /\?a=1 HTTP/1\.1" 200 5 "http://ref\.example/" "access-test/1"\n$`)
	harness.WaitFor(t, 5*time.Second, "the access log line", func() bool { return access.String() != "" })
	if !line.MatchString(access.String()) {
		t.Fatalf("access log %q is not in the combined format", access.String())
	}
}

// TestAdminEndpoints proves /healthz and /readyz answer on the admin address
// only, next to the extra admin handlers.
func TestAdminEndpoints(t *testing.T) {
	s := startServer(t, testApp(), Options{AdminHandlers: map[string]http.Handler{
		"/extra": http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "extra") }),
	}})
	public := "http://" + s.Addrs()[0].String()
	admin := "http://" + s.AdminAddr().String()

	tests := []struct {
		name   string
		url    string
		status int
		body   string
	}{
		{"liveness answers on the admin address", admin + "/healthz", 200, "ok\n"},
		{"readiness answers on the admin address", admin + "/readyz", 200, "ready\n"},
		{"an extra admin handler answers", admin + "/extra", 200, "extra"},
		{"the application is not on the admin address", admin + "/", 404, "404 page not found\n"},
		{"liveness is not on the public address", public + "/healthz", 404, "404 page not found\n"},
		{"readiness is not on the public address", public + "/readyz", 404, "404 page not found\n"},
		{"metrics are not on the public address", public + "/metrics", 404, "404 page not found\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if status, body := get(t, http.DefaultClient, tt.url); status != tt.status || body != tt.body {
				t.Fatalf("status %d body %q, want %d %q", status, body, tt.status, tt.body)
			}
		})
	}
}

func TestAdminOff(t *testing.T) {
	s := startServer(t, testApp(), Options{AdminListen: AdminOff})
	if a := s.AdminAddr(); a != nil {
		t.Fatalf("AdminAddr %v with the admin listener off", a)
	}
}

// TestGracefulDrain proves the shutdown order: readiness turns 503, new
// connections are refused, the request in flight completes, Serve returns
// nil.
func TestGracefulDrain(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-release
		io.WriteString(w, "finished")
	})
	s, cancel, served := serveManually(t, app, Options{AdminListen: "127.0.0.1:0"})
	addr, admin := s.Addrs()[0].String(), "http://"+s.AdminAddr().String()+"/readyz"

	type result struct {
		status int
		body   string
	}
	inFlight := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + addr + "/")
		if err != nil {
			inFlight <- result{body: err.Error()}
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		inFlight <- result{resp.StatusCode, string(body)}
	}()
	<-entered
	if status, _ := get(t, http.DefaultClient, admin); status != 200 {
		t.Fatalf("/readyz before shutdown: %d, want 200", status)
	}

	cancel()
	harness.WaitFor(t, 5*time.Second, "/readyz to answer 503", func() bool {
		status, _ := get(t, http.DefaultClient, admin)
		return status == http.StatusServiceUnavailable
	})
	harness.WaitFor(t, 5*time.Second, "new connections to be refused", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err != nil
	})
	close(release)
	if r := <-inFlight; r.status != 200 || r.body != "finished" {
		t.Fatalf("request in flight: %d %q, want 200 finished", r.status, r.body)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve: %v, want nil", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Serve did not return")
	}
}

// TestShutdownTimeout proves requests still running at the end of the
// shutdown timeout are cut and reported.
func TestShutdownTimeout(t *testing.T) {
	entered := make(chan struct{})
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done()
	})
	s, cancel, served := serveManually(t, app, Options{ShutdownTimeout: 200 * time.Millisecond, Logger: slog.New(slog.DiscardHandler)})
	go func() {
		if resp, err := http.Get("http://" + s.Addrs()[0].String() + "/"); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	start := time.Now()
	cancel()
	err := <-served
	if !errors.Is(err, ErrShutdownTimeout) {
		t.Fatalf("Serve: %v, want ErrShutdownTimeout", err)
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 5*time.Second {
		t.Errorf("Serve returned %s after the shutdown began, want about 200ms", d)
	}
}

// TestNewRejectsBadOptions proves bad options fail start-up with an error
// naming the bad value, and leave nothing bound.
func TestNewRejectsBadOptions(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		want string
	}{
		{"an admin address equal to a public one", Options{Listen: []string{"127.0.0.1:5999"}, AdminListen: "127.0.0.1:5999"}, `admin address "127.0.0.1:5999" overlaps the listen address "127.0.0.1:5999"`},
		{"an admin address on every interface with a public port", Options{Listen: []string{"127.0.0.1:5999"}, AdminListen: "0.0.0.0:5999"}, `overlaps`},
		{"an admin address on the loopback address a public localhost resolves to", Options{Listen: []string{"localhost:5999"}, AdminListen: "127.0.0.1:5999"}, `admin address "127.0.0.1:5999" overlaps the listen address "localhost:5999"`},
		{"an admin address on IPv6 any with a public port", Options{Listen: []string{"127.0.0.1:5999"}, AdminListen: "[::]:5999"}, `overlaps`},
		{"an admin socket equal to a public one", Options{Listen: []string{"unix:/tmp/x.sock"}, AdminListen: "unix:/tmp/x.sock"}, `overlaps`},
		{"a listen address without a port", Options{Listen: []string{"127.0.0.1"}}, `"127.0.0.1": expected host:port`},
		{"a port out of range", Options{Listen: []string{"127.0.0.1:70000"}}, `port "70000" is not a number from 0 to 65535`},
		{"a relative unix socket path", Options{Listen: []string{"unix:run/app.sock"}}, `"unix:run/app.sock": a unix socket needs an absolute path`},
		{"an address listed twice", Options{Listen: []string{"127.0.0.1:5999", "127.0.0.1:5999"}}, `listen addresses "127.0.0.1:5999" and "127.0.0.1:5999" would listen on the same socket`},
		{"localhost and the loopback address it names", Options{Listen: []string{"localhost:5999", "127.0.0.1:5999"}}, `listen addresses "localhost:5999" and "127.0.0.1:5999" would listen on the same socket`},
		{"every interface and one of them", Options{Listen: []string{":5999", "127.0.0.1:5999"}}, `would listen on the same socket`},
		{"a negative shutdown timeout", Options{ShutdownTimeout: -time.Second}, `shutdown timeout -1s`},
		{"a negative body grace", Options{Limits: Limits{MinRequestBodyGrace: -time.Second}}, `min request body grace -1s`},
		{"a socket mode beyond permission bits", Options{UnixSocketMode: 0o4777}, `unix socket mode 04777`},
		{"a reserved admin path", Options{AdminHandlers: map[string]http.Handler{"/readyz": http.NotFoundHandler()}}, `"/readyz": reserved`},
		{"an admin path without a slash", Options{AdminHandlers: map[string]http.Handler{"metrics": http.NotFoundHandler()}}, `"metrics": must start with /`},
		{"a port already in use", Options{Listen: []string{"127.0.0.1:0"}, AdminListen: "127.0.0.1:0"}, ""}, // filled below
	}
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	last := &tests[len(tests)-1]
	last.opts.Listen = []string{busy.Addr().String()}
	last.want = "listen on " + busy.Addr().String()

	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.opts.AdminListen == "" {
				tt.opts.AdminListen = AdminOff
			}
			s, err := New(testApp(), tt.opts)
			if err == nil {
				s.closeListeners()
				t.Fatalf("New accepted the options")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
		})
	}
}

func TestDefaultLimitsAreKestrels(t *testing.T) {
	got, err := Limits{}.resolve()
	if err != nil {
		t.Fatal(err)
	}
	if got != DefaultLimits() {
		t.Fatalf("zero Limits resolve to %+v, want DefaultLimits %+v", got, DefaultLimits())
	}
	if neg, _ := (Limits{MaxRequestBody: -1, MaxConnections: -1}).resolve(); neg.MaxRequestBody != -1 || neg.MaxConnections != 0 {
		t.Fatalf("negative limits resolve to %+v, want them kept off", neg)
	}
}

// TestH2CShutdownAndSlowBody covers HTTP/2 streams: a slow upload is cut with
// 408 like an HTTP/1.1 one, and an idle HTTP/2 connection does not hold the
// shutdown back.
func TestH2CShutdownAndSlowBody(t *testing.T) {
	s, cancel, served := serveManually(t, testApp(), Options{Limits: Limits{MinRequestBodyRate: 10_000, MinRequestBodyGrace: 300 * time.Millisecond}})
	defer cancel()

	var h2 http.Protocols
	h2.SetUnencryptedHTTP2(true)
	client := &http.Client{Transport: &http.Transport{Protocols: &h2}, Timeout: 10 * time.Second}
	defer client.CloseIdleConnections()
	url := "http://" + s.Addrs()[0].String() + "/echo"

	t.Run("a stalled HTTP/2 upload gets 408", func(t *testing.T) {
		pr, pw := io.Pipe()
		defer pw.Close()
		go pw.Write([]byte("a few bytes"))
		req, _ := http.NewRequest("POST", url, pr)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestTimeout || resp.Proto != "HTTP/2.0" {
			t.Fatalf("%s %d, want HTTP/2.0 408", resp.Proto, resp.StatusCode)
		}
	})
	t.Run("the connection serves the next stream", func(t *testing.T) {
		resp, err := client.Post(url, "text/plain", strings.NewReader("body"))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 || string(body) != "4" {
			t.Fatalf("%d %q, want 200 4", resp.StatusCode, body)
		}
	})
	t.Run("an idle HTTP/2 connection does not hold the shutdown", func(t *testing.T) {
		start := time.Now()
		cancel()
		select {
		case err := <-served:
			if err != nil {
				t.Fatalf("Serve: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("Serve still draining after 10s")
		}
		if d := time.Since(start); d > 3*time.Second {
			t.Errorf("shutdown took %s with an idle HTTP/2 connection", d)
		}
	})
}
