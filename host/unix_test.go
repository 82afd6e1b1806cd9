package host

import (
	"context"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

// unixClient sends every request to the socket at path.
func unixClient(t *testing.T, path string) *http.Client {
	t.Helper()
	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", path)
	}}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}
}

// TestUnixListener proves a unix socket serves next to a TCP listener, gets
// the configured mode, and is removed at shutdown.
func TestUnixListener(t *testing.T) {
	path := filepath.Join(t.TempDir(), "app.sock")
	t.Run("serves", func(t *testing.T) {
		s := startServer(t, testApp(), Options{Listen: []string{"127.0.0.1:0", "unix:" + path}, UnixSocketMode: 0o600})
		if got := addrString(s.Addrs()[1]); got != "unix:"+path {
			t.Fatalf("second address %s, want unix:%s", got, path)
		}
		info, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if info.Mode().Type() != fs.ModeSocket || info.Mode().Perm() != 0o600 {
			t.Fatalf("socket mode %v, want a socket with 0600", info.Mode())
		}
		if status, body := get(t, unixClient(t, path), "http://app/"); status != 200 || body != "hello" {
			t.Fatalf("over the socket: %d %q", status, body)
		}
		if status, _ := get(t, http.DefaultClient, "http://"+s.Addrs()[0].String()+"/"); status != 200 {
			t.Fatalf("over tcp: %d", status)
		}
	})
	if _, err := os.Lstat(path); !os.IsNotExist(err) {
		t.Fatalf("socket file left after shutdown: %v", err)
	}
}

// TestUnixStaleSocket covers the rule for an existing file at the socket's
// path: replaced only when it is a socket nobody listens on.
func TestUnixStaleSocket(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		prepare func(t *testing.T, path string)
		wantErr string // empty: New succeeds and serves
	}{
		{"a socket left by a dead process is replaced", func(t *testing.T, path string) {
			l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
			if err != nil {
				t.Fatal(err)
			}
			l.SetUnlinkOnClose(false)
			l.Close()
		}, ""},
		{"a socket another process listens on is kept", func(t *testing.T, path string) {
			l, err := net.Listen("unix", path)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { l.Close() })
		}, "another process is listening on this socket"},
		{"a regular file is kept", func(t *testing.T, path string) {
			if err := os.WriteFile(path, []byte("data"), 0o600); err != nil {
				t.Fatal(err)
			}
		}, "the path exists and is not a socket"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, strings.Repeat("s", i+1)+".sock")
			tt.prepare(t, path)
			opts := Options{Listen: []string{"unix:" + path}, AdminListen: AdminOff}
			if tt.wantErr == "" {
				startServer(t, testApp(), opts)
				if status, _ := get(t, unixClient(t, path), "http://app/"); status != 200 {
					t.Fatalf("status %d", status)
				}
				return
			}
			s, err := New(testApp(), opts)
			if err == nil {
				s.closeListeners()
				t.Fatal("New replaced the file")
			}
			if !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), path) {
				t.Fatalf("error %q, want it to name %s and say %q", err, path, tt.wantErr)
			}
			if _, err := os.Lstat(path); err != nil {
				t.Fatalf("file removed: %v", err)
			}
		})
	}
}

// TestUnixPeerAddress proves what a unix-socket peer's address reads as, in
// Request.RemoteAddr and at the start of its access log line: an unnamed
// peer (a client that did not bind its socket, as nginx and curl do) reads
// as the listening socket's path instead of "@", and a peer that bound a
// name keeps it.
func TestUnixPeerAddress(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "app.sock")
	var access syncBuffer
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, r.RemoteAddr) })
	startServer(t, app, Options{Listen: []string{"unix:" + path}, AccessLog: &access})

	named := filepath.Join(dir, "client.sock")
	tests := []struct {
		name  string
		local *net.UnixAddr // the client's own address; nil: unnamed
		want  string
	}{
		{"unnamed peer", nil, path},
		{"named peer", &net.UnixAddr{Name: named, Net: "unix"}, named},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mark := len(access.String())
			c, err := net.DialUnix("unix", tt.local, &net.UnixAddr{Name: path, Net: "unix"})
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			c.SetDeadline(time.Now().Add(10 * time.Second))
			io.WriteString(c, "GET /who HTTP/1.1\r\nHost: app\r\nConnection: close\r\n\r\n")
			resp, body := readResponse(t, c)
			if resp.StatusCode != 200 || body != tt.want {
				t.Errorf("RemoteAddr %q (status %d), want %q", body, resp.StatusCode, tt.want)
			}
			harness.WaitFor(t, 5*time.Second, "the access log line", func() bool { return len(access.String()) > mark })
			if line := access.String()[mark:]; !strings.HasPrefix(line, tt.want+` - - [`) || !strings.Contains(line, `"GET /who HTTP/1.1" 200 `) {
				t.Errorf("access log line %q, want it to begin with %q", line, tt.want+" - - [")
			}
		})
	}
}
