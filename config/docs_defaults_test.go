package config

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// docRows returns, for every key row of docs/configuration.md's tables, the
// default column as written.
func docRows(t *testing.T) map[string]string {
	t.Helper()
	data, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(data), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 6 || !strings.HasPrefix(strings.TrimSpace(cells[2]), "`APPHOST_") {
			continue
		}
		key := strings.Trim(strings.TrimSpace(cells[1]), "`")
		rows[key] = strings.TrimSpace(cells[4])
	}
	return rows
}

var firstCode = regexp.MustCompile("`([^`]*)`")

// documentedValues reads a default cell: the first code span, a list
// written [a, b] as its elements, `""` as the empty string. A cell without
// a code span ("the supervisor's") documents the zero value.
func documentedValues(cell string) []string {
	m := firstCode.FindStringSubmatch(cell)
	if m == nil {
		return []string{""}
	}
	v := m[1]
	if v == `""` {
		return []string{""}
	}
	if inner, ok := strings.CutPrefix(v, "["); ok {
		return splitList(strings.TrimSuffix(inner, "]"))
	}
	return []string{v}
}

// withoutEmptySlices replaces empty slices by nil throughout v, so that a
// documented [] compares equal to an unset list.
func withoutEmptySlices(v reflect.Value) {
	switch v.Kind() {
	case reflect.Pointer:
		if !v.IsNil() {
			withoutEmptySlices(v.Elem())
		}
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Field(i).CanSet() {
				withoutEmptySlices(v.Field(i))
			}
		}
	case reflect.Slice:
		if v.Len() == 0 && v.CanSet() {
			v.SetZero()
		}
	}
}

// The default column of docs/configuration.md is true: setting each key to
// its documented default leaves the defaults unchanged. (Default values
// derived from other keys, such as proxy.upstreams, are checked after
// Validate.)
func TestDocsGiveEveryDefault(t *testing.T) {
	rows := docRows(t)
	for _, key := range Keys() {
		cell, ok := rows[key]
		if !ok {
			t.Errorf("docs/configuration.md has no row for %s", key)
			continue
		}
		if key == "proxy.upstreams" {
			if cell != "`app.listen`" {
				t.Errorf("%s: documented default %s, want `app.listen`", key, cell)
			}
			c := Default()
			if err := c.Validate(); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(c.ProxyUpstreams(), c.App.Listen) {
				t.Errorf("%s defaults to %v, not app.listen %v", key, c.ProxyUpstreams(), c.App.Listen)
			}
			continue
		}
		got, want := Default(), Default()
		if strings.HasPrefix(key, "proxy.tls.") {
			want.tls() // setting any TLS key creates the section
		}
		vals := documentedValues(cell)
		if f, _ := lookupField(key); f.list && len(vals) == 1 && vals[0] == "" {
			vals = nil
		}
		if err := got.Set("docs", key, vals...); err != nil {
			t.Errorf("%s: documented default %s does not parse: %v", key, cell, err)
			continue
		}
		got.origin = nil
		withoutEmptySlices(reflect.ValueOf(got))
		withoutEmptySlices(reflect.ValueOf(want))
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%s: documented default %s (%q) is not the default", key, cell, vals)
		}
	}
}
