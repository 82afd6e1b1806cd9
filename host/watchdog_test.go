package host

import (
	"net"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// notification is one sd_notify datagram and the time it arrived.
type notification struct {
	state string
	at    time.Time
}

// listenNotify listens where NOTIFY_SOCKET points, as systemd does.
func listenNotify(t *testing.T) <-chan notification {
	t.Helper()
	path := filepath.Join(t.TempDir(), "notify.sock")
	sock, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sock.Close() })
	t.Setenv("NOTIFY_SOCKET", path)
	out := make(chan notification, 64)
	go func() {
		buf := make([]byte, 512)
		for {
			n, err := sock.Read(buf)
			if err != nil {
				close(out)
				return
			}
			out <- notification{string(buf[:n]), time.Now()}
		}
	}()
	return out
}

// TestWatchdogAtHalfTheInterval proves WATCHDOG=1 comes at half of
// WATCHDOG_USEC: one at once, then never sooner than half the interval (a
// ticker is never early) and always before the interval is over, the
// deadline after which systemd kills the service.
func TestWatchdogAtHalfTheInterval(t *testing.T) {
	const interval = 2 * time.Second
	received := listenNotify(t)
	t.Setenv("WATCHDOG_USEC", strconv.FormatInt(interval.Microseconds(), 10))
	t.Setenv("WATCHDOG_PID", strconv.Itoa(os.Getpid()))
	startServer(t, testApp(), Options{AdminListen: AdminOff})

	var pings []time.Time
	timeout := time.After(20 * time.Second)
	for len(pings) < 4 {
		select {
		case n := <-received:
			if n.state == "WATCHDOG=1" {
				pings = append(pings, n.at)
			}
		case <-timeout:
			t.Fatalf("%d WATCHDOG=1 within 20s, want 4", len(pings))
		}
	}
	for i := 1; i < len(pings); i++ {
		gap := pings[i].Sub(pings[i-1])
		// Half the interval, less a little for the first ping, which is sent
		// just after the ticker starts.
		if gap < interval/2-50*time.Millisecond || gap >= interval {
			t.Errorf("WATCHDOG=1 %d came %s after the one before, want about %s (half of WATCHDOG_USEC) and under %s", i, gap, interval/2, interval)
		}
	}
}
