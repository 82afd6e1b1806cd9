package main

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apphost/apphost/config"
	"github.com/apphost/apphost/tests/harness"
)

func startServe(t *testing.T, env []string, args ...string) (*harness.Process, string) {
	t.Helper()
	addr := harness.FreeAddr(t)
	cmd := exec.Command(harness.Apphost(t), append([]string{"serve", "--listen", addr, "--admin-listen", harness.FreeAddr(t)}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	p := harness.StartCmd(t, cmd)
	p.WaitListening(t, addr, 20*time.Second)
	return p, addr
}

func getReport(t *testing.T, url string) map[string]any {
	t.Helper()
	return getReportWith(t, url, nil)
}

func TestServeAnswersWithTheDiagnosticReport(t *testing.T) {
	p, addr := startServe(t, nil)
	m := getReport(t, "http://"+addr+"/some/path?q=1")
	for k, want := range map[string]any{"client_ip": "127.0.0.1", "scheme": "http", "path": "/some/path", "method": "GET", "proto": "HTTP/1.1", "host": addr, "path_base": ""} {
		if m[k] != want {
			t.Errorf("%s = %v, want %v", k, m[k], want)
		}
	}
	if peer, _ := m["peer"].(string); !strings.HasPrefix(peer, "127.0.0.1:") {
		t.Errorf("peer = %v", m["peer"])
	}
	if err := p.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := p.Wait(10 * time.Second); err != nil {
		t.Fatalf("exit after SIGTERM: %v\n%s", err, p.Output())
	}
}

// defaults < file < APPHOST_* < flags, through the real command.
func TestServePrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "apphost.yaml")
	if err := os.WriteFile(file, []byte("app:\n  limits:\n    max_request_body: 10\n    max_header_count: 5\n    max_request_line: 300\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	// The environment overrides the file's body limit; the flag overrides
	// both for the header count; the file's request line stays.
	_, addr := startServe(t, []string{"APPHOST_APP_LIMITS_MAX_REQUEST_BODY=20", "APPHOST_APP_LIMITS_MAX_HEADER_COUNT=1"}, "-f", file, "--max-header-count", "50")

	post := func(n int) int {
		resp, err := http.Post("http://"+addr+"/", "text/plain", strings.NewReader(strings.Repeat("x", n)))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := post(15); got != 200 {
		t.Errorf("15-byte body with the environment's limit 20: %d", got)
	}
	if got := post(25); got != 413 {
		t.Errorf("25-byte body over the environment's limit 20: %d", got)
	}
	req, _ := http.NewRequest("GET", "http://"+addr+"/", nil)
	for i := range 10 {
		req.Header.Set("X-H"+string(rune('a'+i)), "1")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("12 headers with the flag's limit 50 (env said 1): %d", resp.StatusCode)
	}
	resp, err = http.Get("http://" + addr + "/" + strings.Repeat("a", 400))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 414 {
		t.Errorf("request line over the file's 300: %d", resp.StatusCode)
	}
}

func TestServeConfigurationErrorsExit2(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "apphost.yaml")
	if err := os.WriteFile(bad, []byte("app:\n  limits:\n    max_request_body: lots\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  []string
		want string
	}{
		{"bad file", []string{"-f", bad}, nil, bad + ":3:23: app.limits.max_request_body: want a size"},
		{"missing file", []string{"-f", bad + ".missing"}, nil, "no such file"},
		{"bad flag value", []string{"--keep-alive-timeout", "forever"}, nil, "flag --keep-alive-timeout: app.limits.keep_alive_timeout"},
		{"unknown flag", []string{"--max-body", "1"}, nil, "unknown flag: --max-body"},
		{"bad variable", nil, []string{"APPHOST_APP_LISTEN=nowhere"}, "environment APPHOST_APP_LISTEN: app.listen"},
		{"misspelt variable", nil, []string{"APPHOST_APP_LISTN=127.0.0.1:1"}, "APPHOST_APP_LISTN: no such setting"},
		{"admin equals public", []string{"--listen", "127.0.0.1:7000", "--admin-listen", "127.0.0.1:7000"}, nil, "never be reachable through the proxy"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := exec.Command(harness.Apphost(t), append([]string{"serve"}, tt.args...)...)
			cmd.Env = append(os.Environ(), tt.env...)
			out, err := cmd.CombinedOutput()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 2 {
				t.Fatalf("want exit 2, got %v\n%s", err, out)
			}
			if !strings.Contains(string(out), tt.want) {
				t.Errorf("output %q does not contain %q", out, tt.want)
			}
		})
	}
}

func TestServeHelpListsEveryFlag(t *testing.T) {
	out, err := exec.Command(harness.Apphost(t), "serve", "--help").CombinedOutput()
	if err != nil {
		t.Fatal(err, string(out))
	}
	for _, f := range config.HostFlags() {
		if !strings.Contains(string(out), "--"+f.Name) {
			t.Errorf("--help does not list --%s", f.Name)
		}
	}
	if !strings.Contains(string(out), "-f, --file") {
		t.Errorf("--help does not list -f")
	}
}

// A misspelt subcommand is a usage error, not a pass: check and gen name
// it and exit 2; alone, they print their help and exit 0.
func TestUnknownSubcommandExits2(t *testing.T) {
	for _, args := range [][]string{{"check", "ngnix", "site.conf"}, {"gen", "ngnix"}} {
		_, errOut, code := runApphost(t, args...)
		if code != 2 || !strings.Contains(errOut, `unknown command "ngnix"`) {
			t.Errorf("apphost %s: exit %d (want 2), stderr %q", strings.Join(args, " "), code, errOut)
		}
	}
	for _, group := range []string{"check", "gen"} {
		out, errOut, code := runApphost(t, group)
		if code != 0 || !strings.Contains(out, "Available Commands:") {
			t.Errorf("apphost %s: exit %d (want 0 and its help), %s%s", group, code, out, errOut)
		}
	}
}

func TestVersion(t *testing.T) {
	out, err := exec.Command(harness.Apphost(t), "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "apphost ") {
		t.Fatalf("%v %q", err, out)
	}
}

func getReportWith(t *testing.T, url string, headers map[string]string) map[string]any {
	t.Helper()
	return getReportVia(t, http.DefaultClient, url, headers)
}

// getReportVia asks for the diagnostic report through client.
func getReportVia(t *testing.T, client *http.Client, url string, headers map[string]string) map[string]any {
	t.Helper()
	req, err := http.NewRequest("GET", url, nil)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

// The diagnostic report shows what the forwarded-headers middleware
// restored, and only from trusted peers.
func TestServeReportsForwardedValuesFromTrustedPeersOnly(t *testing.T) {
	spoof := map[string]string{"X-Forwarded-For": "203.0.113.7:4444", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "shop.example.com", "X-Forwarded-Prefix": "/shop"}

	_, addr := startServe(t, nil) // default: loopback is trusted
	m := getReportWith(t, "http://"+addr+"/x", spoof)
	for k, want := range map[string]any{"client_ip": "203.0.113.7", "client_port": float64(4444), "scheme": "https", "host": "shop.example.com", "path_base": "/shop"} {
		if m[k] != want {
			t.Errorf("trusted loopback peer: %s = %v, want %v", k, m[k], want)
		}
	}
	if peer, _ := m["peer"].(string); !strings.HasPrefix(peer, "127.0.0.1:") {
		t.Errorf("peer must stay the connection's address, got %v", m["peer"])
	}

	_, addr = startServe(t, nil, "--trusted-proxies", "10.0.0.0/8")
	m = getReportWith(t, "http://"+addr+"/x", spoof)
	for k, want := range map[string]any{"client_ip": "127.0.0.1", "scheme": "http", "host": addr, "path_base": ""} {
		if m[k] != want {
			t.Errorf("untrusted peer: %s = %v, want %v", k, m[k], want)
		}
	}
	if h, _ := m["headers"].(map[string]any); h["X-Forwarded-For"] != nil || h["X-Forwarded-Proto"] != nil {
		t.Errorf("forwarding headers from an untrusted peer reached the app: %v", h)
	}
}
