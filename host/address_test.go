package host

import (
	"net"
	"strings"
	"testing"
)

func TestParseAddress(t *testing.T) {
	tests := []struct {
		name, in string
		want     address
		wantErr  string
	}{
		// Accepted forms.
		{"an IPv4 address and port", "127.0.0.1:5000", address{"tcp", "127.0.0.1:5000"}, ""},
		{"an IPv6 address and port", "[::1]:5000", address{"tcp", "[::1]:5000"}, ""},
		{"a host name and port", "localhost:80", address{"tcp", "localhost:80"}, ""},
		{"every interface", ":5000", address{"tcp", ":5000"}, ""},
		{"a leading zero in the port is normalised", "127.0.0.1:05000", address{"tcp", "127.0.0.1:5000"}, ""},
		{"a unix socket path is cleaned", "unix:/run/app/../app/app.sock", address{"unix", "/run/app/app.sock"}, ""},

		// Rejected forms name what is accepted.
		{"no port", "127.0.0.1", address{}, "expected host:port"},
		{"a port name", "127.0.0.1:http", address{}, `port "http" is not a number`},
		{"a negative port", "127.0.0.1:-1", address{}, "is not a number"},
		{"a port above 65535", "127.0.0.1:65536", address{}, "is not a number from 0 to 65535"},
		{"a URL", "http://127.0.0.1:5000", address{}, "expected host:port"},
		{"an empty unix path", "unix:", address{}, "needs an absolute path"},
		{"a relative unix path", "unix:app.sock", address{}, "needs an absolute path"},
		{"a host with a slash", "a/b:80", address{}, "is not an IP address or a host name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseAddress(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.in) {
					t.Fatalf("error %v, want one naming %q and saying %q", err, tt.in, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

// The host's overlap check is config.Address.Overlaps (whose table test is
// in config): these cases show it is that check and not a host string match.
func TestAddressOverlaps(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want bool
	}{
		{"localhost and 127.0.0.1", "localhost:9464", "127.0.0.1:9464", true},
		{"IPv6 any and one IPv4 address", "[::]:9464", "127.0.0.1:9464", true},
		{"two loopback addresses", "127.0.0.1:9464", "127.0.0.2:9464", false},
		{"port 0 twice picks two ports", "127.0.0.1:0", "127.0.0.1:0", false},
		{"the same socket path, written two ways", "unix:/run/a.sock", "unix:/run/x/../a.sock", true},
		{"a socket and a port", "unix:/run/a.sock", "127.0.0.1:5000", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, errA := parseAddress(tt.a)
			b, errB := parseAddress(tt.b)
			if errA != nil || errB != nil {
				t.Fatal(errA, errB)
			}
			if got := a.overlaps(b); got != tt.want || b.overlaps(a) != tt.want {
				t.Fatalf("overlaps = %v, want %v both ways", got, tt.want)
			}
		})
	}
}

// FuzzParseAddress checks that any accepted address prints back to a form
// that parses to the same value, and that a TCP address splits into a host
// and a port.
func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"127.0.0.1:5000", "[::1]:0", ":80", "unix:/run/a.sock", "unix:", "localhost", "a:b:c", "[::1%eth0]:1", "unix:/a/../../b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := parseAddress(s)
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error")
			}
			return
		}
		again, err := parseAddress(a.String())
		if err != nil || again != a {
			t.Fatalf("%q parsed to %+v, which prints %q and parses to %+v, %v", s, a, a.String(), again, err)
		}
		if a.network == "tcp" {
			if _, _, err := net.SplitHostPort(a.addr); err != nil {
				t.Fatalf("%q parsed to tcp %q, which does not split: %v", s, a.addr, err)
			}
		}
		if !a.overlaps(a) && !strings.HasSuffix(a.addr, ":0") {
			t.Fatalf("%q does not overlap itself", s)
		}
	})
}
