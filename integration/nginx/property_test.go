package nginx_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/integration/nginx"
	"github.com/apphost/apphost/tests/harness"
)

// randomDescription builds a valid description and an nginx version from
// choices: pick(n) returns a number in [0, n).
func randomDescription(pick func(int) int) (*config.Config, nginx.Version, error) {
	c := harness.RandomDescription(pick)
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
