package main

import (
	"github.com/apphost/apphost/integration/nginx"
	"github.com/spf13/cobra"
)

// nginxDocs is where the rule reference lives; each rule's anchor is
// appended.
const nginxDocs = "https://github.com/apphost/apphost/blob/main/docs/nginx.md"

func newCheckNginxCommand() *cobra.Command {
	var c checkFlags
	var nginxTest bool
	cmd := &cobra.Command{
		Use:   "nginx FILE...",
		Short: "Check nginx configurations for mistakes that break or endanger proxied apps",
		Long: "Check a full nginx.conf (includes followed, globs expanded) or site files (their\n" +
			"top-level server blocks checked as if inside http {}). With -f, also compare\n" +
			"them with the deployment description. With --nginx-test, also run nginx -t.\n" +
			"The rules are described in docs/nginx.md.",
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, files []string) error {
			threshold, err := c.validate()
			if err != nil {
				return err
			}
			desc, err := c.description()
			if err != nil {
				return err
			}
			list, err := nginx.Check(cmd.Context(), files, nginx.CheckOptions{Description: desc, NginxTest: nginxTest})
			if err != nil {
				return err
			}
			return c.report(cmd, list, nginx.Rules(nginxDocs), threshold)
		},
	}
	c.register(cmd)
	cmd.Flags().BoolVar(&nginxTest, "nginx-test", false, "also run nginx -t on each file (in a temporary prefix) and report its verdict")
	return cmd
}
