package supervisor

import (
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/apphost/apphost/config"
	"github.com/coreos/go-systemd/v22/activation"
)

// Socket is a listening socket the supervisor holds for the application.
type Socket struct {
	// Name goes into LISTEN_FDNAMES.
	Name string
	// Addr is where the socket listens, as "host:port" or "unix:/path".
	Addr string
	// File is the socket. The supervisor keeps it open across restarts.
	File *os.File
	// removePath is a unix socket file the supervisor created and removes
	// when the socket is closed.
	removePath string
}

// Close closes the socket and removes a unix socket file the supervisor
// created.
func (s Socket) Close() error {
	err := s.File.Close()
	if s.removePath != "" {
		if rerr := os.Remove(s.removePath); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = errors.Join(err, rerr)
		}
	}
	return err
}

// Listen binds every address ("host:port" or "unix:/path") and returns the
// sockets named name (an LISTEN_FDNAMES entry: no ':' allowed). Unix socket
// files get mode; a stale socket file is replaced. On error nothing stays
// open.
func Listen(addrs []config.Address, name string, mode os.FileMode) ([]Socket, error) {
	if strings.ContainsAny(name, ":\n") || name == "" {
		return nil, fmt.Errorf("socket name %q: want a non-empty name without ':'", name)
	}
	var out []Socket
	fail := func(err error) ([]Socket, error) {
		CloseSockets(out)
		return nil, err
	}
	for _, a := range addrs {
		s, err := listenOne(a, name, mode)
		if err != nil {
			return fail(err)
		}
		out = append(out, s)
	}
	return out, nil
}

func listenOne(a config.Address, name string, mode os.FileMode) (Socket, error) {
	if a.IsUnix() {
		path := a.Path()
		if st, err := os.Lstat(path); err == nil && st.Mode()&os.ModeSocket != 0 {
			// A socket file left by a previous run: nobody can be
			// listening on it if connecting fails.
			if c, err := net.Dial("unix", path); err == nil {
				c.Close()
				return Socket{}, fmt.Errorf("listening on %s: another process is listening there", a)
			}
			if err := os.Remove(path); err != nil {
				return Socket{}, fmt.Errorf("listening on %s: removing the stale socket file: %w", a, err)
			}
		}
		l, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
		if err != nil {
			return Socket{}, fmt.Errorf("listening on %s: %w", a, err)
		}
		l.SetUnlinkOnClose(false)
		defer l.Close()
		if err := os.Chmod(path, mode); err != nil {
			os.Remove(path)
			return Socket{}, fmt.Errorf("listening on %s: setting mode %o: %w", a, mode, err)
		}
		f, err := l.File()
		if err != nil {
			os.Remove(path)
			return Socket{}, fmt.Errorf("listening on %s: %w", a, err)
		}
		return Socket{Name: name, Addr: string(a), File: f, removePath: path}, nil
	}
	l, err := net.Listen("tcp", string(a))
	if err != nil {
		return Socket{}, fmt.Errorf("listening on %s: %w", a, err)
	}
	defer l.Close()
	f, err := l.(*net.TCPListener).File()
	if err != nil {
		return Socket{}, fmt.Errorf("listening on %s: %w", a, err)
	}
	return Socket{Name: name, Addr: l.Addr().String(), File: f}, nil
}

// Inherited returns the sockets systemd passed to this process (socket
// activation), or nil when there are none. The LISTEN_* variables are
// removed from the environment, so that the application gets only the
// ones the supervisor sets.
func Inherited() []Socket {
	files := activation.Files(true)
	out := make([]Socket, 0, len(files))
	for _, f := range files {
		addr := "inherited"
		if l, err := net.FileListener(f); err == nil {
			addr = l.Addr().String()
			if l.Addr().Network() == "unix" {
				addr = "unix:" + addr
			}
			l.Close()
		}
		name := f.Name()
		if strings.HasPrefix(name, "LISTEN_FD_") {
			name = "apphost"
		}
		out = append(out, Socket{Name: name, Addr: addr, File: f})
	}
	return out
}

// CloseSockets closes every socket.
func CloseSockets(list []Socket) error {
	var errs []error
	for _, s := range list {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}
