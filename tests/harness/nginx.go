package harness

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/integration/nginx"
)

// Nginx is an nginx server started by a test in its own temporary prefix.
type Nginx struct {
	*Process
	// Prefix holds the main configuration, the pid, the error log and the
	// temporary files.
	Prefix string
}

// ErrorLog is what nginx wrote to its error log so far.
func (n *Nginx) ErrorLog() string {
	b, _ := os.ReadFile(filepath.Join(n.Prefix, "error.log"))
	return string(b)
}

// StartNginx runs nginx in the foreground with a main configuration that
// keeps every file in a temporary prefix and includes site inside
// http {}. It waits until every address in listen ("host:port") accepts
// connections; nginx is stopped when the test ends, and its error log is
// shown when the test failed.
func StartNginx(t testing.TB, site string, listen ...string) *Nginx {
	t.Helper()
	bin := RequireProgram(t, "nginx")
	prefix := t.TempDir()
	abs, err := filepath.Abs(site)
	if err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(conf, nginx.MainConfig(prefix, abs, os.Geteuid() == 0), 0o644); err != nil {
		t.Fatal(err)
	}
	n := &Nginx{Prefix: prefix}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("nginx error log:\n%s", n.ErrorLog())
		}
	})
	n.Process = Start(t, bin, "-p", prefix+"/", "-e", filepath.Join(prefix, "error.log"), "-c", conf, "-g", "daemon off;")
	for _, addr := range listen {
		if err := WaitDialContext(context.Background(), addr, 10*time.Second, n.Done()); err != nil {
			t.Fatalf("nginx: %v\n%s\nerror log:\n%s", err, strings.TrimSpace(n.Output()), n.ErrorLog())
		}
	}
	return n
}
