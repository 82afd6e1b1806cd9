package findings

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

var sample = []Finding{
	{Rule: "nginx/no-forwarded-proto", Severity: Warning, File: "site.conf", Line: 12, Message: "X-Forwarded-Proto is not sent to the app", Fix: "add proxy_set_header X-Forwarded-Proto $scheme;"},
	{Rule: "nginx/syntax", Severity: Error, File: "nginx.conf", Line: 3, Message: "unexpected \"}\""},
	{Rule: "nginx/no-keepalive", Severity: Info, File: "site.conf", Message: "no upstream keepalive"},
}

func TestFailsThreshold(t *testing.T) {
	tests := []struct {
		name      string
		list      []Finding
		threshold Severity
		want      bool
	}{
		{"nothing found", nil, Info, false},
		{"warning reaches warning", sample[:1], Warning, true},
		{"warning below error", sample[:1], Error, false},
		{"info reaches info", sample[2:], Info, true},
		{"info below warning", sample[2:], Warning, false},
	}
	for _, tt := range tests {
		if got := Fails(tt.list, tt.threshold); got != tt.want {
			t.Errorf("%s: got %v", tt.name, got)
		}
	}
}

func TestParseSeverity(t *testing.T) {
	for _, s := range []string{"error", "WARNING", "info"} {
		if _, err := ParseSeverity(s); err != nil {
			t.Error(err)
		}
	}
	if _, err := ParseSeverity("fatal"); err == nil || !strings.Contains(err.Error(), "error, warning or info") {
		t.Errorf("got %v", err)
	}
}

func TestTextLooksLikeNginxT(t *testing.T) {
	list := append([]Finding(nil), sample...)
	Sort(list)
	var b bytes.Buffer
	if err := Write(&b, "text", list, Tool{}, nil); err != nil {
		t.Fatal(err)
	}
	want := "nginx.conf:3: error: unexpected \"}\" [nginx/syntax]\n" +
		"site.conf: info: no upstream keepalive [nginx/no-keepalive]\n" +
		"site.conf:12: warning: X-Forwarded-Proto is not sent to the app [nginx/no-forwarded-proto]\n" +
		"    fix: add proxy_set_header X-Forwarded-Proto $scheme;\n" +
		"1 error(s), 1 warning(s), 1 info\n"
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
}

func TestJSONFields(t *testing.T) {
	var b bytes.Buffer
	if err := Write(&b, "json", sample, Tool{}, nil); err != nil {
		t.Fatal(err)
	}
	var got []map[string]any
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0]["rule"] != "nginx/no-forwarded-proto" || got[0]["severity"] != "warning" || got[0]["file"] != "site.conf" || got[0]["line"] != float64(12) || got[0]["message"] == "" {
		t.Errorf("got %v", got)
	}
	b.Reset()
	tag := []Finding{{Rule: "apache/syntax", Severity: Error, File: "a&b.conf", Line: 1, Message: "<VirtualHost> is never closed"}}
	if err := Write(&b, "json", tag, Tool{}, nil); err != nil || !strings.Contains(b.String(), `"<VirtualHost> is never closed"`) || !strings.Contains(b.String(), `"a&b.conf"`) {
		t.Errorf("configuration text must stay readable in JSON, got %s %v", b.String(), err)
	}
	b.Reset()
	if err := Write(&b, "json", nil, Tool{}, nil); err != nil || strings.TrimSpace(b.String()) != "[]" {
		t.Errorf("no findings must be an empty array, got %q %v", b.String(), err)
	}
}

func TestSARIF(t *testing.T) {
	var b bytes.Buffer
	rules := []Rule{{ID: "nginx/syntax", Severity: Error, Summary: "syntax error", HelpURI: "docs/nginx.md#nginx-syntax"}}
	if err := Write(&b, "sarif", sample, Tool{Name: "apphost", Version: "1.0.0"}, rules); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct{ URI string } `json:"artifactLocation"`
						Region           *struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(b.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	r := log.Runs[0]
	if log.Version != "2.1.0" || r.Tool.Driver.Name != "apphost" || r.Tool.Driver.Rules[0].ID != "nginx/syntax" || len(r.Results) != 3 {
		t.Fatalf("got %+v", log)
	}
	if r.Results[0].Level != "warning" || r.Results[2].Level != "note" || r.Results[0].Locations[0].PhysicalLocation.Region.StartLine != 12 {
		t.Errorf("results: %+v", r.Results)
	}
	if r.Results[2].Locations[0].PhysicalLocation.Region != nil {
		t.Errorf("a finding without a line must have no region")
	}
}

func TestUnknownFormat(t *testing.T) {
	if err := Write(&bytes.Buffer{}, "xml", sample, Tool{}, nil); err == nil || !strings.Contains(err.Error(), "text, json, sarif") {
		t.Errorf("got %v", err)
	}
}

// WriteLines gives each finding as the text format does, its fix on the
// next line when it has one, and no count.
func TestWriteLines(t *testing.T) {
	var b strings.Builder
	list := []Finding{
		{Rule: "x/a", Severity: Warning, File: "f", Line: 2, Message: "m", Fix: "do this"},
		{Rule: "x/b", Severity: Info, File: "f", Message: "n"},
	}
	if err := WriteLines(&b, list); err != nil {
		t.Fatal(err)
	}
	want := list[0].String() + "\n    fix: do this\n" + list[1].String() + "\n"
	if b.String() != want {
		t.Errorf("WriteLines wrote %q, want %q", b.String(), want)
	}
}
