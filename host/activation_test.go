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

// An inherited socket named apphost-admin carries the admin endpoints, as
// `apphost supervise --hold-admin` passes it; the other inherited sockets
// stay the public ones.
func TestInheritedAdminSocketServesTheAdminEndpoints(t *testing.T) {
	publicFile, public := listeningFile(t)
	adminFile, admin := listeningFile(t)
	c := startChild(t, []string{
		"APPHOST_HOST_TEST_LISTEN=127.0.0.1:0",
		"LISTEN_FDS=2",
		"LISTEN_FDNAMES=http:" + AdminSocketName,
	}, []*os.File{publicFile, adminFile}, "self")

	if c.addr != public || c.admin != admin {
		t.Fatalf("child serves %s with admin %s; inherited %s and admin %s", c.addr, c.admin, public, admin)
	}
	if status, body := get(t, http.DefaultClient, "http://"+admin+"/readyz"); status != 200 || !strings.Contains(body, "ready") {
		t.Errorf("/readyz on the inherited admin socket: %d %q", status, body)
	}
	if status, body := get(t, http.DefaultClient, "http://"+public+"/"); status != 200 || body != "hello" {
		t.Errorf("/ on the public socket: %d %q", status, body)
	}
	c.cmd.Process.Signal(syscall.SIGTERM)
	if code := c.wait(t, 10*time.Second); code != 0 {
		t.Fatalf("exit code %d, want 0", code)
	}
}

func TestSplitAdmin(t *testing.T) {
	sock := func(name string) inherited {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { l.Close() })
		return inherited{name: name, l: l}
	}
	tests := []struct {
		name       string
		in         []string
		wantPublic int
		wantAdmin  bool
		wantErr    bool
	}{
		{"no admin socket", []string{"web", "web"}, 2, false, false},
		{"admin socket last", []string{"web", AdminSocketName}, 1, true, false},
		{"admin socket first", []string{AdminSocketName, "web"}, 1, true, false},
		{"only the admin socket", []string{AdminSocketName}, 0, true, false},
		{"two admin sockets", []string{AdminSocketName, "web", AdminSocketName}, 0, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var in []inherited
			for _, n := range tt.in {
				in = append(in, sock(n))
			}
			public, admin, err := splitAdmin(in)
			if (err != nil) != tt.wantErr || len(public) != tt.wantPublic || (admin != nil) != tt.wantAdmin {
				t.Fatalf("splitAdmin(%v) = %d public, admin %v, err %v", tt.in, len(public), admin != nil, err)
			}
			for _, p := range public {
				if p.name == AdminSocketName {
					t.Error("the admin socket is among the public ones")
				}
			}
		})
	}
}
