package iis

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/apphost/apphost/integration/findings"
)

var timeSpanSyntax = regexp.MustCompile(`^(?:(\d{1,5})\.)?(\d{2,5}):(\d{2}):(\d{2})$`)

// parseTimeSpan reads IIS's time span: hh:mm:ss, where hours may pass 23
// (the ASP.NET Core Module documents 360:00:00), or d.hh:mm:ss with hours
// 0–23; minutes and seconds 0–59.
func parseTimeSpan(s string) (time.Duration, error) {
	m := timeSpanSyntax.FindStringSubmatch(s)
	if m == nil {
		return 0, fmt.Errorf("%q is not a time span: want hh:mm:ss such as 00:02:00, or d.hh:mm:ss", s)
	}
	n := make([]int64, 4)
	for i, p := range m[1:] {
		if p != "" {
			n[i], _ = strconv.ParseInt(p, 10, 64)
		}
	}
	if (m[1] != "" && n[1] > 23) || n[2] > 59 || n[3] > 59 {
		return 0, fmt.Errorf("%q is not a time span: minutes and seconds go to 59, and hours to 23 after a day count", s)
	}
	return time.Duration(n[0])*24*time.Hour + time.Duration(n[1])*time.Hour + time.Duration(n[2])*time.Minute + time.Duration(n[3])*time.Second, nil
}

// formatSpan writes a duration as IIS's time span.
func formatSpan(d time.Duration) string {
	days := int64(d / (24 * time.Hour))
	d -= time.Duration(days) * 24 * time.Hour
	s := fmt.Sprintf("%02d:%02d:%02d", int64(d/time.Hour), int64(d%time.Hour/time.Minute), int64(d%time.Minute/time.Second))
	if days > 0 {
		return strconv.FormatInt(days, 10) + "." + s
	}
	return s
}

// value checks one attribute's value against its kind and range.
func (ck *checker) value(e *Element, a Attr, as attrSpec) {
	invalid := func(format string, args ...any) {
		ck.add(RuleInvalidValue, findings.Error, a.Line, fmt.Sprintf("<%s %s>: ", e.Name, a.Name)+fmt.Sprintf(format, args...),
			fmt.Sprintf("write %s as %s; IIS refuses the whole web.config (500.19) until then", a.Name, kindWant(as)))
	}
	outOfRange := func(got, lo, hi string) {
		ck.add(RuleValueOutOfRange, findings.Error, a.Line,
			fmt.Sprintf("<%s %s=%q>: IIS accepts %s to %s", e.Name, a.Name, a.Value, lo, hi),
			fmt.Sprintf("write a value from %s to %s; IIS refuses the whole web.config (500.19) otherwise", lo, hi))
	}
	v := strings.TrimSpace(a.Value)
	switch as.kind {
	case kindBool:
		if !equalFoldAny(v, "true", "false") {
			invalid("%q is not a boolean: want true or false", a.Value)
		}
	case kindEnum:
		if !equalFoldAny(v, as.enum...) {
			invalid("%q: want one of %s", a.Value, strings.Join(as.enum, ", "))
		}
	case kindUint:
		n, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			if isDigits(strings.TrimPrefix(v, "-")) { // negative, or beyond 64 bits
				outOfRange(v, strconv.FormatUint(as.min, 10), strconv.FormatUint(as.max, 10))
				return
			}
			invalid("%q is not a whole number", a.Value)
			return
		}
		if n < as.min || n > as.max {
			outOfRange(v, strconv.FormatUint(as.min, 10), strconv.FormatUint(as.max, 10))
		}
	case kindTimeSpan:
		d, err := parseTimeSpan(v)
		if err != nil {
			invalid("%v", err)
			return
		}
		if d > as.maxSpan {
			outOfRange(v, "00:00:00", formatSpan(as.maxSpan))
			return
		}
		if as.spanStep > 0 && d%as.spanStep != 0 {
			invalid("%q is not a whole number of minutes, which is what <%s> counts in", a.Value, e.Name)
		}
	}
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// kindWant says what a value of the kind looks like, for fixes.
func kindWant(as attrSpec) string {
	switch as.kind {
	case kindBool:
		return "true or false"
	case kindEnum:
		return "one of " + strings.Join(as.enum, ", ")
	case kindUint:
		return fmt.Sprintf("a whole number from %d to %d", as.min, as.max)
	case kindTimeSpan:
		want := "hh:mm:ss (such as 00:02:00) or d.hh:mm:ss, at most " + formatSpan(as.maxSpan)
		if as.spanStep == time.Minute {
			want += ", in whole minutes"
		}
		return want
	}
	return "text"
}
