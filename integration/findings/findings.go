// Package findings is what every configuration checker reports: a
// structured finding with file, line, rule, severity, message and fix, the
// threshold that turns findings into a failing exit code, and the text,
// JSON and SARIF 2.1.0 renderings of a list of findings.
package findings

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Severity orders findings: Info < Warning < Error.
type Severity int

const (
	Info Severity = iota + 1
	Warning
	Error
)

func (s Severity) String() string {
	switch s {
	case Info:
		return "info"
	case Warning:
		return "warning"
	case Error:
		return "error"
	}
	return fmt.Sprintf("severity(%d)", int(s))
}

// ParseSeverity reads "error", "warning" or "info".
func ParseSeverity(s string) (Severity, error) {
	for _, v := range []Severity{Info, Warning, Error} {
		if strings.EqualFold(s, v.String()) {
			return v, nil
		}
	}
	return 0, fmt.Errorf("severity %q: want error, warning or info", s)
}

// Finding is one problem in a configuration.
type Finding struct {
	// Rule is the rule's stable ID, such as "nginx/no-forwarded-proto"; it
	// names the rule's entry in the docs.
	Rule     string
	Severity Severity
	// File and Line locate the directive; Line is 1-based, 0 when the
	// finding is about the file as a whole (or something missing from it).
	File    string
	Line    int
	Message string
	// Fix says how to correct it.
	Fix string
}

// String renders a finding the way nginx -t does:
// "file:line: severity: message [rule]".
func (f Finding) String() string {
	loc := f.File
	if f.Line > 0 {
		loc = fmt.Sprintf("%s:%d", f.File, f.Line)
	}
	return fmt.Sprintf("%s: %s: %s [%s]", loc, f.Severity, f.Message, f.Rule)
}

// Sort orders findings by file, line, then rule, so output is stable.
func Sort(list []Finding) {
	slices.SortStableFunc(list, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(a.File, b.File), cmp.Compare(a.Line, b.Line), cmp.Compare(a.Rule, b.Rule))
	})
}

// Fails reports whether any finding reaches the threshold.
func Fails(list []Finding, threshold Severity) bool {
	for _, f := range list {
		if f.Severity >= threshold {
			return true
		}
	}
	return false
}

// Rule describes a rule for SARIF's rule table and the docs.
type Rule struct {
	ID       string
	Severity Severity
	Summary  string
	// HelpURI points at the rule's entry in the docs.
	HelpURI string
}
