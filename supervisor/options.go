package supervisor

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/apphost/apphost/config"
)

// Restart policies.
const (
	RestartAlways    = "always"     // restart whatever the exit status
	RestartOnFailure = "on-failure" // restart unless the app exited with status 0
	RestartNever     = "never"      // the supervisor exits with the app
)

// Options configure Run. The zero value of each field is its documented
// default; Command is required.
type Options struct {
	// Command is the program and its arguments. A name without '/' is
	// looked up in PATH; a relative path is relative to Dir.
	Command []string
	// Dir is the application's working directory, where app_offline.htm is
	// looked for. Default: the supervisor's.
	Dir string
	// Env holds extra KEY=value variables for the application, on top of
	// the supervisor's environment.
	Env []string

	// Sockets are handed to the application as fds 3 and up. The caller
	// owns them and closes them after Run returns.
	Sockets []Socket
	// PortEnv, when set, names a variable that carries Port to the
	// application, for programs that bind their own socket. Connections
	// are refused while such a program restarts.
	PortEnv string
	Port    string
	// OfflineListen are the addresses the app_offline.htm page is served
	// on when there are no Sockets (PortEnv mode).
	OfflineListen []config.Address

	// Restart is RestartAlways, RestartOnFailure (default) or RestartNever.
	Restart string
	// ReadyURL, when set, is polled until it answers 2xx; READY=1 on
	// NOTIFY_SOCKET is accepted either way, whichever comes first. During
	// a reload the running application answers the URL too, so the new
	// one counts as ready once it runs; without ReadyURL only READY=1
	// counts.
	ReadyURL string
	// StartupTimeout kills an application that is not ready in time and
	// counts a failed start. Default 60s.
	StartupTimeout time.Duration
	// HealthURL, when set, is probed every HealthInterval (default 10s);
	// HealthFailures (default 3) consecutive failures restart the app.
	HealthURL      string
	HealthInterval time.Duration
	HealthFailures int
	// StopSignal goes to the application's process group first (default
	// SIGTERM); SIGKILL follows after StopTimeout (default 35s, longer
	// than the host's 30s drain).
	StopSignal  syscall.Signal
	StopTimeout time.Duration
	// Backoff spaces restarts after failures.
	Backoff Backoff
	// RapidFailsPerMinute failed starts within a minute make Run give up
	// with an error. The minute leaves out the backoff waits. Default 10,
	// as the ASP.NET Core Module.
	RapidFailsPerMinute int
	// OfflinePoll is how often app_offline.htm is looked for. Default 1s.
	OfflinePoll time.Duration

	// Stdout and Stderr receive the application's output. Default: the
	// supervisor's. LogFile, when set, receives both as well, as two
	// streams that each keep their lines whole across a rotation, and
	// reports its failed rotations to Log.
	Stdout, Stderr io.Writer
	LogFile        *RotatingFile
	// Log receives the supervisor's own messages. Default: text on stderr.
	Log *slog.Logger
	// Metrics, when set, is updated as the application runs.
	Metrics *Metrics
	// Reload starts a new application on the same sockets; once it is
	// ready the old one is stopped gracefully (the command wires SIGHUP).
	Reload <-chan struct{}
	// Notify reports to the supervisor's own service manager (sd_notify
	// states such as READY=1). Default: SystemdNotify.
	Notify func(state string)
	// Watchdog is how often Notify receives WATCHDOG=1 while the
	// supervision loop runs; 0 never. See SystemdWatchdog.
	Watchdog time.Duration
	// Shim is the binary that sets LISTEN_PID and execs the command; it
	// must call RunShimIfRequested. Default: the supervisor's own binary,
	// through /proc/self/exe, so that replacing the file on disk during an
	// upgrade changes nothing until the supervisor restarts.
	Shim string
}

// OptionError is a field of Options that Check refuses.
type OptionError struct {
	Option string // the field: Command, Dir, Restart or PortEnv
	Err    error
}

func (e *OptionError) Error() string { return e.Err.Error() }
func (e *OptionError) Unwrap() error { return e.Err }

// Check reports what makes Run refuse the options before it starts
// anything: no command, an unknown restart policy, both sockets and a port
// variable, a working directory that is not one, or a program that is not
// an executable file. It changes nothing, so a caller can check before it
// binds the sockets. The error is an *OptionError.
func (o Options) Check() error {
	if len(o.Command) == 0 || o.Command[0] == "" {
		return &OptionError{"Command", errors.New("no command to supervise: give one after --, or set supervise.command")}
	}
	switch o.Restart {
	case "", RestartAlways, RestartOnFailure, RestartNever:
	default:
		return &OptionError{"Restart", fmt.Errorf("restart policy %q: want always, on-failure or never", o.Restart)}
	}
	if o.PortEnv != "" && len(o.Sockets) > 0 {
		return &OptionError{"PortEnv", errors.New("sockets and a port variable are exclusive: the application either inherits its sockets or binds its own")}
	}
	if err := checkDir(o.Dir); err != nil {
		return &OptionError{"Dir", err}
	}
	if err := checkCommand(o.Command[0], o.Dir); err != nil {
		return &OptionError{"Command", err}
	}
	return nil
}

func (o Options) withDefaults() (Options, error) {
	if err := o.Check(); err != nil {
		return o, err
	}
	if o.Restart == "" {
		o.Restart = RestartOnFailure
	}
	if o.StartupTimeout <= 0 {
		o.StartupTimeout = 60 * time.Second
	}
	if o.HealthInterval <= 0 {
		o.HealthInterval = 10 * time.Second
	}
	if o.HealthFailures <= 0 {
		o.HealthFailures = 3
	}
	if o.StopSignal == 0 {
		o.StopSignal = syscall.SIGTERM
	}
	if o.StopTimeout <= 0 {
		o.StopTimeout = 35 * time.Second
	}
	o.Backoff = o.Backoff.withDefaults()
	if o.RapidFailsPerMinute <= 0 {
		o.RapidFailsPerMinute = 10
	}
	if o.OfflinePoll <= 0 {
		o.OfflinePoll = time.Second
	}
	if o.Stdout == nil {
		o.Stdout = os.Stdout
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	if o.Log == nil {
		o.Log = slog.New(slog.NewTextHandler(os.Stderr, nil))
	}
	if o.LogFile != nil {
		// Two streams: a rotation waits for the end of a line either has
		// begun, so that the line ends in the file it began in.
		o.Stdout = teeWriter{o.Stdout, o.LogFile.newStream()}
		o.Stderr = teeWriter{o.Stderr, o.LogFile.newStream()}
		o.LogFile.reportTo(o.Log)
	}
	if o.Notify == nil {
		o.Notify = SystemdNotify
	}
	if o.Shim == "" {
		o.Shim = selfExe
		if _, err := os.Stat(selfExe); err != nil {
			exe, err := os.Executable()
			if err != nil {
				return o, fmt.Errorf("finding the supervisor's own binary for the shim: %w", err)
			}
			o.Shim = exe
		}
	}
	return o, nil
}

// selfExe names the running binary even after its file was replaced.
const selfExe = "/proc/self/exe"

// checkDir fails for a working directory that is not a directory; ""
// (the supervisor's own) passes.
func checkDir(dir string) error {
	if dir == "" {
		return nil
	}
	st, err := os.Stat(dir)
	if err != nil {
		return fmt.Errorf("working directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("working directory %s is not a directory", dir)
	}
	return nil
}

// checkCommand fails early, with a clear message, for a command that
// cannot start.
func checkCommand(name, dir string) error {
	path := name
	if filepath.Base(name) == name {
		p, err := exec.LookPath(name)
		if err != nil {
			return fmt.Errorf("command %q: %w", name, err)
		}
		path = p
	} else if !filepath.IsAbs(name) && dir != "" {
		path = filepath.Join(dir, name)
	}
	st, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("command %q: %w", name, err)
	}
	if st.IsDir() || st.Mode()&0o111 == 0 {
		return fmt.Errorf("command %q: %s is not an executable file", name, path)
	}
	return nil
}
