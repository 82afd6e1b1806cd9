package forwarded

import (
	"errors"
	"strings"
)

// listIter walks the entries of a header's field lines from the right end,
// the end the nearest proxy wrote, without allocating. All field lines are
// one list, in order: several X-Forwarded-For lines are joined, not just the
// first read. Empty entries are skipped, as RFC 9110 asks of list parsers.
type listIter struct {
	lines   []string
	i       int    // index of the line holding cur; len(lines) before the first call
	cur     string // unread left part of lines[i]
	has     bool   // cur is valid
	rfc7239 bool   // split outside quoted strings
}

func newListIter(lines []string, rfc7239 bool) listIter {
	return listIter{lines: lines, i: len(lines), rfc7239: rfc7239}
}

var errUnterminated = errors.New("unterminated quoted string")

// next returns the next entry from the right, trimmed of spaces. ok is false
// at the start of the list. An error means the list cannot be split
// further; the caller must stop.
func (it *listIter) next() (entry string, ok bool, err error) {
	for {
		if !it.has {
			if it.i == 0 {
				return "", false, nil
			}
			it.i--
			it.cur, it.has = it.lines[it.i], true
		}
		at, err := it.lastComma(it.cur)
		if err != nil {
			return "", false, err
		}
		if at < 0 {
			entry, it.has = it.cur, false
		} else {
			entry, it.cur = it.cur[at+1:], it.cur[:at]
		}
		if entry = trimOWS(entry); entry != "" {
			return entry, true, nil
		}
	}
}

// lastComma finds the rightmost list separator, or -1. For RFC 7239 a
// comma inside a quoted string does not count; scanning from the right, a
// quote inside a quoted string is escaped exactly when an odd number of
// backslashes precede it.
func (it *listIter) lastComma(s string) (int, error) {
	if !it.rfc7239 || strings.IndexByte(s, '"') < 0 {
		return strings.LastIndexByte(s, ','), nil
	}
	inQuote := false
	for i := len(s) - 1; i >= 0; i-- {
		switch c := s[i]; {
		case !inQuote && c == ',':
			return i, nil
		case !inQuote && c == '"':
			inQuote = true
		case inQuote && c == '"':
			n := 0
			for j := i - 1; j >= 0 && s[j] == '\\'; j-- {
				n++
			}
			if n%2 == 0 {
				inQuote = false
			}
		}
	}
	if inQuote {
		return -1, errUnterminated
	}
	return -1, nil
}

// appendRemaining appends to dst the field lines left after the entries
// read so far, and returns dst and whether any was left.
func (it *listIter) appendRemaining(dst []string) ([]string, bool) {
	n := len(dst)
	dst = append(dst, it.lines[:min(it.i, len(it.lines))]...)
	if it.has && trimOWS(trimCommas(it.cur)) != "" {
		dst = append(dst, trimOWS(it.cur))
	}
	return dst, len(dst) > n
}

// appendDropRight appends to dst the field lines of lines without their n
// rightmost entries, and returns dst and whether any line was left.
func appendDropRight(dst, lines []string, n int, rfc7239 bool) ([]string, bool) {
	it := newListIter(lines, rfc7239)
	for range n {
		if _, ok, err := it.next(); !ok || err != nil {
			return dst, false
		}
	}
	return it.appendRemaining(dst)
}

// entryAt returns the entry at position pos from the right or, when the
// list is shorter, its leftmost entry. ok is false for an empty list.
func entryAt(lines []string, pos int) (string, bool) {
	it := newListIter(lines, false)
	var last string
	found := false
	for i := 0; i <= pos; i++ {
		e, ok, _ := it.next()
		if !ok {
			break
		}
		last, found = e, true
	}
	return last, found
}

func trimOWS(s string) string {
	for len(s) > 0 && (s[0] == ' ' || s[0] == '\t') {
		s = s[1:]
	}
	for len(s) > 0 && (s[len(s)-1] == ' ' || s[len(s)-1] == '\t') {
		s = s[:len(s)-1]
	}
	return s
}

func trimCommas(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c != ',' && c != ' ' && c != '\t' {
			return s
		}
	}
	return ""
}
