//go:build linux

package supervisor

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// stop ends a child gracefully: the stop signal to its process group,
// then SIGKILL after the stop timeout. It waits until the child has exited
// and kills whatever is left in its group.
// The supervision loop calls it, so it keeps the watchdog fed while the
// application drains.
func (s *supervisor) stop(c *child) {
	s.o.Metrics.setState(StateStopping)
	s.o.Metrics.ready(false)
	s.stopChild(c, s.wd)
}

// stopQuiet is stop without touching the supervisor's state or the
// watchdog, for an old child being drained after a reload while the loop
// goes on.
func (s *supervisor) stopQuiet(c *child) { s.stopChild(c, nil) }

func (s *supervisor) stopChild(c *child, wd <-chan time.Time) {
	if !c.exited() {
		signalGroup(c.pid, s.o.StopSignal)
		t := time.NewTimer(s.o.StopTimeout)
	wait:
		for {
			select {
			case <-c.done:
				break wait
			case <-wd:
				s.o.Notify("WATCHDOG=1")
			case <-t.C:
				s.o.Log.Warn("the application did not stop in time: killing it", "pid", c.pid, "stop_timeout", s.o.StopTimeout)
				signalGroup(c.pid, syscall.SIGKILL)
				<-c.done
				break wait
			}
		}
		t.Stop()
	}
	s.finish(c)
	s.o.Log.Info("the application stopped", "pid", c.pid, "status", describeStatus(c.status))
}

// kill ends a child at once, with its process group.
func (s *supervisor) kill(c *child) {
	signalGroup(c.pid, syscall.SIGKILL)
	<-c.done
	s.finish(c)
}

// finish releases what an exited child held and kills the rest of its
// process group, so nothing it started outlives it.
func (s *supervisor) finish(c *child) {
	<-c.done
	signalGroup(c.pid, syscall.SIGKILL)
	c.notify.close()
	s.o.Metrics.exited(c.pid, c.exitCode())
}

// ranFor is how long the child was ready before it ended (0 if never).
func (c *child) ranFor() time.Duration {
	if c.readyAt.IsZero() {
		return 0
	}
	return time.Since(c.readyAt)
}

func signalGroup(pgid int, sig syscall.Signal) {
	if pgid > 0 {
		syscall.Kill(-pgid, sig) //nolint:errcheck // ESRCH: the group is already gone
	}
}

// killLeftovers kills the processes still attached to the supervisor:
// descendants of the application that left its process group and were
// reparented here because the supervisor is their subreaper. The reaper
// collects them.
func killLeftovers(log *slog.Logger) {
	me := os.Getpid()
	for range 50 {
		pids := childrenOf(me)
		if len(pids) == 0 {
			return
		}
		for _, pid := range pids {
			log.Info("killing a leftover process of the application", "pid", pid)
			syscall.Kill(pid, syscall.SIGKILL) //nolint:errcheck // it may be gone already
		}
		time.Sleep(20 * time.Millisecond)
		reapAll()
	}
}

// reapAll collects every exited child without blocking.
func reapAll() {
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
	}
}

// childrenOf lists the live (not zombie) processes whose parent is ppid,
// from /proc.
func childrenOf(ppid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		data, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// The command name in parentheses may hold spaces: read after it.
		i := strings.LastIndexByte(string(data), ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(data[i+1:]))
		if len(f) < 2 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if p, _ := strconv.Atoi(f[1]); p == ppid {
			out = append(out, pid)
		}
	}
	return out
}
