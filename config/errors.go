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
	return &Error{Where: c.origin[key], Key: key, Err: err}
}

func (c *Config) errorAt(key string, format string, args ...any) *Error {
	return &Error{Where: c.origin[key], Key: key, Err: fmt.Errorf(format, args...)}
}

// setOrigin records where key was set. A file's line is recorded apart
// (setLine); setting the key again elsewhere forgets it.
func (c *Config) setOrigin(key, where string) {
	if c.origin == nil {
		c.origin = map[string]string{}
	}
	c.origin[key] = where
	delete(c.lines, key)
}

func (c *Config) setLine(key, file string, line int) {
	if c.lines == nil {
		c.lines = map[string]keyLine{}
	}
	c.lines[key] = keyLine{file, line}
}

// KeyLine returns the file and line where the value of key was written,
// for a finding about it made outside this package; "" and 0 when the
// value is a default or came from the environment or a flag.
func (c *Config) KeyLine(key string) (file string, line int) {
	l := c.lines[key]
	return l.file, l.line
}
