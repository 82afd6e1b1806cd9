package forwarded

import (
	"fmt"
	"strings"
)

// Family names the header family a configuration reads. Exactly one family
// is read; the other is never consulted, not even as a fallback.
type Family int

const (
	// XForwarded reads X-Forwarded-For, -Proto, -Host and -Prefix, as nginx,
	// Apache httpd and IIS ARR send them. The zero value and the default.
	XForwarded Family = iota
	// Forwarded reads the RFC 7239 Forwarded header (for, proto, host).
	Forwarded
	// None disables the middleware's processing: no header is read, removed
	// or counted, and FromRequest reports the connection's own values.
	None
)

// String returns the family's name as written in configuration.
func (f Family) String() string {
	switch f {
	case XForwarded:
		return "x-forwarded"
	case Forwarded:
		return "forwarded"
	case None:
		return "none"
	}
	return fmt.Sprintf("Family(%d)", int(f))
}

// ParseFamily reads "x-forwarded", "forwarded" or "none", in any case. The
// empty string is the default, "x-forwarded".
func ParseFamily(s string) (Family, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "", "x-forwarded":
		return XForwarded, nil
	case "forwarded":
		return Forwarded, nil
	case "none":
		return None, nil
	}
	return 0, fmt.Errorf("forwarded headers %q: want x-forwarded, forwarded or none", s)
}

// MarshalText writes the family's name.
func (f Family) MarshalText() ([]byte, error) {
	if f < XForwarded || f > None {
		return nil, fmt.Errorf("unknown forwarded header family %d", int(f))
	}
	return []byte(f.String()), nil
}

// UnmarshalText reads a family name with ParseFamily, so a Family can be
// decoded straight from YAML or JSON.
func (f *Family) UnmarshalText(b []byte) error {
	v, err := ParseFamily(string(b))
	if err != nil {
		return err
	}
	*f = v
	return nil
}

// Set parses a family name; with String and Type it lets a *Family serve as
// a command-line flag value.
func (f *Family) Set(s string) error { return f.UnmarshalText([]byte(s)) }

// Type names the flag value's type in usage messages.
func (f *Family) Type() string { return "x-forwarded|forwarded|none" }

// Options configures the middleware. Its zero value is the default: trust
// loopback and unix-socket peers, read X-Forwarded-*, process one hop, and
// accept any well-formed forwarded host.
type Options struct {
	// TrustedProxies lists the peers whose forwarding headers are read, and
	// the hops whose entries may be walked through. nil means
	// DefaultTrustedProxies (loopback and unix sockets, the proxy on the same
	// machine); a non-nil empty value trusts nobody, which turns the
	// middleware into a filter that only removes forwarding headers.
	TrustedProxies *TrustedProxies

	// Headers is the header family read. Default XForwarded.
	Headers Family

	// ForwardLimit is how many entries, counted from the right, may be
	// processed. 0 means the default, 1: only the entry written by the
	// trusted peer itself. Set it to the number of proxies in front of the
	// application (2 for CDN → nginx → app). Negative is an error.
	ForwardLimit int

	// AllowedHosts restricts which forwarded hosts are applied: exact names
	// ("shop.example.com") or one leading wildcard label ("*.example.com",
	// which matches any subdomain but not example.com itself), compared
	// without the port and case-insensitively. A forwarded host outside the
	// list is not applied (the request keeps its own Host) and is counted.
	// Empty (the default) allows any well-formed host.
	AllowedHosts []string
}

// defaultForwardLimit is one hop: the proxy on the same machine, as ASP.NET
// Core's ForwardLimit default.
const defaultForwardLimit = 1

// config is Options after defaults and validation.
type config struct {
	trust  TrustedProxies
	family Family
	limit  int
	hosts  []hostPattern
}

func (o Options) config() (config, error) {
	c := config{family: o.Headers, limit: o.ForwardLimit}
	if o.TrustedProxies == nil {
		c.trust = DefaultTrustedProxies()
	} else {
		trust, err := o.TrustedProxies.normalized()
		if err != nil {
			return config{}, err
		}
		c.trust = trust
	}
	if c.family < XForwarded || c.family > None {
		return config{}, fmt.Errorf("forwarded headers: unknown family %d (want XForwarded, Forwarded or None)", int(c.family))
	}
	switch {
	case c.limit == 0:
		c.limit = defaultForwardLimit
	case c.limit < 0:
		return config{}, fmt.Errorf("forward limit %d: want 1 or more (0 for the default, 1)", o.ForwardLimit)
	}
	for _, h := range o.AllowedHosts {
		p, err := parseHostPattern(h)
		if err != nil {
			return config{}, err
		}
		c.hosts = append(c.hosts, p)
	}
	return c, nil
}

// ParseOptions builds Options from values as written in apphost.yaml, on
// the command line or in APPHOST_* variables, naming the setting in any
// error. trustedProxies nil means the default; a non-nil empty list trusts
// nobody. New still validates the result.
func ParseOptions(headers string, trustedProxies []string, forwardLimit int, allowedHosts []string) (Options, error) {
	fam, err := ParseFamily(headers)
	if err != nil {
		return Options{}, err
	}
	o := Options{Headers: fam, ForwardLimit: forwardLimit, AllowedHosts: allowedHosts}
	if trustedProxies != nil {
		tp, err := ParseTrustedProxies(trustedProxies)
		if err != nil {
			return Options{}, err
		}
		o.TrustedProxies = &tp
	}
	if _, err := o.config(); err != nil {
		return Options{}, err
	}
	return o, nil
}
