package host

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apphost/apphost/forwarded"
	"github.com/coreos/go-systemd/v22/daemon"
)

// ErrShutdownTimeout is wrapped by Serve's error when requests were still
// running at the end of Options.ShutdownTimeout and their connections were
// closed.
var ErrShutdownTimeout = errors.New("shutdown timeout reached; connections closed with requests in flight")

// ErrForcedShutdown is wrapped by Run's error when a second signal cut the
// graceful shutdown short.
var ErrForcedShutdown = errors.New("forced shutdown")

// Server is a bound, ready-to-serve host. Create it with [New].
type Server struct {
	cfg       config
	public    *http.Server
	listeners []net.Listener
	conns     *connPool
	draining  atomic.Bool  // the listeners are closed; answers close their connection
	admin     *http.Server // nil when off
	adminL    net.Listener
	ready     atomic.Bool
	notify    notifier

	force     chan struct{} // closed to end a graceful shutdown at once
	forceOnce sync.Once
	served    atomic.Bool
}

// Forwarded returns the forwarded-headers middleware in the request path,
// whose Stats count spoofing attempts and malformed entries.
func (s *Server) Forwarded() *forwarded.Middleware { return s.cfg.forwarded }

// New validates opts, then binds the public listeners (or takes the
// inherited ones) and the admin listener. On error nothing stays bound.
func New(handler http.Handler, opts Options) (s *Server, err error) {
	if handler == nil {
		return nil, errors.New("host: nil handler")
	}
	c, err := opts.resolve()
	if err != nil {
		return nil, fmt.Errorf("host: %w", err)
	}
	undo, err := c.instrument()
	if err != nil {
		return nil, fmt.Errorf("host: %w", err)
	}
	defer func() {
		if s == nil {
			undo() // New failed: the registry is left as it was
		}
	}()
	s = &Server{cfg: c, notify: notifier{c.logger}, force: make(chan struct{})}

	ls, inheritedAdmin, err := openPublic(c)
	if err != nil {
		return nil, fmt.Errorf("host: %w", err)
	}
	s.conns = newConnPool(c.limits, c.conns)
	for _, l := range ls {
		s.listeners = append(s.listeners, newConnListener(l, s.conns))
	}

	if c.adminListen != nil {
		h, err := adminHandler(&s.ready, c.adminHandlers)
		if err == nil {
			s.adminL, err = adminListener(c, inheritedAdmin)
		}
		if err != nil {
			closeUnused(inheritedAdmin, s.adminL)
			s.closeListeners()
			return nil, fmt.Errorf("host: admin: %w", err)
		}
		s.admin = newAdminServer(h, c)
	} else {
		closeUnused(inheritedAdmin, nil)
	}
	s.public = s.newPublicServer(s.publicHandler(handler))
	return s, nil
}

// publicHandler is the handler the public listeners serve: app behind the
// host's request path.
func (s *Server) publicHandler(app http.Handler) http.Handler {
	return s.closeWhenDraining(chain(app, s.cfg))
}

// openPublic binds every listen address, or takes the inherited sockets
// when there are some. It also returns the inherited admin socket, if any
// (see AdminSocketName).
func openPublic(c config) ([]net.Listener, net.Listener, error) {
	inh, err := inheritListeners(c.logger)
	if err != nil {
		return nil, nil, err
	}
	inh, admin, err := splitAdmin(inh)
	if err != nil {
		return nil, nil, err
	}
	var ls []net.Listener
	if len(inh) > 0 {
		for _, i := range inh {
			c.logger.Info("using inherited socket", "name", i.name, "addr", i.l.Addr().String())
			ls = append(ls, i.l)
		}
		return ls, admin, nil
	}
	for _, a := range c.listen {
		l, err := bind(a, c.unixSocketMode)
		if err != nil {
			for _, l := range ls {
				l.Close()
			}
			if admin != nil {
				admin.Close()
			}
			return nil, nil, err
		}
		ls = append(ls, l)
	}
	return ls, admin, nil
}

func (s *Server) newPublicServer(h http.Handler) *http.Server {
	l := s.cfg.limits
	var protocols http.Protocols
	protocols.SetHTTP1(true)
	protocols.SetUnencryptedHTTP2(true)
	return &http.Server{
		Handler:           h,
		Protocols:         &protocols,
		ReadHeaderTimeout: max(l.RequestHeadersTimeout, 0),
		IdleTimeout:       max(l.KeepAliveTimeout, 0),
		MaxHeaderBytes:    l.maxHeaderBytes(),
		ConnState:         s.connState,
		ConnContext:       forwarded.ConnContext, // the peer, once per connection
		ErrorLog:          errorLog(s.cfg.logger),
	}
}

func (s *Server) connState(c net.Conn, state http.ConnState) {
	if tc, ok := c.(*trackedConn); ok {
		tc.setState(state)
	}
}

// Addrs returns the addresses of the public listeners, in the order of
// Options.Listen (or of the inherited sockets).
func (s *Server) Addrs() []net.Addr {
	out := make([]net.Addr, len(s.listeners))
	for i, l := range s.listeners {
		out[i] = l.Addr()
	}
	return out
}

// AdminAddr returns the admin listener's address, or nil when it is off.
func (s *Server) AdminAddr() net.Addr {
	if s.adminL == nil {
		return nil
	}
	return s.adminL.Addr()
}

// Serve serves until ctx ends, then shuts down gracefully: /readyz turns
// 503, the listeners close, kept-alive connections get up to 500ms to finish
// their current exchange with "Connection: close" (see drain), idle
// connections close and requests in flight get ShutdownTimeout to finish. It
// returns nil after a complete graceful shutdown, an error wrapping
// ErrShutdownTimeout when requests had to be cut, and the listener's error
// if one fails while serving. Serve may be called once.
func (s *Server) Serve(ctx context.Context) error {
	if !s.served.CompareAndSwap(false, true) {
		return errors.New("host: Serve called twice")
	}
	log := s.cfg.logger
	failed := make(chan error, len(s.listeners)+1)
	s.ready.Store(true) // the sockets are bound: connections queue from now on
	for _, l := range s.listeners {
		go func() { failed <- s.public.Serve(l) }()
		log.Info("listening", "addr", addrString(l.Addr()))
	}
	if s.admin != nil {
		go func() { failed <- s.admin.Serve(s.adminL) }()
		log.Info("admin listening", "addr", addrString(s.adminL.Addr()), "paths", s.adminPaths())
	}
	s.notify.send(daemon.SdNotifyReady)
	wdCtx, stopWatchdog := context.WithCancel(context.Background())
	defer stopWatchdog()
	go s.notify.watchdog(wdCtx)

	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down", "timeout", s.cfg.shutdownTimeout.String())
	case <-s.cfg.iis.shutdownRequested():
		log.Info("shutting down at IIS's request", "timeout", s.cfg.shutdownTimeout.String())
	case serveErr = <-failed:
		log.Error("listener failed; shutting down", "error", serveErr)
	}
	s.ready.Store(false)
	s.notify.send(daemon.SdNotifyStopping)
	err := s.drain()
	stopWatchdog()
	if serveErr != nil {
		return fmt.Errorf("host: %w", serveErr)
	}
	if err == nil {
		log.Info("shutdown complete")
	}
	return err
}

// drainWindow is the longest the host keeps serving keep-alive connections
// after closing its listeners, answering each request with
// "Connection: close", before net/http's Shutdown closes the idle ones.
const drainWindow = 500 * time.Millisecond

// drain shuts the public server down within the shutdown timeout, then the
// admin server, which keeps answering /readyz with 503 until then.
//
// net/http's Shutdown closes every idle keep-alive connection at once. A
// client that has just sent a request on such a connection (the server has
// not read it yet, so it still counts as idle) then sees the connection
// close without an answer. To narrow that race for busy clients, the host
// first closes its listeners and, for up to drainWindow (at most half the
// shutdown timeout), keeps serving the open connections while answering
// with "Connection: close": every client that sends a request in that time
// gets its answer and a clean close. Only connections idle for the whole
// window are then closed by Shutdown.
func (s *Server) drain() error {
	ctx, cancel := context.WithTimeout(context.Background(), s.cfg.shutdownTimeout)
	defer cancel()
	// Close the listeners before asking clients to close: a client that
	// reconnects after "Connection: close" must be refused, not queued in a
	// backlog about to be reset.
	for _, l := range s.listeners {
		l.Close()
	}
	s.draining.Store(true)
	s.waitConnsClosed(min(drainWindow, s.cfg.shutdownTimeout/2))
	done := make(chan error, 1)
	go func() { done <- s.public.Shutdown(ctx) }()
	var err error
	select {
	case err = <-done:
		if err != nil {
			s.public.Close()
			err = fmt.Errorf("host: %w (after %s)", ErrShutdownTimeout, s.cfg.shutdownTimeout)
		}
	case <-s.force:
		s.public.Close()
		err = fmt.Errorf("host: %w: connections closed with requests in flight", ErrForcedShutdown)
	}
	if s.admin != nil {
		actx, acancel := context.WithTimeout(context.Background(), time.Second)
		defer acancel()
		if s.admin.Shutdown(actx) != nil {
			s.admin.Close()
		}
	}
	return err
}

// waitConnsClosed waits until no public connection is open, the window
// has passed or a forced shutdown begins.
func (s *Server) waitConnsClosed(window time.Duration) {
	deadline := time.NewTimer(window)
	defer deadline.Stop()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for s.conns.open.Load() > 0 {
		select {
		case <-deadline.C:
			return
		case <-s.force:
			return
		case <-tick.C:
		}
	}
}

// closeWhenDraining asks HTTP/1 clients to close their connection once the
// shutdown has begun (see drain).
func (s *Server) closeWhenDraining(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.draining.Load() && r.ProtoMajor == 1 {
			w.Header().Set("Connection", "close")
		}
		h.ServeHTTP(w, r)
	})
}

// forceClose ends a graceful shutdown at once.
func (s *Server) forceClose() {
	s.forceOnce.Do(func() { close(s.force) })
}

// closeListeners releases what New bound when New fails or Serve is never
// called.
func (s *Server) closeListeners() {
	for _, l := range s.listeners {
		l.Close()
	}
	if s.adminL != nil {
		s.adminL.Close()
	}
}

func (s *Server) adminPaths() []string {
	paths := []string{healthzPath, readyzPath}
	for p := range s.cfg.adminHandlers {
		paths = append(paths, p)
	}
	return paths
}

// addrString writes unix addresses the way Options.Listen does.
func addrString(a net.Addr) string {
	if a.Network() == "unix" {
		return unixPrefix + a.String()
	}
	return a.String()
}

// Compile-time checks of the wrappers' interfaces.
var (
	_ net.Listener = (*connListener)(nil)
	_ net.Conn     = (*trackedConn)(nil)
)
