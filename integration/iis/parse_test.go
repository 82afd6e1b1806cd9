package iis

import (
	"errors"
	"strings"
	"testing"
)

// Bad input gets an error naming the file and the line.
func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, doc string
		line      int
		want      string
	}{
		{"unclosed element", "<configuration>\n<system.webServer>\n<aspNetCore>\n</system.webServer>\n</configuration>", 4, "closed by"},
		{"unquoted attribute", "<configuration>\n<system.webServer>\n<aspNetCore processPath=app.exe />", 3, "unquoted"},
		{"wrong root", "<?xml version=\"1.0\"?>\n\n<settings />", 3, "want <configuration>"},
		{"empty file", "", 1, "no root element"},
		{"text after the root", "<configuration />\ntrailing", 2, "outside the root"},
		{"UTF-16", "\xff\xfe<\x00c\x00", 1, "UTF-16"},
		{"another encoding", "<?xml version=\"1.0\" encoding=\"windows-1252\"?>\n<configuration />", 1, "windows-1252"},
		{"truncated", "<configuration>\n<system.webServer>", 2, "unexpected EOF"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("web.config", []byte(tc.doc))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("want a *ParseError, got %v", err)
			}
			if pe.Line != tc.line || !strings.Contains(err.Error(), tc.want) || !strings.HasPrefix(err.Error(), "web.config:") {
				t.Errorf("got %q (line %d), want line %d mentioning %q", err, pe.Line, tc.line, tc.want)
			}
		})
	}
}

// Lines of elements and attributes are where they are written, across a
// byte order mark, comments and multi-line tags.
func TestParseLines(t *testing.T) {
	doc := "\xEF\xBB\xBF<?xml version=\"1.0\" encoding=\"utf-8\"?>\n" +
		"<!-- a\ncomment -->\n" +
		"<configuration>\n" + // 4
		"  <system.webServer>\n" + // 5
		"    <aspNetCore\n" + // 6
		"      processPath=\"a.exe\"\n" + // 7
		"      xmlns:xdt=\"http://schemas.microsoft.com/XML-Document-Transform\"\n" +
		"      arguments=\"processPath=x\" xdt:Transform=\"SetAttributes\"\n" + // 9
		"      stdoutLogEnabled = \"true\" />\n" + // 10
		"  </system.webServer>\n" +
		"</configuration>\n"
	d, err := Parse("web.config", []byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	sec := d.Root.Child("system.webServer").Child("aspNetCore")
	if d.Root.Line != 4 || sec.Line != 6 {
		t.Errorf("element lines %d, %d; want 4, 6", d.Root.Line, sec.Line)
	}
	want := map[string]int{"processPath": 7, "arguments": 9, "stdoutLogEnabled": 10}
	for name, line := range want {
		if a, ok := sec.Attr(name); !ok || a.Line != line {
			t.Errorf("%s on line %d, want %d", name, a.Line, line)
		}
	}
	if len(sec.Attrs) != 4 {
		t.Errorf("want the three IIS attributes and the namespaced one (xmlns dropped), got %+v", sec.Attrs)
	}
}
