package iis

import "testing"

// processPath is a path Windows can start: Unix paths from a description
// written for systemd become the program in the site's folder; Windows
// paths, bare names and IIS's variables stay as written.
func TestProcessPath(t *testing.T) {
	tests := []struct {
		name, command, want string
		translated          bool
	}{
		// Unix paths
		{"absolute unix path", "/usr/local/bin/shop", `.\shop.exe`, true},
		{"relative unix path", "./bin/shop", `.\shop.exe`, true},
		{"unix path with an extension", "/opt/shop/run.cmd", `.\run.cmd`, true},
		// Unix paths naming no file stay as written
		{"root directory", "/", "/", false},
		{"directory", "/usr/local/bin/", "/usr/local/bin/", false},
		{"dot", "/usr/local/bin/.", "/usr/local/bin/.", false},
		// Windows paths, as written
		{"drive letter", `C:\sites\shop\shop.exe`, `C:\sites\shop\shop.exe`, false},
		{"drive letter with slashes", `C:/sites/shop/shop.exe`, `C:/sites/shop/shop.exe`, false},
		{"unc share", `\\files\apps\shop.exe`, `\\files\apps\shop.exe`, false},
		{"relative to the site", `.\shop.exe`, `.\shop.exe`, false},
		{"iis variable", `%HOME%\site\shop.exe`, `%HOME%\site\shop.exe`, false},
		{"launcher path", "%LAUNCHER_PATH%", "%LAUNCHER_PATH%", false},
		// Bare names: Windows looks them up in PATH
		{"bare exe", "shop.exe", "shop.exe", false},
		{"dotnet", "dotnet", "dotnet", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, translated := ProcessPath(tt.command)
			if got != tt.want || translated != tt.translated {
				t.Errorf("ProcessPath(%q) = %q, %v; want %q, %v", tt.command, got, translated, tt.want, tt.translated)
			}
		})
	}
}

func TestLogPath(t *testing.T) {
	for in, want := range map[string]string{
		"/var/log/shop/app.log":       `.\logs\app.log`,
		"/var/log/shop/":              "/var/log/shop/",
		`D:\logs\shop-stdout`:         `D:\logs\shop-stdout`,
		`.\logs\shop-stdout`:          `.\logs\shop-stdout`,
		`%HOME%\LogFiles\shop-stdout`: `%HOME%\LogFiles\shop-stdout`,
	} {
		if got := logPath(in); got != want {
			t.Errorf("logPath(%q) = %q, want %q", in, got, want)
		}
	}
}
