package nginx

import (
	"slices"
	"testing"
	"time"

	"github.com/apphost/apphost/config"
)

func TestParseSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want config.Size
		bad  bool
	}{
		{in: "0", want: 0},
		{in: "1000", want: 1000},
		{in: "8k", want: 8 << 10},
		{in: "1m", want: 1 << 20},
		{in: "2G", want: 2 << 30},
		{in: "", bad: true},
		{in: "10q", bad: true},
		{in: "-1", bad: true},
		{in: "m", bad: true},
	} {
		got, err := parseSize(tc.in)
		if tc.bad != (err != nil) || got != tc.want {
			t.Errorf("parseSize(%q) = %d, %v; want %d, error %v", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

func TestParseTime(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		bad  bool
	}{
		{in: "60", want: time.Minute},
		{in: "60s", want: time.Minute},
		{in: "1m30s", want: 90 * time.Second},
		{in: "500ms", want: 500 * time.Millisecond},
		{in: "1h", want: time.Hour},
		{in: "1d", want: 24 * time.Hour},
		{in: "", bad: true},
		{in: "s", bad: true},
		{in: "5x", bad: true},
	} {
		got, err := parseTime(tc.in)
		if tc.bad != (err != nil) || got != tc.want {
			t.Errorf("parseTime(%q) = %s, %v; want %s, error %v", tc.in, got, err, tc.want, tc.bad)
		}
	}
}

// The generator's durations and sizes read back as the same values.
func TestGeneratedUnitsRoundTrip(t *testing.T) {
	for _, d := range []time.Duration{time.Millisecond, 375 * time.Millisecond, time.Second, 90 * time.Second, time.Hour} {
		if got, err := parseTime(nginxDuration(d)); err != nil || got != d {
			t.Errorf("%s → %q → %s, %v", d, nginxDuration(d), got, err)
		}
	}
	for _, n := range []config.Size{0, 1, 1000, 1 << 10, 30_000_000, 1 << 20, 5 << 30} {
		if got, err := parseSize(nginxSize(n)); err != nil || got != n {
			t.Errorf("%d → %q → %d, %v", n, nginxSize(n), got, err)
		}
	}
}

func TestVariables(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"$host", []string{"host"}},
		{"https://$host$uri", []string{"host", "uri"}},
		{"${uri}x", []string{"uri"}},
		{"$10", []string{"1"}},
		{"a$", nil},
		{"for=\"[$remote_addr]\";proto=$scheme", []string{"remote_addr", "scheme"}},
		{"${1}${host}$$", []string{"1", "host"}},
	} {
		if got := variables(tc.in); !slices.Equal(got, tc.want) {
			t.Errorf("variables(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// The host of a proxy_pass target ends at its path, which may begin with a
// variable that always starts one.
func TestAuthorityEnd(t *testing.T) {
	for _, tc := range []struct {
		in, host string
	}{
		{"app:5000/x", "app:5000"},
		{"app:5000$request_uri", "app:5000"},
		{"app${uri}$is_args$args", "app"},
		{"$backend$uri", "$backend"},
		{"app$uris", "app$uris"},
		{"${host}:5000?a=1", "${host}:5000"},
	} {
		if got := tc.in[:authorityEnd(tc.in)]; got != tc.host {
			t.Errorf("authorityEnd(%q): host %q, want %q", tc.in, got, tc.host)
		}
	}
}

func TestUpstreamIdleStaysBelowTheApp(t *testing.T) {
	for _, app := range []time.Duration{time.Millisecond, 500 * time.Millisecond, time.Second, 60 * time.Second, 61 * time.Second, 130 * time.Second} {
		if got := upstreamIdle(app); got >= app && app > time.Millisecond {
			t.Errorf("upstreamIdle(%s) = %s, not below the app's", app, got)
		}
	}
}

// The idle pool is large without a connection limit, and with one it stays
// a small part of the app's slots, never zero.
func TestUpstreamKeepaliveFitsTheApp(t *testing.T) {
	for _, tc := range []struct{ maxConnections, want int }{
		{0, 256}, {-1, 256}, {1, 1}, {3, 1}, {4, 1}, {200, 50}, {1024, 256}, {100000, 256},
	} {
		if got := upstreamKeepalive(tc.maxConnections); got != tc.want {
			t.Errorf("upstreamKeepalive(%d) = %d, want %d", tc.maxConnections, got, tc.want)
		}
	}
}

func TestServerNameMatcher(t *testing.T) {
	for _, c := range []struct {
		pattern, name string
		want          bool
	}{
		{"shop.example.com", "shop.example.com", true},
		{".example.com", "example.com", true},
		{".example.com", "shop.example.com", true},
		{".example.com", "badexample.com", false},
		{"*.example.com", "shop.example.com", true},
		{"*.example.com", "example.com", false},
		{"www.example.*", "www.example.org", true},
		{"www.example.*", "www.example.", false},
		{"~^(www\\.)?shop\\.example\\.com$", "shop.example.com", true},
		{"~^api\\.", "shop.example.com", false},
		{"~(", "shop.example.com", false},
		{`~^\S+\.example\.com$`, "shop.example.com", true},
		{"blog.example.com", "shop.example.com", false},
	} {
		if got := serverNameMatcher(c.pattern)(c.name); got != c.want {
			t.Errorf("serverNameMatcher(%q)(%q) = %t, want %t", c.pattern, c.name, got, c.want)
		}
	}
}

func TestReservedPrefixName(t *testing.T) {
	for name, want := range map[string]bool{"proxy_temp": true, "client_body_temp": true, "nginx.conf": true, "logs": true, "snippets": false, "proxy_params": false} {
		if got := reservedPrefixName(name); got != want {
			t.Errorf("reservedPrefixName(%q) = %t, want %t", name, got, want)
		}
	}
}
