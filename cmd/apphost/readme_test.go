package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

func readme(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// The README's sample session shows what `apphost serve` really answers:
// the same JSON fields in the same order and layout, and the same /readyz
// body.
func TestReadmeSampleMatchesServe(t *testing.T) {
	sample := regexp.MustCompile("(?s)\\$ curl -s http://127.0.0.1:5000/hello\n(\\{\n.*?\n\\})\n\\$ curl -s http://127.0.0.1:9464/readyz\n(\\S+)\n").FindStringSubmatch(readme(t))
	if sample == nil {
		t.Fatal("README.md has no sample session of curl /hello and /readyz")
	}
	addr, admin := harness.FreeAddr(t), harness.FreeAddr(t)
	p := harness.StartCmd(t, exec.Command(harness.Apphost(t), "serve", "--listen", addr, "--admin-listen", admin))
	p.WaitListening(t, addr, 20*time.Second)
	p.WaitListening(t, admin, 20*time.Second)

	// Without compression, Go's client sends what curl sends.
	client := &http.Client{Transport: &http.Transport{DisableCompression: true}, Timeout: 10 * time.Second}
	get := func(url string) string {
		t.Helper()
		req, _ := http.NewRequest("GET", url, nil)
		req.Header.Set("User-Agent", "curl/7.88.1")
		req.Header.Set("Accept", "*/*")
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		return string(body)
	}
	body := get("http://" + addr + "/hello")
	if got, want := jsonKeys(t, body), jsonKeys(t, sample[1]); !slices.Equal(got, want) {
		t.Errorf("README shows the fields %v; apphost serve answers with %v", want, got)
	}
	// Apart from the ports, which differ on every run, the sample is the
	// answer to curl's request byte for byte.
	ports := regexp.MustCompile(`("client_port": |"peer": "127\.0\.0\.1:)\d+`)
	hosts := strings.NewReplacer(addr, "127.0.0.1:5000")
	if got, want := ports.ReplaceAllString(hosts.Replace(body), "${1}N"), ports.ReplaceAllString(sample[1], "${1}N")+"\n"; got != want {
		t.Errorf("apphost serve answers\n%s\nthe README shows\n%s", got, want)
	}
	if got := get("http://" + admin + "/readyz"); got != sample[2]+"\n" && got != sample[2] {
		t.Errorf("/readyz answers %q, the README shows %q", got, sample[2])
	}
}

// jsonKeys returns an object's keys in the order written.
func jsonKeys(t *testing.T, data string) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(data))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not a JSON object: %v %q", err, data)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// The README names every command and subcommand.
func TestReadmeNamesEveryCommand(t *testing.T) {
	doc := readme(t)
	root := newRootCommand()
	for _, c := range root.Commands() {
		if c.Hidden || c.Name() == "help" || c.Name() == "completion" {
			continue
		}
		subs := c.Commands()
		if len(subs) == 0 {
			if !strings.Contains(doc, "`apphost "+c.Name()) {
				t.Errorf("README.md does not mention apphost %s", c.Name())
			}
			continue
		}
		for _, s := range subs {
			if name := "`apphost " + c.Name() + " " + s.Name() + "`"; !strings.Contains(doc, name) {
				t.Errorf("README.md does not mention %s", name)
			}
		}
	}
}
