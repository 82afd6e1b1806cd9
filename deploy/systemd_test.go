package deploy

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/integration/systemd"
)

// deploy/systemd/ is what `apphost gen systemd -f deploy/apphost.yaml`
// writes; this test keeps the two identical.
func TestSystemdUnitsMatchTheDescription(t *testing.T) {
	c, err := config.Load("apphost.yaml")
	if err != nil {
		t.Fatal(err)
	}
	files, err := systemd.Generate(c, systemd.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		path := filepath.Join("systemd", f.Name)
		if *update {
			if err := os.MkdirAll("systemd", 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, f.Content, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		got, err := os.ReadFile(path)
		if err != nil || string(got) != string(f.Content) {
			t.Errorf("deploy/%s is out of date with deploy/apphost.yaml; regenerate it with\n"+
				"  apphost gen systemd -f deploy/apphost.yaml -o deploy/systemd --force\n"+
				"or go test ./deploy -update", path)
		}
	}
	entries, err := os.ReadDir("systemd")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != len(files) {
		t.Errorf("deploy/systemd holds %d files, the generator writes %d: remove the stale ones", len(entries), len(files))
	}
}
