package forwarded

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// serve runs the middleware in a real http.Server on ln and returns a
// client that reaches it; the handler answers with what FromRequest saw.
// get sends X-Forwarded-For only when xff is not empty.
// With connContext the server records each connection's peer with
// ConnContext.
func serve(t *testing.T, opts Options, ln net.Listener, connContext bool) *http.Client {
	t.Helper()
	m, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv := &http.Server{
		ReadHeaderTimeout: 5 * time.Second,
		Handler: m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			res, ok := FromRequest(r)
			fmt.Fprintf(w, "client=%s remote=%s unix=%v xff=%q", res.Client, r.RemoteAddr, res.PeerUnix, r.Header.Get("X-Forwarded-For"))
			fmt.Fprintf(w, " ok=%v scheme=%s host=%s applied=%v", ok, res.Scheme, res.Host, res.Applied)
		})),
	}
	if connContext {
		srv.ConnContext = ConnContext
	}
	go srv.Serve(ln)
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
	})
	tr := &http.Transport{DisableKeepAlives: true}
	if ln.Addr().Network() == "unix" {
		path := ln.Addr().String()
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		}
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

func get(t *testing.T, c *http.Client, url, xff string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if xff != "" {
		req.Header.Set("X-Forwarded-For", xff)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRealServer runs the middleware behind real sockets, where net/http
// itself fills RemoteAddr and the local-address context value, with and
// without the peer recorded per connection by ConnContext.
func TestRealServer(t *testing.T) {
	for _, connContext := range []bool{false, true} {
		t.Run(fmt.Sprintf("ConnContext=%v", connContext), func(t *testing.T) { testRealServer(t, connContext) })
	}
}

func testRealServer(t *testing.T, connContext bool) {
	t.Run("unix socket peer is recognised and trusted by default", func(t *testing.T) {
		ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "app.sock"))
		if err != nil {
			t.Fatal(err)
		}
		got := get(t, serve(t, Options{}, ln, connContext), "http://app/", "6.6.6.6, 203.0.113.7")
		if want := `client=203.0.113.7:0 remote=203.0.113.7:0 unix=true xff="6.6.6.6" ok=true scheme=http host=app applied=true`; got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
	})
	t.Run("unix socket peer not trusted without the word unix", func(t *testing.T) {
		ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "app.sock"))
		if err != nil {
			t.Fatal(err)
		}
		tp := DefaultTrustedProxies()
		tp.Unix = false
		got := get(t, serve(t, Options{TrustedProxies: &tp}, ln, connContext), "http://app/", "6.6.6.6")
		if !strings.Contains(got, `xff="" `) || !strings.Contains(got, "unix=true") || strings.Contains(got, "6.6.6.6") {
			t.Fatalf("got %s", got)
		}
	})
	t.Run("loopback TCP peer is trusted by default", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		got := get(t, serve(t, Options{}, ln, connContext), "http://"+ln.Addr().String()+"/", "203.0.113.7")
		if want := `client=203.0.113.7:0 remote=203.0.113.7:0 unix=false xff="" ok=true scheme=http host=` + ln.Addr().String() + ` applied=true`; got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
	})
	t.Run("request without forwarding headers: the connection's own values", func(t *testing.T) {
		// With ConnContext the request is passed on as it is, and
		// FromRequest answers from the connection's record.
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		c := serve(t, Options{}, ln, connContext)
		for range 2 { // the second time, the connection's record is already marked
			got := get(t, c, "http://"+ln.Addr().String()+"/", "")
			var client, remote string
			if _, err := fmt.Sscanf(got, "client=%s remote=%s", &client, &remote); err != nil || client != remote || !strings.HasPrefix(client, "127.0.0.1:") {
				t.Fatalf("got %s", got)
			}
			if want := ` unix=false xff="" ok=true scheme=http host=` + ln.Addr().String() + ` applied=false`; !strings.HasSuffix(got, want) {
				t.Fatalf("got %s, want it to end in %s", got, want)
			}
		}
	})
	t.Run("unix peer without forwarding headers: the connection's own values", func(t *testing.T) {
		ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "app.sock"))
		if err != nil {
			t.Fatal(err)
		}
		got := get(t, serve(t, Options{}, ln, connContext), "http://app/", "")
		if want := `client=invalid AddrPort remote=@ unix=true xff="" ok=true scheme=http host=app applied=false`; got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
	})
	t.Run("TCP peer outside the trusted list: spoofed header ignored", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		tp, err := ParseTrustedProxies([]string{"10.0.0.0/8"})
		if err != nil {
			t.Fatal(err)
		}
		got := get(t, serve(t, Options{TrustedProxies: &tp}, ln, connContext), "http://"+ln.Addr().String()+"/", "6.6.6.6")
		if strings.Contains(got, "6.6.6.6") || !strings.Contains(got, "client=127.0.0.1:") {
			t.Fatalf("got %s", got)
		}
	})
	t.Run("unix peer whose own socket name reads as a trusted address is not trusted", func(t *testing.T) {
		// A client may bind its end of a unix socket to any name it can
		// create, and net/http gives that name as RemoteAddr.
		t.Chdir(t.TempDir())
		ln, err := net.Listen("unix", "app.sock")
		if err != nil {
			t.Fatal(err)
		}
		tp, err := ParseTrustedProxies([]string{"10.0.0.0/8"})
		if err != nil {
			t.Fatal(err)
		}
		c := serve(t, Options{TrustedProxies: &tp}, ln, connContext)
		c.Transport.(*http.Transport).DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			d := net.Dialer{LocalAddr: &net.UnixAddr{Name: "10.0.0.1:80", Net: "unix"}}
			return d.DialContext(ctx, "unix", "app.sock")
		}
		got := get(t, c, "http://app/", "6.6.6.6")
		if want := `client=invalid AddrPort remote=10.0.0.1:80 unix=true xff="" ok=true scheme=http host=app applied=false`; got != want {
			t.Fatalf("got %s, want %s", got, want)
		}
	})
}

// TestRewrittenRemoteAddrOnAUnixSocket: a step in front of the middleware
// that rewrites RemoteAddr (a PROXY protocol reader, or the middleware
// applied twice) makes that address the peer, on a unix socket too, when
// the server records connections with ConnContext: the unix socket's trust
// does not pass to a client the step named.
func TestRewrittenRemoteAddrOnAUnixSocket(t *testing.T) {
	m, err := New(Options{}) // trusts loopback and unix
	if err != nil {
		t.Fatal(err)
	}
	inner := m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, _ := FromRequest(r)
		fmt.Fprintf(w, "client=%s unix=%v xff=%q", res.Client, res.PeerUnix, r.Header.Get("X-Forwarded-For"))
	}))
	for _, tc := range []struct {
		name  string
		front http.Handler
		xff   string
		want  string
	}{
		{"a PROXY protocol step names the client", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r2 := r.Clone(r.Context())
			r2.RemoteAddr = "198.51.100.9:1234"
			inner.ServeHTTP(w, r2)
		}), "1.2.3.4", `client=198.51.100.9:1234 unix=false xff=""`},
		{"the middleware applied twice", m.Handler(inner), "6.6.6.6, 203.0.113.7", `client=203.0.113.7:0 unix=false xff=""`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ln, err := net.Listen("unix", filepath.Join(t.TempDir(), "app.sock"))
			if err != nil {
				t.Fatal(err)
			}
			srv := &http.Server{Handler: tc.front, ConnContext: ConnContext, ReadHeaderTimeout: 5 * time.Second}
			go srv.Serve(ln)
			t.Cleanup(func() { srv.Close() })
			tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, "unix", ln.Addr().String())
			}}
			t.Cleanup(tr.CloseIdleConnections)
			if got := get(t, &http.Client{Transport: tr, Timeout: 10 * time.Second}, "http://app/", tc.xff); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

// TestHTTP2StreamsShareTheConnectionRecord: over one HTTP/2 connection,
// concurrent streams with and without forwarding headers each get their
// own answer, though they share the connection's record.
func TestHTTP2StreamsShareTheConnectionRecord(t *testing.T) {
	m, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var protocols http.Protocols
	protocols.SetUnencryptedHTTP2(true)
	var conns atomic.Int32
	srv := &http.Server{
		ReadHeaderTimeout: 5 * time.Second,
		Protocols:         &protocols,
		ConnContext:       ConnContext,
		ConnState: func(_ net.Conn, s http.ConnState) {
			if s == http.StateNew {
				conns.Add(1)
			}
		},
		Handler: m.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			res, ok := FromRequest(r)
			fmt.Fprintf(w, "proto=%d ok=%v client=%s applied=%v", r.ProtoMajor, ok, res.Client.Addr(), res.Applied)
		})),
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	tr := &http.Transport{Protocols: &protocols}
	t.Cleanup(tr.CloseIdleConnections)
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	url := "http://" + ln.Addr().String() + "/"

	// One request first, so that the client has its connection before
	// the concurrent ones, which then share it.
	resp, err := c.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()

	const n = 40
	errs := make(chan error, n)
	for i := range n {
		go func() {
			xff, want := "", "proto=2 ok=true client=127.0.0.1 applied=false"
			if i%2 == 1 {
				xff, want = "203.0.113.7", "proto=2 ok=true client=203.0.113.7 applied=true"
			}
			req, err := http.NewRequest(http.MethodGet, url, nil)
			if err != nil {
				errs <- err
				return
			}
			if xff != "" {
				req.Header.Set("X-Forwarded-For", xff)
			}
			resp, err := c.Do(req)
			if err != nil {
				errs <- err
				return
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil && string(b) != want {
				err = fmt.Errorf("X-Forwarded-For %q: got %s, want %s", xff, b, want)
			}
			errs <- err
		}()
	}
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if c := conns.Load(); c != 1 {
		t.Errorf("the streams came over %d connections, want 1", c)
	}
}
