package config

import "fmt"

// Error is a bad setting: where it was written, its key, and why it was
// refused (which says what would have been accepted).
type Error struct {
	// Where is "file:line:column" for yaml, "environment NAME" for a
	// variable, or "" for a default or a value set by the program.
	Where string
	// Key is the key path, such as app.limits.max_request_body.
	Key string
	Err error
}

func (e *Error) Error() string {
	msg := e.Err.Error()
	if e.Key != "" {
		msg = e.Key + ": " + msg
	}
	if e.Where != "" {
		msg = e.Where + ": " + msg
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// KeyError is err about the setting of key, placed where that was set:
// for a check made outside this package, such as whether a program
// exists.
func (c *Config) KeyError(key string, err error) *Error {
	return &Error{Where: c.origin[key].where, Key: key, Err: err}
}

func (c *Config) errorAt(key string, format string, args ...any) *Error {
	return c.KeyError(key, fmt.Errorf(format, args...))
}

// setOrigin records where key was set.
func (c *Config) setOrigin(key string, o origin) {
	if c.origin == nil {
		c.origin = map[string]origin{}
	}
	c.origin[key] = o
}

// KeyLine returns the file and line where the value of key was written,
// for a finding about it made outside this package; "" and 0 when the
// value is a default or came from the environment or a flag.
func (c *Config) KeyLine(key string) (file string, line int) {
	o := c.origin[key]
	return o.file, o.line
}
