package harness

import (
	"time"

	"github.com/apphost/apphost/config"
)

// RandomDescription builds a deployment description from choices, for
// property tests of the proxy generators: pick(n) returns a number in
// [0, n). It covers every setting a generator reads, in combinations
// golden files do not. The description is not validated.
func RandomDescription(pick func(int) int) *config.Config {
	c := config.Default()
	oneOf := func(xs ...string) string { return xs[pick(len(xs))] }
	c.Name = oneOf("app", "shop", "my-shop.v2", "a_b", "x9")
	tcp := []config.Address{"127.0.0.1:5000", "127.0.0.1:5001", "[::1]:5002", "10.0.0.7:8080", "localhost:5003"}
	unix := []config.Address{"unix:/run/app/app.sock", "unix:/tmp/b.sock"}
	c.App.Listen = nil
	for n, tries := 1+pick(3), 0; len(c.App.Listen) < n && tries < 10; tries++ {
		var a config.Address
		if pick(3) == 0 {
			a = unix[pick(len(unix))]
		} else {
			a = tcp[pick(len(tcp))]
		}
		dup := false
		for _, b := range c.App.Listen {
			dup = dup || a == b
		}
		if !dup {
			c.App.Listen = append(c.App.Listen, a)
		}
	}
	if pick(2) == 0 {
		c.App.AdminListen = config.AdminOff
	}
	if pick(3) == 0 {
		c.Proxy.Upstreams = append([]config.Address{"127.0.0.1:6001"}, c.App.Listen...)
	}
	c.App.ShutdownTimeout = []time.Duration{time.Second, 30 * time.Second, 90 * time.Second, time.Hour}[pick(4)]
	c.App.Limits.MaxRequestBody = []config.Size{0, 1, 1000, 1 << 20, 30_000_000, 5 << 30}[pick(6)]
	c.App.Limits.KeepAliveTimeout = []time.Duration{500 * time.Millisecond, time.Second, 5 * time.Second, 61 * time.Second, 130 * time.Second}[pick(5)]
	c.Forwarded.Headers = oneOf("x-forwarded", "forwarded", "none")
	c.Proxy.Edge = pick(2) == 0
	c.Proxy.Websockets = pick(2) == 0
	c.Proxy.PathPrefix = oneOf("", "/shop", "/a/b-c")
	c.Proxy.ServerNames = []string{oneOf("shop.example.com", "localhost", "*.example.com")}
	if pick(2) == 0 {
		c.Proxy.ServerNames = append(c.Proxy.ServerNames, "www.example.org")
	}
	c.Proxy.HTTPListen = oneOf("80", "127.0.0.1:8080", "[::1]:8081")
	c.Proxy.HTTPSListen = oneOf("443", "127.0.0.1:8443")
	if pick(2) == 0 {
		c.Proxy.TLS = &config.TLS{Certificate: "/etc/ssl/certs/t.pem", CertificateKey: "/etc/ssl/private/t.key",
			HSTSMaxAge: []time.Duration{0, 3600 * time.Second, 2 * 365 * 24 * time.Hour}[pick(3)]}
	}
	c.App.Limits.MaxConnections = []int{0, 0, 3, 200, 10000}[pick(5)]
	if pick(2) == 0 {
		c.Supervise.Command = []string{"/usr/local/bin/app"}
	}
	return c
}
