// Package config reads the deployment description, apphost.yaml, into one
// validated value that the host, the proxy-configuration generators, the
// checkers and the supervisor all read.
//
// A Config is built in layers, each overriding the one before: Default, a
// file (LoadFile), APPHOST_* environment variables (ApplyEnv) and single
// settings such as command-line flags (Set). Validate then fills in the
// defaults that depend on other settings and checks the rules that span
// several of them. Every key has exactly one spelling in each layer: the
// yaml path app.limits.max_request_body is the environment variable
// APPHOST_APP_LIMITS_MAX_REQUEST_BODY and the Set key
// "app.limits.max_request_body".
//
// Errors name where the bad value came from — file, line and column for
// yaml, the variable for the environment — the key, the value, and what
// would have been accepted. Unknown keys are errors, so a misspelt limit
// never silently falls back to its default.
package config
