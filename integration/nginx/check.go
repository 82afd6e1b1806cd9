package nginx

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/integration/findings"
)

// CheckOptions tune Check. The zero value checks the configuration alone.
type CheckOptions struct {
	// Description, when set, adds the cross-checks against it.
	Description *config.Config
	// NginxTest also runs the real `nginx -t` on each file.
	NginxTest bool
	// NginxBinary is the nginx to run; "" finds it (see FindBinary).
	NginxBinary string
}

// Check reads each file (see Read) and returns the findings of every
// rule. The error is for a file that cannot be read, or for NginxTest
// when nginx cannot be run.
func Check(ctx context.Context, paths []string, opts CheckOptions) ([]findings.Finding, error) {
	if len(paths) == 0 {
		return nil, errors.New("no nginx configuration file given")
	}
	var all []findings.Finding
	for _, p := range paths {
		tree, list, err := Read(p)
		if err != nil {
			return nil, err
		}
		all = append(all, list...)
		all = append(all, CheckTree(tree, opts.Description)...)
		if opts.NginxTest {
			f, err := nginxTestFinding(ctx, opts.NginxBinary, tree)
			if err != nil {
				return nil, err
			}
			all = append(all, f)
		}
	}
	findings.Sort(all)
	return all, nil
}

// CheckTree runs the rules over a parsed configuration; with a
// description (non-nil) also the cross-checks against it.
func CheckTree(t *Tree, desc *config.Config) []findings.Finding {
	c := newChecker(t, desc)
	c.checkProxyHeaders()
	c.checkKeepalive()
	c.checkInheritance(headerDirective{"proxy_set_header", RuleProxySetHeaderDropped})
	c.checkInheritance(headerDirective{"add_header", RuleAddHeaderDropped})
	c.checkAlias()
	c.checkProxyPassTargets()
	c.checkCRLF()
	if desc != nil {
		c.crossCheck()
	}
	findings.Sort(c.out)
	return c.out
}

func nginxTestFinding(ctx context.Context, binary string, t *Tree) (findings.Finding, error) {
	if binary == "" {
		b, ok := FindBinary()
		if !ok {
			return findings.Finding{}, errors.New("--nginx-test: nginx is not installed (not on PATH nor in /usr/sbin)")
		}
		binary = b
	}
	res, err := RunTreeTest(ctx, binary, t)
	if err != nil {
		return findings.Finding{}, err
	}
	if res.OK {
		return findings.Finding{Rule: RuleNginxTest, Severity: findings.Info, File: t.Path, Message: "nginx -t accepted the configuration"}, nil
	}
	file := res.File
	if abs, err := filepath.Abs(t.Path); err == nil && abs == file {
		file = t.Path
	}
	return findings.Finding{Rule: RuleNginxTest, Severity: findings.Error, File: file, Line: res.Line,
		Message: fmt.Sprintf("nginx -t rejected the configuration: %s", res.Message), Fix: ruleFix(RuleNginxTest)}, nil
}

// checker holds one run of the rules over one tree.
type checker struct {
	tree *Tree
	desc *config.Config
	// upstreams are the upstream {} blocks by name; maps the map {} blocks
	// by the variable they set (without '$').
	upstreams map[string]*Node
	maps      map[string]*Node
	// proxies are the proxy_pass directives, in document order.
	proxies []*Node
	out     []findings.Finding
	seen    map[string]bool
}

func newChecker(t *Tree, desc *config.Config) *checker {
	c := &checker{tree: t, desc: desc, upstreams: map[string]*Node{}, maps: map[string]*Node{}, seen: map[string]bool{}}
	t.Root.Walk(func(n *Node) {
		switch {
		case n.Name == "upstream" && n.IsBlock():
			c.upstreams[strings.ToLower(n.Arg(0))] = n // nginx matches upstream names in any case
		case n.Name == "map" && n.IsBlock() && len(n.Args) == 2:
			c.maps[trimVar(n.Arg(1))] = n
		case n.Name == "proxy_pass" && n.Parent != nil:
			c.proxies = append(c.proxies, n)
		}
	})
	return c
}

// report adds a finding of rule at n, once per rule and location.
func (c *checker) report(rule string, n *Node, format string, args ...any) {
	r := lookupRule(rule)
	f := findings.Finding{Rule: rule, Severity: r.severity, Message: fmt.Sprintf(format, args...), Fix: r.fix}
	if n != nil {
		f.File, f.Line = n.File, n.Line
	} else {
		f.File = c.tree.Path
	}
	key := fmt.Sprintf("%s|%s|%d|%s", rule, f.File, f.Line, f.Message)
	if c.seen[key] {
		return
	}
	c.seen[key] = true
	c.out = append(c.out, f)
}

func trimVar(s string) string {
	s = trimPrefix(s, "$")
	if len(s) > 1 && s[0] == '{' && s[len(s)-1] == '}' {
		s = s[1 : len(s)-1]
	}
	return s
}

func trimPrefix(s, p string) string {
	if len(s) >= len(p) && s[:len(p)] == p {
		return s[len(p):]
	}
	return s
}
