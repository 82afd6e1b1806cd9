package iis

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Document is a parsed web.config.
type Document struct {
	File string
	Root *Element
}

// Element is one XML element with the line it starts on.
type Element struct {
	Name     string
	Line     int
	Attrs    []Attr
	Children []*Element
}

// Attr is one attribute with the line its name is on.
type Attr struct {
	Name  string
	Value string
	Line  int
}

// Attr returns the attribute called name.
func (e *Element) Attr(name string) (Attr, bool) {
	for _, a := range e.Attrs {
		if a.Name == name {
			return a, true
		}
	}
	return Attr{}, false
}

// Child returns the first child element called name, or nil.
func (e *Element) Child(name string) *Element {
	for _, c := range e.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// ParseError is a web.config that is not well-formed XML or not a
// configuration file; it prints as "file:line: reason".
type ParseError struct {
	File string
	Line int
	Err  error
}

func (e *ParseError) Error() string {
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

func (e *ParseError) Unwrap() error { return e.Err }

// maxDepth bounds nesting; web.config sections nest about eight deep.
const maxDepth = 100

// Parse reads a web.config. It accepts UTF-8 (with or without a byte
// order mark) and fails with a *ParseError naming the line of the first
// XML error, or when the root element is not <configuration>.
func Parse(file string, data []byte) (*Document, error) {
	fail := func(line int, format string, args ...any) error {
		return &ParseError{File: file, Line: line, Err: fmt.Errorf(format, args...)}
	}
	if bytes.HasPrefix(data, []byte{0xFE, 0xFF}) || bytes.HasPrefix(data, []byte{0xFF, 0xFE}) {
		return nil, fail(1, "the file is UTF-16; save web.config as UTF-8")
	}
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	dec := xml.NewDecoder(bytes.NewReader(data))
	dec.Strict = true
	dec.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		switch strings.ToLower(label) {
		case "utf-8", "utf8", "us-ascii", "ascii":
			return r, nil
		}
		return nil, fmt.Errorf("encoding %q is not supported; save web.config as UTF-8", label)
	}
	var (
		root  *Element
		stack []*Element
	)
	for {
		// Before a token is read, the decoder stands where it starts.
		line, _ := dec.InputPos()
		start := dec.InputOffset()
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var syn *xml.SyntaxError
			if errors.As(err, &syn) {
				return nil, fail(syn.Line, "%s", syn.Msg)
			}
			l, _ := dec.InputPos()
			return nil, fail(l, "%w", err)
		}
		switch t := tok.(type) {
		case xml.StartElement:
			e := &Element{Name: qualified(t.Name), Line: line}
			tag := data[start:dec.InputOffset()]
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				e.Attrs = append(e.Attrs, Attr{Name: qualified(a.Name), Value: a.Value, Line: line + attrLineOffset(tag, a.Name.Local)})
			}
			switch {
			case len(stack) > 0:
				parent := stack[len(stack)-1]
				parent.Children = append(parent.Children, e)
			case root != nil:
				return nil, fail(line, "a second root element <%s>", e.Name)
			default:
				root = e
			}
			stack = append(stack, e)
			if len(stack) > maxDepth {
				return nil, fail(line, "elements nest more than %d deep", maxDepth)
			}
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 && len(bytes.TrimSpace(t)) > 0 {
				raw := data[start:dec.InputOffset()]
				lead := len(raw) - len(bytes.TrimLeft(raw, " \t\r\n"))
				return nil, fail(line+bytes.Count(raw[:lead], []byte("\n")), "text outside the root element")
			}
		}
	}
	if root == nil {
		return nil, fail(1, "no root element: want <configuration>")
	}
	if root.Name != "configuration" {
		return nil, fail(root.Line, "root element is <%s>, want <configuration>", root.Name)
	}
	return &Document{File: file, Root: root}, nil
}

// qualified names an element or attribute as written, keeping a
// namespace (such as xdt's) apart so it is never taken for an IIS name.
func qualified(n xml.Name) string {
	if n.Space == "" {
		return n.Local
	}
	return n.Space + ":" + n.Local
}

// attrLineOffset counts the newlines in the start tag before the
// attribute called local (possibly prefixed), so its line is known.
func attrLineOffset(tag []byte, local string) int {
	for from := 0; ; {
		i := bytes.Index(tag[from:], []byte(local))
		if i < 0 {
			return 0
		}
		i += from
		before := byte(' ')
		if i > 0 {
			before = tag[i-1]
		}
		rest := bytes.TrimLeft(tag[i+len(local):], " \t\r\n")
		if (before == ' ' || before == '\t' || before == '\n' || before == '\r' || before == ':') && len(rest) > 0 && rest[0] == '=' {
			return bytes.Count(tag[:i], []byte("\n"))
		}
		from = i + len(local)
	}
}
