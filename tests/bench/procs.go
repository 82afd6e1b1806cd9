package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

// procs are the programs a run started. Each runs in its own process
// group and dies with the harness (Pdeathsig); stopAll stops whatever is
// still running, so that no server outlives a run, whichever way it ends.
type procs struct {
	// log, when set, is told where each program listens.
	log  io.Writer
	mu   sync.Mutex
	list []*proc
}

// proc is one started program.
type proc struct {
	name string
	log  io.Writer
	cmd  *exec.Cmd
	out  *harness.LockedBuffer
	done chan struct{}
	err  error
}

// start starts cmd in a process group of its own.
func (ps *procs) start(name string, cmd *exec.Cmd) (*proc, error) {
	p := &proc{name: name, log: ps.log, cmd: cmd, out: &harness.LockedBuffer{Max: 1 << 20}, done: make(chan struct{})}
	if cmd.Stdout == nil {
		cmd.Stdout = p.out
	}
	if cmd.Stderr == nil {
		cmd.Stderr = p.out
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	ps.mu.Lock()
	ps.list = append(ps.list, p)
	ps.mu.Unlock()
	return p, nil
}

// stopAll stops every program still running, newest first.
func (ps *procs) stopAll() {
	ps.mu.Lock()
	list := ps.list
	ps.list = nil
	ps.mu.Unlock()
	for i := len(list) - 1; i >= 0; i-- {
		list[i].stop(10 * time.Second)
	}
}

// pid is the program's process id, which is also its process group's.
func (p *proc) pid() int { return p.cmd.Process.Pid }

// stop sends SIGTERM to the program (servers such as httpd stop their
// own children, and may leave one stuck when the whole group is signalled
// at once), SIGKILL to its process group when it has not exited after
// grace, and SIGKILL to whatever is left in the group after it exited.
func (p *proc) stop(grace time.Duration) error {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.done:
		case <-time.After(grace):
		}
	}
	_ = syscall.Kill(-p.pid(), syscall.SIGKILL)
	select {
	case <-p.done:
	case <-time.After(grace):
		return fmt.Errorf("%s (pid %d) did not exit after SIGKILL", p.name, p.pid())
	}
	return nil
}

// output is what the program wrote to stdout and stderr so far.
func (p *proc) output() string { return p.out.String() }

// waitListening waits until addr accepts a TCP connection, or the program
// exits, or timeout passes.
func (p *proc) waitListening(ctx context.Context, addr string, timeout time.Duration) error {
	if err := harness.WaitDialContext(ctx, addr, timeout, p.done); err != nil {
		select {
		case <-p.done:
			return fmt.Errorf("%s exited before listening on %s (%v):\n%s", p.name, addr, p.err, strings.TrimSpace(p.output()))
		default:
		}
		return fmt.Errorf("%s: %w\n%s", p.name, err, strings.TrimSpace(p.output()))
	}
	if p.log != nil {
		fmt.Fprintf(p.log, "   %s listening on %s (pid %d)\n", p.name, addr, p.pid())
	}
	return nil
}

// groupGone reports whether no process is left in the process group pgid
// within timeout (a killed process exists until it is reaped).
func groupGone(pgid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for !errors.Is(syscall.Kill(-pgid, 0), syscall.ESRCH) {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
	return true
}
