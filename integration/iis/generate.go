package iis

import (
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/integration/output"
)

// WebConfig is the name IIS reads in the site's or application's
// physical directory.
const WebConfig = "web.config"

// ARRScript is the PowerShell script ModeARR writes next to web.config.
const ARRScript = "setup-arr.ps1"

// Generate writes the files for mode from a validated deployment
// description: web.config, and for ModeARR also ARRScript. It fails when
// the description lacks what the mode needs (a command for
// httpplatform and ancm; one TCP upstream for arr).
func Generate(c *config.Config, mode Mode) ([]output.File, error) {
	var (
		body  []*node
		files []output.File
		err   error
	)
	switch mode {
	case ModeHTTPPlatform:
		body, err = httpPlatformSection(c)
	case ModeANCM:
		body, err = aspNetCoreSection(c)
	case ModeARR:
		var script []byte
		body, script, err = arrSection(c)
		if err == nil {
			files = append(files, output.File{Name: ARRScript, Content: script})
		}
	default:
		err = fmt.Errorf("IIS mode %q: want httpplatform, ancm or arr (see ParseMode)", string(mode))
	}
	if err != nil {
		return nil, err
	}
	server := elem("system.webServer").add(body...).add(requestLimits(c)...)
	root := elem("configuration").add(
		elem("location", "path", ".", "inheritInChildApplications", "false").add(server),
	)
	header := []string{
		fmt.Sprintf("web.config for %q behind IIS (%s).", c.Name, modeTitle(mode)),
		fmt.Sprintf("Written by `apphost gen iis` (mode %s) from %s;", mode, source(c)),
		"change the description and regenerate rather than editing this file.",
		"Check an edited copy with `apphost check iis web.config -f apphost.yaml`.",
	}
	web := output.File{Name: WebConfig, Content: render(header, root)}
	return append([]output.File{web}, files...), nil
}

func modeTitle(m Mode) string {
	switch m {
	case ModeHTTPPlatform:
		return "HttpPlatformHandler starts the app"
	case ModeANCM:
		return "the ASP.NET Core Module starts the app out of process"
	}
	return "URL Rewrite and ARR proxy to the app"
}

// source names the description without the directory it was read from,
// so the output does not depend on where the generator ran.
func source(c *config.Config) string {
	if c.File == "" {
		return "the defaults"
	}
	return filepath.Base(c.File)
}

// errNoCommand is returned for the modes where IIS starts the program.
var errNoCommand = errors.New("supervise.command is empty: IIS starts the program itself in this mode, so it needs the path of the app's executable (set supervise.command, for example [C:\\apps\\shop\\shop.exe])")

// notes turns non-empty notes into comments.
func notes(list ...string) []*node {
	var out []*node
	for _, n := range list {
		if n != "" {
			out = append(out, comment(n))
		}
	}
	return out
}

// requestLimits caps request bodies at the app's limit, so IIS refuses
// an oversized body (404.13) before starting to forward it.
func requestLimits(c *config.Config) []*node {
	value, note := contentLength(c.App.Limits.MaxRequestBody)
	out := notes(note)
	return append(out, elem("security").add(
		elem("requestFiltering").add(
			elem("requestLimits", "maxAllowedContentLength", value),
		),
	))
}

// environment lists supervise.environment (KEY=value, validated) as
// environmentVariable elements, plus extra pairs.
func environment(c *config.Config, extra ...[2]string) *node {
	vars := elem("environmentVariables")
	for _, kv := range c.Supervise.Environment {
		k, v, _ := strings.Cut(kv, "=")
		vars.add(elem("environmentVariable", "name", k, "value", v))
	}
	for _, kv := range extra {
		vars.add(elem("environmentVariable", "name", kv[0], "value", kv[1]))
	}
	if len(vars.children) == 0 {
		return nil
	}
	return vars
}
