package main

import (
	"errors"
	"fmt"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// exitCoder is an error that carries the process exit code, so commands
// such as check can report findings (exit 1) apart from usage errors (2).
type exitCoder interface {
	error
	ExitCode() int
}

func asExitCoder(err error, target *exitCoder) bool {
	return errors.As(err, target)
}

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "apphost",
		Short:         "Host Go web services behind nginx, Apache httpd or IIS",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newServeCommand(), newGenCommand(), newCheckCommand(), newSuperviseCommand(), newVersionCommand())
	return root
}

// commandGroup makes a command that only holds subcommands refuse an
// unknown one (exit 2) instead of printing its help and exiting 0, so a
// misspelt `apphost check ngnix site.conf` fails rather than passes.
// Without arguments it prints its help.
func commandGroup(cmd *cobra.Command, subs ...*cobra.Command) *cobra.Command {
	cmd.Args = cobra.NoArgs
	cmd.RunE = func(cmd *cobra.Command, _ []string) error { return cmd.Help() }
	cmd.AddCommand(subs...)
	return cmd
}

// version is set at build time with -ldflags "-X main.version=…"; when it is
// empty the module version recorded by the Go toolchain is used.
var version = ""

func appVersion() string {
	if version != "" {
		return version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "(devel)"
}

func newVersionCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print apphost's version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			_, err := fmt.Fprintf(cmd.OutOrStdout(), "apphost %s\n", appVersion())
			return err
		},
	}
}
