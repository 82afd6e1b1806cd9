package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/apphost/apphost/integration/apache"
	"github.com/apphost/apphost/integration/output"
	"github.com/apphost/apphost/tests/harness"
)

// msDocsApache is the Apache recipe of "Host ASP.NET Core on Linux with
// Apache" (Microsoft Docs): the scheme set in a separate <VirtualHost *:*>
// and the proxy in its own virtual host. The app's and the listen
// addresses and the ServerName are filled in; the recipe's ErrorLog and
// CustomLog lines are left out, as logging is off for every variant.
const msDocsApache = `# Microsoft Docs, "Host ASP.NET Core on Linux with Apache", reproduced.
<VirtualHost *:*>
    RequestHeader set "X-Forwarded-Proto" expr=%%{REQUEST_SCHEME}
</VirtualHost>

<VirtualHost *:%s>
    ProxyPreserveHost On
    ProxyPass / http://%s/
    ProxyPassReverse / http://%s/
    ServerName %s
    ServerAlias *.example.com
</VirtualHost>
`

// apacheMPM sizes mpm_event for the benchmark's load, the same for every
// variant. With httpd's defaults (25 threads per child) the load
// generator's connections fill a child's workers, and a child whose
// workers are all busy closes its idle keep-alive connections "so that
// they may connect to another process"; a request the client sent on one
// at that moment is lost (a wrk read error). A child stopped for having
// more than MaxSpareThreads idle threads closes its keep-alive
// connections too. So: two children, each with a thread per connection
// and some to spare, never stopped while the benchmark runs.
const apacheMPM = `# mpm_event sized for the benchmark: see tests/bench/apache.go.
StartServers 2
ServerLimit 2
ThreadLimit %[1]d
ThreadsPerChild %[1]d
MaxRequestWorkers %[2]d
MinSpareThreads 25
MaxSpareThreads %[2]d
`

// startApache runs httpd (mpm_event) in the foreground in its own server
// root dir, loading modules and including site; with sized, under
// apacheMPM, else under httpd's default mpm_event settings.
func (b *bench) startApache(ctx context.Context, name, dir string, modules []string, site, listen string, sized bool) error {
	bin, err := program("apache2")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	root := apache.ServerRoot{Dir: dir, Modules: modules, Listen: []string{listen}, Include: []string{site}}
	if sized {
		mpm := filepath.Join(dir, "mpm.conf")
		threads := b.connections + 32
		if err := os.WriteFile(mpm, fmt.Appendf(nil, apacheMPM, threads, 2*threads), 0o644); err != nil {
			return err
		}
		root.Include = []string{mpm, site}
	}
	main, err := root.Write()
	if err != nil {
		return err
	}
	if err := apache.ConfigTest(ctx, bin, main); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return b.startServer(ctx, name, exec.Command(bin, "-f", main, "-DFOREGROUND"), listen, filepath.Join(dir, "error.log"))
}

func (b *bench) apache(ctx context.Context) (report, error) {
	p, err := b.proxied(ctx, "apache", "Apache")
	if err != nil {
		return report{}, err
	}
	recipe := filepath.Join(p.dir, "recipe", "recipe.conf")
	_, recipePort, _ := strings.Cut(p.recipe, ":")
	if err := output.WriteFile(recipe, fmt.Appendf(nil, msDocsApache, recipePort, p.app, p.app, benchHost), 0o644); err != nil {
		return report{}, err
	}
	defaultAddr, err := harness.FreeLoopbackAddr()
	if err != nil {
		return report{}, err
	}
	// The same site, moved to another address, under httpd's default MPM.
	generated, err := os.ReadFile(p.site)
	if err != nil {
		return report{}, err
	}
	defaultSite := filepath.Join(p.dir, "default-mpm", "site.conf")
	if err := output.WriteFile(defaultSite, []byte(strings.ReplaceAll(string(generated), p.gen, defaultAddr)), 0o644); err != nil {
		return report{}, err
	}
	modules := apache.Modules(p.cfg)
	starts := []struct {
		name, dir  string
		modules    []string
		site, addr string
		sized      bool
	}{
		{"apache2 (generated)", "generated", modules, p.site, p.gen, true},
		{"apache2 (recipe)", "recipe", []string{"headers", "proxy", "proxy_http"}, recipe, p.recipe, true},
		{"apache2 (generated, default MPM)", "default-mpm", modules, defaultSite, defaultAddr, false},
	}
	for _, s := range starts {
		if err := b.startApache(ctx, s.name, filepath.Join(p.dir, s.dir, "root"), s.modules, s.site, s.addr, s.sized); err != nil {
			return report{}, err
		}
	}
	list, r, err := b.wrkTable(ctx,
		[]string{"direct to the host", "generated (apphost gen apache)", "Microsoft Docs recipe", "generated, httpd's default mpm_event sizing"},
		[]string{"http://" + p.app + "/", "http://" + p.gen + "/", "http://" + p.recipe + "/", "http://" + defaultAddr + "/"})
	if err != nil {
		return report{}, err
	}
	r.intro = []string{b.intro("wrk") + " httpd runs mpm_event with httpd's keep-alive defaults (KeepAlive On, " +
		"MaxKeepAliveRequests 100, KeepAliveTimeout 5) and no access log; the first three rows with two children of " +
		"-connections + 32 threads each, the last with httpd's default sizing (25 threads per child), whose busy " +
		"children close idle keep-alive connections under this load: its socket errors come from there, not from the site."}
	gen := list[1]
	r.notes = append(r.notes, target("generated: socket errors", fmt.Sprint(gen.SocketErrors()), "0", gen.SocketErrors() == 0),
		fmt.Sprintf("- generated / recipe: %.2f (no target)", pairedRatio(gen, list[2])),
		fmt.Sprintf("- generated under httpd's default MPM sizing: %d socket errors (no target)", list[3].SocketErrors()))
	return r, nil
}
