package iis

import (
	"bytes"
	"errors"
	"testing"
	"time"

	"github.com/apphost/apphost/config"
)

// FuzzParseCheck: any input either parses or fails with a *ParseError
// whose line lies within the input; a parsed document checks without
// panicking and every finding points at a line of the file.
func FuzzParseCheck(f *testing.F) {
	f.Add([]byte(`<configuration><system.webServer><aspNetCore processPath="a.exe" hostingModel="InProcess" /></system.webServer></configuration>`))
	f.Add([]byte("<configuration>\n<location path=\".\"><system.webServer><rewrite><rules><rule name=\"r\"><match url=\"(.*)\" />" +
		"<action type=\"Rewrite\" url=\"http://127.0.0.1:9464/{R:1}\" /></rule></rules></rewrite></system.webServer></location></configuration>"))
	f.Add([]byte(`<configuration><system.webServer><security><requestFiltering><requestLimits maxAllowedContentLength="99999999999" /></requestFiltering></security></system.webServer></configuration>`))
	f.Add([]byte("<configuration>\n<system.webServer>\n<httpPlatform requestTimeout=\"99:99:99\"/>"))
	f.Add([]byte("\xEF\xBB\xBF<configuration/>"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines := bytes.Count(data, []byte("\n")) + 1
		doc, err := Parse("web.config", data)
		if err != nil {
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error of type %T: %v", err, err)
			}
			if pe.Line < 1 || pe.Line > lines {
				t.Fatalf("error line %d outside 1..%d: %v", pe.Line, lines, err)
			}
			return
		}
		for _, f := range Check(doc, nil) {
			if f.Line < 0 || f.Line > lines {
				t.Fatalf("finding line %d outside the file: %v", f.Line, f)
			}
		}
	})
}

// FuzzTimeSpan: a time span that parses is written back in the canonical
// form, which parses to the same duration; parsing never panics.
func FuzzTimeSpan(f *testing.F) {
	for _, s := range []string{"00:02:00", "1.00:00:00", "360.23:59:59", "24:00:00", "120", "-1:00:00", "99999.00:00:00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		d, err := parseTimeSpan(s)
		if err != nil {
			return
		}
		back, err := parseTimeSpan(formatSpan(d))
		if err != nil || back != d {
			t.Fatalf("%q → %v → %q → %v, %v", s, d, formatSpan(d), back, err)
		}
	})
}

// FuzzGenerate: whatever the program, its arguments, environment and
// limits, Generate either refuses with a reason or writes a web.config
// that parses and passes Check against the same description (so every
// value is escaped, in range, and read back as written).
func FuzzGenerate(f *testing.F) {
	f.Add(`C:\apps\shop.exe`, `--config "C:\a b\c.yaml"`, "production", int64(30_000_000), int64(60), int64(35), 10)
	f.Add(`.\shop.exe`, `\\server\share\`, `<&>"'`, int64(0), int64(7200), int64(3600), 1000)
	f.Add("shop", "\x01", "tab\there", int64(1<<40), int64(0), int64(0), 0)
	f.Fuzz(func(t *testing.T, program, arg, envValue string, body, startup, stop int64, rapid int) {
		c := config.Default()
		c.Supervise.Command = []string{program, arg}
		c.Supervise.Environment = []string{"MODE=" + envValue}
		c.App.Limits.MaxRequestBody = config.Size(body)
		c.Supervise.StartupTimeout = time.Duration(startup) * time.Second
		c.Supervise.StopTimeout = time.Duration(stop) * time.Second
		c.Supervise.RapidFailsPerMinute = rapid
		if c.Validate() != nil || body < 0 || startup < 0 || stop < 0 || startup > 1<<32 || stop > 1<<32 {
			return
		}
		for _, mode := range Modes() {
			files, err := Generate(c, mode)
			if err != nil {
				if err.Error() == "" {
					t.Fatal("an empty error")
				}
				continue
			}
			doc, err := Parse(WebConfig, files[0].Content)
			if err != nil {
				t.Fatalf("%s: generated output does not parse: %v\n%s", mode, err, files[0].Content)
			}
			if got := Check(doc, c); len(got) > 0 {
				t.Fatalf("%s: generated output has findings %v\n%s", mode, got, files[0].Content)
			}
		}
	})
}
