package host

import (
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestWriterInterfaces proves that no step of the request path hides the
// ResponseWriter's optional interfaces: io.ReaderFrom (sendfile), Flusher
// and Hijacker by type assertion, and http.ResponseController's Flush and
// deadlines, with the access log on and with a request body (which the
// body limits wrap).
func TestWriterInterfaces(t *testing.T) {
	var access syncBuffer
	check := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var missing []string
		if _, ok := w.(io.ReaderFrom); !ok {
			missing = append(missing, "io.ReaderFrom")
		}
		if _, ok := w.(http.Flusher); !ok {
			missing = append(missing, "http.Flusher")
		}
		if _, ok := w.(http.Hijacker); !ok {
			missing = append(missing, "http.Hijacker")
		}
		rc := http.NewResponseController(w)
		if err := rc.SetWriteDeadline(time.Now().Add(time.Minute)); err != nil {
			missing = append(missing, "SetWriteDeadline: "+err.Error())
		}
		io.Copy(io.Discard, r.Body)
		io.WriteString(w, strings.Join(missing, ", "))
		if err := rc.Flush(); err != nil {
			t.Errorf("%s %s: ResponseController.Flush: %v", r.Method, r.URL.Path, err)
		}
	})
	s := startServer(t, check, Options{AccessLog: &access})
	base := "http://" + s.Addrs()[0].String()
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		var body io.Reader
		if method == http.MethodPost {
			body = strings.NewReader("some body")
		}
		req, err := http.NewRequest(method, base+"/", body)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("X-Forwarded-For", "203.0.113.7")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || len(got) > 0 {
			t.Errorf("%s: status %d, the handler's writer lacks: %s", method, resp.StatusCode, got)
		}
	}
}

// TestConnReadFrom proves the host's connection wrapper keeps the socket's
// io.ReaderFrom, through which net/http sends a file's bytes with
// sendfile(2) instead of copying them through user space.
func TestConnReadFrom(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	cl := newConnListener(l, newConnPool(Limits{}, nil))
	defer cl.Close()
	content := strings.Repeat("0123456789abcdef", 64<<10/16)
	path := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	got := make(chan string, 1)
	go func() {
		c, err := net.Dial("tcp", l.Addr().String())
		if err != nil {
			got <- err.Error()
			return
		}
		defer c.Close()
		c.SetDeadline(time.Now().Add(10 * time.Second))
		b, _ := io.ReadAll(c)
		got <- string(b)
	}()
	c, err := cl.Accept()
	if err != nil {
		t.Fatal(err)
	}
	rf, ok := c.(io.ReaderFrom)
	if !ok {
		c.Close()
		t.Fatalf("%T does not implement io.ReaderFrom", c)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n, err := rf.ReadFrom(f)
	c.Close()
	if err != nil || n != int64(len(content)) {
		t.Fatalf("ReadFrom: %d bytes, %v; want %d", n, err, len(content))
	}
	if s := <-got; s != content {
		t.Fatalf("the client read %d bytes, not the file's %d", len(s), len(content))
	}
}
