package iis

import (
	"fmt"
	"strings"
	"time"

	"github.com/apphost/apphost/config"
)

// arrScript is the PowerShell script for the settings ARR mode needs that
// web.config cannot hold: they live in applicationHost.config. It is safe
// to run again: each step first looks at what is already set.
func arrScript(c *config.Config, upstream string) []byte {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("# Server-level settings for %q behind IIS Application Request Routing.", c.Name)
	line("# Written by `apphost gen iis` (mode arr) from %s; regenerate rather than edit.", source(c))
	line("#")
	line("# web.config cannot turn ARR's proxy on or allow server variables: both live in")
	line("# applicationHost.config. Run this once, in an elevated PowerShell, on the IIS")
	line("# server, after installing URL Rewrite 2.1 and Application Request Routing 3.0.")
	line("# The app itself must already listen on %s.", upstream)
	line("param(")
	line("    # The IIS site whose physical directory holds the generated web.config.")
	line("    [string]$Site = '%s'", psQuote(c.Name))
	line(")")
	line("$ErrorActionPreference = 'Stop'")
	line("$appcmd = Join-Path $env:windir 'System32\\inetsrv\\appcmd.exe'")
	line("if (-not (Test-Path $appcmd)) { throw \"IIS is not installed: $appcmd is missing\" }")
	line("")
	line("function Invoke-AppCmd {")
	line("    $out = & $appcmd @args")
	line("    if ($LASTEXITCODE -ne 0) { throw \"appcmd $($args -join ' ') failed ($LASTEXITCODE): $out\" }")
	line("    $out")
	line("}")
	line("")
	line("# 1. Turn ARR's proxy on. preserveHostHeader passes the client's Host to the")
	line("#    app; reverseRewriteHostInResponseHeaders off leaves the app's Location")
	line("#    headers alone; X-Forwarded-For carries the client address without its")
	line("#    port, as every forwarded-headers parser reads it.")
	line("Invoke-AppCmd set config -section:system.webServer/proxy /enabled:\"True\" /preserveHostHeader:\"True\" /reverseRewriteHostInResponseHeaders:\"False\" /xForwardedForHeaderName:\"X-Forwarded-For\" /includePortInXForwardedFor:\"False\" /commit:apphost | Out-Null")
	line("")
	line("# 2. Allow the rewrite rules in web.config to set these server variables;")
	line("#    without this IIS answers every proxied request with 500.50.")
	vars := []string{varForwardedProto, varForwardedHost}
	if c.Proxy.PathPrefix != "" {
		vars = append(vars, varForwardedPrefix)
	}
	line("foreach ($name in @(%s)) {", psList(vars))
	line("    $allowed = Invoke-AppCmd list config $Site -section:system.webServer/rewrite/allowedServerVariables")
	line("    if (-not ($allowed -match \"name=`\"$name`\"\")) {")
	line("        Invoke-AppCmd set config $Site -section:system.webServer/rewrite/allowedServerVariables /+\"[name='$name']\" /commit:apphost | Out-Null")
	line("    }")
	line("}")
	if t := c.Proxy.TLS; t != nil && t.HSTSMaxAge > 0 {
		line("")
		line("# 3. HSTS on the site (IIS 10, version 1709 and later), as proxy.tls.hsts_max_age says.")
		line("Invoke-AppCmd set config -section:system.applicationHost/sites \"/[name='$Site'].hsts.enabled:True\" \"/[name='$Site'].hsts.max-age:%d\" /commit:apphost | Out-Null", int64(t.HSTSMaxAge/time.Second))
	}
	if c.Proxy.Websockets {
		line("")
		line("# WebSocket requests pass through ARR only with IIS's WebSocket Protocol feature.")
		line("if (Get-Command Install-WindowsFeature -ErrorAction SilentlyContinue) { Install-WindowsFeature Web-WebSockets | Out-Null }")
	}
	line("")
	line("Write-Output \"ARR proxy enabled; $Site may set: %s\"", strings.Join(vars, ", "))
	return []byte(b.String())
}

// psQuote escapes a value for a single-quoted PowerShell string.
func psQuote(s string) string { return strings.ReplaceAll(s, "'", "''") }

func psList(vals []string) string {
	q := make([]string, len(vals))
	for i, v := range vals {
		q[i] = "'" + psQuote(v) + "'"
	}
	return strings.Join(q, ", ")
}
