// Package hardening holds the abuse tests: slow and oversized clients,
// connection floods, shutdown under load and panicking handlers, run
// against a real `apphost serve` process (or, where the test needs its own
// handler, a host.Server in the test process) on free loopback ports.
// Every load is bounded in count and in time.
package hardening
