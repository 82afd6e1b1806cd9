package nginx_test

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/integration/findings"
	"github.com/apphost/apphost/integration/nginx"
	"github.com/apphost/apphost/tests/harness"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/gen")

// genCases lists the descriptions in testdata/gen; each has a golden
// <case>.conf next to it.
func genCases(t *testing.T) []string {
	t.Helper()
	names, err := filepath.Glob("testdata/gen/*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("no descriptions in testdata/gen: %v", err)
	}
	for i, n := range names {
		names[i] = strings.TrimSuffix(filepath.Base(n), ".yaml")
	}
	return names
}

// versionFor reads the nginx version a case is generated for from its
// name ("…-nginx-1.25" → 1.25.1); the others use the default.
func versionFor(t *testing.T, name string) nginx.Version {
	t.Helper()
	_, v, ok := strings.Cut(name, "-nginx-")
	if !ok {
		return nginx.Version{}
	}
	ver, err := nginx.ParseVersion(v + ".1")
	if err != nil {
		t.Fatal(err)
	}
	return ver
}

func generate(t *testing.T, c *config.Config, v nginx.Version) []byte {
	t.Helper()
	f, err := nginx.Generate(c, nginx.Options{NginxVersion: v, AppVersion: "(devel)"})
	if err != nil {
		t.Fatalf("Generate: %v", err)
	}
	return f.Content
}

// The generator's output for each description matches its golden file.
func TestGenerateGolden(t *testing.T) {
	for _, name := range genCases(t) {
		t.Run(name, func(t *testing.T) {
			c, err := config.Load(filepath.Join("testdata/gen", name+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			got := generate(t, c, versionFor(t, name))
			golden := filepath.Join("testdata/gen", name+".conf")
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./integration/nginx -run TestGenerateGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("output differs from %s (rerun with -update and review the diff):\n%s", golden, got)
			}
		})
	}
}

// The command a generated file's header gives regenerates that file: its
// --nginx-version is the version the file was written for, patch included
// when it has one (1.25.1 writes what 1.25 does not).
func TestHeaderCommandRegenerates(t *testing.T) {
	for _, v := range []string{"1.22", "1.25.1", "1.27.3"} {
		t.Run(v, func(t *testing.T) {
			c, err := config.Load("testdata/gen/tls.yaml")
			if err != nil {
				t.Fatal(err)
			}
			ver, err := nginx.ParseVersion(v)
			if err != nil {
				t.Fatal(err)
			}
			first := generate(t, c, ver)
			_, rest, ok := strings.Cut(string(first), "--nginx-version ")
			if !ok {
				t.Fatalf("no --nginx-version in the header:\n%s", first)
			}
			given, _, _ := strings.Cut(rest, "\n")
			if given != v {
				t.Errorf("header says --nginx-version %s, written for %s", given, v)
			}
			again, err := nginx.ParseVersion(given)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(generate(t, c, again), first) {
				t.Errorf("the header's command writes another file")
			}
		})
	}
}

// Every generated configuration is accepted by the real nginx -t. TLS
// descriptions get a certificate made by the test in place of theirs.
func TestGeneratedPassesNginxT(t *testing.T) {
	bin := harness.RequireProgram(t, "nginx")
	cert := harness.SelfSignedCert(t, t.TempDir(), "shop.example.com")
	for _, name := range genCases(t) {
		t.Run(name, func(t *testing.T) {
			c, err := config.Load(filepath.Join("testdata/gen", name+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			useCert(c, cert)
			v := versionFor(t, name)
			installed := nginx.InstalledVersion(context.Background())
			if !installed.AtLeast(v) {
				t.Skipf("generated for nginx %s; %s is installed", v, installed)
			}
			site := writeSite(t, generate(t, c, v))
			requireNginxT(t, bin, site)
		})
	}
}

func useCert(c *config.Config, cert harness.Certificate) {
	if c.Proxy.TLS != nil {
		c.Proxy.TLS.Certificate, c.Proxy.TLS.CertificateKey = cert.CertFile, cert.KeyFile
	}
}

func writeSite(t testing.TB, content []byte) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "site.conf")
	if err := os.WriteFile(p, content, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func requireNginxT(t testing.TB, bin, site string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := nginx.RunTest(ctx, bin, site, true)
	if err != nil {
		t.Fatal(err)
	}
	if !res.OK {
		content, _ := os.ReadFile(site)
		t.Fatalf("nginx -t rejected the generated site: %s:%d: %s\n%s\n%s", res.File, res.Line, res.Message, res.Output, content)
	}
}

// Every generated configuration has zero findings when checked against
// the description it was generated from.
func TestGeneratedHasNoFindings(t *testing.T) {
	for _, name := range genCases(t) {
		t.Run(name, func(t *testing.T) {
			c, err := config.Load(filepath.Join("testdata/gen", name+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			requireNoFindings(t, c, generate(t, c, versionFor(t, name)))
		})
	}
}

func requireNoFindings(t testing.TB, c *config.Config, site []byte) {
	t.Helper()
	p := writeSite(t, site)
	list, err := nginx.Check(context.Background(), []string{p}, nginx.CheckOptions{Description: c})
	if err != nil {
		t.Fatal(err)
	}
	if len(list) > 0 {
		var b strings.Builder
		for _, f := range list {
			b.WriteString(f.String() + "\n")
		}
		t.Fatalf("%d finding(s) on the generated site:\n%s\n%s", len(list), b.String(), site)
	}
}

// The admin address is never an upstream, even in a description that
// skipped validation.
func TestGenerateRefusesTheAdminAddress(t *testing.T) {
	c := config.Default()
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	c.Proxy.Upstreams = append(c.Proxy.Upstreams, "localhost:9464")
	_, err := nginx.Generate(c, nginx.Options{})
	if err == nil || !strings.Contains(err.Error(), "admin") {
		t.Fatalf("err = %v, want a refusal naming the admin address", err)
	}
}

// Under apphost supervise, an upstream is held (max_fails=0) when it
// overlaps one of the app's listen addresses (config.Address.Overlaps),
// however either is written: localhost for 127.0.0.1, a specific address
// on a wildcard listener. An address on another port is not held.
func TestGenerateSupervisedUpstreamsByOverlap(t *testing.T) {
	for _, tc := range []struct {
		listen, upstream string
		held             bool
	}{
		{"127.0.0.1:5001", "localhost:5001", true},
		{"localhost:5001", "127.0.0.1:5001", true},
		{"0.0.0.0:5001", "127.0.0.1:5001", true},
		{"127.0.0.1:5001", "127.0.0.2:5001", false},
		{"127.0.0.1:5001", "127.0.0.1:5002", false},
	} {
		t.Run(tc.listen+"/"+tc.upstream, func(t *testing.T) {
			c := config.Default()
			c.App.Listen = []config.Address{config.Address(tc.listen)}
			c.Proxy.Upstreams = []config.Address{config.Address(tc.upstream), "10.0.0.2:6001"}
			c.Supervise.Command = []string{"/usr/local/bin/shop"}
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			site := string(generate(t, c, nginx.Version{}))
			want := "server " + tc.upstream + " max_fails=3 fail_timeout=10s;"
			if tc.held {
				want = "server " + tc.upstream + " max_fails=0;"
			}
			if !strings.Contains(site, want) {
				t.Errorf("no %q in the upstream:\n%s", want, site)
			}
			if !strings.Contains(site, "server 10.0.0.2:6001 max_fails=3 fail_timeout=10s;") {
				t.Errorf("an upstream on another port is not counted as failing:\n%s", site)
			}
		})
	}
}

// An upstream written as localhost is a server to nginx for every address
// localhost resolves to where nginx runs (two on Debian with IPv6), and
// apphost listens on one address: the generator warns, unless the app
// listens on both loopback addresses or on every interface, with a fix
// that corrects the description; it still writes what the description
// says, which then has no finding against that description.
func TestGenerateWarnsOfLocalhost(t *testing.T) {
	for _, tc := range []struct {
		name       string
		listen     []config.Address
		upstreams  []config.Address
		supervised bool
		// want are texts of the one warning; none when nil.
		want []string
		// fix is the warning's fix, which corrects the description.
		fix string
	}{
		{"the app on localhost", []config.Address{"localhost:5000"}, nil, false,
			[]string{"app.listen localhost:5000: nginx makes a server of every address localhost resolves to where it runs (on Debian with IPv6: 127.0.0.1:5000 and [::1]:5000), but ", "apphost listens on one address of the name only", "normally 127.0.0.1:5000"},
			"In the description's app.listen, write an IP address, such as 127.0.0.1:5000, in place of localhost:5000, and run apphost gen nginx again."},
		{"an upstream localhost for the app on 127.0.0.1, supervised", []config.Address{"127.0.0.1:5001"}, []config.Address{"localhost:5001", "10.0.0.2:6001"}, true,
			[]string{"proxy.upstreams localhost:5001: nginx makes a server of every address localhost resolves to where it runs (on Debian with IPv6: 127.0.0.1:5001 and [::1]:5001), but ", "the app listens on 127.0.0.1:5001 only (app.listen)", "sends to [::1]:5001 fail", "max_fails=0"},
			"In the description's proxy.upstreams, write the address the app listens on, 127.0.0.1:5001, in place of localhost:5001, and run apphost gen nginx again."},
		{"an upstream localhost for the app on [::1]", []config.Address{"[::1]:5001"}, []config.Address{"localhost:5001"}, false,
			[]string{"the app listens on [::1]:5001 only", "sends to 127.0.0.1:5001 fail"},
			"In the description's proxy.upstreams, write the address the app listens on, [::1]:5001, in place of localhost:5001, and run apphost gen nginx again."},
		{"an upstream localhost of another instance", []config.Address{"127.0.0.1:5000"}, []config.Address{"127.0.0.1:5000", "localhost:5003"}, false,
			[]string{"proxy.upstreams localhost:5003: nginx makes a server of every address localhost resolves to where it runs (on Debian with IPv6: 127.0.0.1:5003 and [::1]:5003), but ", "apphost listens on one address of the name only"},
			"In the description's proxy.upstreams, write an IP address, such as 127.0.0.1:5003, in place of localhost:5003, and run apphost gen nginx again."},
		{"the app on both loopback addresses", []config.Address{"127.0.0.1:5000", "[::1]:5000"}, []config.Address{"localhost:5000"}, false, nil, ""},
		{"the app on every interface", []config.Address{"0.0.0.0:5000"}, []config.Address{"localhost:5000"}, false, nil, ""},
		{"the app on 127.0.0.1", []config.Address{"127.0.0.1:5000"}, nil, false, nil, ""},
		{"a unix socket", []config.Address{"unix:/run/app/app.sock"}, nil, false, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := config.Default()
			c.File = "apphost.yaml"
			c.App.Listen = tc.listen
			c.Proxy.Upstreams = tc.upstreams
			if tc.supervised {
				c.Supervise.Command = []string{"/usr/local/bin/shop"}
			}
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			list := nginx.GenerateWarnings(c)
			switch {
			case tc.want == nil && len(list) > 0:
				t.Errorf("warnings: %v", list)
			case tc.want != nil && len(list) != 1:
				t.Fatalf("warnings: %v, want one", list)
			case tc.want != nil:
				f := list[0]
				if f.Rule != nginx.RuleUpstreamLocalhost || f.Severity != findings.Warning || f.File != "apphost.yaml" {
					t.Errorf("warning %+v", f)
				}
				if f.Fix != tc.fix {
					t.Errorf("fix %q, want %q", f.Fix, tc.fix)
				}
				for _, w := range tc.want {
					if !strings.Contains(f.Message, w) {
						t.Errorf("message %q lacks %q", f.Message, w)
					}
				}
				if !tc.supervised && strings.Contains(f.Message, "max_fails") {
					t.Errorf("message %q speaks of max_fails=0, which the site does not write", f.Message)
				}
			}
			site := generate(t, c, nginx.Version{})
			for _, u := range c.ProxyUpstreams() {
				if !bytes.Contains(site, []byte("server "+upstreamText(u))) {
					t.Errorf("the site does not proxy to %s as the description says:\n%s", u, site)
				}
			}
			requireNoFindings(t, c, site)
		})
	}
}

func upstreamText(a config.Address) string {
	if a.IsUnix() {
		return "unix:" + a.Path()
	}
	return string(a)
}

// The warning apphost gen nginx prints, with its fix, for an app that
// listens on localhost.
func ExampleGenerateWarnings() {
	c := config.Default()
	c.File = "apphost.yaml"
	c.App.Listen = []config.Address{"localhost:5000"}
	if err := c.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range nginx.GenerateWarnings(c) {
		fmt.Println(f)
		fmt.Println("    fix:", f.Fix)
	}
	// Output:
	// apphost.yaml: warning: app.listen localhost:5000: nginx makes a server of every address localhost resolves to where it runs (on Debian with IPv6: 127.0.0.1:5000 and [::1]:5000), but apphost listens on one address of the name only (the first IPv4 address localhost has where the app runs, normally 127.0.0.1:5000): the connections nginx sends to any other fail [nginx/upstream-localhost]
	//     fix: In the description's app.listen, write an IP address, such as 127.0.0.1:5000, in place of localhost:5000, and run apphost gen nginx again.
}

// The generated site for the default description, as a user sees it.
func ExampleGenerate() {
	c := config.Default()
	c.Proxy.ServerNames = []string{"shop.example.com"}
	if err := c.Validate(); err != nil {
		fmt.Println(err)
		return
	}
	f, err := nginx.Generate(c, nginx.Options{AppVersion: "v1.0.0"})
	if err != nil {
		fmt.Println(err)
		return
	}
	// The upstream, with connection reuse.
	text := string(f.Content)
	start := strings.Index(text, "upstream app {")
	fmt.Print(f.Name, "\n", text[start:strings.Index(text[start:], "}\n")+start+2])
	// Output:
	// app.conf
	// upstream app {
	//     server 127.0.0.1:5000;
	//     # Idle connections each worker keeps: more than the requests in flight at
	//     # once, or nginx closes the surplus and opens new ones under load.
	//     keepalive 256;
	//     # Shorter than the app's keep-alive timeout (130s), so nginx closes an idle
	//     # connection before the app does and never reuses one being closed.
	//     keepalive_timeout 60s;
	// }
}
