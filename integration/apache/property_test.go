package apache

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

// Random valid descriptions always generate sites with zero findings,
// against themselves and alone (unless the app reads no forwarding
// headers); every tenth passes the real apache2 -t
// with the modules the site names.
func TestRandomDescriptionsGenerateCleanSites(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 2026))
	apache2 := ""
	valid, tested := 0, 0
	for i := range 200 {
		c := harness.RandomDescription(r.IntN)
		if c.Validate() != nil {
			continue // an invalid combination is the config package's concern
		}
		valid++
		dir := t.TempDir()
		site := filepath.Join(dir, "site.conf")
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			if c.Proxy.TLS != nil && i%10 == 0 {
				cert := harness.SelfSignedCert(t, dir, "localhost")
				c.Proxy.TLS.Certificate, c.Proxy.TLS.CertificateKey = cert.CertFile, cert.KeyFile
			}
			requireNoFindings(t, c, site)
		})
		if i%10 != 0 {
			continue
		}
		if apache2 == "" {
			apache2 = harness.RequireProgram(t, "apache2")
		}
		root := ServerRoot{Dir: dir, Modules: Modules(c), Listen: ListenAddresses(c), Include: []string{site}}
		main, err := root.Write()
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		if err := ConfigTest(ctx, apache2, main); err != nil {
			t.Errorf("description %d: %v", i, err)
		}
		cancel()
		tested++
	}
	if valid < 150 || tested < 15 {
		t.Errorf("only %d valid descriptions of 200, %d through apache2 -t", valid, tested)
	}
	t.Logf("%d valid descriptions, %d through apache2 -t", valid, tested)
}
