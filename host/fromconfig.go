package host

import (
	"io"
	"io/fs"
	"time"

	deployment "github.com/apphost/apphost/config"
)

// OptionsFromConfig turns a validated deployment description into
// Options. In the description a limit of 0 turns max_request_body,
// min_request_body_rate and send_timeout off; in Limits zero means the
// default, so those become negative here. The logger, access-log writer
// and admin handlers are left for the caller: the access log goes to
// standard output unless app.access_log is false.
func OptionsFromConfig(c *deployment.Config) Options {
	a := c.App
	o := Options{
		UnixSocketMode:  fs.FileMode(a.UnixSocketMode),
		AdminListen:     string(a.AdminListen),
		ShutdownTimeout: a.ShutdownTimeout,
		Pprof:           a.Pprof,
		Forwarded:       c.Forwarded.Options,
		Limits: Limits{
			MaxRequestBody:        offIfZero(int64(a.Limits.MaxRequestBody)),
			MaxRequestHeaders:     int(a.Limits.MaxRequestHeaders),
			MaxHeaderCount:        a.Limits.MaxHeaderCount,
			MaxRequestLine:        int(a.Limits.MaxRequestLine),
			RequestHeadersTimeout: a.Limits.RequestHeadersTimeout,
			KeepAliveTimeout:      a.Limits.KeepAliveTimeout,
			MinRequestBodyRate:    offIfZero(int64(a.Limits.MinRequestBodyRate)),
			MinRequestBodyGrace:   a.Limits.MinRequestBodyGrace,
			SendTimeout:           offIfZero(a.Limits.SendTimeout),
			MaxConnections:        a.Limits.MaxConnections,
		},
	}
	if a.ShutdownTimeout == 0 {
		// The description's 0 means "do not wait"; Options' 0 means the
		// default. The shortest drain Options can express is 1ns.
		o.ShutdownTimeout = 1
	}
	if a.Limits.MinRequestBodyGrace == 0 {
		o.Limits.MinRequestBodyGrace = 1
	}
	for _, l := range a.Listen {
		o.Listen = append(o.Listen, string(l))
	}
	if a.AdminListen == deployment.AdminOff {
		o.AdminListen = AdminOff
	}
	if !a.AccessLog {
		o.AccessLog = io.Discard
	}
	return o
}

func offIfZero[T int64 | time.Duration](n T) T {
	if n == 0 {
		return -1
	}
	return n
}
