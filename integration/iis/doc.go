// Package iis writes and checks the web.config that puts a Go service
// behind Internet Information Services, in one of the three ways IIS
// hosts a process that is not .NET:
//
//   - ModeHTTPPlatform: HttpPlatformHandler starts the program and passes
//     the port in HTTP_PLATFORM_PORT (system.webServer/httpPlatform);
//   - ModeANCM: the ASP.NET Core Module starts it out of process, passing
//     ASPNETCORE_PORT, ASPNETCORE_TOKEN and ASPNETCORE_APPL_PATH
//     (system.webServer/aspNetCore with hostingModel="OutOfProcess");
//   - ModeARR: URL Rewrite and Application Request Routing proxy to an app
//     that runs on its own (system.webServer/rewrite), plus a PowerShell
//     script for the server-level settings web.config cannot hold.
//
// Generate derives every value from the deployment description: the
// program from supervise.command, the time limits from supervise's
// timeouts, maxAllowedContentLength from app.limits.max_request_body, each
// kept inside the range IIS documents for the attribute.
//
// Parse reads a web.config keeping the line of every element and
// attribute; Check applies the rules listed by Rules to it, and with a
// deployment description cross-checks the body limit, the proxied address
// and the program. Lint validates files with xmllint against the XML
// schema of the sections written here (SchemaXSD).
package iis
