package main

import (
	"errors"
	"os/exec"
	"strings"
	"testing"

	"github.com/apphost/apphost/tests/harness"
)

// Each forwarded-headers flag of apphost serve changes what the diagnostic
// report shows.
func TestServeForwardedFlags(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		headers map[string]string
		want    map[string]any
	}{
		{"--forwarded-headers forwarded reads RFC 7239",
			[]string{"--forwarded-headers", "forwarded"},
			map[string]string{"Forwarded": `for="203.0.113.7:4444";proto=https`, "X-Forwarded-For": "198.51.100.1"},
			map[string]any{"client_ip": "203.0.113.7", "client_port": float64(4444), "scheme": "https"}},
		{"--forwarded-headers x-forwarded never falls back to Forwarded",
			[]string{"--forwarded-headers", "x-forwarded"},
			map[string]string{"Forwarded": `for=203.0.113.7;proto=https`},
			map[string]any{"client_ip": "127.0.0.1", "scheme": "http"}},
		{"--forwarded-headers none reads nothing",
			[]string{"--forwarded-headers", "none"},
			map[string]string{"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"},
			map[string]any{"client_ip": "127.0.0.1", "scheme": "http"}},
		{"the default limit of one hop takes the rightmost entry",
			nil,
			map[string]string{"X-Forwarded-For": "203.0.113.7, 10.0.0.5"},
			map[string]any{"client_ip": "10.0.0.5"}},
		{"--forward-limit 2 walks through a trusted hop",
			[]string{"--forward-limit", "2", "--trusted-proxies", "loopback,10.0.0.0/8"},
			map[string]string{"X-Forwarded-For": "6.6.6.6, 203.0.113.7, 10.0.0.5"},
			map[string]any{"client_ip": "203.0.113.7"}},
		{"--allowed-hosts refuses another forwarded host",
			[]string{"--allowed-hosts", "shop.example.com,*.shop.example.com"},
			map[string]string{"X-Forwarded-Host": "evil.example"},
			map[string]any{"host": "HOST"}},
		{"--allowed-hosts applies a listed host",
			[]string{"--allowed-hosts", "shop.example.com,*.shop.example.com"},
			map[string]string{"X-Forwarded-Host": "eu.shop.example.com"},
			map[string]any{"host": "eu.shop.example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, addr := startServe(t, nil, tt.args...)
			m := getReportWith(t, "http://"+addr+"/", tt.headers)
			for k, want := range tt.want {
				if want == "HOST" {
					want = addr
				}
				if m[k] != want {
					t.Errorf("%s = %#v, want %#v", k, m[k], want)
				}
			}
		})
	}
}

// A bad forwarded-headers option stops apphost serve at start-up with exit
// status 2 and a message naming the flag, the key and what is accepted.
func TestServeRefusesBadForwardedOptions(t *testing.T) {
	tests := []struct {
		args []string
		env  string
		want string
	}{
		{[]string{"--trusted-proxies", "10.0.0.0/33"}, "", `flag --trusted-proxies: forwarded.trusted_proxies: trusted proxy "10.0.0.0/33": want a CIDR`},
		{[]string{"--trusted-proxies", "fe80::1%eth0"}, "", "forwarded.trusted_proxies"},
		{[]string{"--forward-limit", "0"}, "", "flag --forward-limit: forwarded.forward_limit: want a whole number of at least 1"},
		{[]string{"--forwarded-headers", "x-forwarded-for"}, "", "flag --forwarded-headers: forwarded.headers: want one of x-forwarded, forwarded, none"},
		{[]string{"--allowed-hosts", "shop.example.com:443"}, "", `flag --allowed-hosts: forwarded.allowed_hosts: allowed host "shop.example.com:443": want a host name`},
		{[]string{"--allowed-hosts", "*"}, "", "forwarded.allowed_hosts"},
		{nil, "APPHOST_FORWARDED_FORWARD_LIMIT=-1", "environment APPHOST_FORWARDED_FORWARD_LIMIT: forwarded.forward_limit"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(append(tt.args, tt.env), " "), func(t *testing.T) {
			cmd := exec.Command(harness.Apphost(t), append([]string{"serve", "--listen", "127.0.0.1:0", "--admin-listen", "off"}, tt.args...)...)
			if tt.env != "" {
				cmd.Env = append(cmd.Environ(), tt.env)
			}
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 {
				t.Fatalf("want exit status 2, got %v:\n%s", err, out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("output %q does not contain %q", out, tt.want)
			}
			if strings.Contains(string(out), "listening") {
				t.Errorf("served before refusing the option:\n%s", out)
			}
		})
	}
}
