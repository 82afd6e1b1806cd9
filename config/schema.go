package config

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// field is one settable key. Every layer (yaml, environment, Set) goes
// through the same setter, so a value means the same wherever it is written.
type field struct {
	path string
	list bool
	// bare is the value of the key's flag given without one ("--pprof").
	bare string
	set  func(c *Config, vals []string) error
}

// fields lists every key of apphost.yaml. docs/configuration.md documents
// each one; a test keeps the two in step.
var fields = []field{
	{path: "name", set: setString(func(c *Config) *string { return &c.Name })},

	{path: "app.listen", list: true, set: setAddresses(func(c *Config) *[]Address { return &c.App.Listen })},
	{path: "app.unix_socket_mode", set: setMode(func(c *Config) *uint32 { return &c.App.UnixSocketMode })},
	{path: "app.admin_listen", set: setAdmin(func(c *Config) *Address { return &c.App.AdminListen })},
	{path: "app.shutdown_timeout", set: setDuration(0, func(c *Config) *time.Duration { return &c.App.ShutdownTimeout })},
	{path: "app.access_log", set: setBool(func(c *Config) *bool { return &c.App.AccessLog })},
	{path: "app.pprof", bare: "true", set: setBool(func(c *Config) *bool { return &c.App.Pprof })},
	{path: "app.limits.max_request_body", set: setSize(0, func(c *Config) *Size { return &c.App.Limits.MaxRequestBody })},
	{path: "app.limits.max_request_headers", set: setSize(minRequestHeaders, func(c *Config) *Size { return &c.App.Limits.MaxRequestHeaders })},
	{path: "app.limits.max_header_count", set: setInt(1, func(c *Config) *int { return &c.App.Limits.MaxHeaderCount })},
	{path: "app.limits.max_request_line", set: setSize(minRequestLine, func(c *Config) *Size { return &c.App.Limits.MaxRequestLine })},
	{path: "app.limits.request_headers_timeout", set: setDuration(positive, func(c *Config) *time.Duration { return &c.App.Limits.RequestHeadersTimeout })},
	{path: "app.limits.keep_alive_timeout", set: setDuration(positive, func(c *Config) *time.Duration { return &c.App.Limits.KeepAliveTimeout })},
	{path: "app.limits.min_request_body_rate", set: setSize(0, func(c *Config) *Size { return &c.App.Limits.MinRequestBodyRate })},
	{path: "app.limits.min_request_body_grace", set: setDuration(0, func(c *Config) *time.Duration { return &c.App.Limits.MinRequestBodyGrace })},
	{path: "app.limits.send_timeout", set: setDuration(0, func(c *Config) *time.Duration { return &c.App.Limits.SendTimeout })},
	{path: "app.limits.max_connections", set: setInt(0, func(c *Config) *int { return &c.App.Limits.MaxConnections })},

	{path: "forwarded.headers", set: setChoice([]string{"x-forwarded", "forwarded", "none"}, func(c *Config) *string { return &c.Forwarded.Headers })},
	{path: "forwarded.trusted_proxies", list: true, set: setStrings(func(c *Config) *[]string { return &c.Forwarded.TrustedProxies })},
	{path: "forwarded.forward_limit", set: setInt(1, func(c *Config) *int { return &c.Forwarded.ForwardLimit })},
	{path: "forwarded.allowed_hosts", list: true, set: setStrings(func(c *Config) *[]string { return &c.Forwarded.AllowedHosts })},

	{path: "proxy.server_names", list: true, set: setStrings(func(c *Config) *[]string { return &c.Proxy.ServerNames })},
	{path: "proxy.edge", set: setBool(func(c *Config) *bool { return &c.Proxy.Edge })},
	{path: "proxy.http_listen", set: setString(func(c *Config) *string { return &c.Proxy.HTTPListen })},
	{path: "proxy.https_listen", set: setString(func(c *Config) *string { return &c.Proxy.HTTPSListen })},
	{path: "proxy.tls.certificate", set: setString(func(c *Config) *string { return &c.tls().Certificate })},
	{path: "proxy.tls.certificate_key", set: setString(func(c *Config) *string { return &c.tls().CertificateKey })},
	{path: "proxy.tls.hsts_max_age", set: setDuration(0, func(c *Config) *time.Duration { return &c.tls().HSTSMaxAge })},
	{path: "proxy.upstreams", list: true, set: setAddresses(func(c *Config) *[]Address { return &c.Proxy.Upstreams })},
	{path: "proxy.websockets", set: setBool(func(c *Config) *bool { return &c.Proxy.Websockets })},
	{path: "proxy.path_prefix", set: setString(func(c *Config) *string { return &c.Proxy.PathPrefix })},

	{path: "supervise.command", list: true, set: setStrings(func(c *Config) *[]string { return &c.Supervise.Command })},
	{path: "supervise.restart", set: setChoice([]string{"always", "on-failure", "never"}, func(c *Config) *string { return &c.Supervise.Restart })},
	{path: "supervise.environment", list: true, set: setStrings(func(c *Config) *[]string { return &c.Supervise.Environment })},
	{path: "supervise.working_directory", set: setString(func(c *Config) *string { return &c.Supervise.WorkingDirectory })},
	{path: "supervise.ready_url", set: setString(func(c *Config) *string { return &c.Supervise.ReadyURL })},
	{path: "supervise.health_url", set: setString(func(c *Config) *string { return &c.Supervise.HealthURL })},
	{path: "supervise.health_interval", set: setDuration(positive, func(c *Config) *time.Duration { return &c.Supervise.HealthInterval })},
	{path: "supervise.health_failures", set: setInt(1, func(c *Config) *int { return &c.Supervise.HealthFailures })},
	{path: "supervise.startup_timeout", set: setDuration(positive, func(c *Config) *time.Duration { return &c.Supervise.StartupTimeout })},
	{path: "supervise.stop_signal", set: setChoice([]string{"SIGTERM", "SIGINT", "SIGQUIT", "SIGHUP", "SIGUSR1", "SIGUSR2"}, func(c *Config) *string { return &c.Supervise.StopSignal })},
	{path: "supervise.stop_timeout", set: setDuration(positive, func(c *Config) *time.Duration { return &c.Supervise.StopTimeout })},
	{path: "supervise.backoff_initial", set: setDuration(positive, func(c *Config) *time.Duration { return &c.Supervise.BackoffInitial })},
	{path: "supervise.backoff_factor", set: setFloat(1, func(c *Config) *float64 { return &c.Supervise.BackoffFactor })},
	{path: "supervise.backoff_max", set: setDuration(positive, func(c *Config) *time.Duration { return &c.Supervise.BackoffMax })},
	{path: "supervise.backoff_reset", set: setDuration(positive, func(c *Config) *time.Duration { return &c.Supervise.BackoffReset })},
	{path: "supervise.rapid_fails_per_minute", set: setInt(1, func(c *Config) *int { return &c.Supervise.RapidFailsPerMinute })},
	{path: "supervise.port_env", set: setString(func(c *Config) *string { return &c.Supervise.PortEnv })},
	{path: "supervise.log_file", set: setString(func(c *Config) *string { return &c.Supervise.LogFile })},
	{path: "supervise.log_max_size", set: setSize(positive, func(c *Config) *Size { return &c.Supervise.LogMaxSize })},
	{path: "supervise.log_max_files", set: setInt(0, func(c *Config) *int { return &c.Supervise.LogMaxFiles })},
	{path: "supervise.admin_listen", set: setAdmin(func(c *Config) *Address { return &c.Supervise.AdminListen })},
	{path: "supervise.hold_admin", bare: "true", set: setBool(func(c *Config) *bool { return &c.Supervise.HoldAdmin })},
}

// Keys returns every key path of apphost.yaml, in the order documented.
func Keys() []string {
	out := make([]string, len(fields))
	for i, f := range fields {
		out[i] = f.path
	}
	return out
}

// EnvName is the environment variable that sets a key.
func EnvName(path string) string {
	return "APPHOST_" + strings.ToUpper(strings.ReplaceAll(path, ".", "_"))
}

func lookupField(path string) (field, bool) {
	for _, f := range fields {
		if f.path == path {
			return f, true
		}
	}
	return field{}, false
}

// childKeys lists the keys one level below prefix ("" for the top level),
// for "unknown key" errors that say what is accepted.
func childKeys(prefix string) []string {
	seen := map[string]bool{}
	var out []string
	for _, f := range fields {
		rest, ok := strings.CutPrefix(f.path, prefix)
		if prefix != "" && (!ok || !strings.HasPrefix(rest, ".")) {
			continue
		}
		rest = strings.TrimPrefix(rest, ".")
		name, _, _ := strings.Cut(rest, ".")
		if !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func isSection(path string) bool {
	for _, f := range fields {
		if strings.HasPrefix(f.path, path+".") {
			return true
		}
	}
	return false
}

func (c *Config) tls() *TLS {
	if c.Proxy.TLS == nil {
		c.Proxy.TLS = &TLS{HSTSMaxAge: defaultHSTSMaxAge}
	}
	return c.Proxy.TLS
}

func one(vals []string) string {
	if len(vals) == 0 {
		return ""
	}
	return vals[0]
}

func setString(p func(*Config) *string) func(*Config, []string) error {
	return func(c *Config, v []string) error { *p(c) = one(v); return nil }
}

func setStrings(p func(*Config) *[]string) func(*Config, []string) error {
	return func(c *Config, v []string) error { *p(c) = append([]string{}, v...); return nil }
}

func setChoice(choices []string, p func(*Config) *string) func(*Config, []string) error {
	return func(c *Config, v []string) error {
		s := one(v)
		for _, ch := range choices {
			if strings.EqualFold(s, ch) {
				*p(c) = ch
				return nil
			}
		}
		return fmt.Errorf("want one of %s, got %q", strings.Join(choices, ", "), s)
	}
}

// positive is the minimum of a duration or a size where 0 would mean
// nothing: the smallest value above 0.
const positive = 1

// setSize refuses a size below minimum.
func setSize(minimum Size, p func(*Config) *Size) func(*Config, []string) error {
	return func(c *Config, v []string) error {
		s := one(v)
		n, err := ParseSize(s)
		switch {
		case err != nil:
			return err
		case n < minimum && minimum == positive:
			return fmt.Errorf("want a positive size such as 10MB, got %q", s)
		case n < minimum:
			return fmt.Errorf("want a size of at least %s, got %q", minimum, s)
		}
		*p(c) = n
		return nil
	}
}

// setDuration refuses a negative duration, or one below minimum.
func setDuration(minimum time.Duration, p func(*Config) *time.Duration) func(*Config, []string) error {
	return func(c *Config, v []string) error {
		s := one(v)
		d, err := time.ParseDuration(s)
		switch {
		case err != nil:
			return fmt.Errorf("want a duration in Go syntax such as 30s, 1m30s or 500ms, got %q", s)
		case d < 0 && minimum <= 0:
			return fmt.Errorf("want a duration of 0s or more, got %q", s)
		case d < minimum && minimum == positive:
			return fmt.Errorf("want a positive duration such as 10s, got %q", s)
		case d < minimum:
			return fmt.Errorf("want a duration of at least %s, got %q", minimum, s)
		}
		*p(c) = d
		return nil
	}
}

func setInt(minimum int, p func(*Config) *int) func(*Config, []string) error {
	return func(c *Config, v []string) error {
		s := one(v)
		n, err := strconv.Atoi(s)
		if err != nil || n < minimum {
			return fmt.Errorf("want a whole number of at least %d, got %q", minimum, s)
		}
		*p(c) = n
		return nil
	}
}

func setFloat(minimum float64, p func(*Config) *float64) func(*Config, []string) error {
	return func(c *Config, v []string) error {
		s := one(v)
		n, err := strconv.ParseFloat(s, 64)
		if err != nil || n < minimum || math.IsNaN(n) || math.IsInf(n, 0) {
			return fmt.Errorf("want a number of at least %g, got %q", minimum, s)
		}
		*p(c) = n
		return nil
	}
}

func setBool(p func(*Config) *bool) func(*Config, []string) error {
	return func(c *Config, v []string) error {
		switch s := strings.ToLower(one(v)); s {
		case "true", "yes", "on", "1":
			*p(c) = true
		case "false", "no", "off", "0":
			*p(c) = false
		default:
			return fmt.Errorf("want true or false, got %q", one(v))
		}
		return nil
	}
}

func setMode(p func(*Config) *uint32) func(*Config, []string) error {
	return func(c *Config, v []string) error {
		s := one(v)
		n, err := strconv.ParseUint(strings.TrimPrefix(s, "0o"), 8, 32)
		if err != nil || n > 0o777 {
			return fmt.Errorf("want an octal file mode such as 0660, got %q", s)
		}
		if n == 0 {
			return fmt.Errorf("%q lets no one connect; want a mode such as 0660 (owner and group)", s)
		}
		*p(c) = uint32(n)
		return nil
	}
}

func setAddresses(p func(*Config) *[]Address) func(*Config, []string) error {
	return func(c *Config, v []string) error {
		list, err := parseAddresses(v)
		if err != nil {
			return err
		}
		*p(c) = list
		return nil
	}
}

// setAdmin accepts an address or "off".
func setAdmin(p func(*Config) *Address) func(*Config, []string) error {
	return func(c *Config, v []string) error {
		if strings.EqualFold(one(v), "off") {
			*p(c) = AdminOff
			return nil
		}
		a, err := ParseAddress(one(v))
		if err != nil {
			return fmt.Errorf("%w, or off", err)
		}
		*p(c) = a
		return nil
	}
}
