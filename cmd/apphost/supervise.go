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
var superviseFlags = []struct {
	name, key, usage string
	list             bool
	boolean          bool // --name alone means true
}{
	{"listen", "app.listen", "address to hold for the app, host:port or unix:/path (repeatable; default: app.listen)", true, false},
	{"admin-listen", "supervise.admin_listen", "address of the supervisor's /metrics, or off (default 127.0.0.1:9465)", false, false},
	{"restart", "supervise.restart", "restart policy: always, on-failure or never (default on-failure)", false, false},
	{"env", "supervise.environment", "extra KEY=value variable for the app (repeatable)", true, false},
	{"working-directory", "supervise.working_directory", "the app's working directory, where app_offline.htm is looked for", false, false},
	{"ready-url", "supervise.ready_url", "URL that answers 2xx once the app is ready (READY=1 on NOTIFY_SOCKET works too)", false, false},
	{"startup-timeout", "supervise.startup_timeout", "kill an app not ready within this time (default 60s)", false, false},
	{"health-url", "supervise.health_url", "URL probed for liveness while the app runs", false, false},
	{"health-interval", "supervise.health_interval", "time between liveness probes (default 10s)", false, false},
	{"health-failures", "supervise.health_failures", "consecutive failed probes that restart the app (default 3)", false, false},
	{"stop-signal", "supervise.stop_signal", "signal that asks the app to stop (default SIGTERM)", false, false},
	{"stop-timeout", "supervise.stop_timeout", "time the app may drain before SIGKILL (default 35s)", false, false},
	{"backoff-initial", "supervise.backoff_initial", "delay before the first restart after a failure (default 1s)", false, false},
	{"backoff-factor", "supervise.backoff_factor", "multiplier of the delay after each further failure (default 2)", false, false},
	{"backoff-max", "supervise.backoff_max", "longest delay between restarts (default 30s)", false, false},
	{"backoff-reset", "supervise.backoff_reset", "uptime after which the delay starts over (default 60s)", false, false},
	{"rapid-fails-per-minute", "supervise.rapid_fails_per_minute", "failed starts within a minute that make the supervisor give up (default 10)", false, false},
	{"port-env", "supervise.port_env", "pass the listen port in this variable instead of sockets (connections are refused during restarts)", false, false},
	{"log-file", "supervise.log_file", "also write the app's output to this file, rotated by size", false, false},
	{"log-max-size", "supervise.log_max_size", "size at which the log file is rotated (default 10MB)", false, false},
	{"log-max-files", "supervise.log_max_files", "rotated log files to keep (default 5)", false, false},
	{"hold-admin", "supervise.hold_admin", "also hold app.admin_listen and pass it to the app as the socket " + host.AdminSocketName + ", shared across a reload (apps built on apphost's host)", false, true},
}

func newSuperviseCommand() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "supervise [-f apphost.yaml] [flags] [-- COMMAND [ARGS...]]",
		Short: "Run the app, hold its sockets, and restart it without refusing a connection",
		Long: "Run the application with its listening sockets held by the supervisor and passed\n" +
			"to it by the systemd LISTEN_FDS protocol, so that connections wait in the backlog\n" +
			"while the application restarts. The command comes after -- or from\n" +
			"supervise.command. SIGTERM or SIGINT stops the application gracefully; SIGHUP\n" +
			"starts a new one on the same sockets and stops the old one once the new one is\n" +
			"ready. Flags override the description's keys. Exit status: 0 after a clean stop,\n" +
			"1 when the application ends for good or the supervisor gives up, 2 for usage errors.",
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := superviseConfig(cmd, file)
			if err != nil {
				return err
			}
			if len(args) > 0 {
				c.Supervise.Command = args
			}
			return runSupervise(cmd, c)
		},
	}
	cmd.Flags().StringVarP(&file, "file", "f", "", "deployment description to read (default: built-in defaults)")
	for _, f := range superviseFlags {
		switch {
		case f.list:
			cmd.Flags().StringArray(f.name, nil, f.usage)
		case f.boolean:
			cmd.Flags().String(f.name, "", f.usage)
			cmd.Flags().Lookup(f.name).NoOptDefVal = "true"
		default:
			cmd.Flags().String(f.name, "", f.usage)
		}
	}
	return cmd
}

// superviseConfig layers the description file, APPHOST_* variables and
// the flags given, in that order, and validates the result.
func superviseConfig(cmd *cobra.Command, file string) (*config.Config, error) {
	c := config.Default()
	if file != "" {
		if err := c.LoadFile(file); err != nil {
			return nil, err
		}
	}
	if err := c.ApplyEnv(os.Environ()); err != nil {
		return nil, err
	}
	for _, f := range superviseFlags {
		if !cmd.Flags().Changed(f.name) {
			continue
		}
		values := []string{cmd.Flags().Lookup(f.name).Value.String()}
		if f.list {
			values, _ = cmd.Flags().GetStringArray(f.name)
		}
		if err := c.Set("flag --"+f.name, f.key, values...); err != nil {
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
	if s.PortEnv != "" {
		first := c.App.Listen[0]
		if first.IsUnix() {
			return fmt.Errorf("--port-env %s needs a host:port listen address, not %s", s.PortEnv, first)
		}
		_, port := first.HostPort()
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
	if s.LogFile != "" {
		lf, err := supervisor.OpenRotatingFile(s.LogFile, int64(s.LogMaxSize), s.LogMaxFiles)
		if err != nil {
			return err
		}
		defer lf.Close()
		opts.LogFile = lf
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
