package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/host"
	"github.com/apphost/apphost/metrics"
	"github.com/apphost/apphost/supervisor"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
)

// superviseFlags maps each flag of `apphost supervise` to the key of the
// deployment description it overrides. Values go through the same parser
// as the file, so a flag means what the key means.
var superviseFlags = []config.Flag{
	{Name: "listen", Key: "app.listen", Usage: "address to hold for the app, host:port or unix:/path (repeatable; default: app.listen)"},
	{Name: "admin-listen", Key: "supervise.admin_listen", Usage: "address of the supervisor's /metrics, or off (default 127.0.0.1:9465)"},
	{Name: "restart", Key: "supervise.restart", Usage: "restart policy: always, on-failure or never (default on-failure)"},
	{Name: "env", Key: "supervise.environment", Usage: "extra KEY=value variable for the app (repeatable)"},
	{Name: "working-directory", Key: "supervise.working_directory", Usage: "the app's working directory, where app_offline.htm is looked for"},
	{Name: "ready-url", Key: "supervise.ready_url", Usage: "URL that answers 2xx once the app is ready, as READY=1 on NOTIFY_SOCKET does (on reload the running app answers it, so the new one counts ready once it runs: leave it out and send READY=1 to reload safely)"},
	{Name: "startup-timeout", Key: "supervise.startup_timeout", Usage: "kill an app not ready within this time (default 60s)"},
	{Name: "health-url", Key: "supervise.health_url", Usage: "URL probed for liveness while the app runs"},
	{Name: "health-interval", Key: "supervise.health_interval", Usage: "time between liveness probes (default 10s)"},
	{Name: "health-failures", Key: "supervise.health_failures", Usage: "consecutive failed probes that restart the app (default 3)"},
	{Name: "stop-signal", Key: "supervise.stop_signal", Usage: "signal that asks the app to stop (default SIGTERM)"},
	{Name: "stop-timeout", Key: "supervise.stop_timeout", Usage: "time the app may drain before SIGKILL (default 35s)"},
	{Name: "backoff-initial", Key: "supervise.backoff_initial", Usage: "delay before the first restart after a failure (default 1s)"},
	{Name: "backoff-factor", Key: "supervise.backoff_factor", Usage: "multiplier of the delay after each further failure (default 2)"},
	{Name: "backoff-max", Key: "supervise.backoff_max", Usage: "longest delay between restarts (default 30s)"},
	{Name: "backoff-reset", Key: "supervise.backoff_reset", Usage: "uptime after which the delay starts over (default 60s)"},
	{Name: "rapid-fails-per-minute", Key: "supervise.rapid_fails_per_minute", Usage: "failed starts within a minute, backoff waits not counted, that make the supervisor give up (default 10)"},
	{Name: "port-env", Key: "supervise.port_env", Usage: "pass the listen port in this variable instead of sockets (connections are refused during restarts, and SIGHUP reloads are refused)"},
	{Name: "log-file", Key: "supervise.log_file", Usage: "also write the app's output to this file, rotated by size"},
	{Name: "log-max-size", Key: "supervise.log_max_size", Usage: "size at which the log file is rotated (default 10MB)"},
	{Name: "log-max-files", Key: "supervise.log_max_files", Usage: "rotated log files to keep (default 5)"},
	{Name: "hold-admin", Key: "supervise.hold_admin", Usage: "also hold app.admin_listen and pass it to the app as the socket " + host.AdminSocketName + ", shared across a reload (apps built on apphost's host)"},
}

func newSuperviseCommand() *cobra.Command {
	cmd, _ := superviseCommand()
	return cmd
}

// superviseCommand is newSuperviseCommand, with the flags to apply over
// the description.
func superviseCommand() (*cobra.Command, *config.FlagValues) {
	var file string
	var flags *config.FlagValues
	cmd := &cobra.Command{
		Use:   "supervise [-f apphost.yaml] [flags] [-- COMMAND [ARGS...]]",
		Short: "Run the app, hold its sockets, and restart it without refusing a connection",
		Long: "Run the application with its listening sockets held by the supervisor and passed\n" +
			"to it by the systemd LISTEN_FDS protocol, so that connections wait in the backlog\n" +
			"while the application restarts. The command comes after -- or from\n" +
			"supervise.command. SIGTERM or SIGINT stops the application gracefully; SIGHUP\n" +
			"starts a new one on the same sockets and stops the old one once the new one is\n" +
			"ready (refused under --port-env, where the application binds the port itself).\n" +
			"Flags override the description's keys. Exit status: 0 after a stop or a clean\n" +
			"exit the restart policy does not restart; 1 when the application fails under\n" +
			"--restart never, the supervisor gives up, or it cannot start a process; 2 for\n" +
			"usage and configuration errors, among them a program or working directory that\n" +
			"does not exist, all refused before any socket is bound.",
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := resolveSupervise(file, os.Environ(), flags, args)
			if err != nil {
				return err
			}
			return runSupervise(cmd, c)
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "deployment description to read (default: built-in defaults)")
	flags = config.AddFlags(cmd.Flags(), superviseFlags)
	return cmd, flags
}

// resolveSupervise builds the description as config.Resolve does, with
// the command after -- (when there is one) over supervise.command, and
// validates the result once, so that the command takes part in the checks
// that depend on it (the supervisor's admin address, the program) and one
// it replaces does not.
func resolveSupervise(file string, env []string, flags *config.FlagValues, command []string) (*config.Config, error) {
	c, err := config.Layer(file, env, flags)
	if err != nil {
		return nil, err
	}
	if len(command) > 0 {
		if err := c.Set("the command after --", "supervise.command", command...); err != nil {
			return nil, err
		}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

func runSupervise(cmd *cobra.Command, c *config.Config) error {
	s := c.Supervise
	stopSignal, err := supervisor.SignalNamed(s.StopSignal)
	if err != nil {
		return fmt.Errorf("supervise.stop_signal: %w", err)
	}
	log := slog.New(slog.NewTextHandler(cmd.ErrOrStderr(), nil)).With("component", "supervisor")
	opts := supervisor.Options{
		Command:             s.Command,
		Dir:                 s.WorkingDirectory,
		Env:                 s.Environment,
		Restart:             s.Restart,
		ReadyURL:            s.ReadyURL,
		StartupTimeout:      s.StartupTimeout,
		HealthURL:           s.HealthURL,
		HealthInterval:      s.HealthInterval,
		HealthFailures:      s.HealthFailures,
		StopSignal:          stopSignal,
		StopTimeout:         s.StopTimeout,
		Backoff:             supervisor.Backoff{Initial: s.BackoffInitial, Factor: s.BackoffFactor, Max: s.BackoffMax, Reset: s.BackoffReset},
		RapidFailsPerMinute: s.RapidFailsPerMinute,
		Log:                 log,
		Watchdog:            supervisor.SystemdWatchdog(),
	}
	// Usage errors, refused before any socket is bound.
	if err := opts.Check(); err != nil {
		return namingTheKey(c, err)
	}
	// The log file, a setting too, is opened before any socket is bound.
	if s.LogFile != "" {
		logFile, err := supervisor.OpenRotatingFile(s.LogFile, int64(s.LogMaxSize), s.LogMaxFiles)
		if err != nil {
			return err
		}
		defer logFile.Close()
		opts.LogFile = logFile
	}
	if s.PortEnv != "" {
		_, port := c.App.Listen[0].HostPort() // host:port, as Validate checked
		opts.PortEnv, opts.Port, opts.OfflineListen = s.PortEnv, port, c.App.Listen[:1]
	} else {
		sockets := supervisor.Inherited()
		if len(sockets) == 0 {
			var err error
			sockets, err = supervisor.Listen(c.App.Listen, c.Name, os.FileMode(c.App.UnixSocketMode))
			if err != nil {
				return err
			}
		}
		if s.HoldAdmin {
			admin, err := holdAdmin(c, sockets)
			if err != nil {
				supervisor.CloseSockets(sockets)
				return err
			}
			sockets = append(sockets, admin...)
		}
		defer supervisor.CloseSockets(sockets)
		for _, sock := range sockets {
			log.Info("holding a socket for the application", "addr", sock.Addr, "name", sock.Name)
		}
		opts.Sockets = sockets
	}
	reg := prometheus.NewRegistry()
	m, err := supervisor.NewMetrics(reg)
	if err == nil {
		err = metrics.RegisterRuntime(reg)
	}
	if err != nil {
		return err
	}
	opts.Metrics = m
	if s.AdminListen != config.AdminOff {
		stopAdmin, err := serveSupervisorAdmin(string(s.AdminListen), reg, log)
		if err != nil {
			return err
		}
		defer stopAdmin()
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	reload := make(chan struct{}, 1)
	go func() {
		for range hup {
			select {
			case reload <- struct{}{}:
			default:
			}
		}
	}()
	opts.Reload = reload
	if err := supervisor.Run(ctx, opts); err != nil {
		return exitError{code: 1, err: err}
	}
	return nil
}

// optionKeys are the description's keys of the supervisor.Options fields
// that Check refuses.
var optionKeys = map[string]string{
	"Command": "supervise.command",
	"Dir":     "supervise.working_directory",
}

// namingTheKey puts the description's key, and where it was set, in
// front of an error of Options.Check, unless the message names the key
// already.
func namingTheKey(c *config.Config, err error) error {
	var oe *supervisor.OptionError
	if !errors.As(err, &oe) {
		return err
	}
	key := optionKeys[oe.Option]
	if key == "" || strings.Contains(err.Error(), key) {
		return err
	}
	return c.KeyError(key, err)
}

// holdAdmin binds app.admin_listen as the socket apphost's host serves its
// admin endpoints on, unless systemd already passed one of that name.
func holdAdmin(c *config.Config, sockets []supervisor.Socket) ([]supervisor.Socket, error) {
	for _, s := range sockets {
		if s.Name == host.AdminSocketName {
			return nil, nil
		}
	}
	admin, err := supervisor.Listen([]config.Address{c.App.AdminListen}, host.AdminSocketName, os.FileMode(c.App.UnixSocketMode))
	if err != nil {
		return nil, fmt.Errorf("app.admin_listen (supervise.hold_admin): %w", err)
	}
	return admin, nil
}

// serveSupervisorAdmin serves /metrics and /healthz on addr.
func serveSupervisorAdmin(addr string, reg *prometheus.Registry, log *slog.Logger) (func(), error) {
	network, address := "tcp", addr
	if a := config.Address(addr); a.IsUnix() {
		network, address = "unix", a.Path()
	}
	l, err := net.Listen(network, address)
	if err != nil {
		return nil, fmt.Errorf("supervisor admin address: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", metrics.Handler(reg))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "ok") })
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Error("admin server", "error", err)
		}
	}()
	log.Info("serving the supervisor's metrics", "addr", l.Addr().String())
	return func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(ctx) //nolint:errcheck // best effort at exit
	}, nil
}
