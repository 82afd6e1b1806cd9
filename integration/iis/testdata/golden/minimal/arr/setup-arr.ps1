# Server-level settings for "api" behind IIS Application Request Routing.
# Written by `apphost gen iis` (mode arr) from minimal.yaml; regenerate rather than edit.
#
# web.config cannot turn ARR's proxy on or allow server variables: both live in
# applicationHost.config. Run this once, in an elevated PowerShell, on the IIS
# server, after installing URL Rewrite 2.1 and Application Request Routing 3.0.
# The app itself must already listen on 127.0.0.1:5000.
param(
    # The IIS site whose physical directory holds the generated web.config.
    [string]$Site = 'api'
)
$ErrorActionPreference = 'Stop'
$appcmd = Join-Path $env:windir 'System32\inetsrv\appcmd.exe'
if (-not (Test-Path $appcmd)) { throw "IIS is not installed: $appcmd is missing" }

function Invoke-AppCmd {
    $out = & $appcmd @args
    if ($LASTEXITCODE -ne 0) { throw "appcmd $($args -join ' ') failed ($LASTEXITCODE): $out" }
    $out
}

# 1. Turn ARR's proxy on. preserveHostHeader passes the client's Host to the
#    app; reverseRewriteHostInResponseHeaders off leaves the app's Location
#    headers alone; X-Forwarded-For carries the client address without its
#    port, as every forwarded-headers parser reads it.
Invoke-AppCmd set config -section:system.webServer/proxy /enabled:"True" /preserveHostHeader:"True" /reverseRewriteHostInResponseHeaders:"False" /xForwardedForHeaderName:"X-Forwarded-For" /includePortInXForwardedFor:"False" /commit:apphost | Out-Null

# 2. Allow the rewrite rules in web.config to set these server variables;
#    without this IIS answers every proxied request with 500.50.
foreach ($name in @('HTTP_X_FORWARDED_PROTO', 'HTTP_X_FORWARDED_HOST')) {
    $allowed = Invoke-AppCmd list config $Site -section:system.webServer/rewrite/allowedServerVariables
    if (-not ($allowed -match "name=`"$name`"")) {
        Invoke-AppCmd set config $Site -section:system.webServer/rewrite/allowedServerVariables /+"[name='$name']" /commit:apphost | Out-Null
    }
}

Write-Output "ARR proxy enabled; $Site may set: HTTP_X_FORWARDED_PROTO, HTTP_X_FORWARDED_HOST"
