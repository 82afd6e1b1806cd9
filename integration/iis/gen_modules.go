package iis

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/apphost/apphost/config"
)

// moduleValues are the attributes httpPlatform and aspNetCore share,
// derived from the supervise section.
type moduleValues struct {
	processPath, arguments string
	startupTimeLimit       string
	rapidFails             string
	stdoutLogFile          string
	notes                  []string
}

func deriveModuleValues(c *config.Config) (moduleValues, error) {
	s := c.Supervise
	if len(s.Command) == 0 || strings.TrimSpace(s.Command[0]) == "" {
		return moduleValues{}, errNoCommand
	}
	if err := checkXMLText("supervise.command", s.Command...); err != nil {
		return moduleValues{}, err
	}
	if err := checkXMLText("supervise.environment", s.Environment...); err != nil {
		return moduleValues{}, err
	}
	if err := checkXMLText("supervise.log_file", s.LogFile); err != nil {
		return moduleValues{}, err
	}
	v := moduleValues{arguments: windowsArgs(s.Command[1:])}
	var translated bool
	v.processPath, translated = ProcessPath(s.Command[0])
	if translated {
		v.notes = append(v.notes, fmt.Sprintf(`supervise.command %s is a Unix path: IIS starts %s in the site's folder. For another program, give supervise.command its Windows path (C:\sites\%s\...).`,
			s.Command[0], v.processPath, c.Name))
	}
	var n1, n2 string
	v.startupTimeLimit, n1 = seconds("supervise.startup_timeout", s.StartupTimeout, maxStartupTimeLimit)
	v.rapidFails, n2 = count("supervise.rapid_fails_per_minute", s.RapidFailsPerMinute, maxRapidFails)
	v.notes = append(v.notes, n1, n2)
	v.stdoutLogFile = logPath(s.LogFile)
	if v.stdoutLogFile == "" {
		v.stdoutLogFile = `.\logs\` + c.Name + "-stdout"
	}
	return v, nil
}

const stdoutNote = "stdoutLogEnabled stays false: IIS never rotates or trims that log. Turn it on only while diagnosing a start-up failure."

// httpPlatformSection is the handler mapping and the httpPlatform section:
// HttpPlatformHandler starts processPath, passes a free port in
// HTTP_PLATFORM_PORT (the host listens there on 127.0.0.1 only) and
// proxies every request to it.
func httpPlatformSection(c *config.Config) ([]*node, error) {
	v, err := deriveModuleValues(c)
	if err != nil {
		return nil, err
	}
	retries := strconv.Itoa(defaultStartupRetryCount)
	if c.Supervise.Restart == "never" {
		retries = "0"
	}
	section := elem("httpPlatform",
		"processPath", v.processPath,
		"arguments", v.arguments,
		"startupTimeLimit", v.startupTimeLimit,
		"startupRetryCount", retries,
		"rapidFailsPerMinute", v.rapidFails,
		"requestTimeout", defaultRequestTimeout,
		"stdoutLogEnabled", "false",
		"stdoutLogFile", v.stdoutLogFile,
	)
	var extra [][2]string
	if p := c.Proxy.PathPrefix; p != "" {
		// HttpPlatformHandler forwards the full path; the host strips the
		// application's virtual path when it knows it.
		extra = append(extra, [2]string{"ASPNETCORE_APPL_PATH", p})
	}
	if env := environment(c, extra...); env != nil {
		section.add(env)
	}
	out := []*node{
		elem("handlers").add(
			elem("add", "name", "httpPlatformHandler", "path", "*", "verb", "*", "modules", "httpPlatformHandler", "resourceType", "Unspecified"),
		),
	}
	out = append(out, notes(v.notes...)...)
	out = append(out, comment(stdoutNote), section)
	return out, nil
}

// aspNetCoreSection is the handler mapping and the aspNetCore section for
// the ASP.NET Core Module V2, out of process: the module starts
// processPath with ASPNETCORE_PORT, ASPNETCORE_TOKEN and
// ASPNETCORE_APPL_PATH set, proxies with the pairing token and stops the
// app with a shutdown event, waiting shutdownTimeLimit for it to exit.
func aspNetCoreSection(c *config.Config) ([]*node, error) {
	v, err := deriveModuleValues(c)
	if err != nil {
		return nil, err
	}
	shutdown, note := seconds("supervise.stop_timeout", c.Supervise.StopTimeout, maxShutdownTimeLimit)
	section := elem("aspNetCore",
		"processPath", v.processPath,
		"arguments", v.arguments,
		"hostingModel", "OutOfProcess",
		"startupTimeLimit", v.startupTimeLimit,
		"shutdownTimeLimit", shutdown,
		"rapidFailsPerMinute", v.rapidFails,
		"requestTimeout", defaultRequestTimeout,
		"stdoutLogEnabled", "false",
		"stdoutLogFile", v.stdoutLogFile,
		// The module's default, true, hands the process a Windows token
		// handle for every request, which only .NET can use.
		"forwardWindowsAuthToken", "false",
	)
	if env := environment(c); env != nil {
		section.add(env)
	}
	out := []*node{
		elem("handlers").add(
			elem("add", "name", "aspNetCore", "path", "*", "verb", "*", "modules", "AspNetCoreModuleV2", "resourceType", "Unspecified"),
		),
	}
	out = append(out, notes(append(v.notes, note)...)...)
	out = append(out,
		comment("hostingModel must stay OutOfProcess: only .NET code can run inside the IIS worker process."),
		comment(stdoutNote), section)
	return out, nil
}
