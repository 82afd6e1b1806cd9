package nginx_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/apphost/apphost/integration/findings"
	"github.com/apphost/apphost/integration/nginx"
	"github.com/apphost/apphost/tests/harness"
)

// --nginx-test reports what nginx itself refuses beyond syntax (a size
// nginx cannot read), with nginx's line, and accepts a good site.
func TestNginxTestVerdict(t *testing.T) {
	bin := harness.RequireProgram(t, "nginx")
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.conf")
	if err := os.WriteFile(bad, []byte("server {\n    listen 127.0.0.1:8080;\n    client_max_body_size 10q;\n}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	list, err := nginx.Check(context.Background(), []string{bad, "testdata/real/debian-default"}, nginx.CheckOptions{NginxTest: true, NginxBinary: bin})
	if err != nil {
		t.Fatal(err)
	}
	var verdicts []findings.Finding
	for _, f := range list {
		if f.Rule == nginx.RuleNginxTest {
			verdicts = append(verdicts, f)
		}
	}
	if len(verdicts) != 2 {
		t.Fatalf("verdicts: %v", verdicts)
	}
	if v := verdicts[0]; v.File != bad || v.Line != 3 || v.Severity != findings.Error {
		t.Errorf("bad.conf verdict %+v, want an error at %s:3", v, bad)
	}
	if v := verdicts[1]; v.Severity != findings.Info {
		t.Errorf("debian default verdict %+v, want info (accepted)", v)
	}
}

// A file that cannot be read is an error, not a finding.
func TestCheckUnreadableFile(t *testing.T) {
	if _, err := nginx.Check(context.Background(), []string{"testdata/none.conf"}, nginx.CheckOptions{}); err == nil {
		t.Fatal("no error for a missing file")
	}
}

// Checking the Microsoft Docs recipe: it parses, but every request opens a
// new connection to the app, and a client can spoof its address.
func ExampleCheck() {
	list, err := nginx.Check(context.Background(), []string{"testdata/real/microsoft-docs-recipe.conf"}, nginx.CheckOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range list {
		fmt.Printf("line %d: %s [%s]\n", f.Line, f.Severity, f.Rule)
	}
	// Output:
	// line 7: warning [nginx/no-upstream-keepalive]
	// line 13: warning [nginx/edge-appends-forwarded-for]
}
