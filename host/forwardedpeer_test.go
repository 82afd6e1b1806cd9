package host

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"github.com/apphost/apphost/forwarded"
)

// TestForwardedPeerPerConnection proves that the public server's peer,
// worked out once per connection, is what the forwarded-headers middleware
// judges on every request of the connection: a unix-socket peer stays one
// whatever its own socket's name reads as, and a trusted TCP peer's
// headers apply to each request of a kept-alive connection.
func TestForwardedPeerPerConnection(t *testing.T) {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, _ := forwarded.FromRequest(r)
		fmt.Fprintf(w, "remote=%s unix=%v xff=%q", r.RemoteAddr, res.PeerUnix, r.Header.Get("X-Forwarded-For"))
	})
	// Two requests on one connection, each answered with want.
	exchange := func(t *testing.T, c net.Conn, want string) {
		t.Helper()
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		br := bufio.NewReader(c)
		for range 2 {
			io.WriteString(c, "GET / HTTP/1.1\r\nHost: app\r\nX-Forwarded-For: 6.6.6.6, 203.0.113.7\r\n\r\n")
			resp, err := http.ReadResponse(br, nil)
			if err != nil {
				t.Fatal(err)
			}
			b, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d, %v", resp.StatusCode, err)
			}
			if string(b) != want {
				t.Errorf("got %s, want %s", b, want)
			}
		}
	}
	t.Run("unix peer named like a trusted address", func(t *testing.T) {
		dir := t.TempDir()
		path := filepath.Join(dir, "app.sock")
		tp, err := forwarded.ParseTrustedProxies([]string{"10.0.0.0/8"})
		if err != nil {
			t.Fatal(err)
		}
		startServer(t, app, Options{Listen: []string{"unix:" + path}, Forwarded: forwarded.Options{TrustedProxies: &tp}})
		// A client may bind its end to any name it can create, and that
		// name is the request's RemoteAddr.
		t.Chdir(dir)
		c, err := net.DialUnix("unix", &net.UnixAddr{Name: "10.0.0.1:80", Net: "unix"}, &net.UnixAddr{Name: path, Net: "unix"})
		if err != nil {
			t.Fatal(err)
		}
		exchange(t, c, `remote=10.0.0.1:80 unix=true xff=""`)
	})
	t.Run("trusted TCP peer", func(t *testing.T) {
		s := startServer(t, app, Options{Listen: []string{"127.0.0.1:0"}})
		c, err := net.Dial("tcp", s.Addrs()[0].String())
		if err != nil {
			t.Fatal(err)
		}
		exchange(t, c, `remote=203.0.113.7:0 unix=false xff="6.6.6.6"`)
	})
}
