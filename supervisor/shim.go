//go:build linux

package supervisor

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
)

// ShimEnv is the variable that turns the supervisor's own binary into the
// shim: with ShimEnv=1 in its environment the binary sets LISTEN_PID to its
// pid and execs its arguments. The config layer ignores APPHOST_INTERNAL_
// variables.
const ShimEnv = "APPHOST_INTERNAL_SUPERVISE_EXEC"

// RunShimIfRequested makes the calling program act as the shim when
// ShimEnv is set: it replaces the process with os.Args[1:] and does not
// return. When the command cannot be executed it prints why and exits 127,
// like a shell. Without ShimEnv it returns at once. Programs that run a
// supervisor call it first thing in main.
func RunShimIfRequested() {
	if os.Getenv(ShimEnv) != "1" {
		return
	}
	err := shimExec(os.Args[1:], os.Environ())
	fmt.Fprintln(os.Stderr, "apphost supervise:", err)
	os.Exit(127)
}

// shimExec execs args with env, minus ShimEnv, and with LISTEN_PID set to
// this process's pid when sockets are passed. It returns only on error.
func shimExec(args []string, env []string) error {
	if len(args) == 0 {
		return errors.New("no command to run")
	}
	path, err := exec.LookPath(args[0])
	if err != nil {
		return fmt.Errorf("command %q: %w", args[0], err)
	}
	out := make([]string, 0, len(env)+1)
	sockets := false
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case ShimEnv, "LISTEN_PID":
			continue
		case "LISTEN_FDS":
			sockets = true
		}
		out = append(out, kv)
	}
	if sockets {
		out = append(out, "LISTEN_PID="+strconv.Itoa(os.Getpid()))
	}
	if err := syscall.Exec(path, args, out); err != nil {
		return fmt.Errorf("executing %s: %w", path, err)
	}
	return nil
}
