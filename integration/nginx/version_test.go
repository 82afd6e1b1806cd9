package nginx_test

import (
	"fmt"
	"testing"

	"github.com/apphost/apphost/integration/nginx"
)

func TestParseVersionOutput(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		want     nginx.Version
		bad      bool
	}{
		{name: "debian", in: "nginx version: nginx/1.22.1\n", want: nginx.Version{Major: 1, Minor: 22, Patch: 1}},
		{name: "openresty four-part version is nginx 1.25.3", in: "nginx version: openresty/1.25.3.1", want: nginx.Version{Major: 1, Minor: 25, Patch: 3}},
		{name: "two parts", in: "nginx version: nginx/1.25", want: nginx.Version{Major: 1, Minor: 25}},
		{name: "other output", in: "command not found", bad: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := nginx.ParseVersionOutput(tc.in)
			if tc.bad != (err != nil) || got != tc.want {
				t.Errorf("got %v, %v; want %v, error %v", got, err, tc.want, tc.bad)
			}
		})
	}
}

func TestVersionAtLeast(t *testing.T) {
	v := nginx.Version{Major: 1, Minor: 25, Patch: 1}
	for _, tc := range []struct {
		other nginx.Version
		want  bool
	}{
		{nginx.Version{Major: 1, Minor: 25, Patch: 1}, true},
		{nginx.Version{Major: 1, Minor: 25, Patch: 2}, false},
		{nginx.Version{Major: 1, Minor: 22}, true},
		{nginx.Version{Major: 2}, false},
	} {
		if got := v.AtLeast(tc.other); got != tc.want {
			t.Errorf("%s.AtLeast(%s) = %t", v, tc.other, got)
		}
	}
}

// The HTTP/2 syntax follows the nginx version: "http2 on;" from 1.25.1.
func ExampleParseVersion() {
	for _, s := range []string{"1.22", "1.25.1", "1.x"} {
		v, err := nginx.ParseVersion(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(v, "http2 directive:", v.AtLeast(nginx.Version{Major: 1, Minor: 25, Patch: 1}))
	}
	// Output:
	// 1.22.0 http2 directive: false
	// 1.25.1 http2 directive: true
	// nginx version "1.x": want MAJOR.MINOR or MAJOR.MINOR.PATCH, such as 1.22 or 1.25.1
}
