package findings

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Formats lists the output formats Write accepts.
var formats = []string{"text", "json", "sarif"}

// CheckFormat returns an error naming the accepted formats when format is
// not one of them.
func CheckFormat(format string) error {
	for _, f := range formats {
		if f == format {
			return nil
		}
	}
	return fmt.Errorf("format %q: want %s", format, strings.Join(formats, ", "))
}

// Write renders findings in format: "text" (one line each, then a count),
// "json" (an array of objects with rule, severity, file, line, message,
// fix) or "sarif" (SARIF 2.1.0, for code scanning). tool and rules fill in
// SARIF's driver section.
func Write(w io.Writer, format string, list []Finding, tool Tool, rules []Rule) error {
	switch format {
	case "text":
		return writeText(w, list)
	case "json":
		return writeJSON(w, list)
	case "sarif":
		return writeSARIF(w, list, tool, rules)
	}
	return CheckFormat(format)
}

func writeText(w io.Writer, list []Finding) error {
	var b strings.Builder
	count := map[Severity]int{}
	for _, f := range list {
		appendText(&b, f)
		count[f.Severity]++
	}
	fmt.Fprintf(&b, "%d error(s), %d warning(s), %d info\n", count[Error], count[Warning], count[Info])
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteLines renders findings as the text format does, without the count:
// for warnings a command prints beside its output.
func WriteLines(w io.Writer, list []Finding) error {
	var b strings.Builder
	for _, f := range list {
		appendText(&b, f)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// appendText is one finding in the text format: its line, and its fix.
func appendText(b *strings.Builder, f Finding) {
	b.WriteString(f.String())
	b.WriteByte('\n')
	if f.Fix != "" {
		b.WriteString("    fix: " + f.Fix + "\n")
	}
}

type jsonFinding struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	File     string `json:"file"`
	Line     int    `json:"line"`
	Message  string `json:"message"`
	Fix      string `json:"fix,omitempty"`
}

func writeJSON(w io.Writer, list []Finding) error {
	out := make([]jsonFinding, 0, len(list))
	for _, f := range list {
		out = append(out, jsonFinding{f.Rule, f.Severity.String(), f.File, f.Line, f.Message, f.Fix})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	// Messages quote configuration such as <VirtualHost>; keep it readable.
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
