package config

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"
)

func writeFile(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "apphost.yaml")
	if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadFullDescription(t *testing.T) {
	p := writeFile(t, `
name: shop
app:
  listen: [127.0.0.1:5001, "unix:/run/shop/app.sock"]
  admin_listen: 127.0.0.1:9500
  shutdown_timeout: 10s
  unix_socket_mode: "0600"
  limits:
    max_request_body: 1MB
    max_request_headers: 16KiB
    max_header_count: 50
    max_request_line: 4096
    request_headers_timeout: 5s
    keep_alive_timeout: 1m
    min_request_body_rate: 0
    min_request_body_grace: 2s
    send_timeout: 20s
    max_connections: 1000
forwarded:
  headers: forwarded
  trusted_proxies: [10.0.0.0/8, unix]
  forward_limit: 2
  allowed_hosts: [shop.example.com, "*.shop.example.com"]
proxy:
  server_names: [shop.example.com]
  edge: false
  tls:
    certificate: /etc/ssl/certs/shop.pem
    certificate_key: /etc/ssl/private/shop.key
  websockets: true
  path_prefix: /shop
supervise:
  command: [/usr/local/bin/shop, --verbose]
  restart: always
`)
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	l := c.App.Limits
	checks := []struct {
		name      string
		got, want any
	}{
		{"name", c.Name, "shop"},
		{"listen", len(c.App.Listen), 2},
		{"unix listen", c.App.Listen[1].Path(), "/run/shop/app.sock"},
		{"admin", c.App.AdminListen, Address("127.0.0.1:9500")},
		{"shutdown", c.App.ShutdownTimeout, 10 * time.Second},
		{"mode", c.App.UnixSocketMode, uint32(0o600)},
		{"body", l.MaxRequestBody, Size(1_000_000)},
		{"headers", l.MaxRequestHeaders, Size(16384)},
		{"count", l.MaxHeaderCount, 50},
		{"line", l.MaxRequestLine, Size(4096)},
		{"header timeout", l.RequestHeadersTimeout, 5 * time.Second},
		{"keepalive", l.KeepAliveTimeout, time.Minute},
		{"rate", l.MinRequestBodyRate, Size(0)},
		{"grace", l.MinRequestBodyGrace, 2 * time.Second},
		{"send timeout", l.SendTimeout, 20 * time.Second},
		{"conns", l.MaxConnections, 1000},
		{"family", c.Forwarded.Headers, "forwarded"},
		{"trusted unix", c.Forwarded.Trusted.Unix, true},
		{"trusted nets", len(c.Forwarded.Trusted.Prefixes), 1},
		{"limit", c.Forwarded.ForwardLimit, 2},
		{"edge", c.Proxy.Edge, false},
		{"tls key", c.Proxy.TLS.CertificateKey, "/etc/ssl/private/shop.key"},
		{"hsts default", c.Proxy.TLS.HSTSMaxAge, defaultHSTSMaxAge},
		{"upstreams default to listen", len(c.ProxyUpstreams()), 2},
		{"prefix", c.Proxy.PathPrefix, "/shop"},
		{"command", strings.Join(c.Supervise.Command, " "), "/usr/local/bin/shop --verbose"},
		{"restart", c.Supervise.Restart, "always"},
		{"untouched default", c.Supervise.StopTimeout, 35 * time.Second},
	}
	for _, ch := range checks {
		if ch.got != ch.want {
			t.Errorf("%s: got %v, want %v", ch.name, ch.got, ch.want)
		}
	}
}

func TestEmptyFileIsAllDefaults(t *testing.T) {
	c, err := Load(writeFile(t, "# nothing set\n"))
	if err != nil {
		t.Fatal(err)
	}
	d := Default()
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.App.Limits != d.App.Limits || c.App.AdminListen != "127.0.0.1:9464" || c.App.Listen[0] != "127.0.0.1:5000" {
		t.Errorf("empty file differs from defaults: %+v", c.App)
	}
	if d.App.Limits.MaxRequestBody != 30_000_000 || d.App.Limits.MaxRequestHeaders != 32768 {
		t.Errorf("Kestrel defaults changed: %+v", d.App.Limits)
	}
}

// Every error names the file, the line and the key, and says what would
// have been accepted.
func TestErrorsNameFileLineAndKey(t *testing.T) {
	tests := []struct {
		name, yaml string
		want       []string
	}{
		{"unknown top-level key", "nmae: shop\n", []string{":1:1: nmae: unknown key", "accepts: app, forwarded, name, proxy, supervise"}},
		{"unknown nested key", "app:\n  limits:\n    max_body: 1MB\n", []string{":3:5: app.limits.max_body: unknown key", "max_request_body"}},
		{"bad size", "app:\n  limits:\n    max_request_body: 30 furlongs\n", []string{":3:23: app.limits.max_request_body", "30MB, 32KiB or a number of bytes", `"30 furlongs"`}},
		{"negative size", "app:\n  limits:\n    max_request_body: -5\n", []string{":3:23: app.limits.max_request_body"}},
		{"bad duration", "app:\n  shutdown_timeout: 30\n", []string{":2:21: app.shutdown_timeout", "Go syntax such as 30s"}},
		{"bad address", "app:\n  listen: [localhost]\n", []string{":2:11: app.listen", "host:port"}},
		{"relative unix path", "app:\n  listen: [\"unix:app.sock\"]\n", []string{"app.listen", "must be absolute"}},
		{"list where scalar wanted", "app:\n  admin_listen: [a, b]\n", []string{":2:17: app.admin_listen: want a single value"}},
		{"section is not a mapping", "app: 5\n", []string{":1:6: app: want a mapping"}},
		{"key twice", "name: a\nname: b\n", []string{":2:1: name: key written twice"}},
		{"bad choice", "forwarded:\n  headers: x-forwarded-for\n", []string{":2:12: forwarded.headers: want one of x-forwarded, forwarded, none"}},
		{"forward limit zero", "forwarded:\n  forward_limit: 0\n", []string{":2:18: forwarded.forward_limit: want a whole number of at least 1"}},
		{"invalid yaml", "app:\n  listen: [\n", []string{"apphost.yaml:", "invalid YAML"}},
		{"not a mapping", "- a\n- b\n", []string{":1:1: the description must be a mapping"}},
		{"bad trusted proxy", "forwarded:\n  trusted_proxies: [10.0.0.0/33]\n", []string{":2:20: forwarded.trusted_proxies", "10.0.0.0/33"}},
		{"admin equals public", "app:\n  listen: [127.0.0.1:9000]\n  admin_listen: 127.0.0.1:9000\n", []string{":3:17: app.admin_listen", "never be reachable through the proxy"}},
		{"admin on wildcard of public port", "app:\n  listen: [0.0.0.0:9000]\n  admin_listen: 127.0.0.1:9000\n", []string{"app.admin_listen"}},
		{"admin on the * wildcard of public port", "app:\n  listen: [\"*:9000\"]\n  admin_listen: 127.0.0.1:9000\n", []string{"app.admin_listen", "never be reachable through the proxy"}},
		{"hold admin on the * wildcard of the supervisor's port", "supervise:\n  hold_admin: true\n  admin_listen: \"*:9464\"\n", []string{"supervise.hold_admin", "need two addresses"}},
		{"two listeners one socket", "app:\n  listen: [127.0.0.1:5000, 127.0.0.1:5000]\n", []string{"app.listen", "same socket"}},
		{"admin on 127.0.0.1 of a public localhost port", "app:\n  listen: [localhost:9464]\n  admin_listen: 127.0.0.1:9464\n", []string{":3:17: app.admin_listen", "127.0.0.1:9464 is also a public listener (app.listen localhost:9464)"}},
		{"admin on [::1] of a public localhost port", "app:\n  listen: [localhost:9000]\n  admin_listen: \"[::1]:9000\"\n", []string{":3:17: app.admin_listen", "never be reachable through the proxy"}},
		{"two listeners one socket by localhost", "app:\n  listen: [127.0.0.1:5000, LocalHost:5000]\n", []string{":2:11: app.listen", "127.0.0.1:5000 and LocalHost:5000 would listen on the same socket"}},
		{"upstream is admin by localhost", "proxy:\n  upstreams: [localhost:9464]\n", []string{":2:14: proxy.upstreams", "localhost:9464 is an admin address (app.admin_listen 127.0.0.1:9464)"}},
		{"supervisor's admin address is a public listener", "app:\n  listen: [localhost:9465]\nsupervise:\n  command: [/srv/shop/shop]\n", []string{":2:11: app.listen: supervise.admin_listen 127.0.0.1:9465 is also a public listener (app.listen localhost:9465)"}},
		{"written supervisor's admin address is a public listener", "app:\n  listen: [127.0.0.1:7000]\nsupervise:\n  command: [/srv/shop/shop]\n  admin_listen: \"*:7000\"\n", []string{":5:17: supervise.admin_listen: supervise.admin_listen *:7000 is also a public listener (app.listen 127.0.0.1:7000)"}},
		{"supervisor's admin address is the app's", "app:\n  admin_listen: 127.0.0.1:9300\nsupervise:\n  command: [/srv/shop/shop]\n  admin_listen: localhost:9300\n", []string{":5:17: supervise.admin_listen", "localhost:9300 is app.admin_listen 127.0.0.1:9300"}},
		{"public listeners on both admin addresses", "app:\n  listen: [127.0.0.1:9464, localhost:9465]\nsupervise:\n  command: [/srv/shop/shop]\n", []string{":2:11: app.listen: 127.0.0.1:9464 is the admin address (app.admin_listen 127.0.0.1:9464, the default)", ":2:11: app.listen: supervise.admin_listen 127.0.0.1:9465 is also a public listener (app.listen localhost:9465)"}},
		{"both written admin addresses are public listeners", "app:\n  listen: [127.0.0.1:7000, 127.0.0.1:7001]\n  admin_listen: localhost:7000\nsupervise:\n  command: [/srv/shop/shop]\n  admin_listen: \"*:7001\"\n", []string{":3:17: app.admin_listen: localhost:7000 is also a public listener (app.listen 127.0.0.1:7000): the admin endpoints", ":6:17: supervise.admin_listen: supervise.admin_listen *:7001 is also a public listener (app.listen 127.0.0.1:7001): the supervisor's metrics"}},
		{"upstream is the supervisor's admin address", "proxy:\n  upstreams: [127.0.0.1:9465]\nsupervise:\n  command: [/srv/shop/shop]\n", []string{"proxy.upstreams", "127.0.0.1:9465 is an admin address (supervise.admin_listen 127.0.0.1:9465)"}},
		{"hold admin on localhost of the app's admin port", "app:\n  admin_listen: 127.0.0.1:9300\nsupervise:\n  hold_admin: true\n  admin_listen: localhost:9300\n", []string{"supervise.hold_admin", "need two addresses"}},
		{"prefix with trailing slash", "proxy:\n  path_prefix: /shop/\n", []string{":2:16: proxy.path_prefix"}},
		{"protocol-relative prefix", "proxy:\n  path_prefix: //evil.example\n", []string{"proxy.path_prefix"}},
		{"prefix with dot segment", "proxy:\n  path_prefix: /a/../b\n", []string{"proxy.path_prefix"}},
		{"tls without key", "proxy:\n  tls:\n    certificate: /c.pem\n", []string{"proxy.tls: needs both"}},
		{"upstream is admin", "proxy:\n  upstreams: [127.0.0.1:9464]\n", []string{"proxy.upstreams", "admin address"}},
		{"bad server name", "proxy:\n  server_names: [\"shop example\"]\n", []string{"proxy.server_names"}},
		{"bad environment entry", "supervise:\n  environment: [NOEQUALS]\n", []string{"supervise.environment", "KEY=value"}},
		{"bad name", "name: Shop Site\n", []string{":1:7: name:"}},
		{"dotted key", "app.listen: [127.0.0.1:6000]\napp:\n  listen: [127.0.0.1:7000]\n", []string{":1:1: app.listen: unknown key; a key names one level"}},
		{"dotted key in a section", "app:\n  limits.max_request_body: 1MB\n", []string{":2:3: limits.max_request_body: unknown key", "app accepts:"}},
		{"public listener on the default admin address", "app:\n  listen: [localhost:9464]\n", []string{":2:11: app.listen: localhost:9464 is the admin address (app.admin_listen 127.0.0.1:9464, the default)"}},
		{"upstream on port 0", "proxy:\n  upstreams: [127.0.0.1:0]\n", []string{":2:14: proxy.upstreams", "port 0 is for listening"}},
		{"backoff factor not a number", "supervise:\n  backoff_factor: .nan\n", []string{":2:19: supervise.backoff_factor"}},
		{"zero health interval", "supervise:\n  health_interval: 0s\n", []string{":2:20: supervise.health_interval", "want a positive duration"}},
		{"zero startup timeout", "supervise:\n  startup_timeout: 0s\n", []string{":2:20: supervise.startup_timeout: want a positive duration such as 10s", `got "0s"`}},
		{"negative startup timeout", "supervise:\n  startup_timeout: -1s\n", []string{":2:20: supervise.startup_timeout: want a positive duration", `got "-1s"`}},
		{"zero log size", "supervise:\n  log_max_size: 0\n", []string{":2:17: supervise.log_max_size", "want a positive size"}},
		{"socket mode 0", "app:\n  unix_socket_mode: \"0\"\n", []string{":2:21: app.unix_socket_mode", "lets no one connect"}},
		{"proxy port out of range", "proxy:\n  http_listen: \"99999\"\n", []string{":2:16: proxy.http_listen", "want a port from 1 to 65535"}},
		{"a second document", "name: shop\n---\nname: other\n", []string{":2:1:", "a second YAML document"}},
		{"merge key in a section", "app:\n  <<: {listen: [127.0.0.1:6000]}\n", []string{":2:3: app.<<: unknown key", "app accepts:"}},
		{"backoff factor infinite", "supervise:\n  backoff_factor: .inf\n", []string{":2:19: supervise.backoff_factor"}},
		{"port variable with a unix listener", "app:\n  listen: [unix:/run/shop.sock]\nsupervise:\n  port_env: PORT\n", []string{":4:13: supervise.port_env", "must be host:port, not unix:/run/shop.sock"}},
		{"hold admin without an admin address", "app:\n  admin_listen: \"off\"\nsupervise:\n  hold_admin: true\n", []string{":4:15: supervise.hold_admin", "app.admin_listen is off"}},
		{"hold admin with a port variable", "supervise:\n  hold_admin: true\n  port_env: PORT\n", []string{"supervise.hold_admin", "port_env PORT"}},
		{"hold admin on the supervisor's own address", "supervise:\n  hold_admin: true\n  admin_listen: 127.0.0.1:9464\n", []string{"supervise.hold_admin", "need two addresses"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantLoadError(t, tt.yaml, tt.want) })
	}
}

// wantLoadError loads yaml from a file and checks the error: a
// *config.Error naming the file that contains every string of want; one
// starting with ':' must follow the file's name (its line and column).
func wantLoadError(t *testing.T, yaml string, want []string) {
	t.Helper()
	p := writeFile(t, yaml)
	_, err := Load(p)
	if err == nil {
		t.Fatal("loaded without error")
	}
	msg := err.Error()
	if !strings.Contains(msg, p) {
		t.Errorf("error does not name the file %s: %s", p, msg)
	}
	for _, w := range want {
		if strings.HasPrefix(w, ":") {
			w = p + w
		}
		if !strings.Contains(msg, w) {
			t.Errorf("error %q does not contain %q", msg, w)
		}
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Errorf("error is not a *config.Error: %T", err)
	}
}

// Anchors and aliases stand for what they name, as a value, a list element
// or a whole section.
func TestAliases(t *testing.T) {
	p := writeFile(t, "name: &n shop\nproxy:\n  server_names: [*n, www.example.com]\n  upstreams: &u [127.0.0.1:6000]\napp:\n  listen: *u\n")
	c, err := Load(p)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.Proxy.ServerNames, " "); got != "shop www.example.com" {
		t.Errorf("server_names %q", got)
	}
	if len(c.App.Listen) != 1 || c.App.Listen[0] != "127.0.0.1:6000" {
		t.Errorf("app.listen %v", c.App.Listen)
	}
	// An error in a value an alias stands for is placed at the alias: the
	// line of the key it is wrong for, not that of the anchor.
	p = writeFile(t, "proxy:\n  upstreams: &u [127.0.0.1:6000]\napp:\n  shutdown_timeout: *u\n")
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), ":4:21: app.shutdown_timeout") {
		t.Errorf("an error in an aliased value: %v", err)
	}
	p = writeFile(t, "proxy:\n  upstreams: &u [127.0.0.1:6000, 127.0.0.1:6000]\napp:\n  listen: *u\n")
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), ":4:11: app.listen") {
		t.Errorf("a validation error in an aliased value: %v", err)
	}
	p = writeFile(t, "x-app: &a\n  listen: [127.0.0.1:6000]\n")
	if _, err := Load(p); err == nil || !strings.Contains(err.Error(), "unknown key") {
		t.Errorf("an unknown key holding an anchor: %v", err)
	}
}

// A "---" that ends the file, with no document after it, is no second
// document.
func TestTrailingDocumentMarker(t *testing.T) {
	for _, body := range []string{"name: shop\n---\n", "---\nname: shop\n---\n", "name: shop\n...\n"} {
		if c, err := Load(writeFile(t, body)); err != nil || c.Name != "shop" {
			t.Errorf("%q: %v", body, err)
		}
	}
}

func TestAllErrorsReportedTogether(t *testing.T) {
	_, err := Load(writeFile(t, "app:\n  shutdown_timeout: soon\n  limits:\n    max_header_count: many\n"))
	if err == nil || !strings.Contains(err.Error(), "shutdown_timeout") || !strings.Contains(err.Error(), "max_header_count") {
		t.Fatalf("want both errors, got %v", err)
	}
}

func TestMissingFile(t *testing.T) {
	_, err := Load(filepath.Join(t.TempDir(), "nope.yaml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("want a not-exist error, got %v", err)
	}
}

// defaults < file < environment < flags.
func TestPrecedence(t *testing.T) {
	c := Default()
	if err := c.LoadFile(writeFile(t, "app:\n  listen: [127.0.0.1:6000]\n  admin_listen: 127.0.0.1:9600\n  limits:\n    max_header_count: 10\n")); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=/bin", "APPHOST_APP_ADMIN_LISTEN=127.0.0.1:9700", "APPHOST_APP_LIMITS_MAX_HEADER_COUNT=20", "APPHOST_FORWARDED_TRUSTED_PROXIES=10.0.0.0/8, loopback"}
	if err := c.ApplyEnv(env); err != nil {
		t.Fatal(err)
	}
	if err := c.Set("flag --max-header-count", "app.limits.max_header_count", "30"); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if c.App.Listen[0] != "127.0.0.1:6000" {
		t.Errorf("file did not override default: %v", c.App.Listen)
	}
	if c.App.AdminListen != "127.0.0.1:9700" {
		t.Errorf("environment did not override file: %v", c.App.AdminListen)
	}
	if c.App.Limits.MaxHeaderCount != 30 {
		t.Errorf("flag did not override environment: %v", c.App.Limits.MaxHeaderCount)
	}
	if c.App.Limits.MaxRequestBody != 30_000_000 {
		t.Errorf("default lost: %v", c.App.Limits.MaxRequestBody)
	}
	if len(c.Forwarded.TrustedProxies) != 2 || c.Forwarded.Trusted.Unix {
		t.Errorf("comma-separated list from the environment: %v", c.Forwarded.TrustedProxies)
	}
}

func TestEnvironmentErrors(t *testing.T) {
	c := Default()
	err := c.ApplyEnv([]string{"APPHOST_APP_LIMITS_MAX_BODY=1", "APPHOST_APP_SHUTDOWN_TIMEOUT=never", "APPHOST_INTERNAL_WHATEVER=1"})
	for _, w := range []string{"environment APPHOST_APP_LIMITS_MAX_BODY: no such setting", "environment APPHOST_APP_SHUTDOWN_TIMEOUT: app.shutdown_timeout: want a duration"} {
		if err == nil || !strings.Contains(err.Error(), w) {
			t.Errorf("want %q in %v", w, err)
		}
	}
	if strings.Contains(err.Error(), "INTERNAL") {
		t.Errorf("internal variables must be ignored: %v", err)
	}
}

// A TLS section made by one variable is refused at that variable.
func TestIncompleteTLSFromTheEnvironment(t *testing.T) {
	c := Default()
	if err := c.ApplyEnv([]string{"APPHOST_PROXY_TLS_CERTIFICATE=/etc/ssl/shop.pem"}); err != nil {
		t.Fatal(err)
	}
	err := c.Validate()
	if err == nil || !strings.Contains(err.Error(), "APPHOST_PROXY_TLS_CERTIFICATE") || !strings.Contains(err.Error(), "needs both certificate and certificate_key") {
		t.Errorf("err = %v, want the variable named", err)
	}
}

func TestValidateErrorNamesEnvironmentSource(t *testing.T) {
	c := Default()
	if err := c.ApplyEnv([]string{"APPHOST_APP_ADMIN_LISTEN=127.0.0.1:5000"}); err != nil {
		t.Fatal(err)
	}
	err := c.Validate()
	if err == nil || !strings.HasPrefix(err.Error(), "environment APPHOST_APP_ADMIN_LISTEN: app.admin_listen:") {
		t.Fatalf("got %v", err)
	}
}

func TestAdminOff(t *testing.T) {
	c := Default()
	if err := c.Set("flag", "app.admin_listen", "off"); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil || c.App.AdminListen != AdminOff {
		t.Fatalf("got %v %v", c.App.AdminListen, err)
	}
}

// A listener may take the port of an admin address not in use: the
// supervisor's is an admin address only with supervise.command, and one
// that is off is none.
func TestListenersBesideAdminAddresses(t *testing.T) {
	for _, body := range []string{
		"app:\n  listen: [127.0.0.1:9465]\n",
		"app:\n  listen: [127.0.0.1:9464]\n  admin_listen: \"off\"\n",
		"app:\n  listen: [127.0.0.1:9465]\nsupervise:\n  command: [/srv/shop/shop]\n  admin_listen: \"off\"\n",
	} {
		if _, err := Load(writeFile(t, body)); err != nil {
			t.Errorf("%q: %v", body, err)
		}
	}
}

// supervise.startup_timeout is refused where it is set, as its siblings
// are; its default passes.
func TestStartupTimeoutRefusedWhereSet(t *testing.T) {
	c := Default()
	err := c.ApplyEnv([]string{"APPHOST_SUPERVISE_STARTUP_TIMEOUT=0"})
	if want := `environment APPHOST_SUPERVISE_STARTUP_TIMEOUT: supervise.startup_timeout: want a positive duration such as 10s, got "0"`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	err = c.Set("flag --startup-timeout", "supervise.startup_timeout", "0s")
	if want := `flag --startup-timeout: supervise.startup_timeout: want a positive duration such as 10s, got "0s"`; err == nil || err.Error() != want {
		t.Errorf("got %v, want %s", err, want)
	}
	if c.Supervise.StartupTimeout != 60*time.Second {
		t.Errorf("a refused value replaced the default: %s", c.Supervise.StartupTimeout)
	}
	if err := c.Validate(); err != nil {
		t.Errorf("the default: %v", err)
	}
}

func TestEveryKeyHasOneEnvName(t *testing.T) {
	seen := map[string]string{}
	for _, k := range Keys() {
		e := EnvName(k)
		if prev, ok := seen[e]; ok {
			t.Errorf("%s and %s share %s", prev, k, e)
		}
		seen[e] = k
		if f, ok := fieldForEnv(e); !ok || f.path != k {
			t.Errorf("%s does not map back to %s", e, k)
		}
	}
}

func TestFlagsOverrideEnvironmentAndFile(t *testing.T) {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fv := AddHostFlags(fs)
	if err := fs.Parse([]string{"--listen", "127.0.0.1:7001", "--listen=unix:/tmp/a.sock", "--max-request-body", "1MB", "--trusted-proxies", "10.0.0.0/8,unix"}); err != nil {
		t.Fatal(err)
	}
	p := writeFile(t, "app:\n  listen: [127.0.0.1:6000]\n  limits:\n    max_request_body: 2MB\n    max_header_count: 7\n")
	c, err := Resolve(p, []string{"APPHOST_APP_LIMITS_MAX_REQUEST_BODY=3MB"}, fv)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.App.Listen) != 2 || c.App.Listen[1] != "unix:/tmp/a.sock" {
		t.Errorf("listen: %v", c.App.Listen)
	}
	if c.App.Limits.MaxRequestBody != 1_000_000 || c.App.Limits.MaxHeaderCount != 7 {
		t.Errorf("limits: %+v", c.App.Limits)
	}
	if !c.Forwarded.Trusted.Unix || len(c.Forwarded.Trusted.Prefixes) != 1 {
		t.Errorf("trusted: %+v", c.Forwarded.Trusted)
	}
}

func TestBadFlagNamesTheFlag(t *testing.T) {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fv := AddHostFlags(fs)
	if err := fs.Parse([]string{"--keep-alive-timeout", "forever"}); err != nil {
		t.Fatal(err)
	}
	_, err := Resolve("", nil, fv)
	if err == nil || !strings.HasPrefix(err.Error(), "flag --keep-alive-timeout: app.limits.keep_alive_timeout: want a duration") {
		t.Fatalf("got %v", err)
	}
}

// A flag whose key has a bare value (--pprof) means it alone, and still
// takes a value after "="; a bad value names the flag.
func TestBareFlags(t *testing.T) {
	fs := pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fv := AddHostFlags(fs)
	if err := fs.Parse([]string{"--pprof", "--send-timeout", "5s"}); err != nil {
		t.Fatal(err)
	}
	c, err := Resolve("", nil, fv)
	if err != nil {
		t.Fatal(err)
	}
	if !c.App.Pprof || c.App.Limits.SendTimeout != 5*time.Second {
		t.Errorf("pprof %t, send timeout %s", c.App.Pprof, c.App.Limits.SendTimeout)
	}
	fs = pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fv = AddHostFlags(fs)
	if err := fs.Parse([]string{"--pprof=maybe"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Resolve("", nil, fv); err == nil || !strings.HasPrefix(err.Error(), "flag --pprof: app.pprof: want true or false") {
		t.Errorf("--pprof=maybe: %v", err)
	}
	fs = pflag.NewFlagSet("serve", pflag.ContinueOnError)
	fv = AddHostFlags(fs)
	if err := fs.Parse([]string{"--send-timeout", "never"}); err != nil {
		t.Fatal(err)
	}
	if _, err := Resolve("", nil, fv); err == nil || !strings.HasPrefix(err.Error(), "flag --send-timeout: app.limits.send_timeout: want a duration") {
		t.Errorf("--send-timeout never: %v", err)
	}
}

func TestEveryHostFlagSetsAKey(t *testing.T) {
	for _, f := range HostFlags() {
		if _, ok := lookupField(f.Key); !ok {
			t.Errorf("flag --%s sets unknown key %s", f.Name, f.Key)
		}
	}
}

// Values the setters refuse where they are set are refused by Validate
// too when a Config is built in Go.
func TestValidateRefusesWhatTheSettersRefuse(t *testing.T) {
	for _, tt := range []struct {
		key string
		set func(*Config)
	}{
		{"supervise.startup_timeout", func(c *Config) { c.Supervise.StartupTimeout = 0 }},
		{"app.limits.max_request_headers", func(c *Config) { c.App.Limits.MaxRequestHeaders = 100 }},
		{"app.limits.max_request_line", func(c *Config) { c.App.Limits.MaxRequestLine = 100 }},
		{"app.limits.request_headers_timeout", func(c *Config) { c.App.Limits.RequestHeadersTimeout = 0 }},
		{"app.limits.keep_alive_timeout", func(c *Config) { c.App.Limits.KeepAliveTimeout = -time.Second }},
	} {
		c := Default()
		tt.set(c)
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.key+": want") {
			t.Errorf("%s: Validate = %v, want an error naming the key", tt.key, err)
		}
	}
}

// KeyLine gives the file and line of a value written in a file, and
// nothing once the environment sets the key again, or for a default.
func TestKeyLine(t *testing.T) {
	file := filepath.Join(t.TempDir(), "apphost.yaml")
	if err := os.WriteFile(file, []byte("name: shop\napp:\n  listen:\n    - localhost:5000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := Layer(file, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f, line := c.KeyLine("app.listen"); f != file || line != 4 {
		t.Errorf("app.listen at %s:%d, want %s:4", f, line, file)
	}
	if f, line := c.KeyLine("app.admin_listen"); f != "" || line != 0 {
		t.Errorf("a default at %s:%d, want none", f, line)
	}
	c, err = Layer(file, []string{"APPHOST_APP_LISTEN=127.0.0.1:6000"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if f, line := c.KeyLine("app.listen"); f != "" || line != 0 {
		t.Errorf("app.listen set by the environment at %s:%d, want none", f, line)
	}
}

// app.listen refuses the host *, which Go cannot listen on, naming the
// spelling that listens on every interface.
func TestListenRefusesTheHostStar(t *testing.T) {
	c := Default()
	if err := c.Set("test", "app.listen", "*:5000"); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "app.listen: *:5000 is nginx's way of writing every interface; write :5000") {
		t.Errorf("Validate = %v, want the host * refused", err)
	}
}
