package main

import (
	"github.com/apphost/apphost/integration/systemd"
	"github.com/spf13/cobra"
)

func newGenSystemdCommand() *cobra.Command {
	var g genFlags
	var o systemd.Options
	cmd := &cobra.Command{
		Use:   "systemd",
		Short: "Write NAME.socket and NAME.service units that run the app under apphost supervise",
		Long: "Write a .socket unit that holds the listening sockets and a Type=notify .service\n" +
			"unit that runs `apphost supervise -f DESCRIPTION -- COMMAND` on them (or, with\n" +
			"--direct, the command itself), hardened, with a stop timeout above the drain.\n" +
			"Under supervise.port_env (without --direct) the application binds its port\n" +
			"itself: the .service alone is written, without ExecReload= (the supervisor\n" +
			"refuses reloads then).",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.load()
			if err != nil {
				return err
			}
			files, err := systemd.Generate(c, o)
			if err != nil {
				return err
			}
			return g.write(cmd, files)
		},
	}
	g.register(cmd)
	cmd.Flags().StringVar(&o.Apphost, "apphost", "/usr/local/bin/apphost", "path of the apphost binary on the target machine")
	cmd.Flags().StringVar(&o.Description, "description", "", "path of the deployment description on the target machine (default /etc/apphost/NAME.yaml)")
	cmd.Flags().BoolVar(&o.Direct, "direct", false, "run supervise.command as the service itself, without the supervisor (it must take LISTEN_FDS and send READY=1)")
	return cmd
}
