package host

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// readResult is what one Read on a trackedConn returned, and when.
type readResult struct {
	data string
	err  error
	at   time.Time
}

// readOnce reads once from c in the background.
func readOnce(c *trackedConn) <-chan readResult {
	ch := make(chan readResult, 1)
	go func() {
		buf := make([]byte, 64)
		n, err := c.Read(buf)
		ch <- readResult{string(buf[:n]), err, time.Now()}
	}()
	return ch
}

// waitRead waits up to 10s for the background read.
func waitRead(t *testing.T, ch <-chan readResult) readResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("the read did not return within 10s")
		return readResult{}
	}
}

// timesOutAt proves a read on c times out, at deadline and not before.
func timesOutAt(t *testing.T, c *trackedConn, deadline time.Time) {
	t.Helper()
	r := waitRead(t, readOnce(c))
	if !errors.Is(r.err, os.ErrDeadlineExceeded) {
		t.Fatalf("read: %q, %v; want a deadline error", r.data, r.err)
	}
	if r.at.Before(deadline) {
		t.Fatalf("the read timed out %v before the deadline asked for", deadline.Sub(r.at))
	}
}

// TestReadDeadlineMovedLaterHolds proves a deadline moved later is kept: the
// read outlives the earlier deadline, which the socket still holds, and
// times out at the later one, not before.
func TestReadDeadlineMovedLaterHolds(t *testing.T) {
	c, _ := tcpPair(t, 0)
	c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	later := time.Now().Add(400 * time.Millisecond)
	c.SetReadDeadline(later)
	if !c.read.socket.Before(later) {
		t.Fatalf("the socket's deadline moved to the later one; the test would not cover the resumed read")
	}
	timesOutAt(t, c, later)
}

// TestReadDeadlineClearedHolds proves a cleared deadline is kept: data that
// arrives well after the socket's old deadline is read, without an error.
func TestReadDeadlineClearedHolds(t *testing.T) {
	c, peer := tcpPair(t, 0)
	c.SetReadDeadline(time.Now().Add(30 * time.Millisecond))
	c.SetReadDeadline(time.Time{})
	ch := readOnce(c)
	time.Sleep(200 * time.Millisecond)
	if _, err := peer.Write([]byte("late")); err != nil {
		t.Fatal(err)
	}
	if r := waitRead(t, ch); r.err != nil || r.data != "late" {
		t.Fatalf("read: %q, %v; want %q and no error", r.data, r.err, "late")
	}
}

// TestReadDeadlineFarAheadIsArmedInTime proves a deadline further ahead
// than the margin, which the socket does not get at once, still ends a
// read at that deadline: the watch arms it, also after the deadline moved
// further while the watch waited.
func TestReadDeadlineFarAheadIsArmedInTime(t *testing.T) {
	c, _ := tcpPair(t, 0)
	c.read.margin = 50 * time.Millisecond
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	if !c.read.socket.IsZero() {
		t.Fatalf("the socket got the deadline at once; the test would not cover the watch")
	}
	later := time.Now().Add(500 * time.Millisecond)
	c.SetReadDeadline(later)
	timesOutAt(t, c, later)
}

// TestReadDeadlineMovedEarlierCuts proves an earlier deadline takes effect
// at once: the read times out at it, long before the later deadline set
// first.
func TestReadDeadlineMovedEarlierCuts(t *testing.T) {
	c, _ := tcpPair(t, 0)
	c.SetReadDeadline(time.Now().Add(time.Hour))
	c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if r := waitRead(t, readOnce(c)); !errors.Is(r.err, os.ErrDeadlineExceeded) {
		t.Fatalf("read: %q, %v; want a deadline error", r.data, r.err)
	}
}

// TestReadDeadlineInPastInterruptsARead proves the way net/http stops its
// background read holds: a deadline in the past ends a blocked read, and
// clearing it afterwards lets the next read wait for data as long as it
// takes.
func TestReadDeadlineInPastInterruptsARead(t *testing.T) {
	c, peer := tcpPair(t, 0)
	c.SetReadDeadline(time.Now().Add(time.Hour))
	ch := readOnce(c)
	time.Sleep(50 * time.Millisecond) // let the read block
	c.SetReadDeadline(time.Unix(1, 0))
	if r := waitRead(t, ch); !errors.Is(r.err, os.ErrDeadlineExceeded) {
		t.Fatalf("interrupted read: %q, %v; want a deadline error", r.data, r.err)
	}
	c.SetReadDeadline(time.Time{})
	ch = readOnce(c)
	time.Sleep(150 * time.Millisecond)
	peer.Write([]byte("next"))
	if r := waitRead(t, ch); r.err != nil || r.data != "next" {
		t.Fatalf("read after clearing: %q, %v; want %q and no error", r.data, r.err, "next")
	}
}

// TestReadDeadlineAbortedReadsHammered repeats net/http's pattern around
// its background read many times, with a short margin so that the watch
// fires while the deadlines move: a read blocked in another goroutine is
// ended by a deadline long past, the read after the deadline is cleared
// gets its data without an error, and a read given a near deadline times
// out at it, not before (nor forever).
func TestReadDeadlineAbortedReadsHammered(t *testing.T) {
	c, peer := tcpPair(t, 0)
	c.read.margin = 2 * time.Millisecond
	buf := make([]byte, 1)
	stop := time.Now().Add(5 * time.Second)
	for i := 0; i < 300 && time.Now().Before(stop); i++ {
		c.SetReadDeadline(time.Now().Add(time.Duration(i%7) * time.Millisecond)) // the watch fires meanwhile
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		c.SetReadDeadline(time.Time{})
		ch := readOnce(c)
		if i%2 == 0 {
			time.Sleep(100 * time.Microsecond) // let the read block, most times
		}
		c.SetReadDeadline(time.Unix(1, 0))
		if r := waitRead(t, ch); !errors.Is(r.err, os.ErrDeadlineExceeded) {
			t.Fatalf("round %d: aborted read: %q, %v; want a deadline error", i, r.data, r.err)
		}
		c.SetReadDeadline(time.Time{})
		if _, err := peer.Write([]byte{'x'}); err != nil {
			t.Fatal(err)
		}
		if n, err := c.Read(buf); n != 1 || err != nil {
			t.Fatalf("round %d: read after clearing: %d bytes, %v; want 1 and no error", i, n, err)
		}
		deadline := time.Now().Add(time.Duration(1+i%4) * time.Millisecond)
		c.SetReadDeadline(deadline)
		timesOutAt(t, c, deadline)
	}
}

// TestReadDeadlineConcurrentSetsSettle has several goroutines ask for
// deadlines at once (near ones, far ones, none, past ones, wall-clock
// ones), while a read keeps timing out and resuming and the watch fires
// under a short margin. Once they stop, the connection follows the
// deadlines asked for next: a read gets late data when none is set, and
// times out at a deadline set afterwards, not before.
func TestReadDeadlineConcurrentSetsSettle(t *testing.T) {
	c, peer := tcpPair(t, 0)
	c.read.margin = time.Millisecond
	stop := time.Now().Add(3 * time.Second)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 3000 && time.Now().Before(stop); i++ {
				var d time.Time
				switch (g + i) % 5 {
				case 1:
					d = time.Now().Add(time.Duration(i%5) * time.Millisecond)
				case 2:
					d = time.Now().Add(time.Minute)
				case 3:
					d = time.Unix(1, 0)
				case 4:
					d = time.Now().Add(time.Duration(i%3) * time.Millisecond).Round(0) // no monotonic reading
				}
				c.SetReadDeadline(d)
			}
		}()
	}
	reading := make(chan struct{})
	go func() {
		defer close(reading)
		buf := make([]byte, 1)
		for { // until the byte sent after the storm, so none is left for the reads below
			n, err := c.Read(buf)
			if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
				t.Errorf("read during the storm: %v", err)
				return
			}
			if n > 0 {
				return
			}
		}
	}()
	wg.Wait()
	c.SetReadDeadline(time.Now().Add(time.Hour))
	peer.Write([]byte{'x'}) // ends the read above
	select {
	case <-reading:
	case <-time.After(10 * time.Second):
		t.Fatal("the read did not end within 10s of the data")
	}

	c.SetReadDeadline(time.Time{})
	ch := readOnce(c)
	time.Sleep(100 * time.Millisecond)
	if _, err := peer.Write([]byte("late")); err != nil {
		t.Fatal(err)
	}
	if r := waitRead(t, ch); r.err != nil || r.data == "" {
		t.Fatalf("read with no deadline: %q, %v; want data and no error", r.data, r.err)
	}
	deadline := time.Now().Add(100 * time.Millisecond)
	c.SetReadDeadline(deadline)
	timesOutAt(t, c, deadline)
}

// TestSetDeadlineSetsTheReadDeadline proves SetDeadline bounds reads too.
func TestSetDeadlineSetsTheReadDeadline(t *testing.T) {
	c, _ := tcpPair(t, 0)
	c.SetDeadline(time.Now().Add(100 * time.Millisecond))
	if r := waitRead(t, readOnce(c)); !errors.Is(r.err, os.ErrDeadlineExceeded) {
		t.Fatalf("read: %q, %v; want a deadline error", r.data, r.err)
	}
}

// TestClearedWriteDeadlineKeepsTheSendTimeout proves that clearing a write
// deadline nobody set (as net/http does after every response) leaves the
// send timeout in force, and that clearing one the application set lets
// writes through again.
func TestClearedWriteDeadlineKeepsTheSendTimeout(t *testing.T) {
	c, peer := pipeConn(t, 200*time.Millisecond)
	c.SetWriteDeadline(time.Time{})
	if _, err := c.Write(make([]byte, 10)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("write to a peer reading nothing: %v; want the send timeout", err)
	}
	c.SetWriteDeadline(time.Unix(1, 0))
	c.SetWriteDeadline(time.Time{})
	go io.ReadFull(peer, make([]byte, 10))
	if _, err := c.Write(make([]byte, 10)); err != nil {
		t.Fatalf("write after clearing the application's deadline: %v", err)
	}
}

// BenchmarkReadDeadlineRequestCycle is the part of one keep-alive request
// that needs no data on the wire: the read deadlines net/http sets with the
// default timeouts, in its order, the state changes, and its background
// read stopped by a deadline long past, on the socket itself (no state
// hook) and through a trackedConn. The background read is done in the
// same goroutine (immediate: it meets the deadline long past) or, as
// net/http does, in another one, blocked until the deadline ends it.
func BenchmarkReadDeadlineRequestCycle(b *testing.B) {
	c, _ := tcpPair(b, 0)
	for _, v := range []struct {
		name  string
		conn  net.Conn
		state func(http.ConnState)
	}{{"socket", c.Conn, func(http.ConnState) {}}, {"tracked", c, c.setState}} {
		for _, background := range []bool{false, true} {
			name := v.name
			if background {
				name += "/background"
			}
			b.Run(name, func(b *testing.B) {
				buf := make([]byte, 1)
				done := make(chan error, 1)
				v.state(http.StateNew)
				v.state(http.StateIdle)
				for b.Loop() {
					v.conn.SetReadDeadline(time.Now().Add(130 * time.Second)) // keep-alive
					v.conn.SetReadDeadline(time.Now().Add(30 * time.Second))  // request head
					v.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
					v.conn.SetReadDeadline(time.Time{}) // the whole request: none
					v.state(http.StateActive)
					v.conn.SetReadDeadline(time.Time{}) // the background read starts
					if background {
						go func() {
							_, err := v.conn.Read(buf)
							done <- err
						}()
						runtime.Gosched()
					}
					v.conn.SetReadDeadline(time.Unix(1, 0)) // and is stopped
					var err error
					if background {
						err = <-done
					} else {
						_, err = v.conn.Read(buf)
					}
					if !errors.Is(err, os.ErrDeadlineExceeded) {
						b.Fatalf("background read: %v; want a deadline error", err)
					}
					v.conn.SetReadDeadline(time.Time{})
					v.state(http.StateIdle)
				}
			})
		}
	}
}

// BenchmarkConnRequestCycle drives a connection through what net/http does
// on it for one keep-alive request with the default timeouts, over
// loopback TCP: the keep-alive deadline, the request read while idle, the
// head deadline twice, none while the handler runs, the background read
// started and stopped with a deadline long past, the response written, the
// write deadline cleared, and the state changes around the request. The
// peer sends requests and takes the responses in batches, so that the
// wake-ups of a real client do not drown the connection's own cost.
// "socket" is the bare connection (no state hook), "tracked" a
// trackedConn; the difference is the host's own cost.
func BenchmarkConnRequestCycle(b *testing.B) {
	const (
		req   = "GET / HTTP/1.1\r\nHost: x\r\n\r\n"
		resp  = "HTTP/1.1 200 OK\r\nContent-Length: 13\r\n\r\nHello, World!"
		batch = 64
	)
	reqs := []byte(strings.Repeat(req, batch))
	for _, tracked := range []bool{false, true} {
		name := "socket"
		if tracked {
			name = "tracked"
		}
		b.Run(name, func(b *testing.B) {
			c, peer := tcpPair(b, 60*time.Second)
			var conn net.Conn = c
			if !tracked {
				conn = c.Conn
			}
			state := func(s http.ConnState) {
				if tracked {
					c.setState(s)
				}
			}
			buf, got := make([]byte, len(req)), make([]byte, batch*len(resp))
			state(http.StateNew)
			state(http.StateIdle)
			i := 0
			for b.Loop() {
				if i%batch == 0 {
					if i > 0 {
						if _, err := io.ReadFull(peer, got); err != nil {
							b.Fatal(err)
						}
					}
					peer.Write(reqs)
				}
				i++
				conn.SetReadDeadline(time.Now().Add(130 * time.Second)) // keep-alive
				if _, err := io.ReadFull(conn, buf); err != nil {       // the request, while idle
					b.Fatal(err)
				}
				conn.SetReadDeadline(time.Now().Add(30 * time.Second)) // request head
				conn.SetReadDeadline(time.Now().Add(30 * time.Second))
				conn.SetReadDeadline(time.Time{}) // the whole request: none
				state(http.StateActive)
				conn.SetReadDeadline(time.Time{}) // the background read starts
				conn.Write([]byte(resp))
				conn.SetReadDeadline(time.Unix(1, 0)) // and is stopped
				if _, err := conn.Read(buf[:1]); !errors.Is(err, os.ErrDeadlineExceeded) {
					b.Fatalf("background read: %v; want a deadline error", err)
				}
				conn.SetReadDeadline(time.Time{})
				conn.SetWriteDeadline(time.Time{})
				state(http.StateIdle)
			}
		})
	}
}

// TestReadDeadlineAfterClose proves a closed connection keeps no watch: a
// deadline set after Close reaches the socket, which refuses it, and no
// timer is left holding the connection.
func TestReadDeadlineAfterClose(t *testing.T) {
	c, _ := tcpPair(t, 0)
	c.SetReadDeadline(time.Now().Add(time.Hour))
	c.Close()
	if err := c.SetReadDeadline(time.Now().Add(2 * time.Hour)); err == nil {
		t.Error("a deadline set on a closed connection was accepted")
	}
	if !c.read.watchAt.IsZero() && c.read.watchAt.After(time.Now().Add(time.Hour)) {
		t.Errorf("the watch was set again after Close, for %v", c.read.watchAt)
	}
}

// TestWriteDeadlineAtTheEpochIsCleared proves a write deadline at the Unix
// epoch (UnixNano 0) is recorded as set, so clearing it reaches the socket.
func TestWriteDeadlineAtTheEpochIsCleared(t *testing.T) {
	c, peer := pipeConn(t, 0)
	c.SetWriteDeadline(time.Unix(0, 0))
	c.SetWriteDeadline(time.Time{})
	go io.ReadFull(peer, make([]byte, 10))
	if _, err := c.Write(make([]byte, 10)); err != nil {
		t.Fatalf("write after clearing an epoch deadline: %v", err)
	}
}

// A socket deadline that fired while the deadline asked for still reads as
// ahead (a wall-clock-only deadline, the wall clock stepped back) is
// rewritten when the read resumes, so the read waits for data instead of
// timing out again at once until the wall clock catches up.
func TestReadResumesOnAFiredSocketDeadlineItHolds(t *testing.T) {
	c, peer := tcpPair(t, 0)
	asked := time.Now().Add(600 * time.Millisecond).Round(0) // wall clock only, within the margin
	if err := c.SetReadDeadline(asked); err != nil {
		t.Fatal(err)
	}
	c.Conn.SetReadDeadline(time.Unix(1, 0)) // the socket's deadline fires early, as after a clock step
	go func() {
		time.Sleep(100 * time.Millisecond)
		peer.Write([]byte("x"))
	}()
	start := time.Now()
	buf := make([]byte, 1)
	n, err := c.Read(buf)
	if n != 1 || err != nil {
		t.Fatalf("read: %d, %v; want the byte sent at 100ms, before the deadline asked for", n, err)
	}
	if d := time.Since(start); d > 500*time.Millisecond {
		t.Errorf("the read took %s", d)
	}
}
