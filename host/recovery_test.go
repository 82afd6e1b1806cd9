package host

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
)

// TestRecoveryStep proves the recovery step on its own: a panic becomes a
// 500 and an error log with the stack, http.ErrAbortHandler goes on to
// net/http unchanged, and a request that does not panic costs no
// allocation. TestPanicRecovery proves the same through a running server.
func TestRecoveryStep(t *testing.T) {
	var logs bytes.Buffer
	app := http.NewServeMux()
	app.HandleFunc("/panic", func(http.ResponseWriter, *http.Request) { panic("boom") })
	app.HandleFunc("/abort", func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	app.HandleFunc("/ok", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
	h := &recovery{logger: slog.New(slog.NewTextHandler(&logs, nil)), next: app}
	serve := func(path string) (w *recordingWriter, panicked any) {
		w = &recordingWriter{h: http.Header{}}
		r, err := http.NewRequest(http.MethodGet, "http://app.example"+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { panicked = recover() }()
		h.ServeHTTP(w, r)
		return w, nil
	}

	t.Run("a panic is a logged 500", func(t *testing.T) {
		w, p := serve("/panic")
		if p != nil || w.code != http.StatusInternalServerError {
			t.Fatalf("status %d, panic %v; want 500 and no panic", w.code, p)
		}
		for _, want := range []string{"panic serving request", "panic=boom", "goroutine ", "recovery_test.go"} {
			if !strings.Contains(logs.String(), want) {
				t.Errorf("log lacks %q:\n%s", want, logs.String())
			}
		}
	})
	t.Run("http.ErrAbortHandler reaches net/http", func(t *testing.T) {
		logs.Reset()
		w, p := serve("/abort")
		if p != http.ErrAbortHandler {
			t.Fatalf("recovered %v, want http.ErrAbortHandler", p)
		}
		if w.code != 0 || logs.Len() != 0 {
			t.Errorf("abort answered %d and logged %q; want neither", w.code, logs.String())
		}
	})
	t.Run("no allocation without a panic", func(t *testing.T) {
		r, err := http.NewRequest(http.MethodGet, "http://app.example/ok", nil)
		if err != nil {
			t.Fatal(err)
		}
		w := &recordingWriter{h: http.Header{}}
		inner := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })
		step := &recovery{logger: slog.New(slog.DiscardHandler), next: inner}
		if n := testing.AllocsPerRun(100, func() { step.ServeHTTP(w, r) }); n != 0 {
			t.Errorf("%v allocations per request, want 0", n)
		}
	})
}

type recordingWriter struct {
	h    http.Header
	code int
}

func (w *recordingWriter) Header() http.Header         { return w.h }
func (w *recordingWriter) Write(p []byte) (int, error) { return len(p), nil }
func (w *recordingWriter) WriteHeader(code int)        { w.code = code }

// A panic after the response began is aborted through the whole request
// path, with and without the access log (whose writer wraps the metrics'
// one): the recovery step learns from the metrics that the response began.
func TestRecoveryAbortsAStartedResponseInTheChain(t *testing.T) {
	app := http.NewServeMux()
	app.HandleFunc("/late", func(w http.ResponseWriter, _ *http.Request) {
		io.WriteString(w, "partial")
		panic("late")
	})
	app.HandleFunc("/early", func(http.ResponseWriter, *http.Request) { panic("early") })
	for name, accessLog := range map[string]io.Writer{"without access log": io.Discard, "with access log": &bytes.Buffer{}} {
		t.Run(name, func(t *testing.T) {
			h := unboundServer(t, accessLog).publicHandler(app)
			serve := func(path string) (w *recordingWriter, panicked any) {
				w = &recordingWriter{h: http.Header{}}
				r, err := http.NewRequest(http.MethodGet, "http://app.example"+path, nil)
				if err != nil {
					t.Fatal(err)
				}
				r.RemoteAddr = "203.0.113.9:51000"
				defer func() { panicked = recover() }()
				h.ServeHTTP(w, r)
				return w, nil
			}
			if _, p := serve("/late"); p != http.ErrAbortHandler {
				t.Errorf("panic after the response began: recovered %v, want http.ErrAbortHandler", p)
			}
			if w, p := serve("/early"); p != nil || w.code != http.StatusInternalServerError {
				t.Errorf("panic before the response began: status %d, panic %v; want 500 and no panic", w.code, p)
			}
		})
	}
}
