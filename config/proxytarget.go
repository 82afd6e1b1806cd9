package config

import "fmt"

// AdminAddress is an address the proxy must never forward to, with the
// key of the description that sets it.
type AdminAddress struct {
	Addr Address
	Key  string // "app.admin_listen" or "supervise.admin_listen"
}

// AdminAddresses are the description's admin addresses: app.admin_listen,
// and supervise.admin_listen when supervise.command is set (the supervisor
// serves its own metrics there). An address that is off overlaps nothing.
func (c *Config) AdminAddresses() []AdminAddress {
	admins := []AdminAddress{{c.App.AdminListen, "app.admin_listen"}}
	if len(c.Supervise.Command) > 0 {
		admins = append(admins, AdminAddress{c.Supervise.AdminListen, "supervise.admin_listen"})
	}
	return admins
}

// ProxyTarget tells what an address a proxy forwards to is to the
// description, by config.Address.Overlaps: an admin address, or else the
// upstreams it reaches (ProxyUpstreams). A target that reaches no upstream is not the app's.
func (c *Config) ProxyTarget(target Address) (admin *AdminAddress, upstreams []Address) {
	for _, a := range c.AdminAddresses() {
		if target.Overlaps(a.Addr) {
			return &a, nil
		}
	}
	for _, u := range c.ProxyUpstreams() {
		if target.Overlaps(u) {
			upstreams = append(upstreams, u)
		}
	}
	return nil, upstreams
}

// ProxyUpstreams are the addresses the proxy forwards to: proxy.upstreams,
// or app.listen when the description sets none.
func (c *Config) ProxyUpstreams() []Address {
	if len(c.Proxy.Upstreams) == 0 {
		return c.App.Listen
	}
	return c.Proxy.Upstreams
}

// CheckUpstreams reports the first upstream a generated proxy
// configuration cannot forward to (see checkUpstream). Validation refuses
// these in a written proxy.upstreams; the generators refuse them in
// upstreams derived from app.listen too.
func (c *Config) CheckUpstreams() error {
	for _, u := range c.ProxyUpstreams() {
		if err := c.checkUpstream(u); err != nil {
			return fmt.Errorf("upstream %w", err)
		}
	}
	return nil
}

// checkUpstream refuses an upstream no proxy may forward to: an admin
// address, or port 0 (which an app may listen on, the kernel picking the
// port, but no proxy can connect to).
func (c *Config) checkUpstream(u Address) error {
	if admin, _ := c.ProxyTarget(u); admin != nil {
		return fmt.Errorf("%s is an admin address (%s %s): the proxy must never forward to it", u, admin.Key, admin.Addr)
	}
	if _, port := u.HostPort(); port == "0" {
		return fmt.Errorf("%s: port 0 is for listening (the kernel picks a port); the proxy needs the port the app listens on, so give app.listen (or proxy.upstreams) one", u)
	}
	return nil
}
