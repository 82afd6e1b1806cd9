package apache

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/tests/harness"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/gen")

// goldenCases are the deployments under testdata/gen, one per feature of
// the generator.
func goldenCases(t *testing.T) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join("testdata", "gen", "*.yaml"))
	if err != nil || len(matches) == 0 {
		t.Fatalf("no golden cases: %v", err)
	}
	return matches
}

func loadCase(t *testing.T, path string) *config.Config {
	t.Helper()
	c, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func generateOne(t *testing.T, c *config.Config) []byte {
	t.Helper()
	files, err := Generate(c, "test")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != 1 || files[0].Name != c.Name+".conf" {
		t.Fatalf("Generate returned %d files, want %s.conf", len(files), c.Name)
	}
	return files[0].Content
}

func TestGenerateGolden(t *testing.T) {
	for _, yaml := range goldenCases(t) {
		name := strings.TrimSuffix(filepath.Base(yaml), ".yaml")
		t.Run(name, func(t *testing.T) {
			got := generateOne(t, loadCase(t, yaml))
			golden := strings.TrimSuffix(yaml, ".yaml") + ".conf"
			if *update {
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGenerateGolden -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the generator's output (rerun with -update after checking the change):\n%s", golden, got)
			}
		})
	}
}

// TestGeneratedPassesApacheConfigTest runs the real apache2 -t on every
// golden case, with the modules the generator names and a self-signed
// certificate in place of the case's.
func TestGeneratedPassesApacheConfigTest(t *testing.T) {
	apache2 := harness.RequireProgram(t, "apache2")
	for _, yaml := range goldenCases(t) {
		name := strings.TrimSuffix(filepath.Base(yaml), ".yaml")
		t.Run(name, func(t *testing.T) {
			c := loadCase(t, yaml)
			dir := t.TempDir()
			if c.Proxy.TLS != nil {
				cert := harness.SelfSignedCert(t, dir, "localhost")
				c.Proxy.TLS.Certificate, c.Proxy.TLS.CertificateKey = cert.CertFile, cert.KeyFile
			}
			site := filepath.Join(dir, "site.conf")
			if err := os.WriteFile(site, generateOne(t, c), 0o644); err != nil {
				t.Fatal(err)
			}
			root := ServerRoot{Dir: dir, Modules: Modules(c), Listen: ListenAddresses(c), Include: []string{site}}
			main, err := root.Write()
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			if err := ConfigTest(ctx, apache2, main); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// The admin address and a port 0 are never upstreams, even in a
// description that skipped validation or derives them from app.listen.
func TestGenerateRefusesUpstreamsNoProxyCanUse(t *testing.T) {
	for name, tc := range map[string]struct {
		edit func(c *config.Config)
		want string
	}{
		"the admin address":      {func(c *config.Config) { c.Proxy.Upstreams = []config.Address{"localhost:9464"} }, "admin"},
		"port 0 from app.listen": {func(c *config.Config) { c.App.Listen = []config.Address{"127.0.0.1:0"} }, "port 0"},
	} {
		c := config.Default()
		if err := c.Validate(); err != nil {
			t.Fatal(err)
		}
		tc.edit(c)
		if _, err := Generate(c, "test"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err = %v, want a refusal mentioning %q", name, err, tc.want)
		}
	}
}
