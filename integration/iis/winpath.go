package iis

import (
	"path"
	"regexp"
	"strings"

	"github.com/apphost/apphost/config"
)

// IIS runs on Windows, while the description is often written for a Unix
// host (supervise.command [/usr/local/bin/shop] serves systemd). A path
// that is already a Windows path is written as given; a Unix path becomes
// the program's name in the site's folder, which both HttpPlatformHandler
// and the ASP.NET Core Module resolve for a processPath starting with '.'.

// windowsAbs matches what only a Windows path looks like: a drive letter
// (C:\ or C:/), a UNC share (\\server), a backslash anywhere, or a
// %VARIABLE% that IIS expands (%HOME%, %LAUNCHER_PATH%).
var windowsAbs = regexp.MustCompile(`^[A-Za-z]:[\\/]|^\\\\|\\|^%[A-Za-z_][A-Za-z0-9_]*%`)

// isUnixPath reports whether p is a path only a Unix host reads: it holds
// a '/' and nothing Windows-specific. A bare name ("shop.exe", "dotnet")
// is neither: Windows finds it through PATH.
func isUnixPath(p string) bool {
	return strings.Contains(p, "/") && !windowsAbs.MatchString(p)
}

// ProcessPath is the processPath `gen iis` writes for supervise.command's
// program: a Windows path or a bare name as given; for a Unix path, the
// program's base name in the site's folder, with ".exe" added when it has
// no extension (/usr/local/bin/shop → .\shop.exe). The second result says
// whether the path was translated.
func ProcessPath(command string) (string, bool) {
	if !isUnixPath(command) || !config.NamesFile(command) {
		return command, false
	}
	base := path.Base(command)
	if path.Ext(base) == "" {
		base += ".exe"
	}
	return `.\` + base, true
}

// logPath is the stdoutLogFile for supervise.log_file: a Unix path keeps
// only its base name, under the site's logs folder.
func logPath(p string) string {
	if !isUnixPath(p) || !config.NamesFile(p) {
		return p
	}
	return `.\logs\` + path.Base(p)
}
