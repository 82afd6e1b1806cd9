package config

import (
	"os"
	"strings"
	"testing"
)

// docs/configuration.md documents every key, its variable and its flag.
func TestDocsNameEveryKeyVariableAndFlag(t *testing.T) {
	data, err := os.ReadFile("../docs/configuration.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(data)
	for _, k := range Keys() {
		if !strings.Contains(doc, "| `"+k+"` | `"+EnvName(k)+"` |") {
			t.Errorf("docs/configuration.md has no row for %s with %s", k, EnvName(k))
		}
	}
	for _, f := range HostFlags() {
		if !strings.Contains(doc, "| `"+f.Key+"` | `"+EnvName(f.Key)+"` | `--"+f.Name+"` |") {
			t.Errorf("docs/configuration.md does not give --%s on the row of %s", f.Name, f.Key)
		}
	}
}
