package apache

import (
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParseStructure(t *testing.T) {
	src := `# a comment
ServerName example.com
<VirtualHost *:80>
    ProxyPass "/a b/" 'http://127.0.0.1:5000/x y/' retry=0
    RequestHeader set X-Note "say \"hi\""
    <Location /api>
        ProxyPass \
            http://127.0.0.1:5000/api
    </location>
</VirtualHost>
`
	list, err := Parse("site.conf", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	got := dump(list, "")
	want := strings.Join([]string{
		"2 ServerName [example.com]",
		"3 <VirtualHost [*:80]> end 10",
		"  4 ProxyPass [/a b/ http://127.0.0.1:5000/x y/ retry=0]",
		`  5 RequestHeader [set X-Note say "hi"]`,
		"  6 <Location [/api]> end 9",
		"    7 ProxyPass [http://127.0.0.1:5000/api]",
	}, "\n")
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func dump(list []*Directive, indent string) string {
	var lines []string
	for _, d := range list {
		if d.IsSection {
			lines = append(lines, indent+itoa(d.Line)+" <"+d.Name+" "+fmtArgs(d.Args)+"> end "+itoa(d.EndLine))
			if len(d.Block) > 0 {
				lines = append(lines, dump(d.Block, indent+"  "))
			}
			continue
		}
		lines = append(lines, indent+itoa(d.Line)+" "+d.Name+" "+fmtArgs(d.Args))
	}
	return strings.Join(lines, "\n")
}

func fmtArgs(a []string) string { return "[" + strings.Join(a, " ") + "]" }

func itoa(n int) string { return strconv.Itoa(n) }

func TestParseErrorsCarryLines(t *testing.T) {
	tests := []struct {
		name   string
		src    string
		line   int
		reason string
	}{
		{"unclosed section is reported where it opens", "Listen 80\n<VirtualHost *:80>\nProxyPass / http://a/\n", 2, "<VirtualHost> is never closed"},
		{"innermost unclosed section wins", "<VirtualHost *:80>\n<Location />\n</VirtualHost>\n", 3, "</VirtualHost> closes <Location> opened on line 2"},
		{"closing tag without opening", "ServerName a\n</Directory>\n", 2, "</Directory> without matching"},
		{"mismatched closing tag", "<Directory /x>\n</Location>\n", 2, "expected </Directory>"},
		{"section tag without >", "<VirtualHost *:80\n</VirtualHost>\n", 1, "must end with >"},
		{"closing tag without >", "<VirtualHost *:80>\n</VirtualHost\n", 2, "must end with >"},
		{"space before the > of a closing tag", "<VirtualHost *:80>\n</VirtualHost >\n", 2, "takes no space"},
		{"unterminated quote", "ServerName a\nRequestHeader set X \"open\n", 2, "unterminated \" quote"},
		{"continued line keeps its first line", "ServerName a\nRequestHeader set \\\n X \"open\n", 2, "unterminated"},
		{"empty section tag", "<>\n", 1, "malformed section tag"},
		{"bad directive name", "Proxy{Pass} /\n", 1, "malformed directive name"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("bad.conf", []byte(tc.src))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v, want a *SyntaxError", err)
			}
			if se.File != "bad.conf" || se.Line != tc.line || !strings.Contains(se.Reason, tc.reason) {
				t.Errorf("got %s:%d: %s, want line %d containing %q", se.File, se.Line, se.Reason, tc.line, tc.reason)
			}
			if !strings.HasPrefix(err.Error(), "bad.conf:"+itoa(tc.line)+": ") {
				t.Errorf("message %q does not start with file:line", err)
			}
		})
	}
}

func TestSplitArgs(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want []string
	}{
		{"blanks separate words", "a  b\tc", []string{"a", "b", "c"}},
		{"double quotes group", `a "b c" d`, []string{"a", "b c", "d"}},
		{"single quotes group", `'b c'`, []string{"b c"}},
		{"escaped quote stays", `"a \"b\""`, []string{`a "b"`}},
		{"other backslashes stay", `"a\nb" c\d`, []string{`a\nb`, `c\d`}},
		{"empty quoted word", `set X ""`, []string{"set", "X", ""}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := splitArgs(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("splitArgs(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
