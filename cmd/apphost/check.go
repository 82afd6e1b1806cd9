package main

import (
	"fmt"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/integration/findings"
	"github.com/spf13/cobra"
)

func newCheckCommand() *cobra.Command {
	return commandGroup(&cobra.Command{
		Use:   "check",
		Short: "Check proxy configurations for mistakes that break or endanger proxied apps",
		Long: "Check an existing proxy configuration. Exit status: 0 when no finding reaches\n" +
			"--fail-on, 1 when one does, 2 for usage errors or unreadable input.",
	}, newCheckNginxCommand(), newCheckApacheCommand(), newCheckIISCommand())
}

// checkFlags are the flags every checker takes.
type checkFlags struct {
	file   string
	format string
	failOn string
}

func (c *checkFlags) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&c.file, "file", "f", "", "deployment description to cross-check against (optional)")
	cmd.Flags().StringVar(&c.format, "format", "text", "output format: text, json or sarif")
	cmd.Flags().StringVar(&c.failOn, "fail-on", "warning", "lowest severity that makes the exit status 1: error, warning or info")
}

// validate checks the flags before any file is read.
func (c *checkFlags) validate() (findings.Severity, error) {
	if err := findings.CheckFormat(c.format); err != nil {
		return 0, err
	}
	return findings.ParseSeverity(c.failOn)
}

// description loads the deployment description given with -f, or nil.
func (c *checkFlags) description() (*config.Config, error) {
	if c.file == "" {
		return nil, nil
	}
	return config.Load(c.file)
}

// report prints the findings and turns them into the exit status.
func (c *checkFlags) report(cmd *cobra.Command, list []findings.Finding, rules []findings.Rule, threshold findings.Severity) error {
	findings.Sort(list)
	tool := findings.Tool{Name: "apphost", Version: appVersion(), URI: "https://github.com/apphost/apphost"}
	if err := findings.Write(cmd.OutOrStdout(), c.format, list, tool, rules); err != nil {
		return err
	}
	if findings.Fails(list, threshold) {
		return exitError{code: 1, err: fmt.Errorf("findings at or above %s", threshold)}
	}
	return nil
}

// exitError ends the process with code: 1 for findings and for failures
// while running, where other errors mean 2 (usage and bad input).
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) ExitCode() int { return e.code }
