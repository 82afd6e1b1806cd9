package host

import (
	"fmt"
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
func inheritListeners() ([]inherited, error) {
	files := activation.Files(true)
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
