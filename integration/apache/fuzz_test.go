package apache

import (
	"errors"
	"strings"
	"testing"
)

// FuzzParse checks that any input either parses or fails with a
// *SyntaxError whose line lies inside the input, and that every parsed
// directive's lines lie inside it too.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"",
		"ProxyPass / http://127.0.0.1:5000/\n",
		"<VirtualHost *:80>\nProxyPass / http://a/\n</VirtualHost>\n",
		"<VirtualHost *:80>\n<Location />\n</VirtualHost>\n",
		"RequestHeader set X \"a \\\"b\\\"\"\n",
		"A \\\n b \\\n",
		"</X>",
		"<X",
		"\"unterminated",
		"# c\r\n<If \"%{HTTPS} == 'on'\">\r\nHeader set A b\r\n</If>\r\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		lines := strings.Count(src, "\n") + 1
		list, err := Parse("fuzz.conf", []byte(src))
		if err != nil {
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *SyntaxError", err)
			}
			if se.Line < 1 || se.Line > lines || se.File != "fuzz.conf" {
				t.Fatalf("error line %d outside 1..%d: %v", se.Line, lines, err)
			}
			return
		}
		Walk(list, func(d *Directive, _ []*Directive) {
			if d.Line < 1 || d.Line > lines || (d.IsSection && (d.EndLine < d.Line || d.EndLine > lines)) {
				t.Fatalf("directive %s at lines %d-%d outside 1..%d", d.Name, d.Line, d.EndLine, lines)
			}
			if d.Name == "" {
				t.Fatalf("directive with empty name at line %d", d.Line)
			}
		})
	})
}
