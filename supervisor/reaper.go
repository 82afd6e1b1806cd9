//go:build linux

package supervisor

import (
	"os"
	"os/signal"
	"sync"
	"syscall"
	"time"
)

// reaper collects the exit status of every child of this process, direct
// children and the orphaned grandchildren the kernel gives a subreaper. It
// is the only caller of wait4, so a started process is registered under
// the same lock that waiting takes: no exit can be collected before its
// pid is known.
type reaper struct {
	mu      sync.Mutex
	waiting map[int]chan syscall.WaitStatus
	orphan  func(pid int, ws syscall.WaitStatus)
	sigc    chan os.Signal
	stop    chan struct{}
	done    chan struct{}
}

func newReaper(orphan func(pid int, ws syscall.WaitStatus)) *reaper {
	r := &reaper{
		waiting: map[int]chan syscall.WaitStatus{},
		orphan:  orphan,
		sigc:    make(chan os.Signal, 1),
		stop:    make(chan struct{}),
		done:    make(chan struct{}),
	}
	signal.Notify(r.sigc, syscall.SIGCHLD)
	go r.loop()
	return r
}

// start runs fork (which starts one process and returns its pid) and
// registers the pid; the returned channel receives its exit status.
func (r *reaper) start(fork func() (int, error)) (int, <-chan syscall.WaitStatus, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	pid, err := fork()
	if err != nil {
		return 0, nil, err
	}
	ch := make(chan syscall.WaitStatus, 1)
	r.waiting[pid] = ch
	return pid, ch, nil
}

func (r *reaper) loop() {
	defer close(r.done)
	// SIGCHLD can coalesce; the ticker is a safety net for a lost one.
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-r.stop:
			r.reap()
			return
		case <-r.sigc:
		case <-tick.C:
		}
		r.reap()
	}
}

func (r *reaper) reap() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		if err == syscall.EINTR {
			continue
		}
		if err != nil || pid <= 0 {
			return
		}
		if ch, ok := r.waiting[pid]; ok {
			ch <- ws
			delete(r.waiting, pid)
			continue
		}
		if r.orphan != nil {
			r.orphan(pid, ws)
		}
	}
}

// close stops the reaper after one last collection.
func (r *reaper) close() {
	signal.Stop(r.sigc)
	close(r.stop)
	<-r.done
}
