//go:build linux

package supervisor

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"
)

// OfflineFile is the file whose presence in the working directory takes
// the application offline, as with the ASP.NET Core Module.
const OfflineFile = "app_offline.htm"

// offlineRetryAfter is the Retry-After the offline page carries, in
// seconds.
const offlineRetryAfter = 30

func (s *supervisor) offlinePath() string {
	dir := s.o.Dir
	if dir == "" {
		dir = "."
	}
	return filepath.Join(dir, OfflineFile)
}

func (s *supervisor) offline() bool {
	_, err := os.Stat(s.offlinePath())
	return err == nil
}

// serveOffline answers every connection on the held sockets (or on the
// listen addresses, for an application binding its own port) with 503 and
// the file's content until the file is removed. It reports whether the
// application should start again (false: the supervisor is stopping).
func (s *supervisor) serveOffline(ctx context.Context) (bool, error) {
	s.o.Metrics.setState(StateOffline)
	s.o.Metrics.ready(false)
	s.o.Log.Info("the application is offline while " + OfflineFile + " exists")
	page := &offlinePage{path: s.offlinePath()}
	srv := &http.Server{Handler: page, ReadHeaderTimeout: 10 * time.Second}
	var listeners []net.Listener
	for _, sock := range s.o.Sockets {
		l, err := net.FileListener(sock.File) // a duplicate: closing it keeps the socket
		if err != nil {
			closeAll(listeners)
			return false, err
		}
		listeners = append(listeners, l)
	}
	if len(s.o.Sockets) == 0 {
		for _, a := range s.o.OfflineListen {
			network, addr := "tcp", string(a)
			if a.IsUnix() {
				network, addr = "unix", a.Path()
			}
			l, err := net.Listen(network, addr)
			if err != nil {
				closeAll(listeners)
				return false, err
			}
			listeners = append(listeners, l)
		}
	}
	var wg sync.WaitGroup
	for _, l := range listeners {
		wg.Go(func() { srv.Serve(l) }) //nolint:errcheck // ends with ErrServerClosed
	}
	if !s.told {
		// The supervisor is up and answering; systemd may stop waiting.
		s.told = true
		s.o.Notify("READY=1")
	}
	poll := time.NewTicker(s.o.OfflinePoll)
	defer poll.Stop()
	resumed := false
	for !resumed {
		select {
		case <-ctx.Done():
		case <-poll.C:
			resumed = !s.offline()
			if !resumed {
				continue
			}
		case <-s.wd:
			s.o.Notify("WATCHDOG=1")
			continue
		}
		break
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := srv.Shutdown(sctx)
	wg.Wait()
	if resumed {
		s.o.Log.Info(OfflineFile + " removed: starting the application")
	}
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return resumed, err
	}
	return resumed, nil
}

func closeAll(ls []net.Listener) {
	for _, l := range ls {
		l.Close()
	}
}

// offlinePage serves the offline file with 503 and Retry-After. The file
// is read once; a file removed in between serves an empty page.
type offlinePage struct {
	path string
	once sync.Once
	body []byte
}

func (p *offlinePage) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.once.Do(func() { p.body, _ = os.ReadFile(p.path) })
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Retry-After", strconv.Itoa(offlineRetryAfter))
	h.Set("Cache-Control", "no-store")
	h.Set("Connection", "close")
	w.WriteHeader(http.StatusServiceUnavailable)
	if r.Method != http.MethodHead {
		w.Write(p.body) //nolint:errcheck // the client may be gone
	}
}
