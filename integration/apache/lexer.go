package apache

import (
	"strings"
)

// logicalLine is one directive's text after line continuations are
// joined, with the number of the physical line it starts on.
type logicalLine struct {
	line int
	text string
}

// splitLines turns a file into logical lines the way httpd reads them: a
// line whose last non-blank character is a backslash continues on the next
// line; blank lines and lines starting with # are dropped. Leading and
// trailing blanks are trimmed.
func splitLines(src string) []logicalLine {
	src = strings.ReplaceAll(src, "\r\n", "\n")
	phys := strings.Split(src, "\n")
	var out []logicalLine
	var cur strings.Builder
	start := 0
	for i, raw := range phys {
		text := strings.TrimRight(raw, " \t\r\f\v")
		if cur.Len() == 0 {
			start = i + 1
		}
		if cont, ok := strings.CutSuffix(text, `\`); ok && i < len(phys)-1 {
			cur.WriteString(cont)
			continue
		}
		cur.WriteString(text)
		l := strings.TrimSpace(cur.String())
		cur.Reset()
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		out = append(out, logicalLine{line: start, text: l})
	}
	return out
}

// splitArgs splits a directive's text into words as httpd's
// ap_getword_conf does: words are separated by blanks; a word starting
// with a double or single quote runs to the matching quote, and a
// backslash before that quote character keeps it in the word. An
// unterminated quote is an error.
func splitArgs(s string) ([]string, error) {
	var args []string
	i := 0
	for {
		for i < len(s) && isBlank(s[i]) {
			i++
		}
		if i >= len(s) {
			return args, nil
		}
		if q := s[i]; q == '"' || q == '\'' {
			var w strings.Builder
			j := i + 1
			closed := false
			for j < len(s) {
				c := s[j]
				if c == '\\' && j+1 < len(s) && s[j+1] == q {
					w.WriteByte(q)
					j += 2
					continue
				}
				if c == q {
					closed = true
					j++
					break
				}
				w.WriteByte(c)
				j++
			}
			if !closed {
				return nil, &quoteError{quote: q, word: s[i:]}
			}
			args = append(args, w.String())
			i = j
			continue
		}
		j := i
		for j < len(s) && !isBlank(s[j]) {
			j++
		}
		args = append(args, s[i:j])
		i = j
	}
}

type quoteError struct {
	quote byte
	word  string
}

func (e *quoteError) Error() string {
	w := e.word
	if len(w) > 40 {
		w = w[:40] + "…"
	}
	return "unterminated " + string(e.quote) + " quote in " + strings.TrimSpace(w)
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' || c == '\f' || c == '\v' || c == '\r' }
