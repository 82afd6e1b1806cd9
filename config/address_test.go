package config

import (
	"net"
	"net/netip"
	"slices"
	"testing"
)

// Overlaps is the one check of "the same socket" that validation, the host
// and the proxy generators and checkers share.
func TestAddressOverlaps(t *testing.T) {
	tests := []struct {
		name string
		a, b Address
		want bool
	}{
		// Equal hosts on the same port.
		{"the same address", "127.0.0.1:9464", "127.0.0.1:9464", true},
		{"the same IPv6 address", "[::1]:9464", "[::1]:9464", true},
		{"one IPv6 address written two ways", "[::1]:9464", "[0:0::1]:9464", true},
		{"an IPv4-mapped IPv6 address and its IPv4 address", "[::ffff:127.0.0.1]:9464", "127.0.0.1:9464", true},
		{"the same name", "shop.internal:5000", "shop.internal:5000", true},
		{"names differ only in case", "Shop.Internal:5000", "shop.internal:5000", true},
		{"different names", "a.internal:5000", "b.internal:5000", false},
		{"a name is not resolved", "shop.internal:5000", "10.0.0.5:5000", false},

		// Wildcards listen on every interface.
		{"every interface and one address", ":9464", "127.0.0.1:9464", true},
		{"every interface twice", ":9464", ":9464", true},
		{"the * wildcard and one address", "*:9464", "127.0.0.1:9464", true},
		{"IPv4 any and one address", "0.0.0.0:9464", "127.0.0.1:9464", true},
		{"IPv6 any and one IPv4 address", "[::]:9464", "127.0.0.1:9464", true},
		{"IPv6 any written in full and one address", "[0:0:0:0:0:0:0:0]:9464", "[::1]:9464", true},
		{"IPv4 any and an IPv6 address", "0.0.0.0:9464", "[::1]:9464", true},
		{"IPv4 any written IPv4-mapped and one address", "[::ffff:0.0.0.0]:9464", "127.0.0.1:9464", true},
		{"a wildcard and a name", ":9464", "shop.internal:9464", true},
		{"a wildcard on another port", ":9464", "127.0.0.1:9465", false},

		// localhost resolves to 127.0.0.1 and ::1.
		{"localhost and 127.0.0.1", "localhost:9464", "127.0.0.1:9464", true},
		{"localhost and ::1", "localhost:9464", "[::1]:9464", true},
		{"localhost in capitals and 127.0.0.1", "LOCALHOST:9464", "127.0.0.1:9464", true},
		{"localhost twice", "localhost:9464", "localhost:9464", true},
		{"localhost and another loopback address", "localhost:9464", "127.0.0.2:9464", false},
		{"localhost and a public address", "localhost:9464", "192.0.2.1:9464", false},
		{"localhost and another name", "localhost:9464", "shop.internal:9464", false},
		{"localhost on another port", "localhost:9464", "127.0.0.1:9465", false},

		// Two loopback addresses are two sockets.
		{"two IPv4 loopback addresses", "127.0.0.1:9464", "127.0.0.2:9464", false},
		{"IPv4 and IPv6 loopback", "127.0.0.1:9464", "[::1]:9464", false},

		// Ports.
		{"different ports", "127.0.0.1:9464", "127.0.0.1:5000", false},
		{"port 0 twice picks two ports", "127.0.0.1:0", "127.0.0.1:0", false},
		{"port 0 on every interface", ":0", "127.0.0.1:0", false},

		// Unix sockets.
		{"the same socket path", "unix:/run/a.sock", "unix:/run/a.sock", true},
		{"different socket paths", "unix:/run/a.sock", "unix:/run/b.sock", false},
		{"a socket and a port", "unix:/run/a.sock", "127.0.0.1:5000", false},
		{"a socket and a wildcard", "unix:/run/a.sock", ":5000", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got, back := tt.a.Overlaps(tt.b), tt.b.Overlaps(tt.a); got != tt.want || back != tt.want {
				t.Fatalf("%s.Overlaps(%s) = %v, and the other way %v; want %v both ways", tt.a, tt.b, got, back, tt.want)
			}
		})
	}
}

// Overlaps reads the addresses as ParseAddress returns them; a value that
// is not an address overlaps nothing, not even itself.
func TestAddressOverlapsNeedsAPort(t *testing.T) {
	for _, a := range []Address{"", "localhost", "127.0.0.1:http", "[::1]", AdminOff} {
		if a.Overlaps(a) || a.Overlaps(":5000") {
			t.Errorf("%q overlaps an address", a)
		}
	}
}

// LocalhostAddrs are the addresses Overlaps takes localhost for, IPv4
// first, and a caller that changes the list changes no later one.
func TestLocalhostAddrs(t *testing.T) {
	got := LocalhostAddrs()
	if want := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("::1")}; !slices.Equal(got, want) {
		t.Fatalf("LocalhostAddrs() = %v, want %v", got, want)
	}
	for _, ip := range got {
		a := Address(net.JoinHostPort(ip.String(), "5000"))
		if !a.Overlaps("localhost:5000") {
			t.Errorf("%s does not overlap localhost:5000", a)
		}
	}
	got[0] = netip.MustParseAddr("127.0.0.2")
	if LocalhostAddrs()[0] != netip.MustParseAddr("127.0.0.1") {
		t.Error("a change to the returned list changed the next one")
	}
}

// Addresses that only look alike are apart: validation accepts them.
func TestApartAddressesValidate(t *testing.T) {
	yaml := "app:\n  listen: [127.0.0.1:5000, \"[::1]:5000\", localhost:5001]\n  admin_listen: 127.0.0.2:5000\nproxy:\n  upstreams: [127.0.0.1:5000, \"[::1]:5000\"]\nsupervise:\n  hold_admin: true\n  admin_listen: 127.0.0.1:5002\n"
	c, err := Load(writeFile(t, yaml))
	if err != nil {
		t.Fatal(err)
	}
	if len(c.App.Listen) != 3 || c.App.AdminListen != "127.0.0.2:5000" {
		t.Fatalf("loaded %v, admin %v", c.App.Listen, c.App.AdminListen)
	}
}

// FuzzAddressOverlaps checks properties of any two accepted addresses:
// the answer is the same both ways, an address with a fixed port overlaps
// itself and every wildcard on its port, and overlapping addresses are
// both unix sockets or both on one port.
func FuzzAddressOverlaps(f *testing.F) {
	seeds := [][2]string{
		{"127.0.0.1:9464", "localhost:9464"}, {"[::]:1", "[::1]:1"}, {":0", "127.0.0.1:0"},
		{"unix:/a.sock", "unix:/b/../a.sock"}, {"LocalHost:5", "[::ffff:127.0.0.1]:5"},
		{"*:80", "shop:80"}, {"[fe80::1%eth0]:1", "[fe80::1]:1"}, {"127.0.0.2:3", "localhost:3"},
	}
	for _, s := range seeds {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, sa, sb string) {
		a, errA := ParseAddress(sa)
		b, errB := ParseAddress(sb)
		if errA != nil || errB != nil {
			return
		}
		got := a.Overlaps(b)
		if got != b.Overlaps(a) {
			t.Fatalf("%s.Overlaps(%s) = %v, but not the other way", a, b, got)
		}
		if a.IsUnix() {
			if !a.Overlaps(a) {
				t.Fatalf("%s does not overlap itself", a)
			}
			return
		}
		_, port := a.HostPort()
		if port != "0" && (!a.Overlaps(a) || !a.Overlaps(Address(":"+port)) || !a.Overlaps(Address("[::]:"+port))) {
			t.Fatalf("%s does not overlap itself or a wildcard on its port", a)
		}
		if _, bp := b.HostPort(); got && (b.IsUnix() || bp != port) {
			t.Fatalf("%s overlaps %s, another kind or port", a, b)
		}
	})
}

func TestNamesFile(t *testing.T) {
	for p, want := range map[string]bool{
		"/usr/local/bin/shop": true, "shop": true, "logs/app.log": true,
		"": false, "/": false, "bin/": false, "/usr/bin/.": false, "/usr/..": false,
	} {
		if got := NamesFile(p); got != want {
			t.Errorf("NamesFile(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestValidProxyListen(t *testing.T) {
	for v, want := range map[string]bool{
		"80": true, "443": true, "65535": true, "127.0.0.1:8080": true, "*:80": true, "[::1]:8080": true, "[::]:443": true,
		"0": false, "99999": false, "65536": false, "": false, "http": false, "-1": false, "+80": false,
		"999.1.1.1:80": false, "127.0.0.1:65536": false, "127.0.0.1:0": false, ":80": false, "::1:80": false,
		"[127.0.0.1]:80": false, "[fe80::1%eth0]:80": false, "localhost:80": false, "127.0.0.1:": false,
	} {
		if got := validProxyListen(v); got != want {
			t.Errorf("validProxyListen(%q) = %t, want %t", v, got, want)
		}
	}
}

func TestParseAddressRefuses(t *testing.T) {
	for _, s := range []string{
		"unix:/", "unix:/run/shop/", "unix:/run/..", "unix:run/shop.sock", "unix:/run/shop\nExecStartPre=/x",
		"127.0.0.1", "127.0.0.1:65536", "127.0.0.1:http",
		"shop\tinternal:5000", "shop\x00:5000", "a b:5000", "user@host:5000",
	} {
		if a, err := ParseAddress(s); err == nil {
			t.Errorf("ParseAddress(%q) = %q, want an error", s, a)
		}
	}
	for s, want := range map[string]Address{
		"unix:/run/shop/../app.sock": "unix:/run/app.sock",
		" 127.0.0.1:5000 ":           "127.0.0.1:5000",
		"[::1]:05000":                "[::1]:5000",
	} {
		if a, err := ParseAddress(s); err != nil || a != want {
			t.Errorf("ParseAddress(%q) = %q, %v; want %q", s, a, err, want)
		}
	}
}

// Dial turns a listener on every interface into the loopback address a
// client on the machine connects to, and leaves other addresses alone.
func TestAddressDial(t *testing.T) {
	for in, want := range map[Address]Address{
		":5000":                 "127.0.0.1:5000",
		"*:5000":                "127.0.0.1:5000",
		"0.0.0.0:5000":          "127.0.0.1:5000",
		"[::]:5000":             "[::1]:5000",
		"[::ffff:0.0.0.0]:5000": "127.0.0.1:5000",
		"127.0.0.1:5000":        "127.0.0.1:5000",
		"[::1]:5000":            "[::1]:5000",
		"localhost:5000":        "localhost:5000",
		"shop.lan:5000":         "shop.lan:5000",
		"unix:/run/s.sock":      "unix:/run/s.sock",
	} {
		if got := in.Dial(); got != want {
			t.Errorf("%s.Dial() = %s, want %s", in, got, want)
		}
	}
}
