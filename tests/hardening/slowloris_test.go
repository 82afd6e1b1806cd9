package hardening

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// Slowloris: hundreds of connections dribble a request head, one byte per
// connection every 100ms. A normal client is still served at once, and
// every slow connection is closed at the request-headers timeout, with 408.
func TestSlowlorisClientsAreCutAtTheHeadersTimeout(t *testing.T) {
	t.Parallel()
	const (
		slow    = 300
		timeout = 2 * time.Second
	)
	srv := startServe(t, "--request-headers-timeout", timeout.String())

	type outcome struct {
		after  time.Duration
		answer string // the first line the server sent, or "" for a plain close
		err    error
	}
	conns := make([]net.Conn, 0, slow)
	outcomes := make(chan outcome, slow)
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range slow {
		start := time.Now()
		c, err := net.DialTimeout("tcp", srv.addr, 10*time.Second)
		if err != nil {
			t.Fatalf("slow connection %d: %v", len(conns)+1, err)
		}
		c.SetDeadline(time.Now().Add(timeout + 20*time.Second))
		if _, err := io.WriteString(c, "GET / HTTP/1.1\r\nHost: slow\r\n"); err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		go func() {
			line, err := bufio.NewReader(c).ReadString('\n')
			if err == io.EOF {
				err = nil
			}
			outcomes <- outcome{time.Since(start), strings.TrimSpace(line), err}
		}()
	}
	// One writer dribbles a header byte on every connection every 100ms,
	// for at most the timeout plus 20s.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(100 * time.Millisecond)
		defer tick.Stop()
		end := time.After(timeout + 20*time.Second)
		for {
			select {
			case <-stop:
				return
			case <-end:
				return
			case <-tick.C:
				for _, c := range conns {
					c.SetWriteDeadline(time.Now().Add(time.Second))
					c.Write([]byte("X")) // fails once the server has closed; ignored
				}
			}
		}
	})
	defer func() { close(stop); wg.Wait() }()

	// A normal client, on new connections, while all of them dribble.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	var latencies []time.Duration
	for i := range 5 {
		start := time.Now()
		resp, err := client.Get("http://" + srv.addr + "/normal")
		if err != nil {
			t.Fatalf("normal request %d during the slowloris: %v", i+1, err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("normal request %d: status %d", i+1, resp.StatusCode)
		}
		latencies = append(latencies, time.Since(start))
	}
	slices.Sort(latencies)
	t.Logf("normal requests during the slowloris: %v", latencies)
	if median := latencies[len(latencies)/2]; median > time.Second {
		t.Errorf("median latency of a normal request %s during the slowloris, want within a second", median)
	}

	answered := 0
	var last time.Duration
	for range slow {
		o := <-outcomes
		if o.err != nil {
			t.Fatalf("slow connection: %v after %s, want 408 or a close at the %s timeout", o.err, o.after, timeout)
		}
		if o.after < timeout-50*time.Millisecond {
			t.Fatalf("slow connection closed after %s, before the %s timeout", o.after, timeout)
		}
		switch o.answer {
		case "HTTP/1.1 408 Request Timeout":
			answered++
		case "":
		default:
			t.Fatalf("slow connection answered %q, want 408", o.answer)
		}
		last = max(last, o.after)
	}
	t.Logf("%d slow connections closed, %d with 408, the last after %s", slow, answered, last)
	if answered < slow*9/10 {
		t.Errorf("only %d of %d slow connections got 408", answered, slow)
	}
}
