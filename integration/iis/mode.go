package iis

import (
	"fmt"
	"strings"
)

// Mode is how IIS reaches the app.
type Mode string

const (
	// ModeHTTPPlatform: HttpPlatformHandler starts the program and proxies
	// to the port it passes in HTTP_PLATFORM_PORT.
	ModeHTTPPlatform Mode = "httpplatform"
	// ModeANCM: the ASP.NET Core Module (V2) starts the program out of
	// process and proxies to ASPNETCORE_PORT with a pairing token.
	ModeANCM Mode = "ancm"
	// ModeARR: URL Rewrite with Application Request Routing proxies to an
	// app that something else (apphost supervise, a Windows service) runs.
	ModeARR Mode = "arr"
)

// Modes lists every mode, in the order the docs present them.
func Modes() []Mode { return []Mode{ModeHTTPPlatform, ModeANCM, ModeARR} }

// ParseMode reads a mode name, case-insensitively.
func ParseMode(s string) (Mode, error) {
	for _, m := range Modes() {
		if strings.EqualFold(s, string(m)) {
			return m, nil
		}
	}
	return "", fmt.Errorf("IIS mode %q: want httpplatform, ancm or arr", s)
}
