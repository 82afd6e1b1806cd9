package apache

import (
	"fmt"
	"strings"
	"unicode"
)

// Format writes directives back as httpd configuration text, four spaces
// per nesting level, quoting arguments that need it. Parsing the result
// gives the same directives (lines aside). An argument that httpd's syntax
// cannot hold (a quoted one ending in a backslash) is an error naming the
// directive.
func Format(list []*Directive) (string, error) {
	var b strings.Builder
	if err := format(&b, list, 0); err != nil {
		return "", err
	}
	return b.String(), nil
}

func format(b *strings.Builder, list []*Directive, depth int) error {
	indent := strings.Repeat("    ", depth)
	for _, d := range list {
		args := make([]string, 0, len(d.Args)+1)
		args = append(args, d.Name)
		for i, a := range d.Args {
			q, err := quoteArg(a, i == len(d.Args)-1)
			if err != nil {
				return fmt.Errorf("%s:%d: %s: %w", d.File, d.Line, d.Name, err)
			}
			args = append(args, q)
		}
		line := strings.Join(args, " ")
		if !d.IsSection {
			b.WriteString(indent + line + "\n")
			continue
		}
		b.WriteString(indent + "<" + line + ">\n")
		if err := format(b, d.Block, depth+1); err != nil {
			return err
		}
		b.WriteString(indent + "</" + d.Name + ">\n")
	}
	return nil
}

// quoteArg writes an argument bare when the parser reads it back as it
// is, and in double quotes otherwise. last is true for a line's last
// argument, where a trailing backslash would continue the line.
func quoteArg(a string, last bool) (string, error) {
	if bareSafe(a, last) {
		return a, nil
	}
	if strings.HasSuffix(a, `\`) {
		return "", fmt.Errorf("argument %q cannot be written in httpd syntax: a quoted argument may not end in a backslash", a)
	}
	return `"` + strings.ReplaceAll(a, `"`, `\"`) + `"`, nil
}

func bareSafe(a string, last bool) bool {
	if a == "" || a[0] == '"' || a[0] == '\'' || strings.HasSuffix(a, ">") || (last && strings.HasSuffix(a, `\`)) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if isBlank(a[i]) || a[i] == '\n' {
			return false
		}
	}
	r := []rune(a)
	return !unicode.IsSpace(r[0]) && !unicode.IsSpace(r[len(r)-1])
}
