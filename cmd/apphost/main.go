// Command apphost runs web services behind nginx, Apache httpd or IIS:
// it serves the diagnostic application, writes and checks proxy
// configurations, and supervises the application's process.
package main

import (
	"fmt"
	"os"

	"github.com/apphost/apphost/supervisor"
)

func main() {
	// Under `apphost supervise`, apphost re-executes itself as the shim
	// that sets LISTEN_PID and execs the application.
	supervisor.RunShimIfRequested()
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	root := newRootCommand()
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		fmt.Fprintln(os.Stderr, "apphost:", err)
		var ec exitCoder
		if asExitCoder(err, &ec) {
			return ec.ExitCode()
		}
		return 2 // usage, configuration and input errors
	}
	return 0
}
