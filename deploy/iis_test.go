package deploy

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/integration/iis"
)

// deploy/iis/<mode>/ holds what `apphost gen iis --mode <mode>` writes
// from apphost.yaml, for each of the three modes.
func TestIISInSync(t *testing.T) {
	c, err := config.Load("apphost.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range iis.Modes() {
		dir := filepath.Join("iis", string(mode))
		files, err := iis.Generate(c, mode)
		if err != nil {
			t.Fatal(err)
		}
		hint := "run `apphost gen iis --mode " + string(mode) + " -f deploy/apphost.yaml -o deploy/" + filepath.ToSlash(dir) + " --force` or go test ./deploy -update"
		for _, f := range files {
			path := filepath.Join(dir, f.Name)
			if *update {
				if err := os.MkdirAll(dir, 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, f.Content, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			have, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v: %s", err, hint)
			}
			if !bytes.Equal(have, f.Content) {
				t.Errorf("deploy/%s is out of date with deploy/apphost.yaml: %s", filepath.ToSlash(path), hint)
			}
		}
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		if len(entries) != len(files) {
			t.Errorf("deploy/%s holds %d files, the generator writes %d: remove the stale ones", filepath.ToSlash(dir), len(entries), len(files))
		}
	}
}
