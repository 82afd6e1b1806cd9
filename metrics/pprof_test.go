package metrics

import (
	"io"
	"net/http"
	"net/http/httptest"
	"runtime/pprof"
	"strings"
	"testing"
)

func pprofGet(t *testing.T, target string) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	Pprof().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	return rec
}

// Bad requests get a status and a reason, never a profile.
func TestPprofRefusesBadRequests(t *testing.T) {
	tests := []struct {
		target string
		status int
		want   string
	}{
		{"/debug/pprof/profile?seconds=0", 400, "a whole number from 1 to 60"},
		{"/debug/pprof/profile?seconds=-1", 400, "a whole number from 1 to 60"},
		{"/debug/pprof/profile?seconds=1.5", 400, `seconds="1.5"`},
		{"/debug/pprof/trace?seconds=61", 400, "a whole number from 1 to 60"},
		{"/debug/pprof/trace?seconds=abc", 400, `seconds="abc"`},
		{"/debug/pprof/nothing", 404, `unknown profile "nothing"`},
		{"/debug/pprof/<script>", 404, "unknown profile"},
		{"/elsewhere", 404, "not found"},
	}
	for _, tt := range tests {
		rec := pprofGet(t, tt.target)
		if rec.Code != tt.status || !strings.Contains(rec.Body.String(), tt.want) {
			t.Errorf("GET %s: %d %q, want %d with %q", tt.target, rec.Code, rec.Body.String(), tt.status, tt.want)
		}
		if cd := rec.Header().Get("Content-Disposition"); cd != "" {
			t.Errorf("GET %s: an error offered as a download (%s)", tt.target, cd)
		}
	}
}

// A CPU profile while another runs is refused with 500 and the reason.
func TestPprofCPUProfileAlreadyRunning(t *testing.T) {
	if err := pprof.StartCPUProfile(io.Discard); err != nil {
		t.Fatal(err)
	}
	defer pprof.StopCPUProfile()
	rec := pprofGet(t, "/debug/pprof/profile?seconds=1")
	if rec.Code != 500 || !strings.Contains(rec.Body.String(), "profile could not start") || rec.Header().Get("Content-Disposition") != "" {
		t.Errorf("%d %q %v, want 500 naming the profile and no download", rec.Code, rec.Body.String(), rec.Header())
	}
}

// The index links every profile; ?debug=1 is text, without it a download.
func TestPprofIndexAndProfiles(t *testing.T) {
	rec := pprofGet(t, "/debug/pprof/")
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/html; charset=utf-8" {
		t.Fatalf("index: %d %v", rec.Code, rec.Header())
	}
	for _, p := range []string{`href="heap?debug=1"`, `href="goroutine?debug=1"`, `href="profile?seconds=30"`, `href="trace?seconds=5"`} {
		if !strings.Contains(rec.Body.String(), p) {
			t.Errorf("index lacks %s:\n%s", p, rec.Body.String())
		}
	}
	rec = pprofGet(t, "/debug/pprof/goroutine?debug=1")
	if rec.Code != 200 || !strings.HasPrefix(rec.Header().Get("Content-Type"), "text/plain") || !strings.Contains(rec.Body.String(), "goroutine profile:") {
		t.Errorf("goroutine?debug=1: %d %v %.80q", rec.Code, rec.Header(), rec.Body.String())
	}
	rec = pprofGet(t, "/debug/pprof/heap")
	if rec.Code != 200 || rec.Header().Get("Content-Disposition") != `attachment; filename="heap"` || rec.Body.Len() == 0 {
		t.Errorf("heap: %d %v, %d bytes", rec.Code, rec.Header(), rec.Body.Len())
	}
	if rec.Header().Get("X-Content-Type-Options") != "nosniff" || rec.Header().Get("Cache-Control") != "no-store" {
		t.Errorf("heap headers: %v", rec.Header())
	}
}
