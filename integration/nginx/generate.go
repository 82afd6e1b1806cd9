package nginx

import (
	"errors"
	"fmt"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/integration/findings"
	"github.com/apphost/apphost/integration/output"
)

// Options tune Generate. The zero value generates for DefaultVersion and
// names no apphost version in the header.
type Options struct {
	// NginxVersion selects version-dependent syntax: "http2 on;" from
	// 1.25.1, "listen … http2" before. Zero: DefaultVersion().
	NginxVersion Version
	// AppVersion is apphost's version, written in the comment header.
	AppVersion string
}

// http2DirectiveSince is the first nginx with the "http2" directive; the
// listen parameter is deprecated from then on.
var http2DirectiveSince = Version{1, 25, 1}

// rejectHandshakeSince is the first nginx with ssl_reject_handshake.
var rejectHandshakeSince = Version{1, 19, 4}

// Generate writes the nginx site configuration for c: one file named
// "<name>.conf", to be included inside nginx's http {} block. c must have
// been validated (config.Load does).
func Generate(c *config.Config, opts Options) (output.File, error) {
	p, err := newPlan(c, opts)
	if err != nil {
		return output.File{}, err
	}
	var w writer
	p.write(&w)
	return output.File{Name: c.Name + ".conf", Content: []byte(w.String())}, nil
}

// GenerateWarnings returns the flaws of c that the site Generate writes
// carries over, as findings at the description's line that gives the
// address (on its file alone, for a value from the environment or a
// flag): an upstream written as localhost:PORT (RuleUpstreamLocalhost). nginx makes a server
// of every address localhost resolves to on the machine it runs on (on
// Debian with IPv6, 127.0.0.1 and ::1), while apphost listens on one
// address of a name (Go's net.Listen takes its first IPv4 address,
// normally 127.0.0.1), so the connections nginx sends to any other fail.
// The site still says localhost, as the description does: which address
// the app binds is settled on the machine it runs on, and the description
// is where to correct it, for the app, the supervisor and every generator
// at once; each finding's fix says so. c is a description Generate
// accepts.
func GenerateWarnings(c *config.Config) []findings.Finding {
	var out []findings.Finding
	for _, u := range c.ProxyUpstreams() {
		if f, ok := localhostWarning(c, u); ok {
			out = append(out, f)
		}
	}
	return out
}

// localhostWarning is the finding for upstream u, and ok, when u is
// written as localhost and the app may not listen on every server nginx
// makes of it: the app's listen addresses that u overlaps leave out one
// of localhost's addresses, or are a name (localhost itself), or there
// are none (another instance, which apphost binds the same way). The app
// listening on both loopback addresses, or on every interface, is fine.
func localhostWarning(c *config.Config, u config.Address) (findings.Finding, bool) {
	host, port := u.HostPort()
	if !isLocalhost(host) {
		return findings.Finding{}, false
	}
	var listens []config.Address
	for _, l := range c.App.Listen {
		if u.Overlaps(l) {
			listens = append(listens, l)
		}
	}
	missed, known := localhostMissed(port, listens)
	key := upstreamKey(c)
	var why, write string
	switch {
	case known && len(listens) > 0 && len(missed) == 0:
		return findings.Finding{}, false
	case known && len(listens) > 0:
		why = fmt.Sprintf("the app listens on %s only (app.listen): the connections nginx sends to %s fail", joinAddresses(listens), joinAddresses(missed))
		write = "the address the app listens on, " + string(listens[0])
	default:
		ip := net.JoinHostPort(config.LocalhostAddrs()[0].String(), port)
		why = fmt.Sprintf("apphost listens on one address of the name only (the first IPv4 address localhost has where the app runs, normally %s): the connections nginx sends to any other fail", ip)
		write = "an IP address, such as " + ip
	}
	msg := fmt.Sprintf("%s %s: %s, but %s", key, u, localhostServers(port), why)
	if len(c.ProxyUpstreams()) > 1 && supervised(c, u) {
		msg += ", and under max_fails=0 nginx never stops sending them"
	}
	file, line := c.KeyLine(key)
	if file == "" {
		file = c.File
	}
	return findings.Finding{
		Rule:     RuleUpstreamLocalhost,
		Severity: lookupRule(RuleUpstreamLocalhost).severity,
		File:     file,
		Line:     line,
		Message:  msg,
		Fix:      fmt.Sprintf("In the description's %s, write %s, in place of %s, and run apphost gen nginx again.", key, write, u),
	}, true
}

// plan holds every value the site is written from, derived once from the
// description.
type plan struct {
	c    *config.Config
	opts Options
	// ident is the name as an nginx variable-name fragment.
	ident string
	// upstream is the upstream block's name.
	upstream string
	tls      bool
	// publicPort is the port clients see on the proxied server, "" when it
	// is the scheme's default.
	publicPort string
	// readTimeout is proxy_read_timeout and proxy_send_timeout.
	readTimeout time.Duration
	// idleTimeout is the upstream keepalive_timeout: shorter than the
	// app's, so that nginx, not the app, closes an idle connection.
	idleTimeout time.Duration
	// keepalive is the upstream's idle connection pool, per worker.
	keepalive int
}

// defaultProxyTimeout is nginx's own proxy_read_timeout, kept unless the
// app may take longer.
const defaultProxyTimeout = 60 * time.Second

// defaultKeepalive is the upstream's idle pool per nginx worker when the
// app does not limit its connections. A pool smaller than the requests in
// flight makes nginx close the surplus connections after each response
// and open new ones for the next requests (docs/nginx.md has the numbers
// measured with a pool of 32).
const defaultKeepalive = 256

// upstreamKeepalive sizes the idle pool: defaultKeepalive, or a quarter of
// the app's max_connections when it has one, since idle pooled
// connections hold the app's connection slots (every worker keeps a pool
// of its own).
func upstreamKeepalive(maxConnections int) int {
	if maxConnections <= 0 {
		return defaultKeepalive
	}
	return min(defaultKeepalive, max(1, maxConnections/4))
}

// supervised reports whether apphost supervise holds the socket of the
// upstream address u: the description supervises the app, and u overlaps
// one of the app's listen addresses (config.Address.Overlaps): an upstream
// localhost:5000 counts for a listener on 127.0.0.1:5000. nginx may also
// resolve localhost to [::1]:5000, which then refuses every connection and,
// with max_fails=0, is never marked down; writing the address the app
// listens on avoids that.
func supervised(c *config.Config, u config.Address) bool {
	if len(c.Supervise.Command) == 0 {
		return false
	}
	for _, l := range c.App.Listen {
		if u.Overlaps(l) {
			return true
		}
	}
	return false
}

// defaultUpstreamIdle is nginx's own upstream keepalive_timeout.
const defaultUpstreamIdle = 60 * time.Second

func newPlan(c *config.Config, opts Options) (*plan, error) {
	if c == nil {
		return nil, errors.New("generating nginx configuration: no deployment description")
	}
	if len(c.ProxyUpstreams()) == 0 {
		return nil, errors.New("generating nginx configuration: no upstream: proxy.upstreams and app.listen are empty (the description was not validated)")
	}
	if err := c.CheckUpstreams(); err != nil {
		return nil, fmt.Errorf("generating nginx configuration: %w", err)
	}
	if opts.NginxVersion.IsZero() {
		opts.NginxVersion = DefaultVersion()
	}
	p := &plan{
		c:        c,
		opts:     opts,
		ident:    identifier(c.Name),
		upstream: c.Name,
		tls:      c.Proxy.TLS != nil,
	}
	listen, defPort := c.Proxy.HTTPListen, "80"
	if p.tls {
		listen, defPort = c.Proxy.HTTPSListen, "443"
	}
	if port := listenPort(listen); port != defPort {
		p.publicPort = port
	}
	p.readTimeout = max(defaultProxyTimeout, c.App.ShutdownTimeout)
	p.idleTimeout = upstreamIdle(c.App.Limits.KeepAliveTimeout)
	p.keepalive = upstreamKeepalive(c.App.Limits.MaxConnections)
	return p, nil
}

// upstreamIdle picks nginx's upstream keepalive_timeout: its default 60s,
// or three quarters of the app's keep-alive timeout when that is not
// longer, so the app never closes a connection nginx is about to reuse.
func upstreamIdle(app time.Duration) time.Duration {
	if app > defaultUpstreamIdle {
		return defaultUpstreamIdle
	}
	d := (app * 3 / 4).Truncate(time.Millisecond)
	return max(d, time.Millisecond)
}

// identifier turns a name into characters nginx allows in variable names.
func identifier(name string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x80 && isVariableByte(byte(r)) {
			return r
		}
		return '_'
	}, name)
}

// listenPort is the port of a proxy.http_listen value: "80", "1.2.3.4:80",
// "[::1]:80".
func listenPort(listen string) string {
	if i := strings.LastIndexByte(listen, ':'); i >= 0 {
		return listen[i+1:]
	}
	return listen
}

// listenLines are the listen directives for a proxy.*_listen value: a
// bare port listens on IPv4 and IPv6, an address on that address only.
func listenLines(listen string, params ...string) [][]string {
	suffix := func(addr string) []string { return append([]string{"listen", addr}, params...) }
	if !strings.Contains(listen, ":") {
		return [][]string{suffix(listen), suffix("[::]:" + listen)}
	}
	return [][]string{suffix(listen)}
}

// nginxDuration writes d in nginx's time syntax, exactly.
func nginxDuration(d time.Duration) string {
	if d%time.Second == 0 {
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return strconv.FormatInt(int64(d/time.Millisecond), 10) + "ms"
}

// nginxSize writes a byte count in nginx's size syntax, exactly.
func nginxSize(n config.Size) string {
	switch {
	case n == 0:
		return "0"
	case n%(1<<20) == 0:
		return strconv.FormatInt(int64(n>>20), 10) + "m"
	case n%(1<<10) == 0:
		return strconv.FormatInt(int64(n>>10), 10) + "k"
	}
	return strconv.FormatInt(int64(n), 10)
}

// upstreamServer is an upstream's address in nginx's syntax, where a client
// connects (Address.Dial): nginx refuses a server with no host or "*".
func upstreamServer(a config.Address) string {
	if a.IsUnix() {
		return "unix:" + a.Path()
	}
	return a.Dial().String()
}

// source names the description in the header: its base name, so the
// header is the same wherever the command runs.
func (p *plan) source() string {
	if p.c.File == "" {
		return "the default description"
	}
	return filepath.Base(p.c.File)
}
