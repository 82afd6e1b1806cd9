//go:build !linux

package supervisor

import (
	"context"
	"errors"
	"runtime"
	"syscall"
)

// RunShimIfRequested does nothing here: the supervisor runs on Linux only.
func RunShimIfRequested() {}

// Run fails: the supervisor needs Linux (process groups, PR_SET_PDEATHSIG,
// PR_SET_CHILD_SUBREAPER). Under IIS, the ASP.NET Core Module or
// HttpPlatformHandler supervises the application instead.
func Run(ctx context.Context, o Options) error {
	return errors.New("apphost supervise runs on Linux only, not on " + runtime.GOOS)
}

// SignalNamed knows no signals here.
func SignalNamed(name string) (syscall.Signal, error) {
	return 0, errors.New("apphost supervise runs on Linux only, not on " + runtime.GOOS)
}
