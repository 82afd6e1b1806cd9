package nginx_test

import (
	"path/filepath"
	"slices"
	"testing"

	"github.com/apphost/apphost/integration/findings"
	"github.com/apphost/apphost/integration/nginx"
)

// Configurations people really run parse without errors; their warnings
// are their real problems.
func TestRealConfigurationsHaveNoErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		file string
		// want are the rules expected to fire, each once.
		want []string
	}{
		{"debian default site", "debian-default", nil},
		{"microsoft docs recipe", "microsoft-docs-recipe.conf", []string{nginx.RuleEdgeAppendsForwarded, nginx.RuleNoUpstreamKeepalive}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tree, syntax, err := nginx.Read(filepath.Join("testdata/real", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if !tree.Site {
				t.Errorf("%s was not read as a site file", tc.file)
			}
			list := append(syntax, nginx.CheckTree(tree, nil)...)
			var rules []string
			for _, f := range list {
				if f.Severity == findings.Error {
					t.Errorf("error finding: %s", f)
				}
				rules = append(rules, f.Rule)
			}
			slices.Sort(rules)
			if !slices.Equal(rules, tc.want) {
				t.Errorf("rules %v, want %v:\n%s", rules, tc.want, describe(list))
			}
		})
	}
}

// A full nginx.conf is read with its includes and globs, and inheritance
// is followed across files: the location's included proxy_params drops
// the http-level X-Forwarded-Proto.
func TestFullConfigurationFollowsIncludes(t *testing.T) {
	tree, syntax, err := nginx.Read("testdata/full/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	if len(syntax) > 0 {
		t.Fatalf("syntax findings:\n%s", describe(syntax))
	}
	if tree.Site {
		t.Error("nginx.conf was read as a site file")
	}
	if len(tree.Files) != 5 {
		t.Errorf("files read: %v, want nginx.conf, mime.types, conf.d/upstream.conf, sites-enabled/app, proxy_params", tree.Files)
	}
	got := map[string]findings.Finding{}
	for _, f := range nginx.CheckTree(tree, nil) {
		got[f.Rule] = f
	}
	dropped, ok := got[nginx.RuleProxySetHeaderDropped]
	if !ok || filepath.Base(dropped.File) != "proxy_params" || dropped.Line != 1 {
		t.Errorf("want %s at proxy_params:1, got %+v", nginx.RuleProxySetHeaderDropped, dropped)
	}
	proto, ok := got[nginx.RuleNoForwardedProto]
	if !ok || filepath.Base(proto.File) != "app" || proto.Line != 5 {
		t.Errorf("want %s at sites-enabled/app:5, got %+v", nginx.RuleNoForwardedProto, proto)
	}
	if len(got) != 2 {
		t.Errorf("findings: %v", got)
	}
}
