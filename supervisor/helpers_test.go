//go:build linux

package supervisor_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

// supervised is an `apphost supervise` process running the test child.
type supervised struct {
	*harness.Process
	addr  string // the held socket
	admin string // the supervisor's metrics
	dir   string // the working directory
}

// fastFlags keep every delay of a test short.
var fastFlags = []string{
	"--backoff-initial", "50ms", "--backoff-max", "400ms",
	"--stop-timeout", "3s", "--startup-timeout", "10s",
}

// supervise starts `apphost supervise [flags] -- child [childArgs]` on a
// free port and waits until the child answers.
func supervise(t *testing.T, flags []string, childArgs ...string) *supervised {
	t.Helper()
	s := startSupervise(t, flags, childArgs...)
	s.WaitListening(t, s.addr, 10*time.Second)
	harness.WaitFor(t, 10*time.Second, "the child answers", func() bool {
		_, err := get(s.addr)
		return err == nil
	})
	return s
}

func startSupervise(t *testing.T, flags []string, childArgs ...string) *supervised {
	t.Helper()
	s := &supervised{addr: harness.FreeAddr(t), admin: harness.FreeAddr(t), dir: t.TempDir()}
	args := []string{"supervise", "--listen", s.addr, "--admin-listen", s.admin, "--working-directory", s.dir}
	args = append(args, fastFlags...)
	args = append(args, flags...)
	args = append(args, "--", harness.SupervisorChild(t))
	args = append(args, childArgs...)
	s.Process = harness.Start(t, harness.Apphost(t), args...)
	return s
}

// answer is what the test child says about itself.
type answer struct {
	PID       int    `json:"pid"`
	ListenPID string `json:"listen_pid"`
	FDNames   string `json:"fdnames"`
	Nonblock  bool   `json:"nonblock"` // the first socket came in non-blocking mode
}

var client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

func get(addr string) (answer, error) {
	var a answer
	resp, err := client.Get("http://" + addr + "/")
	if err != nil {
		return a, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return a, fmt.Errorf("status %s", resp.Status)
	}
	return a, json.NewDecoder(resp.Body).Decode(&a)
}

// alive reports whether pid is a live process (not gone, not a zombie).
func alive(pid int) bool {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	f := strings.Fields(s[i+1:])
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

// requireGone fails unless every pid is gone within a few seconds.
func requireGone(t *testing.T, pids ...int) {
	t.Helper()
	harness.WaitFor(t, 5*time.Second, fmt.Sprintf("processes %v are gone", pids), func() bool {
		for _, p := range pids {
			if alive(p) {
				return false
			}
		}
		return true
	})
}

// metric reads one sample of the supervisor's metrics.
func metric(t *testing.T, admin, sample string) float64 {
	t.Helper()
	resp, err := client.Get("http://" + admin + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(sample) + ` (\S+)$`)
	m := re.FindSubmatch(data)
	if m == nil {
		t.Fatalf("no sample %s in\n%s", sample, data)
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// exitCode is the process's exit status after Wait.
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode()
	}
	return -1
}
