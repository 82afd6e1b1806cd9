package host

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/apphost/apphost/metrics"
)

// connPool is shared by the public listeners: it counts their open
// connections and, with MaxConnections, holds one slot per connection.
type connPool struct {
	slots       chan struct{} // nil: unlimited; one token per open connection
	open        atomic.Int64
	sendTimeout time.Duration  // <= 0: writes have no deadline
	metrics     *metrics.Conns // nil: not counted
}

func newConnPool(l Limits, m *metrics.Conns) *connPool {
	p := &connPool{sendTimeout: l.SendTimeout, metrics: m}
	if l.MaxConnections > 0 {
		p.slots = make(chan struct{}, l.MaxConnections)
	}
	return p
}

// connListener wraps a public listener: it holds back Accept while
// MaxConnections connections are open, and wraps every connection in a
// trackedConn.
type connListener struct {
	net.Listener
	pool      *connPool
	closed    chan struct{}
	closeOnce sync.Once
	closeErr  error
	// socket is the listening socket's address when it is a unix socket:
	// the address an unnamed peer reads as. nil for TCP.
	socket net.Addr
}

func newConnListener(l net.Listener, pool *connPool) *connListener {
	cl := &connListener{Listener: l, pool: pool, closed: make(chan struct{})}
	if a, ok := l.Addr().(*net.UnixAddr); ok && a.Name != "" {
		cl.socket = a
	}
	return cl
}

// Accept waits for a free slot, then for a connection. While it waits for a
// slot, new connections stay in the kernel's backlog.
func (l *connListener) Accept() (net.Conn, error) {
	if l.pool.slots != nil {
		select {
		case l.pool.slots <- struct{}{}:
		default:
			l.pool.metrics.Delayed()
			select {
			case l.pool.slots <- struct{}{}:
			case <-l.closed:
				return nil, net.ErrClosed
			}
		}
	}
	c, err := l.Listener.Accept()
	if err != nil {
		l.release()
		return nil, err
	}
	l.pool.open.Add(1)
	tc := &trackedConn{Conn: c, owner: l, send: sendDeadline{timeout: l.pool.sendTimeout}, conns: l.pool.metrics, opened: l.pool.metrics.Opened()}
	if l.socket != nil && unnamed(c.RemoteAddr()) {
		tc.remote = l.socket
	}
	return tc, nil
}

// unnamed reports whether a is a unix-socket peer without a name, which
// net/http would show as "@" or "" in Request.RemoteAddr.
func unnamed(a net.Addr) bool {
	if a == nil {
		return true
	}
	s := a.String()
	return s == "" || s == "@"
}

func (l *connListener) release() {
	if l.pool.slots != nil {
		<-l.pool.slots
	}
}

// Close closes the listener once; later calls return the first result, so
// that the host may close its listeners before net/http's Shutdown does.
func (l *connListener) Close() error {
	l.closeOnce.Do(func() {
		close(l.closed)
		l.closeErr = l.Listener.Close()
	})
	return l.closeErr
}

// timeoutResponse is sent to a client whose request head did not arrive
// within RequestHeadersTimeout (net/http closes such connections silently):
// the host's error answer, as sendHostError gives the others, dated now.
func timeoutResponse(now time.Time) []byte {
	body := hostErrorBody(http.StatusRequestTimeout)
	return []byte("HTTP/1.1 408 Request Timeout\r\n" +
		"Connection: close\r\n" +
		"Content-Length: " + strconv.Itoa(len(body)) + "\r\n" +
		"Content-Type: text/plain; charset=utf-8\r\n" +
		"Date: " + now.UTC().Format(http.TimeFormat) + "\r\n" +
		"X-Content-Type-Options: nosniff\r\n" +
		"\r\n" + body)
}

// trackedConn follows a connection's state so that a read timeout while a
// request head is arriving can be answered 408, as Kestrel does. It bounds
// every write by the send timeout, and frees its listener slot once, when
// closed.
type trackedConn struct {
	net.Conn
	owner *connListener
	send  sendDeadline
	read  readDeadline
	// writeDeadline is the deadline set through SetWriteDeadline or
	// SetDeadline (by the application, through http.ResponseController or
	// on a hijacked connection), in Unix nanoseconds; 0 for none.
	writeDeadline atomic.Int64
	conns         *metrics.Conns
	opened        time.Time
	remote        net.Addr // nil: the connection's own RemoteAddr

	// state is the state net/http last reported; pending counts the bytes
	// read since the connection became new or idle. Each is read and
	// written whole, so neither needs mu (HTTP/2's frame reader reads
	// beside the goroutine that reports the states): Read takes mu only
	// for the first bytes of the connection and for a timeout.
	state    atomic.Int64 // an http.ConnState
	pending  atomic.Int64
	hijacked atomic.Bool
	// kept is set once head holds len(h2Preface) bytes and no longer
	// changes.
	kept      atomic.Bool
	mu        sync.Mutex
	head      []byte // the first bytes of the connection, to recognise HTTP/2
	answered  bool
	closeOnce sync.Once
}

// h2Preface starts every prior-knowledge HTTP/2 connection.
const h2Preface = "PRI * HTTP/2.0"

func (c *trackedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	for n == 0 && deadlineExceeded(err) && c.read.resume() {
		n, err = c.Conn.Read(p) // the socket's deadline came before the one asked for
	}
	if !waitingForHead(c.state.Load()) {
		return n, err
	}
	pending := c.pending.Add(int64(n))
	if err == nil && c.kept.Load() {
		return n, nil
	}
	c.readHead(p[:n], pending, err)
	return n, err
}

// readHead keeps the first bytes of the connection, to recognise HTTP/2,
// and answers 408 when the request head stopped arriving (a read timed out
// with pending bytes read since the connection became new or idle). (It
// is apart from Read so that its work does not make every call's frame
// larger.)
func (c *trackedConn) readHead(p []byte, pending int64, err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.head) < len(h2Preface) {
		k := min(len(p), len(h2Preface)-len(c.head))
		c.head = append(c.head, p[:k]...)
		c.kept.Store(len(c.head) == len(h2Preface))
	}
	if err != nil && pending > 0 && !c.answered && !c.isHTTP2() && isTimeout(err) {
		c.answered = true
		c.send.forget()
		now := time.Now()
		c.Conn.SetWriteDeadline(now.Add(time.Second))
		c.Conn.Write(timeoutResponse(now))
		c.conns.Rejected(metrics.LimitRequestHeadersTimeout)
	}
}

// waitingForHead reports whether a connection in state s is between
// requests, where Read follows the request head's arrival.
func waitingForHead(s int64) bool {
	return s == int64(http.StateNew) || s == int64(http.StateIdle)
}

// headTooLarge is what net/http writes, in one piece, when a request head
// exceeds its MaxHeaderBytes; the handlers never see such a request.
const headTooLarge = "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large"

// isHTTP2 reports whether the connection began with the HTTP/2 preface;
// such a connection never gets an HTTP/1.1 answer.
func (c *trackedConn) isHTTP2() bool {
	n := min(len(c.head), len(h2Preface))
	return n > 0 && string(c.head[:n]) == h2Preface[:n]
}

// setState records the state net/http reports for the connection.
func (c *trackedConn) setState(s http.ConnState) {
	switch s {
	case http.StateIdle:
		c.pending.Store(0)
	case http.StateHijacked:
		if c.hijacked.CompareAndSwap(false, true) {
			c.conns.Upgraded()
		}
	}
	c.state.Store(int64(s))
}

// sendChunk is the most a single write to the socket carries: each piece
// gets at least the send timeout to be taken by the kernel, so a client
// reading at least sendChunk bytes per send timeout is never cut.
const sendChunk = 16 << 10

// Write writes p in pieces of at most sendChunk bytes, each with at least
// the send timeout from its start (see armWrite; or the deadline the
// application set, when that is earlier). A client that stops reading
// makes the write fail once the socket buffers are full, instead of
// holding the handler forever. It also counts net/http's own 431 among the
// limit rejections.
func (c *trackedConn) Write(p []byte) (int, error) {
	if len(p) == len(headTooLarge) && string(p) == headTooLarge {
		c.conns.Rejected(metrics.LimitHeaderBytes)
	}
	if c.send.timeout <= 0 {
		return c.Conn.Write(p)
	}
	return writeInPieces(p, c.armWrite, c.Conn.Write)
}

// ReadFrom hands the copy to the socket's own ReadFrom, which uses
// sendfile(2) or splice(2) (net/http's response writer takes that path
// only when its connection implements io.ReaderFrom), in pieces of
// sendChunk bytes under the send timeout as Write does. The socket copies
// that way only from a file or a socket, alone or inside one
// io.LimitedReader (as http.ServeContent passes it); each piece keeps that
// shape. Other readers are copied through Write.
func (c *trackedConn) ReadFrom(r io.Reader) (int64, error) {
	rf, ok := c.Conn.(io.ReaderFrom)
	if !ok {
		return io.Copy(struct{ io.Writer }{c}, r)
	}
	if c.send.timeout <= 0 {
		return rf.ReadFrom(r)
	}
	src, limit := r, int64(-1) // -1: until src ends
	outer, limited := r.(*io.LimitedReader)
	if limited {
		src, limit = outer.R, max(outer.N, 0)
	}
	switch src.(type) {
	case *os.File, *net.TCPConn, *net.UnixConn:
	default:
		return io.Copy(struct{ io.Writer }{c}, r)
	}
	var total int64
	var err error
	for limit != 0 {
		if err = c.armWrite(); err != nil {
			break
		}
		piece := &io.LimitedReader{R: src, N: sendChunk}
		if limit > 0 {
			piece.N = min(piece.N, limit)
		}
		var n int64
		n, err = rf.ReadFrom(piece)
		total += n
		if limit > 0 {
			limit -= n
		}
		if err != nil || piece.N > 0 { // an error, or src ended within the piece
			break
		}
	}
	if limited {
		outer.N = limit
	}
	return total, err
}

// armWrite makes sure the next piece has at least the send timeout from
// now (see sendDeadline), and never runs past the application's own
// deadline when it set one.
func (c *trackedConn) armWrite() error {
	if own := c.writeDeadline.Load(); own != 0 {
		c.send.forget()
		deadline := time.Now().Add(c.send.timeout)
		if own < deadline.UnixNano() {
			deadline = time.Unix(0, own)
		}
		return c.Conn.SetWriteDeadline(deadline)
	}
	if deadline, ok := c.send.next(); ok {
		return c.Conn.SetWriteDeadline(deadline)
	}
	return nil
}

// SetReadDeadline sets the deadline reads time out at (see readDeadline).
func (c *trackedConn) SetReadDeadline(t time.Time) error {
	return c.read.set(c.Conn, t)
}

// SetWriteDeadline records the deadline so that Write keeps it.
//
// net/http clears the write deadline after every response. When none was
// set, the socket holds at most the send timeout's, which armWrite keeps
// right before each write, so there is nothing to clear.
func (c *trackedConn) SetWriteDeadline(t time.Time) error {
	if t.IsZero() && c.writeDeadline.Load() == 0 {
		return nil
	}
	c.send.forget() // the socket's deadline is no longer the one armWrite set
	switch ns := t.UnixNano(); {
	case t.IsZero():
		c.writeDeadline.Store(0)
	case ns == 0: // the Unix epoch itself, which 0 cannot stand for
		c.writeDeadline.Store(1)
	default:
		c.writeDeadline.Store(ns)
	}
	return c.Conn.SetWriteDeadline(t)
}

// SetDeadline sets both deadlines, as SetReadDeadline and SetWriteDeadline.
func (c *trackedConn) SetDeadline(t time.Time) error {
	return errors.Join(c.SetReadDeadline(t), c.SetWriteDeadline(t))
}

// RemoteAddr is the peer's address. An unnamed peer of a unix socket (a
// proxy connecting from a socket it did not bind, the usual case) reads as
// the socket it connected to, so that Request.RemoteAddr and the access
// log name where the request came from instead of "@".
func (c *trackedConn) RemoteAddr() net.Addr {
	if c.remote != nil {
		return c.remote
	}
	return c.Conn.RemoteAddr()
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.read.stop()
	c.closeOnce.Do(func() {
		if c.owner != nil {
			c.owner.pool.open.Add(-1)
			c.owner.release()
		}
		c.conns.Closed(c.opened, c.hijacked.Load())
	})
	return err
}

// CloseWrite half-closes the connection when the socket can. net/http
// calls it before closing a connection whose request body it did not read
// (a 413, a handler that left the body), so that the client gets the
// answer and then an end of stream, rather than a reset that can discard
// the answer before the client reads it.
func (c *trackedConn) CloseWrite() error {
	if cw, ok := c.Conn.(interface{ CloseWrite() error }); ok {
		return cw.CloseWrite()
	}
	return errors.ErrUnsupported
}

// deadlineExceeded reports whether err is a read's or write's deadline
// error, as the socket (a *net.OpError around it) or a pipe returns it:
// cheaper than errors.Is on a path taken once per request, by net/http's
// background read.
func deadlineExceeded(err error) bool {
	if oe, ok := err.(*net.OpError); ok {
		err = oe.Err
	}
	return err == os.ErrDeadlineExceeded
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

var _ io.ReaderFrom = (*trackedConn)(nil)
