package host

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
)

// FuzzDetectIIS checks DetectIIS's contract on any environment: a result
// is in range and normalised, and detecting again from what it returned
// gives the same result.
func FuzzDetectIIS(f *testing.F) {
	f.Add("38112", "", "4f9c2a1e", "/shop/")
	f.Add("", "8080", "stray", "")
	f.Add("5001", "5001", "", "/")
	f.Add("5001", "5002", "t", "/a")
	f.Add(" 443 ", "", "", "shop")
	f.Add("0x10", "", "", "/a//b")
	f.Add("", "", "t", "/a")
	f.Fuzz(func(t *testing.T, ancmPort, hpfPort, token, applPath string) {
		env := map[string]string{EnvANCMPort: ancmPort, EnvHTTPPlatformPort: hpfPort, EnvANCMToken: token, EnvANCMAppPath: applPath}
		got, err := DetectIIS(envMap(env))
		if err != nil {
			if got != (IIS{}) {
				t.Fatalf("error %v with a non-zero result %+v", err, got)
			}
			return
		}
		if !got.Enabled() {
			if got != (IIS{}) || strings.TrimSpace(ancmPort) != "" || strings.TrimSpace(hpfPort) != "" {
				t.Fatalf("off with %+v from %q", got, env)
			}
			return
		}
		if got.Port < 1 || got.Port > 65535 {
			t.Fatalf("port %d out of range", got.Port)
		}
		if got.PathBase != "" && (!strings.HasPrefix(got.PathBase, "/") || strings.HasSuffix(got.PathBase, "/")) {
			t.Fatalf("path base %q not normalised", got.PathBase)
		}
		if got.Module == ModuleHTTPPlatformHandler && got.Token != "" {
			t.Fatalf("a token under HttpPlatformHandler")
		}
		again := map[string]string{EnvANCMAppPath: got.PathBase}
		if got.Module == ModuleANCM {
			again[EnvANCMPort] = strconv.Itoa(got.Port)
			again[EnvANCMToken] = got.Token
		} else {
			again[EnvHTTPPlatformPort] = strconv.Itoa(got.Port)
		}
		if back, err := DetectIIS(envMap(again)); err != nil || back != got {
			t.Fatalf("detected %+v, then %+v, %v", got, back, err)
		}
	})
}

// FuzzStripPathBase checks that stripping cuts the request's path exactly
// at the base and never invents or loses a character.
func FuzzStripPathBase(f *testing.F) {
	f.Add("/shop", "/shop/cart")
	f.Add("/shop", "/SHOP")
	f.Add("/shop", "/shopping")
	f.Add("/my app", "/my%20app/x%2Fy")
	f.Add("/a/b", "/a/b/c%2F/d")
	f.Add("/é", "/%C3%A9/x")
	f.Fuzz(func(t *testing.T, appPath, target string) {
		base, err := parsePathBase(appPath)
		if err != nil || base == "" {
			return
		}
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		before := *u
		matched, rest, ok := stripPathBase(u, base)
		if *u != before {
			t.Fatalf("the request's URL changed: %+v", u)
		}
		p := u.Path
		// Under base: the escaped path's first segments, decoded, are
		// base's (an encoded slash stays inside its segment).
		segs := strings.Split(u.EscapedPath(), "/")[1:]
		want := strings.Split(strings.TrimPrefix(base, "/"), "/")
		under := len(segs) >= len(want)
		for i := 0; under && i < len(want); i++ {
			dec, err := url.PathUnescape(segs[i])
			under = err == nil && strings.EqualFold(dec, want[i])
		}
		if ok != under {
			t.Fatalf("path %q under %q: ok = %v", p, base, ok)
		}
		if !ok {
			return
		}
		if !strings.EqualFold(matched, base) {
			t.Fatalf("matched %q for base %q", matched, base)
		}
		if !strings.HasPrefix(rest.Path, "/") {
			t.Fatalf("rest %q does not start with /", rest.Path)
		}
		if matched+rest.Path != p && !(rest.Path == "/" && matched == p) {
			t.Fatalf("%q + %q is not %q", matched, rest.Path, p)
		}
		// The rest keeps the client's escaping: the escaped path ends with
		// it (or the base was all of the path).
		if ep := rest.EscapedPath(); !strings.HasSuffix(u.EscapedPath(), ep) && ep != "/" {
			t.Fatalf("rest %q is not the end of the escaped path %q", ep, u.EscapedPath())
		}
		if rest.RawPath != "" {
			if dec, err := url.PathUnescape(rest.RawPath); err != nil || dec != rest.Path {
				t.Fatalf("raw path %q does not decode to %q", rest.RawPath, rest.Path)
			}
		}
		if rest.RawQuery != u.RawQuery {
			t.Fatalf("query changed: %q", rest.RawQuery)
		}
	})
}
