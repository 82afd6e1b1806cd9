package main

import (
	"github.com/apphost/apphost/integration/apache"
	"github.com/spf13/cobra"
)

func newGenApacheCommand() *cobra.Command {
	var flags genFlags
	cmd := &cobra.Command{
		Use:   "apache",
		Short: "Generate the Apache httpd (mod_proxy) virtual hosts",
		Long: "Write <name>.conf: the virtual host that proxies to the app (and with TLS,\n" +
			"the one redirecting HTTP to HTTPS). Its header names the modules to enable\n" +
			"and the Listen lines it expects. Needs Apache httpd 2.4.47 or later.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := flags.load()
			if err != nil {
				return err
			}
			files, err := apache.Generate(c, appVersion())
			if err != nil {
				return err
			}
			return flags.write(cmd, files)
		},
	}
	flags.register(cmd)
	return cmd
}
