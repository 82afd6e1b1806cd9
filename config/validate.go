package config

import (
	"errors"
	"fmt"
	"net/netip"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/apphost/apphost/forwarded"
)

var (
	validName       = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]{0,63}$`)
	validServerName = regexp.MustCompile(`^(\*\.)?([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$`)
	validEnvName    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// validProxyListen reports whether v is what a proxy's listen directive
// takes: a port, or an IP address (IPv6 in brackets) or * and a port.
func validProxyListen(v string) bool {
	host, port, hasHost := "", v, false
	if i := strings.LastIndexByte(v, ':'); i >= 0 {
		host, port, hasHost = v[:i], v[i+1:], true
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return false
	}
	switch {
	case !hasHost || host == "*":
		return true
	case strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]"):
		ip, err := netip.ParseAddr(host[1 : len(host)-1])
		return err == nil && ip.Is6() && ip.Zone() == ""
	default:
		ip, err := netip.ParseAddr(host)
		return err == nil && ip.Is4()
	}
}

// Validate fills in the values derived from other settings
// (deriveForwarded), then checks the rules that span
// several settings. It reports every problem found, joined, section by
// section; each is an *Error naming the key and, when known, where it was
// set.
func (c *Config) Validate() error {
	forwardedErrs := c.deriveForwarded()
	return errors.Join(slices.Concat(c.checkName(), c.checkApp(), c.checkAdminAddresses(), forwardedErrs, c.checkProxy(), c.checkSupervise())...)
}

// deriveForwarded sets Forwarded.Trusted and Forwarded.Options, the
// section as the forwarded middleware takes it, from the values as
// written. A value the middleware refuses is returned as an error.
func (c *Config) deriveForwarded() []error {
	var errs []error
	add := c.adder(&errs)
	trusted, err := forwarded.ParseTrustedProxies(c.Forwarded.TrustedProxies)
	if err != nil {
		add("forwarded.trusted_proxies", "%w", err)
	}
	c.Forwarded.Trusted = trusted
	// headers and forward_limit were checked as they were set, so what
	// ParseOptions can still refuse is an allowed host.
	fo, err := forwarded.ParseOptions(c.Forwarded.Headers, []string{}, c.Forwarded.ForwardLimit, c.Forwarded.AllowedHosts)
	if err != nil {
		add("forwarded.allowed_hosts", "%w", err)
	}
	fo.TrustedProxies = &c.Forwarded.Trusted
	c.Forwarded.Options = fo
	return errs
}

// writtenKey is the first of keys that the description, the environment
// or a flag set, and otherwise the last: an error about a default the user
// never wrote is placed at a key the user did write.
func (c *Config) writtenKey(keys ...string) string {
	for _, k := range keys {
		if _, written := c.origin[k]; written {
			return k
		}
	}
	return keys[len(keys)-1]
}

// adder returns a function that appends an *Error for key to errs.
func (c *Config) adder(errs *[]error) func(key, format string, args ...any) {
	return func(key, format string, args ...any) { *errs = append(*errs, c.errorAt(key, format, args...)) }
}

func (c *Config) checkName() []error {
	var errs []error
	if !validName.MatchString(c.Name) {
		c.adder(&errs)("name", "want lower-case letters, digits, '.', '_' or '-' (it names files and the systemd unit), got %q", c.Name)
	}
	return errs
}

// The smallest request head limits: below them ordinary requests would be
// refused.
const (
	minRequestHeaders Size = 1024
	minRequestLine    Size = 256
)

func (c *Config) checkApp() []error {
	var errs []error
	add := c.adder(&errs)
	if len(c.App.Listen) == 0 {
		add("app.listen", "needs at least one address, such as 127.0.0.1:5000")
	}
	for i, a := range c.App.Listen {
		if host, port := a.HostPort(); host == "*" && !a.IsUnix() {
			add("app.listen", "%s is nginx's way of writing every interface; write :%s (Go cannot listen on the host *)", a, port)
		}
		for _, b := range c.App.Listen[:i] {
			if a.Overlaps(b) {
				add("app.listen", "%s and %s would listen on the same socket", b, a)
			}
		}
	}
	// The limits' setters refuse these values where they are set; the
	// checks here are for a Config built in Go.
	l := c.App.Limits
	if l.MaxRequestHeaders < minRequestHeaders {
		add("app.limits.max_request_headers", "want at least %s, got %s", minRequestHeaders, l.MaxRequestHeaders)
	}
	if l.MaxRequestLine < minRequestLine {
		add("app.limits.max_request_line", "want at least %s, got %s", minRequestLine, l.MaxRequestLine)
	}
	if l.RequestHeadersTimeout <= 0 {
		add("app.limits.request_headers_timeout", "want a positive duration, got %s", l.RequestHeadersTimeout)
	}
	if l.KeepAliveTimeout <= 0 {
		add("app.limits.keep_alive_timeout", "want a positive duration, got %s", l.KeepAliveTimeout)
	}
	return errs
}

// checkAdminAddresses refuses an app.listen address that overlaps an
// admin address (AdminAddresses): the proxy forwards to app.listen, so the
// app's admin endpoints and the supervisor's metrics must never listen
// there. Each error is placed at the admin key when the description, the
// environment or a flag set it, and otherwise at app.listen.
func (c *Config) checkAdminAddresses() []error {
	var errs []error
	add := c.adder(&errs)
	for _, admin := range c.AdminAddresses() {
		for _, a := range c.App.Listen {
			if !a.Overlaps(admin.Addr) {
				continue
			}
			key := c.writtenKey(admin.Key, "app.listen")
			switch {
			case admin.Key == "supervise.admin_listen":
				add(key, "supervise.admin_listen %s is also a public listener (app.listen %s): the supervisor's metrics must never be reachable through the proxy", admin.Addr, a)
			case key == "app.listen":
				add(key, "%s is the admin address (app.admin_listen %s, the default): the admin endpoints must never be reachable through the proxy; listen elsewhere or move app.admin_listen", a, admin.Addr)
			default:
				add(key, "%s is also a public listener (app.listen %s): the admin endpoints must never be reachable through the proxy", admin.Addr, a)
			}
		}
	}
	return errs
}

func (c *Config) checkProxy() []error {
	var errs []error
	add := c.adder(&errs)
	for _, n := range c.Proxy.ServerNames {
		if !validServerName.MatchString(n) {
			add("proxy.server_names", "want host names such as shop.example.com or *.example.com, got %q", n)
		}
	}
	if len(c.Proxy.ServerNames) == 0 {
		add("proxy.server_names", "needs at least one host name")
	}
	for _, k := range []struct{ key, val string }{{"proxy.http_listen", c.Proxy.HTTPListen}, {"proxy.https_listen", c.Proxy.HTTPSListen}} {
		if !validProxyListen(k.val) {
			add(k.key, "want a port from 1 to 65535 such as 80, or address:port such as 127.0.0.1:8080 or [::1]:8080, got %q", k.val)
		}
	}
	if t := c.Proxy.TLS; t != nil && (t.Certificate == "" || t.CertificateKey == "") {
		// Placed at the first of the keys that made the section, from
		// the file, a variable or a flag.
		key := c.writtenKey("proxy.tls", "proxy.tls.certificate", "proxy.tls.certificate_key", "proxy.tls.hsts_max_age", "proxy.tls")
		if key == "proxy.tls" {
			add(key, "needs both certificate and certificate_key")
		} else {
			add(key, "proxy.tls needs both certificate and certificate_key")
		}
	}
	// The upstreams as written; without them the proxy forwards to
	// app.listen (ProxyUpstreams), which checkAdminAddresses holds apart
	// from the admin addresses, and where a port 0 is for listening.
	for _, u := range c.Proxy.Upstreams {
		if err := c.checkUpstream(u); err != nil {
			add("proxy.upstreams", "%v", err)
		}
	}
	if err := checkPathPrefix(c.Proxy.PathPrefix); err != nil {
		add("proxy.path_prefix", "%w", err)
	}
	return errs
}

func (c *Config) checkSupervise() []error {
	var errs []error
	add := c.adder(&errs)
	if cmd := c.Supervise.Command; len(cmd) > 0 && !NamesFile(cmd[0]) {
		add("supervise.command", "the first element is the program to run, such as /usr/local/bin/shop; %q names none", cmd[0])
	}
	if f := c.Supervise.LogFile; f != "" && !NamesFile(f) {
		add("supervise.log_file", "want the file the output is appended to, such as /var/log/shop/app.log; %q is a directory", f)
	}
	for _, kv := range c.Supervise.Environment {
		k, _, ok := strings.Cut(kv, "=")
		if !ok || !validEnvName.MatchString(k) {
			add("supervise.environment", "want KEY=value with a variable name of letters, digits and '_', got %q", kv)
		}
	}
	if c.Supervise.PortEnv != "" && !validEnvName.MatchString(c.Supervise.PortEnv) {
		add("supervise.port_env", "want a variable name of letters, digits and '_', got %q", c.Supervise.PortEnv)
	}
	if c.Supervise.PortEnv != "" && len(c.App.Listen) > 0 && c.App.Listen[0].IsUnix() {
		add("supervise.port_env", "passes a port, so the first app.listen address must be host:port, not %s", c.App.Listen[0])
	}
	// With supervise.command the supervisor serves its metrics on
	// supervise.admin_listen; unless it holds the app's admin socket
	// (hold_admin, below), the app serves its admin endpoints on another.
	if len(c.Supervise.Command) > 0 && !c.Supervise.HoldAdmin && c.Supervise.AdminListen.Overlaps(c.App.AdminListen) {
		add("supervise.admin_listen", "%s is app.admin_listen %s: the supervisor's metrics and the app's admin endpoints need two addresses", c.Supervise.AdminListen, c.App.AdminListen)
	}
	if c.Supervise.HoldAdmin {
		switch {
		case c.App.AdminListen == AdminOff:
			add("supervise.hold_admin", "app.admin_listen is off: there is no admin address to hold")
		case c.Supervise.PortEnv != "":
			add("supervise.hold_admin", "the app gets no sockets with supervise.port_env %s, so it cannot get the admin socket either", c.Supervise.PortEnv)
		case c.Supervise.AdminListen.Overlaps(c.App.AdminListen):
			add("supervise.hold_admin", "supervise.admin_listen %s is app.admin_listen: the supervisor's metrics and the app's admin socket need two addresses", c.Supervise.AdminListen)
		}
	}
	if c.Supervise.BackoffMax < c.Supervise.BackoffInitial {
		add("supervise.backoff_max", "%s is less than supervise.backoff_initial %s", c.Supervise.BackoffMax, c.Supervise.BackoffInitial)
	}
	if c.Supervise.StartupTimeout <= 0 { // refused where it is set; here for a Config built in Go
		add("supervise.startup_timeout", "want a positive duration, got %s", c.Supervise.StartupTimeout)
	}
	return errs
}

// NamesFile reports whether the slash-separated path p can name a file
// (the program of supervise.command, supervise.log_file): not empty, not
// a directory such as "/", "bin/" or "/usr/bin/.".
func NamesFile(p string) bool {
	if p == "" || strings.HasSuffix(p, "/") {
		return false
	}
	base := path.Base(p)
	return base != "." && base != ".."
}

// checkPathPrefix accepts "" or a path of one or more segments: it starts
// with exactly one '/', has no trailing '/', and no empty or dot segments,
// '\', '?', '#', '%', whitespace or control characters.
func checkPathPrefix(p string) error {
	if p == "" {
		return nil
	}
	const want = "want a path such as /shop: one leading '/', no trailing '/', no '//', dot segments, '\\', '?', '#', '%' or spaces"
	if !strings.HasPrefix(p, "/") || strings.HasSuffix(p, "/") {
		return fmt.Errorf("%s, got %q", want, p)
	}
	for _, seg := range strings.Split(p[1:], "/") {
		if seg == "" || seg == "." || seg == ".." {
			return fmt.Errorf("%s, got %q", want, p)
		}
	}
	for _, r := range p {
		if r <= ' ' || r == 0x7f || strings.ContainsRune(`\?#%`, r) {
			return fmt.Errorf("%s, got %q", want, p)
		}
	}
	return nil
}
