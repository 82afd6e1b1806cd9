package host

import (
	"sync/atomic"
	"time"
)

// sendDeadline moves a write deadline for the send timeout, on a
// connection (trackedConn) or on an HTTP/2 stream (streamSend, which also
// takes it off between writes): before each piece of a response it
// says whether the deadline must move so that the piece gets at least the
// timeout. The deadline is set half a timeout further than that, so most
// pieces move nothing (a deadline update costs about as much as a small
// write); a piece that makes no progress fails between one and one and a
// half timeouts after it started.
type sendDeadline struct {
	timeout time.Duration // <= 0: off
	armed   atomic.Int64  // the deadline next last returned, as clock() then; 0: none
}

// clockBase is the origin of clock.
var clockBase = time.Now()

// clock is the time since clockBase, read from the monotonic clock alone:
// half the cost of time.Now, which reads the wall clock too.
func clock() time.Duration { return time.Since(clockBase) }

// next returns the deadline to set before a piece that starts now, or ok
// false when the one already set gives the piece the full timeout.
func (d *sendDeadline) next() (deadline time.Time, ok bool) {
	now := clock()
	if time.Duration(d.armed.Load()) >= now+d.timeout {
		return time.Time{}, false
	}
	at := now + d.timeout + d.timeout/2
	d.armed.Store(int64(at))
	return clockBase.Add(at), true
}

// forget records that the deadline was set otherwise: the next piece sets
// it again.
func (d *sendDeadline) forget() { d.armed.Store(0) }

// writeInPieces writes p in pieces of at most sendChunk bytes, calling arm
// before each, so that every piece gets the send timeout from its start.
func writeInPieces[T string | []byte](p T, arm func() error, write func(T) (int, error)) (int, error) {
	written := 0
	for len(p) > 0 {
		if err := arm(); err != nil {
			return written, err
		}
		n, err := write(p[:min(len(p), sendChunk)])
		written += n
		if err != nil {
			return written, err
		}
		p = p[n:]
	}
	return written, nil
}
