package iis

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/integration/findings"
)

// Check applies the rules to a parsed web.config. With a deployment
// description (c non-nil) it also cross-checks the body limit, the
// addresses rewrite rules proxy to and the program IIS starts. Findings
// come sorted by line.
func Check(doc *Document, c *config.Config) []findings.Finding {
	ck := &checker{doc: doc}
	ck.sectionGroupCase(doc.Root)
	servers := webServers(doc.Root)
	specs := sections()
	for _, s := range servers {
		for _, sec := range s.Children {
			if spec, ok := specs[sec.Name]; ok {
				ck.element(sec, spec)
				continue
			}
			for known := range specs {
				if strings.EqualFold(known, sec.Name) {
					ck.add(RuleUnknownElement, findings.Error, sec.Line,
						fmt.Sprintf("unknown section <%s> in <system.webServer>", sec.Name),
						fmt.Sprintf("element names are case-sensitive: write <%s>", known))
				}
			}
		}
	}
	ck.modules(servers)
	ck.rewrites(servers, c)
	if c != nil {
		ck.crossCheck(servers, c)
	}
	findings.Sort(ck.list)
	return ck.list
}

type checker struct {
	doc  *Document
	list []findings.Finding
}

func (ck *checker) add(rule string, sev findings.Severity, line int, msg, fix string) {
	ck.list = append(ck.list, findings.Finding{Rule: rule, Severity: sev, File: ck.doc.File, Line: line, Message: msg, Fix: fix})
}

// webServers returns every <system.webServer>, at the top and in
// <location> elements, in document order.
func webServers(root *Element) []*Element {
	var out []*Element
	for _, e := range root.Children {
		switch e.Name {
		case "system.webServer":
			out = append(out, e)
		case "location":
			for _, s := range e.Children {
				if s.Name == "system.webServer" {
					out = append(out, s)
				}
			}
		}
	}
	return out
}

// find returns the elements reached by path below each of the servers.
func find(servers []*Element, path ...string) []*Element {
	cur := servers
	for _, name := range path {
		var next []*Element
		for _, e := range cur {
			for _, c := range e.Children {
				if c.Name == name {
					next = append(next, c)
				}
			}
		}
		cur = next
	}
	return cur
}

// element checks e and its descendants against spec: names, values and
// required attributes.
func (ck *checker) element(e *Element, spec *elemSpec) {
	if spec.open {
		return
	}
	for _, a := range e.Attrs {
		if strings.Contains(a.Name, ":") {
			continue // another namespace, such as xdt's transforms
		}
		as, ok := spec.attrs[a.Name]
		if !ok {
			msg := fmt.Sprintf("<%s> has no attribute %q", e.Name, a.Name)
			if guess := closest(a.Name, sortedKeys(spec.attrs)); guess != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", guess)
			}
			ck.add(RuleUnknownAttribute, findings.Error, a.Line, msg,
				"remove it or use one of: "+strings.Join(sortedKeys(spec.attrs), ", "))
			continue
		}
		ck.value(e, a, as)
	}
	for _, name := range sortedKeys(spec.attrs) {
		if _, ok := e.Attr(name); spec.attrs[name].required && !ok && name != "processPath" {
			ck.add(RuleInvalidValue, findings.Error, e.Line,
				fmt.Sprintf("<%s> lacks the required attribute %q", e.Name, name), "add "+name+"=\"…\"")
		}
	}
	for _, c := range e.Children {
		cs, ok := spec.children[c.Name]
		if !ok {
			fix := fmt.Sprintf("<%s> holds no child elements; remove it", e.Name)
			if len(spec.children) > 0 {
				fix = fmt.Sprintf("remove it or use one of: %s", strings.Join(sortedKeys(spec.children), ", "))
			}
			msg := fmt.Sprintf("<%s> cannot hold <%s>", e.Name, c.Name)
			if guess := closest(c.Name, sortedKeys(spec.children)); guess != "" {
				msg += fmt.Sprintf(" (did you mean <%s>?)", guess)
			}
			ck.add(RuleUnknownElement, findings.Error, c.Line, msg, fix)
			continue
		}
		ck.element(c, cs)
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// equalFoldAny reports whether s is one of vals, ignoring case.
func equalFoldAny(s string, vals ...string) bool {
	return slices.ContainsFunc(vals, func(v string) bool { return strings.EqualFold(s, v) })
}

// sectionGroupCase reports <system.webserver> and other spellings of
// <system.webServer> that differ only in case: IIS does not read them,
// and neither would the other checks.
func (ck *checker) sectionGroupCase(root *Element) {
	candidates := []*Element{}
	for _, e := range root.Children {
		candidates = append(candidates, e)
		if e.Name == "location" {
			candidates = append(candidates, e.Children...)
		}
	}
	for _, e := range candidates {
		if e.Name != "system.webServer" && strings.EqualFold(e.Name, "system.webServer") {
			ck.add(RuleUnknownElement, findings.Error, e.Line,
				fmt.Sprintf("unknown section group <%s>", e.Name),
				"element names are case-sensitive: write <system.webServer>")
		}
	}
}
