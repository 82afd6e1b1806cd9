package host

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/apphost/apphost/metrics"
)

// connListener wraps a public listener: it holds back Accept while
// MaxConnections connections are open, and wraps every connection in a
// trackedConn.
type connListener struct {
	net.Listener
	slots     chan struct{} // nil: unlimited; one token per open connection
	conns     *metrics.Conns
	closed    chan struct{}
	closeOnce sync.Once
}

func newConnListener(l net.Listener, slots chan struct{}) *connListener {
	return &connListener{Listener: l, slots: slots, closed: make(chan struct{})}
}

// Accept waits for a free slot, then for a connection. While it waits for a
// slot, new connections stay in the kernel's backlog.
func (l *connListener) Accept() (net.Conn, error) {
	if l.slots != nil {
		select {
		case l.slots <- struct{}{}:
		default:
			l.conns.Delayed()
			select {
			case l.slots <- struct{}{}:
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
	return &trackedConn{Conn: c, release: l.release, conns: l.conns, opened: l.conns.Opened()}, nil
}

func (l *connListener) release() {
	if l.slots != nil {
		<-l.slots
	}
}

func (l *connListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

// timeoutResponse is sent to a client whose request head did not arrive
// within RequestHeadersTimeout (net/http closes such connections silently).
const timeoutResponse = "HTTP/1.1 408 Request Timeout\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\nContent-Length: 19\r\n\r\n408 Request Timeout"

// trackedConn follows a connection's state so that a read timeout while a
// request head is arriving can be answered 408, as Kestrel does. It
// frees its listener slot once, when closed.
type trackedConn struct {
	net.Conn
	release func()
	conns   *metrics.Conns
	opened  time.Time

	mu        sync.Mutex
	state     http.ConnState
	pending   int    // bytes read since the connection became new or idle
	head      []byte // the first bytes of the connection, to recognise HTTP/2
	answered  bool
	hijacked  bool
	closeOnce sync.Once
}

// h2Preface starts every prior-knowledge HTTP/2 connection.
const h2Preface = "PRI * HTTP/2.0"

func (c *trackedConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.state != http.StateNew && c.state != http.StateIdle {
		return n, err
	}
	if len(c.head) < len(h2Preface) {
		k := min(n, len(h2Preface)-len(c.head))
		c.head = append(c.head, p[:k]...)
	}
	c.pending += n
	if err != nil && c.pending > 0 && !c.answered && !c.isHTTP2() && isTimeout(err) {
		c.answered = true
		c.Conn.SetWriteDeadline(time.Now().Add(time.Second))
		c.Conn.Write([]byte(timeoutResponse))
		c.conns.Rejected(metrics.LimitRequestHeadersTimeout)
	}
	return n, err
}

// headTooLarge is what net/http writes, in one piece, when a request head
// exceeds its MaxHeaderBytes; the handlers never see such a request.
const headTooLarge = "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n\r\n431 Request Header Fields Too Large"

// Write counts net/http's own 431 among the limit rejections.
func (c *trackedConn) Write(p []byte) (int, error) {
	if len(p) == len(headTooLarge) && string(p) == headTooLarge {
		c.conns.Rejected(metrics.LimitHeaderBytes)
	}
	return c.Conn.Write(p)
}

// isHTTP2 reports whether the connection began with the HTTP/2 preface;
// such a connection never gets an HTTP/1.1 answer.
func (c *trackedConn) isHTTP2() bool {
	n := min(len(c.head), len(h2Preface))
	return n > 0 && string(c.head[:n]) == h2Preface[:n]
}

// setState records the state net/http reports for the connection.
func (c *trackedConn) setState(s http.ConnState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if s == http.StateIdle {
		c.pending = 0
	}
	if s == http.StateHijacked && !c.hijacked {
		c.hijacked = true
		c.conns.Upgraded()
	}
	c.state = s
}

func (c *trackedConn) Close() error {
	err := c.Conn.Close()
	c.closeOnce.Do(func() {
		c.release()
		c.mu.Lock()
		hijacked := c.hijacked
		c.mu.Unlock()
		c.conns.Closed(c.opened, hijacked)
	})
	return err
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

// ReadFrom hands a copy into the connection to the socket's own ReadFrom,
// which uses sendfile(2) or splice(2): net/http's response writer takes
// that path only when its connection implements io.ReaderFrom.
func (c *trackedConn) ReadFrom(r io.Reader) (int64, error) {
	if rf, ok := c.Conn.(io.ReaderFrom); ok {
		return rf.ReadFrom(r)
	}
	return io.Copy(struct{ io.Writer }{c.Conn}, r)
}

var _ io.ReaderFrom = (*trackedConn)(nil)
