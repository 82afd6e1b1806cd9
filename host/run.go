package host

import (
	"context"
	"net/http"
	"os"
	"os/signal"
	"syscall"
)

// Run creates a [Server] with [New] and serves until ctx ends or the process
// receives SIGINT or SIGTERM, then shuts down gracefully (see
// [Server.Serve]). A second signal during the shutdown closes every
// connection at once and Run returns an error wrapping [ErrForcedShutdown];
// the caller should then exit without waiting for anything else.
func Run(ctx context.Context, handler http.Handler, opts Options) error {
	s, err := New(handler, opts)
	if err != nil {
		return err
	}
	return runServer(ctx, s)
}

// runServer is Run after New: it serves s, shutting down on ctx or a signal.
func runServer(ctx context.Context, s *Server) error {
	signals := make(chan os.Signal, 2)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(signals)

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case sig := <-signals:
			s.cfg.logger.Info("signal received; shutting down gracefully (send it again to force)", "signal", sig.String())
			cancel()
		case <-done:
			return
		}
		select {
		case sig := <-signals:
			s.cfg.logger.Warn("second signal received; closing every connection now", "signal", sig.String())
			s.forceClose()
		case <-done:
		}
	}()
	return s.Serve(ctx)
}
