package apache_test

import (
	"fmt"

	"github.com/apphost/apphost/integration/apache"
)

// The Microsoft Docs recipe sets X-Forwarded-Proto in a virtual host that
// never serves the proxied requests; Check points at the one that does.
func ExampleCheck() {
	cfg, err := apache.Load([]string{"testdata/check/microsoft-docs.conf"}, apache.LoadOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range apache.Check(cfg, apache.CheckOptions{}) {
		if f.Rule == apache.RuleNoForwardedProto {
			fmt.Printf("%s:%d %s\n", f.File, f.Line, f.Rule)
			fmt.Println(f.Fix)
		}
	}
	// Output:
	// testdata/check/microsoft-docs.conf:8 apache/no-forwarded-proto
	// add RequestHeader set X-Forwarded-Proto "https" (or "http") inside the <VirtualHost> that holds the ProxyPass
}

// Parse reports an unclosed section at the line that opened it.
func ExampleParse() {
	_, err := apache.Parse("site.conf", []byte("<VirtualHost *:80>\n  ProxyPass / http://127.0.0.1:5000/\n"))
	fmt.Println(err)
	// Output:
	// site.conf:1: <VirtualHost> is never closed: expected </VirtualHost> before the end of the file
}

// Format writes parsed directives back, quoting only what needs it.
func ExampleFormat() {
	list, err := apache.Parse("site.conf", []byte("<VirtualHost *:80>\n RequestHeader   set X-Note 'a b'\n</VirtualHost>\n"))
	if err != nil {
		fmt.Println(err)
		return
	}
	text, err := apache.Format(list)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(text)
	// Output:
	// <VirtualHost *:80>
	//     RequestHeader set X-Note "a b"
	// </VirtualHost>
}
