package host

import (
	"net/http"
	"testing"
	"time"
)

// TestSystemdNotify proves READY=1 once listening, WATCHDOG=1 at half of
// WATCHDOG_USEC, and STOPPING=1 when the shutdown begins, received on a
// unixgram socket as systemd would.
func TestSystemdNotify(t *testing.T) {
	received := listenNotify(t)
	t.Setenv("WATCHDOG_USEC", "200000") // 200ms: WATCHDOG=1 every 100ms
	next := func(want string) {
		t.Helper()
		timeout := time.After(5 * time.Second)
		for {
			select {
			case got, ok := <-received:
				if !ok {
					t.Fatalf("socket closed waiting for %s", want)
				}
				if got.state == want {
					return
				}
			case <-timeout:
				t.Fatalf("no %s within 5s", want)
			}
		}
	}

	s, cancel, served := serveManually(t, testApp(), Options{})

	next("READY=1")
	if status, _ := get(t, http.DefaultClient, "http://"+s.Addrs()[0].String()+"/"); status != 200 {
		t.Fatalf("status %d after READY=1", status)
	}
	next("WATCHDOG=1")
	next("WATCHDOG=1")
	cancel()
	next("STOPPING=1")
	if err := <-served; err != nil {
		t.Fatalf("Serve: %v", err)
	}
}
