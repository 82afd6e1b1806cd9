// Package metrics holds apphost's Prometheus instrumentation: the HTTP
// server metrics named after the OpenTelemetry HTTP semantic conventions
// (as Prometheus renders them), connection and request-limit metrics in the
// manner of Kestrel's, the forwarded-headers counters, the Go runtime,
// process and build-info collectors, and the handler that serves them.
//
// Nothing here touches Prometheus's global registry: every constructor
// takes the registry to register on, and [Handler] serves the one it is
// given. docs/metrics.md lists every metric with its type, labels and
// meaning.
//
// The HTTP middleware ([HTTP.Handler]) sits inside the forwarded-headers
// middleware, so url_scheme is the scheme the proxy reported. The route
// label is the pattern of the application's [http.ServeMux] that matched
// (r.Pattern, without its method and host), never the raw path: [Route]
// placed right around the application's handler reports it even when a
// step in between hands a copy of the request down.
package metrics
