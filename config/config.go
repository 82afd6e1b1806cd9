package config

import (
	"time"

	"github.com/apphost/apphost/forwarded"
)

// Config is one deployment: the application host, how it trusts
// forwarding headers, the reverse proxy in front of it and the supervisor
// that runs it. Build one with Default and the layers described in the
// package documentation; read it only after Validate succeeded.
type Config struct {
	// File is the description's path, or "" when none was read.
	File string
	// Name names generated files, the upstream and the systemd unit.
	// Default: "app".
	Name string

	App       App
	Forwarded Forwarded
	Proxy     Proxy
	Supervise Supervise

	// origin remembers where each key was set, for errors found later by
	// Validate and for KeyLine.
	origin map[string]origin
}

// origin is where a key was set: where is "file:line:column" or
// "environment APPHOST_…"; file and line are set for a file.
type origin struct {
	where string
	file  string
	line  int
}

// App configures the host: its listeners and limits.
type App struct {
	// Listen holds the public (proxied) addresses. Default: 127.0.0.1:5000,
	// loopback only, because a proxy on the same machine faces clients.
	Listen []Address
	// UnixSocketMode is the permission of unix socket files. Default 0660:
	// the owner and the group (the proxy's) may connect, nobody else.
	UnixSocketMode uint32
	// AdminListen serves /metrics, /healthz and /readyz; never proxied.
	// Default 127.0.0.1:9464, the port Prometheus assigns to exporters of
	// this kind. "off" disables it.
	AdminListen Address
	// ShutdownTimeout bounds the graceful drain. Default 30s, as Kestrel's
	// host and as systemd's TimeoutStopSec leaves room for.
	ShutdownTimeout time.Duration
	Limits          Limits
	// AccessLog turns the combined-format access log on standard output on
	// or off. Default on.
	AccessLog bool
	// Pprof serves the runtime's profiles at /debug/pprof/ on the admin
	// address. Default off.
	Pprof bool
}

// Limits are the request limits, with Kestrel's defaults. A zero value
// where noted turns that limit off.
type Limits struct {
	MaxRequestBody        Size          // 30,000,000 bytes: Kestrel's MaxRequestBodySize. 0: no limit.
	MaxRequestHeaders     Size          // 32 KiB in total: Kestrel's MaxRequestHeadersTotalSize.
	MaxHeaderCount        int           // 100 fields: Kestrel's MaxRequestHeaderCount.
	MaxRequestLine        Size          // 8 KiB: Kestrel's MaxRequestLineSize.
	RequestHeadersTimeout time.Duration // 30s: Kestrel's RequestHeadersTimeout.
	KeepAliveTimeout      time.Duration // 130s: Kestrel's KeepAliveTimeout, above nginx's 60s upstream idle time.
	MinRequestBodyRate    Size          // 240 bytes per second: Kestrel's MinRequestBodyDataRate. 0: off.
	MinRequestBodyGrace   time.Duration // 5s: Kestrel's grace period for the rate.
	SendTimeout           time.Duration // 60s: a write to a client that reads nothing fails after it (Kestrel: MinResponseDataRate). 0: off.
	MaxConnections        int           // 0: unlimited, as Kestrel.
}

// Forwarded configures the forwarded-headers middleware.
type Forwarded struct {
	// Headers is the header family read: "x-forwarded" (default),
	// "forwarded" (RFC 7239) or "none".
	Headers string
	// TrustedProxies is the list as written; Trusted is what it means.
	// Default [loopback, unix]: the proxy on the same machine. An empty
	// list trusts nobody.
	TrustedProxies []string
	Trusted        forwarded.TrustedProxies
	// ForwardLimit is how many hops from the right are processed. Default 1.
	ForwardLimit int
	// AllowedHosts limits the forwarded host: exact names or *.example.com.
	// Default empty: any valid host.
	AllowedHosts []string
	// Options is the section as the forwarded middleware takes it, set by
	// Validate.
	Options forwarded.Options
}

// Proxy describes the reverse proxy in front of the app, for the nginx,
// Apache and IIS generators and checkers.
type Proxy struct {
	// ServerNames are the host names the proxy serves. Default: localhost.
	ServerNames []string
	// Edge is true when clients connect straight to this proxy, so a
	// client-sent forwarding chain must not pass. Default true.
	Edge bool
	// HTTPListen and HTTPSListen are where the proxy listens: a port or
	// address:port. Defaults 80 and 443.
	HTTPListen  string
	HTTPSListen string
	// TLS, when set, makes the proxy serve HTTPS and redirect HTTP to it.
	TLS *TLS
	// Upstreams are the app instances the proxy forwards to. Empty:
	// ProxyUpstreams gives App.Listen.
	Upstreams []Address
	// Websockets passes Upgrade requests through. Default false.
	Websockets bool
	// PathPrefix mounts the app under a path such as /shop. Default "".
	PathPrefix string
}

// TLS names the proxy's certificate.
type TLS struct {
	Certificate    string
	CertificateKey string
	// HSTSMaxAge is the Strict-Transport-Security max-age. Default two
	// years, Mozilla's recommendation; 0 sends no HSTS header.
	HSTSMaxAge time.Duration
}

// Supervise configures `apphost supervise`.
type Supervise struct {
	// Command is the program and its arguments.
	Command []string
	// Restart is "always", "on-failure" (default) or "never".
	Restart string
	// Environment holds extra KEY=value variables for the child.
	Environment []string
	// WorkingDirectory is the child's working directory, where
	// app_offline.htm is looked for. Default: the supervisor's.
	WorkingDirectory string
	// ReadyURL, when set, is polled until it answers 2xx; otherwise the
	// child reports READY=1 through NOTIFY_SOCKET.
	ReadyURL string
	// HealthURL, when set, is probed every HealthInterval; after
	// HealthFailures consecutive failures the child is restarted.
	HealthURL      string
	HealthInterval time.Duration // default 10s
	HealthFailures int           // default 3
	// StartupTimeout kills a child that never becomes ready. Default 60s.
	StartupTimeout time.Duration
	// StopSignal is sent to the child's process group first. Default SIGTERM.
	StopSignal string
	// StopTimeout is how long the child may drain before SIGKILL. Default
	// 35s: longer than the host's 30s shutdown timeout.
	StopTimeout time.Duration
	// Backoff between restarts: BackoffInitial, multiplied by
	// BackoffFactor after each failed start, at most BackoffMax, and reset
	// once the child stayed up for BackoffReset.
	BackoffInitial time.Duration // default 1s
	BackoffFactor  float64       // default 2
	BackoffMax     time.Duration // default 30s
	BackoffReset   time.Duration // default 60s
	// RapidFailsPerMinute failed starts within a minute make the
	// supervisor give up. Default 10, as the ASP.NET Core Module.
	RapidFailsPerMinute int
	// PortEnv, when set, passes a port in this variable instead of
	// sockets, for programs without socket activation.
	PortEnv string
	// LogFile, when set, receives the child's output too, rotated at
	// LogMaxSize keeping LogMaxFiles old files.
	LogFile     string
	LogMaxSize  Size // default 10MB
	LogMaxFiles int  // default 5
	// AdminListen is the supervisor's own metrics address. Default
	// 127.0.0.1:9465, next to the app's 9464.
	AdminListen Address
	// HoldAdmin makes the supervisor hold app.admin_listen too and pass it
	// to the app as a socket named "apphost-admin", which apphost's host
	// serves its admin endpoints on: two instances side by side during a
	// reload then share it instead of the second failing to bind it.
	// Only for apps built on the host; default false.
	HoldAdmin bool
}
