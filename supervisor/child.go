//go:build linux

package supervisor

import (
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// starter starts every child from one goroutine locked to its OS thread.
// PR_SET_PDEATHSIG fires when the thread that forked the child ends, not
// the process (golang/go#27505): a goroutine that unlocked its thread could
// let the runtime retire it and kill a healthy child. The thread ends only
// when close is called, after the last child has exited.
type starter struct {
	reqs chan func()
	done chan struct{}
}

func newStarter() *starter {
	s := &starter{reqs: make(chan func()), done: make(chan struct{})}
	go func() {
		runtime.LockOSThread() // never unlocked: the thread dies with the goroutine
		defer close(s.done)
		for f := range s.reqs {
			f()
		}
	}()
	return s
}

func (s *starter) do(f func()) {
	done := make(chan struct{})
	s.reqs <- func() { f(); close(done) }
	<-done
}

func (s *starter) close() {
	close(s.reqs)
	<-s.done
}

// child is one run of the application.
type child struct {
	gen     int
	pid     int
	started time.Time
	readyAt time.Time // zero until ready
	notify  *notifySocket
	// done is closed when the process has exited; status is valid then.
	done   chan struct{}
	status syscall.WaitStatus
	output sync.WaitGroup
}

// spec is what a child is started with.
type spec struct {
	shim    string
	command []string
	dir     string
	env     []string
	sockets []Socket
	stdout  io.Writer
	stderr  io.Writer
}

// startChild starts the shim, which execs the command with the sockets as
// fds 3 and up. The child leads its own process group and gets SIGKILL if
// the supervisor dies.
func startChild(st *starter, r *reaper, sp spec, gen int, notify *notifySocket) (*child, error) {
	devnull, err := os.Open(os.DevNull)
	if err != nil {
		return nil, err
	}
	defer devnull.Close()
	outR, outW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return nil, err
	}
	files := []uintptr{devnull.Fd(), outW.Fd(), errW.Fd()}
	names := make([]string, 0, len(sp.sockets))
	for _, s := range sp.sockets {
		fd, err := rawFd(s.File)
		if err != nil {
			outR.Close()
			outW.Close()
			errR.Close()
			errW.Close()
			return nil, fmt.Errorf("socket %s: %w", s.Addr, err)
		}
		files = append(files, fd)
		names = append(names, s.Name)
	}
	env := childEnv(os.Environ(), sp.env)
	env = append(env, ShimEnv+"=1")
	if notify != nil {
		env = append(env, "NOTIFY_SOCKET="+notify.path)
	}
	if len(sp.sockets) > 0 {
		env = append(env, "LISTEN_FDS="+strconv.Itoa(len(sp.sockets)), "LISTEN_FDNAMES="+strings.Join(names, ":"))
	}
	attr := &syscall.ProcAttr{
		Dir:   sp.dir,
		Env:   env,
		Files: files,
		Sys:   &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL},
	}
	argv := append([]string{sp.shim}, sp.command...)
	var (
		pid    int
		status <-chan syscall.WaitStatus
	)
	st.do(func() {
		pid, status, err = r.start(func() (int, error) { return syscall.ForkExec(sp.shim, argv, attr) })
	})
	outW.Close()
	errW.Close()
	// The sockets' fds must stay open (and unmoved) until here.
	runtime.KeepAlive(sp.sockets)
	if err != nil {
		outR.Close()
		errR.Close()
		return nil, fmt.Errorf("starting %s: %w", sp.command[0], err)
	}
	c := &child{gen: gen, pid: pid, started: time.Now(), notify: notify, done: make(chan struct{})}
	c.output.Add(2)
	go copyOutput(&c.output, outR, sp.stdout)
	go copyOutput(&c.output, errR, sp.stderr)
	go func() {
		c.status = <-status
		close(c.done)
	}()
	return c, nil
}

// setBlocking puts the sockets' open file descriptions, which every
// holder of a socket shares, in blocking mode. The supervisor's own
// descriptors are never read or written, and the offline page serves on
// duplicates made non-blocking again by net.FileListener.
func setBlocking(socks []Socket) {
	for _, s := range socks {
		if fd, err := rawFd(s.File); err == nil {
			unix.SetNonblock(int(fd), false) //nolint:errcheck // the application sets the mode it needs
		}
	}
}

// rawFd is f's descriptor. Unlike f.Fd it leaves the file's blocking mode
// alone: the open file description of a socket is shared with running
// children, and making it blocking under a child's event loop could leave
// that child stuck in accept.
func rawFd(f *os.File) (uintptr, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return 0, err
	}
	var fd uintptr
	if err := rc.Control(func(d uintptr) { fd = d }); err != nil {
		return 0, err
	}
	return fd, nil
}

func copyOutput(wg *sync.WaitGroup, r *os.File, w io.Writer) {
	defer wg.Done()
	defer r.Close()
	io.Copy(w, r) //nolint:errcheck // a failing log must not stop the app's output
}

// childEnv is the supervisor's environment without the variables that
// belong to the supervisor's own service manager, with extra added; a
// variable in extra replaces the supervisor's (programs read the first
// occurrence, so it must not appear twice).
func childEnv(base, extra []string) []string {
	override := map[string]bool{}
	for _, kv := range extra {
		name, _, _ := strings.Cut(kv, "=")
		override[name] = true
	}
	out := make([]string, 0, len(base)+len(extra)+4)
	for _, kv := range base {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "WATCHDOG_PID", "WATCHDOG_USEC", ShimEnv:
			continue
		}
		if !override[name] {
			out = append(out, kv)
		}
	}
	return append(out, extra...)
}

// exited reports whether the child has exited.
func (c *child) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

// exitCode is the exit status, or 128+N when signal N killed the child.
func (c *child) exitCode() int {
	if c.status.Signaled() {
		return 128 + int(c.status.Signal())
	}
	return c.status.ExitStatus()
}

// describeStatus says how the child ended, for logs and for a sentence
// after "ended with": "exit status 3", "signal SIGKILL".
func describeStatus(ws syscall.WaitStatus) string {
	switch {
	case ws.Exited():
		return fmt.Sprintf("exit status %d", ws.ExitStatus())
	case ws.Signaled():
		return "signal " + unix.SignalName(ws.Signal())
	default:
		return fmt.Sprintf("wait status %#x", uint32(ws))
	}
}
