// Package integration holds what the proxy integrations share; each proxy
// has its own package below it (nginx, apache, iis), the findings a
// checker reports are in findings, and generated files are written by
// output.
package integration
