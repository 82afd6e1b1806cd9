package host

import (
	"context"
	"log/slog"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// notifier speaks the sd_notify protocol when NOTIFY_SOCKET is set and is
// silent otherwise.
type notifier struct {
	logger *slog.Logger
}

// send reports state to the service manager; a failure is logged, never
// fatal: the service works without a manager listening.
func (n notifier) send(state string) {
	sent, err := daemon.SdNotify(false, state)
	switch {
	case err != nil:
		n.logger.Warn("sd_notify failed", "state", state, "error", err)
	case sent:
		n.logger.Debug("sd_notify", "state", state)
	}
}

// watchdog sends WATCHDOG=1 at half of WATCHDOG_USEC until ctx ends. It
// returns at once when the service manager asked for no watchdog.
func (n notifier) watchdog(ctx context.Context) {
	interval, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		n.logger.Warn("systemd watchdog settings unusable", "error", err)
		return
	}
	if interval <= 0 {
		return
	}
	t := time.NewTicker(interval / 2)
	defer t.Stop()
	for {
		n.send(daemon.SdNotifyWatchdog)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
