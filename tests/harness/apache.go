package harness

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// StartApache runs Apache httpd in the foreground on mainConfig (a main
// configuration with its own ServerRoot, such as apache.ServerRoot
// writes), after checking it with -t, and waits until every address in
// listen accepts connections. httpd is stopped when the test ends.
//
// Running as root, httpd's workers drop to the user the configuration
// names (nobody); the directory holding the configuration is made
// readable for them.
func StartApache(t testing.TB, dir, mainConfig string, listen ...string) *Process {
	t.Helper()
	apache2 := RequireProgram(t, "apache2")
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if out, err := exec.CommandContext(ctx, apache2, "-t", "-f", mainConfig).CombinedOutput(); err != nil {
		config, _ := os.ReadFile(mainConfig)
		t.Fatalf("apache2 -t: %v\n%s\nmain configuration:\n%s", err, out, config)
	}
	p := Start(t, apache2, "-f", mainConfig, "-DFOREGROUND")
	t.Cleanup(func() {
		// httpd's parent stops its children itself; signalling the whole
		// group at once can leave a child that is still starting stuck.
		start := time.Now()
		_ = p.Signal(syscall.SIGTERM)
		err := p.Wait(10 * time.Second)
		if slow := time.Since(start) > 5*time.Second; slow || t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Logf("apache2 stopped in %s (%v); its error.log:\n%s", time.Since(start).Round(time.Millisecond), err, log)
		}
	})
	for _, addr := range listen {
		p.WaitListening(t, addr, 15*time.Second)
	}
	return p
}
