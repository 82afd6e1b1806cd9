package nginx

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/apphost/apphost/config"
)

// parseSize reads an nginx size: bytes, or with k/K or m/M or g/G
// (powers of 1024).
func parseSize(s string) (config.Size, error) {
	mult := int64(1)
	t := s
	if t != "" {
		switch t[len(t)-1] {
		case 'k', 'K':
			mult, t = 1<<10, t[:len(t)-1]
		case 'm', 'M':
			mult, t = 1<<20, t[:len(t)-1]
		case 'g', 'G':
			mult, t = 1<<30, t[:len(t)-1]
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || n > (1<<62)/mult {
		return 0, fmt.Errorf("size %q: want a number with an optional k, m or g", s)
	}
	return config.Size(n * mult), nil
}

var timeUnits = []struct {
	suffix string
	d      time.Duration
}{
	// "ms" before "m" and "s".
	{"ms", time.Millisecond}, {"y", 365 * 24 * time.Hour}, {"M", 30 * 24 * time.Hour},
	{"w", 7 * 24 * time.Hour}, {"d", 24 * time.Hour}, {"h", time.Hour}, {"m", time.Minute}, {"s", time.Second},
}

// parseTime reads an nginx time such as 60, 60s, 1m30s or 500ms; a bare
// number is seconds.
func parseTime(s string) (time.Duration, error) {
	if s == "" {
		return 0, fmt.Errorf("time %q: empty", s)
	}
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, nil
	}
	var total time.Duration
	rest := s
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 {
			return 0, fmt.Errorf("time %q: want a number followed by ms, s, m, h, d, w, M or y", s)
		}
		n, err := strconv.ParseInt(rest[:i], 10, 64)
		if err != nil {
			return 0, fmt.Errorf("time %q: %w", s, err)
		}
		rest = rest[i:]
		matched := false
		for _, u := range timeUnits {
			if strings.HasPrefix(rest, u.suffix) {
				total += time.Duration(n) * u.d
				rest = rest[len(u.suffix):]
				matched = true
				break
			}
		}
		if !matched {
			return 0, fmt.Errorf("time %q: want a number followed by ms, s, m, h, d, w, M or y", s)
		}
	}
	return total, nil
}

// variables lists the variable names in an nginx value: "$host:$1" →
// host, 1.
func variables(s string) []string {
	var out []string
	for i := 0; i < len(s); i++ {
		if s[i] != '$' {
			continue
		}
		name, next := variableAt(s, i)
		if name != "" {
			out = append(out, name)
		}
		i = next - 1
	}
	return out
}

// variableAt reads the variable whose '$' is at s[i]: its name ("host" for
// "$host" or "${host}") and the index just after it. A capture is one
// digit, as nginx reads "$10" as $1 then "0". name is "" when no variable
// starts there.
func variableAt(s string, i int) (name string, next int) {
	start := i + 1
	braced := start < len(s) && s[start] == '{'
	if braced {
		start++
	}
	end := start
	switch {
	case end < len(s) && '0' <= s[end] && s[end] <= '9':
		end++
	default:
		for end < len(s) && isVariableByte(s[end]) {
			end++
		}
	}
	if end == start {
		return "", i + 1
	}
	next = end
	if braced && next < len(s) && s[next] == '}' {
		next++
	}
	return s[start:end], next
}

// isVariableByte reports whether b may be part of an nginx variable name.
func isVariableByte(b byte) bool {
	return b == '_' || '0' <= b && b <= '9' || 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z'
}
