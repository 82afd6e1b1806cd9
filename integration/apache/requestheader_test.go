package apache

import "testing"

// TestReadRequestHeader: the last argument is early, a condition or
// neither, depending on how many values the action takes.
func TestReadRequestHeader(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want requestHeader
	}{
		// early is a keyword in any case, not an env= or expr= condition.
		{"set early", []string{"set", "X-Forwarded-Proto", "http", "early"}, requestHeader{action: "set", header: "X-Forwarded-Proto", value: "http", early: true}},
		{"set EARLY", []string{"Set", "X-Forwarded-Proto", "http", "EARLY"}, requestHeader{action: "set", header: "X-Forwarded-Proto", value: "http", early: true}},
		{"unset early", []string{"unset", "X-Forwarded-For", "early"}, requestHeader{action: "unset", header: "X-Forwarded-For", early: true}},
		{"edit early", []string{"edit", "Forwarded", "^(.*)$", "$1;proto=https", "early"}, requestHeader{action: "edit", header: "Forwarded", value: "^(.*)$", early: true}},

		// Conditions.
		{"set env=", []string{"set", "X-Forwarded-Proto", "http", "env=!HTTPS"}, requestHeader{action: "set", header: "X-Forwarded-Proto", value: "http", condition: "env=!HTTPS"}},
		{"unset expr=", []string{"unset", "X-Forwarded-For", "expr=-R '10.0.0.0/8'"}, requestHeader{action: "unset", header: "X-Forwarded-For", condition: "expr=-R '10.0.0.0/8'"}},

		// Neither.
		{"set", []string{"set", "X-Forwarded-Proto", "https"}, requestHeader{action: "set", header: "X-Forwarded-Proto", value: "https"}},
		{"set from an expression", []string{"set", "X-Forwarded-Proto", "expr=%{REQUEST_SCHEME}"}, requestHeader{action: "set", header: "X-Forwarded-Proto", value: "expr=%{REQUEST_SCHEME}"}},
		{"unset", []string{"unset", "X-Forwarded-For"}, requestHeader{action: "unset", header: "X-Forwarded-For"}},
		{"no arguments", nil, requestHeader{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := &Directive{Name: "RequestHeader", Args: tc.args}
			tc.want.d = d
			if got := readRequestHeader(d); got != tc.want {
				t.Errorf("readRequestHeader(%q) = %+v, want %+v", tc.args, got, tc.want)
			}
		})
	}
}
