package main

import (
	"fmt"
	"os"

	"github.com/apphost/apphost/integration/iis"
	"github.com/spf13/cobra"
)

func newCheckIISCommand() *cobra.Command {
	var flags checkFlags
	cmd := &cobra.Command{
		Use:   "iis web.config",
		Short: "Check a web.config for the mistakes that break or endanger an app behind IIS",
		Long: "Check a web.config: XML errors, unknown elements and attributes and values out of\n" +
			"range in handlers, httpPlatform, aspNetCore, rewrite and requestFiltering, in-process\n" +
			"hosting of a program that is not .NET, unbounded stdout logs, proxy rules without\n" +
			"X-Forwarded-Proto; with -f, the body limit, proxied addresses and program against\n" +
			"the deployment description. Rules are described in docs/iis.md.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			threshold, err := flags.validate()
			if err != nil {
				return err
			}
			c, err := flags.description()
			if err != nil {
				return err
			}
			data, err := os.ReadFile(args[0])
			if err != nil {
				return fmt.Errorf("reading web.config: %w", err)
			}
			doc, err := iis.Parse(args[0], data)
			if err != nil {
				return err
			}
			return flags.report(cmd, iis.Check(doc, c), iis.Rules(), threshold)
		},
	}
	flags.register(cmd)
	return cmd
}
