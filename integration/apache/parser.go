package apache

import (
	"fmt"
	"strconv"
	"strings"
)

// Directive is one configuration directive or section. A section
// (<VirtualHost *:80> … </VirtualHost>) has IsSection set, its arguments
// in Args and its contents in Block.
type Directive struct {
	// Name is the directive's name as written, such as "ProxyPass" or, for
	// a section, "VirtualHost".
	Name string
	Args []string
	// File and Line locate the directive (for a section, its opening tag).
	File string
	Line int

	IsSection bool
	Block     []*Directive
	// EndLine is the line of a section's closing tag.
	EndLine int
	// Skipped marks an <IfDefine> whose condition is false: its contents
	// are kept but httpd ignores them, and so do the rules.
	Skipped bool
}

// Is reports whether the directive has this name; httpd's names are
// case-insensitive.
func (d *Directive) Is(name string) bool { return strings.EqualFold(d.Name, name) }

// Arg returns the i-th argument, or "" when there are fewer.
func (d *Directive) Arg(i int) string {
	if i < len(d.Args) {
		return d.Args[i]
	}
	return ""
}

// SyntaxError is a configuration file that does not parse: the file, the
// line and what was wrong there.
type SyntaxError struct {
	File   string
	Line   int
	Reason string
	// Err is the underlying cause, such as a file that cannot be read.
	Err error
}

func (e *SyntaxError) Error() string {
	where := e.File
	if e.Line > 0 {
		where += ":" + strconv.Itoa(e.Line)
	}
	if e.Err != nil {
		// Why it cannot be read: a missing file or a permission.
		return fmt.Sprintf("%s: %s: %v", where, e.Reason, e.Err)
	}
	return where + ": " + e.Reason
}

func (e *SyntaxError) Unwrap() error { return e.Err }

// Parse reads one file's directives and nests its sections. It does not
// follow Include or substitute variables; Load does. Every error is a
// *SyntaxError naming file and line.
func Parse(file string, src []byte) ([]*Directive, error) {
	root := &Directive{}
	stack := []*Directive{root}
	for _, l := range splitLines(string(src)) {
		fail := func(format string, a ...any) error {
			return &SyntaxError{File: file, Line: l.line, Reason: fmt.Sprintf(format, a...)}
		}
		parent := stack[len(stack)-1]
		text := l.text
		switch {
		case strings.HasPrefix(text, "</"):
			inner, ok := strings.CutSuffix(text[2:], ">")
			if !ok {
				return nil, fail("closing tag %q must end with >", text)
			}
			name := inner
			if name != strings.TrimSpace(name) {
				return nil, fail("closing tag %q: httpd takes no space inside it (missing closing '>')", text)
			}
			if !validName(name) {
				return nil, fail("malformed closing tag %q", text)
			}
			if parent == root {
				return nil, fail("</%s> without matching <%s> section", name, name)
			}
			if !strings.EqualFold(parent.Name, name) {
				return nil, fail("</%s> closes <%s> opened on line %d; expected </%s>", name, parent.Name, parent.Line, parent.Name)
			}
			parent.EndLine = l.line
			stack = stack[:len(stack)-1]
		case strings.HasPrefix(text, "<"):
			inner, ok := strings.CutSuffix(text[1:], ">")
			if !ok {
				return nil, fail("section %q must end with >", text)
			}
			args, err := splitArgs(inner)
			if err != nil {
				return nil, fail("%v", err)
			}
			if len(args) == 0 || !validName(args[0]) {
				return nil, fail("malformed section tag %q", text)
			}
			d := &Directive{Name: args[0], Args: args[1:], File: file, Line: l.line, IsSection: true}
			parent.Block = append(parent.Block, d)
			stack = append(stack, d)
		default:
			args, err := splitArgs(text)
			if err != nil {
				return nil, fail("%v", err)
			}
			if !validName(args[0]) {
				return nil, fail("malformed directive name %q", args[0])
			}
			parent.Block = append(parent.Block, &Directive{Name: args[0], Args: args[1:], File: file, Line: l.line})
		}
	}
	if len(stack) > 1 {
		o := stack[len(stack)-1]
		return nil, &SyntaxError{File: file, Line: o.Line, Reason: fmt.Sprintf("<%s> is never closed: expected </%s> before the end of the file", o.Name, o.Name)}
	}
	return root.Block, nil
}

// validName accepts the characters httpd's directive names use.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.' || c == ':') {
			return false
		}
	}
	return true
}
