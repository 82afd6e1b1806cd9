package supervisor

import (
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

// SystemdNotify sends state to the service manager named by NOTIFY_SOCKET;
// without one it does nothing.
func SystemdNotify(state string) {
	daemon.SdNotify(false, state) //nolint:errcheck // best effort: systemd may not be listening
}

// SystemdWatchdog returns how often to send WATCHDOG=1 (half of systemd's
// WatchdogSec), or 0 when systemd expects no pings from this process.
func SystemdWatchdog() time.Duration {
	d, err := daemon.SdWatchdogEnabled(false)
	if err != nil || d <= 0 {
		return 0
	}
	return d / 2
}
