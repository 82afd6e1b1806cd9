package harness

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// requireChildEnv makes TestRequireMissingProgramChild call RequireProgram
// for a program that does not exist; otherwise it does nothing.
const requireChildEnv = "APPHOST_HARNESS_REQUIRE_CHILD"

func TestRequireMissingProgramChild(t *testing.T) {
	if os.Getenv(requireChildEnv) == "" {
		return
	}
	RequireProgram(t, "apphost-no-such-program")
	t.Log("reached past RequireProgram")
}

// A test that needs a missing program skips on a developer's machine and
// fails under CI, so CI never passes by skipping.
func TestRequireProgramFailsUnderCI(t *testing.T) {
	tests := []struct {
		name     string
		ci       string
		wantFail bool
		wantOut  string
	}{
		{"CI set: the test fails", "true", true, "--- FAIL: TestRequireMissingProgramChild"},
		{"CI unset: the test skips", "", false, "--- SKIP: TestRequireMissingProgramChild"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestRequireMissingProgramChild$", "-test.v")
			var env []string
			for _, kv := range os.Environ() {
				if !strings.HasPrefix(kv, "CI=") {
					env = append(env, kv)
				}
			}
			env = append(env, requireChildEnv+"=1")
			if tt.ci != "" {
				env = append(env, "CI="+tt.ci)
			}
			cmd.Env = env
			out, err := cmd.CombinedOutput()
			if failed := err != nil; failed != tt.wantFail {
				t.Fatalf("child failed=%v, want %v:\n%s", failed, tt.wantFail, out)
			}
			if !strings.Contains(string(out), tt.wantOut) || !strings.Contains(string(out), "apphost-no-such-program is not installed (make test installs it)") {
				t.Errorf("output does not say %q and name the program:\n%s", tt.wantOut, out)
			}
			if strings.Contains(string(out), "reached past RequireProgram") {
				t.Errorf("the test went on without the program:\n%s", out)
			}
		})
	}
}
