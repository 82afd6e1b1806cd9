package iis

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/integration/findings"
)

// crossCheck compares the web.config with the deployment description.
func (ck *checker) crossCheck(servers []*Element, c *config.Config) {
	ck.bodyLimit(servers, c)
	ck.upstreams(servers, c)
	ck.process(servers, c)
}

// bodyLimit compares maxAllowedContentLength (IIS's default 30000000
// when absent) with the app's limit as Generate writes it.
func (ck *checker) bodyLimit(servers []*Element, c *config.Config) {
	want := expectedContentLength(c.App.Limits.MaxRequestBody)
	got, line, where := uint64(iisDefaultContentLength), 0, "IIS's default maxAllowedContentLength"
	for _, rl := range find(servers, "security", "requestFiltering", "requestLimits") {
		if a, ok := rl.Attr("maxAllowedContentLength"); ok {
			n, err := strconv.ParseUint(strings.TrimSpace(a.Value), 10, 64)
			if err != nil {
				return // reported as an invalid value
			}
			got, line, where = n, a.Line, "maxAllowedContentLength"
		}
	}
	if got == want {
		return
	}
	effect := "IIS refuses bodies the app accepts, with 404.13 instead of the app's 413"
	if got > want {
		effect = "IIS forwards bodies the app then refuses with 413, after reading them"
	}
	ck.add(RuleBodyLimitMismatch, findings.Warning, line,
		fmt.Sprintf("%s is %d bytes but app.limits.max_request_body is %s (%d): %s", where, got, c.App.Limits.MaxRequestBody, want, effect),
		fmt.Sprintf(`set <requestLimits maxAllowedContentLength="%d" /> in <security><requestFiltering>`, want))
}

// upstreams checks where proxy rules send requests: to one of the app's
// addresses, and never to an admin address (see
// config.Config.ProxyTarget). IIS reaches the app over TCP only, so the
// hints name the app's TCP addresses.
func (ck *checker) upstreams(servers []*Element, c *config.Config) {
	var names []string
	for _, u := range c.ProxyUpstreams() {
		if !u.IsUnix() {
			names = append(names, string(u))
		}
	}
	for _, p := range proxyRules(servers) {
		if p.authority == "" {
			continue
		}
		var admin *config.AdminAddress
		var ups []config.Address
		if got, err := config.ParseAddress(p.authority); err == nil {
			admin, ups = c.ProxyTarget(got)
		}
		switch {
		case admin != nil:
			ck.add(RuleAdminProxied, findings.Error, p.action.Line,
				fmt.Sprintf("the rule proxies to %s, an admin address (%s %s): metrics and health checks become public", p.authority, admin.Key, admin.Addr),
				"proxy to the app's public address ("+strings.Join(names, ", ")+") instead")
		case len(ups) == 0:
			ck.add(RuleUpstreamMismatch, findings.Error, p.action.Line,
				fmt.Sprintf("the rule proxies to %s, which is not an address of the app (%s)", p.authority, strings.Join(names, ", ")),
				"change the rule's action url, or proxy.upstreams in the description, so they agree")
		}
	}
}

// process compares the program IIS starts with supervise.command.
func (ck *checker) process(servers []*Element, c *config.Config) {
	cmd := c.Supervise.Command
	if len(cmd) == 0 {
		return
	}
	for _, name := range []string{"httpPlatform", "aspNetCore"} {
		for _, sec := range find(servers, name) {
			pp, ok := sec.Attr("processPath")
			if !ok {
				continue
			}
			args, _ := sec.Attr("arguments")
			wantArgs := windowsArgs(cmd[1:])
			wantPath, _ := ProcessPath(cmd[0])
			if strings.EqualFold(pp.Value, wantPath) && strings.TrimSpace(args.Value) == strings.TrimSpace(wantArgs) {
				continue
			}
			ck.add(RuleProcessPathMismatch, findings.Warning, pp.Line,
				fmt.Sprintf("<%s> starts %s but supervise.command is %s", name, strings.TrimSpace(pp.Value+" "+args.Value), strings.TrimSpace(cmd[0]+" "+wantArgs)),
				fmt.Sprintf(`set processPath="%s" arguments="%s", or change supervise.command`, escapeAttr(wantPath), escapeAttr(wantArgs)))
		}
	}
}
