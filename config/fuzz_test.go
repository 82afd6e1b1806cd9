package config

import (
	"errors"
	"testing"
)

// Any input either loads or fails with *Error values; it never panics.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"name: shop\napp:\n  listen: [127.0.0.1:5000]\n",
		"app:\n  limits:\n    max_request_body: 30MB\n",
		"proxy:\n  tls:\n",
		"a: &x [1]\nb: *x\n",
		"app: [1, 2]\n",
		"---\n- 1\n",
		"forwarded:\n  trusted_proxies: loopback\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c := Default()
		err := c.Parse("f.yaml", data)
		if err == nil {
			err = c.Validate()
		}
		if err == nil {
			return
		}
		var ce *Error
		if !errors.As(err, &ce) {
			t.Fatalf("error is not a *config.Error: %v", err)
		}
	})
}
