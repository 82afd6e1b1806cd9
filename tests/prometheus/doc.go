// Package prometheus holds the end-to-end tests of apphost's metrics: a
// real Prometheus server scrapes the admin addresses of `apphost serve`
// and `apphost supervise`, and the tests query it through its HTTP API.
package prometheus
