package nginx_test

import (
	"os"
	"strings"
	"testing"

	"github.com/apphost/apphost/integration/nginx"
)

// Every rule has its entry in docs/nginx.md, as a heading its SARIF help
// link points at.
func TestEveryRuleIsDocumented(t *testing.T) {
	doc, err := os.ReadFile("../../docs/nginx.md")
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range nginx.Rules("") {
		if !strings.Contains(string(doc), "\n### "+r.ID+"\n") {
			t.Errorf("docs/nginx.md has no \"### %s\" entry", r.ID)
		}
	}
}
