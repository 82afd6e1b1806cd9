package host

import (
	"bufio"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apphost/apphost/tests/harness"
)

// pipeConn is a trackedConn over one end of a synchronous pipe: a write
// completes only as the other end reads.
func pipeConn(t *testing.T, sendTimeout time.Duration) (*trackedConn, net.Conn) {
	t.Helper()
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return &trackedConn{Conn: a, send: sendDeadline{timeout: sendTimeout}}, b
}

// TestSendTimeoutCutsAStalledReader proves a write to a peer that reads
// nothing fails with a timeout after the send timeout.
func TestSendTimeoutCutsAStalledReader(t *testing.T) {
	c, _ := pipeConn(t, 200*time.Millisecond)
	start := time.Now()
	n, err := c.Write(make([]byte, 1000))
	if n != 0 || !isTimeout(err) {
		t.Fatalf("Write to a stalled peer: %d bytes, %v; want 0 and a timeout", n, err)
	}
	if d := time.Since(start); d < 200*time.Millisecond || d > 5*time.Second {
		t.Fatalf("the write failed after %s, want about 200ms", d)
	}
}

// TestSendTimeoutSparesASlowReader proves the deadline moves with every
// piece taken: a write lasting several send timeouts succeeds while the
// peer keeps reading.
func TestSendTimeoutSparesASlowReader(t *testing.T) {
	const timeout = 300 * time.Millisecond
	c, peer := pipeConn(t, timeout)
	go func() {
		buf := make([]byte, 4096)
		for {
			if _, err := peer.Read(buf); err != nil {
				return
			}
			time.Sleep(10 * time.Millisecond) // 16 KiB in 40ms, well within the timeout
		}
	}()
	size := 8 * sendChunk
	start := time.Now()
	n, err := c.Write(make([]byte, size))
	if n != size || err != nil {
		t.Fatalf("Write to a slow reader: %d bytes, %v; want %d, nil", n, err, size)
	}
	if d := time.Since(start); d < timeout {
		t.Logf("the write took %s; the reader was not slow enough to prove much", d)
	}
}

// TestSendTimeoutGivesEveryPieceTheFullTimeout proves that the deadline,
// which is moved only every half timeout, still gives a piece that starts
// at any moment after an earlier one at least the send timeout before the
// write fails: a stall right after a piece was taken, and one starting
// when the deadline armed for the earlier piece is closer than a timeout.
func TestSendTimeoutGivesEveryPieceTheFullTimeout(t *testing.T) {
	const timeout = 300 * time.Millisecond
	for _, pause := range []time.Duration{0, timeout / 5, timeout * 3 / 5} {
		c, peer := pipeConn(t, timeout)
		go func() { io.ReadFull(peer, make([]byte, 100)) }() // one piece, then nothing
		if _, err := c.Write(make([]byte, 100)); err != nil {
			t.Fatalf("first write: %v", err)
		}
		time.Sleep(pause)
		start := time.Now()
		_, err := c.Write(make([]byte, 100))
		d := time.Since(start)
		if !isTimeout(err) {
			t.Fatalf("pause %s: write to a stalled peer: %v, want a timeout", pause, err)
		}
		if d < timeout || d > 5*time.Second {
			t.Fatalf("pause %s: the stalled write failed after %s, want between %s and one and a half of it", pause, d, timeout)
		}
	}
}

// TestSendTimeoutKeepsAnEarlierOwnDeadline proves a deadline the
// application set is kept when it comes before the send timeout.
func TestSendTimeoutKeepsAnEarlierOwnDeadline(t *testing.T) {
	c, _ := pipeConn(t, time.Hour)
	c.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	done := make(chan error, 1)
	go func() { _, err := c.Write([]byte("x")); done <- err }()
	err := receive(t, done, 5*time.Second, "the application's deadline was replaced by the one-hour send timeout")
	if !isTimeout(err) {
		t.Fatalf("Write: %v, want a timeout", err)
	}
	c.SetWriteDeadline(time.Time{})
	if c.writeDeadline.Load() != 0 {
		t.Fatal("clearing the deadline was not recorded")
	}
}

// TestSendTimeoutReleasesTheHandler proves, through a real server, that a
// handler streaming to a client that stopped reading gets an error from
// Write instead of blocking forever.
func TestSendTimeoutReleasesTheHandler(t *testing.T) {
	writeErr := make(chan error, 1)
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 32<<10)
		for range 1 << 14 { // 512 MiB at most: far more than the socket buffers hold
			if _, err := w.Write(chunk); err != nil {
				writeErr <- err
				return
			}
		}
		writeErr <- nil
	})
	addr := startServer(t, app, Options{Limits: Limits{SendTimeout: 300 * time.Millisecond}}).Addrs()[0].String()
	dialRaw(t, addr, "GET / HTTP/1.1\r\nHost: test\r\n\r\n") // and never read
	err := receive(t, writeErr, 30*time.Second, "the handler's Write still blocks 30s after the client stopped reading")
	if err == nil {
		t.Fatal("the handler wrote 512 MiB to a client that reads nothing")
	}
}

// TestUnreadBodyDrain proves a body the handler leaves unread does not
// hold the connection: sent in full, the connection serves the next
// request; trickled, the response comes after the drain timeout with
// "Connection: close".
func TestUnreadBodyDrain(t *testing.T) {
	old := bodyDrainTimeout
	bodyDrainTimeout = 300 * time.Millisecond
	t.Cleanup(func() { bodyDrainTimeout = old })
	addr := startServer(t, testApp(), Options{Limits: Limits{MinRequestBodyRate: -1}}).Addrs()[0].String()
	post := "POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\n"

	t.Run("a complete unread body leaves the connection reusable", func(t *testing.T) {
		_, send := keepAlive(t, addr)
		for i := range 2 {
			resp := send(post + strings.Repeat("b", 100))
			if resp.StatusCode != 200 || resp.Close {
				t.Fatalf("request %d: status %d, close %t; want 200 on a kept-alive connection", i+1, resp.StatusCode, resp.Close)
			}
		}
	})
	t.Run("a stalled unread body is given up after the drain timeout", func(t *testing.T) {
		start := time.Now()
		resp, _ := exchange(t, addr, post+"only part of it")
		if resp.StatusCode != 200 || !resp.Close {
			t.Fatalf("status %d, close %t; want 200 and the connection closed", resp.StatusCode, resp.Close)
		}
		if d := time.Since(start); d < bodyDrainTimeout {
			t.Fatalf("answered after %s, before the drain timeout", d)
		}
	})
}

// TestDrainWindowAnswersBusyKeepAliveConnections proves a request sent on a
// kept-alive connection just after the shutdown began is answered, with
// "Connection: close", instead of meeting a closed connection.
func TestDrainWindowAnswersBusyKeepAliveConnections(t *testing.T) {
	s, cancel, served := serveManually(t, testApp(), Options{})
	addr := s.Addrs()[0].String()

	br, send := keepAlive(t, addr)
	request := func() *http.Response { return send("GET / HTTP/1.1\r\nHost: test\r\n\r\n") }
	if resp := request(); resp.StatusCode != 200 || resp.Close {
		t.Fatalf("before the shutdown: status %d, close %t", resp.StatusCode, resp.Close)
	}

	cancel() // the connection is idle now
	harness.WaitFor(t, 5*time.Second, "the listener to close", func() bool {
		d, err := net.Dial("tcp", addr)
		if err == nil {
			d.Close()
		}
		return err != nil
	})
	if resp := request(); resp.StatusCode != 200 || !resp.Close {
		t.Fatalf("during the shutdown: status %d, close %t; want 200 with Connection: close", resp.StatusCode, resp.Close)
	}
	if _, err := br.ReadByte(); !errors.Is(err, io.EOF) {
		t.Fatalf("after the answer: %v, want EOF", err)
	}
	err := receive(t, served, 10*time.Second, "Serve did not return")
	if err != nil {
		t.Fatalf("Serve: %v", err)
	}
}

// tcpPair is a trackedConn over the accepted end of a loopback TCP
// connection, and the dialling end.
func tcpPair(t testing.TB, sendTimeout time.Duration) (*trackedConn, net.Conn) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	peer, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c, err := l.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close(); peer.Close() })
	return &trackedConn{Conn: c, send: sendDeadline{timeout: sendTimeout}}, peer
}

// TestSendTimeoutInReadFrom proves the socket's ReadFrom (sendfile) path
// keeps the send timeout: a file copied to a peer that reads nothing fails
// with a timeout, and one copied to a reading peer arrives whole.
func TestSendTimeoutInReadFrom(t *testing.T) {
	const size = 64 << 20 // more than loopback's socket buffers hold
	file := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(file, make([]byte, size), 0o600); err != nil {
		t.Fatal(err)
	}
	copyFile := func(c *trackedConn) (int64, error) {
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		return c.ReadFrom(f)
	}

	t.Run("a stalled peer", func(t *testing.T) {
		c, _ := tcpPair(t, 200*time.Millisecond)
		done := make(chan error, 1)
		go func() { _, err := copyFile(c); done <- err }()
		select {
		case err := <-done:
			if !isTimeout(err) {
				t.Fatalf("ReadFrom to a stalled peer: %v, want a timeout", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("ReadFrom still blocked 30s after the peer stopped reading")
		}
	})
	t.Run("a file inside a LimitedReader, and a plain reader", func(t *testing.T) {
		c, peer := tcpPair(t, 5*time.Second)
		got := make(chan int64, 1)
		go func() { n, _ := io.Copy(io.Discard, peer); got <- n }()
		f, err := os.Open(file)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		const part = size/2 + 7
		lr := &io.LimitedReader{R: f, N: part}
		if n, err := c.ReadFrom(lr); n != part || err != nil || lr.N != 0 {
			t.Fatalf("ReadFrom a LimitedReader: %d bytes, %v, %d left; want %d, nil, 0", n, err, lr.N, part)
		}
		if n, err := c.ReadFrom(strings.NewReader("tail")); n != 4 || err != nil {
			t.Fatalf("ReadFrom a strings.Reader: %d bytes, %v", n, err)
		}
		c.Close()
		if n := <-got; n != part+4 {
			t.Fatalf("the peer read %d bytes, want %d", n, part+4)
		}
	})
	t.Run("a reading peer", func(t *testing.T) {
		c, peer := tcpPair(t, 5*time.Second)
		got := make(chan int64, 1)
		go func() { n, _ := io.Copy(io.Discard, peer); got <- n }()
		n, err := copyFile(c)
		if n != size || err != nil {
			t.Fatalf("ReadFrom: %d bytes, %v; want %d, nil", n, err, size)
		}
		c.Close()
		if n := <-got; n != size {
			t.Fatalf("the peer read %d bytes, want %d", n, size)
		}
	})
}

// BenchmarkTrackedConnWrite measures what the send timeout adds to a
// small write (one deadline per write) on a loopback connection.
func BenchmarkTrackedConnWrite(b *testing.B) {
	for _, bc := range []struct {
		name    string
		timeout time.Duration
	}{{"off", -1}, {"60s", time.Minute}} {
		b.Run(bc.name, func(b *testing.B) {
			c, peer := tcpPair(b, bc.timeout)
			go io.Copy(io.Discard, peer)
			p := make([]byte, 512)
			b.SetBytes(int64(len(p)))
			for b.Loop() {
				if _, err := c.Write(p); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestUnreadBodyDrainSparesHijackedConnections proves the drain timeout is
// not set on a connection the handler took over.
func TestUnreadBodyDrainSparesHijackedConnections(t *testing.T) {
	old := bodyDrainTimeout
	bodyDrainTimeout = 100 * time.Millisecond
	t.Cleanup(func() { bodyDrainTimeout = old })
	readErr := make(chan error, 1)
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, brw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			readErr <- err
			return
		}
		go func() {
			defer conn.Close()
			time.Sleep(3 * bodyDrainTimeout)
			brw.WriteString("HTTP/1.1 101 Switching Protocols\r\n\r\n")
			brw.Flush()
			_, err := io.ReadFull(brw, make([]byte, 5))
			readErr <- err
		}()
	})
	addr := startServer(t, app, Options{}).Addrs()[0].String()
	c := dialRaw(t, addr, "POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 3\r\nConnection: Upgrade\r\nUpgrade: test\r\n\r\nabc")
	br := bufio.NewReader(c)
	if line, err := br.ReadString('\n'); err != nil || !strings.Contains(line, "101") {
		t.Fatalf("answer %q, %v", line, err)
	}
	io.WriteString(c, "hello")
	err := receive(t, readErr, 10*time.Second, "the hijacked connection's reader did not finish")
	if err != nil {
		t.Fatalf("reading the hijacked connection: %v", err)
	}
}

// writeMore writes up to 32 MiB to w, far more than an HTTP/2 client's
// 4 MiB stream window, and returns the first write error.
func writeMore(w io.Writer) error {
	chunk := make([]byte, 32<<10)
	for range 1 << 10 {
		if _, err := w.Write(chunk); err != nil {
			return err
		}
	}
	return nil
}

// TestSendTimeoutReleasesAStalledHTTP2Stream proves the send timeout
// reaches a single HTTP/2 stream whose client grants no more flow-control
// window (Go's client grants more only as the body is read), while the
// connection itself stays usable.
func TestSendTimeoutReleasesAStalledHTTP2Stream(t *testing.T) {
	writeErr := make(chan error, 1)
	mux := http.NewServeMux()
	mux.HandleFunc("/download", func(w http.ResponseWriter, r *http.Request) {
		writeErr <- writeMore(w)
	})
	mux.Handle("/", testApp())
	addr := startServer(t, mux, Options{Limits: Limits{SendTimeout: 300 * time.Millisecond}}).Addrs()[0].String()
	client := h2cClient(t)

	resp, err := client.Get("http://" + addr + "/download")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close() // never read
	if resp.ProtoMajor != 2 {
		t.Fatalf("answered over %s, want HTTP/2", resp.Proto)
	}
	err = receive(t, writeErr, 20*time.Second, "the handler's Write still blocks 20s after the client stopped reading its stream")
	if err == nil {
		t.Fatal("the handler wrote 32 MiB to a stream whose client reads nothing")
	}
	if status, body := get(t, client, "http://"+addr+"/"); status != 200 || body != "hello" {
		t.Fatalf("another stream afterwards: %d %q", status, body)
	}
}

// h2cClient is an HTTP/2 client over cleartext (prior knowledge), whose
// idle connections are closed when the test ends.
func h2cClient(t *testing.T) *http.Client {
	var h2 http.Protocols
	h2.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &h2}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 30 * time.Second}
}

// TestHTTP2StreamSurvivesAPauseBetweenWrites proves the send timeout
// bounds a stream's writes, not the time between them: a handler pausing
// for four send timeouts (a long poll, events now and then) answers whole.
// The deadline is taken off half a timeout before it would fire, which
// leaves a busy machine's timers 250ms.
func TestHTTP2StreamSurvivesAPauseBetweenWrites(t *testing.T) {
	const timeout = 500 * time.Millisecond
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "first ")
		http.NewResponseController(w).Flush()
		time.Sleep(4 * timeout)
		io.WriteString(w, "second")
	})
	addr := startServer(t, app, Options{Limits: Limits{SendTimeout: timeout}}).Addrs()[0].String()
	resp, err := h2cClient(t).Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if resp.ProtoMajor != 2 || err != nil || string(body) != "first second" {
		t.Fatalf("over %s: %q, %v; want %q", resp.Proto, body, err, "first second")
	}
}

// TestHTTP2StreamBoundsTheRestAfterThePause proves what net/http still
// holds of a body when the handler returns, after a pause that took the
// stream's deadline off, gets the send timeout too: a client granting no
// more window has its stream reset instead of holding it open.
func TestHTTP2StreamBoundsTheRestAfterThePause(t *testing.T) {
	const timeout = 200 * time.Millisecond
	returned := make(chan struct{})
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(returned)
		chunk := make([]byte, 32<<10)
		for range 128 { // the client's whole 4 MiB stream window
			if _, err := w.Write(chunk); err != nil {
				t.Errorf("writing the window: %v", err)
				return
			}
		}
		w.Write(make([]byte, 1024)) // held in net/http's buffer
		time.Sleep(3 * timeout)
	})
	addr := startServer(t, app, Options{Limits: Limits{SendTimeout: timeout}}).Addrs()[0].String()
	resp, err := h2cClient(t).Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	<-returned
	time.Sleep(4 * timeout) // past the timeout given to the rest
	body, err := io.ReadAll(resp.Body)
	if err == nil {
		t.Fatalf("read all %d bytes: the rest waited for the client without a deadline", len(body))
	}
}

// TestHTTP2StreamKeepsTheApplicationsDeadline proves a write deadline the
// application sets on its HTTP/2 stream holds under a much longer send
// timeout: a stalled stream is released at the application's deadline.
func TestHTTP2StreamKeepsTheApplicationsDeadline(t *testing.T) {
	writeErr := make(chan error, 1)
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.NewResponseController(w).SetWriteDeadline(time.Now().Add(300 * time.Millisecond))
		writeErr <- writeMore(w)
	})
	addr := startServer(t, app, Options{Limits: Limits{SendTimeout: time.Hour}}).Addrs()[0].String()
	resp, err := h2cClient(t).Get("http://" + addr + "/")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close() // never read
	err = receive(t, writeErr, 20*time.Second, "the handler's Write still blocks 20s after its own deadline")
	if err == nil {
		t.Fatal("the handler wrote 32 MiB to a stream whose client reads nothing")
	}
}

// TestUnreadBodyDrainWhileStreaming proves a handler that streams a large
// answer without reading the body is not held by a client trickling that
// body: net/http's read of the unread body, inside the handler's Write,
// gets the drain timeout too.
func TestUnreadBodyDrainWhileStreaming(t *testing.T) {
	old := bodyDrainTimeout
	bodyDrainTimeout = 300 * time.Millisecond
	t.Cleanup(func() { bodyDrainTimeout = old })
	const size = 1 << 20
	done := make(chan error, 1)
	app := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		chunk := make([]byte, 32<<10)
		for range size / len(chunk) {
			if _, err := w.Write(chunk); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	})
	addr := startServer(t, app, Options{}).Addrs()[0].String()
	c := dialRaw(t, addr, "POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 100\r\n\r\nonly part") // then nothing
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no answer while the body is stalled: %v", err)
	}
	n, err := io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !resp.Close || n != size || err != nil {
		t.Fatalf("status %d, close %t, %d bytes, %v; want 200, closed, %d bytes", resp.StatusCode, resp.Close, n, err, size)
	}
	err = receive(t, done, 10*time.Second, "the handler did not finish")
	if err != nil {
		t.Fatalf("the handler's Write: %v", err)
	}
}

// keepAlive opens a connection to addr, with a 10s deadline, closed when
// the test ends; send writes a request on it and reads the response to its
// end. br is the connection's reader, for what comes after a response.
func keepAlive(t *testing.T, addr string) (br *bufio.Reader, send func(request string) *http.Response) {
	t.Helper()
	c := dialRaw(t, addr, "")
	br = bufio.NewReader(c)
	return br, func(request string) *http.Response {
		t.Helper()
		io.WriteString(c, request)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("read response: %v", err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp
	}
}

// dialRaw writes request on a new connection with a 10s deadline, closed
// when the test ends.
func dialRaw(t *testing.T, addr, request string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, request)
	return c
}

// receive waits up to within for a value from ch, failing the test with
// what when none comes.
func receive(t *testing.T, ch <-chan error, within time.Duration, what string) error {
	t.Helper()
	select {
	case err := <-ch:
		return err
	case <-time.After(within):
		t.Fatal(what)
		return nil
	}
}

// TestTrackedConnCloseWrite proves the wrapper keeps the socket's half
// close, which net/http uses before closing a connection whose request
// body it left unread: the peer reads the end of the stream, and can still
// send.
func TestTrackedConnCloseWrite(t *testing.T) {
	c, peer := tcpPair(t, time.Minute)
	var conn net.Conn = c
	cw, ok := conn.(interface{ CloseWrite() error })
	if !ok {
		t.Fatal("trackedConn has no CloseWrite: net/http closes without a half close")
	}
	io.WriteString(c, "answer")
	if err := cw.CloseWrite(); err != nil {
		t.Fatal(err)
	}
	peer.SetDeadline(time.Now().Add(10 * time.Second))
	got, err := io.ReadAll(peer)
	if err != nil || string(got) != "answer" {
		t.Fatalf("the peer read %q, %v; want the answer and the end of the stream", got, err)
	}
	io.WriteString(peer, "more")
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	buf := make([]byte, 4)
	if _, err := io.ReadFull(c, buf); err != nil || string(buf) != "more" {
		t.Fatalf("after the half close the connection read %q, %v", buf, err)
	}
}
