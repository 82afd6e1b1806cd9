// Package nginx writes an nginx site configuration for an app described by
// apphost.yaml, and checks nginx configurations — generated or written by
// hand — for the mistakes that break or endanger proxied apps.
//
// The generator (Generate) turns one validated *config.Config into a site
// file to include inside nginx's http {} block: an upstream with
// keepalive, the forwarding headers the app reads, limits and timeouts
// derived from the app's, TLS with Mozilla's intermediate settings, and a
// catch-all default server. The admin address is never an upstream.
//
// The checker works in phases, one file each: Read parses a full
// nginx.conf (includes followed, globs expanded) or a single site file
// into a tree of directives (read.go, tree.go); the rules walk that tree
// (rules_*.go); when a description is given, cross-checks compare the
// tree with it (crosscheck.go); RunTest runs the real `nginx -t` in a
// temporary prefix (nginxtest.go). Everything is reported as
// findings.Finding, with the rule IDs listed by Rules and documented in
// docs/nginx.md.
package nginx
