// Package e2e holds end-to-end tests: real proxies (nginx, Apache httpd)
// in front of real apphost processes, each test in its own temporary
// directory on free loopback ports.
package e2e
