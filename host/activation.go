package host

import (
	"fmt"
	"log/slog"
	"net"
	"os"

	"github.com/coreos/go-systemd/v22/activation"
)

// inherited is a listening socket received through socket activation.
type inherited struct {
	name string // from LISTEN_FDNAMES, or LISTEN_FD_<n>
	l    net.Listener
}

// inheritListeners takes the sockets passed by the systemd socket-activation
// protocol. It returns none when LISTEN_PID is not this process (the
// variables were meant for another one). The variables are removed from the
// environment in every case, so they do not leak into child processes. A
// passed descriptor that is not a listening stream socket is an error.
func inheritListeners(logger *slog.Logger) ([]inherited, error) {
	pid, fds := os.Getenv("LISTEN_PID"), os.Getenv("LISTEN_FDS")
	files := activation.Files(true)
	if len(files) == 0 && fds != "" {
		logger.Warn("ignoring LISTEN_FDS: LISTEN_PID is not this process", "LISTEN_PID", pid, "pid", os.Getpid(), "LISTEN_FDS", fds)
	}
	var out []inherited
	for i, f := range files {
		l, err := net.FileListener(f)
		name := f.Name()
		f.Close() // FileListener holds its own duplicate
		if err != nil {
			closeInherited(out)
			closeFiles(files[i+1:])
			return nil, fmt.Errorf("inherited socket %q (fd %d): not a listening stream socket: %w", name, 3+i, err)
		}
		out = append(out, inherited{name: name, l: l})
	}
	return out, nil
}

// AdminSocketName is the LISTEN_FDNAMES name of an inherited socket the
// host serves its admin endpoints on (/healthz, /readyz, /metrics) instead
// of binding Options.AdminListen. `apphost supervise --hold-admin` passes
// it, so that the two instances running side by side during a reload share
// the admin address instead of the second one failing to bind it. With the
// admin listener off, the socket is closed.
const AdminSocketName = "apphost-admin"

// splitAdmin separates the inherited admin socket, if any, from the public
// ones. A second admin socket is an error.
func splitAdmin(inh []inherited) ([]inherited, net.Listener, error) {
	var (
		public []inherited
		admin  net.Listener
	)
	for _, i := range inh {
		switch {
		case i.name != AdminSocketName:
			public = append(public, i)
		case admin != nil:
			closeInherited(inh)
			return nil, nil, fmt.Errorf("inherited sockets: more than one is named %s", AdminSocketName)
		default:
			admin = i.l
		}
	}
	return public, admin, nil
}

// adminListener is the inherited admin socket when there is one, else
// the admin address bound.
func adminListener(c config, inherited net.Listener) (net.Listener, error) {
	if inherited == nil {
		return bind(*c.adminListen, c.unixSocketMode)
	}
	c.logger.Info("using the inherited admin socket", "name", AdminSocketName, "addr", inherited.Addr().String())
	return inherited, nil
}

// closeUnused closes an inherited admin socket the server does not use.
func closeUnused(inherited, used net.Listener) {
	if inherited != nil && inherited != used {
		inherited.Close()
	}
}

func closeInherited(ls []inherited) {
	for _, l := range ls {
		l.l.Close()
	}
}

func closeFiles(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}
