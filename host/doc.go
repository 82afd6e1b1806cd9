// Package host serves an http.Handler the way Kestrel serves an ASP.NET Core
// application behind nginx, Apache httpd or IIS: plain HTTP/1.1 and
// prior-knowledge HTTP/2 cleartext on internal addresses, with request limits,
// timeouts, graceful shutdown, health endpoints on a separate admin address,
// panic recovery and an access log.
//
// # Contract
//
// [New] validates [Options] and binds every listener before it returns, so a
// bad address or a port in use is reported at start-up, never while serving.
// When the process was started through the systemd socket-activation protocol
// (LISTEN_PID equal to the process id, LISTEN_FDS, LISTEN_FDNAMES), the
// inherited sockets are served instead of [Options.Listen], and the three
// variables are removed from the environment so child processes do not
// inherit them.
//
// [Server.Serve] serves until its context ends, then shuts down gracefully:
// /readyz on the admin address answers 503, it stops accepting (the
// listening sockets close, new connections are refused), busy keep-alive
// connections are answered with "Connection: close" for up to 500ms (at
// most half of [Options.ShutdownTimeout]), the idle ones close, and requests
// in flight may finish until [Options.ShutdownTimeout] after the shutdown
// began. Serve returns nil when they all did, and an error wrapping
// [ErrShutdownTimeout] when some had to be cut. [Run] adds SIGINT and SIGTERM:
// the first starts the graceful shutdown, a second closes every connection at
// once and Run returns an error wrapping [ErrForcedShutdown].
//
// The admin listener (default 127.0.0.1:9464) serves /healthz (liveness: 200
// while the process serves), /readyz (readiness: 200 while serving, 503
// while draining), /metrics (the registry of [Options.Metrics], see
// docs/metrics.md), /debug/pprof/ when [Options.Pprof] is set, and the extra
// [Options.AdminHandlers]. Those paths are never
// served on the public listeners: the operator must keep the admin address
// off every proxy configuration.
//
// When NOTIFY_SOCKET is set, the server sends READY=1 once every listener
// accepts, STOPPING=1 when the shutdown starts, and WATCHDOG=1 at half of
// WATCHDOG_USEC while it runs.
//
// # Limits
//
// [Limits] follow Kestrel's defaults (see [DefaultLimits]). A request over a
// limit gets the status Kestrel gives it and the server keeps serving
// everyone else: 413 for a body over MaxRequestBody (from Content-Length
// before any byte is read; a chunked body when it crosses the limit), 431 for
// headers over MaxRequestHeaders in total or more than MaxHeaderCount fields,
// 414 for a request line over MaxRequestLine, 408 for headers that take longer
// than RequestHeadersTimeout and for a body slower than MinRequestBodyRate
// after MinRequestBodyGrace; a response write the client leaves untaken for
// SendTimeout fails and closes the connection. Where net/http does not
// provide a limit, the host measures it; the doc comment of each [Limits]
// field says where the measurement is approximate.
//
// # IIS mode
//
// Like ASP.NET Core's UseIISIntegration, the host notices when one of IIS's
// modules started the process, from the variables [DetectIIS] reads
// (through [Options.Getenv], os.Getenv by default):
//
//   - the ASP.NET Core Module, out of process, sets ASPNETCORE_PORT,
//     ASPNETCORE_TOKEN (the pairing token) and ASPNETCORE_APPL_PATH (the IIS
//     application's virtual path, "/" for a site's root);
//   - HttpPlatformHandler sets HTTP_PLATFORM_PORT only.
//
// Then the server listens on 127.0.0.1:<port> and nowhere else, whatever
// [Options.Listen] says, and logs so at start (sockets inherited from a
// supervisor are still served instead: the supervisor bound that port).
// A step right after the request limits then, in order:
//
//   - checks the pairing token when ASPNETCORE_TOKEN is set: a request whose
//     MS-ASPNETCORE-TOKEN header is missing, repeated or different (compared
//     in constant time) did not come through IIS and gets 400, logged
//     without the token; the header is removed before the application sees
//     the request;
//   - strips ASPNETCORE_APPL_PATH from the front of the path, at a segment
//     boundary and case-insensitively as IIS matches it, and makes it the
//     path base ([PathBase]); a path outside it passes unchanged;
//   - answers ANCM's shutdown request, POST <virtual path>/iisintegration
//     with MS-ASPNETCORE-EVENT: shutdown, with 202 and starts the graceful
//     shutdown, after which [Server.Serve] and [Run] return nil;
//   - parses MS-ASPNETCORE-CLIENTCERT (the client's TLS certificate, base64
//     DER) for [ClientCertificate]; a value that does not parse is ignored
//     and logged.
//
// The shutdown request and the client certificate are honoured only with a
// pairing token, which proves the request came through ANCM: ANCM replaces
// any MS-ASPNETCORE-* header a client sends, while HttpPlatformHandler passes
// them through, so under HttpPlatformHandler MS-ASPNETCORE-CLIENTCERT is
// removed unread and POST /iisintegration is the application's. IIS's
// forwarding headers (X-Forwarded-For with the client's port, as in
// "[::1]:38792", and X-Forwarded-Proto) come from a loopback peer, which
// the forwarded-headers middleware trusts by default. The operator's duty:
// keep the admin address distinct per IIS application (or "off"), since
// IIS chooses the public port but not the admin one.
//
// # Request path
//
// A request passes, outermost first: the listener's connection limit,
// net/http (header size backstop, timeouts, HTTP/1.1 and h2c), the host's
// request limits, IIS mode's step (when under IIS), the forwarded-headers
// middleware, the metrics, the access log (combined log format, from what
// the metrics recorded), panic recovery (500, logged with its stack
// through log/slog) and the application's handler.
package host
