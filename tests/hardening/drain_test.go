package hardening

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

// Graceful drain under load: wrk and 8 keep-alive clients of the test keep
// the server busy when SIGTERM arrives. New connections are refused; a
// request still in flight completes; the process exits 0 within the
// shutdown timeout; and every request written on a connection the server
// had accepted gets a 2xx answer: the server ends kept-alive connections
// by answering "Connection: close", never by closing under a request.
//
// wrk counts a refused reconnection as a write error (its connect is
// non-blocking, the refusal surfaces when it writes), so its write errors
// are not asserted; the test's own clients tell the two apart. Its read
// errors, timeouts and non-2xx answers must be zero.
func TestGracefulDrainUnderLoad(t *testing.T) {
	t.Parallel()
	wrk := harness.RequireProgram(t, "wrk")
	const shutdownTimeout = 10 * time.Second
	srv := startServe(t, "--shutdown-timeout", shutdownTimeout.String())

	load := exec.Command(wrk, "-t2", "-c16", "-d4s", "--timeout", "3s", "http://"+srv.addr+"/")
	var out strings.Builder
	load.Stdout, load.Stderr = &out, &out
	if err := load.Start(); err != nil {
		t.Fatal(err)
	}
	loadDone := make(chan struct{})
	go func() { load.Wait(); close(loadDone) }()
	t.Cleanup(func() {
		load.Process.Kill()
		<-loadDone
	})

	clients := startKeepAliveClients(srv.addr, 8, 15*time.Second)

	// A request in flight through the shutdown: its body is still arriving
	// (the diagnostic application answers once net/http has read it).
	time.Sleep(time.Second)
	held := dial(t, srv.addr, 30*time.Second)
	io.WriteString(held, "POST /held HTTP/1.1\r\nHost: drain\r\nContent-Length: 10\r\n\r\nhalf ")
	// The load is all GETs: the one POST counted is this one. The
	// diagnostic application answers without reading the body, so its
	// handler has returned and net/http is reading the rest of the body
	// before it sends the answer.
	if !waitFor(5*time.Second, func() bool { return srv.requestsCounted("POST") == 1 }) {
		t.Fatal("the POST with half its body was not handled within 5s")
	}
	signalled := time.Now()
	if err := srv.proc.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	refused := waitFor(5*time.Second, func() bool {
		c, err := net.Dial("tcp", srv.addr)
		if err == nil {
			c.Close()
			return false
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Errorf("new connection during the drain: %v, want connection refused", err)
		}
		return true
	})
	if !refused {
		t.Fatal("new connections are still accepted 5s after SIGTERM")
	}
	select {
	case <-srv.proc.Done():
		t.Fatal("the process exited with a request in flight")
	default:
	}
	time.Sleep(time.Second) // past the drain window: only the request in flight holds the process
	select {
	case <-srv.proc.Done():
		t.Fatal("the process exited with a request in flight")
	default:
	}
	io.WriteString(held, "body!")
	resp, err := http.ReadResponse(bufio.NewReader(held), nil)
	if err != nil {
		t.Fatalf("the request in flight: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("the request in flight: status %d", resp.StatusCode)
	}

	if err := srv.proc.Wait(shutdownTimeout + 5*time.Second); err != nil {
		t.Fatalf("exit: %v, want status 0 within the %s shutdown timeout", err, shutdownTimeout)
	}
	t.Logf("exited %s after SIGTERM", time.Since(signalled).Round(time.Millisecond))

	select {
	case <-loadDone:
	case <-time.After(20 * time.Second):
		t.Fatal("wrk did not finish")
	}
	st := clients.wait()
	t.Logf("test clients: %d answers, %d of them with Connection: close; %d connections refused; %d first requests on a connection reset before it was accepted",
		st.ok, st.closes, st.refused, st.unaccepted)
	if st.ok == 0 || st.refused == 0 {
		t.Errorf("test clients: %d answers and %d refusals, want some of both", st.ok, st.refused)
	}
	// The host serves kept-alive connections for 500ms after the signal
	// before closing the idle ones: a request written in that time must
	// be answered. One written later on a connection that stayed idle
	// through the window may meet the close (see docs/host.md); on a busy
	// connection that happens only when the client stalls for the whole
	// window, as on an overloaded machine.
	windowEnd := signalled.Add(500 * time.Millisecond)
	for _, l := range st.lost {
		if l.written.Before(windowEnd) {
			t.Errorf("request written %s after SIGTERM on an accepted connection: %s", l.written.Sub(signalled).Round(time.Millisecond), l.err)
		} else {
			t.Logf("request written %s after SIGTERM, after the drain window: %s", l.written.Sub(signalled).Round(time.Millisecond), l.err)
		}
	}
	report := out.String()
	t.Logf("wrk:\n%s", report)
	requests := wrkCount(t, report, `(\d+) requests in`)
	if requests == 0 {
		t.Fatal("wrk completed no request")
	}
	if n := wrkCount(t, report, `Non-2xx or 3xx responses: (\d+)`); n != 0 {
		t.Errorf("%d answers other than 2xx", n)
	}
	for _, kind := range []string{"read", "timeout"} {
		if n := wrkCount(t, report, `Socket errors:.*\b`+kind+` (\d+)`); n != 0 {
			t.Errorf("%d %s errors among requests the server had accepted", n, kind)
		}
	}
}

// keepAliveClients send GETs one after another on kept-alive connections,
// reconnecting when an answer says "Connection: close", until a connection
// is refused or their time is up.
type keepAliveClients struct {
	wg sync.WaitGroup
	mu sync.Mutex
	st clientStats
}

type clientStats struct {
	ok, closes, refused, unaccepted int
	lost                            []lostRequest // failures on connections that had been answered before
}

type lostRequest struct {
	written time.Time
	err     string
}

func startKeepAliveClients(addr string, n int, limit time.Duration) *keepAliveClients {
	k := &keepAliveClients{}
	end := time.Now().Add(limit)
	for range n {
		k.wg.Go(func() { k.run(addr, end) })
	}
	return k
}

func (k *keepAliveClients) run(addr string, end time.Time) {
	var local clientStats
	defer func() {
		k.mu.Lock()
		k.st.ok += local.ok
		k.st.closes += local.closes
		k.st.refused += local.refused
		k.st.unaccepted += local.unaccepted
		k.st.lost = append(k.st.lost, local.lost...)
		k.mu.Unlock()
	}()
	for time.Now().Before(end) {
		c, err := net.DialTimeout("tcp", addr, 5*time.Second)
		if err != nil {
			local.refused++
			return
		}
		c.SetDeadline(end.Add(10 * time.Second))
		br := bufio.NewReader(c)
		answered := 0
		for time.Now().Before(end) {
			written := time.Now()
			_, err := io.WriteString(c, "GET /load HTTP/1.1\r\nHost: drain\r\n\r\n")
			var resp *http.Response
			if err == nil {
				resp, err = http.ReadResponse(br, nil)
			}
			if err == nil {
				_, err = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
			switch {
			case err != nil && answered == 0:
				local.unaccepted++ // reset in the backlog when the listener closed
			case err != nil:
				local.lost = append(local.lost, lostRequest{written, fmt.Sprintf("after %d answers: %v", answered, err)})
			case resp.StatusCode/100 != 2:
				local.lost = append(local.lost, lostRequest{written, fmt.Sprintf("status %d", resp.StatusCode)})
			default:
				local.ok++
				answered++
			}
			if err != nil || resp.Close {
				if err == nil {
					local.closes++
				}
				break
			}
		}
		c.Close()
	}
}

func (k *keepAliveClients) wait() clientStats {
	k.wg.Wait()
	return k.st
}

// wrkCount is the number pattern's group matches in wrk's report, or 0
// when the line is absent (wrk prints error lines only when they are not
// zero).
func wrkCount(t *testing.T, report, pattern string) int {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(report)
	if m == nil {
		return 0
	}
	n, err := strconv.Atoi(m[1])
	if err != nil {
		t.Fatal(err)
	}
	return n
}
