package apache

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/apphost/apphost/config"
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
		good,
		"<Proxy balancer://a>\nBalancerMember http://127.0.0.1:5001 keepalive=On\n</Proxy>\nProxyPass /x balancer://a ttl=x\nLimitRequestBody x\nProxyTimeout y\n",
		"<Location /a>\nProxyPass unix:/s|http://h/\nProxyPassReverse\n</Location>\nRewriteRule ^ http://x/ [P]\n",
		"# c\r\n<If \"%{HTTPS} == 'on'\">\r\nHeader set A b\r\n</If>\r\n",
	} {
		f.Add(s)
	}
	fuzzDeployment, err := config.Load("testdata/gen/balanced.yaml")
	if err != nil {
		f.Fatal(err)
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
		// Every rule runs on whatever parses, with and without a
		// deployment, and reports lines inside the input.
		cfg := &Config{Files: []string{"fuzz.conf"}, Directives: list}
		for _, opts := range []CheckOptions{{}, {Deployment: fuzzDeployment}} {
			for _, f := range Check(cfg, opts) {
				if f.Line < 0 || f.Line > lines || f.Rule == "" || f.Message == "" {
					t.Fatalf("bad finding %+v", f)
				}
			}
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

// FuzzSubstitute checks ${VAR} substitution: a defined name never
// survives, an unknown one is kept as written and recorded, and text
// without "${" comes back unchanged.
func FuzzSubstitute(f *testing.F) {
	for _, s := range []string{"", "${A}", "x${A}y${B}z", "${", "${A", "$${A}}", "${}", "${A}${A}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l := &loader{cfg: &Config{}, defines: map[string]string{"A": "value"}}
		got := l.substitute(s, &Directive{File: "f.conf", Line: 1})
		if !strings.Contains(s, "${") && got != s {
			t.Fatalf("substitute(%q) = %q without any variable", s, got)
		}
		for _, u := range l.cfg.Undefined {
			if u.Name == "A" {
				t.Fatalf("defined A reported undefined in %q", s)
			}
			if !strings.Contains(got, "${"+u.Name+"}") {
				t.Fatalf("unknown ${%s} not kept in %q → %q", u.Name, s, got)
			}
		}
	})
}

// FuzzFormatRoundTrip: whatever parses, formats to text that parses to the
// same directives.
func FuzzFormatRoundTrip(f *testing.F) {
	for _, s := range []string{
		good,
		"<If \"%{HTTPS} == 'on'\">\nHeader set A \"b c\"\n</If>\n",
		"A b\\ c\n",
		"A \"x\\\"y\" '' \"\"\n",
		"<Location \"/a b\">\n</Location>\n",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		list, err := Parse("a.conf", []byte(src))
		if err != nil {
			return
		}
		text, err := Format(list)
		if err != nil {
			return
		}
		again, err := Parse("b.conf", []byte(text))
		if err != nil {
			t.Fatalf("formatted text does not parse: %v\n%s", err, text)
		}
		if a, b := shape(list), shape(again); a != b {
			t.Fatalf("round trip changed the directives:\n%s\n→\n%s\ntext:\n%s", a, b, text)
		}
	})
}

// shape renders directives without their lines, for comparison.
func shape(list []*Directive) string {
	var b strings.Builder
	Walk(list, func(d *Directive, parents []*Directive) {
		fmt.Fprintf(&b, "%d %t %q %q\n", len(parents), d.IsSection, d.Name, d.Args)
	})
	return b.String()
}
