package deploy

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/integration/nginx"
)

// deploy/nginx holds exactly what `apphost gen nginx` writes from
// deploy/apphost.yaml, for nginx 1.22.
func TestNginxSiteInSync(t *testing.T) {
	c, err := config.Load("apphost.yaml")
	if err != nil {
		t.Fatal(err)
	}
	f, err := nginx.Generate(c, nginx.Options{NginxVersion: nginx.DefaultVersion(), AppVersion: "(devel)"})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("nginx", f.Name)
	if *update {
		if err := os.WriteFile(path, f.Content, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	have, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("reading %s: %v", path, err)
	}
	if !bytes.Equal(have, f.Content) {
		t.Fatalf("%s is not what apphost gen nginx writes from deploy/apphost.yaml; regenerate it:\n"+
			"    go run ./cmd/apphost gen nginx -f deploy/apphost.yaml --nginx-version 1.22 -o deploy/nginx --force\n"+
			"or: go test ./deploy -run TestNginxSiteInSync -update", path)
	}
}
