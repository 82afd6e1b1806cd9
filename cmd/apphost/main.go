// Command apphost runs web services behind nginx, Apache httpd or IIS:
// it serves the diagnostic application, writes and checks proxy
// configurations, and supervises the application's process.
package main

import (
	"fmt"
	"os"
)

func main() {
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
