package host

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/metrics"
	"github.com/apphost/apphost/tests/harness"
)

// accessLine serves one request through a host with the access log on and
// returns its line.
func accessLine(t *testing.T, app http.Handler, opts Options, request string) string {
	t.Helper()
	var access syncBuffer
	opts.AccessLog = &access
	s := startServer(t, app, opts)
	c, err := net.Dial("tcp", s.Addrs()[0].String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, request); err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, c) // whatever the answer, until the server closes
	harness.WaitFor(t, 5*time.Second, "the access log line", func() bool { return strings.HasSuffix(access.String(), "\n") })
	return access.String()
}

// A file sent with http.ServeFile goes through io.ReaderFrom
// (sendfile(2)); its line has the size the client got.
func TestAccessLogSizeOfAFileSent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.bin")
	if err := os.WriteFile(path, bytes.Repeat([]byte("x"), 300_000), 0o644); err != nil {
		t.Fatal(err)
	}
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.ServeFile(w, r, path) })
	line := accessLine(t, app, Options{}, "GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if !strings.Contains(line, `"GET /big.bin HTTP/1.1" 200 300000 "-" "-"`) {
		t.Errorf("line %q, want status 200 and size 300000", line)
	}
}

// The Referer and User-Agent a client sends cannot break the line or its
// quoting.
func TestAccessLogEscapes(t *testing.T) {
	line := accessLine(t, testApp(), Options{}, "GET /?a=%22 HTTP/1.1\r\nHost: x\r\nReferer: \"quoted\\\"\r\nUser-Agent: tab\there é\r\nConnection: close\r\n\r\n")
	if want := `"GET /?a=%22 HTTP/1.1" 200 5 "\"quoted\\\"" "tab\there \xc3\xa9"` + "\n"; !strings.HasSuffix(line, want) {
		t.Errorf("line %q, want it to end in %q", line, want)
	}
}

// A body over the limit is answered 413 by the host while the application
// reads it; the line says 413 and the size of the host's answer ("413
// Request Entity Too Large" and a newline), not the application's.
func TestAccessLogHostAnswer(t *testing.T) {
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	})
	line := accessLine(t, app, Options{Limits: Limits{MaxRequestBody: 10}},
		"POST /up HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n14\r\n01234567890123456789\r\n0\r\n\r\n")
	if !strings.Contains(line, `"POST /up HTTP/1.1" 413 29 `) {
		t.Errorf("line %q, want status 413", line)
	}
}

// A response the application aborts (http.ErrAbortHandler) after it began
// is still logged, with what was sent.
func TestAccessLogAbortedResponse(t *testing.T) {
	app := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("partial"))
		panic(http.ErrAbortHandler)
	})
	line := accessLine(t, app, Options{}, "GET /abort HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if !strings.Contains(line, `"GET /abort HTTP/1.1" 200 7 `) {
		t.Errorf("line %q, want status 200 and the 7 bytes written", line)
	}
}

func TestAppendEscaped(t *testing.T) {
	for in, want := range map[string]string{
		"":                    "-",
		"plain text":          "plain text",
		`a"b\c`:               `a\"b\\c`,
		"nl\nnul\x00\t\r\b\v": `nl\nnul\x00\t\r\b\v`,
		"é 日":                 `\xc3\xa9 \xe6\x97\xa5`,
		"line\u2028sep":       `line\xe2\x80\xa8sep`,
		"bad\xff\xfeu":        `bad\xff\xfeu`,
		"del\x7f":             `del\x7f`,
	} {
		if got := string(appendEscaped(nil, in, "-")); got != want {
			t.Errorf("appendEscaped(%q) = %q, want %q", in, got, want)
		}
	}
}

// A HEAD request's body is not sent: its size is "-".
func TestAccessLogHead(t *testing.T) {
	line := accessLine(t, testApp(), Options{}, "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
	if !strings.Contains(line, `"HEAD / HTTP/1.1" 200 - `) {
		t.Errorf("line %q, want status 200 and size -", line)
	}
}

// A connection the application took over is logged 101, and what it then
// tries through the response writer, which net/http refuses, is not
// counted.
func TestAccessLogHijacked(t *testing.T) {
	app := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		c, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return
		}
		rw.WriteString("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
		rw.Flush()
		c.Close()
		w.WriteHeader(http.StatusTeapot)
		w.Write([]byte("refused"))
	})
	line := accessLine(t, app, Options{}, "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n")
	if !strings.Contains(line, `"GET /ws HTTP/1.1" 101 - `) {
		t.Errorf("line %q, want status 101 and size -", line)
	}
}

// The temporary files of a multipart form the application parsed on the
// request it got, a copy the body limits made, are removed when it
// returns, as net/http removes its own request's.
func TestMultipartFilesRemoved(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseMultipartForm(10); err != nil {
			t.Error(err)
		}
		if f, _, err := r.FormFile("f"); err == nil {
			f.Close()
		}
		entries, _ := os.ReadDir(tmp)
		if len(entries) == 0 {
			t.Error("the form's file part was not spilled to a temporary file")
		}
	})
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, _ := mw.CreateFormFile("f", "big.bin")
	part.Write(bytes.Repeat([]byte("x"), 100_000))
	mw.Close()
	request := fmt.Sprintf("POST /up HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		mw.FormDataContentType(), body.Len(), body.String())
	accessLine(t, app, Options{}, request)
	harness.WaitFor(t, 5*time.Second, "the temporary files removed", func() bool {
		entries, _ := os.ReadDir(tmp)
		return len(entries) == 0
	})
}

// A line is formatted without allocating.
func TestAccessLineAllocates0(t *testing.T) {
	r := benchRequest()
	start := time.Now()
	buf := make([]byte, 0, 256)
	if n := testing.AllocsPerRun(100, func() { buf = appendCombined(buf[:0], r, start, metricsRecord200) }); n != 0 {
		t.Errorf("%v allocations per line", n)
	}
}

func benchRequest() *http.Request {
	r, _ := http.NewRequest(http.MethodGet, "http://app.example/items/42?x=1", nil)
	r.RemoteAddr, r.RequestURI = "203.0.113.7:51000", "/items/42?x=1"
	r.Header.Set("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0")
	return r
}

func BenchmarkAccessLine(b *testing.B) {
	r := benchRequest()
	start := time.Now()
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = appendCombined(buf[:0], r, start, metricsRecord200)
	}
}

var metricsRecord200 = metrics.Record{Status: 200, Written: 13}

// A request the host refuses before the steps inside see it (here a
// request line over the limit) has its line too.
func TestAccessLogRejected(t *testing.T) {
	line := accessLine(t, testApp(), Options{Limits: Limits{MaxRequestLine: 30}},
		"GET /a-path-longer-than-the-limit HTTP/1.1\r\nHost: x\r\nUser-Agent: t/1\r\n\r\n")
	if want := `"GET /a-path-longer-than-the-limit HTTP/1.1" 414 25 "-" "t/1"` + "\n"; !strings.HasSuffix(line, want) {
		t.Errorf("line %q, want it to end in %q", line, want)
	}
}
