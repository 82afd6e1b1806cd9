package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/integration/output"
	"github.com/apphost/apphost/tests/harness"
)

// description is the apphost.yaml the proxies are generated from: hello
// on app, the proxy on proxy, everything else at its default.
const description = `# The benchmark's deployment: hello on loopback behind the proxy.
name: bench
app:
  listen: [%s]
  admin_listen: "off"
proxy:
  server_names: [%s]
  http_listen: %s
`

// generate writes the description into dir and runs `apphost gen KIND`
// on it; it returns the loaded description and the generated site file.
func (b *bench) generate(ctx context.Context, kind, dir, app, proxy string) (*config.Config, string, error) {
	apphost, err := b.build(ctx, "cmd/apphost")
	if err != nil {
		return nil, "", err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, "", err
	}
	desc := filepath.Join(dir, "apphost.yaml")
	if err := os.WriteFile(desc, fmt.Appendf(nil, description, app, benchHost, proxy), 0o644); err != nil {
		return nil, "", err
	}
	out, err := exec.CommandContext(ctx, apphost, "gen", kind, "-f", desc, "-o", dir).CombinedOutput()
	if err != nil {
		return nil, "", fmt.Errorf("apphost gen %s: %w\n%s", kind, err, out)
	}
	c, err := config.Load(desc)
	if err != nil {
		return nil, "", err
	}
	return c, filepath.Join(dir, c.Name+".conf"), nil
}

// msDocsNginx is the nginx recipe of "Host ASP.NET Core on Linux with
// Nginx" (Microsoft Docs), as published: the app's address and the
// listen address are the only changes (and server_name, so that the
// benchmark's Host header selects it as it would www.example.com).
const msDocsNginx = `# Microsoft Docs, "Host ASP.NET Core on Linux with Nginx", reproduced.
server {
    listen        %s;
    server_name   %s *.example.com;
    location / {
        proxy_pass         http://%s;
        proxy_http_version 1.1;
        proxy_set_header   Upgrade $http_upgrade;
        proxy_set_header   Connection keep-alive;
        proxy_set_header   Host $host;
        proxy_cache_bypass $http_upgrade;
        proxy_set_header   X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header   X-Forwarded-Proto $scheme;
    }
}
`

// nginxMain is the main configuration both nginx variants run under:
// Debian's defaults for workers (one per CPU, 768 connections each, more
// when the benchmark opens more), no access log, every file in prefix.
const nginxMain = `# Main configuration of the benchmark's nginx.
%sworker_processes auto;
pid %s/nginx.pid;
error_log %s/error.log warn;
events {
    worker_connections %d;
}
http {
    client_body_temp_path %s/client_body_temp;
    proxy_temp_path %s/proxy_temp;
    fastcgi_temp_path %s/fastcgi_temp;
    uwsgi_temp_path %s/uwsgi_temp;
    scgi_temp_path %s/scgi_temp;
    access_log off;
    include %s;
}
`

// startNginx runs nginx in the foreground on site, in its own prefix.
func (b *bench) startNginx(ctx context.Context, name, prefix, site, listen string) error {
	bin, err := program("nginx")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(prefix, 0o755); err != nil {
		return err
	}
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;\n" // the workers reach the prefix as its owner
	}
	conf := filepath.Join(prefix, "nginx.conf")
	main := fmt.Sprintf(nginxMain, user, prefix, prefix, max(768, 4*b.connections), prefix, prefix, prefix, prefix, prefix, site)
	if err := os.WriteFile(conf, []byte(main), 0o644); err != nil {
		return err
	}
	errorLog := filepath.Join(prefix, "error.log")
	return b.startServer(ctx, name, exec.Command(bin, "-p", prefix+"/", "-e", errorLog, "-c", conf, "-g", "daemon off;"), listen, errorLog)
}

// startServer starts a proxy server and waits until it listens on listen;
// when it does not, the error carries the server's error log.
func (b *bench) startServer(ctx context.Context, name string, cmd *exec.Cmd, listen, errorLog string) error {
	p, err := b.procs.start(name, cmd)
	if err != nil {
		return err
	}
	if err := p.waitListening(ctx, listen, 15*time.Second); err != nil {
		log, _ := os.ReadFile(errorLog)
		return fmt.Errorf("%w\n%s:\n%s", err, filepath.Base(errorLog), log)
	}
	return nil
}

// proxied is what the nginx and Apache sections share: hello behind the
// host, the site apphost generates for it in dir/generated to listen on
// gen, and a free address for the recipe.
type proxied struct {
	app, gen, recipe string
	dir, site        string
	cfg              *config.Config
}

// proxied starts hello for the proxy kind ("nginx", "apache") and
// generates its site.
func (b *bench) proxied(ctx context.Context, kind, name string) (proxied, error) {
	var p proxied
	var err error
	if p.app, err = b.startHello(ctx, "hello -host (behind "+name+")", "-host"); err != nil {
		return p, err
	}
	if p.gen, err = harness.FreeLoopbackAddr(); err != nil {
		return p, err
	}
	if p.recipe, err = harness.FreeLoopbackAddr(); err != nil {
		return p, err
	}
	p.dir = filepath.Join(b.tmp, kind)
	p.cfg, p.site, err = b.generate(ctx, kind, filepath.Join(p.dir, "generated"), p.app, p.gen)
	return p, err
}

func (b *bench) nginx(ctx context.Context) (report, error) {
	p, err := b.proxied(ctx, "nginx", "nginx")
	if err != nil {
		return report{}, err
	}
	recipe := filepath.Join(p.dir, "recipe", "recipe.conf")
	if err := output.WriteFile(recipe, fmt.Appendf(nil, msDocsNginx, p.recipe, benchHost, p.app), 0o644); err != nil {
		return report{}, err
	}
	if err := b.startNginx(ctx, "nginx (generated)", filepath.Join(p.dir, "generated", "prefix"), p.site, p.gen); err != nil {
		return report{}, err
	}
	if err := b.startNginx(ctx, "nginx (recipe)", filepath.Join(p.dir, "recipe", "prefix"), recipe, p.recipe); err != nil {
		return report{}, err
	}
	list, r, err := b.wrkTable(ctx,
		[]string{"direct to the host", "generated (apphost gen nginx)", "Microsoft Docs recipe"},
		[]string{"http://" + p.app + "/", "http://" + p.gen + "/", "http://" + p.recipe + "/"})
	if err != nil {
		return report{}, err
	}
	r.intro = []string{b.intro("wrk") + " Both nginx run under the same main configuration (worker_processes auto, access_log off)."}
	gen := pairedRatio(list[1], list[2])
	r.notes = append(r.notes, target("generated / recipe", fmt.Sprintf("%.3f", gen), "≥ 3", gen >= 3))
	if lo, hi, err := harness.EphemeralPortRange(); err == nil {
		r.notes = append(r.notes, recipeNote(list[2].RPS, hi-lo+1))
	}
	return r, nil
}

// recipeNote gives the recipe's rate, one new connection to the app per
// request, as a share of the ephemeral port range of ports ports.
func recipeNote(rps float64, ports int) string {
	return fmt.Sprintf("- the recipe opens a new connection to the app for every request: %.0f per second, %.0f %% of the %d-port ephemeral range each second (no target; from about half the range per second, the ports limit this rate, not the CPU: see docs/performance.md)",
		rps, 100*rps/float64(ports), ports)
}
