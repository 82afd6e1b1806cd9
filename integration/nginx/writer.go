package nginx

import (
	"strings"
)

// writer builds nginx configuration text: directives, blocks and comments,
// indented by four spaces per level.
type writer struct {
	b     strings.Builder
	depth int
}

func (w *writer) indent() {
	for range w.depth {
		w.b.WriteString("    ")
	}
}

// comment writes each line of text as a "# " comment.
func (w *writer) comment(text string) {
	for _, line := range strings.Split(text, "\n") {
		w.indent()
		if line == "" {
			w.b.WriteString("#\n")
			continue
		}
		w.b.WriteString("# " + line + "\n")
	}
}

// line writes one directive; args are written as they are, so callers
// quote what needs quoting (see quote).
func (w *writer) line(name string, args ...string) {
	w.indent()
	w.b.WriteString(name)
	for _, a := range args {
		w.b.WriteString(" " + a)
	}
	w.b.WriteString(";\n")
}

// open starts a block; close ends it.
func (w *writer) open(name string, args ...string) {
	w.indent()
	w.b.WriteString(name)
	for _, a := range args {
		w.b.WriteString(" " + a)
	}
	w.b.WriteString(" {\n")
	w.depth++
}

func (w *writer) close() {
	w.depth--
	w.indent()
	w.b.WriteString("}\n")
}

func (w *writer) blank() { w.b.WriteString("\n") }

func (w *writer) String() string { return w.b.String() }

// quote writes s as an nginx double-quoted string.
func quote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`)
	return `"` + r.Replace(s) + `"`
}
