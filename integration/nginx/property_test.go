package nginx_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/integration/nginx"
	"github.com/apphost/apphost/tests/harness"
)

// randomDescription builds a valid description from choices: pick(n)
// returns a number in [0, n). It covers every setting the generator
// reads, in combinations the golden files do not.
func randomDescription(pick func(int) int) (*config.Config, nginx.Version, error) {
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
	v := []nginx.Version{{Major: 1, Minor: 18}, {Major: 1, Minor: 22, Patch: 1}, {Major: 1, Minor: 25, Patch: 1}, {Major: 1, Minor: 27}}[pick(4)]
	return c, v, c.Validate()
}

// Random valid descriptions always generate sites with zero findings
// against themselves; every tenth passes the real nginx -t as well (when
// the installed nginx is at least the version generated for).
func TestRandomDescriptionsGenerateCleanSites(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 2026))
	bin := ""
	cert := harness.Certificate{}
	installed := nginx.InstalledVersion(context.Background())
	valid, tested := 0, 0
	for i := range 200 {
		c, v, err := randomDescription(r.IntN)
		if err != nil {
			continue // an invalid combination (such as the admin address reused) is the config package's concern
		}
		valid++
		site := generate(t, c, v)
		t.Run(fmt.Sprint(i), func(t *testing.T) { requireNoFindings(t, c, site) })
		if i%10 != 0 || !installed.AtLeast(v) {
			continue
		}
		if bin == "" {
			bin = harness.RequireProgram(t, "nginx")
			cert = harness.SelfSignedCert(t, t.TempDir(), "shop.example.com")
		}
		useCert(c, cert)
		requireNginxT(t, bin, writeSite(t, generate(t, c, v)))
		tested++
	}
	if valid < 150 || tested < 5 {
		t.Errorf("only %d valid descriptions of 200, %d through nginx -t: the generator of descriptions needs fixing", valid, tested)
	}
	t.Logf("%d valid descriptions, %d through nginx -t", valid, tested)
}

// FuzzGenerate checks the same property over descriptions chosen by the
// fuzzer's bytes: generation never fails for a valid description and its
// output has no findings.
func FuzzGenerate(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24})
	f.Add([]byte{255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0, 255, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		i := 0
		pick := func(n int) int {
			if i >= len(data) {
				return 0
			}
			i++
			return int(data[i-1]) % n
		}
		c, v, err := randomDescription(pick)
		if err != nil {
			return
		}
		requireNoFindings(t, c, generate(t, c, v))
	})
}
