package nginx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	crossplane "github.com/nginxinc/nginx-go-crossplane"

	"github.com/apphost/apphost/integration/findings"
)

// Read parses the nginx configuration in path: a full nginx.conf, whose
// includes are followed and globs expanded, or a site file, whose
// top-level directives are read as if inside http {}. Syntax errors,
// unknown directives, directives in the wrong context and missing include
// files are returned as error findings with file and line; the error is
// for a file that cannot be read at all.
func Read(path string) (*Tree, []findings.Finding, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading nginx configuration: %w", err)
	}
	site := isSiteFile(data)
	opts := &crossplane.ParseOptions{ErrorOnUnknownDirectives: true}
	files := siteFiles{path: path, data: data, found: map[string]string{}, includeRoots: map[string]string{}}
	if site {
		opts.Open = files.open
	}
	payload, err := crossplane.Parse(path, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing nginx configuration %s: %w", path, err)
	}
	t := &Tree{Path: path, Site: site, Root: &Node{Name: "", Block: []*Node{}}}
	if site {
		t.IncludeRoots = files.includeRoots
	}
	for i, c := range payload.Config {
		if real, ok := files.found[c.File]; ok {
			payload.Config[i].File = real
		}
		t.Files = append(t.Files, payload.Config[i].File)
	}
	if len(payload.Config) > 0 {
		b := builder{payload: payload}
		t.Root.Block = b.nodes(payload.Config[0].Parsed, payload.Config[0].File, t.Root, 0)
	}
	stray := 0
	if site && len(payload.Errors) > 0 { // a stray "}" always makes one
		stray = strayBraceLine(data)
	}
	var list []findings.Finding
	for _, e := range payload.Errors {
		f := parseFinding(path, e)
		if real, ok := files.found[f.File]; ok {
			f.File = real
		}
		if site && f.File == path {
			if stray > 0 && f.Line >= stray {
				// What follows a stray "}" is outside http {}: nginx stops
				// at the brace, and so do the findings.
				continue
			}
			// The end of the "http {" wrapper is not the file's: an error
			// there (a block left open) is at the file's end.
			f.Line = min(f.Line, endLine(data))
		}
		list = append(list, f)
	}
	if stray > 0 {
		list = append(list, findings.Finding{Rule: RuleSyntax, Severity: findings.Error, File: path, Line: stray,
			Message: `unexpected "}"`, Fix: ruleFix(RuleSyntax)})
	}
	return t, list, nil
}

// siteFiles opens the files of a site file for the parser: the site itself
// inside an "http {" wrapper, and each relative include next to the site or
// else one directory up, where a site in /etc/nginx/sites-enabled finds
// "snippets/…" and "proxy_params".
type siteFiles struct {
	path string
	data []byte
	// found maps an include path as the parser wrote it to the file read
	// for it, when that is the one a directory up: findings name the file
	// that exists.
	found map[string]string
	// includeRoots is what Tree.IncludeRoots says.
	includeRoots map[string]string
}

func (s siteFiles) open(p string) (io.ReadCloser, error) {
	if p == s.path {
		// "http {" on the first line keeps every line number.
		return io.NopCloser(io.MultiReader(strings.NewReader("http { "), bytes.NewReader(s.data), strings.NewReader("\n}\n"))), nil
	}
	dir := filepath.Dir(s.path)
	rel, err := filepath.Rel(dir, p)
	if err != nil || strings.HasPrefix(rel, "..") {
		return os.Open(p)
	}
	f, err := os.Open(p)
	if err == nil {
		s.addIncludeRoot(rel, dir)
		return f, nil
	}
	up := filepath.Dir(dir)
	above, aerr := os.Open(filepath.Join(up, rel))
	if aerr != nil {
		return nil, err // the error names the path next to the site
	}
	s.found[p] = above.Name()
	s.addIncludeRoot(rel, up)
	return above, nil
}

// addIncludeRoot records that the include path rel, relative to the site's
// directory, was found in dir. The first directory found for a name wins.
func (s siteFiles) addIncludeRoot(rel, dir string) {
	name, _, _ := strings.Cut(filepath.ToSlash(rel), "/")
	if _, ok := s.includeRoots[name]; !ok {
		s.includeRoots[name] = filepath.Join(dir, name)
	}
}

// endLine is the line nginx gives for an unexpected end of a file: the
// one after a final newline.
func endLine(data []byte) int {
	return bytes.Count(data, []byte("\n")) + 1
}

// strayBraceLine is the line of the first "}" in a site file that closes
// no block of the file's own: inside http {} it closes http itself, early,
// and nginx refuses it there. It is 0 when every "}" closes a block of the
// file. The lexer stops at such a brace with an unexpected "}" error.
func strayBraceLine(data []byte) int {
	line := 0
	for tok := range crossplane.Lex(bytes.NewReader(data)) { // read to the end: the lexer's goroutine ends with it
		var perr *crossplane.ParseError
		if line == 0 && errors.As(tok.Error, &perr) && perr.What == `unexpected "}"` && perr.Line != nil {
			line = *perr.Line
		}
	}
	return line
}

// isSiteFile reports whether data has no http, events, stream or mail
// block (nor another main-context directive) at its top level: a file meant
// to be included inside http {}. It reads the directive names token by
// token, so that a file that does not parse (cut short, say) is still
// recognised, and its one syntax error is not joined by a context error for
// every directive in it.
func isSiteFile(data []byte) bool {
	depth, atName, site := 0, true, true
	for tok := range crossplane.Lex(bytes.NewReader(data)) { // read to the end: the lexer's goroutine ends with it
		switch {
		case tok.Error != nil || (!tok.IsQuoted && strings.HasPrefix(tok.Value, "#")):
		case !tok.IsQuoted && tok.Value == "{":
			depth, atName = depth+1, true
		case !tok.IsQuoted && tok.Value == "}":
			depth, atName = depth-1, true
		case !tok.IsQuoted && tok.Value == ";":
			atName = true
		default:
			if atName && depth == 0 {
				switch tok.Value {
				case "http", "events", "stream", "mail", "worker_processes", "user", "pid":
					site = false
				}
			}
			atName = false
		}
	}
	return site
}

// maxIncludeDepth bounds include nesting; crossplane rejects cycles, this
// guards against pathological fan-out.
const maxIncludeDepth = 32

type builder struct {
	payload *crossplane.Payload
}

// nodes converts crossplane's directives, replacing each include by the
// directives of the files it names.
func (b builder) nodes(ds crossplane.Directives, file string, parent *Node, depth int) []*Node {
	out := []*Node{}
	for _, d := range ds {
		if d.IsComment() {
			continue
		}
		if d.Directive == "include" {
			if depth >= maxIncludeDepth {
				continue
			}
			for _, i := range d.Includes {
				if i < 0 || i >= len(b.payload.Config) {
					continue
				}
				c := b.payload.Config[i]
				out = append(out, b.nodes(c.Parsed, c.File, parent, depth+1)...)
			}
			continue
		}
		n := &Node{Name: d.Directive, Args: d.Args, File: file, Line: d.Line, Parent: parent}
		if d.IsBlock() {
			n.Block = b.nodes(d.Block, file, n, depth)
		}
		out = append(out, n)
	}
	return out
}

// parseFinding turns a crossplane error into a finding.
func parseFinding(main string, e crossplane.PayloadError) findings.Finding {
	f := findings.Finding{Rule: RuleSyntax, Severity: findings.Error, File: e.File, Message: e.Error.Error()}
	if f.File == "" {
		f.File = main
	}
	var perr *crossplane.ParseError
	if errors.As(e.Error, &perr) {
		f.Message = perr.What
		if perr.File != nil && *perr.File != "" {
			f.File = *perr.File
		}
		if perr.Line != nil {
			f.Line = *perr.Line
		}
	} else if e.Line != nil {
		f.Line = *e.Line
	}
	switch {
	case strings.HasPrefix(f.Message, "unknown directive"):
		f.Rule = RuleUnknownDirective
	case strings.HasSuffix(f.Message, "is not allowed here"):
		f.Rule = RuleDirectiveContext
	case errors.Is(e.Error, os.ErrNotExist) || strings.Contains(f.Message, "no such file or directory"):
		f.Rule = RuleIncludeMissing
	}
	f.Message = strings.TrimSpace(f.Message)
	f.Fix = ruleFix(f.Rule)
	if filepath.IsAbs(f.File) && !filepath.IsAbs(main) {
		if rel, err := filepath.Rel(workingDir(), f.File); err == nil && !strings.HasPrefix(rel, "..") {
			f.File = rel
		}
	}
	return f
}

func workingDir() string {
	wd, err := os.Getwd()
	if err != nil {
		return "/"
	}
	return wd
}
