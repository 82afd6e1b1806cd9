package metrics

import (
	"fmt"
	"html"
	"net/http"
	"runtime/pprof"
	"runtime/trace"
	"strconv"
	"strings"
	"time"
)

// PprofPath is where [Pprof] is mounted.
const PprofPath = "/debug/pprof/"

// maxProfileTime bounds the seconds parameter of the CPU profile and the
// execution trace.
const maxProfileTime = 60 * time.Second

// Pprof serves the runtime's profiles under PprofPath in the format `go
// tool pprof` reads: /debug/pprof/ lists them, /debug/pprof/NAME writes
// one (heap, goroutine, allocs, block, mutex, threadcreate; ?debug=1 or 2
// for text), /debug/pprof/profile?seconds=N a CPU profile and
// /debug/pprof/trace?seconds=N an execution trace (default 30s, at most
// 60s). Unlike importing net/http/pprof it registers nothing on
// http.DefaultServeMux, so profiles can never leak onto an application
// that serves that mux.
func Pprof() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name, ok := strings.CutPrefix(r.URL.Path, PprofPath)
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("X-Content-Type-Options", "nosniff")
		w.Header().Set("Cache-Control", "no-store")
		switch name {
		case "":
			pprofIndex(w)
		case "profile":
			timed(w, r, "profile", func(w http.ResponseWriter) error { return pprof.StartCPUProfile(w) }, pprof.StopCPUProfile)
		case "trace":
			timed(w, r, "trace", func(w http.ResponseWriter) error { return trace.Start(w) }, trace.Stop)
		default:
			p := pprof.Lookup(name)
			if p == nil {
				http.Error(w, "unknown profile "+strconv.Quote(name), http.StatusNotFound)
				return
			}
			debug, _ := strconv.Atoi(r.URL.Query().Get("debug"))
			if debug > 0 {
				w.Header().Set("Content-Type", "text/plain; charset=utf-8")
			} else {
				w.Header().Set("Content-Type", "application/octet-stream")
				w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
			}
			p.WriteTo(w, debug) //nolint:errcheck // the client went away
		}
	})
}

// timed runs a profile for the seconds the request asks for.
func timed(w http.ResponseWriter, r *http.Request, name string, start func(http.ResponseWriter) error, stop func()) {
	d := 30 * time.Second
	if s := r.URL.Query().Get("seconds"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n <= 0 || time.Duration(n)*time.Second > maxProfileTime {
			http.Error(w, fmt.Sprintf("seconds=%q: a whole number from 1 to %d is expected", s, int(maxProfileTime/time.Second)), http.StatusBadRequest)
			return
		}
		d = time.Duration(n) * time.Second
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	if err := start(w); err != nil {
		w.Header().Del("Content-Disposition")
		http.Error(w, name+" could not start: "+err.Error(), http.StatusInternalServerError)
		return
	}
	select {
	case <-time.After(d):
	case <-r.Context().Done():
	}
	stop()
}

func pprofIndex(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	var b strings.Builder
	b.WriteString("<!DOCTYPE html>\n<title>/debug/pprof/</title>\n<ul>\n")
	for _, p := range pprof.Profiles() {
		n := html.EscapeString(p.Name())
		fmt.Fprintf(&b, "<li><a href=\"%s?debug=1\">%s</a> (%d)</li>\n", n, n, p.Count())
	}
	b.WriteString("<li><a href=\"profile?seconds=30\">profile</a>: CPU profile</li>\n")
	b.WriteString("<li><a href=\"trace?seconds=5\">trace</a>: execution trace</li>\n</ul>\n")
	w.Write([]byte(b.String())) //nolint:errcheck // the client went away
}
