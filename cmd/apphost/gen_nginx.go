package main

import (
	"github.com/apphost/apphost/integration/findings"
	"github.com/apphost/apphost/integration/nginx"
	"github.com/apphost/apphost/integration/output"
	"github.com/spf13/cobra"
)

func newGenNginxCommand() *cobra.Command {
	var g genFlags
	var version string
	cmd := &cobra.Command{
		Use:   "nginx",
		Short: "Write the nginx site configuration for the app",
		Long: "Write the nginx site for the deployment: an upstream with keepalive, the\n" +
			"forwarding headers the app reads, limits and timeouts matched with the app's,\n" +
			"and with proxy.tls an HTTPS server with HTTP redirected to it. Include the file\n" +
			"inside nginx's http {} block. --nginx-version selects the HTTP/2 syntax; by\n" +
			"default the version of the nginx installed here, else 1.22. An upstream written\n" +
			"as localhost gets a warning on standard error, unless app.listen has its port\n" +
			"on both 127.0.0.1 and [::1] or on every interface: nginx makes a server of\n" +
			"every address localhost resolves to where it runs (on Debian with IPv6:\n" +
			"127.0.0.1 and [::1]), while the app listens on one. The site is written all\n" +
			"the same.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			var v nginx.Version
			if version != "" {
				var err error
				if v, err = nginx.ParseVersion(version); err != nil {
					return err
				}
			} else {
				v = nginx.InstalledVersion(cmd.Context())
			}
			c, err := g.load()
			if err != nil {
				return err
			}
			f, err := nginx.Generate(c, nginx.Options{NginxVersion: v, AppVersion: appVersion()})
			if err != nil {
				return err
			}
			if err := findings.WriteLines(cmd.ErrOrStderr(), nginx.GenerateWarnings(c)); err != nil {
				return err
			}
			return g.write(cmd, []output.File{f})
		},
	}
	g.register(cmd)
	cmd.Flags().StringVar(&version, "nginx-version", "", "nginx version to write for, such as 1.22 or 1.25.1 (default: the installed nginx's, else 1.22)")
	return cmd
}
