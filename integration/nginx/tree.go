package nginx

import "strings"

// Tree is a parsed nginx configuration with every include spliced in where
// it is written, so that inheritance can be followed across files.
type Tree struct {
	// Root is the main context. For a site file it holds one synthetic
	// "http" block whose children are the file's directives.
	Root *Node
	// Path is the file that was read; Files every file read, Path first.
	Path  string
	Files []string
	// Site is true when Path is a site file (no http or events block at
	// its top level), checked as if it were included inside http {}.
	Site bool
	// IncludeRoots maps the first element of each relative include path of
	// a site file ("snippets" for "snippets/php.conf", "proxy_params") to
	// the file or directory of that name Read found: next to the site, or
	// else one directory up. Includes inside included files count too.
	IncludeRoots map[string]string
}

// Node is one directive. Block is nil for a simple directive and non-nil
// (possibly empty) for a block.
type Node struct {
	Name   string
	Args   []string
	File   string
	Line   int
	Block  []*Node
	Parent *Node
}

// Arg returns argument i, or "" when there are fewer.
func (n *Node) Arg(i int) string {
	if i < len(n.Args) {
		return n.Args[i]
	}
	return ""
}

// IsBlock reports whether n is a block directive.
func (n *Node) IsBlock() bool { return n.Block != nil }

// Walk calls fn for n's descendants in document order.
func (n *Node) Walk(fn func(*Node)) {
	for _, c := range n.Block {
		fn(c)
		c.Walk(fn)
	}
}

// Children are the directives named name directly inside n.
func (n *Node) Children(name string) []*Node {
	var out []*Node
	for _, c := range n.Block {
		if c.Name == name {
			out = append(out, c)
		}
	}
	return out
}

// Inherited finds the directives named name that are in effect in block
// n by nginx's rule for array-valued directives such as proxy_set_header
// and add_header: those of the innermost level, from n outwards, that has
// any. level is that block, or nil when no level has one.
func (n *Node) Inherited(name string) (level *Node, list []*Node) {
	for b := n; b != nil; b = b.Parent {
		if l := b.Children(name); len(l) > 0 {
			return b, l
		}
	}
	return nil, nil
}

// Effective is the innermost directive named name in effect in block n
// (the last one at its level), or nil when nginx's default applies.
func (n *Node) Effective(name string) *Node {
	_, l := n.Inherited(name)
	if len(l) == 0 {
		return nil
	}
	return l[len(l)-1]
}

// Enclosing is the nearest ancestor block named name, or nil.
func (n *Node) Enclosing(name string) *Node {
	for b := n.Parent; b != nil; b = b.Parent {
		if b.Name == name {
			return b
		}
	}
	return nil
}

// header is one proxy_set_header or add_header entry.
type header struct {
	name  string // lower case
	value string
	node  *Node
}

// headersIn returns the headers of the given directive in effect in
// block n, keyed by lower-case name, and the level they come from.
func headersIn(n *Node, directive string) (map[string]header, *Node) {
	level, list := n.Inherited(directive)
	out := make(map[string]header, len(list))
	for _, d := range list {
		name := strings.ToLower(d.Arg(0))
		out[name] = header{name: name, value: d.Arg(1), node: d}
	}
	return out, level
}
