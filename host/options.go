package host

import (
	"fmt"
	"github.com/apphost/apphost/forwarded"
	"github.com/apphost/apphost/metrics"
	"github.com/prometheus/client_golang/prometheus"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"time"
)

// Options configures a [Server]. The zero value serves on 127.0.0.1:5000 with
// the admin address 127.0.0.1:9464 and Kestrel's limits.
type Options struct {
	// Listen lists the public addresses: "host:port" for TCP or "unix:/path"
	// for a unix socket. Empty means ["127.0.0.1:5000"], Kestrel's default.
	// Ignored when sockets are inherited through socket activation
	// (LISTEN_PID, LISTEN_FDS, LISTEN_FDNAMES); those are served instead.
	Listen []string

	// UnixSocketMode is the file mode given to unix sockets the server
	// creates. Zero means 0o660: the owner and its group (the proxy's user
	// is usually added to it) may connect.
	UnixSocketMode fs.FileMode

	// AdminListen is the address of /metrics, /healthz, /readyz,
	// /debug/pprof/ (when Pprof is set) and AdminHandlers.
	// Empty means "127.0.0.1:9464"; "off" disables the admin listener. It
	// must differ from every public address.
	AdminListen string

	// ShutdownTimeout bounds how long requests in flight may run after the
	// shutdown starts. Zero means 30s (Kestrel's host default); negative is
	// an error.
	ShutdownTimeout time.Duration

	// Limits bounds requests and connections; see [Limits].
	Limits Limits

	// Logger receives the server's own logs. Nil means slog.Default().
	Logger *slog.Logger

	// AccessLog receives one combined-log-format line per request, each in
	// one Write, from many goroutines at once (an *os.File takes that). Nil
	// means os.Stdout; io.Discard turns the access log off entirely.
	AccessLog io.Writer

	// AdminHandlers adds routes to the admin listener, keyed by path (for
	// example "/debug/vars"). The paths /metrics, /healthz, /readyz and
	// /debug/pprof/ are reserved.
	AdminHandlers map[string]http.Handler

	// Metrics is the Prometheus registry the host registers its metrics on
	// (see docs/metrics.md): the HTTP server metrics, connections, limit
	// rejections, the forwarded-headers counters, and the Go runtime,
	// process and build-info collectors (kept when already registered).
	// The admin address serves it at /metrics. Nil means a private
	// registry of the host's own, so /metrics always works; pass one to add
	// the application's metrics to the same page. The global registry is
	// never used. A registry serves one Server: a second New on it fails.
	Metrics *prometheus.Registry

	// Pprof serves the runtime's profiles at /debug/pprof/ on the admin
	// address (see metrics.Pprof). Off by default: a CPU profile or trace
	// costs the application while it runs.
	Pprof bool

	// Forwarded configures the forwarded-headers middleware, which is
	// always in the request path. The zero value is its default: trust
	// loopback and unix-socket peers, read X-Forwarded-*, one hop. Set
	// Forwarded.Headers to forwarded.None to read no forwarding header.
	Forwarded forwarded.Options

	// Getenv reads the environment variables IIS mode is detected from
	// (see [DetectIIS]): under IIS's ASP.NET Core Module or HttpPlatformHandler
	// the server listens on 127.0.0.1:<the port IIS chose> instead of
	// Listen. Nil means os.Getenv; a function that returns "" turns IIS
	// mode off.
	Getenv func(key string) string
}

// Defaults and the value "off" of Options.AdminListen.
const (
	DefaultListen          = "127.0.0.1:5000" // Kestrel's default URL
	DefaultAdminListen     = "127.0.0.1:9464" // loopback only, in the port range Prometheus exporters use
	DefaultShutdownTimeout = 30 * time.Second // HostOptions.ShutdownTimeout
	DefaultUnixSocketMode  = fs.FileMode(0o660)
	AdminOff               = "off"
)

// config is Options with defaults filled in and addresses parsed: the single
// value the rest of the package reads.
type config struct {
	listen          []address
	adminListen     *address // nil when off
	unixSocketMode  fs.FileMode
	shutdownTimeout time.Duration
	limits          Limits
	logger          *slog.Logger
	accessLog       io.Writer // nil when off
	adminHandlers   map[string]http.Handler
	forwarded       *forwarded.Middleware
	iis             *iisMode // nil when not under IIS
	pprof           bool
	metrics         *prometheus.Registry // set by instrument when nil
	httpMetrics     *metrics.HTTP        // set by instrument
	conns           *metrics.Conns       // set by instrument
}

// resolve fills in defaults, parses addresses and checks the rules that span
// several settings. Every error names the option and the value.
func (o Options) resolve() (config, error) {
	c := config{
		unixSocketMode:  o.UnixSocketMode,
		shutdownTimeout: o.ShutdownTimeout,
		logger:          o.Logger,
		accessLog:       o.AccessLog,
		adminHandlers:   o.AdminHandlers,
		pprof:           o.Pprof,
		metrics:         o.Metrics,
	}
	if c.logger == nil {
		c.logger = slog.Default()
	}
	switch c.accessLog {
	case nil:
		c.accessLog = os.Stdout
	case io.Discard:
		c.accessLog = nil
	}
	if c.unixSocketMode == 0 {
		c.unixSocketMode = DefaultUnixSocketMode
	}
	if c.unixSocketMode&^fs.ModePerm != 0 {
		return c, fmt.Errorf("unix socket mode %#o: only permission bits (at most 0777) are allowed", uint32(c.unixSocketMode))
	}
	switch {
	case c.shutdownTimeout == 0:
		c.shutdownTimeout = DefaultShutdownTimeout
	case c.shutdownTimeout < 0:
		return c, fmt.Errorf("shutdown timeout %s: must not be negative", c.shutdownTimeout)
	}

	var err error
	if c.limits, err = o.Limits.resolve(); err != nil {
		return c, err
	}
	if c.forwarded, err = forwarded.New(o.Forwarded); err != nil {
		return c, fmt.Errorf("forwarded headers: %w", err)
	}

	listen := o.Listen
	if len(listen) == 0 {
		listen = []string{DefaultListen}
	}
	for _, s := range listen {
		a, err := parseAddress(s)
		if err != nil {
			return c, fmt.Errorf("listen address: %w", err)
		}
		for _, prev := range c.listen {
			if a.overlaps(prev) {
				return c, fmt.Errorf("listen addresses %q and %q would listen on the same socket", prev, s)
			}
		}
		c.listen = append(c.listen, a)
	}
	getenv := o.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	if c.iis, err = resolveIIS(getenv, &c, o.Listen); err != nil {
		return c, err
	}

	admin := strings.TrimSpace(o.AdminListen)
	if admin == "" {
		admin = DefaultAdminListen
	}
	if admin != AdminOff {
		a, err := parseAddress(admin)
		if err != nil {
			return c, fmt.Errorf("admin address: %w", err)
		}
		for _, l := range c.listen {
			if a.overlaps(l) {
				return c, fmt.Errorf("admin address %q overlaps the listen address %q: the admin endpoints must never be reachable through the public listener", admin, l.String())
			}
		}
		c.adminListen = &a
	}
	for path := range c.adminHandlers {
		if err := checkAdminPath(path); err != nil {
			return c, err
		}
	}
	return c, nil
}

func checkAdminPath(path string) error {
	switch {
	case !strings.HasPrefix(path, "/"):
		return fmt.Errorf("admin handler path %q: must start with /", path)
	case path == healthzPath || path == readyzPath || path == metricsPath || path == pprofPath:
		return fmt.Errorf("admin handler path %q: reserved for the host's own endpoint", path)
	case strings.ContainsAny(path, "{} \t"):
		return fmt.Errorf("admin handler path %q: a plain path is expected (no spaces, methods or wildcards)", path)
	}
	return nil
}
