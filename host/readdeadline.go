package host

import (
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// readDeadline keeps a connection's read deadline for net/http, which asks
// for a new one several times per request: the request-head timeout twice,
// none while the handler runs, a deadline long past and none again around
// its background read, the keep-alive timeout between requests. Moving the
// socket's timer that often costs more than the rest of the connection's
// bookkeeping.
//
// So the socket gets a deadline only when it is near (within readMargin)
// or past. A deadline further ahead is recorded, and a timer of the
// connection's own (the watch) arms the socket once it is near; the watch
// moves only when a deadline earlier than the one it waits for is asked
// for, which net/http, asking for ever later ones, rarely does. A
// deadline the socket holds that comes before the one asked for later is
// left in place: a read that reaches it while the deadline asked for is
// still ahead (or there is none) is resumed, with the socket's deadline
// moved on. Reads time out exactly when they would have, as long as the
// watch fires less than readMargin late. Once the connection is closed,
// deadlines go straight to the socket, which refuses them.
type readDeadline struct {
	margin time.Duration // 0: readMargin; shorter in tests

	mu     sync.Mutex
	asked  time.Time // the deadline last asked for; zero: none
	socket time.Time // the socket's deadline; zero: none
	// expired: the socket's deadline had passed when it was set. Written
	// under mu; resume reads it without.
	expired atomic.Bool
	seen    time.Time   // the latest time read from the clock
	watch   *time.Timer // nil until a deadline further than margin is asked for
	watchAt time.Time   // when watch fires; zero: stopped or fired
	closed  bool        // stop was called: no watch any more
	conn    net.Conn    // the socket, recorded by set for the watch
}

// readMargin is how far ahead of a deadline the socket gets it: well over
// how late a timer of the runtime may fire on a busy machine.
const readMargin = time.Second

// set records the deadline asked for, moving the socket's when reads
// would otherwise run past it, or when it has passed.
func (d *readDeadline) set(c net.Conn, t time.Time) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.conn = c
	d.asked = t
	switch {
	case d.closed:
		return c.SetReadDeadline(t)
	case d.expired.Load():
		// The socket's deadline has passed: move it, whatever t is.
	case t.IsZero():
		return nil // none asked for: the socket's, if any, comes first
	case !d.socket.IsZero():
		if !t.Before(d.socket) {
			return nil // the socket's comes first
		}
	case !d.watchAt.IsZero() && !t.Before(d.watchAt.Add(d.near())):
		return nil // the watch fires in time to arm the socket
	}
	return d.arm(false)
}

// resume is called after a read timed out: it reports whether the deadline
// asked for is still ahead, in which case the socket's has been moved on
// and the read may be tried again.
func (d *readDeadline) resume() bool {
	if d.expired.Load() {
		// The read reached the deadline asked for: the usual end of
		// net/http's background read, told without the lock. (A deadline
		// moved on meanwhile is a race the socket alone loses too.)
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.expired.Load() || d.conn == nil || d.closed { // the socket holds the deadline asked for, which had passed
		return false
	}
	now := time.Now()
	d.seen = now
	if !d.asked.IsZero() && !d.asked.After(now) {
		return false
	}
	// The socket's deadline has fired, so it is rewritten even when it
	// reads as the one to keep: a deadline given as wall-clock time only
	// can fire while the wall clock, stepped back, still shows it ahead.
	return d.arm(true) == nil
}

// arm gives the socket the deadline asked for when it is near or past, and
// none otherwise, with the watch set to arm it in time; unless force, a
// socket that holds that deadline already is left alone. It reads the
// clock only for a deadline it cannot tell has passed.
func (d *readDeadline) arm(force bool) error {
	t, expired := d.asked, false
	switch {
	case t.IsZero():
	case t.Before(d.seen): // seen has gone by
		expired = true
	default:
		now := time.Now()
		d.seen = now
		if t.Sub(now) > d.near() {
			d.watchFor(t, now)
			t = time.Time{}
		} else {
			expired = !t.After(now)
		}
	}
	d.expired.Store(expired)
	if t.Equal(d.socket) && !force {
		return nil
	}
	d.socket = t
	return d.conn.SetReadDeadline(t)
}

// watchFor makes sure the watch fires by margin before t.
func (d *readDeadline) watchFor(t, now time.Time) {
	at := t.Add(-d.near())
	if !d.watchAt.IsZero() && !d.watchAt.After(at) {
		return
	}
	d.watchAt = at
	if d.watch == nil {
		d.watch = time.AfterFunc(at.Sub(now), d.fire)
	} else {
		d.watch.Reset(at.Sub(now))
	}
}

// fire is the watch: it arms the socket for a deadline now near, or waits
// again for one that moved further.
func (d *readDeadline) fire() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.watchAt = time.Time{}
	if !d.closed && !d.asked.IsZero() && (d.socket.IsZero() || d.asked.Before(d.socket)) {
		d.arm(false)
	}
}

func (d *readDeadline) near() time.Duration {
	if d.margin > 0 {
		return d.margin
	}
	return readMargin
}

// stop stops the watch for good; the connection is closed.
func (d *readDeadline) stop() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.closed = true
	if d.watch != nil {
		d.watch.Stop()
	}
}
