package config

import (
	"fmt"
	"strconv"
	"strings"
)

// Size is a number of bytes. In apphost.yaml it is written as a plain
// number of bytes or with a unit: B, KB, MB, GB (powers of 1000) or KiB,
// MiB, GiB (powers of 1024), for example 30MB or 32KiB.
type Size int64

var sizeUnits = []struct {
	suffix string
	factor int64
}{
	// Longest suffixes first, so "KiB" is not read as "B".
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30},
	{"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
	{"B", 1},
}

const sizeWant = "a size such as 30MB, 32KiB or a number of bytes"

// ParseSize reads a size as written in apphost.yaml. Units are
// case-insensitive; a negative or fractional number is an error.
func ParseSize(s string) (Size, error) {
	t := strings.TrimSpace(s)
	factor := int64(1)
	for _, u := range sizeUnits {
		if len(t) > len(u.suffix) && strings.EqualFold(t[len(t)-len(u.suffix):], u.suffix) {
			factor = u.factor
			t = strings.TrimSpace(t[:len(t)-len(u.suffix)])
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 || strings.HasPrefix(t, "+") {
		return 0, fmt.Errorf("want %s, got %q", sizeWant, s)
	}
	if n > (1<<63-1)/factor {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return Size(n * factor), nil
}

// String writes the size with the largest unit that divides it exactly,
// so that ParseSize(s.String()) == s.
func (s Size) String() string {
	n := int64(s)
	if n == 0 {
		return "0"
	}
	for _, u := range []struct {
		suffix string
		factor int64
	}{{"GiB", 1 << 30}, {"GB", 1e9}, {"MiB", 1 << 20}, {"MB", 1e6}, {"KiB", 1 << 10}, {"KB", 1e3}} {
		if n%u.factor == 0 {
			return strconv.FormatInt(n/u.factor, 10) + u.suffix
		}
	}
	return strconv.FormatInt(n, 10)
}
