package harness

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var childBuild struct {
	once sync.Once
	path string
	err  error
}

// SupervisorChild builds tests/supervisorchild, the application the
// supervisor's tests run, once per test binary and returns its path.
func SupervisorChild(t testing.TB) string {
	t.Helper()
	childBuild.once.Do(func() {
		dir, err := os.MkdirTemp("", "supervisorchild-")
		if err != nil {
			childBuild.err = err
			return
		}
		childBuild.path = filepath.Join(dir, "supervisorchild")
		cmd := exec.Command(GoTool(), "build", "-o", childBuild.path, "github.com/apphost/apphost/tests/supervisorchild")
		cmd.Dir = moduleRoot()
		if out, err := cmd.CombinedOutput(); err != nil {
			childBuild.err = fmt.Errorf("go build: %w\n%s", err, out)
		}
	})
	if childBuild.err != nil {
		t.Fatal(childBuild.err)
	}
	return childBuild.path
}
