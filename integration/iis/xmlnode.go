package iis

import (
	"bytes"
	"strings"
)

// node is an element (or, with comment set, a comment) of a generated
// file. Attributes keep the order they were added in, so output is stable.
type node struct {
	name     string
	attrs    [][2]string
	children []*node
	comment  string
}

// wrapAttrs is the most attributes written on the element's own line.
const wrapAttrs = 5

func elem(name string, attrs ...string) *node {
	n := &node{name: name}
	for i := 0; i+1 < len(attrs); i += 2 {
		n.attrs = append(n.attrs, [2]string{attrs[i], attrs[i+1]})
	}
	return n
}

func comment(text string) *node { return &node{comment: text} }

// add appends children and returns n, so trees read top-down.
func (n *node) add(children ...*node) *node {
	n.children = append(n.children, children...)
	return n
}

// render writes the XML declaration, a header comment and the tree,
// indented by two spaces, one element a line.
func render(header []string, root *node) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>` + "\n")
	b.WriteString("<!--\n")
	for _, h := range header {
		b.WriteString("  " + commentSafe(h) + "\n")
	}
	b.WriteString("-->\n")
	root.write(&b, 0)
	return b.Bytes()
}

func (n *node) write(b *bytes.Buffer, depth int) {
	indent := strings.Repeat("  ", depth)
	if n.name == "" {
		b.WriteString(indent + "<!-- " + commentSafe(n.comment) + " -->\n")
		return
	}
	b.WriteString(indent + "<" + n.name)
	// Long elements get one attribute a line, so a finding's line number
	// names the attribute.
	sep := " "
	if len(n.attrs) > wrapAttrs {
		sep = "\n" + indent + strings.Repeat(" ", len(n.name)+2)
	}
	for i, a := range n.attrs {
		if i == 0 {
			b.WriteString(" ")
		} else {
			b.WriteString(sep)
		}
		b.WriteString(a[0] + `="` + escapeAttr(a[1]) + `"`)
	}
	if len(n.children) == 0 {
		b.WriteString(" />\n")
		return
	}
	b.WriteString(">\n")
	for _, c := range n.children {
		c.write(b, depth+1)
	}
	b.WriteString(indent + "</" + n.name + ">\n")
}

var attrEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;",
	"\t", "&#x9;", "\n", "&#xA;", "\r", "&#xD;",
)

func escapeAttr(s string) string { return attrEscaper.Replace(s) }

// commentSafe keeps text from ending the comment early: XML forbids "--"
// inside a comment.
func commentSafe(s string) string {
	for strings.Contains(s, "--") {
		s = strings.ReplaceAll(s, "--", "- -")
	}
	return strings.TrimSuffix(s, "-")
}
