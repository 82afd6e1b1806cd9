package hardening

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"
)

// Connection flood above max_connections: the process never holds more
// than the limit's worth of client sockets, the admitted connections are
// served, and the others wait, unanswered but connected, in the kernel's
// listen backlog until admitted connections close; then they are served
// too.
func TestConnectionFloodAboveMaxConnections(t *testing.T) {
	t.Parallel()
	const (
		limit = 20
		flood = 60
	)
	srv := startServe(t, "--max-connections", strconv.Itoa(limit))
	base := socketCount(t, srv.pid()) // the listeners

	type answer struct {
		i      int
		status int
		err    error
	}
	answers := make(chan answer, flood)
	conns := make([]net.Conn, flood)
	defer func() {
		for _, c := range conns {
			if c != nil {
				c.Close()
			}
		}
	}()
	for i := range conns {
		// Every connect succeeds: the kernel completes the handshake of
		// connections waiting in the backlog.
		c, err := net.DialTimeout("tcp", srv.addr, 10*time.Second)
		if err != nil {
			t.Fatalf("connection %d of %d: %v", i+1, flood, err)
		}
		conns[i] = c
		c.SetDeadline(time.Now().Add(40 * time.Second))
		io.WriteString(c, "GET / HTTP/1.1\r\nHost: flood\r\n\r\n")
		go func() {
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				answers <- answer{i: i, err: err}
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			answers <- answer{i: i, status: resp.StatusCode}
		}()
	}

	// Watch the process's sockets for the whole test.
	var mu sync.Mutex
	most := 0
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			n, _ := countSockets(srv.pid())
			mu.Lock()
			most = max(most, n)
			mu.Unlock()
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
		}
	})

	served := 0
	collect := func(want int, within time.Duration) []int {
		t.Helper()
		var got []int
		timeout := time.After(within)
		for len(got) < want {
			select {
			case a := <-answers:
				if a.err != nil || a.status != 200 {
					t.Fatalf("connection %d: status %d, %v", a.i+1, a.status, a.err)
				}
				got = append(got, a.i)
			case <-timeout:
				return got
			}
		}
		return got
	}
	first := collect(limit, 20*time.Second)
	if len(first) != limit {
		t.Fatalf("%d connections served, want the %d admitted ones", len(first), limit)
	}
	if extra := collect(1, 500*time.Millisecond); len(extra) != 0 {
		t.Fatalf("connection %d served while %d admitted connections are open", extra[0]+1, limit)
	}
	served += len(first)

	// Closing the admitted connections lets the waiting ones in, a limit's
	// worth at a time.
	for served < flood {
		for _, i := range first {
			conns[i].Close()
		}
		first = collect(min(limit, flood-served), 20*time.Second)
		if len(first) == 0 {
			t.Fatalf("%d of %d connections served; the rest still wait after the admitted ones closed", served, flood)
		}
		served += len(first)
	}
	close(stop)
	wg.Wait()
	t.Logf("%d connections served with at most %d admitted at once: the process held at most %d sockets, %d of them listeners", flood, limit, most, base)
	if most > base+limit {
		t.Errorf("the process held %d sockets: more than %d listeners + %d connections", most, base, limit)
	}
}
