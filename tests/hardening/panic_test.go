package hardening

import (
	"bytes"
	"io"
	"log/slog"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apphost/apphost/host"
)

// panicApp panics on /panic, writes part of its answer and then panics on
// /panic-mid-write, and answers "ok" elsewhere.
func panicApp() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/panic", func(w http.ResponseWriter, r *http.Request) {
		panic("storm")
	})
	mux.HandleFunc("/panic-mid-write", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "partial")
		w.(http.Flusher).Flush()
		panic("mid-write")
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "ok")
	})
	return mux
}

// countingWriter counts the log lines written to it and keeps none.
type countingWriter struct{ lines atomic.Int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.lines.Add(int64(bytes.Count(p, []byte("\n"))))
	return len(p), nil
}

// Panic storm: 8 clients alternate panicking and normal requests, 2,000 in
// all. Every panic is a logged 500, every other request a 200, and after
// the storm the heap and the goroutine count are back near where they were
// after a warm-up.
func TestPanicStorm(t *testing.T) {
	var logged countingWriter
	addr := startHost(t, panicApp(), host.Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 8}}
	defer client.CloseIdleConnections()

	storm := func(total int) (statuses map[int]int, failures []string) {
		statuses = map[int]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		next := atomic.Int64{}
		end := time.Now().Add(40 * time.Second)
		for range 8 {
			wg.Go(func() {
				for time.Now().Before(end) {
					i := next.Add(1)
					if i > int64(total) {
						return
					}
					path := "/ok"
					if i%2 == 0 {
						path = "/panic"
					}
					resp, err := client.Get("http://" + addr + path)
					mu.Lock()
					if err != nil {
						failures = append(failures, path+": "+err.Error())
					} else {
						body, _ := io.ReadAll(resp.Body)
						resp.Body.Close()
						statuses[resp.StatusCode]++
						if path == "/ok" && (resp.StatusCode != 200 || string(body) != "ok") {
							failures = append(failures, path+": "+resp.Status)
						}
						if path == "/panic" && resp.StatusCode != 500 {
							failures = append(failures, path+": "+resp.Status)
						}
					}
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		return statuses, failures
	}

	if _, failures := storm(200); len(failures) > 0 {
		t.Fatalf("warm-up: %d failures, first %s", len(failures), failures[0])
	}
	client.CloseIdleConnections()
	goroutines := goroutinesSettle(0)
	heap := heapInUse()

	statuses, failures := storm(2000)
	for _, f := range failures[:min(len(failures), 5)] {
		t.Errorf("during the storm: %s", f)
	}
	if statuses[200] != 1000 || statuses[500] != 1000 {
		t.Errorf("statuses %v, want 1000 × 200 and 1000 × 500", statuses)
	}
	if n := logged.lines.Load(); n < 1100 {
		t.Errorf("%d log lines for 1,100 panics, want each logged", n)
	}

	client.CloseIdleConnections()
	after := goroutinesSettle(goroutines + 5)
	afterHeap := heapInUse()
	t.Logf("goroutines %d after the warm-up, %d after the storm; heap in use %d MiB, then %d MiB", goroutines, after, heap/mib, afterHeap/mib)
	if after > goroutines+5 {
		t.Errorf("%d goroutines after the storm, %d before: panicking requests leave goroutines behind", after, goroutines)
	}
	if afterHeap > heap+32*mib {
		t.Errorf("heap in use grew from %d MiB to %d MiB over the storm", heap/mib, afterHeap/mib)
	}
}

func heapInUse() int64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapInuse)
}

// A handler that panics after its status and part of its body went out
// cannot be answered 500 any more. The server logs the panic, aborts the
// response so the client sees it cut short (never a response that reads
// whole), and keeps serving: the next request on a new connection is
// answered.
func TestPanicMidWriteKeepsTheServerServing(t *testing.T) {
	var logged countingWriter
	addr := startHost(t, panicApp(), host.Options{Logger: slog.New(slog.NewTextHandler(&logged, nil))})
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for i := range 20 {
		resp, err := client.Get("http://" + addr + "/panic-mid-write")
		if err == nil {
			var body []byte
			body, err = io.ReadAll(resp.Body)
			resp.Body.Close()
			if err == nil {
				t.Fatalf("request %d: status %d, body %q read whole: a response cut by a panic must not look complete", i+1, resp.StatusCode, body)
			}
			if !strings.HasPrefix(string(body), "partial") {
				t.Fatalf("request %d: body %q, want what the handler flushed before the panic", i+1, body)
			}
		}
		if i == 0 {
			t.Logf("the cut answer: %v", err)
		}
		resp, err = client.Get("http://" + addr + "/ok")
		if err != nil {
			t.Fatalf("request %d after a panic mid-write: %v", i+1, err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("request %d after a panic mid-write: status %d", i+1, resp.StatusCode)
		}
	}
	if n := logged.lines.Load(); n < 20 {
		t.Errorf("%d log lines for 20 panics, want each logged", n)
	}
}
