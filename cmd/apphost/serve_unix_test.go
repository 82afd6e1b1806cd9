package main

import (
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

// shortTempDir is a temporary directory with a short path: a unix socket's
// path must fit in 108 bytes, which t.TempDir's long names can exceed.
func shortTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "apphost")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// Over a unix socket the peer has no IP address: the report leaves
// client_ip empty instead of showing net/http's "@", names the socket as
// the peer, and still restores the client a trusted (unix) proxy forwards.
func TestServeOnAUnixSocketReportsThePeerSensibly(t *testing.T) {
	sock := filepath.Join(shortTempDir(t), "app.sock")
	cmd := exec.Command(harness.Apphost(t), "serve", "--listen", "unix:"+sock, "--admin-listen", harness.FreeAddr(t))
	p := harness.StartCmd(t, cmd)
	p.WaitListening(t, "unix:"+sock, 20*time.Second)

	tr := &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, Timeout: 10 * time.Second}
	report := func(headers map[string]string) map[string]any {
		t.Helper()
		return getReportVia(t, c, "http://shop.test/x", headers)
	}

	m := report(nil)
	for k, want := range map[string]any{"client_ip": "", "client_port": float64(0), "peer": "unix:" + sock, "scheme": "http", "host": "shop.test"} {
		if m[k] != want {
			t.Errorf("no forwarding headers: %s = %#v, want %#v", k, m[k], want)
		}
	}

	m = report(map[string]string{"X-Forwarded-For": "203.0.113.7:4444", "X-Forwarded-Proto": "https"})
	for k, want := range map[string]any{"client_ip": "203.0.113.7", "client_port": float64(4444), "peer": "unix:" + sock, "scheme": "https"} {
		if m[k] != want {
			t.Errorf("forwarded by the trusted unix peer: %s = %#v, want %#v", k, m[k], want)
		}
	}
}
