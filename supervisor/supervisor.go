//go:build linux

package supervisor

import (
	"context"
	"fmt"
	"os"
	"slices"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Run supervises o.Command until ctx is cancelled (it then stops the
// application gracefully and returns nil), the restart policy lets the
// application end (nil after a clean exit, an error otherwise), or too
// many failed starts make it give up (an error saying why). When Run
// returns, no process it started remains.
func Run(ctx context.Context, o Options) error {
	o, err := o.withDefaults()
	if err != nil {
		return err
	}
	s := &supervisor{o: o, fails: failWindow{limit: o.RapidFailsPerMinute}}
	return s.run(ctx)
}

type supervisor struct {
	o       Options
	st      *starter
	r       *reaper
	dir     string
	gen     int
	fails   failWindow
	waited  time.Duration // spent in backoff waits: the failure window leaves it out
	streak  int           // consecutive short runs, for the backoff
	told    bool          // READY=1 sent to the service manager
	stopped bool          // STOPPING=1 sent
	wd      <-chan time.Time
	// drains are closed, each, once an old child replaced by a reload has
	// been stopped. Only the supervision loop's goroutine touches the
	// slice: startReady asks whether any is open, cleanup waits for all.
	drains []chan struct{}
}

// outcome is why a running child stopped being watched.
type outcome int

const (
	outCancelled outcome = iota
	outExited
	outLiveness
	outOffline
)

func (s *supervisor) run(ctx context.Context) error {
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		return fmt.Errorf("becoming child subreaper: %w", err)
	}
	dir, err := os.MkdirTemp("", "apphost-supervise-")
	if err != nil {
		return fmt.Errorf("directory for notify sockets: %w", err)
	}
	s.dir = dir
	s.st = newStarter()
	s.r = newReaper(func(pid int, ws syscall.WaitStatus) {
		s.o.Log.Debug("reaped orphaned process", "pid", pid, "status", describeStatus(ws))
		s.o.Metrics.orphan()
	})
	if s.o.Watchdog > 0 {
		t := time.NewTicker(s.o.Watchdog)
		defer t.Stop()
		s.wd = t.C
	}
	defer s.cleanup()

	for {
		if ctx.Err() != nil {
			return nil
		}
		if s.offline() {
			resumed, err := s.serveOffline(ctx)
			if err != nil {
				return err
			}
			if !resumed {
				return nil
			}
			s.o.Metrics.restart(ReasonOffline)
			continue
		}
		s.dropPendingReload()
		c, reason, err := s.startReady(ctx, !s.draining())
		if err != nil {
			return err
		}
		if c == nil {
			if ctx.Err() != nil {
				return nil
			}
			// Not ready in time (the only way startReady fails without a child).
			if err := s.failed(ctx, reason, false, fmt.Sprintf("was not ready within %s", s.o.StartupTimeout)); err != nil {
				return err
			}
			continue
		}
		out := outExited
		if !c.exited() {
			c, out = s.watch(ctx, c)
		}
		switch out {
		case outCancelled:
			s.stopping()
			s.o.Log.Info("stopping the application", "pid", c.pid)
			s.stop(c)
			return nil
		case outOffline:
			s.o.Log.Info("app_offline.htm appeared: stopping the application", "pid", c.pid)
			s.stop(c)
			continue
		case outLiveness:
			// A hung application is a failure, as a crash is.
			action := "restarting it"
			if s.o.Restart == RestartNever {
				action = "stopping it (restart policy never)"
			}
			s.o.Log.Warn("the application failed its health probe: "+action, "pid", c.pid, "failures", s.o.HealthFailures)
			s.stop(c)
			if err := s.failed(ctx, ReasonLiveness, c.ranFor() >= s.o.Backoff.Reset, fmt.Sprintf("failed %d health probes in a row", s.o.HealthFailures)); err != nil {
				return err
			}
		case outExited:
			again, err := s.exited(ctx, c)
			if err != nil || !again || ctx.Err() != nil {
				return err
			}
		}
	}
}

// exited applies the restart policy to a child that exited on its own. It
// reports whether to start the application again.
func (s *supervisor) exited(ctx context.Context, c *child) (bool, error) {
	s.finish(c)
	why := describeStatus(c.status)
	clean := c.status.Exited() && c.status.ExitStatus() == 0
	s.o.Log.Warn("the application exited", "pid", c.pid, "status", why, "uptime", c.ranFor().Round(time.Millisecond))
	if clean && s.o.Restart != RestartAlways {
		return false, nil
	}
	// Under always a clean exit is restarted as a failure is, with the
	// backoff, and counts towards giving up, as systemd's start limit
	// counts every start: a program that exits at once is not run forever.
	reason := ReasonExit
	if c.status.Signaled() {
		reason = ReasonSignal
	}
	return true, s.failed(ctx, reason, c.ranFor() >= s.o.Backoff.Reset, "ended with "+why)
}

// failed counts a failed run, gives up after too many in a minute, and
// otherwise waits out the backoff. longRun says the child had stayed up
// long enough to reset the backoff. Under the restart policy never it
// ends the supervision instead, with an error saying what the application
// did.
func (s *supervisor) failed(ctx context.Context, reason string, longRun bool, what string) error {
	if s.o.Restart == RestartNever {
		return fmt.Errorf("the application %s (restart policy %s)", what, s.o.Restart)
	}
	s.o.Metrics.restart(reason)
	s.o.Metrics.ready(false)
	if longRun {
		s.streak = 0
	}
	s.streak++
	// The window runs on the application's time: the backoff waits are
	// left out, or the default backoff (1 s doubling to 30 s) would fit
	// no more than six failures in any minute and never reach the limit.
	if s.fails.add(time.Now().Add(-s.waited)) {
		s.o.Metrics.setState(StateStopped)
		err := fmt.Errorf("giving up: %d failed starts within a minute (the limit, backoff waits not counted); the last one: %s", len(s.fails.times), reason)
		return err
	}
	delay := s.o.Backoff.Delay(s.streak)
	s.o.Metrics.setState(StateBackoff)
	s.o.Log.Info("restarting the application after a delay", "reason", reason, "delay", delay, "attempt", s.streak)
	return s.wait(ctx, delay)
}

// wait waits out a restart delay, or until ctx ends, and adds the time it
// took to s.waited.
func (s *supervisor) wait(ctx context.Context, delay time.Duration) error {
	start := time.Now()
	defer func() { s.waited += time.Since(start) }()
	t := time.NewTimer(delay)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
			return nil
		case <-s.wd:
			s.o.Notify("WATCHDOG=1")
		}
	}
}

// startReady starts a child and waits until it is ready. It returns the
// running child; or the child that exited before it was ready, with the
// reason; or nil and the reason the start failed (startup timeout or
// cancelled; the child is gone then); or an error when no process could
// be started at all.
func (s *supervisor) startReady(ctx context.Context, alone bool) (*child, string, error) {
	s.gen++
	if alone {
		// No other application accepts on the sockets: hand them over in
		// blocking mode, as systemd does. A program that accepts in blocking
		// mode (Python's socket.socket(fileno=3), say) needs it, and Go's
		// runtime turns it back by itself. Never under a running one: its
		// event loop could be left stuck in accept.
		setBlocking(s.o.Sockets)
	}
	n, err := listenNotify(s.dir, s.gen, s.o.Log)
	if err != nil {
		return nil, "", err
	}
	s.o.Metrics.setState(StateStarting)
	env := append([]string(nil), s.o.Env...)
	if s.o.PortEnv != "" {
		env = append(env, s.o.PortEnv+"="+s.o.Port)
	}
	c, err := startChild(s.st, s.r, spec{
		shim: s.o.Shim, command: s.o.Command, dir: s.o.Dir, env: env,
		sockets: s.o.Sockets, stdout: s.o.Stdout, stderr: s.o.Stderr,
	}, s.gen, n)
	if err != nil {
		n.close()
		return nil, "", err
	}
	s.o.Metrics.started(c.pid, c.started)
	s.o.Log.Info("started the application", "pid", c.pid, "command", s.o.Command[0])
	reason := s.waitReady(ctx, c)
	if reason == "" {
		c.readyAt = time.Now()
		s.o.Metrics.ready(true)
		s.o.Metrics.setState(StateRunning)
		s.o.Log.Info("the application is ready", "pid", c.pid, "after", c.readyAt.Sub(c.started).Round(time.Millisecond))
		if !s.told {
			s.told = true
			s.o.Notify("READY=1")
		}
		return c, "", nil
	}
	switch reason {
	case ReasonStartupTimeout:
		s.o.Log.Warn("the application was not ready in time: killing it", "pid", c.pid, "startup_timeout", s.o.StartupTimeout)
		s.kill(c)
	case reasonCancelled:
		s.stop(c)
		return nil, "", nil
	default:
		// Exited before it was ready: the restart policy decides.
		return c, reason, nil
	}
	return nil, reason, nil
}

// watch follows a ready child until it exits, must be restarted, or the
// supervisor stops. Reloads happen here and replace the child returned.
func (s *supervisor) watch(ctx context.Context, c *child) (*child, outcome) {
	var (
		live      <-chan struct{}
		stopProbe context.CancelFunc
	)
	probe := func(c *child) {
		pctx, cancel := context.WithCancel(ctx)
		stopProbe = cancel
		live = s.liveness(pctx, c)
	}
	probe(c)
	defer func() { stopProbe() }()
	poll := time.NewTicker(s.o.OfflinePoll)
	defer poll.Stop()
	for {
		select {
		case <-ctx.Done():
			return c, outCancelled
		case <-c.done:
			return c, outExited
		case <-live:
			return c, outLiveness
		case <-poll.C:
			if s.offline() {
				return c, outOffline
			}
		case <-s.wd:
			s.o.Notify("WATCHDOG=1")
		case <-s.o.Reload:
			nc := s.reload(ctx, c)
			if nc != c {
				stopProbe()
				probe(nc)
				c = nc
			}
		}
	}
}

// reload starts a new child on the same sockets and, once it is ready,
// stops the old one gracefully. If the new one fails, the old one stays.
func (s *supervisor) reload(ctx context.Context, old *child) *child {
	if s.o.PortEnv != "" {
		s.o.Log.Error("reload refused: with a port variable the application binds the port itself, and a second one could not; restart instead", "port_env", s.o.PortEnv, "pid", old.pid)
		return old
	}
	if s.o.ReadyURL != "" {
		s.o.Log.Warn("reloading with a ready URL: the running application answers it too, so the new one counts as ready once it runs, even one that sends READY=1; to reload safely, leave the ready URL out and have the application send READY=1", "ready_url", s.o.ReadyURL)
	}
	s.o.Notify("RELOADING=1\nMONOTONIC_USEC=" + monotonicUsec())
	defer s.o.Notify("READY=1")
	s.o.Log.Info("reloading: starting a new application next to the running one", "old_pid", old.pid)
	c, reason, err := s.startReady(ctx, false)
	if c != nil && c.exited() {
		s.finish(c)
		c = nil
	}
	if err == nil && c == nil && ctx.Err() != nil {
		s.o.Log.Info("reload interrupted: the supervisor is stopping", "pid", old.pid)
		return old
	}
	if err != nil || c == nil {
		s.o.Log.Error("reload failed: the running application stays", "reason", reason, "error", err, "pid", old.pid)
		s.o.Metrics.setState(StateRunning)
		s.o.Metrics.ready(!old.exited())
		s.o.Metrics.started(old.pid, old.started)
		return old
	}
	s.o.Metrics.restart(ReasonReload)
	s.drain(old)
	return c
}

// drain stops old, replaced by a reload, in the background.
func (s *supervisor) drain(old *child) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		s.stopQuiet(old)
	}()
	s.drains = append(slices.DeleteFunc(s.drains, isClosed), done)
}

// draining reports whether an old child replaced by a reload is still
// being stopped.
func (s *supervisor) draining() bool {
	s.drains = slices.DeleteFunc(s.drains, isClosed)
	return len(s.drains) > 0
}

// waitDrains waits until every old child replaced by a reload is stopped.
func (s *supervisor) waitDrains() {
	for _, done := range s.drains {
		<-done
	}
	s.drains = nil
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// dropPendingReload forgets a SIGHUP that arrived while no application
// ran: the application about to start is already new.
func (s *supervisor) dropPendingReload() {
	select {
	case <-s.o.Reload:
		s.o.Log.Info("reload requested while the application was not running: starting it anew instead")
	default:
	}
}

func monotonicUsec() string {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts); err != nil {
		return "0"
	}
	return fmt.Sprint(ts.Sec*1_000_000 + ts.Nsec/1000)
}

// cleanup waits for old children being drained, kills whatever is left of
// the application, and releases the supervisor's resources.
func (s *supervisor) cleanup() {
	s.stopping()
	s.waitDrains()
	killLeftovers(s.o.Log)
	s.r.close()
	s.st.close()
	os.RemoveAll(s.dir)
	s.o.Metrics.ready(false)
	s.o.Metrics.setState(StateStopped)
}

// stopping tells the service manager, once, that the supervisor is
// stopping.
func (s *supervisor) stopping() {
	if !s.stopped {
		s.stopped = true
		s.o.Notify("STOPPING=1")
	}
}
