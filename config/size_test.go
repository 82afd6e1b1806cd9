package config

import "testing"

func TestParseSize(t *testing.T) {
	tests := []struct {
		in   string
		want Size
		ok   bool
	}{
		{"0", 0, true},
		{"30000000", 30_000_000, true},
		{"30MB", 30_000_000, true},
		{"30mb", 30_000_000, true},
		{"32KiB", 32768, true},
		{"32 KiB", 32768, true},
		{"1GiB", 1 << 30, true},
		{"5KB", 5000, true},
		{"12B", 12, true},
		{"", 0, false},
		{"KiB", 0, false},
		{"-1", 0, false},
		{"+1", 0, false},
		{"1.5MB", 0, false},
		{"10k", 0, false},
		{"99999999999GiB", 0, false},
	}
	for _, tt := range tests {
		got, err := ParseSize(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParseSize(%q) = %v, %v; want %v, ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}

// A parsed size prints in a form that parses back to the same size.
func FuzzParseSize(f *testing.F) {
	for _, s := range []string{"0", "30MB", "32KiB", "1GiB", "7", "1000KB", "-3", "1e3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		n, err := ParseSize(s)
		if err != nil {
			return
		}
		if n < 0 {
			t.Fatalf("ParseSize(%q) = %d, negative", s, n)
		}
		back, err := ParseSize(n.String())
		if err != nil || back != n {
			t.Fatalf("%q → %d → %q → %d, %v", s, n, n.String(), back, err)
		}
	})
}

func TestParseAddress(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"127.0.0.1:5000", "127.0.0.1:5000", true},
		{"[::1]:5000", "[::1]:5000", true},
		{":5000", ":5000", true},
		{"localhost:80", "localhost:80", true},
		{"unix:/run/app.sock", "unix:/run/app.sock", true},
		{"unix:/run//x/../app.sock", "unix:/run/app.sock", true},
		{"unix:app.sock", "", false},
		{"127.0.0.1", "", false},
		{"127.0.0.1:99999", "", false},
		{"127.0.0.1:http", "", false},
		{"a b:80", "", false},
	}
	for _, tt := range tests {
		got, err := ParseAddress(tt.in)
		if (err == nil) != tt.ok || string(got) != tt.want {
			t.Errorf("ParseAddress(%q) = %q, %v; want %q ok=%v", tt.in, got, err, tt.want, tt.ok)
		}
	}
}
