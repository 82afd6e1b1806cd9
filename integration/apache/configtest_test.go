package apache

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

// rejectedByHTTPD are the rule cases whose configuration httpd refuses by
// design, each with a part of httpd's message: the finding they expect is
// about the very thing httpd refuses.
var rejectedByHTTPD = map[string]string{
	// A worker parameter that is not a number of seconds.
	"timeout= that is no number": "Timeout must be at least one second",
	"ttl= that is no number":     "TTL must be at least one second",
	// ErrorLog ${APACHE_LOG_DIR}/error.log with the variable undefined
	// names a directory called ${APACHE_LOG_DIR}, which does not exist.
	"undefined variable": "Cannot access directory",
}

// TestRuleCasesPassApacheConfigTest runs every rule case and every
// fixture in testdata/check through the real apache2 -t, as
// --apache-test does, so that the rules are tested on configuration httpd
// accepts; the cases in rejectedByHTTPD must be refused instead.
func TestRuleCasesPassApacheConfigTest(t *testing.T) {
	apache2 := harness.RequireProgram(t, "apache2")
	type conf struct{ name, text string }
	confs := []conf{{"good", good}}
	for _, tc := range append(configRuleCases(t), crossCheckCases(t)...) {
		confs = append(confs, conf{tc.name, tc.conf})
	}
	fixtures, err := filepath.Glob(filepath.Join("testdata", "check", "*.conf"))
	if err != nil || len(fixtures) == 0 {
		t.Fatalf("no fixtures in testdata/check (%v)", err)
	}
	for _, f := range fixtures {
		text, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		confs = append(confs, conf{f, string(text)})
	}
	for name := range rejectedByHTTPD {
		if !slices.ContainsFunc(confs, func(c conf) bool { return c.name == name }) {
			t.Errorf("rejectedByHTTPD names %q, which is no rule case", name)
		}
	}
	for _, c := range confs {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			site := filepath.Join(t.TempDir(), "site.conf")
			if err := os.WriteFile(site, []byte(c.text), 0o644); err != nil {
				t.Fatal(err)
			}
			loaded, err := Load([]string{site}, LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err = SyntaxCheck(ctx, apache2, []string{site}, loaded)
			want, rejected := rejectedByHTTPD[c.name]
			switch {
			case rejected && (err == nil || !strings.Contains(err.Error(), want)):
				t.Errorf("want httpd to refuse it with %q, got %v:\n%s", want, err, c.text)
			case !rejected && err != nil:
				t.Errorf("%v\n%s", err, c.text)
			}
		})
	}
}
