package iis

import (
	"fmt"
	"path"
	"strings"

	"github.com/apphost/apphost/integration/findings"
)

// handlerFor returns, for a process-starting section, the modules a
// handler mapping must name (handlers/add@modules) and the usual name of
// that mapping.
func handlerFor(section string) (modules []string, handler string) {
	if section == "httpPlatform" {
		return []string{"httpPlatformHandler"}, "httpPlatformHandler"
	}
	return []string{"AspNetCoreModuleV2", "AspNetCoreModule"}, "aspNetCore"
}

// modules checks the httpPlatform and aspNetCore sections: a program to
// start, out of process, a bounded log, and a handler that calls them.
func (ck *checker) modules(servers []*Element) {
	for _, name := range []string{"httpPlatform", "aspNetCore"} {
		for _, sec := range find(servers, name) {
			pp, ok := sec.Attr("processPath")
			if !ok || strings.TrimSpace(pp.Value) == "" {
				ck.add(RuleMissingProcessPath, findings.Error, sec.Line,
					fmt.Sprintf("<%s> has no processPath: IIS has no program to start", name),
					`set processPath to the app's executable, such as processPath=".\shop.exe"`)
			} else if isUnixPath(pp.Value) {
				win, named := ProcessPath(pp.Value)
				if !named { // a directory such as "/": no program to name
					win = `.\shop.exe`
				}
				ck.add(RuleUnixProcessPath, findings.Error, pp.Line,
					fmt.Sprintf("<%s processPath=%q> is a Unix path: IIS runs on Windows and cannot start it (502.5)", name, pp.Value),
					fmt.Sprintf(`give the Windows path of the executable, such as processPath="%s" (in the site's folder) or C:\sites\...\%s`, escapeAttr(win), strings.TrimPrefix(win, `.\`)))
			}
			if a, ok := sec.Attr("stdoutLogEnabled"); ok && strings.EqualFold(strings.TrimSpace(a.Value), "true") {
				ck.add(RuleStdoutLogEnabled, findings.Warning, a.Line,
					fmt.Sprintf("<%s stdoutLogEnabled=\"true\">: IIS never rotates or trims %s, so it grows until the disk is full", name, logFile(sec)),
					`set stdoutLogEnabled="false" once the start-up problem is found; the app's own logs belong in a rotated log`)
			}
			if name == "aspNetCore" {
				ck.hostingModel(sec)
			}
			if modules, handler := handlerFor(name); !ck.handled(servers, modules) {
				ck.add(RuleMissingHandler, findings.Error, sec.Line,
					fmt.Sprintf("<%s> is configured but no <handlers><add modules=%q> maps requests to it: IIS serves the directory instead of starting the app", name, modules[0]),
					fmt.Sprintf(`add <add name="%s" path="*" verb="*" modules="%s" resourceType="Unspecified" /> to <handlers>`, handler, modules[0]))
			}
		}
	}
}

func logFile(sec *Element) string {
	if a, ok := sec.Attr("stdoutLogFile"); ok && a.Value != "" {
		return a.Value
	}
	return "the stdout log"
}

// handled reports whether some handler mapping calls one of the modules.
func (ck *checker) handled(servers []*Element, modules []string) bool {
	for _, add := range find(servers, "handlers", "add") {
		if m, ok := add.Attr("modules"); ok {
			for _, part := range strings.Split(m.Value, ",") {
				if equalFoldAny(strings.TrimSpace(part), modules...) {
					return true
				}
			}
		}
	}
	return false
}

// hostingModel flags InProcess for anything but the .NET launcher: the
// module then loads the app as a .NET assembly into w3wp.exe, which a Go
// (or any native) program is not.
func (ck *checker) hostingModel(sec *Element) {
	hm, ok := sec.Attr("hostingModel")
	if !ok || !strings.EqualFold(strings.TrimSpace(hm.Value), "InProcess") {
		return
	}
	pp, _ := sec.Attr("processPath")
	if isDotnet(pp.Value) {
		return
	}
	ck.add(RuleInProcessNonDotnet, findings.Error, hm.Line,
		fmt.Sprintf("hostingModel=\"InProcess\" with processPath \"%s\": only .NET apps run inside the IIS worker process; this one fails to start (500.30)", pp.Value),
		`set hostingModel="OutOfProcess" (or remove it: out of process is the module's default)`)
}

// isDotnet reports whether processPath is the dotnet host or the
// launcher placeholder Visual Studio writes.
func isDotnet(processPath string) bool {
	p := strings.TrimSpace(processPath)
	if strings.EqualFold(p, "%LAUNCHER_PATH%") {
		return true
	}
	base := path.Base(strings.ReplaceAll(p, `\`, "/"))
	return equalFoldAny(base, "dotnet", "dotnet.exe")
}
