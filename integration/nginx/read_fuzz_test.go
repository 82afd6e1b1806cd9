package nginx_test

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/integration/nginx"
)

// FuzzRead feeds arbitrary text to the reader and every rule (with the
// cross-checks): they never panic, and every finding names a file and a
// line inside it (0 for the file as a whole).
func FuzzRead(f *testing.F) {
	for _, p := range []string{"testdata/real/microsoft-docs-recipe.conf", "testdata/real/debian-default", "testdata/gen/websockets.conf", "testdata/rules/proxy-set-header-dropped.conf", "testdata/rules/header-crlf.conf"} {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte("http { server { location / { proxy_pass http://$arg_x; } } }"))
	f.Add([]byte("server { location /a { alias /b/; } }}"))
	f.Add([]byte("upstream u { server unix:/x.sock; keepalive 1; } server { location / { proxy_pass http://unix:/y.sock:/; } }"))
	desc := config.Default()
	desc.Proxy.Websockets = true
	if err := desc.Validate(); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p := filepath.Join(t.TempDir(), "site.conf")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		tree, list, err := nginx.Read(p)
		if err != nil {
			return // an include cycle or unreadable include: reported as an error, not a panic
		}
		list = append(list, nginx.CheckTree(tree, nil)...)
		list = append(list, nginx.CheckTree(tree, desc)...)
		lines := bytes.Count(data, []byte("\n")) + 2
		for _, fd := range list {
			if fd.File == "" || fd.Line < 0 || (fd.File == p && fd.Line > lines) {
				t.Errorf("finding outside the file: %+v", fd)
			}
			if fd.Rule == "" || fd.Message == "" {
				t.Errorf("finding without rule or message: %+v", fd)
			}
		}
	})
}
