package apache

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// maxIncludeDepth bounds nested Include, as httpd does, so that a file
// including itself through a glob ends with an error instead of forever.
const maxIncludeDepth = 64

// LoadOptions say how Load resolves what a file refers to.
type LoadOptions struct {
	// ServerRoot resolves relative Include paths until the configuration
	// sets its own ServerRoot. Default: the directory of the first file.
	ServerRoot string
	// Defines are the names given to httpd with -D, with empty values.
	Defines []string
	// LookupEnv resolves ${VAR} that no Define sets, as httpd falls back
	// to its environment. Nil: only Define counts.
	LookupEnv func(string) (string, bool)
}

// Config is a loaded configuration: every file's directives, with Include
// expanded in place and ${VAR} substituted.
type Config struct {
	// Files lists every file read, the first one first.
	Files []string
	// Directives are the top-level directives. An Include directive stays
	// in the tree, followed by the directives of the files it included.
	Directives []*Directive
	// Undefined lists each use of a ${VAR} that nothing defines; httpd
	// leaves such text as it is and warns.
	Undefined []VarUse
}

// VarUse is one ${Name} in File at Line.
type VarUse struct {
	Name string
	File string
	Line int
}

// Load reads the configuration starting at each path in turn (a site
// file, or a whole apache2.conf), following Include and IncludeOptional
// with globs, applying Define, UnDefine and <IfDefine>, and substituting
// ${VAR}. Errors name the file and line; unknown variables are not errors
// but are listed in Config.Undefined.
func Load(paths []string, opts LoadOptions) (*Config, error) {
	if len(paths) == 0 {
		return nil, errors.New("no configuration file given")
	}
	l := &loader{
		cfg:     &Config{},
		defines: map[string]string{},
		env:     opts.LookupEnv,
		root:    opts.ServerRoot,
	}
	for _, d := range opts.Defines {
		l.defines[d] = ""
	}
	if l.root == "" {
		l.root = filepath.Dir(paths[0])
		l.rootGuessed = true
	}
	for _, p := range paths {
		list, err := l.file(p, nil)
		if err != nil {
			return nil, err
		}
		l.cfg.Directives = append(l.cfg.Directives, list...)
	}
	return l.cfg, nil
}

type loader struct {
	cfg     *Config
	defines map[string]string
	env     func(string) (string, bool)
	root    string
	// rootGuessed is set while root is the first file's directory, not
	// one given by LoadOptions.ServerRoot or a ServerRoot directive.
	rootGuessed bool
}

// file reads and expands one file; stack holds the files including it.
func (l *loader) file(path string, stack []string) ([]*Directive, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, &SyntaxError{File: path, Reason: "cannot resolve path", Err: err}
	}
	if slices.Contains(stack, abs) {
		return nil, &SyntaxError{File: path, Reason: "includes itself (through " + strings.Join(stack, " → ") + ")"}
	}
	if len(stack) >= maxIncludeDepth {
		return nil, &SyntaxError{File: path, Reason: fmt.Sprintf("Include nested more than %d deep", maxIncludeDepth)}
	}
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, &SyntaxError{File: path, Reason: "cannot read file", Err: err}
	}
	l.cfg.Files = append(l.cfg.Files, path)
	list, err := Parse(path, src)
	if err != nil {
		return nil, err
	}
	return l.expand(list, append(stack, abs))
}

// expand substitutes variables, applies Define and <IfDefine>, and splices
// included files after each Include, in file order as httpd does.
func (l *loader) expand(list []*Directive, stack []string) ([]*Directive, error) {
	out := make([]*Directive, 0, len(list))
	for _, d := range list {
		for i, a := range d.Args {
			d.Args[i] = l.substitute(a, d)
		}
		out = append(out, d)
		switch {
		case d.IsSection && d.Is("IfDefine"):
			if !l.ifDefine(d.Arg(0)) {
				d.Skipped = true
				continue
			}
		case d.Is("Define"):
			if len(d.Args) == 0 || len(d.Args) > 2 {
				return nil, &SyntaxError{File: d.File, Line: d.Line, Reason: "Define takes a name and an optional value"}
			}
			if strings.Contains(d.Args[0], ":") {
				return nil, &SyntaxError{File: d.File, Line: d.Line, Reason: fmt.Sprintf("Define %q: the name may not contain ':'", d.Args[0])}
			}
			l.defines[d.Args[0]] = d.Arg(1)
		case d.Is("UnDefine"):
			delete(l.defines, d.Arg(0))
		case d.Is("ServerRoot") && len(d.Args) == 1:
			l.root = d.Args[0]
			l.rootGuessed = false
		case d.Is("Include") || d.Is("IncludeOptional"):
			inc, err := l.include(d, stack)
			if err != nil {
				return nil, err
			}
			out = append(out, inc...)
			continue
		}
		if d.IsSection {
			block, err := l.expand(d.Block, stack)
			if err != nil {
				return nil, err
			}
			d.Block = block
		}
	}
	return out, nil
}

func (l *loader) ifDefine(arg string) bool {
	name, negated := strings.CutPrefix(arg, "!")
	_, ok := l.defines[name]
	return ok != negated
}

// rootHint suggests --server-root for a relative path that did not
// resolve: a site checked alone resolves "conf-available/x.conf" from its
// own directory, not from httpd's ServerRoot. It is "" when the server
// root was given, by LoadOptions.ServerRoot or a ServerRoot directive.
func (l *loader) rootHint(arg string) string {
	if filepath.IsAbs(arg) || !l.rootGuessed {
		return ""
	}
	return "; a relative path is resolved from " + l.root + ": give httpd's ServerRoot with --server-root, such as /etc/apache2"
}

// include reads what one Include or IncludeOptional names: a file, a
// directory (every file in it, recursively, sorted) or a glob.
func (l *loader) include(d *Directive, stack []string) ([]*Directive, error) {
	optional := d.Is("IncludeOptional")
	if len(d.Args) != 1 {
		return nil, &SyntaxError{File: d.File, Line: d.Line, Reason: d.Name + " takes one path"}
	}
	pattern := d.Args[0]
	if !filepath.IsAbs(pattern) {
		pattern = filepath.Join(l.root, pattern)
	}
	var paths []string
	if strings.ContainsAny(pattern, "*?[") {
		matches, err := filepath.Glob(pattern)
		if err != nil {
			return nil, &SyntaxError{File: d.File, Line: d.Line, Reason: fmt.Sprintf("%s %q: bad pattern", d.Name, d.Args[0]), Err: err}
		}
		if len(matches) == 0 && !optional {
			return nil, &SyntaxError{File: d.File, Line: d.Line, Reason: fmt.Sprintf("Include %q matches no file (use IncludeOptional when that is fine%s)", pattern, l.rootHint(d.Args[0]))}
		}
		for _, m := range matches {
			if st, err := os.Stat(m); err == nil && !st.IsDir() {
				paths = append(paths, m)
			}
		}
	} else {
		st, err := os.Stat(pattern)
		switch {
		case err != nil && optional && errors.Is(err, fs.ErrNotExist):
			return nil, nil
		case errors.Is(err, fs.ErrNotExist):
			// httpd refuses to start, as for a pattern matching nothing: a
			// mistake in the configuration, not a file this check cannot read.
			return nil, &SyntaxError{File: d.File, Line: d.Line, Reason: fmt.Sprintf("Include %q: no such file or directory (use IncludeOptional when that is fine%s)", pattern, l.rootHint(d.Args[0]))}
		case err != nil:
			return nil, &SyntaxError{File: d.File, Line: d.Line, Reason: fmt.Sprintf("%s %q: cannot read", d.Name, pattern), Err: err}
		case st.IsDir():
			err := filepath.WalkDir(pattern, func(p string, e fs.DirEntry, err error) error {
				if err == nil && !e.IsDir() {
					paths = append(paths, p)
				}
				return err
			})
			if err != nil {
				return nil, &SyntaxError{File: d.File, Line: d.Line, Reason: fmt.Sprintf("%s %q: cannot read directory", d.Name, pattern), Err: err}
			}
		default:
			paths = []string{pattern}
		}
	}
	var out []*Directive
	for _, p := range paths {
		list, err := l.file(p, stack)
		if err != nil {
			return nil, err
		}
		out = append(out, list...)
	}
	return out, nil
}

// substitute replaces each ${NAME} with its Define (or environment)
// value. An unknown name stays as written and is recorded.
func (l *loader) substitute(s string, d *Directive) string {
	if !strings.Contains(s, "${") {
		return s
	}
	var b strings.Builder
	for {
		i := strings.Index(s, "${")
		if i < 0 {
			b.WriteString(s)
			return b.String()
		}
		j := strings.IndexByte(s[i:], '}')
		if j < 0 {
			b.WriteString(s)
			return b.String()
		}
		name := s[i+2 : i+j]
		b.WriteString(s[:i])
		if v, ok := l.lookup(name); ok {
			b.WriteString(v)
		} else {
			b.WriteString(s[i : i+j+1])
			l.cfg.Undefined = append(l.cfg.Undefined, VarUse{Name: name, File: d.File, Line: d.Line})
		}
		s = s[i+j+1:]
	}
}

func (l *loader) lookup(name string) (string, bool) {
	if v, ok := l.defines[name]; ok {
		return v, true
	}
	if l.env != nil {
		return l.env(name)
	}
	return "", false
}
