package host

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"sync"
	"unicode"
)

// The environment variables IIS's modules set for the process they start.
const (
	// EnvANCMPort, EnvANCMToken and EnvANCMAppPath are set by the ASP.NET
	// Core Module (ANCM) for an out-of-process application: the loopback
	// port to listen on, the pairing token every forwarded request carries
	// in MS-ASPNETCORE-TOKEN, and the IIS application's virtual path ("/"
	// for a site's root application).
	EnvANCMPort    = "ASPNETCORE_PORT"
	EnvANCMToken   = "ASPNETCORE_TOKEN"
	EnvANCMAppPath = "ASPNETCORE_APPL_PATH"
	// EnvHTTPPlatformPort is set by HttpPlatformHandler: the loopback port
	// to listen on. It sets nothing else.
	EnvHTTPPlatformPort = "HTTP_PLATFORM_PORT"
)

// The IIS modules IIS mode recognises, as [IIS.Module] names them.
const (
	ModuleANCM                = "ASP.NET Core Module"
	ModuleHTTPPlatformHandler = "HttpPlatformHandler"
)

// IIS is what the environment says about the IIS module in front of the
// process. The zero value means the process does not run under IIS.
type IIS struct {
	// Module is ModuleANCM, ModuleHTTPPlatformHandler, or "" when neither
	// module started the process.
	Module string
	// Port is the loopback port the module forwards requests to.
	Port int
	// Token is the pairing token (ANCM only). When set, every request
	// must carry it in MS-ASPNETCORE-TOKEN.
	Token string
	// PathBase is the IIS application's virtual path without a trailing
	// slash ("/shop"), or "" for a site's root application.
	PathBase string
}

// Enabled reports whether the process runs under one of IIS's modules.
func (i IIS) Enabled() bool { return i.Module != "" }

// DetectIIS reads the IIS modules' environment variables through getenv
// (os.Getenv, or a lookup in a test). ASPNETCORE_PORT means the ASP.NET
// Core Module, with ASPNETCORE_TOKEN and ASPNETCORE_APPL_PATH; otherwise
// HTTP_PLATFORM_PORT means HttpPlatformHandler, which sends no token, so
// ASPNETCORE_TOKEN is not read then, while ASPNETCORE_APPL_PATH is (an
// operator may set it in the httpPlatform section's environment variables
// when the application lives under a virtual path). Neither port set
// returns the zero IIS and no error.
//
// A port that is not a number from 1 to 65535, both ports set to different
// values, and a virtual path that does not start with "/" are errors that
// name the variable and its value: start-up must fail rather than listen
// where IIS will never forward.
func DetectIIS(getenv func(key string) string) (IIS, error) {
	ancm := strings.TrimSpace(getenv(EnvANCMPort))
	hpf := strings.TrimSpace(getenv(EnvHTTPPlatformPort))
	var i IIS
	switch {
	case ancm != "" && hpf != "" && ancm != hpf:
		return IIS{}, fmt.Errorf("%s=%q and %s=%q are both set: only one IIS module can start the process", EnvANCMPort, ancm, EnvHTTPPlatformPort, hpf)
	case ancm != "":
		port, err := parseIISPort(EnvANCMPort, ancm)
		if err != nil {
			return IIS{}, err
		}
		i = IIS{Module: ModuleANCM, Port: port, Token: getenv(EnvANCMToken)}
	case hpf != "":
		port, err := parseIISPort(EnvHTTPPlatformPort, hpf)
		if err != nil {
			return IIS{}, err
		}
		i = IIS{Module: ModuleHTTPPlatformHandler, Port: port}
	default:
		return IIS{}, nil
	}
	base, err := parsePathBase(getenv(EnvANCMAppPath))
	if err != nil {
		return IIS{}, err
	}
	i.PathBase = base
	return i, nil
}

func parseIISPort(name, value string) (int, error) {
	port, err := strconv.ParseUint(value, 10, 16) // digits only: no sign
	if err != nil || port < 1 {
		return 0, fmt.Errorf("%s=%q: a port number from 1 to 65535 is expected", name, value)
	}
	return int(port), nil
}

// parsePathBase normalises an IIS virtual path: "" and "/" become "",
// trailing slashes go.
func parsePathBase(value string) (string, error) {
	v := strings.TrimSpace(value)
	if v == "" {
		return "", nil
	}
	if !strings.HasPrefix(v, "/") {
		return "", fmt.Errorf("%s=%q: a virtual path starting with / is expected", EnvANCMAppPath, value)
	}
	if strings.ContainsAny(v, "?#\\") || strings.Contains(v, "//") || strings.ContainsFunc(v, unicode.IsControl) {
		return "", fmt.Errorf("%s=%q: a plain virtual path is expected (no query, fragment, backslash, empty segment or control character)", EnvANCMAppPath, value)
	}
	return strings.TrimRight(v, "/"), nil
}

// iisMode is IIS mode as the server runs it: the detected IIS, and the
// channel through which the shutdown event reaches Serve.
type iisMode struct {
	IIS
	shutdown     chan struct{}
	shutdownOnce sync.Once
}

// resolveIIS detects IIS mode and, when the process runs under IIS,
// replaces the listen addresses with 127.0.0.1:<port>, saying so in the
// log. It returns nil when IIS mode is off.
func resolveIIS(getenv func(string) string, c *config, configured []string) (*iisMode, error) {
	i, err := DetectIIS(getenv)
	if err != nil || !i.Enabled() {
		return nil, err
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(i.Port))
	a, err := parseAddress(addr)
	if err != nil {
		return nil, fmt.Errorf("IIS mode: %w", err)
	}
	c.listen = []address{a}
	attrs := []any{"module", i.Module, "addr", addr, "path_base", i.PathBase, "pairing_token", i.Token != ""}
	if len(configured) > 0 {
		attrs = append(attrs, "ignored_listen", configured)
	}
	c.logger.Info("IIS mode: listening on the loopback port IIS forwards to, and nowhere else", attrs...)
	if i.Module == ModuleANCM && i.Token == "" {
		c.logger.Warn("IIS mode: " + EnvANCMToken + " is not set; requests are not checked for the pairing token and the shutdown event is not honoured")
	}
	return &iisMode{IIS: i, shutdown: make(chan struct{})}, nil
}

// requestShutdown starts the server's graceful shutdown once.
func (m *iisMode) requestShutdown() {
	m.shutdownOnce.Do(func() { close(m.shutdown) })
}

// shutdownRequested is closed when IIS sent the shutdown event; nil (never
// ready) when IIS mode is off.
func (m *iisMode) shutdownRequested() <-chan struct{} {
	if m == nil {
		return nil
	}
	return m.shutdown
}
