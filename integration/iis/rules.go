package iis

import (
	"strings"

	"github.com/apphost/apphost/integration/findings"
)

// Rule IDs. Each has an entry in docs/iis.md under its own heading.
const (
	RuleUnknownElement      = "iis/unknown-element"
	RuleUnknownAttribute    = "iis/unknown-attribute"
	RuleInvalidValue        = "iis/invalid-value"
	RuleValueOutOfRange     = "iis/value-out-of-range"
	RuleMissingProcessPath  = "iis/missing-process-path"
	RuleUnixProcessPath     = "iis/unix-process-path"
	RuleInProcessNonDotnet  = "iis/inprocess-non-dotnet"
	RuleStdoutLogEnabled    = "iis/stdout-log-enabled"
	RuleMissingHandler      = "iis/missing-handler"
	RuleNoForwardedProto    = "iis/rewrite-without-forwarded-proto"
	RuleBodyLimitMismatch   = "iis/body-limit-mismatch"
	RuleUpstreamMismatch    = "iis/upstream-mismatch"
	RuleAdminProxied        = "iis/admin-proxied"
	RuleProcessPathMismatch = "iis/process-path-mismatch"
)

const docsURI = "https://github.com/apphost/apphost/blob/main/docs/iis.md#"

// Rules lists every rule Check applies, for SARIF's rule table and the
// docs. The last four need the deployment description (-f).
func Rules() []findings.Rule {
	r := func(id string, sev findings.Severity, summary string) findings.Rule {
		return findings.Rule{ID: id, Severity: sev, Summary: summary, HelpURI: docsURI + strings.ReplaceAll(id, "/", "")}
	}
	return []findings.Rule{
		r(RuleUnknownElement, findings.Error, "an element IIS does not know in a checked section: IIS refuses the whole file (500.19)"),
		r(RuleUnknownAttribute, findings.Error, "an attribute IIS does not know in a checked section: IIS refuses the whole file (500.19)"),
		r(RuleInvalidValue, findings.Error, "a value IIS cannot read: not a number, boolean, hh:mm:ss time span or allowed word"),
		r(RuleValueOutOfRange, findings.Error, "a number or time span outside the range IIS documents for the attribute"),
		r(RuleMissingProcessPath, findings.Error, "httpPlatform or aspNetCore without processPath: IIS has nothing to start"),
		r(RuleUnixProcessPath, findings.Error, "processPath is a Unix path such as /usr/local/bin/shop: IIS on Windows cannot start it"),
		r(RuleInProcessNonDotnet, findings.Error, "hostingModel=\"InProcess\" for a program that is not .NET: only .NET runs inside the IIS worker process"),
		r(RuleStdoutLogEnabled, findings.Warning, "stdoutLogEnabled=\"true\": IIS never rotates or trims that log, so it grows without bound"),
		r(RuleMissingHandler, findings.Error, "httpPlatform or aspNetCore configured but no handler mapped to its module: IIS never calls it"),
		r(RuleNoForwardedProto, findings.Warning, "a rule proxying to the app without saying the scheme in the header the app reads (HTTP_X_FORWARDED_PROTO, or HTTP_FORWARDED with proto= under forwarded.headers: forwarded): the app cannot tell HTTPS from HTTP"),
		r(RuleBodyLimitMismatch, findings.Warning, "maxAllowedContentLength differs from app.limits.max_request_body"),
		r(RuleUpstreamMismatch, findings.Error, "a rule proxies to an address that is not one of the app's (proxy.upstreams or app.listen)"),
		r(RuleAdminProxied, findings.Error, "a rule proxies to an admin address (app.admin_listen, or supervise.admin_listen under the supervisor): metrics and health must never be reachable through IIS"),
		r(RuleProcessPathMismatch, findings.Warning, "processPath or arguments differ from supervise.command"),
	}
}
