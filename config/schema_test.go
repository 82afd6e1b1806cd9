package config

import (
	"testing"
	"time"
)

// A duration or size setter refuses a value below its minimum, saying so;
// a minimum of 0 takes every duration and size.
func TestSetterMinimums(t *testing.T) {
	var c Config
	d := func(c *Config) *time.Duration { return &c.App.ShutdownTimeout }
	n := func(c *Config) *Size { return &c.App.Limits.MaxRequestBody }
	tests := []struct {
		name  string
		set   func(*Config, []string) error
		value string
		want  string // "" when the value is taken
	}{
		// Durations.
		{"zero with no minimum", setDuration(0, d), "0s", ""},
		{"negative with no minimum", setDuration(0, d), "-1s", `want a duration of 0s or more, got "-1s"`},
		{"zero where positive", setDuration(positive, d), "0s", `want a positive duration such as 10s, got "0s"`},
		{"negative where positive", setDuration(positive, d), "-1s", `want a positive duration such as 10s, got "-1s"`},
		{"smallest positive", setDuration(positive, d), "1ns", ""},
		{"below a minimum", setDuration(time.Second, d), "500ms", `want a duration of at least 1s, got "500ms"`},
		{"at a minimum", setDuration(time.Second, d), "1s", ""},

		// Sizes.
		{"zero size with no minimum", setSize(0, n), "0", ""},
		{"negative size", setSize(0, n), "-1", `want a size such as 30MB, 32KiB or a number of bytes, got "-1"`},
		{"zero size where positive", setSize(positive, n), "0", `want a positive size such as 10MB, got "0"`},
		{"smallest positive size", setSize(positive, n), "1", ""},
		{"size below a minimum", setSize(1024, n), "1000B", `want a size of at least 1KiB, got "1000B"`},
		{"size at a minimum", setSize(1024, n), "1KiB", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.set(&c, []string{tt.value})
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("%q refused: %v", tt.value, err)
			case tt.want != "" && (err == nil || err.Error() != tt.want):
				t.Errorf("%q: got %v, want %s", tt.value, err, tt.want)
			}
		})
	}
}
