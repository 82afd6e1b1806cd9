package config

import (
	"slices"
	"strings"
	"testing"
)

func TestProxyTarget(t *testing.T) {
	c := Default()
	c.App.Listen = []Address{"127.0.0.1:5000", "unix:/run/shop.sock"}
	c.Proxy.Upstreams = []Address{"127.0.0.1:5000", "0.0.0.0:5001"}
	supervised := *c
	supervised.Supervise.Command = []string{"/srv/shop/shop"}
	listenOnly := *c
	listenOnly.Proxy.Upstreams = nil // proxy.upstreams not set: app.listen stands in
	for _, tc := range []struct {
		name      string
		c         *Config
		target    Address
		admin     string
		upstreams []Address
	}{
		{"an upstream", c, "127.0.0.1:5000", "", []Address{"127.0.0.1:5000"}},
		{"an upstream by localhost", c, "localhost:5000", "", []Address{"127.0.0.1:5000"}},
		{"an upstream on every interface", c, "127.0.0.9:5001", "", []Address{"0.0.0.0:5001"}},
		{"another loopback address", c, "127.0.0.2:5000", "", nil},
		{"the app's admin address", c, "127.0.0.1:9464", "app.admin_listen", nil},
		{"the app's admin address by localhost", c, "localhost:9464", "app.admin_listen", nil},
		{"the supervisor's admin address, unused", c, "127.0.0.1:9465", "", nil},
		{"the supervisor's admin address", &supervised, "127.0.0.1:9465", "supervise.admin_listen", nil},
		{"app.listen without proxy.upstreams", &listenOnly, "unix:/run/shop.sock", "", []Address{"unix:/run/shop.sock"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			admin, ups := tc.c.ProxyTarget(tc.target)
			key := ""
			if admin != nil {
				key = admin.Key
			}
			if key != tc.admin || !slices.Equal(ups, tc.upstreams) {
				t.Errorf("ProxyTarget(%s) = %q, %v; want %q, %v", tc.target, key, ups, tc.admin, tc.upstreams)
			}
		})
	}
	off := *c
	off.App.AdminListen = AdminOff
	if admin, _ := off.ProxyTarget("127.0.0.1:9464"); admin != nil {
		t.Errorf("an admin listener that is off is %s", admin.Key)
	}
}

func TestCheckUpstreams(t *testing.T) {
	c := Default()
	c.App.Listen = []Address{"127.0.0.1:0"}
	if err := c.Validate(); err != nil {
		t.Fatalf("an app on a port the kernel picks is valid: %v", err)
	}
	if err := c.CheckUpstreams(); err == nil || !strings.Contains(err.Error(), "port 0") {
		t.Errorf("upstreams derived from 127.0.0.1:0: %v, want a refusal naming port 0", err)
	}
	c.Proxy.Upstreams = []Address{"localhost:9464"}
	if err := c.CheckUpstreams(); err == nil || !strings.Contains(err.Error(), "app.admin_listen") {
		t.Errorf("an upstream on the admin address: %v", err)
	}
	c.Proxy.Upstreams = []Address{"127.0.0.1:5000"}
	if err := c.CheckUpstreams(); err != nil {
		t.Errorf("a good upstream: %v", err)
	}
}
