package main

import (
	"github.com/apphost/apphost/integration/iis"
	"github.com/spf13/cobra"
)

func newGenIISCommand() *cobra.Command {
	var (
		flags genFlags
		mode  string
	)
	cmd := &cobra.Command{
		Use:   "iis --mode httpplatform|ancm|arr",
		Short: "Write web.config for IIS (HttpPlatformHandler, ASP.NET Core Module or ARR)",
		Long: "Write web.config for IIS from the deployment description.\n\n" +
			"  --mode httpplatform  HttpPlatformHandler starts supervise.command (HTTP_PLATFORM_PORT)\n" +
			"  --mode ancm          the ASP.NET Core Module starts it out of process (ASPNETCORE_PORT)\n" +
			"  --mode arr           URL Rewrite + ARR proxy to the running app; also writes\n" +
			"                       " + iis.ARRScript + " for the server-level settings\n\n" +
			"See docs/iis.md for which to choose and the steps on the server.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			m, err := iis.ParseMode(mode)
			if err != nil {
				return err
			}
			c, err := flags.load()
			if err != nil {
				return err
			}
			files, err := iis.Generate(c, m)
			if err != nil {
				return err
			}
			return flags.write(cmd, files)
		},
	}
	flags.register(cmd)
	cmd.Flags().StringVar(&mode, "mode", "", "how IIS reaches the app: httpplatform, ancm or arr (required)")
	_ = cmd.MarkFlagRequired("mode")
	return cmd
}
