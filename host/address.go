package host

import (
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"

	deployment "github.com/apphost/apphost/config"
)

// address is a parsed listen address: a TCP "host:port" or a unix socket path.
type address struct {
	network string // "tcp" or "unix"
	addr    string // host:port, or the socket's path
}

const unixPrefix = "unix:"

// parseAddress reads "host:port" or "unix:/path". The host may be an IP, a
// name or empty (every interface); the port is a number from 0 to 65535.
func parseAddress(s string) (address, error) {
	if path, ok := strings.CutPrefix(s, unixPrefix); ok {
		if path == "" || !filepath.IsAbs(path) {
			return address{}, fmt.Errorf("%q: a unix socket needs an absolute path, as in unix:/run/app/app.sock", s)
		}
		return address{network: "unix", addr: filepath.Clean(path)}, nil
	}
	host, port, err := net.SplitHostPort(s)
	if err != nil {
		return address{}, fmt.Errorf("%q: expected host:port (as in 127.0.0.1:5000 or [::1]:5000) or unix:/path: %w", s, err)
	}
	n, err := strconv.ParseUint(port, 10, 16)
	if err != nil {
		return address{}, fmt.Errorf("%q: port %q is not a number from 0 to 65535", s, port)
	}
	if strings.ContainsAny(host, " /") {
		return address{}, fmt.Errorf("%q: host %q is not an IP address or a host name", s, host)
	}
	return address{network: "tcp", addr: net.JoinHostPort(host, strconv.FormatUint(n, 10))}, nil
}

// String gives the address as the user writes it.
func (a address) String() string {
	if a.network == "unix" {
		return unixPrefix + a.addr
	}
	return a.addr
}

// overlaps reports whether a and b would share a socket, by the rules of
// config.Address.Overlaps: both print in its form.
func (a address) overlaps(b address) bool {
	return deployment.Address(a.String()).Overlaps(deployment.Address(b.String()))
}
