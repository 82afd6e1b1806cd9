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
	// found maps an include path as written to the file read for it, when
	// that is the one a directory up: findings name the file that exists.
	found := map[string]string{}
	opts := &crossplane.ParseOptions{
		ErrorOnUnknownDirectives: true,
		Open: func(p string) (io.ReadCloser, error) {
			if site && p == path {
				// "http {" on the first line keeps every line number.
				return io.NopCloser(io.MultiReader(strings.NewReader("http { "), bytes.NewReader(data), strings.NewReader("\n}\n"))), nil
			}
			f, err := os.Open(p)
			if err != nil && site {
				// A site in /etc/nginx/sites-enabled includes "snippets/…"
				// relative to /etc/nginx, one level up.
				dir := filepath.Dir(path)
				if rel, rerr := filepath.Rel(dir, p); rerr == nil && !strings.HasPrefix(rel, "..") {
					if f2, err2 := os.Open(filepath.Join(filepath.Dir(dir), rel)); err2 == nil {
						found[p] = f2.Name()
						return f2, nil
					}
				}
			}
			return f, err
		},
	}
	payload, err := crossplane.Parse(path, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing nginx configuration %s: %w", path, err)
	}
	t := &Tree{Path: path, Site: site, Root: &Node{Name: "", Block: []*Node{}}}
	for i, c := range payload.Config {
		if real, ok := found[c.File]; ok {
			payload.Config[i].File = real
		}
		t.Files = append(t.Files, payload.Config[i].File)
	}
	if len(payload.Config) > 0 {
		b := builder{payload: payload}
		t.Root.Block = b.nodes(payload.Config[0].Parsed, payload.Config[0].File, t.Root, 0)
	}
	var list []findings.Finding
	for _, e := range payload.Errors {
		f := parseFinding(path, e)
		if real, ok := found[f.File]; ok {
			f.File = real
		}
		if site && f.File == path {
			// The end of the "http {" wrapper is not the file's: an error
			// there (a block left open) is at the file's end.
			f.Line = min(f.Line, wrapperEnd(data, f.Message))
		}
		list = append(list, f)
	}
	return t, list, nil
}

// wrapperEnd is the line of a site file an error at the end of the
// "http {" wrapper belongs to. An unexpected end of file is on the line
// after a final newline, as nginx says; an unexpected "}" (the wrapper's
// own, after a stray one closed it) is put on the file's last line, where
// a stray brace usually is.
func wrapperEnd(data []byte, msg string) int {
	n := bytes.Count(data, []byte("\n")) + 1
	if strings.Contains(msg, `unexpected "}"`) && len(data) > 0 && data[len(data)-1] == '\n' {
		n--
	}
	return n
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
