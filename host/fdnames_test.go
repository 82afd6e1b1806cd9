package host

import (
	"net"
	"net/http"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"
)

// listeningFile returns a listening loopback socket as a file to hand to a
// child process, and its address. This process keeps the socket open but
// never accepts on it, so the child serves every connection.
func listeningFile(t *testing.T) (*os.File, string) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	f, err := l.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f, l.Addr().String()
}

// TestSocketActivationServesEveryNamedSocket hands two listening sockets to
// the server process, named through LISTEN_FDNAMES as a systemd socket unit
// with FileDescriptorName= (or apphost supervise) names them: both are
// served, each is logged with its name, and nothing is bound from
// Options.Listen.
func TestSocketActivationServesEveryNamedSocket(t *testing.T) {
	var files []*os.File
	var addrs []string
	for range 2 {
		f, addr := listeningFile(t)
		files = append(files, f)
		addrs = append(addrs, addr)
	}

	c := startChild(t, []string{"APPHOST_HOST_TEST_LISTEN=127.0.0.1:0", "LISTEN_FDS=2", "LISTEN_FDNAMES=shop:shop-internal"}, files, "self")
	if c.addr != addrs[0] {
		t.Fatalf("child serves %s, want the first inherited socket %s", c.addr, addrs[0])
	}

	for _, a := range addrs {
		if status, body := get(t, http.DefaultClient, "http://"+a+"/"); status != 200 || body != "hello" {
			t.Errorf("inherited socket %s: %d %q", a, status, body)
		}
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	if code := c.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM, want 0", code)
	}
	log := c.stderr.String()
	for i, name := range []string{"shop", "shop-internal"} {
		if want := `msg="using inherited socket" name=` + name + " addr=" + addrs[i]; !strings.Contains(log, want) {
			t.Errorf("log does not contain %q:\n%s", want, log)
		}
	}
	if n := strings.Count(log, "msg=listening "); n != 2 {
		t.Errorf("%d listeners served, want the 2 inherited ones and not Options.Listen:\n%s", n, log)
	}
}
