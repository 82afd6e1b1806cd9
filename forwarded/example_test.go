package forwarded_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/apphost/apphost/forwarded"
)

// A client that talks to the application directly cannot choose its own
// address, and one behind the trusted proxy cannot either: only the entry
// the proxy appended counts.
func Example() {
	mw, err := forwarded.New(forwarded.Options{}) // trust loopback and unix sockets, one hop
	if err != nil {
		panic(err)
	}
	app := mw.Handler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		res, _ := forwarded.FromRequest(r)
		fmt.Printf("client %s, scheme %s, header %q\n", res.Client.Addr(), res.Scheme, r.Header.Get("X-Forwarded-For"))
	}))

	// Straight from the internet: the spoofed header is ignored and removed.
	direct := httptest.NewRequest("GET", "/", nil)
	direct.RemoteAddr = "198.51.100.9:40000"
	direct.Header.Set("X-Forwarded-For", "6.6.6.6")
	direct.Header.Set("X-Forwarded-Proto", "https")
	app.ServeHTTP(httptest.NewRecorder(), direct)

	// Through nginx on the same machine, which appended the real address
	// to what the client sent.
	proxied := httptest.NewRequest("GET", "/", nil)
	proxied.RemoteAddr = "127.0.0.1:51000"
	proxied.Header.Set("X-Forwarded-For", "6.6.6.6, 203.0.113.7")
	proxied.Header.Set("X-Forwarded-Proto", "https")
	app.ServeHTTP(httptest.NewRecorder(), proxied)

	fmt.Println("untrusted requests with forwarding headers:", mw.Stats().UntrustedWithHeaders)
	// Output:
	// client 198.51.100.9, scheme http, header ""
	// client 203.0.113.7, scheme https, header "6.6.6.6"
	// untrusted requests with forwarding headers: 1
}

// ParseTrustedProxies reads the list as written on the command line or in
// apphost.yaml; a typo fails start-up with the entry named.
func ExampleParseTrustedProxies() {
	tp, err := forwarded.ParseTrustedProxies([]string{"loopback", "unix", "10.0.0.0/8"})
	fmt.Println(tp, err)
	_, err = forwarded.ParseTrustedProxies([]string{"10.0.0.0/33"})
	fmt.Println(err)
	// Output:
	// 127.0.0.0/8,::1,10.0.0.0/8,unix <nil>
	// trusted proxy "10.0.0.0/33": want a CIDR such as 10.0.0.0/8, an IP address, "loopback" or "unix": netip.ParsePrefix("10.0.0.0/33"): prefix length out of range
}

// ParseForwarded reads an RFC 7239 header; quoted commas do not split.
func ExampleParseForwarded() {
	els, err := forwarded.ParseForwarded(`for=192.0.2.43;ext="a, b", for="[2001:db8:cafe::17]:4711";proto=https`)
	fmt.Println(err)
	for _, e := range els {
		n, _ := forwarded.ParseNode(e.For)
		fmt.Printf("%s proto=%q\n", n.Addr, e.Proto)
	}
	// Output:
	// <nil>
	// 192.0.2.43:0 proto=""
	// [2001:db8:cafe::17]:4711 proto="https"
}
