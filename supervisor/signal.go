//go:build linux

package supervisor

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// SignalNamed returns the signal called name, such as "SIGTERM".
func SignalNamed(name string) (syscall.Signal, error) {
	if s := unix.SignalNum(name); s != 0 {
		return s, nil
	}
	return 0, fmt.Errorf("unknown signal %q: want a name such as SIGTERM, SIGINT or SIGQUIT", name)
}
