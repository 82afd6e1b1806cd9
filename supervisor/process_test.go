//go:build linux

package supervisor_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

// The socket-activation protocol: the child must see its own pid.
func TestChildSeesItsOwnPidInLISTEN_PID(t *testing.T) {
	s := supervise(t, nil)
	a, err := get(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	if a.ListenPID != strconv.Itoa(a.PID) {
		t.Errorf("LISTEN_PID = %q, child pid %d", a.ListenPID, a.PID)
	}
	if a.FDNames != "app" {
		t.Errorf("LISTEN_FDNAMES = %q, want the deployment's name", a.FDNames)
	}
	if a.Nonblock {
		t.Error("the socket came in non-blocking mode; systemd passes blocking ones, which programs that accept in blocking mode need")
	}
}

// Stop: SIGTERM to the supervisor leaves no process of the app behind,
// grandchildren included (one in the child's group, one in its own
// session).
func TestSIGTERMLeavesNoProcessBehind(t *testing.T) {
	s := supervise(t, nil, "-grandchild")
	a, err := get(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	var grandchildren []int
	harness.WaitFor(t, 5*time.Second, "the grandchildren are reported", func() bool {
		grandchildren = grandchildPids(s.Output())
		return len(grandchildren) == 2
	})
	for _, p := range append(grandchildren, a.PID) {
		if !alive(p) {
			t.Fatalf("process %d is not running before the stop", p)
		}
	}
	if err := s.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.Wait(10 * time.Second); err != nil {
		t.Fatalf("supervisor: %v\n%s", err, s.Output())
	}
	requireGone(t, append(grandchildren, a.PID)...)
	if !strings.Contains(s.Output(), "stopped gracefully") {
		t.Errorf("the child was not stopped with SIGTERM:\n%s", s.Output())
	}
}

var grandchildLine = regexp.MustCompile(`(?m)^grandchild (\d+)$`)

func grandchildPids(out string) []int {
	var pids []int
	for _, m := range grandchildLine.FindAllStringSubmatch(out, -1) {
		p, _ := strconv.Atoi(m[1])
		pids = append(pids, p)
	}
	return pids
}

// Stop: a child ignoring SIGTERM is killed once the stop timeout passes.
func TestChildIgnoringSIGTERMIsKilledAfterStopTimeout(t *testing.T) {
	s := supervise(t, []string{"--stop-timeout", "500ms"}, "-ignore-term")
	a, err := get(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := s.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := s.Wait(10 * time.Second); err != nil {
		t.Fatalf("supervisor: %v", err)
	}
	if d := time.Since(start); d < 500*time.Millisecond {
		t.Errorf("stopping took %s, less than the 500ms stop timeout", d)
	}
	requireGone(t, a.PID)
	if !strings.Contains(s.Output(), "did not stop in time") {
		t.Errorf("the kill was not logged:\n%s", s.Output())
	}
}

// Stop: the child dies with the supervisor even when the supervisor gets
// SIGKILL and cannot clean up (PR_SET_PDEATHSIG).
func TestChildDiesWhenSupervisorIsKilled(t *testing.T) {
	s := supervise(t, nil)
	a, err := get(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond) // let goroutines and threads come and go
	if err := s.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	s.Wait(5 * time.Second) //nolint:errcheck // killed: an error is expected
	requireGone(t, a.PID)
}

// Restart policy: a crash loop backs off as documented (50ms, 100ms,
// 200ms, 400ms, capped) and gives up after the rapid-fail limit.
func TestCrashLoopBacksOffThenGivesUp(t *testing.T) {
	s := startSupervise(t, []string{"--rapid-fails-per-minute", "6"}, "-exit", "3")
	err := s.Wait(20 * time.Second)
	if code := exitCode(err); code != 1 {
		t.Fatalf("exit code %d (%v), want 1\n%s", code, err, s.Output())
	}
	var delays []string
	for _, m := range regexp.MustCompile(`delay=(\S+)`).FindAllStringSubmatch(s.Output(), -1) {
		delays = append(delays, m[1])
	}
	want := []string{"50ms", "100ms", "200ms", "400ms", "400ms"}
	if strings.Join(delays, " ") != strings.Join(want, " ") {
		t.Errorf("delays %v, want %v", delays, want)
	}
	if !strings.Contains(s.Output(), "giving up: 6 failed starts within a minute") {
		t.Errorf("no reason given for giving up:\n%s", s.Output())
	}
}

// Restart policy, as the table in docs/supervisor.md says: what a clean
// exit and a failure lead to under each policy.
func TestRestartPolicies(t *testing.T) {
	tests := []struct {
		name, policy, exit string
		wantCode           int // the supervisor's exit status
		wantStarts         int
	}{
		{"on-failure: a clean exit ends the supervisor with 0", "on-failure", "0", 0, 1},
		{"on-failure: a failure is restarted until the limit", "on-failure", "4", 1, 3},
		{"always: even a clean exit is restarted", "always", "0", 1, 3},
		{"never: a clean exit ends the supervisor with 0", "never", "0", 0, 1},
		{"never: a failure ends the supervisor with 1", "never", "4", 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := startSupervise(t, []string{"--restart", tt.policy, "--rapid-fails-per-minute", "3"}, "-exit", tt.exit)
			if code := exitCode(s.Wait(20 * time.Second)); code != tt.wantCode {
				t.Fatalf("exit code %d, want %d\n%s", code, tt.wantCode, s.Output())
			}
			if n := strings.Count(s.Output(), "started the application"); n != tt.wantStarts {
				t.Errorf("%d starts, want %d\n%s", n, tt.wantStarts, s.Output())
			}
		})
	}
}

// Restart policy: an application that stayed up for --backoff-reset
// starts the delays over, so occasional crashes never reach the long ones.
func TestBackoffResetsAfterAStableRun(t *testing.T) {
	s := supervise(t, []string{"--backoff-reset", "300ms"}, "-crash-after", "1500ms")
	harness.WaitFor(t, 30*time.Second, "three restarts", func() bool {
		return strings.Count(s.Output(), "restarting the application after a delay") >= 3
	})
	for _, m := range regexp.MustCompile(`delay=(\S+) attempt=(\d+)`).FindAllStringSubmatch(s.Output(), -1) {
		if m[1] != "50ms" || m[2] != "1" {
			t.Errorf("delay %s at attempt %s after a run longer than the reset time, want 50ms at attempt 1", m[1], m[2])
		}
	}
}

// Readiness: a child that never reports READY=1 is killed at the startup
// timeout, and that counts as a failed start.
func TestChildNeverReadyIsKilledAtStartupTimeout(t *testing.T) {
	s := startSupervise(t, []string{"--startup-timeout", "300ms", "--rapid-fails-per-minute", "2"}, "-no-ready")
	if code := exitCode(s.Wait(10 * time.Second)); code != 1 {
		t.Fatalf("exit code %d, want 1 after giving up\n%s", code, s.Output())
	}
	out := s.Output()
	if n := strings.Count(out, "not ready in time"); n != 2 {
		t.Errorf("%d startup timeouts logged, want 2:\n%s", n, out)
	}
	if !strings.Contains(out, "the last one: startup_timeout") {
		t.Errorf("the reason is not startup_timeout:\n%s", out)
	}
}

// A child that fails under --restart never is not started again, and the
// supervisor exits 1 saying how it ended.
func TestChildExitUnderRestartNeverEndsTheSupervisor(t *testing.T) {
	s := startSupervise(t, []string{"--restart", "never"}, "-crash-after", "200ms")
	requireEndedUnderNever(t, s, 10*time.Second, "apphost: the application ended with exit status 3")
}

// Readiness under --restart never: a child not ready in time is killed,
// not restarted, and the supervisor exits 1 saying why.
func TestChildNeverReadyUnderRestartNeverEndsTheSupervisor(t *testing.T) {
	s := startSupervise(t, []string{"--restart", "never", "--startup-timeout", "300ms"}, "-no-ready")
	requireEndedUnderNever(t, s, 10*time.Second, "the application was not ready within 300ms")
}

// Readiness: --ready-url works for a program that never notifies.
func TestReadyURLMakesTheChildReady(t *testing.T) {
	addr := harness.FreeAddr(t)
	s := startSupervise(t, []string{"--listen", addr, "--ready-url", "http://" + addr + "/healthz", "--startup-timeout", "5s"}, "-no-ready")
	harness.WaitFor(t, 10*time.Second, "the supervisor says the app is ready", func() bool {
		return strings.Contains(s.Output(), "the application is ready")
	})
	if _, err := get(addr); err != nil {
		t.Fatal(err)
	}
}

// Liveness: a child whose health check hangs is restarted.
func TestHungChildIsRestartedByLiveness(t *testing.T) {
	addr := harness.FreeAddr(t)
	s := supervise(t, []string{"--listen", addr, "--health-url", "http://" + addr + "/healthz",
		"--health-interval", "100ms", "--health-failures", "2"}, "-hang-health-after", "300ms")
	s.addr = addr
	first, err := get(addr)
	if err != nil {
		t.Fatal(err)
	}
	harness.WaitFor(t, 10*time.Second, "a new child serves", func() bool {
		a, err := get(addr)
		return err == nil && a.PID != first.PID
	})
	if !strings.Contains(s.Output(), "failed its health probe") {
		t.Errorf("the restart was not logged:\n%s", s.Output())
	}
	if v := metric(t, s.admin, `apphost_supervisor_restarts_total{reason="liveness"}`); v < 1 {
		t.Errorf("liveness restarts = %v", v)
	}
	requireGone(t, first.PID)
}

// Liveness under --restart never: the hung child is stopped, not
// restarted, and the supervisor exits 1 saying why.
func TestHungChildUnderRestartNeverEndsTheSupervisor(t *testing.T) {
	addr := harness.FreeAddr(t)
	s := supervise(t, []string{"--listen", addr, "--restart", "never", "--health-url", "http://" + addr + "/healthz",
		"--health-interval", "100ms", "--health-failures", "2"}, "-hang-health-after", "300ms")
	first, err := get(addr)
	if err != nil {
		t.Fatal(err)
	}
	requireEndedUnderNever(t, s, 20*time.Second, "failed 2 health probes in a row")
	requireGone(t, first.PID)
}

// requireEndedUnderNever waits up to timeout for the supervisor to exit 1
// after a single start, saying why under the restart policy never.
func requireEndedUnderNever(t *testing.T, s *supervised, timeout time.Duration, why string) {
	t.Helper()
	if code := exitCode(s.Wait(timeout)); code != 1 {
		t.Fatalf("exit code %d, want 1\n%s", code, s.Output())
	}
	out := s.Output()
	if !strings.Contains(out, why+" (restart policy never)") {
		t.Errorf("the reason is not given:\n%s", out)
	}
	if n := strings.Count(out, "started the application"); n != 1 {
		t.Errorf("%d starts under restart never, want 1:\n%s", n, out)
	}
}

// SIGHUP while the application is down (here, in the backoff after a
// crash) does not reload the next one as soon as it is ready: that one is
// already new.
func TestSIGHUPDuringBackoffStartsNoExtraApplication(t *testing.T) {
	s := supervise(t, []string{"--backoff-initial", "3s", "--backoff-max", "3s"}, "-crash-after", "1s")
	harness.WaitFor(t, 20*time.Second, "the application crashed", func() bool {
		return strings.Contains(s.Output(), "restarting the application after a delay")
	})
	if err := s.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	harness.WaitFor(t, 20*time.Second, "the next application is ready", func() bool {
		return strings.Count(s.Output(), "the application is ready") >= 2
	})
	harness.WaitFor(t, 20*time.Second, "the next application crashed too", func() bool {
		return strings.Count(s.Output(), "the application exited") >= 2
	})
	out := s.Output()
	if strings.Contains(out, "reloading: starting a new application") {
		t.Errorf("a SIGHUP from the backoff reloaded the next application:\n%s", out)
	}
	if !strings.Contains(out, "reload requested while the application was not running") {
		t.Errorf("the dropped reload was not logged:\n%s", out)
	}
}

// load sends requests on fresh connections from a few workers until stop
// is closed, counting failures by kind.
type load struct {
	ok, refused, failed atomic.Int64
	firstErr            atomic.Value
	wg                  sync.WaitGroup
}

func startLoad(url string, workers int, stop <-chan struct{}) *load {
	l := &load{}
	c := &http.Client{Timeout: 20 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for range workers {
		l.wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				resp, err := c.Get(url)
				if err == nil {
					io.Copy(io.Discard, resp.Body) //nolint:errcheck
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						err = &statusError{resp.StatusCode}
					}
				}
				switch {
				case err == nil:
					l.ok.Add(1)
				case strings.Contains(err.Error(), "connection refused"):
					l.refused.Add(1)
					l.firstErr.CompareAndSwap(nil, err.Error())
				default:
					l.failed.Add(1)
					l.firstErr.CompareAndSwap(nil, err.Error())
				}
			}
		})
	}
	return l
}

// waitServed waits until n more requests have been answered: the load
// reaches the application before the test goes on, however slow the
// machine.
func (l *load) waitServed(t *testing.T, n int64) {
	t.Helper()
	target := l.ok.Load() + n
	harness.WaitFor(t, 20*time.Second, fmt.Sprintf("%d more requests are answered", n), func() bool {
		return l.ok.Load() >= target
	})
}

type statusError struct{ code int }

func (e *statusError) Error() string { return "status " + strconv.Itoa(e.code) }

// Zero-downtime restart: SIGHUP under load starts a new child, and no
// request fails.
func TestSIGHUPUnderLoadFailsNoRequest(t *testing.T) {
	s := supervise(t, nil)
	first, err := get(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	stop := make(chan struct{})
	l := startLoad("http://"+s.addr+"/", 4, stop)
	l.waitServed(t, 20)
	if err := s.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	harness.WaitFor(t, 10*time.Second, "a new child serves", func() bool {
		a, err := get(s.addr)
		return err == nil && a.PID != first.PID
	})
	requireGone(t, first.PID)
	l.waitServed(t, 20)
	close(stop)
	l.wg.Wait()
	if l.refused.Load() != 0 || l.failed.Load() != 0 || l.ok.Load() == 0 {
		t.Errorf("%d ok, %d refused, %d failed (first error: %v)", l.ok.Load(), l.refused.Load(), l.failed.Load(), l.firstErr.Load())
	}
	if v := metric(t, s.admin, `apphost_supervisor_restarts_total{reason="reload"}`); v != 1 {
		t.Errorf("reload restarts = %v, want 1", v)
	}
}

// Socket holding: a child killed with SIGKILL again and again never
// causes a refused connection; new connections wait in the backlog.
func TestKilledChildNeverRefusesAConnection(t *testing.T) {
	s := supervise(t, []string{"--rapid-fails-per-minute", "20"})
	stop := make(chan struct{})
	l := startLoad("http://"+s.addr+"/", 4, stop)
	for range 3 {
		l.waitServed(t, 20)
		a, err := get(s.addr)
		if err != nil {
			t.Fatal(err)
		}
		syscall.Kill(a.PID, syscall.SIGKILL) //nolint:errcheck
		harness.WaitFor(t, 10*time.Second, "a new child serves", func() bool {
			b, err := get(s.addr)
			return err == nil && b.PID != a.PID
		})
	}
	close(stop)
	l.wg.Wait()
	if l.refused.Load() != 0 || l.ok.Load() == 0 {
		t.Errorf("%d ok, %d refused (first error: %v)", l.ok.Load(), l.refused.Load(), l.firstErr.Load())
	}
	// A request the dying child had already accepted fails with it; only
	// a proxy retrying can hide those (see the nginx test).
	t.Logf("%d ok, %d failed in flight", l.ok.Load(), l.failed.Load())
	if v := metric(t, s.admin, `apphost_supervisor_restarts_total{reason="signal"}`); v != 3 {
		t.Errorf("signal restarts = %v, want 3", v)
	}
}

// app_offline.htm: the app stops, every request gets 503 with the file and
// Retry-After, and the app comes back when the file goes.
func TestAppOfflineAnswers503ThenResumes(t *testing.T) {
	s := supervise(t, nil)
	first, err := get(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	page := filepath.Join(s.dir, "app_offline.htm")
	body := "<h1>Back soon</h1>"
	if err := os.WriteFile(page, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	var resp *http.Response
	harness.WaitFor(t, 10*time.Second, "the offline page is served", func() bool {
		r, err := client.Get("http://" + s.addr + "/any/path")
		if err != nil {
			return false
		}
		if r.StatusCode != http.StatusServiceUnavailable {
			r.Body.Close()
			return false
		}
		resp = r
		return true
	})
	got, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(got) != body || resp.Header.Get("Retry-After") == "" {
		t.Errorf("offline answer %q, Retry-After %q", got, resp.Header.Get("Retry-After"))
	}
	requireGone(t, first.PID)
	if err := os.Remove(page); err != nil {
		t.Fatal(err)
	}
	harness.WaitFor(t, 10*time.Second, "the app serves again", func() bool {
		a, err := get(s.addr)
		return err == nil && a.PID != first.PID
	})
}

// --port-env: a program without socket activation gets its port in a
// variable.
func TestPortEnvPassesThePort(t *testing.T) {
	s := supervise(t, []string{"--port-env", "PORT"}, "-port-env", "PORT")
	a, err := get(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	if a.ListenPID != "" {
		t.Errorf("LISTEN_PID %q set without sockets", a.ListenPID)
	}
}

// During a reload the supervisor leaves the sockets' mode alone: the new
// application gets them non-blocking, as the running one (a Go program)
// left them. Once the old one is gone, an application started alone gets
// them in blocking mode again.
func TestSocketsBlockingAgainAfterAReload(t *testing.T) {
	s := supervise(t, []string{"--restart", "always"}, "-crash-after", "1500ms")
	first, err := get(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	var reloaded answer
	harness.WaitFor(t, 10*time.Second, "the reloaded application answers", func() bool {
		reloaded, err = get(s.addr)
		return err == nil && reloaded.PID != first.PID && strings.Contains(s.Output(), "the application stopped")
	})
	if first.Nonblock {
		t.Errorf("the first application got non-blocking sockets:\n%s", s.Output())
	}
	if !reloaded.Nonblock {
		t.Errorf("the reloaded application got blocking sockets: the supervisor changed their mode under the running one:\n%s", s.Output())
	}
	var restarted answer
	harness.WaitFor(t, 15*time.Second, "the application restarted after its crash", func() bool {
		restarted, err = get(s.addr)
		return err == nil && restarted.PID != first.PID && restarted.PID != reloaded.PID
	})
	if restarted.Nonblock {
		t.Errorf("after a reload and a crash, the restarted application got non-blocking sockets:\n%s", s.Output())
	}
}

// --port-env: SIGHUP is refused, with an error in the log, and the running
// application stays: a second one could not bind the port.
func TestPortEnvRefusesReload(t *testing.T) {
	s := supervise(t, []string{"--port-env", "PORT"}, "-port-env", "PORT")
	before, err := get(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	harness.WaitFor(t, 10*time.Second, "the refusal in the log", func() bool {
		return strings.Contains(s.Output(), "reload refused")
	})
	after, err := get(s.addr)
	if err != nil || after.PID != before.PID {
		t.Errorf("after SIGHUP: pid %d (%v), want the same application, pid %d", after.PID, err, before.PID)
	}
	if strings.Contains(s.Output(), "reloading: starting a new application") {
		t.Errorf("a second application was started:\n%s", s.Output())
	}
}

// Logs: the child's output goes to the log file, rotated by size.
func TestLogFileIsRotated(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	s := supervise(t, []string{"--log-file", log, "--log-max-size", "4KiB", "--log-max-files", "2"}, "-lines", "500")
	harness.WaitFor(t, 10*time.Second, "the log is rotated", func() bool {
		_, err := os.Stat(log + ".2")
		return err == nil
	})
	s.Stop(5 * time.Second) //nolint:errcheck
	for _, name := range []string{log, log + ".1", log + ".2"} {
		st, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		if st.Size() > 4<<10 {
			t.Errorf("%s is %d bytes, over the 4KiB limit", name, st.Size())
		}
	}
	if _, err := os.Stat(log + ".3"); err == nil {
		t.Error("more than 2 old files kept")
	}
	if !strings.Contains(s.Output(), "line 000499") {
		t.Error("the output did not also pass through to stdout")
	}
}

// A log file that cannot be rotated (here the old file's name is taken by
// a directory, which no rename or removal can replace, even as root) is
// reported once in the supervisor's log and written on, every line kept.
func TestLogFileRotationFailureIsReportedOnce(t *testing.T) {
	dir := t.TempDir()
	log := filepath.Join(dir, "app.log")
	if err := os.MkdirAll(filepath.Join(log+".1", "taken"), 0o755); err != nil {
		t.Fatal(err)
	}
	s := supervise(t, []string{"--log-file", log, "--log-max-size", "4KiB", "--log-max-files", "1"}, "-lines", "500")
	const report = "the log file cannot be rotated"
	harness.WaitFor(t, 10*time.Second, "the failed rotation in the log", func() bool {
		return strings.Contains(s.Output(), report)
	})
	s.Stop(5 * time.Second) //nolint:errcheck
	if n := strings.Count(s.Output(), report); n != 1 {
		t.Errorf("the failed rotation was reported %d times, want once (the output is 500 lines, several times the 4KiB limit):\n%s", n, s.Output())
	}
	data, err := os.ReadFile(log)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "line 000000 ") || !strings.Contains(string(data), "line 000499 ") {
		t.Errorf("app.log (%d bytes) does not hold every line", len(data))
	}
}

// Under systemd: READY=1 reaches the supervisor's own NOTIFY_SOCKET once
// the application is ready, STOPPING=1 when it stops, and sockets systemd
// passed (LISTEN_FDS) go on to the application.
func TestUnderSystemdSocketsAndNotificationsPassThrough(t *testing.T) {
	dir := t.TempDir()
	notifyPath := filepath.Join(dir, "notify.sock")
	notify, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: notifyPath, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer notify.Close()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	f, err := l.(*net.TCPListener).File()
	if err != nil {
		t.Fatal(err)
	}
	l.Close()
	defer f.Close()

	// apphost's own shim plays systemd's part: it sets LISTEN_PID to the
	// supervisor's pid before exec.
	apphost := harness.Apphost(t)
	cmd := exec.Command(apphost, "supervise", "--admin-listen", "off", "--", harness.SupervisorChild(t))
	cmd.Env = append(os.Environ(), "APPHOST_INTERNAL_SUPERVISE_EXEC=1", "LISTEN_FDS=1", "LISTEN_FDNAMES=web", "NOTIFY_SOCKET="+notifyPath)
	cmd.Args = append([]string{apphost}, cmd.Args...)
	cmd.ExtraFiles = []*os.File{f}
	p := harness.StartCmd(t, cmd)

	states := make(chan string, 16)
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := notify.Read(buf)
			if err != nil {
				close(states)
				return
			}
			states <- string(buf[:n])
		}
	}()
	expect := func(want string) {
		t.Helper()
		deadline := time.After(10 * time.Second)
		for {
			select {
			case s := <-states:
				if strings.Contains(s, want) {
					return
				}
			case <-deadline:
				t.Fatalf("no %s on NOTIFY_SOCKET\n%s", want, p.Output())
			}
		}
	}
	expect("READY=1")
	a, err := get(addr)
	if err != nil {
		t.Fatalf("the inherited socket: %v\n%s", err, p.Output())
	}
	if a.FDNames != "web" || a.ListenPID != strconv.Itoa(a.PID) {
		t.Errorf("the child got LISTEN_FDNAMES=%q LISTEN_PID=%s (pid %d)", a.FDNames, a.ListenPID, a.PID)
	}
	if a.Nonblock {
		t.Error("the socket systemd passed reached the child in non-blocking mode")
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	expect("STOPPING=1")
	if err := p.Wait(10 * time.Second); err != nil {
		t.Fatal(err)
	}
}

// --env: a variable given to the supervisor replaces the one the
// supervisor inherited.
func TestEnvFlagReplacesAnInheritedVariable(t *testing.T) {
	t.Setenv("GEN", "inherited")
	s := supervise(t, []string{"--env", "GEN=given"})
	resp, err := client.Get("http://" + s.addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(body), `"gen":"given"`) {
		t.Errorf("the child saw %s", body)
	}
}

// app_offline.htm present at start, for a program binding its own port:
// the supervisor answers 503 on the listen address itself, then starts
// the program when the file goes.
func TestAppOfflineAtStartWithPortEnv(t *testing.T) {
	dir := t.TempDir()
	page := filepath.Join(dir, "app_offline.htm")
	if err := os.WriteFile(page, []byte("maintenance"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := startSupervise(t, []string{"--port-env", "PORT", "--working-directory", dir}, "-port-env", "PORT")
	s.WaitListening(t, s.addr, 10*time.Second)
	resp, err := client.Get("http://" + s.addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || string(body) != "maintenance" {
		t.Fatalf("offline answer %s %q", resp.Status, body)
	}
	if strings.Contains(s.Output(), "started the application") {
		t.Error("the application was started while app_offline.htm exists")
	}
	if err := os.Remove(page); err != nil {
		t.Fatal(err)
	}
	harness.WaitFor(t, 10*time.Second, "the app serves", func() bool {
		_, err := get(s.addr)
		return err == nil
	})
}

// Subreaper: when the app dies, a grandchild that left its process group
// is reparented to the supervisor, which reaps it when it ends (no zombie)
// and counts it.
func TestOrphanedGrandchildIsReapedBySupervisor(t *testing.T) {
	s := supervise(t, []string{"--restart", "always"}, "-grandchild")
	a, err := get(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	var pids []int
	harness.WaitFor(t, 5*time.Second, "the grandchildren are reported", func() bool {
		pids = grandchildPids(s.Output())
		return len(pids) == 2
	})
	escaped := pids[1]                   // started with setsid: outside the app's process group
	syscall.Kill(a.PID, syscall.SIGKILL) //nolint:errcheck
	harness.WaitFor(t, 5*time.Second, "the escaped grandchild is the supervisor's", func() bool {
		return parentOf(escaped) == s.Cmd.Process.Pid
	})
	requireGone(t, pids[0])                // the one in the app's group went with it
	syscall.Kill(escaped, syscall.SIGKILL) //nolint:errcheck
	harness.WaitFor(t, 5*time.Second, "the escaped grandchild is reaped", func() bool {
		_, err := os.Stat("/proc/" + strconv.Itoa(escaped))
		return os.IsNotExist(err)
	})
	harness.WaitFor(t, 5*time.Second, "the orphan is counted", func() bool {
		return metric(t, s.admin, "apphost_supervisor_orphans_reaped_total") >= 1
	})
}

// parentOf reads a process's parent pid from /proc, or -1.
func parentOf(pid int) int {
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return -1
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(f) < 2 {
		return -1
	}
	p, _ := strconv.Atoi(f[1])
	return p
}

// Metrics on the supervisor's admin address follow the application: up,
// state, start time, and the process collector reads the child's /proc
// entry, not the supervisor's; after a SIGKILL the last exit code is 137
// and the restart is counted under signal.
func TestMetricsDescribeTheChild(t *testing.T) {
	s := supervise(t, nil)
	a, err := get(s.addr)
	if err != nil {
		t.Fatal(err)
	}
	harness.WaitFor(t, 10*time.Second, "the application is up", func() bool {
		return metric(t, s.admin, "apphost_supervisor_child_up") == 1
	})
	if v := metric(t, s.admin, `apphost_supervisor_state{state="running"}`); v != 1 {
		t.Errorf("state running = %v", v)
	}
	want := procStartTime(t, a.PID)
	for _, name := range []string{"apphost_supervisor_child_process_start_time_seconds", "apphost_supervisor_child_start_time_seconds"} {
		if got := metric(t, s.admin, name); got < want-1.5 || got > want+1.5 {
			t.Errorf("%s = %.2f, the child started at %.2f", name, got, want)
		}
	}
	if own := procStartTime(t, s.Cmd.Process.Pid); own > want {
		t.Fatalf("the supervisor (%.2f) started after the child (%.2f)", own, want)
	}

	syscall.Kill(a.PID, syscall.SIGKILL) //nolint:errcheck
	harness.WaitFor(t, 10*time.Second, "a new child serves", func() bool {
		b, err := get(s.addr)
		return err == nil && b.PID != a.PID
	})
	if v := metric(t, s.admin, "apphost_supervisor_child_last_exit_code"); v != 137 {
		t.Errorf("last exit code %v, want 137 (SIGKILL)", v)
	}
	if v := metric(t, s.admin, `apphost_supervisor_restarts_total{reason="signal"}`); v != 1 {
		t.Errorf("signal restarts = %v, want 1", v)
	}
}

// procStartTime is when pid started, in Unix seconds, from /proc as the
// process collector computes it.
func procStartTime(t *testing.T, pid int) float64 {
	t.Helper()
	data, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:])
	ticks, err := strconv.ParseFloat(f[19], 64) // field 22, starttime
	if err != nil {
		t.Fatal(err)
	}
	stat, err := os.ReadFile("/proc/stat")
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^btime (\d+)$`).FindSubmatch(stat)
	if m == nil {
		t.Fatal("no btime in /proc/stat")
	}
	boot, _ := strconv.ParseFloat(string(m[1]), 64)
	return boot + ticks/100 // USER_HZ
}
