package config

import (
	"fmt"
	"strings"

	"github.com/spf13/pflag"
)

// Flag is a command-line flag that sets one key.
type Flag struct {
	Name  string // without the dashes
	Key   string // the key path it sets
	Usage string
}

// HostFlags are the flags of `apphost serve` and of programs that embed
// the host: one per app setting and forwarded-headers option. The defaults
// in the usage strings come from Default.
func HostFlags() []Flag {
	d := Default()
	l := d.App.Limits
	return []Flag{
		{"listen", "app.listen", fmt.Sprintf("public address, host:port or unix:/path; repeat or comma-separate for several (default %s)", joinAddrs(d.App.Listen))},
		{"admin-listen", "app.admin_listen", fmt.Sprintf("admin address for /metrics, /healthz, /readyz, or off (default %s)", d.App.AdminListen)},
		{"unix-socket-mode", "app.unix_socket_mode", fmt.Sprintf("permission of unix socket files, octal (default %04o)", d.App.UnixSocketMode)},
		{"shutdown-timeout", "app.shutdown_timeout", fmt.Sprintf("how long in-flight requests may finish after a stop signal (default %s)", d.App.ShutdownTimeout)},
		{"access-log", "app.access_log", fmt.Sprintf("write the combined-format access log to standard output: true or false (default %t)", d.App.AccessLog)},
		{"pprof", "app.pprof", "serve the runtime's profiles at /debug/pprof/ on the admin address (default false; --pprof alone means true)"},
		{"max-request-body", "app.limits.max_request_body", fmt.Sprintf("largest request body, 413 above it; 0 for no limit (default %d bytes)", int64(l.MaxRequestBody))},
		{"max-request-headers", "app.limits.max_request_headers", fmt.Sprintf("largest total size of the request headers, 431 above it (default %s)", l.MaxRequestHeaders)},
		{"max-header-count", "app.limits.max_header_count", fmt.Sprintf("most request header fields, 431 above it (default %d)", l.MaxHeaderCount)},
		{"max-request-line", "app.limits.max_request_line", fmt.Sprintf("longest request line, 414 above it (default %s)", l.MaxRequestLine)},
		{"request-headers-timeout", "app.limits.request_headers_timeout", fmt.Sprintf("time allowed to receive the request headers (default %s)", l.RequestHeadersTimeout)},
		{"keep-alive-timeout", "app.limits.keep_alive_timeout", fmt.Sprintf("idle time before a keep-alive connection is closed (default %s)", l.KeepAliveTimeout)},
		{"min-request-body-rate", "app.limits.min_request_body_rate", fmt.Sprintf("slowest request body upload in bytes per second, 408 below it; 0 turns it off (default %d)", int64(l.MinRequestBodyRate))},
		{"min-request-body-grace", "app.limits.min_request_body_grace", fmt.Sprintf("time before the body rate is enforced (default %s)", l.MinRequestBodyGrace)},
		{"send-timeout", "app.limits.send_timeout", fmt.Sprintf("time a client may leave the response unread before the write fails and the connection closes; 0 turns it off (default %s)", l.SendTimeout)},
		{"max-connections", "app.limits.max_connections", "most concurrent connections; 0 for no limit (default 0)"},
		{"forwarded-headers", "forwarded.headers", fmt.Sprintf("forwarding headers read: x-forwarded, forwarded (RFC 7239) or none (default %s)", d.Forwarded.Headers)},
		{"trusted-proxies", "forwarded.trusted_proxies", fmt.Sprintf("peers whose forwarding headers are believed: CIDRs, addresses, loopback, unix; comma-separated (default %s)", strings.Join(d.Forwarded.TrustedProxies, ","))},
		{"forward-limit", "forwarded.forward_limit", fmt.Sprintf("how many proxy hops from the right are processed (default %d)", d.Forwarded.ForwardLimit)},
		{"allowed-hosts", "forwarded.allowed_hosts", "forwarded hosts accepted, exact or *.example.com; comma-separated (default: any)"},
	}
}

func joinAddrs(list []Address) string {
	s := make([]string, len(list))
	for i, a := range list {
		s[i] = string(a)
	}
	return strings.Join(s, ",")
}

// FlagValues holds the flags registered on a flag set, to be applied over
// a Config after the file and the environment.
type FlagValues struct {
	fs    *pflag.FlagSet
	flags []Flag
	vals  map[string]*[]string
}

// AddHostFlags registers HostFlags on fs. Values are checked when applied,
// by the same rules as the yaml keys. A list key's flag may be repeated or
// comma-separated.
func AddHostFlags(fs *pflag.FlagSet) *FlagValues {
	return addFlags(fs, HostFlags(), true)
}

// AddFlags registers flags on fs as AddHostFlags does, except that a list
// key's flag is only repeated: each occurrence is one value, commas
// included (an environment variable's value may hold one).
func AddFlags(fs *pflag.FlagSet, flags []Flag) *FlagValues {
	return addFlags(fs, flags, false)
}

func addFlags(fs *pflag.FlagSet, flags []Flag, split bool) *FlagValues {
	fv := &FlagValues{fs: fs, flags: flags, vals: map[string]*[]string{}}
	for _, f := range fv.flags {
		v := new([]string)
		fv.vals[f.Name] = v
		fl, _ := lookupField(f.Key)
		switch {
		case fl.list && split:
			fs.StringSliceVar(v, f.Name, nil, f.Usage)
		case fl.list:
			fs.StringArrayVar(v, f.Name, nil, f.Usage)
		default:
			fs.Var(&lastValue{v}, f.Name, f.Usage)
		}
		if fl.bare != "" {
			fs.Lookup(f.Name).NoOptDefVal = fl.bare
		}
	}
	return fv
}

// Apply sets every flag given on the command line over c.
func (fv *FlagValues) Apply(c *Config) error {
	for _, f := range fv.flags {
		if !fv.fs.Changed(f.Name) {
			continue
		}
		if err := c.Set("flag --"+f.Name, f.Key, *fv.vals[f.Name]...); err != nil {
			return err
		}
	}
	return nil
}

// lastValue is a single-valued string flag: the last occurrence wins.
type lastValue struct{ v *[]string }

func (l *lastValue) String() string {
	if l.v == nil || len(*l.v) == 0 {
		return ""
	}
	return (*l.v)[0]
}
func (l *lastValue) Set(s string) error { *l.v = []string{s}; return nil }
func (l *lastValue) Type() string       { return "string" }

// Resolve builds a Config the way apphost serve does: defaults, then the
// file (when path is not ""), then APPHOST_* variables from env, then the
// flags given, then Validate.
func Resolve(path string, env []string, flags *FlagValues) (*Config, error) {
	c, err := Layer(path, env, flags)
	if err != nil {
		return nil, err
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}
	return c, nil
}

// Layer is Resolve without Validate, for a caller that sets more before
// validating once: defaults, then the file (when path is not ""), then
// APPHOST_* variables from env, then the flags given.
func Layer(path string, env []string, flags *FlagValues) (*Config, error) {
	c := Default()
	if path != "" {
		if err := c.LoadFile(path); err != nil {
			return nil, err
		}
	}
	if err := c.ApplyEnv(env); err != nil {
		return nil, err
	}
	if flags != nil {
		if err := flags.Apply(c); err != nil {
			return nil, err
		}
	}
	return c, nil
}
