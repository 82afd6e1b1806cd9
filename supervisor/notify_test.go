//go:build linux

package supervisor

import (
	"maps"
	"strings"
	"testing"
)

func TestParseNotify(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		want map[string]string
	}{
		{"ready", "READY=1", map[string]string{"READY": "1"}},
		{"several lines", "READY=1\nSTATUS=serving\n", map[string]string{"READY": "1", "STATUS": "serving"}},
		{"value with equals sign", "STATUS=a=b", map[string]string{"STATUS": "a=b"}},
		{"line without equals sign ignored", "READY\nSTATUS=x", map[string]string{"STATUS": "x"}},
		{"empty key ignored", "=1", map[string]string{}},
		{"key with space ignored", "RE ADY=1", map[string]string{}},
		{"later assignment wins", "STATUS=a\nSTATUS=b", map[string]string{"STATUS": "b"}},
		{"empty datagram", "", map[string]string{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := parseNotify([]byte(tt.msg)); !maps.Equal(got, tt.want) {
				t.Errorf("parseNotify(%q) = %v, want %v", tt.msg, got, tt.want)
			}
		})
	}
}

// Every key parsed appears in the datagram as "KEY=" at a line start, and
// has no newline, whatever the datagram holds.
func FuzzParseNotify(f *testing.F) {
	for _, s := range []string{"READY=1", "READY=1\nSTATUS=ok", "=", "\n\n=x\n", "WATCHDOG=1\nMAINPID=12"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		for k, v := range parseNotify(msg) {
			if k == "" || strings.ContainsAny(k, "\n \t") || strings.Contains(v, "\n") {
				t.Fatalf("bad pair %q=%q from %q", k, v, msg)
			}
			if !strings.HasPrefix(string(msg), k+"=") && !strings.Contains(string(msg), "\n"+k+"=") {
				t.Fatalf("key %q is not at a line start in %q", k, msg)
			}
		}
	})
}
