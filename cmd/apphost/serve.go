package main

import (
	"io"
	"log/slog"
	"net/http"
	"os"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/diagnostic"
	"github.com/apphost/apphost/forwarded"
	"github.com/apphost/apphost/host"
	"github.com/spf13/cobra"
)

func newServeCommand() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the host with the built-in diagnostic application",
		Long: "Run the host with the built-in diagnostic application, which answers every\n" +
			"request with a JSON report of what the host saw: the client's address, scheme\n" +
			"and host as restored from trusted forwarding headers, the path base, and the\n" +
			"connection's own peer. Settings come from defaults, then -f FILE, then APPHOST_*\n" +
			"environment variables, then these flags. SIGINT or SIGTERM stops it gracefully.",
		Args: cobra.NoArgs,
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "deployment description to read (default: none; built-in defaults)")
	flags := config.AddHostFlags(cmd.Flags())
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cfg, err := config.Resolve(file, os.Environ(), flags)
		if err != nil {
			return err
		}
		opts := host.OptionsFromConfig(cfg)
		opts.Logger = slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil))
		opts.AccessLog = accessLogWriter(cfg, cmd.OutOrStdout())
		if err := host.Run(cmd.Context(), diagnostic.Handler(diagnosticInfo), opts); err != nil {
			return exitError{code: 1, err: err}
		}
		return nil
	}
	return cmd
}

// accessLogWriter is where the access log goes: the command's standard
// output, or nowhere when app.access_log is false.
func accessLogWriter(cfg *config.Config, stdout io.Writer) io.Writer {
	if !cfg.App.AccessLog {
		return io.Discard
	}
	return stdout
}

// diagnosticInfo is what the host restored for a request: the scheme and
// client from trusted forwarding headers, the path base (IIS mode's
// application path, then a trusted forwarded prefix), the connection's own
// peer and the client's certificate.
func diagnosticInfo(r *http.Request) diagnostic.Info {
	in := diagnostic.Info{Scheme: "http", PathBase: host.PathBase(r.Context()), Peer: diagnostic.ConnPeer(r, r.RemoteAddr)}
	if res, ok := forwarded.FromRequest(r); ok {
		in.Scheme = res.Scheme
		in.PathBase += res.PathBase
		in.Peer = diagnostic.ConnPeer(r, res.Peer)
	}
	if cert, ok := host.ClientCertificate(r); ok {
		in.ClientCertificate = cert.Subject.String()
	}
	return in
}
