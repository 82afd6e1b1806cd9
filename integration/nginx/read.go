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
	site := isSiteFile(path)
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
	for _, c := range payload.Config {
		t.Files = append(t.Files, c.File)
	}
	if len(payload.Config) > 0 {
		b := builder{payload: payload}
		t.Root.Block = b.nodes(payload.Config[0].Parsed, payload.Config[0].File, t.Root, 0)
	}
	var list []findings.Finding
	for _, e := range payload.Errors {
		list = append(list, parseFinding(path, e))
	}
	return t, list, nil
}

// isSiteFile reports whether path has no http, events, stream or mail
// block at its top level: a file meant to be included inside http {}.
func isSiteFile(path string) bool {
	payload, err := crossplane.Parse(path, &crossplane.ParseOptions{
		SingleFile:                true,
		SkipDirectiveContextCheck: true,
		SkipDirectiveArgsCheck:    true,
	})
	if err != nil || len(payload.Config) == 0 {
		return false
	}
	if len(payload.Config[0].Errors) > 0 && len(payload.Config[0].Parsed) == 0 {
		return false // unreadable as a whole: let the real parse report it
	}
	for _, d := range payload.Config[0].Parsed {
		switch d.Directive {
		case "http", "events", "stream", "mail", "worker_processes", "user", "pid":
			return false
		}
	}
	return true
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
