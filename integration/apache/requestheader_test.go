package apache

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/integration/findings"
	"github.com/apphost/apphost/tests/harness"
)

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

// TestAppliedHeadersOrder: the order httpd 2.4.71 appended these values
// to one header of a request ProxyPass proxies, each RequestHeader append
// adding its own, with the early one inside <Location> never run and
// those inside <Directory> and <Files> never merged.
func TestAppliedHeadersOrder(t *testing.T) {
	const conf = `RequestHeader append X-Test main-late
<Location />
    RequestHeader append X-Test main-location
</Location>
RequestHeader append X-Test main-early early
<Directory "/var/www">
    RequestHeader append X-Test main-directory
</Directory>
<VirtualHost *:80>
    <If "true">
        RequestHeader append X-Test vhost-if
    </If>
    <Location />
        RequestHeader append X-Test vhost-location
        RequestHeader append X-Test ignored early
    </Location>
    <Proxy "http://127.0.0.1:5000/">
        RequestHeader append X-Test vhost-proxy
    </Proxy>
    <Directory "/var/www">
        RequestHeader append X-Test vhost-directory
        <Files "index.html">
            RequestHeader append X-Test vhost-files
        </Files>
    </Directory>
    RequestHeader append X-Test vhost-late
    RequestHeader append X-Test vhost-early early
    <IfModule headers_module>
        RequestHeader append X-Test vhost-ifmodule-early early
    </IfModule>
    ProxyPass / http://127.0.0.1:5000/
</VirtualHost>
`
	want := []string{"main-early", "vhost-early", "vhost-ifmodule-early", "main-late", "vhost-late", "vhost-proxy", "main-location", "vhost-location", "vhost-if"}
	cfg, err := Parse("site.conf", []byte(conf))
	if err != nil {
		t.Fatal(err)
	}
	c := &checker{cfg: &Config{Directives: cfg, Files: []string{"site.conf"}}, scopes: scopes(cfg)}
	var got []string
	for _, h := range c.appliedHeaders(c.scopes[1]) {
		got = append(got, h.value)
	}
	if !slices.Equal(got, want) {
		t.Errorf("appliedHeaders = %q\nwant             %q", got, want)
	}
}

// TestEarlyHeadersInsideLocation: early directives inside <Location />
// are reported at their lines, and the findings about what is then
// missing say why rather than asking for what is already written.
func TestEarlyHeadersInsideLocation(t *testing.T) {
	conf := strings.NewReplacer(
		"    RequestHeader unset X-Forwarded-For early\n", "",
		"    RequestHeader set X-Forwarded-Proto \"http\"\n", "    <Location />\n        RequestHeader set X-Forwarded-Proto \"http\" early\n        RequestHeader unset X-Forwarded-For early\n    </Location>\n",
	).Replace(good)
	got := checkText(t, conf, goodYAML)
	expectFindings(t, got, []wantFinding{
		{RuleEarlyHeaderIgnored, 9, []string{`RequestHeader set X-Forwarded-Proto http early inside <Location /> is never applied`, "move it to the <VirtualHost> or the main server, or drop early"}},
		{RuleEarlyHeaderIgnored, 10, []string{`RequestHeader unset X-Forwarded-For early inside <Location /> is never applied`}},
		{RuleNoForwardedProto, 1, []string{"sets no X-Forwarded-Proto header", "site.conf:9 is inside <Location />, where httpd never applies it"}},
		{RuleClientHeadersPassed, 1, []string{"passes client-sent X-Forwarded-For, X-Forwarded-Proto to the app", "early in the virtual host (or the main server), outside <Location>", "site.conf:10 is inside <Location />, where httpd never applies it"}},
	})
}

// TestAppliedHeadersAgreeWithHTTPD runs httpd in front of a backend that
// answers with the X-Test it receives. Every RequestHeader append X-Test
// names its place, and each proxied request reaches the backend with the
// values appliedHeaders gives for its virtual host, in that order. One
// virtual host proxies as httpd translates the URL (ProxyPass,
// ProxyPassMatch, a RewriteRule [P] of its own, a ProxyPass inside
// <Location>), so that no <Directory>, <DirectoryMatch>, <Files> or
// <FilesMatch> applies; the other proxies only by a RewriteRule [P]
// inside <Directory>, after the directory walk, so that they do.
func TestAppliedHeadersAgreeWithHTTPD(t *testing.T) {
	harness.RequireProgram(t, "apache2")
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, strings.Join(r.Header.Values("X-Test"), ", "))
	}))
	defer backend.Close()
	// The document root is outside the test's temporary directory, which
	// httpd's workers (nobody, when the test runs as root) cannot search.
	docs, err := os.MkdirTemp("", "apphost-docroot-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(docs) })
	if err := os.Chmod(docs, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(docs, "x.txt"), []byte("local\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	arg := func(a string) string {
		q, err := quoteArg(a, true)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	addr, app := harness.FreeAddr(t), backend.Listener.Addr().String()
	site := strings.NewReplacer("DOCS", arg(docs), "DOCMATCH", arg("^"+regexpQuote(docs)), "ADDR", addr, "APP", app).Replace(`RequestHeader append X-Test main
<Directory DOCS>
    Require all granted
    RequestHeader append X-Test main-directory
</Directory>
<VirtualHost ADDR>
    ServerName translated.test
    DocumentRoot DOCS
    RequestHeader append X-Test vhost
    <Directory DOCS>
        RequestHeader append X-Test directory
    </Directory>
    <DirectoryMatch DOCMATCH>
        RequestHeader append X-Test directorymatch
    </DirectoryMatch>
    <Files "x.txt">
        RequestHeader append X-Test files
    </Files>
    <FilesMatch "\.txt$">
        RequestHeader append X-Test filesmatch
    </FilesMatch>
    <Proxy "http://APP/">
        RequestHeader append X-Test proxy
    </Proxy>
    <Location "/">
        RequestHeader append X-Test location
    </Location>
    <Location "/location/">
        ProxyPass "http://APP/location/"
    </Location>
    <If "true">
        RequestHeader append X-Test if
    </If>
    ProxyPass "/pass/" "http://APP/pass/"
    ProxyPassMatch "^/match/(.*)$" "http://APP/match/$1"
    RewriteEngine On
    RewriteRule "^/rewrite/(.*)$" "http://APP/rewrite/$1" [P]
</VirtualHost>
<VirtualHost ADDR>
    ServerName per-directory.test
    DocumentRoot DOCS
    RequestHeader append X-Test vhost
    <Directory DOCS>
        RequestHeader append X-Test directory
        RewriteEngine On
        RewriteRule "^(.*)$" "http://APP/$1" [P]
    </Directory>
    <Files "x.txt">
        RequestHeader append X-Test files
    </Files>
    <Location "/">
        RequestHeader append X-Test location
    </Location>
    <If "true">
        RequestHeader append X-Test if
    </If>
</VirtualHost>
`)
	loaded := loadText(t, site)
	path := loaded.Files[0]
	dir := filepath.Dir(path)
	c := &checker{cfg: loaded, scopes: scopes(loaded.Directives)}
	applied := func(s *scope) string {
		var values []string
		for _, h := range c.appliedHeaders(s) {
			values = append(values, h.value)
		}
		return strings.Join(values, ", ")
	}
	translated, perDirectory := applied(c.scopes[1]), applied(c.scopes[2])
	if strings.Contains(translated, "directory") || strings.Contains(translated, "files") || !strings.Contains(perDirectory, "directory") {
		t.Fatalf("appliedHeaders of the first virtual host %q, of the second %q: want <Directory> and <Files> only in the second", translated, perDirectory)
	}

	root := ServerRoot{Dir: dir, Modules: []string{"headers", "rewrite", "proxy", "proxy_http"}, Listen: []string{addr}, Include: []string{path}}
	main, err := root.Write()
	if err != nil {
		t.Fatal(err)
	}
	harness.StartApache(t, dir, main, addr)
	client := &http.Client{Timeout: 10 * time.Second}
	for _, tc := range []struct{ host, path, want string }{
		{"translated.test", "/pass/x.txt", translated},
		{"translated.test", "/match/x.txt", translated},
		{"translated.test", "/rewrite/x.txt", translated},
		{"translated.test", "/location/x.txt", translated},
		{"per-directory.test", "/x.txt", perDirectory},
	} {
		req, err := http.NewRequest(http.MethodGet, "http://"+addr+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Host = tc.host
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != http.StatusOK || string(body) != tc.want {
			t.Errorf("%s%s: the app received X-Test %q (status %d), appliedHeaders gives %q", tc.host, tc.path, body, resp.StatusCode, tc.want)
		}
	}
}

// TestDirectoryHeadersNotProxied: a RequestHeader inside <Directory> or
// <Files> is reported at its line as missing the requests ProxyPass
// proxies, and the findings about what the app then lacks say why.
func TestDirectoryHeadersNotProxied(t *testing.T) {
	conf := strings.NewReplacer(
		"    RequestHeader unset X-Forwarded-For early\n", "    <Directory \"/var/www\">\n        RequestHeader unset X-Forwarded-For\n    </Directory>\n",
		"    RequestHeader set X-Forwarded-Proto \"http\"\n", "    <Files \"index.html\">\n        RequestHeader set X-Forwarded-Proto \"http\"\n    </Files>\n",
	).Replace(good)
	got := checkText(t, conf, goodYAML)
	expectFindings(t, got, []wantFinding{
		{RuleDirectoryHeaderNotProxied, 7, []string{"RequestHeader unset X-Forwarded-For inside <Directory /var/www> is not applied to the requests that ProxyPass / http://127.0.0.1:5000/ ttl=60 (", "site.conf:14) proxies", "move it out of the section"}},
		{RuleDirectoryHeaderNotProxied, 12, []string{"RequestHeader set X-Forwarded-Proto http inside <Files index.html> is not applied"}},
		{RuleNoForwardedProto, 1, []string{"sets no X-Forwarded-Proto header", "site.conf:12 is inside <Files index.html>, which httpd never merges for the requests ProxyPass proxies"}},
		{RuleClientHeadersPassed, 1, []string{"passes client-sent X-Forwarded-For, X-Forwarded-Proto to the app", "site.conf:7 is inside <Directory /var/www>, which httpd never merges for the requests ProxyPass proxies"}},
	})
}

// TestOutcome: what a header holds after the directives, in the order
// given.
func TestOutcome(t *testing.T) {
	type want struct {
		valued          bool
		removedBy, http int // index of the directive, -1 for none
	}
	for _, tc := range []struct {
		name   string
		header string
		args   [][]string
		want   want
	}{
		// The value that is left is the last one given.
		{"nothing", "X-Forwarded-Proto", nil, want{false, -1, -1}},
		{"an unset that removes nothing", "X-Forwarded-Proto", [][]string{{"unset", "X-Forwarded-Proto"}}, want{false, -1, -1}},
		{"set, then unset", "X-Forwarded-Proto", [][]string{{"set", "X-Forwarded-Proto", "http"}, {"unset", "X-Forwarded-Proto"}}, want{false, 1, -1}},
		{"set, unset, set", "X-Forwarded-Proto", [][]string{{"set", "X-Forwarded-Proto", "http"}, {"unset", "X-Forwarded-Proto"}, {"set", "X-Forwarded-Proto", "https"}}, want{true, -1, -1}},
		{"other headers do not count", "X-Forwarded-Proto", [][]string{{"set", "X-Forwarded-Proto", "http"}, {"unset", "X-Forwarded-For"}}, want{true, -1, 0}},

		// Conditions are not evaluated.
		{"a conditional set gives a value", "X-Forwarded-Proto", [][]string{{"set", "X-Forwarded-Proto", "https", "env=HTTPS"}}, want{true, -1, -1}},
		{"a conditional unset removes nothing", "X-Forwarded-Proto", [][]string{{"set", "X-Forwarded-Proto", "http"}, {"unset", "X-Forwarded-Proto", "env=HTTPS"}}, want{true, -1, 0}},
		{"a conditional set may replace the http", "X-Forwarded-Proto", [][]string{{"set", "X-Forwarded-Proto", "http"}, {"set", "X-Forwarded-Proto", "https", "env=HTTPS"}}, want{true, -1, -1}},
		{"a conditional http is none", "X-Forwarded-Proto", [][]string{{"set", "X-Forwarded-Proto", "http", "env=!HTTPS"}}, want{true, -1, -1}},
		{"an edit may replace the http", "X-Forwarded-Proto", [][]string{{"set", "X-Forwarded-Proto", "http"}, {"edit", "X-Forwarded-Proto", "^http$", "https"}}, want{true, -1, -1}},
		{"an append keeps the http", "X-Forwarded-Proto", [][]string{{"set", "X-Forwarded-Proto", "http"}, {"append", "X-Forwarded-Proto", "https"}}, want{true, -1, 0}},

		// Forwarded tells the scheme only with proto=.
		{"Forwarded with proto=", "Forwarded", [][]string{{"set", "Forwarded", "for=192.0.2.1;proto=https"}}, want{true, -1, -1}},
		{"Forwarded replaced by one without proto=", "Forwarded", [][]string{{"set", "Forwarded", "proto=https"}, {"set", "Forwarded", "for=192.0.2.1"}}, want{false, -1, -1}},
		{"Forwarded appended to without proto=", "Forwarded", [][]string{{"set", "Forwarded", "proto=https"}, {"append", "Forwarded", "for=192.0.2.1"}}, want{true, -1, -1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var list []requestHeader
			index := map[*Directive]int{nil: -1}
			for i, a := range tc.args {
				d := &Directive{Name: "RequestHeader", Args: a}
				index[d] = i
				list = append(list, readRequestHeader(d))
			}
			o := outcome(list, tc.header)
			if got := (want{o.valued, index[o.removedBy], index[o.http]}); got != tc.want {
				t.Errorf("outcome = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// wantFinding is a finding a test expects: its rule, its line and what its
// message says.
type wantFinding struct {
	rule string
	line int
	says []string
}

// expectFindings checks that got holds exactly the findings wants lists,
// each matched once.
func expectFindings(t *testing.T, got []findings.Finding, wants []wantFinding) {
	t.Helper()
	left := slices.Clone(got)
	for _, w := range wants {
		i := slices.IndexFunc(left, func(f findings.Finding) bool { return f.Rule == w.rule && f.Line == w.line })
		if i < 0 {
			t.Errorf("want %s at line %d, got:\n%s", w.rule, w.line, list(got))
			continue
		}
		for _, s := range w.says {
			if !strings.Contains(left[i].Message, s) {
				t.Errorf("%s at line %d does not say %q: %s", w.rule, w.line, s, left[i].Message)
			}
		}
		left = slices.Delete(left, i, i+1)
	}
	if len(left) > 0 {
		t.Errorf("findings not expected:\n%s", list(left))
	}
}
